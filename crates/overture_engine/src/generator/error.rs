//! Why a piece could not be made.

use std::fmt;

/// Why the generator could not make a piece.
///
/// Every kind but [`Panicked`](GenerateError::Panicked) is deterministic:
/// the same inputs fail the same way, so the [`Director`](crate::Director)
/// reports it once and does not ask for that piece again until its inputs
/// change ([`Director::set_score`](crate::Director::set_score)). A panic is
/// treated as transient: the source is rebuilt and the piece asked for again
/// after a back-off.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GenerateError {
    /// The piece source could not be built (for the model source: the
    /// model failed to load).
    Model(String),
    /// The composer could not write the piece (an impossible request).
    Compose(String),
    /// The mood's palette is neither built in nor a readable palette file.
    Palette(String),
    /// The synthesizer could not render the notes.
    Render(String),
    /// A custom [`PieceSource`](crate::PieceSource) failed.
    Source(String),
    /// The source panicked (the message is the panic's).
    Panicked(String),
}

impl GenerateError {
    /// Whether trying again may succeed (only a panic).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Panicked(_))
    }
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Model(e) => write!(f, "the composer model could not be loaded: {e}"),
            Self::Compose(e) => write!(f, "the composer could not write the piece: {e}"),
            Self::Palette(e) => write!(f, "palette: {e}"),
            Self::Render(e) => write!(f, "the synthesizer could not render the piece: {e}"),
            Self::Source(e) => write!(f, "the piece source failed: {e}"),
            Self::Panicked(e) => write!(f, "generation panicked: {e}"),
        }
    }
}

impl std::error::Error for GenerateError {}

/// A custom source's error message.
impl From<String> for GenerateError {
    fn from(message: String) -> Self {
        Self::Source(message)
    }
}
