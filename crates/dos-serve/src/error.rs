//! [`ServeError`]: why the server could not start or stopped.

/// Errors of starting and running the server (request errors are HTTP answers, not these).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A setting is out of range.
    #[error("invalid {field}: {message}")]
    Config {
        /// The setting (`max_body`, `queue`, ...).
        field: String,
        /// Its value and the allowed range.
        message: String,
    },
    /// The model could not be loaded.
    #[error("loading the model: {0}")]
    Model(#[from] dos_predict::PredictError),
    /// Binding the address, or serving on it, failed.
    #[error("{addr}: {source}")]
    Io {
        /// The address.
        addr: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}
