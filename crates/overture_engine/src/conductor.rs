//! The conductor: a kira [`Sound`](kira::sound::Sound) that plays a timeline
//! of clips on its own sample clock, to the sample.
//!
//! kira's clocks advance once per internal chunk, so a sound started at a
//! clock tick begins up to one chunk early. The conductor instead counts the
//! frames it has produced itself: a clip scheduled at sample `S` plays its
//! first frame at offset `S − buffer_start` of the buffer that contains `S`,
//! however kira or the audio driver chunk the output.
//!
//! The game thread talks to it through a [`ConductorHandle`]: commands go
//! through a bounded lock-free queue (drained at the start of every
//! `process` call, without allocating), and the handle reads the conductor's
//! position (frames rendered so far) from an atomic to decide where the next
//! bar begins (see [`next_grid_sample`]).
//!
//! ```
//! use overture_core::time::{Meter, Tempo};
//! use overture_engine::{Clip, ClipData, Engine, next_grid_sample};
//! use kira::Frame;
//!
//! let mut engine = Engine::offline(48_000, 512)?;
//! let stem = ClipData::from_frames(vec![Frame::new(0.25, 0.25); 4_800]);
//! let tempo = Tempo::from_bpm(120.0)?;
//! // The first bar line at least 1024 samples after where playback is now.
//! let bar = Meter::FOUR_FOUR.ticks_per_bar().into();
//! let now = engine.conductor().position();
//! let start = next_grid_sample(tempo, bar, 48_000, now + 1024);
//! assert_eq!(start, 96_000);
//! engine.conductor().schedule(Clip::new(stem, start).looping(true))?;
//! let out = engine.render(96_001);
//! assert_eq!(out.left[95_999], 0.0);
//! assert_eq!(out.left[96_000], 0.25);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod command;
mod handle;
mod sound;
#[cfg(test)]
mod test;

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering},
};

use overture_core::time::Tempo;

use crate::limiter::{LimiterError, LimiterSettings};

pub use handle::{ClipId, CommandError, ConductorHandle, ConductorStats};
pub use sound::Conductor;

use command::Command;

/// Default number of clips the conductor can hold at once.
pub const DEFAULT_CLIP_CAPACITY: usize = 64;
/// Default capacity of the command queue.
pub const DEFAULT_COMMAND_CAPACITY: usize = 256;
/// Gain ramps that can wait on one clip at once.
pub const PENDING_RAMPS_PER_CLIP: usize = 4;

/// Builds a [`Conductor`] and its [`ConductorHandle`]; as a kira
/// [`SoundData`](kira::sound::SoundData) it can be passed to
/// [`AudioManager::play`](kira::AudioManager::play).
#[derive(Debug, Clone, Copy, PartialEq)]
#[must_use = "a builder does nothing until it is built or used"]
pub struct ConductorBuilder {
    /// Clips that can be scheduled (waiting or playing) at once. Further
    /// schedules are rejected and counted in
    /// [`ConductorStats::rejected`].
    pub clip_capacity: usize,
    /// Commands that can wait in the queue between two audio callbacks.
    pub command_capacity: usize,
    /// The master bus limiter (validated by [`limiter`](Self::limiter)).
    limiter: Option<LimiterSettings>,
}

impl Default for ConductorBuilder {
    fn default() -> Self {
        Self {
            clip_capacity: DEFAULT_CLIP_CAPACITY,
            command_capacity: DEFAULT_COMMAND_CAPACITY,
            limiter: Some(LimiterSettings::default()),
        }
    }
}

impl ConductorBuilder {
    /// A builder with the default capacities.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the clip capacity.
    pub fn clip_capacity(mut self, clip_capacity: usize) -> Self {
        self.clip_capacity = clip_capacity;
        self
    }

    /// Sets the command queue capacity.
    pub fn command_capacity(mut self, command_capacity: usize) -> Self {
        self.command_capacity = command_capacity;
        self
    }

    /// Sets the master bus limiter (on by default, with
    /// [`LimiterSettings::default`]); `None` turns it off, so the output is
    /// the plain sum of the clips and may exceed full scale.
    pub fn limiter(mut self, limiter: Option<LimiterSettings>) -> Result<Self, LimiterError> {
        if let Some(settings) = &limiter {
            settings.validate()?;
        }
        self.limiter = limiter;
        Ok(self)
    }

    /// The master bus limiter's settings, if it is on.
    pub fn limiter_settings(&self) -> Option<LimiterSettings> {
        self.limiter
    }

    /// Builds the audio-thread conductor and its game-thread handle. Every
    /// allocation the conductor will ever need happens here.
    pub fn build(self) -> (Conductor, ConductorHandle) {
        let (producer, consumer) = rtrb::RingBuffer::<Command>::new(self.command_capacity.max(1));
        let shared = Arc::new(Shared::default());
        (
            Conductor::new(consumer, shared.clone(), self.clip_capacity, self.limiter),
            ConductorHandle::new(producer, shared),
        )
    }
}

impl kira::sound::SoundData for ConductorBuilder {
    type Error = std::convert::Infallible;
    type Handle = ConductorHandle;

    fn into_sound(self) -> Result<(Box<dyn kira::sound::Sound>, Self::Handle), Self::Error> {
        let (conductor, handle) = self.build();
        Ok((Box::new(conductor), handle))
    }
}

/// State the audio thread publishes to the game thread, and the handle's
/// removal flag.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    position: AtomicU64,
    sample_rate: AtomicU32,
    active_clips: AtomicU32,
    rejected: AtomicU64,
    late: AtomicU64,
    unknown_clip: AtomicU64,
    busy_nanos: AtomicU64,
    limited: AtomicU64,
    removed: AtomicBool,
}

impl Shared {
    fn load(v: &AtomicU64) -> u64 {
        v.load(Ordering::Acquire)
    }
}

/// The first sample at or after `not_before` that falls on a multiple of
/// `grid_ticks` (a beat, a bar: see [`Meter`](overture_core::time::Meter)),
/// with tick 0 at sample 0, converted with
/// [`Tempo::ticks_to_samples`].
///
/// # Panics
///
/// Panics when `grid_ticks` is 0.
pub fn next_grid_sample(tempo: Tempo, grid_ticks: u64, sample_rate: u32, not_before: u64) -> u64 {
    assert!(grid_ticks > 0, "the grid must be at least one tick long");
    let tick = tempo.samples_to_ticks_floor(not_before, sample_rate);
    let mut line = tick / grid_ticks * grid_ticks;
    while tempo.ticks_to_samples(line, sample_rate) < not_before {
        line += grid_ticks;
    }
    tempo.ticks_to_samples(line, sample_rate)
}
