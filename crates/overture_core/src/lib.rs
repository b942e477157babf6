//! The music vocabulary of Overture: time, keys, chords, notes, tracks,
//! sections, mood, arrangements, and MIDI import and export.
//!
//! This crate has no audio, machine-learning or engine dependencies; every other
//! Overture crate speaks in its types.
//!
//! ```
//! use overture_core::prelude::*;
//!
//! let mut main = Arrangement::new(
//!     SectionKind::Main,
//!     Tempo::from_bpm(120.0)?,
//!     Meter::FOUR_FOUR,
//!     "D:min".parse()?,
//!     2,
//! );
//! // A4 on beat 3 of bar 2, one beat long.
//! let start = main.meter.tick_at(2, 3)? as u32;
//! main.track_mut(Role::Melody).notes.push(Note::new(start, 69, TICKS_PER_QUARTER, 100));
//! assert_eq!(main.tempo.ticks_to_samples(start as u64, 48_000), 144_000);
//!
//! // Export to MIDI and read it back.
//! let song = overture_core::midi::parse_midi(&overture_core::midi::write_midi(&main))?;
//! assert_eq!(song.parts[0].notes, main.track(Role::Melody).unwrap().notes);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod analysis;
pub mod arrangement;
pub mod chord;
pub mod drumming;
pub mod error;
pub mod key;
pub mod midi;
pub mod mood;
pub mod motif;
pub mod note;
pub mod score;
pub mod section;
pub mod time;
pub mod track;

pub use error::CoreError;

/// The types most code needs.
pub mod prelude {
    pub use crate::{
        arrangement::{Arrangement, Provenance},
        chord::{Chord, ChordQuality, ChordSpan},
        error::CoreError,
        key::{Key, Mode, PitchClass},
        mood::{Intensity, Mood},
        note::Note,
        section::SectionKind,
        time::{Meter, TICKS_PER_QUARTER, Tempo},
        track::{Role, Track},
    };
}
