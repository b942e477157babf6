//! Overture's composer: a small mood-conditioned music transformer written
//! with candle, its token language, training on POP909 and evaluation.
//!
//! ```
//! use overture_core::{mood::Mood, section::SectionKind};
//! use overture_model::{Composer, Request};
//!
//! // The shipped composer is compiled in (the default `bundled` feature).
//! let composer = Composer::bundled()?;
//! let mut request = Request::new(Mood::new(-0.5, 0.7)?, SectionKind::Main);
//! request.bars = 4;
//! request.seed = 7;
//! let section = composer.compose(&request)?;
//! assert_eq!(section.bars, 4);
//! assert!(section.tracks.iter().any(|t| !t.notes.is_empty()));
//! // The same request and seed give the same notes.
//! assert_eq!(composer.compose(&request)?, section);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The path through this crate: [`corpus`] reads songs into key-normalized
//! bars and [`tokens`] writes them as sequences, with the header and
//! calibrated levels of [`encoding`] (the part inference shares);
//! [`transformer`] is the network and [`train`] fits it; [`composer`] samples
//! new sections from a mood [`Request`] and decodes them into
//! [`Arrangement`](overture_core::arrangement::Arrangement)s, with drums from
//! [`drummer`] or [`drums`] and a texture part from [`counter`]; [`eval`] measures the result, with [`form`] measuring how
//! melodies repeat themselves.
#![warn(missing_docs)]

pub mod bundled;
pub mod checkpoint;
pub mod composer;
pub mod corpus;
pub mod counter;
pub mod drummer;
pub mod drums;
pub mod encoding;
pub mod error;
pub mod eval;
pub mod form;
pub mod form_plan;
/// Leitmotifs (re-exported from [`overture_core::motif`], where the score
/// vocabulary lives).
pub use overture_core::motif;
pub mod piece;
pub mod prompt;
pub mod reference;
pub mod tokens;
pub mod train;
pub mod transformer;

pub use bundled::ModelLocation;
pub use composer::{Composer, MoodSet, OPENING_BARS, Request, Sampling};
pub use error::ModelError;
pub use motif::Motif;
