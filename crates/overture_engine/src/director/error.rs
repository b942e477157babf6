//! Why the director refused a request.

use std::fmt;

use crate::score::{MoodId, ScoreError};

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
    /// No mood with that id in the score (an id kept from a score that has
    /// been replaced, or made up).
    UnknownMoodId {
        /// The id given.
        id: MoodId,
        /// How many moods the score has.
        moods: usize,
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
            Self::UnknownMoodId { id, moods } => write!(
                f,
                "no {id} in the score; it has {moods} moods (ids from 0 to {})",
                moods.saturating_sub(1)
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
