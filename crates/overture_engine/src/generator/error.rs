//! Why a piece could not be made, and why a piece source could not be built.

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
    /// The composer could not write the piece (an impossible request).
    Compose(String),
    /// The mood's palette is neither built in nor a readable palette file.
    Palette(String),
    /// The synthesizer could not render the notes.
    Render(String),
    /// The piece source could not be built (for the model source: the
    /// model failed to load), or a custom [`PieceSource`](crate::PieceSource)
    /// failed in a way of its own.
    Source(SourceError),
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
            Self::Compose(e) => write!(f, "the composer could not write the piece: {e}"),
            Self::Palette(e) => write!(f, "palette: {e}"),
            Self::Render(e) => write!(f, "the synthesizer could not render the piece: {e}"),
            Self::Source(e) => write!(f, "{e}"),
            Self::Panicked(e) => write!(f, "generation panicked: {e}"),
        }
    }
}

impl std::error::Error for GenerateError {}

/// A custom source's error message ([`SourceError::Custom`]).
impl From<String> for GenerateError {
    fn from(message: String) -> Self {
        Self::Source(SourceError::Custom(message))
    }
}

impl From<SourceError> for GenerateError {
    fn from(error: SourceError) -> Self {
        Self::Source(error)
    }
}

/// Why a piece source could not be built, or failed in a way of its own:
/// the error of a [`SourceFactory`](crate::generator::SourceFactory),
/// carried by [`GenerateError::Source`].
///
/// A factory that fails is not called again until
/// [`Generator::retry_failed`](crate::Generator::retry_failed) (the
/// [`Director`](crate::Director) calls it when the score is replaced): every
/// job fails at once with its error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceError {
    /// The composer model could not be loaded. The loader's message, which
    /// names the file or the model.
    Model(String),
    /// A custom source or factory failed, with its own message.
    Custom(String),
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Model(e) => write!(f, "the composer model could not be loaded: {e}"),
            Self::Custom(e) => write!(f, "the piece source failed: {e}"),
        }
    }
}

impl std::error::Error for SourceError {}

#[cfg(test)]
mod test {
    use super::{GenerateError, SourceError};

    #[test]
    fn a_model_that_does_not_load_reads_as_before_through_generate_error() {
        let error = GenerateError::from(SourceError::Model("models/missing: no such file".into()));
        assert_eq!(
            error.to_string(),
            "the composer model could not be loaded: models/missing: no such file"
        );
        assert!(!error.is_transient());
    }

    #[test]
    fn a_custom_sources_message_is_a_custom_source_error() {
        let error = GenerateError::from("no tempo".to_string());
        assert_eq!(
            error,
            GenerateError::Source(SourceError::Custom("no tempo".into()))
        );
        assert_eq!(error.to_string(), "the piece source failed: no tempo");
    }
}
