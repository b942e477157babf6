//! Notes on the beat grid.

/// A note: MIDI pitch and velocity, placed on the grid in ticks
/// ([`TICKS_PER_QUARTER`](crate::time::TICKS_PER_QUARTER) per quarter note).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Note {
    /// Start, in ticks from the start of the section.
    pub start: u32,
    /// MIDI pitch, 0..=127 (60 = middle C, 69 = A4 = 440 Hz).
    pub pitch: u8,
    /// Length in ticks, at least 1.
    pub duration: u32,
    /// MIDI velocity, 1..=127.
    pub velocity: u8,
}

impl Note {
    /// A note; `duration` is raised to 1 tick and `velocity` clamped into 1..=127.
    pub fn new(start: u32, pitch: u8, duration: u32, velocity: u8) -> Self {
        Self {
            start,
            pitch: pitch.min(127),
            duration: duration.max(1),
            velocity: velocity.clamp(1, 127),
        }
    }

    /// The tick just after the note ends.
    pub fn end(&self) -> u32 {
        self.start + self.duration
    }

    /// Frequency in Hz in twelve-tone equal temperament with A4 = 440 Hz.
    pub fn frequency(&self) -> f64 {
        midi_to_hz(self.pitch)
    }
}

/// Frequency in Hz of a MIDI pitch in twelve-tone equal temperament, A4 (69) = 440 Hz.
pub fn midi_to_hz(pitch: u8) -> f64 {
    440.0 * 2f64.powf((f64::from(pitch) - 69.0) / 12.0)
}

/// General MIDI percussion keys (channel 10) that the built-in drum kit plays.
pub mod drums {
    /// Acoustic bass drum.
    pub const KICK: u8 = 36;
    /// Side stick / rim shot.
    pub const RIM: u8 = 37;
    /// Acoustic snare.
    pub const SNARE: u8 = 38;
    /// Hand clap.
    pub const CLAP: u8 = 39;
    /// Low floor tom.
    pub const TOM_LOW: u8 = 41;
    /// Closed hi-hat.
    pub const HAT_CLOSED: u8 = 42;
    /// Pedal hi-hat.
    pub const HAT_PEDAL: u8 = 44;
    /// Low-mid tom.
    pub const TOM_MID: u8 = 47;
    /// Open hi-hat.
    pub const HAT_OPEN: u8 = 46;
    /// Crash cymbal 1.
    pub const CRASH: u8 = 49;
    /// High tom.
    pub const TOM_HIGH: u8 = 50;
    /// Ride cymbal 1.
    pub const RIDE: u8 = 51;
}
