//! The error type of `dos-metrics`.

/// Any error of `dos-metrics`.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// An input that must not be empty is empty.
    #[error("empty input: {what}")]
    Empty {
        /// Which input (`predictions`, `grid`, ...).
        what: &'static str,
    },
    /// A crystal's prediction and target (or grid and values) differ in length.
    #[error("crystal {index}: {what} has {got} values, expected {expected}")]
    LengthMismatch {
        /// Index of the crystal (row) in the batch; 0 for single-crystal functions.
        index: usize,
        /// Which array has the wrong length.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Length found.
        got: usize,
    },
    /// Two lists that must align (predictions and targets, targets and group keys) differ in
    /// their number of rows.
    #[error("{what}: {got} rows, expected {expected}")]
    CountMismatch {
        /// Which list has the wrong count.
        what: &'static str,
        /// Expected count.
        expected: usize,
        /// Count found.
        got: usize,
    },
    /// A NaN or infinite value.
    #[error("crystal {index}: non-finite value in {what} at position {position}")]
    NonFinite {
        /// Index of the crystal (row); 0 for single-crystal functions.
        index: usize,
        /// Which array.
        what: &'static str,
        /// Position inside the row.
        position: usize,
    },
    /// An argument outside its allowed range.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The argument or configuration field.
        field: &'static str,
        /// What is wrong and which range is allowed.
        message: String,
    },
    /// A tensor operation failed.
    #[error("tensor error: {0}")]
    Tensor(#[from] candle_core::Error),
}

/// Result alias for `dos-metrics`.
pub type Result<T, E = MetricsError> = std::result::Result<T, E>;

/// Errors unless every value of `row` is finite.
pub(crate) fn check_finite(row: &[f64], index: usize, what: &'static str) -> Result<()> {
    match row.iter().position(|v| !v.is_finite()) {
        Some(position) => Err(MetricsError::NonFinite {
            index,
            what,
            position,
        }),
        None => Ok(()),
    }
}
