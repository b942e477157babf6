//! The shipped model files, compiled into the crate so that a game, the CLI
//! and the tests work from any folder on any machine.
//!
//! With the default `bundled` feature, [`composer`] returns the
//! `pop909-small` composer's weights and config (about 1.9 MB, read from
//! `models/` at compile time). Without it, the bytes are absent and
//! [`composer`] returns [`ModelError::NotBundled`], so a build that only
//! loads its own models does not carry them.
//!
//! ```
//! # #[cfg(feature = "bundled")] {
//! let composer = overture_model::Composer::bundled().unwrap();
//! assert_eq!(composer.name(), "pop909-small");
//! # }
//! ```

use std::path::PathBuf;

use crate::error::ModelError;

/// How the bundled composer is named in errors and provenance: a path
/// without extension, as for [`Composer::load`](crate::Composer::load).
pub const COMPOSER_ORIGIN: &str = "<bundled>/pop909-small";

#[cfg(feature = "bundled")]
const COMPOSER_WEIGHTS: &[u8] = include_bytes!("../models/pop909-small.safetensors");

#[cfg(feature = "bundled")]
const COMPOSER_CONFIG: &str = include_str!("../models/pop909-small.json");

/// The bundled composer's safetensors weights and JSON config.
pub fn composer() -> Result<(&'static [u8], &'static str), ModelError> {
    #[cfg(feature = "bundled")]
    {
        Ok((COMPOSER_WEIGHTS, COMPOSER_CONFIG))
    }
    #[cfg(not(feature = "bundled"))]
    {
        Err(ModelError::NotBundled {
            model: COMPOSER_ORIGIN,
        })
    }
}

#[cfg(feature = "bundled")]
const DRUMMER_WEIGHTS: &[u8] = include_bytes!("../models/drummer/groove-drummer.safetensors");

#[cfg(feature = "bundled")]
const DRUMMER_CONFIG: &str = include_str!("../models/drummer/groove-drummer.json");

/// The bundled drummer's safetensors weights and JSON config (see
/// [`crate::drummer`]).
pub fn drummer() -> Result<(&'static [u8], &'static str), ModelError> {
    #[cfg(feature = "bundled")]
    {
        Ok((DRUMMER_WEIGHTS, DRUMMER_CONFIG))
    }
    #[cfg(not(feature = "bundled"))]
    {
        Err(ModelError::NotBundled {
            model: crate::drummer::DRUMMER_ORIGIN,
        })
    }
}

#[cfg(feature = "bundled")]
const COUNTER_WEIGHTS: &[u8] = include_bytes!("../models/counter/pop909-counter.safetensors");

#[cfg(feature = "bundled")]
const COUNTER_CONFIG: &str = include_str!("../models/counter/pop909-counter.json");

/// The bundled counter-line's safetensors weights and JSON config (see
/// [`crate::counter`]).
pub fn counter() -> Result<(&'static [u8], &'static str), ModelError> {
    #[cfg(feature = "bundled")]
    {
        Ok((COUNTER_WEIGHTS, COUNTER_CONFIG))
    }
    #[cfg(not(feature = "bundled"))]
    {
        Err(ModelError::NotBundled {
            model: crate::counter::COUNTER_ORIGIN,
        })
    }
}

/// Where a composer model comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ModelLocation {
    /// The model compiled into this crate (the default; needs the `bundled`
    /// feature, on by default).
    #[default]
    Bundled,
    /// A model on disk: `models/NAME`, its `.safetensors` or `.json`, or a
    /// folder holding exactly one model (see [`Composer::load`](crate::Composer::load)).
    Path(PathBuf),
}

impl std::fmt::Display for ModelLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelLocation::Bundled => f.write_str(COMPOSER_ORIGIN),
            ModelLocation::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

impl From<PathBuf> for ModelLocation {
    fn from(path: PathBuf) -> Self {
        ModelLocation::Path(path)
    }
}

impl From<&std::path::Path> for ModelLocation {
    fn from(path: &std::path::Path) -> Self {
        ModelLocation::Path(path.to_path_buf())
    }
}

impl From<&str> for ModelLocation {
    fn from(path: &str) -> Self {
        ModelLocation::Path(path.into())
    }
}

impl From<String> for ModelLocation {
    fn from(path: String) -> Self {
        ModelLocation::Path(path.into())
    }
}
