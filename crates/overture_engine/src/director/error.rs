//! Why the director refused a request.

use std::fmt;

use crate::score::ScoreError;

/// Why the director refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DirectorError {
    /// No mood of that name in the score.
    UnknownMood {
        /// The name asked for.
        name: String,
        /// The moods there are.
        known: Vec<String>,
    },
    /// No stinger of that name in the score.
    UnknownStinger {
        /// The name asked for.
        name: String,
        /// The stingers there are.
        known: Vec<String>,
    },
    /// The score is invalid.
    Score(ScoreError),
}

impl fmt::Display for DirectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownMood { name, known } => write!(
                f,
                "no mood `{name}` in the score; expected one of: {}",
                known.join(", ")
            ),
            Self::UnknownStinger { name, known } => write!(
                f,
                "no stinger `{name}` in the score; expected one of: {}",
                if known.is_empty() {
                    "(none defined)".to_string()
                } else {
                    known.join(", ")
                }
            ),
            Self::Score(e) => write!(f, "invalid score: {e}"),
        }
    }
}

impl std::error::Error for DirectorError {}
