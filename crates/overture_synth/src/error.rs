//! Errors of the synthesizer.

use std::{fmt, path::PathBuf};

/// Rendering or exporting failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SynthError {
    /// No built-in palette has this name.
    UnknownPalette {
        /// The name asked for.
        name: String,
    },
    /// A setting is out of range.
    InvalidSetting {
        /// The setting (for example "sample rate").
        what: &'static str,
        /// The valid range, in words.
        expected: &'static str,
        /// The value received.
        found: String,
    },
    /// A palette's number is out of range or not a number.
    InvalidPalette {
        /// The field, for example `melody.reverb_send`.
        field: String,
        /// The valid range, in words.
        expected: &'static str,
        /// The value found.
        found: String,
    },
    /// A palette file or SoundFont could not be read.
    Asset {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be written.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SynthError::UnknownPalette { name } => write!(
                f,
                "unknown palette `{name}`: expected one of {} or a palette .ron file",
                crate::palette::Palette::BUILTIN.join(", ")
            ),
            SynthError::InvalidSetting {
                what,
                expected,
                found,
            } => write!(f, "the {what} must be {expected}, but was {found}"),
            SynthError::InvalidPalette {
                field,
                expected,
                found,
            } => write!(f, "{field}: expected {expected}, found {found}"),
            SynthError::Asset { path, reason } => write!(f, "{}: {reason}", path.display()),
            SynthError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for SynthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SynthError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
