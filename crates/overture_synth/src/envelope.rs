//! Amplitude envelopes for note voices.
//!
//! An [`Adsr`] is evaluated per sample from the note's own clock, so a voice's
//! amplitude depends only on how long ago it started and how long it is held:
//! rendering in blocks or sample by sample gives the same result.

/// Attack, decay, sustain and release, in seconds (sustain is a level in 0..=1).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Adsr {
    /// Seconds from silence to full level (a linear ramp).
    pub attack: f32,
    /// Seconds from full level to the sustain level (exponential-like).
    pub decay: f32,
    /// Level held while the note is held, 0..=1. Zero makes a percussive voice.
    pub sustain: f32,
    /// Seconds from the release to silence.
    pub release: f32,
}

impl Adsr {
    /// An envelope.
    pub const fn new(attack: f32, decay: f32, sustain: f32, release: f32) -> Self {
        Self {
            attack,
            decay,
            sustain,
            release,
        }
    }

    /// A prepared per-sample evaluator for a note held `gate` samples at `sample_rate`.
    pub fn at_rate(&self, sample_rate: f32, gate: usize) -> EnvelopeCursor {
        let attack = (self.attack * sample_rate).max(1.0);
        let decay = (self.decay * sample_rate).max(1.0);
        let release = (self.release * sample_rate).max(1.0) as usize;
        let mut cursor = EnvelopeCursor {
            attack,
            decay_rate: 1.0 / decay,
            sustain: self.sustain.clamp(0.0, 1.0),
            gate,
            release,
            release_level: 0.0,
        };
        cursor.release_level = cursor.held_level(gate);
        cursor
    }
}

/// Evaluates an [`Adsr`] for one note at a given sample rate.
#[derive(Debug, Clone, Copy)]
pub struct EnvelopeCursor {
    attack: f32,
    decay_rate: f32,
    sustain: f32,
    gate: usize,
    release: usize,
    release_level: f32,
}

impl EnvelopeCursor {
    /// Total samples the voice sounds: the gate plus the release.
    pub fn length(&self) -> usize {
        self.gate + self.release
    }

    fn held_level(&self, i: usize) -> f32 {
        let t = i as f32;
        if t < self.attack {
            // Starts at 1/attack on the first sample, so the note is audible on its first sample.
            (t + 1.0) / self.attack
        } else {
            let d = (t - self.attack) * self.decay_rate;
            // Exponential approach to the sustain level, -60 dB of the gap after `decay`.
            self.sustain + (1.0 - self.sustain) * (-6.9 * d).exp()
        }
    }

    /// Level at sample `i` after the note's start.
    #[inline]
    pub fn level(&self, i: usize) -> f32 {
        if i < self.gate {
            self.held_level(i)
        } else if i < self.gate + self.release {
            // A quartic fade reaches exactly zero at the end of the release, with zero slope.
            let x = 1.0 - (i - self.gate) as f32 / self.release as f32;
            self.release_level * x * x * x * x
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn envelope_is_audible_on_the_first_sample_and_silent_after_release() {
        let e = Adsr::new(0.01, 0.1, 0.5, 0.2).at_rate(48_000.0, 4_800);
        assert!(e.level(0) > 0.0);
        assert!((e.level(479) - 1.0).abs() < 1e-3);
        assert!(e.level(4_799) > 0.49);
        assert_eq!(e.level(e.length()), 0.0);
        assert!(e.level(e.length() - 1) < 1e-9);
    }

    #[test]
    fn release_starts_from_the_level_reached_when_released_early() {
        let e = Adsr::new(0.1, 0.1, 1.0, 0.1).at_rate(1_000.0, 50);
        let held = e.level(49);
        let released = e.level(50);
        assert!((held - released).abs() < 0.02, "{held} vs {released}");
    }
}
