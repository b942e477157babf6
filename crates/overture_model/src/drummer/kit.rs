//! The drum kit the drummer plays: nine voices, the usual reduction of a
//! General MIDI kit (and of the Groove MIDI Dataset's Roland TD-11 notes).

use overture_core::note::drums;

/// One of the drummer's nine voices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Voice {
    /// Bass drum.
    Kick,
    /// Snare, rim shot or cross-stick.
    Snare,
    /// Closed or pedal hi-hat.
    HatClosed,
    /// Open hi-hat.
    HatOpen,
    /// Floor (low) tom.
    TomLow,
    /// Mid tom.
    TomMid,
    /// High tom.
    TomHigh,
    /// Crash or splash or china cymbal.
    Crash,
    /// Ride cymbal or bell.
    Ride,
}

impl Voice {
    /// Every voice, in the network's order.
    pub const ALL: [Voice; 9] = [
        Voice::Kick,
        Voice::Snare,
        Voice::HatClosed,
        Voice::HatOpen,
        Voice::TomLow,
        Voice::TomMid,
        Voice::TomHigh,
        Voice::Crash,
        Voice::Ride,
    ];

    /// Number of voices.
    pub const COUNT: usize = Self::ALL.len();

    /// The voice's index in [`Voice::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The voice a General MIDI (or TD-11) drum note plays, if any.
    pub fn from_pitch(pitch: u8) -> Option<Voice> {
        Some(match pitch {
            35 | 36 => Voice::Kick,
            37..=40 => Voice::Snare,
            22 | 42 | 44 => Voice::HatClosed,
            26 | 46 => Voice::HatOpen,
            41 | 43 | 58 => Voice::TomLow,
            45 | 47 => Voice::TomMid,
            48 | 50 => Voice::TomHigh,
            49 | 52 | 55 | 57 => Voice::Crash,
            51 | 53 | 59 => Voice::Ride,
            _ => return None,
        })
    }

    /// The General MIDI note the voice is written as.
    pub fn pitch(self) -> u8 {
        match self {
            Voice::Kick => drums::KICK,
            Voice::Snare => drums::SNARE,
            Voice::HatClosed => drums::HAT_CLOSED,
            Voice::HatOpen => drums::HAT_OPEN,
            Voice::TomLow => drums::TOM_LOW,
            Voice::TomMid => drums::TOM_MID,
            Voice::TomHigh => drums::TOM_HIGH,
            Voice::Crash => drums::CRASH,
            Voice::Ride => drums::RIDE,
        }
    }

    /// Whether the voice is a tom (fills are told by them).
    pub fn is_tom(self) -> bool {
        matches!(self, Voice::TomLow | Voice::TomMid | Voice::TomHigh)
    }

    /// A short lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Voice::Kick => "kick",
            Voice::Snare => "snare",
            Voice::HatClosed => "closed hat",
            Voice::HatOpen => "open hat",
            Voice::TomLow => "low tom",
            Voice::TomMid => "mid tom",
            Voice::TomHigh => "high tom",
            Voice::Crash => "crash",
            Voice::Ride => "ride",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_voice_round_trips_through_its_pitch() {
        for v in Voice::ALL {
            assert_eq!(Voice::from_pitch(v.pitch()), Some(v), "{v:?}");
            assert_eq!(Voice::ALL[v.index()], v);
        }
        assert_eq!(Voice::from_pitch(60), None);
    }
}
