//! The game-thread side of the conductor.

use std::{
    fmt,
    sync::{Arc, Mutex, atomic::Ordering},
};

use super::{Command, Shared};
use crate::clip::{Bus, Clip, ClipData, GainRamp};

/// Identifies a clip scheduled on a conductor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClipId(u64);

/// Why a command could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandError {
    /// The command queue is full: the audio thread has not drained it since
    /// `capacity` commands were sent (it drains it on every callback).
    QueueFull {
        /// The queue's capacity.
        capacity: usize,
    },
    /// A clip with no frames cannot be scheduled.
    EmptyClip,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::QueueFull { capacity } => write!(
                f,
                "the conductor's command queue is full ({capacity} commands): is the audio thread running?"
            ),
            Self::EmptyClip => write!(f, "a clip must have at least one frame, but had 0"),
        }
    }
}

impl std::error::Error for CommandError {}

/// Counters the audio thread publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConductorStats {
    /// Clips waiting or playing after the last callback.
    pub active_clips: u32,
    /// Commands dropped because the clip table or a clip's ramp list was full.
    pub rejected: u64,
    /// Clips and ramps that arrived after their start sample had already been
    /// rendered; they were joined in progress, aligned to their start sample.
    pub late: u64,
    /// Ramps and stops for clips that had already ended (or never fitted).
    pub unknown_clip: u64,
    /// Frames rendered.
    pub frames: u64,
    /// Time spent in the audio callback, in nanoseconds.
    pub busy_nanos: u64,
    /// Frames the master bus limiter turned down (gain below 1).
    pub limited_frames: u64,
}

impl ConductorStats {
    /// Share of real time spent in the audio callback since `earlier` (0.01
    /// is 1% of one core), at `sample_rate`.
    pub fn load_since(&self, earlier: &ConductorStats, sample_rate: u32) -> f64 {
        let frames = self.frames.saturating_sub(earlier.frames);
        if frames == 0 || sample_rate == 0 {
            return 0.0;
        }
        let real = frames as f64 / f64::from(sample_rate);
        self.busy_nanos.saturating_sub(earlier.busy_nanos) as f64 * 1e-9 / real
    }
}

/// Controls a [`Conductor`](super::Conductor) from the game thread.
///
/// Dropping the handle removes the conductor from kira's mixer.
pub struct ConductorHandle {
    // `Mutex` only to make the handle `Sync`; every method takes `&mut self`
    // and uses `get_mut`, which never locks.
    producer: Mutex<rtrb::Producer<Command>>,
    shared: Arc<Shared>,
    next_id: u64,
    // Every buffer sent to the audio thread, kept until the audio side has
    // let go of it, so the audio thread never drops the last reference.
    keep_alive: Vec<ClipData>,
}

impl fmt::Debug for ConductorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConductorHandle")
            .field("position", &self.position())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl ConductorHandle {
    pub(super) fn new(producer: rtrb::Producer<Command>, shared: Arc<Shared>) -> Self {
        Self {
            producer: Mutex::new(producer),
            shared,
            next_id: 0,
            keep_alive: Vec::new(),
        }
    }

    /// Frames the conductor has rendered so far: the sample index, on its own
    /// clock, of the first frame of the next buffer. A command sent now takes
    /// effect from the next buffer on, so schedule at least one audio buffer
    /// ahead of this.
    pub fn position(&self) -> u64 {
        Shared::load(&self.shared.position)
    }

    /// The sample rate the conductor last ran at, or `None` before its first callback.
    pub fn sample_rate(&self) -> Option<u32> {
        match self.shared.sample_rate.load(Ordering::Acquire) {
            0 => None,
            sr => Some(sr),
        }
    }

    /// The audio thread's counters.
    pub fn stats(&self) -> ConductorStats {
        ConductorStats {
            active_clips: self.shared.active_clips.load(Ordering::Acquire),
            rejected: Shared::load(&self.shared.rejected),
            late: Shared::load(&self.shared.late),
            unknown_clip: Shared::load(&self.shared.unknown_clip),
            frames: Shared::load(&self.shared.position),
            busy_nanos: Shared::load(&self.shared.busy_nanos),
            limited_frames: Shared::load(&self.shared.limited),
        }
    }

    /// Schedules `clip`. Its first frame plays exactly at `clip.start`.
    pub fn schedule(&mut self, clip: Clip) -> Result<ClipId, CommandError> {
        if clip.data.is_empty() {
            return Err(CommandError::EmptyClip);
        }
        self.collect_garbage();
        let id = self.next_id;
        let data = clip.data.clone();
        self.send(Command::Schedule { id, clip })?;
        self.next_id += 1;
        if !self.keep_alive.iter().any(|d| d.ptr_eq(&data)) {
            self.keep_alive.push(data);
        }
        Ok(ClipId(id))
    }

    /// Ramps the gain of clip `id`: samples before `ramp.at` keep their gain,
    /// and `ramp.target` is reached at `ramp.at + ramp.duration`. A ramp that
    /// starts while another is running takes over from the gain reached.
    ///
    /// A ramp replaces the clip's ramps that have not started yet and would
    /// start at or after it; up to
    /// [`PENDING_RAMPS_PER_CLIP`](super::PENDING_RAMPS_PER_CLIP) ramps with
    /// earlier starts can wait at once (more are rejected and counted).
    pub fn set_gain(&mut self, id: ClipId, ramp: GainRamp) -> Result<(), CommandError> {
        self.send(Command::Ramp { id: id.0, ramp })
    }

    /// Ramps the gain of a whole bus (every clip on it is multiplied by it),
    /// for example to duck the bed under a stinger.
    /// Pending ramps are replaced as in [`set_gain`](Self::set_gain).
    pub fn set_bus_gain(&mut self, bus: Bus, ramp: GainRamp) -> Result<(), CommandError> {
        self.send(Command::BusRamp { bus, ramp })
    }

    /// Stops clip `id` at sample `at`: its last frame is the one before `at`.
    pub fn stop(&mut self, id: ClipId, at: u64) -> Result<(), CommandError> {
        self.send(Command::Stop { id: id.0, at })
    }

    /// Stops every clip scheduled so far at sample `at`.
    pub fn stop_all(&mut self, at: u64) -> Result<(), CommandError> {
        self.send(Command::StopAll { at })
    }

    /// Frees clip buffers the audio thread no longer uses (called by
    /// [`schedule`](Self::schedule) too).
    pub fn collect_garbage(&mut self) {
        self.keep_alive.retain(|d| d.reference_count() > 1);
    }

    fn send(&mut self, command: Command) -> Result<(), CommandError> {
        let producer = self
            .producer
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let capacity = producer.buffer().capacity();
        producer
            .push(command)
            .map_err(|_| CommandError::QueueFull { capacity })
    }
}

impl Drop for ConductorHandle {
    fn drop(&mut self) {
        self.shared.removed.store(true, Ordering::Release);
    }
}
