//! Amplitude envelopes for note voices.
//!
//! An [`Adsr`] is evaluated from the note's own clock, so a voice's amplitude
//! depends only on how long ago it started and how long it is held: rendering
//! in blocks or sample by sample gives the same result (to float rounding).

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
            sustain,
            gate,
            release,
            release_level,
            position: 0,
            gap: 1.0,
            decay_powers: std::array::from_fn(|k| {
                (-6.9 * k as f64 / f64::from(decay)).exp() as f32
            }),
        }
    }
}

/// Frames the decay's powers table covers at once.
const SPAN: usize = 64;

/// Evaluates an [`Adsr`] for one note, one stretch of samples after another.
///
/// The decay's remaining gap is carried from stretch to stretch and scaled
/// within one by a table of the decay factor's powers, so every stage is a
/// loop without a dependency from one sample to the next (the compiler
/// vectorizes it); rendering in blocks or sample by sample agrees to float
/// rounding.
#[derive(Debug, Clone, Copy)]
pub struct EnvelopeCursor {
    attack: f32,
    sustain: f32,
    gate: usize,
    release: usize,
    release_level: f32,
    position: usize,
    /// Remaining share of the gap between full level and sustain during the decay.
    gap: f32,
    /// `decay_powers[k]` = decay factor to the power `k`, for `k` in `0..=SPAN`.
    decay_powers: [f32; SPAN + 1],
}

impl EnvelopeCursor {
    /// Total samples the voice sounds: the gate plus the release.
    pub fn length(&self) -> usize {
        self.gate + self.release
    }

    /// The level of the next sample.
    #[inline]
    pub fn next_level(&mut self) -> f32 {
        let mut level = [0.0];
        self.fill(&mut level);
        level[0]
    }

    /// Writes the levels of the next `levels.len()` samples.
    pub fn fill(&mut self, levels: &mut [f32]) {
        let mut done = 0;
        while done < levels.len() {
            let i = self.position;
            let rest = &mut levels[done..];
            let n = if i < self.gate && (i as f32) < self.attack {
                // Starts at 1/attack on the first sample, so the note is audible on its first sample.
                let n = rest
                    .len()
                    .min(self.gate - i)
                    .min(self.attack.ceil() as usize - i);
                let inverse = 1.0 / self.attack;
                for (k, l) in rest[..n].iter_mut().enumerate() {
                    *l = (i + k + 1) as i32 as f32 * inverse;
                }
                n
            } else if i < self.gate {
                // Exponential approach to the sustain level: −60 dB of the gap after `decay`.
                let n = rest.len().min(self.gate - i).min(SPAN);
                let (sustain, gap) = (self.sustain, (1.0 - self.sustain) * self.gap);
                for (l, p) in rest[..n].iter_mut().zip(&self.decay_powers) {
                    *l = sustain + gap * p;
                }
                self.gap *= self.decay_powers[n];
                n
            } else if i < self.gate + self.release {
                // A quartic fade reaches exactly zero at the end of the release, with zero slope.
                let n = rest.len().min(self.gate + self.release - i);
                let (start, inverse) = ((i - self.gate) as i32, 1.0 / self.release as f32);
                for (k, l) in rest[..n].iter_mut().enumerate() {
                    let x = 1.0 - (start + k as i32) as f32 * inverse;
                    let x2 = x * x;
                    *l = self.release_level * x2 * x2;
                }
                n
            } else {
                rest.fill(0.0);
                rest.len()
            };
            self.position += n;
            done += n;
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
    fn levels_in_blocks_match_levels_one_by_one() {
        let adsr = Adsr::new(0.01, 0.3, 0.4, 0.2);
        let mut one = adsr.at_rate(48_000.0, 20_000);
        let mut blocks = one;
        let singles: Vec<f32> = (0..one.length() + 50).map(|_| one.next_level()).collect();
        let mut filled = vec![0.0; singles.len()];
        for chunk in filled.chunks_mut(37) {
            blocks.fill(chunk);
        }
        let err = singles
            .iter()
            .zip(&filled)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 1e-5, "{err}");
    }

    #[test]
    fn release_starts_from_the_level_reached_when_released_early() {
        let mut e = Adsr::new(0.1, 0.1, 1.0, 0.1).at_rate(1_000.0, 50);
        let levels: Vec<f32> = (0..60).map(|_| e.next_level()).collect();
        let (held, released) = (levels[49], levels[50]);
        assert!((held - released).abs() < 0.02, "{held} vs {released}");
    }
}
