//! Rust errors and panics as Python exceptions.

use std::panic::{catch_unwind, AssertUnwindSafe};

use dos_data::DataError;
use dos_predict::PredictError;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::PyErr;

/// The Python exception of a [`PredictError`]: `OSError` for files, `RuntimeError` for model
/// and tensor failures, `ValueError` for everything about the input. The message is the
/// error's `Display`, the line the CLI prints after `error:`.
pub fn predict_error(e: &PredictError) -> PyErr {
    match e {
        PredictError::Io { .. } | PredictError::Data(DataError::Io { .. }) => {
            PyOSError::new_err(e.to_string())
        }
        PredictError::Model(_) | PredictError::Candle(_) => PyRuntimeError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// The Python exception of a [`DataError`] (as [`predict_error`]).
pub fn data_error(e: DataError) -> PyErr {
    predict_error(&PredictError::Data(e))
}

/// Runs `f`, turning a panic into a `RuntimeError` so that no unwinding reaches Python.
pub fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, PyErr>) -> Result<T, PyErr> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(PyRuntimeError::new_err(format!(
            "internal error in {what} (please report): {detail}"
        )))
    })
}
