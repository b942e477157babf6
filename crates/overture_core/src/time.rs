//! Musical time: tempo, meter, positions on the beat grid and their exact
//! conversion to sample positions.
//!
//! Every position in Overture is an integer number of *ticks* on a grid of
//! [`TICKS_PER_QUARTER`] ticks per quarter note. A [`Tempo`] is stored in
//! thousandths of a beat per minute, so converting a tick to a sample index is
//! done in integer arithmetic and gives the same answer on every machine.
//!
//! ```
//! use overture_core::time::{Meter, Tempo};
//!
//! let tempo = Tempo::from_bpm(120.0).unwrap();
//! let meter = Meter::FOUR_FOUR;
//! // Beat 3 of bar 2 (both counted from 1, as musicians count).
//! let tick = meter.tick_at(2, 3).unwrap();
//! assert_eq!(tempo.ticks_to_samples(tick, 48_000), 144_000);
//! ```

use std::fmt;

use crate::error::CoreError;

/// Resolution of the beat grid: ticks per quarter note (the same as POP909's MIDI files).
pub const TICKS_PER_QUARTER: u32 = 480;

/// Ticks per sixteenth note, the finest grid the composer writes on.
pub const TICKS_PER_SIXTEENTH: u32 = TICKS_PER_QUARTER / 4;

/// A tempo, in beats (quarter notes) per minute, held to a thousandth of a BPM.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "f64", into = "f64")]
pub struct Tempo {
    millibpm: u32,
}

impl Tempo {
    /// The slowest tempo accepted, in BPM.
    pub const MIN_BPM: f64 = 10.0;
    /// The fastest tempo accepted, in BPM.
    pub const MAX_BPM: f64 = 400.0;
    /// The slowest tempo music may be asked for, in BPM: composer
    /// requests, scores, mood maps and prompts share this range. (A MIDI
    /// file may hold anything from [`MIN_BPM`](Self::MIN_BPM).)
    pub const MIN_MUSIC_BPM: f64 = 20.0;
    /// The fastest tempo music may be asked for, in BPM.
    pub const MAX_MUSIC_BPM: f64 = 300.0;

    /// Whether `bpm` is a number in
    /// [`MIN_MUSIC_BPM`](Self::MIN_MUSIC_BPM)..=[`MAX_MUSIC_BPM`](Self::MAX_MUSIC_BPM).
    pub fn is_music_bpm(bpm: f64) -> bool {
        bpm.is_finite() && (Self::MIN_MUSIC_BPM..=Self::MAX_MUSIC_BPM).contains(&bpm)
    }

    /// A tempo in beats per minute, rounded to a thousandth of a BPM.
    ///
    /// Errors when `bpm` is not finite or lies outside
    /// [`MIN_BPM`](Self::MIN_BPM)..=[`MAX_BPM`](Self::MAX_BPM).
    pub fn from_bpm(bpm: f64) -> Result<Self, CoreError> {
        if !bpm.is_finite() || !(Self::MIN_BPM..=Self::MAX_BPM).contains(&bpm) {
            return Err(CoreError::OutOfRange {
                what: "tempo (BPM)",
                expected: "between 10 and 400",
                found: format!("{bpm}"),
            });
        }
        Ok(Self {
            millibpm: (bpm * 1000.0).round() as u32,
        })
    }

    /// A tempo from a MIDI tempo meta event (microseconds per quarter note).
    pub fn from_micros_per_quarter(micros: u32) -> Result<Self, CoreError> {
        if micros == 0 {
            return Err(CoreError::OutOfRange {
                what: "MIDI tempo (microseconds per quarter note)",
                expected: "greater than 0",
                found: "0".into(),
            });
        }
        Self::from_bpm(60_000_000.0 / f64::from(micros))
    }

    /// Beats per minute.
    pub fn bpm(self) -> f64 {
        f64::from(self.millibpm) / 1000.0
    }

    /// Microseconds per quarter note, rounded, as written in MIDI tempo events.
    pub fn micros_per_quarter(self) -> u32 {
        ((60_000_000_000u64 + u64::from(self.millibpm) / 2) / u64::from(self.millibpm)) as u32
    }

    /// The sample index at which grid position `ticks` falls, at `sample_rate`
    /// frames per second, rounded to the nearest sample (halves round up).
    ///
    /// Computed in exact integer arithmetic.
    pub fn ticks_to_samples(self, ticks: u64, sample_rate: u32) -> u64 {
        // samples = ticks * 60 * sr / (bpm * tpq) = ticks * 60_000 * sr / (millibpm * tpq)
        let num = u128::from(ticks) * 60_000 * u128::from(sample_rate);
        let den = u128::from(self.millibpm) * u128::from(TICKS_PER_QUARTER);
        ((2 * num + den) / (2 * den)) as u64
    }

    /// The last grid tick at or before sample index `samples`.
    pub fn samples_to_ticks_floor(self, samples: u64, sample_rate: u32) -> u64 {
        let num = u128::from(samples) * u128::from(self.millibpm) * u128::from(TICKS_PER_QUARTER);
        let den = 60_000 * u128::from(sample_rate);
        // Step back while the rounded sample position of the candidate lies after `samples`.
        let mut t = (num / den) as u64;
        while t > 0 && self.ticks_to_samples(t, sample_rate) > samples {
            t -= 1;
        }
        while self.ticks_to_samples(t + 1, sample_rate) <= samples {
            t += 1;
        }
        t
    }

    /// Seconds per quarter note.
    pub fn seconds_per_beat(self) -> f64 {
        60.0 / self.bpm()
    }
}

impl Default for Tempo {
    fn default() -> Self {
        Self { millibpm: 120_000 }
    }
}

impl TryFrom<f64> for Tempo {
    type Error = CoreError;
    fn try_from(bpm: f64) -> Result<Self, Self::Error> {
        Self::from_bpm(bpm)
    }
}

impl From<Tempo> for f64 {
    fn from(t: Tempo) -> f64 {
        t.bpm()
    }
}

impl fmt::Display for Tempo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} BPM", self.bpm())
    }
}

/// A time signature: `beats_per_bar` beats of `1/beat_unit` notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Meter {
    /// Beats in one bar (the upper number).
    pub beats_per_bar: u8,
    /// The note value of one beat (the lower number: 4 for quarters, 8 for eighths).
    pub beat_unit: u8,
}

impl Meter {
    /// Common time, 4/4.
    pub const FOUR_FOUR: Meter = Meter {
        beats_per_bar: 4,
        beat_unit: 4,
    };

    /// A validated meter. `beat_unit` must be 1, 2, 4, 8 or 16 and `beats_per_bar` 1..=32.
    pub fn new(beats_per_bar: u8, beat_unit: u8) -> Result<Self, CoreError> {
        if !(1..=32).contains(&beats_per_bar) {
            return Err(CoreError::OutOfRange {
                what: "beats per bar",
                expected: "between 1 and 32",
                found: beats_per_bar.to_string(),
            });
        }
        if ![1, 2, 4, 8, 16].contains(&beat_unit) {
            return Err(CoreError::OutOfRange {
                what: "beat unit",
                expected: "1, 2, 4, 8 or 16",
                found: beat_unit.to_string(),
            });
        }
        Ok(Self {
            beats_per_bar,
            beat_unit,
        })
    }

    /// Ticks in one beat of this meter.
    pub fn ticks_per_beat(self) -> u32 {
        TICKS_PER_QUARTER * 4 / u32::from(self.beat_unit)
    }

    /// Ticks in one bar of this meter.
    pub fn ticks_per_bar(self) -> u32 {
        self.ticks_per_beat() * u32::from(self.beats_per_bar)
    }

    /// The tick at which `beat` of `bar` begins, both counted from 1 as musicians count.
    pub fn tick_at(self, bar: u32, beat: u32) -> Result<u64, CoreError> {
        if bar == 0 || beat == 0 || beat > u32::from(self.beats_per_bar) {
            return Err(CoreError::OutOfRange {
                what: "bar and beat",
                expected: "bar ≥ 1 and beat between 1 and the beats per bar",
                found: format!("bar {bar}, beat {beat} in {self}"),
            });
        }
        Ok(u64::from(bar - 1) * u64::from(self.ticks_per_bar())
            + u64::from(beat - 1) * u64::from(self.ticks_per_beat()))
    }

    /// The bar and beat (both from 1) and tick within the beat of grid position `tick`.
    pub fn position(self, tick: u64) -> BarBeat {
        let bar = tick / u64::from(self.ticks_per_bar());
        let in_bar = tick % u64::from(self.ticks_per_bar());
        BarBeat {
            bar: bar as u32 + 1,
            beat: (in_bar / u64::from(self.ticks_per_beat())) as u32 + 1,
            tick: (in_bar % u64::from(self.ticks_per_beat())) as u32,
        }
    }
}

impl Default for Meter {
    fn default() -> Self {
        Self::FOUR_FOUR
    }
}

impl fmt::Display for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.beats_per_bar, self.beat_unit)
    }
}

/// A position written the way musicians read it: bar and beat counted from 1,
/// plus ticks into the beat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BarBeat {
    /// Bar number, from 1.
    pub bar: u32,
    /// Beat within the bar, from 1.
    pub beat: u32,
    /// Ticks after the beat's start.
    pub tick: u32,
}

impl fmt::Display for BarBeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.bar, self.beat)?;
        if self.tick != 0 {
            write!(f, "+{}", self.tick)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn beat_three_of_bar_two_at_120_bpm_is_exact_at_common_rates() {
        let t = Tempo::from_bpm(120.0).unwrap();
        let tick = Meter::FOUR_FOUR.tick_at(2, 3).unwrap();
        assert_eq!(tick, 6 * 480);
        // 6 beats at 0.5 s each = 3 s.
        assert_eq!(t.ticks_to_samples(tick, 48_000), 144_000);
        assert_eq!(t.ticks_to_samples(tick, 44_100), 132_300);
    }

    #[test]
    fn sample_conversion_rounds_to_nearest_sample_at_odd_tempos() {
        let t = Tempo::from_bpm(137.0).unwrap();
        // One sixteenth at 137 BPM and 44.1 kHz = 44100*60/137/4 = 4828.467… samples.
        assert_eq!(t.ticks_to_samples(120, 44_100), 4828);
        assert_eq!(t.ticks_to_samples(240, 44_100), 9657);
    }

    #[test]
    fn samples_to_ticks_floor_inverts_ticks_to_samples() {
        for bpm in [60.0, 91.5, 137.0, 174.0] {
            let t = Tempo::from_bpm(bpm).unwrap();
            for sr in [44_100, 48_000] {
                for ticks in [0u64, 1, 7, 480, 1919, 123_456] {
                    let s = t.ticks_to_samples(ticks, sr);
                    assert!(t.samples_to_ticks_floor(s, sr) >= ticks);
                    let back = t.samples_to_ticks_floor(s, sr);
                    assert!(t.ticks_to_samples(back, sr) <= s);
                    assert!(t.ticks_to_samples(back + 1, sr) > s);
                }
            }
        }
    }

    #[test]
    fn tempo_rejects_values_outside_the_documented_range() {
        let err = Tempo::from_bpm(0.0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tempo (BPM) must be between 10 and 400, but was 0"
        );
        assert!(Tempo::from_bpm(f64::NAN).is_err());
    }

    #[test]
    fn midi_tempo_round_trips_through_microseconds() {
        let t = Tempo::from_micros_per_quarter(500_000).unwrap();
        assert_eq!(t.bpm(), 120.0);
        assert_eq!(t.micros_per_quarter(), 500_000);
    }

    #[test]
    fn positions_read_back_as_bar_and_beat() {
        let m = Meter::new(3, 4).unwrap();
        let p = m.position(m.tick_at(5, 2).unwrap() + 10);
        assert_eq!(
            p,
            BarBeat {
                bar: 5,
                beat: 2,
                tick: 10
            }
        );
        assert_eq!(p.to_string(), "5:2+10");
        assert!(m.tick_at(1, 4).is_err());
    }
}
