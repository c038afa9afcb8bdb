//! Errors of dos-attn.

/// Errors raised by dos-attn (on top of candle's own errors).
#[derive(Debug, thiserror::Error)]
pub enum AttnError {
    /// A candle operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A configuration field is out of range.
    #[error("invalid attention config: field `{field}`: {message}")]
    InvalidConfig {
        /// Name of the field.
        field: &'static str,
        /// What is wrong and which range is allowed.
        message: String,
    },
    /// An input tensor has the wrong shape or holds an out-of-range value.
    #[error("attention input `{name}`: expected {expected}, got {got}")]
    InvalidInput {
        /// Name of the input.
        name: &'static str,
        /// What was expected.
        expected: String,
        /// What was given.
        got: String,
    },
}

impl From<AttnError> for candle_core::Error {
    fn from(e: AttnError) -> Self {
        match e {
            AttnError::Candle(e) => e,
            other => candle_core::Error::wrap(other),
        }
    }
}
