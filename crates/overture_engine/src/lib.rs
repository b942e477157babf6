//! Sample-exact playback of Overture's stems on [kira].
//!
//! The [`Conductor`] is a kira sound that owns a timeline of [`Clip`]s and
//! counts the frames it renders: a clip scheduled at sample `S` plays its
//! first frame exactly at `S`, whatever the audio driver's or kira's chunk
//! sizes (kira's clocks are only chunk-accurate). The game thread drives it
//! through a [`ConductorHandle`] over a lock-free queue and reads its
//! position from an atomic; [`next_grid_sample`] turns that position and a
//! tempo into the next beat or bar boundary with
//! [`Tempo::ticks_to_samples`](overture_core::time::Tempo::ticks_to_samples).
//!
//! [`Engine`] wires a conductor into a kira [`AudioManager`](kira::AudioManager);
//! [`Engine::offline`] uses the [`OfflineBackend`], which renders on demand
//! at a chosen sample rate and block size (the `cpal` feature adds real
//! output through kira's cpal backend).
//!
//! ```
//! use overture_core::time::{Meter, Tempo};
//! use overture_engine::{Clip, ClipData, Engine, GainRamp};
//! use overture_synth::buffer::StereoBuffer;
//!
//! let sample_rate = 48_000;
//! let mut engine = Engine::offline(sample_rate, 512)?;
//!
//! // A one-bar stem (here a constant level) looped from bar 2, beat 1.
//! let tempo = Tempo::from_bpm(137.0)?;
//! let bar = u64::from(Meter::FOUR_FOUR.ticks_per_bar());
//! let bar_samples = tempo.ticks_to_samples(bar, sample_rate) as usize;
//! let mut stem = StereoBuffer::silence(bar_samples);
//! stem.left.fill(0.5);
//! stem.right.fill(0.5);
//! let start = tempo.ticks_to_samples(Meter::FOUR_FOUR.tick_at(2, 1)?, sample_rate);
//! let id = engine
//!     .conductor()
//!     .schedule(Clip::new(ClipData::from(&stem), start).looping(true))?;
//! // Fade it out over the last 1000 samples of bar 3.
//! let bar4 = tempo.ticks_to_samples(Meter::FOUR_FOUR.tick_at(4, 1)?, sample_rate);
//! engine.conductor().set_gain(id, GainRamp::linear(bar4 - 1000, 1000, 0.0))?;
//!
//! let out = engine.render(bar4 as usize + 10);
//! assert_eq!(out.left[start as usize - 1], 0.0);
//! assert_eq!(out.left[start as usize], 0.5);
//! assert_eq!(out.left[bar4 as usize - 1001], 0.5);
//! assert_eq!(out.left[bar4 as usize], 0.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cache;
mod clip;
pub mod conductor;
pub mod director;
mod engine;
pub mod generator;
pub mod grid;
pub mod limiter;
#[cfg(feature = "composer")]
mod model_source;
mod offline;
pub mod piece;
/// The score the director plays (re-exported from [`overture_core::score`]).
pub use overture_core::score;
mod silent;

pub use clip::{Bus, Clip, ClipData, GainRamp, RampShape};
pub use conductor::{
    ClipId, CommandError, Conductor, ConductorBuilder, ConductorHandle, ConductorStats,
    next_grid_sample,
};
pub use director::{
    Director, DirectorError, DirectorSettings, GenerationFailure, MusicEvent, MusicStatus,
};
pub use engine::{Engine, EngineError, MusicOutput, OfflineEngineSettings};
pub use generator::{
    GenerateError, Generator, GeneratorMode, GeneratorSettings, PieceSource, SourceError,
};
pub use limiter::{Limiter, LimiterError, LimiterSettings};
#[cfg(feature = "composer")]
pub use model_source::ModelSource;
pub use offline::{OfflineBackend, OfflineError, OfflineSettings};
#[cfg(feature = "composer")]
pub use overture_model::ModelLocation;
pub use silent::SilentBackend;
