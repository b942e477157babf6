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
//!
//! # Adaptive music: the director
//!
//! A [`Director`] plays a [`Score`](score::Score) of moods on the conductor:
//! the game asks for a mood, and the change lands on the next bar line once
//! the new music is ready. The pieces come from a [`PieceSource`] (with the
//! `composer` feature, [`ModelSource`] composes them); here a source that
//! hums one constant level per mood, generated inline, rendered offline:
//!
//! ```
//! use std::sync::Arc;
//!
//! use overture_core::{arrangement::Arrangement, key::Key, mood::Mood, time::Tempo};
//! use overture_engine::{
//!     ClipData, Director, DirectorSettings, Engine, GenerateError, Generator, GeneratorMode,
//!     GeneratorSettings, MusicEvent, PieceSource,
//!     generator::PieceJob,
//!     piece::{Part, Piece},
//!     score::{MoodSpec, Score},
//! };
//! use overture_synth::buffer::StereoBuffer;
//!
//! /// Every piece a constant level: 0.1 for `calm`, 0.3 for `storm`.
//! struct Hum;
//!
//! impl PieceSource for Hum {
//!     fn make(&mut self, job: &PieceJob) -> Result<Piece, GenerateError> {
//!         let spec = &job.mood;
//!         let tempo = Tempo::from_bpm(spec.bpm).map_err(|e| e.to_string())?;
//!         let bars = if let Part::Main(_) = job.key.part { spec.main_bars } else { 1 };
//!         let key = Key::new(spec.tonic, spec.mode.unwrap_or_default());
//!         let notes = Arrangement::new(job.key.part.section(), tempo, Default::default(), key, bars);
//!         let frames = tempo.ticks_to_samples(notes.length_ticks(), job.sample_rate);
//!         let level = if spec.name == "calm" { 0.1 } else { 0.3 };
//!         let mut stem = StereoBuffer::silence(frames as usize);
//!         stem.left.fill(level);
//!         stem.right.fill(level);
//!         Ok(Piece {
//!             key: job.key.clone(),
//!             tempo,
//!             meter: notes.meter,
//!             sample_rate: job.sample_rate,
//!             musical_frames: frames,
//!             stems: vec![(None, ClipData::from(&stem))],
//!             arrangement: Arc::new(notes),
//!         })
//!     }
//! }
//!
//! let sample_rate = 48_000;
//! let block = 512;
//! let (mut output, conductor) = Engine::offline(sample_rate, block)?.into_parts();
//! let score = Score::new(vec![
//!     MoodSpec::new("calm", Mood::new(0.3, -0.6)?).bpm(90.0),
//!     MoodSpec::new("storm", Mood::new(-0.6, 0.8)?).bpm(140.0),
//! ]);
//! // Inline generation: pieces are made inside `update`, deterministically.
//! let source = GeneratorSettings::new(Arc::new(|| Ok(Box::new(Hum) as Box<dyn PieceSource>)));
//! let generator = Generator::new(source.mode(GeneratorMode::Inline));
//! let mut director = Director::new(score, conductor, generator, DirectorSettings::new(sample_rate))?;
//!
//! // The game loop: update the director, then let the audio side render a block.
//! let mut heard = Vec::new();
//! let mut events = Vec::new();
//! let mut play = |director: &mut Director, seconds: usize| {
//!     for _ in 0..seconds * sample_rate as usize / block {
//!         director.update();
//!         events.extend(director.drain_events());
//!         heard.extend(output.backend_mut().render(block).left);
//!     }
//! };
//! director.set_mood("calm")?;
//! play(&mut director, 3);
//! assert_eq!(director.status().mood.as_deref(), Some("calm"));
//!
//! director.set_mood("storm")?;
//! play(&mut director, 4);
//! assert_eq!(director.status().mood.as_deref(), Some("storm"));
//!
//! // The change was announced, then heard, at the same sample: a bar line of calm.
//! let scheduled = events.iter().find_map(|e| match e {
//!     MusicEvent::TransitionScheduled { to, at, .. } if to == "storm" => Some(*at),
//!     _ => None,
//! });
//! let changed = events.iter().find_map(|e| match e {
//!     MusicEvent::MoodChanged { to, at, .. } if to == "storm" => Some(*at),
//!     _ => None,
//! });
//! let at = changed.expect("storm started") as usize;
//! assert_eq!(scheduled, changed);
//! assert!(events.contains(&MusicEvent::Bar { bar: 1, at: at as u64 }));
//! // Calm up to the boundary; storm after the one-beat crossfade.
//! assert_eq!(heard[at - 1], 0.1);
//! assert_eq!(heard[at + sample_rate as usize], 0.3);
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
