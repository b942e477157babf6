//! The synthesizer of Overture: notes become stereo stems.
//!
//! An [`Arrangement`](overture_core::arrangement::Arrangement) and a
//! [`Palette`] go into [`render()`](fn@render), which
//! gives one stem per track and their mix, normalized to a target loudness with
//! a true-peak ceiling. Main sections come out as seamless loops. The central
//! pieces live in [`render`](mod@render) (the renderer), [`instrument`] (voices, drums,
//! SoundFonts), [`palette`] (built-in palettes), [`loudness`] (EBU R128) and
//! [`wav`] (export with provenance).
//!
//! ```
//! use overture_core::prelude::*;
//! use overture_synth::{palette::Palette, render::{render, RenderSettings}};
//!
//! let mut main = Arrangement::new(
//!     SectionKind::Main, Tempo::from_bpm(120.0)?, Meter::FOUR_FOUR, "A:min".parse()?, 1,
//! );
//! for (beat, pitch) in [(0, 69), (1, 72), (2, 76), (3, 72)] {
//!     main.track_mut(Role::Melody).notes.push(Note::new(beat * TICKS_PER_QUARTER, pitch, 400, 100));
//! }
//! let out = render(&main, &Palette::builtin("chiptune")?, &RenderSettings::default())?;
//! // One bar at 120 BPM is 2 s: a main section loops at exactly its length.
//! assert_eq!(out.loop_frames, Some(96_000));
//! assert!(out.loudness.true_peak_dbtp <= -1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod buffer;
pub mod envelope;
pub mod error;
pub mod filter;
pub mod instrument;
pub mod loudness;
pub mod oscillator;
pub mod palette;
pub mod render;
pub mod reverb;
pub mod soundfont;
pub mod wav;

pub use buffer::StereoBuffer;
pub use error::SynthError;
pub use palette::Palette;
pub use render::{RenderSettings, Rendered, render};
