//! Python bindings of dos-rs: the `dos_rs._native` extension module.
//!
//! The Python package `dos_rs` (in `python/dos_rs`) wraps this module: it turns ASE `Atoms`,
//! pymatgen `Structure`s and dicts into the plain arrays read here, and the dicts returned here
//! into `Prediction` objects. Build and install with maturin (`pip install ./crates/dos-py`);
//! `cargo build --workspace` builds the library too, linked against libpython, but only the
//! maturin build is importable.
//!
//! Every entry point converts Rust errors to Python exceptions (`OSError` for files,
//! `ValueError` for bad input, `RuntimeError` for model failures) with the messages the CLI
//! prints, and a Rust panic becomes a `RuntimeError` instead of unwinding into Python. Long calls
//! release the GIL.

mod convert;
mod errors;
mod functions;
mod predictor;

use pyo3::prelude::*;

/// The extension module `dos_rs._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<predictor::PyPredictor>()?;
    m.add_function(wrap_pyfunction!(functions::read_structure, m)?)?;
    m.add_function(wrap_pyfunction!(functions::process_electron_dos_json, m)?)?;
    m.add_function(wrap_pyfunction!(functions::process_electron_dos_file, m)?)?;
    m.add_function(wrap_pyfunction!(functions::metrics, m)?)?;
    m.add("DEFAULT_MAGNETIC_TOL", dos_data::dos::DEFAULT_MAGNETIC_TOL)?;
    Ok(())
}
