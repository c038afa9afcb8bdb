//! [`PredictError`]: the one error type of this crate.

use std::path::PathBuf;

/// Errors of loading, validating, writing and using model packages.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    /// A field of a package (manifest or weights) is wrong; `field` is a dotted path such as
    /// `members[1].model.hidden` or `energy_grid.values`.
    #[error("{source_name}: field `{field}`: {message}")]
    Package {
        /// The package folder or file (or `bundled model`).
        source_name: String,
        /// The offending field.
        field: String,
        /// What is wrong, and what is allowed.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// One structure could not be predicted (unreadable file, graph too large, ...): names it.
    #[error("{id}: {message}")]
    Structure {
        /// The structure's id (its file name for files).
        id: String,
        /// What went wrong.
        message: String,
    },
    /// Invalid arguments (temperature, batch size, calibration data).
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The argument.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Data-layer error.
    #[error(transparent)]
    Data(#[from] dos_data::DataError),
    /// Model-layer error.
    #[error(transparent)]
    Model(#[from] dos_models::ModelError),
    /// Metrics error.
    #[error(transparent)]
    Metrics(#[from] dos_metrics::MetricsError),
    /// Tensor error.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result alias of this crate.
pub type Result<T, E = PredictError> = std::result::Result<T, E>;

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> PredictError {
    PredictError::Invalid {
        field: field.to_string(),
        message: message.into(),
    }
}

impl From<dos_data::io::atomic_write::FileError> for PredictError {
    fn from(e: dos_data::io::atomic_write::FileError) -> Self {
        Self::Io {
            path: e.path,
            source: e.source,
        }
    }
}
