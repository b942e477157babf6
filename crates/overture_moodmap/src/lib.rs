//! Mood maps: the RON files in which a game describes its music, and the
//! rules that turn the game's signals into a mood and an intensity.
//!
//! A map declares the signals the game sends (numbers and flags), the
//! moods (a point in valence and arousal, plus tempo, key, palette and
//! layers where they differ from the map's), rules that choose a mood from
//! the signals, an intensity expression, transitions and stingers.
//! [`MoodMap::parse`] reads and checks it, [`MoodMap::check`] also checks
//! what it refers to (palettes, leitmotif files) and reports every problem
//! rather than the first, [`MoodMap::to_score`] gives the
//! [`Score`](overture_core::score::Score) the engine plays, and a
//! [`MoodSelector`] evaluates the rules each frame. The format reference
//! with every field and its default is `assets/moodmaps/README.md`.
//!
//! ```
//! use std::path::Path;
//! use overture_moodmap::{MoodMap, MoodSelector, Signals};
//!
//! let source = r#"
//! MoodMap(
//!     signals: { "threat": (range: (0, 1)) },
//!     moods: {
//!         "explore": (valence: 0.5, arousal: -0.4),
//!         "combat": (valence: -0.5, arousal: 0.8, tempo: 140, palette: "battle"),
//!     },
//!     rules: [(mood: "combat", when: "threat", above: 0.6, hysteresis: 0.1)],
//!     intensity: "threat",
//! )"#;
//! let map = MoodMap::parse(source, Path::new("game.moodmap.ron"))?;
//! assert_eq!(map.to_score().mood("combat").unwrap().bpm, 140.0);
//!
//! let mut selector = MoodSelector::new();
//! let mut signals = Signals::new();
//! let first = selector.update(&map, &signals, 0.0);
//! assert_eq!((first.mood, first.changed), ("explore", true));
//!
//! signals.set("threat", 0.8);
//! let now = selector.update(&map, &signals, 5.0);
//! assert_eq!((now.mood, now.changed), ("combat", true));
//! assert_eq!(now.intensity, 0.8);
//!
//! // A mistake names the file, the line and column, the field and what was expected.
//! let err = MoodMap::parse(&source.replace("\"combat\", when", "\"comabt\", when"), Path::new("game.moodmap.ron"))
//!     .unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "game.moodmap.ron:8:20: rules[0].mood: expected one of the moods `explore`, `combat`, found `comabt`"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Expressions (`when`, `intensity`) are parsed by [exmex] with comparison
//! and logic operators added: see [`Expr`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod environment;
mod error;
mod expr;
mod keyed;
mod leitmotif;
mod locate;
mod map;
mod prompt;
mod selector;
mod signals;
mod validate;

pub use environment::{Environment, EnvironmentError};
pub use error::{ErrorKind, Location, MoodMapError, UnknownMood};
pub use expr::{Expr, ExprError};
pub use leitmotif::{Leitmotif, LeitmotifError, attach_leitmotifs, parse_leitmotif};
pub use map::{LayerDef, MoodDef, MoodMap, Rule, SignalDef, StingerDef, TransitionDef};
pub use prompt::{PromptMood, PromptReadError, PromptReader};
pub use selector::{MoodSelector, Selection};
pub use signals::Signals;
