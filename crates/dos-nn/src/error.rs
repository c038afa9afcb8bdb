//! Errors of dos-nn.

/// Errors raised by dos-nn (on top of candle's own errors).
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// A candle operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A gradient check needs f64 (or, for a coarse check, f32) variables.
    #[error("gradient check: variable `{name}` has dtype {dtype:?}, expected F64 (or F32)")]
    UnsupportedDtype {
        /// Variable name in the `VarMap`.
        name: String,
        /// Its dtype.
        dtype: candle_core::DType,
    },
    /// The loss closure did not return a scalar.
    #[error("gradient check: loss has shape {shape:?}, expected a scalar")]
    LossNotScalar {
        /// Shape of the returned loss.
        shape: Vec<usize>,
    },
    /// A gradient check failed for a variable.
    #[error("gradient check failed for `{name}`: {message}")]
    GradientMismatch {
        /// Variable name in the `VarMap`.
        name: String,
        /// What was wrong (relative error, missing gradient).
        message: String,
    },
}

impl From<NnError> for candle_core::Error {
    fn from(e: NnError) -> Self {
        match e {
            NnError::Candle(e) => e,
            other => candle_core::Error::wrap(other),
        }
    }
}
