//! Clips: immutable stereo audio shared between the game and the audio thread.

use std::sync::Arc;

use kira::Frame;
use overture_synth::buffer::StereoBuffer;

/// Immutable stereo audio, shared by reference count between the game thread
/// and the audio thread.
///
/// Cloning is cheap (one atomic increment). The same data can be scheduled as
/// many clips as needed; the [`ConductorHandle`](crate::ConductorHandle) keeps
/// a reference to every buffer it has sent, so the audio thread never frees
/// the last one.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipData {
    frames: Arc<[Frame]>,
}

impl ClipData {
    /// Clip data from interleaved stereo frames.
    pub fn from_frames(frames: impl Into<Arc<[Frame]>>) -> Self {
        Self {
            frames: frames.into(),
        }
    }

    /// The frames.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether there are no frames.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Whether `self` and `other` share the same allocation.
    pub fn ptr_eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.frames, &other.frames)
    }

    /// Number of live references to the data (this one included).
    pub(crate) fn reference_count(&self) -> usize {
        Arc::strong_count(&self.frames)
    }
}

impl From<&StereoBuffer> for ClipData {
    fn from(buffer: &StereoBuffer) -> Self {
        let frames: Vec<Frame> = buffer
            .left
            .iter()
            .zip(&buffer.right)
            .map(|(&l, &r)| Frame::new(l, r))
            .collect();
        Self::from_frames(frames)
    }
}

pub use overture_core::score::RampShape;

/// A gain change: from whatever the gain is at sample `at` to `target`,
/// reached exactly at sample `at + duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GainRamp {
    /// The first sample of the ramp, on the conductor's sample clock. Samples
    /// before it are untouched.
    pub at: u64,
    /// Length of the ramp in samples; 0 jumps to `target` at `at`.
    pub duration: u64,
    /// The gain (linear amplitude) reached at `at + duration` and held after.
    pub target: f32,
    /// The curve between the two.
    pub shape: RampShape,
}

impl GainRamp {
    /// A linear ramp to `target` over `duration` samples starting at sample `at`.
    pub fn linear(at: u64, duration: u64, target: f32) -> Self {
        Self {
            at,
            duration,
            target,
            shape: RampShape::Linear,
        }
    }

    /// An equal-power ramp to `target` over `duration` samples starting at sample `at`.
    pub fn equal_power(at: u64, duration: u64, target: f32) -> Self {
        Self {
            at,
            duration,
            target,
            shape: RampShape::EqualPower,
        }
    }

    /// The sample at which the target is reached.
    pub fn end(&self) -> u64 {
        self.at.saturating_add(self.duration)
    }

    /// The gain at sample `t` (at or after `at`) for a ramp that began at gain `from`.
    pub(crate) fn gain_at(&self, from: f32, t: u64) -> f32 {
        if t >= self.end() {
            return self.target;
        }
        let x = (t.saturating_sub(self.at)) as f64 / self.duration as f64;
        match self.shape {
            RampShape::Linear => {
                (f64::from(from) + (f64::from(self.target) - f64::from(from)) * x) as f32
            }
            RampShape::EqualPower => {
                let a = x * std::f64::consts::FRAC_PI_2;
                (f64::from(from) * a.cos() + f64::from(self.target) * a.sin()) as f32
            }
        }
    }
}

/// A clip to schedule on the conductor: what to play, from which sample, how
/// loud, whether to loop and when to stop.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// The audio.
    pub data: ClipData,
    /// The sample, on the conductor's own sample clock, at which the clip's
    /// first frame plays.
    pub start: u64,
    /// Repeat the data back to back, with no gap, until stopped.
    pub looping: bool,
    /// The gain (linear amplitude) from the first sample on, until a ramp changes it.
    pub gain: f32,
    /// The first sample at which the clip is silent for good, if any.
    pub stop: Option<u64>,
    /// The bus it plays on.
    pub bus: Bus,
}

impl Clip {
    /// A one-shot clip at gain 1 starting at sample `start`.
    pub fn new(data: ClipData, start: u64) -> Self {
        Self {
            data,
            start,
            looping: false,
            gain: 1.0,
            stop: None,
            bus: Bus::Bed,
        }
    }

    /// Sets whether the clip loops.
    #[must_use]
    pub fn looping(mut self, looping: bool) -> Self {
        self.looping = looping;
        self
    }

    /// Sets the starting gain (linear amplitude).
    #[must_use]
    pub fn gain(mut self, gain: f32) -> Self {
        self.gain = gain;
        self
    }

    /// Sets the bus the clip plays on.
    #[must_use]
    pub fn on_bus(mut self, bus: Bus) -> Self {
        self.bus = bus;
        self
    }

    /// Sets the sample at which the clip stops.
    #[must_use]
    pub fn stop_at(mut self, stop: u64) -> Self {
        self.stop = Some(stop);
        self
    }
}

/// A group of clips whose summed output has a gain of its own.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Bus {
    /// The music bed: intros, mains, outros and their layers.
    #[default]
    Bed,
    /// One-shot phrases over the bed.
    Stinger,
}

impl Bus {
    /// Number of buses.
    pub const COUNT: usize = 2;
    /// Every bus, in mixing order.
    pub const ALL: [Bus; Bus::COUNT] = [Bus::Bed, Bus::Stinger];

    /// Index into per-bus tables.
    pub fn index(self) -> usize {
        self as usize
    }
}
