//! Errors of dos-graph.

/// Errors raised by dos-graph (on top of candle's own errors).
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// A candle operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A configuration field is out of range.
    #[error("invalid GNN config: field `{field}`: {message}")]
    InvalidConfig {
        /// Name of the field.
        field: &'static str,
        /// What is wrong and which range is allowed.
        message: String,
    },
    /// An input tensor has the wrong shape or dtype.
    #[error("graph input `{name}`: expected {expected}, got {got}")]
    InvalidInput {
        /// Name of the input tensor.
        name: &'static str,
        /// What was expected.
        expected: String,
        /// What was given.
        got: String,
    },
}

impl From<GraphError> for candle_core::Error {
    fn from(e: GraphError) -> Self {
        match e {
            GraphError::Candle(e) => e,
            other => candle_core::Error::wrap(other),
        }
    }
}
