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
        let sustain = self.sustain.clamp(0.0, 1.0);
        // Level when released: evaluated in closed form so the release starts exactly there.
        let release_level = if (gate as f32) < attack {
            gate as f32 / attack
        } else {
            sustain + (1.0 - sustain) * (-6.9 * (gate as f32 - attack) / decay).exp()
        };
        EnvelopeCursor {
            attack,
            decay_factor: (-6.9 / decay).exp(),
            sustain,
            gate,
            release,
            release_level,
            position: 0,
            gap: 1.0,
        }
    }
}

/// Evaluates an [`Adsr`] for one note, one sample after another.
///
/// The decay is a running product, so the cursor costs a few multiplications per
/// sample; block and per-sample rendering step it identically.
#[derive(Debug, Clone, Copy)]
pub struct EnvelopeCursor {
    attack: f32,
    decay_factor: f32,
    sustain: f32,
    gate: usize,
    release: usize,
    release_level: f32,
    position: usize,
    /// Remaining share of the gap between full level and sustain during the decay.
    gap: f32,
}

impl EnvelopeCursor {
    /// Total samples the voice sounds: the gate plus the release.
    pub fn length(&self) -> usize {
        self.gate + self.release
    }

    /// The level of the next sample.
    #[inline]
    pub fn next_level(&mut self) -> f32 {
        let i = self.position;
        self.position += 1;
        if i < self.gate {
            let t = i as f32;
            if t < self.attack {
                // Starts at 1/attack on the first sample, so the note is audible on its first sample.
                (t + 1.0) / self.attack
            } else {
                // Exponential approach to the sustain level: −60 dB of the gap after `decay`.
                let level = self.sustain + (1.0 - self.sustain) * self.gap;
                self.gap *= self.decay_factor;
                level
            }
        } else if i < self.gate + self.release {
            // A quartic fade reaches exactly zero at the end of the release, with zero slope.
            let x = 1.0 - (i - self.gate) as f32 / self.release as f32;
            let x2 = x * x;
            self.release_level * x2 * x2
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
        let mut e = Adsr::new(0.01, 0.1, 0.5, 0.2).at_rate(48_000.0, 4_800);
        let levels: Vec<f32> = (0..e.length() + 1).map(|_| e.next_level()).collect();
        assert!(levels[0] > 0.0);
        assert!((levels[479] - 1.0).abs() < 1e-3);
        assert!(levels[4_799] > 0.49);
        assert_eq!(levels[e.length()], 0.0);
        assert!(levels[e.length() - 1] < 1e-9);
    }

    #[test]
    fn release_starts_from_the_level_reached_when_released_early() {
        let mut e = Adsr::new(0.1, 0.1, 1.0, 0.1).at_rate(1_000.0, 50);
        let levels: Vec<f32> = (0..60).map(|_| e.next_level()).collect();
        let (held, released) = (levels[49], levels[50]);
        assert!((held - released).abs() < 0.02, "{held} vs {released}");
    }
}
