//! Errors of the composer.

use std::path::PathBuf;

/// Everything that can go wrong loading, training or running the composer.
#[derive(Debug)]
#[non_exhaustive]
pub enum ModelError {
    /// A weights, config or vocabulary file is missing, truncated or does not match.
    Weights {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The training corpus cannot be used.
    Corpus {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// An input file given by the user (a motif, a reference) cannot be used.
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A request is out of range.
    Request {
        /// The field.
        field: &'static str,
        /// What was expected and what was found.
        message: String,
    },
    /// Writing a checkpoint or report failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The tensor library failed.
    Tensor(candle_core::Error),
    /// The bundled model was asked for, but this build has none.
    NotBundled {
        /// The model asked for.
        model: &'static str,
    },
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelError::Weights { path, message } => write!(f, "{}: {message}", path.display()),
            ModelError::Corpus { path, message } | ModelError::Input { path, message } => {
                write!(f, "{}: {message}", path.display())
            }
            ModelError::Request { field, message } => {
                write!(f, "request field `{field}`: {message}")
            }
            ModelError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ModelError::Tensor(e) => write!(f, "tensor error: {e}"),
            ModelError::NotBundled { model } => write!(
                f,
                "{model}: this build has no bundled model (enable overture_model's `bundled` feature, or give a model path)"
            ),
        }
    }
}

impl std::error::Error for ModelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ModelError::Io { source, .. } => Some(source),
            ModelError::Tensor(e) => Some(e),
            _ => None,
        }
    }
}

impl From<candle_core::Error> for ModelError {
    fn from(e: candle_core::Error) -> Self {
        ModelError::Tensor(e)
    }
}
