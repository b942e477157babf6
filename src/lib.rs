//! Overture: adaptive, generative soundtracks for games.
//!
//! This facade re-exports Overture's crates and a [`prelude`]: the music
//! vocabulary ([`core`]), the composer ([`model`]), the synthesizer
//! ([`synth`]), sample-exact playback and direction ([`engine`]), mood maps
//! ([`moodmap`]) and the Bevy plugin ([`OverturePlugin`], from [`bevy`]).
//!
//! ```
//! use overture::prelude::*;
//!
//! let song = overture::core::midi::read_midi(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/music/theme.mid"))?;
//! let mut main = song.to_arrangement(|part| part.suggested_role())?;
//! main.section = SectionKind::Main;
//! let rendered = render(&main, &Palette::builtin("ambient")?, &RenderSettings::default())?;
//! // A main section renders as a seamless loop of exactly its bars.
//! assert_eq!(rendered.loop_frames, Some(rendered.mix.len()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use overture_bevy as bevy;
pub use overture_bevy::OverturePlugin;
pub use overture_core as core;
pub use overture_engine as engine;
pub use overture_model as model;
pub use overture_moodmap as moodmap;
pub use overture_synth as synth;

/// The types most users need, from every Overture crate.
pub mod prelude {
    pub use overture_bevy::prelude::*;
    pub use overture_core::prelude::*;
    pub use overture_engine::{Director, MusicEvent, MusicStatus, score::Score};
    pub use overture_model::{Composer, ModelError, MoodSet, Request, Sampling};
    pub use overture_synth::{
        Palette, RenderSettings, Rendered, StereoBuffer, SynthError, render,
        render::{Processing, StemLoudness},
    };
}
