//! The beat grid of the music playing: where beats, bars and phrases fall
//! on the conductor's sample clock.

use overture_core::time::{BarBeat, Meter, Tempo};

use crate::{next_grid_sample, score::Quantize};

/// A tempo and meter anchored at a sample: bar 1, beat 1 of the section
/// playing begins at `anchor`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// The sample of the section's first downbeat.
    pub anchor: u64,
    /// Tempo.
    pub tempo: Tempo,
    /// Meter.
    pub meter: Meter,
    /// Frames per second.
    pub sample_rate: u32,
}

impl Grid {
    /// The sample at which grid tick `tick` (from the anchor) falls.
    pub fn sample_at_tick(&self, tick: u64) -> u64 {
        self.anchor + self.tempo.ticks_to_samples(tick, self.sample_rate)
    }

    /// Frames in `beats` beats (rounded to the nearest frame).
    pub fn beats_to_frames(&self, beats: f64) -> u64 {
        let beat = self
            .tempo
            .ticks_to_samples(u64::from(self.meter.ticks_per_beat()), self.sample_rate);
        (beats.max(0.0) * beat as f64).round() as u64
    }

    /// Ticks in one step of `quantize`.
    pub fn step_ticks(&self, quantize: Quantize) -> u64 {
        quantize.beats(u32::from(self.meter.beats_per_bar)) * u64::from(self.meter.ticks_per_beat())
    }

    /// The first line of `quantize` at or after sample `not_before`.
    pub fn next_line(&self, quantize: Quantize, not_before: u64) -> u64 {
        self.anchor
            + next_grid_sample(
                self.tempo,
                self.step_ticks(quantize),
                self.sample_rate,
                not_before.saturating_sub(self.anchor),
            )
    }

    /// Whether sample `sample` falls exactly on a line of `quantize`.
    pub fn is_line(&self, quantize: Quantize, sample: u64) -> bool {
        sample >= self.anchor && self.next_line(quantize, sample) == sample
    }

    /// Bar and beat (from 1) at sample `sample` (bar 1 before the anchor).
    pub fn position(&self, sample: u64) -> BarBeat {
        let tick = self
            .tempo
            .samples_to_ticks_floor(sample.saturating_sub(self.anchor), self.sample_rate);
        self.meter.position(tick)
    }

    /// The index of the beat (from 0 at the anchor) playing at `sample`.
    pub fn beat_index(&self, sample: u64) -> u64 {
        self.tempo
            .samples_to_ticks_floor(sample.saturating_sub(self.anchor), self.sample_rate)
            / u64::from(self.meter.ticks_per_beat())
    }
}
