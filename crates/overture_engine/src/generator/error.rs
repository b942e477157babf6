//! Why a piece could not be made, and why a piece source could not be built.

use std::{
    fmt,
    hash::{Hash, Hasher},
    sync::Arc,
};

#[cfg(feature = "composer")]
use overture_model::ModelError;
use overture_synth::error::SynthError;

/// Why the generator could not make a piece.
///
/// Every kind but [`Panicked`](GenerateError::Panicked) is deterministic:
/// the same inputs fail the same way, so the [`Director`](crate::Director)
/// reports it once and does not ask for that piece again until its inputs
/// change ([`Director::set_score`](crate::Director::set_score)). A panic is
/// treated as transient: the source is rebuilt and the piece asked for again
/// after a back-off.
///
/// The errors of the composer and the synthesizer are carried as they came
/// (shared, so that the error clones with the events that report it). Two
/// errors are equal when they are of the same kind and read the same: the
/// director reports each distinct error once, however many pieces it
/// strikes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum GenerateError {
    /// The composer could not write the piece (an impossible request).
    #[cfg(feature = "composer")]
    Compose(Arc<ModelError>),
    /// The mood's palette is neither built in nor a readable palette file.
    Palette(Arc<SynthError>),
    /// The synthesizer could not render the notes.
    Render(Arc<SynthError>),
    /// The piece source could not be built (for the model source: the
    /// model failed to load), or a custom [`PieceSource`](crate::PieceSource)
    /// failed in a way of its own.
    Source(SourceError),
    /// The source panicked (the message is the panic's).
    Panicked(String),
}

impl GenerateError {
    /// The composer's error.
    #[cfg(feature = "composer")]
    pub fn compose(error: ModelError) -> Self {
        Self::Compose(Arc::new(error))
    }

    /// The synthesizer's error resolving a palette.
    pub fn palette(error: SynthError) -> Self {
        Self::Palette(Arc::new(error))
    }

    /// The synthesizer's error rendering the notes.
    pub fn render(error: SynthError) -> Self {
        Self::Render(Arc::new(error))
    }

    /// Whether trying again may succeed (only a panic).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Panicked(_))
    }

    /// The kind, as a number, for equality and hashing.
    fn kind(&self) -> u8 {
        match self {
            #[cfg(feature = "composer")]
            Self::Compose(_) => 0,
            Self::Palette(_) => 1,
            Self::Render(_) => 2,
            Self::Source(_) => 3,
            Self::Panicked(_) => 4,
        }
    }
}

impl PartialEq for GenerateError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Source(a), Self::Source(b)) => a == b,
            (Self::Panicked(a), Self::Panicked(b)) => a == b,
            // The carried errors are not comparable themselves (they hold
            // I/O and tensor errors): same kind, same text.
            (a, b) => a.kind() == b.kind() && a.to_string() == b.to_string(),
        }
    }
}

impl Eq for GenerateError {}

impl Hash for GenerateError {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind().hash(state);
        match self {
            Self::Source(e) => e.hash(state),
            Self::Panicked(e) => e.hash(state),
            other => other.to_string().hash(state),
        }
    }
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(feature = "composer")]
            Self::Compose(e) => write!(f, "the composer could not write the piece: {e}"),
            Self::Palette(e) => write!(f, "palette: {e}"),
            Self::Render(e) => write!(f, "the synthesizer could not render the piece: {e}"),
            Self::Source(e) => write!(f, "{e}"),
            Self::Panicked(e) => write!(f, "generation panicked: {e}"),
        }
    }
}

impl std::error::Error for GenerateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            #[cfg(feature = "composer")]
            Self::Compose(e) => Some(&**e),
            Self::Palette(e) | Self::Render(e) => Some(&**e),
            Self::Source(e) => Some(e),
            Self::Panicked(_) => None,
        }
    }
}

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
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SourceError {
    /// The composer model could not be loaded: the loader's error, which
    /// names the file or the model.
    #[cfg(feature = "composer")]
    Model(Arc<ModelError>),
    /// A custom source or factory failed, with its own message.
    Custom(String),
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(feature = "composer")]
            Self::Model(e) => write!(f, "the composer model could not be loaded: {e}"),
            Self::Custom(e) => write!(f, "the piece source failed: {e}"),
        }
    }
}

impl SourceError {
    /// The loader's error for a composer model that did not load.
    #[cfg(feature = "composer")]
    pub fn model(error: ModelError) -> Self {
        Self::Model(Arc::new(error))
    }
}

/// Same kind, same text (a model's error is not comparable itself).
impl PartialEq for SourceError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Custom(a), Self::Custom(b)) => a == b,
            #[cfg(feature = "composer")]
            (Self::Model(a), Self::Model(b)) => a.to_string() == b.to_string(),
            #[cfg(feature = "composer")]
            _ => false,
        }
    }
}

impl Eq for SourceError {}

impl Hash for SourceError {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            #[cfg(feature = "composer")]
            Self::Model(e) => (0u8, e.to_string()).hash(state),
            Self::Custom(e) => (1u8, e).hash(state),
        }
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            #[cfg(feature = "composer")]
            Self::Model(e) => Some(&**e),
            Self::Custom(_) => None,
        }
    }
}

#[cfg(test)]
mod test {
    use super::{GenerateError, SourceError};

    #[cfg(feature = "composer")]
    #[test]
    fn a_model_that_does_not_load_reads_as_before_through_generate_error() {
        let error = GenerateError::from(SourceError::model(overture_model::ModelError::Weights {
            path: "models/missing".into(),
            message: "no such file".into(),
        }));
        assert_eq!(
            error.to_string(),
            "the composer model could not be loaded: models/missing: no such file"
        );
        assert!(!error.is_transient());
    }

    #[test]
    fn the_synthesizers_error_is_carried_and_equal_errors_read_the_same() {
        use std::hash::{BuildHasher, RandomState};

        let unknown = || {
            overture_synth::Palette::resolve("ambeint")
                .map(drop)
                .map_err(GenerateError::palette)
                .unwrap_err()
        };
        let (a, b) = (unknown(), unknown());
        assert_eq!(
            a.to_string(),
            "palette: unknown palette `ambeint`: expected one of ambient, orchestral, battle, \
             chiptune or a palette .ron file"
        );
        // Two failures of the same kind with the same text are one error
        // (the director reports it once), whatever the pieces.
        assert_eq!(a, b);
        let hasher = RandomState::new();
        assert_eq!(hasher.hash_one(&a), hasher.hash_one(&b));
        // The synthesizer's own error is there to match on.
        let GenerateError::Palette(e) = &a else {
            panic!("{a:?}")
        };
        assert!(matches!(
            **e,
            overture_synth::error::SynthError::UnknownPalette { ref name } if name == "ambeint"
        ));
        assert!(std::error::Error::source(&a).is_some());
        // The same text as another kind is another error.
        let render = GenerateError::render(overture_synth::error::SynthError::UnknownPalette {
            name: "ambeint".into(),
        });
        assert_ne!(a, render);
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
