//! Errors of the music vocabulary.

use std::fmt;

/// A value of the music vocabulary was out of range or could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreError {
    /// A number outside its valid range.
    OutOfRange {
        /// What the value is (for example "tempo (BPM)").
        what: &'static str,
        /// The valid range, in words.
        expected: &'static str,
        /// The value received.
        found: String,
    },
    /// Text that does not name a value of the vocabulary.
    Parse {
        /// What was being read (for example "key").
        what: &'static str,
        /// What is accepted, in words.
        expected: String,
        /// The text received.
        found: String,
    },
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::OutOfRange {
                what,
                expected,
                found,
            } => write!(f, "{what} must be {expected}, but was {found}"),
            CoreError::Parse {
                what,
                expected,
                found,
            } => write!(f, "`{found}` is not a {what}: expected {expected}"),
        }
    }
}

impl std::error::Error for CoreError {}
