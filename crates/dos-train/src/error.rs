//! [`TrainError`]: the one error type of dos-train.

use std::path::PathBuf;

/// Everything that can go wrong while configuring, running, saving or resuming a training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A training setting is out of range.
    #[error("invalid training config: `{field}` {message}")]
    Config {
        /// The offending field of [`crate::TrainConfig`].
        field: &'static str,
        /// What range it must be in.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {error}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error (in the message, not chained, so it prints once).
        error: std::io::Error,
    },
    /// A JSON file could not be written or parsed.
    #[error("{path}: {error}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The underlying error (in the message, not chained, so it prints once).
        error: serde_json::Error,
    },
    /// A checkpoint does not match the model being trained (missing tensor, wrong shape, ...).
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A data set has no crystal, or a crystal has no target where one is needed.
    #[error("data: {0}")]
    Data(String),
    /// The loss became NaN or infinite.
    #[error("loss is not finite ({value}) at epoch {epoch}, batch {batch}; lower the learning rate or enable grad clipping")]
    NonFiniteLoss {
        /// 1-based epoch.
        epoch: usize,
        /// 0-based batch within the epoch.
        batch: usize,
        /// The loss value.
        value: f64,
    },
    /// Building a batch from samples failed.
    #[error(transparent)]
    Dataset(#[from] dos_data::DataError),
    /// Building or loading a model failed.
    #[error(transparent)]
    Model(#[from] dos_models::ModelError),
    /// Computing metrics failed.
    #[error(transparent)]
    Metrics(#[from] dos_metrics::MetricsError),
    /// A tensor operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result alias of dos-train.
pub type Result<T> = std::result::Result<T, TrainError>;

impl TrainError {
    /// An [`TrainError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            error: source,
        }
    }

    /// A [`TrainError::Json`] for `path`.
    pub fn json(path: impl Into<PathBuf>, source: serde_json::Error) -> Self {
        Self::Json {
            path: path.into(),
            error: source,
        }
    }
}

impl From<dos_data::io::atomic_write::FileError> for TrainError {
    fn from(e: dos_data::io::atomic_write::FileError) -> Self {
        Self::io(e.path, e.source)
    }
}
