//! Messages from the game thread to the audio thread.

use crate::clip::{Bus, Clip, GainRamp};

/// One command through the conductor's lock-free queue.
#[derive(Debug)]
pub(crate) enum Command {
    /// Add a clip to the timeline.
    Schedule { id: u64, clip: Clip },
    /// Queue a gain ramp on a clip.
    Ramp { id: u64, ramp: GainRamp },
    /// Queue a gain ramp on a bus.
    BusRamp { bus: Bus, ramp: GainRamp },
    /// Stop a clip at a sample (the earliest stop wins).
    Stop { id: u64, at: u64 },
    /// Stop every clip at a sample.
    StopAll { at: u64 },
}
