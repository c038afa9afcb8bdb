//! [`ModelError`]: the one error type of this crate.

use std::path::PathBuf;

/// Errors raised while configuring, building, saving or loading a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A configuration field is out of range.
    #[error("invalid model config: field `{field}`: {message}")]
    InvalidConfig {
        /// Name of the offending field (dotted path for nested configs).
        field: String,
        /// What is wrong and which range is allowed.
        message: String,
    },
    /// A batch does not fit the model (missing targets, wrong feature width, ...).
    #[error("batch does not fit the model: field `{field}`: {message}")]
    Batch {
        /// Name of the batch field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a checkpoint file failed.
    #[error("checkpoint I/O on {path}: {source}")]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint config file is not valid JSON for a [`crate::ModelConfig`].
    #[error("checkpoint config {path}: {source}")]
    Json {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// A checkpoint's weights do not match the model built from its config.
    #[error("checkpoint weights {path}: {message}")]
    Weights {
        /// File concerned.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A tensor operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

impl From<ModelError> for candle_core::Error {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::Candle(e) => e,
            other => candle_core::Error::wrap(other),
        }
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, ModelError>;

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> ModelError {
    ModelError::InvalidConfig {
        field: field.to_string(),
        message: message.into(),
    }
}

impl From<dos_data::io::atomic_write::FileError> for ModelError {
    fn from(e: dos_data::io::atomic_write::FileError) -> Self {
        Self::Io {
            path: e.path,
            source: e.source,
        }
    }
}
