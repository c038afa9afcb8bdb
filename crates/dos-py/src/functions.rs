//! Module functions: reading a structure, processing an electron DOS document, metrics.

use std::path::{Path, PathBuf};

use dos_data::dos::{read_dos_document, summarize_paper, EdosSummary, ElectronDosDocument};
use numpy::{PyArray1, PyArray2, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{data_error, guarded};

/// Reads a structure file (CIF, POSCAR, pymatgen JSON; `.gz` accepted) into a dict:
/// `lattice` (3, 3), `numbers` (N,), `positions` (N, 3) Cartesian Angstrom, `formula`.
#[pyfunction]
pub fn read_structure(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyDict>> {
    let crystal = py.detach(|| {
        guarded("read_structure", || {
            dos_data::io::read_structure(&path).map_err(data_error)
        })
    })?;
    let d = PyDict::new(py);
    let rows = |v: &[[f64; 3]]| v.iter().map(|r| r.to_vec()).collect::<Vec<_>>();
    d.set_item(
        "lattice",
        PyArray2::from_vec2(py, &rows(crystal.lattice()))
            .map_err(|e| PyValueError::new_err(e.to_string()))?,
    )?;
    let numbers: Vec<i64> = crystal.numbers().iter().map(|&z| i64::from(z)).collect();
    d.set_item("numbers", PyArray1::from_vec(py, numbers))?;
    d.set_item(
        "positions",
        PyArray2::from_vec2(py, &rows(crystal.positions()))
            .map_err(|e| PyValueError::new_err(e.to_string()))?,
    )?;
    d.set_item("formula", crystal.reduced_formula())?;
    Ok(d)
}

fn summary_dict(py: Python<'_>, s: EdosSummary) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("grid", PyArray1::from_vec(py, s.grid))?;
    d.set_item("dos", PyArray1::from_vec(py, s.dos))?;
    d.set_item("efermi", s.efermi)?;
    d.set_item("band_gap", s.band_gap)?;
    d.set_item("cbm", s.cbm)?;
    d.set_item("vbm", s.vbm)?;
    d.set_item("net_moment", s.net_moment)?;
    d.set_item("magnetic", s.magnetic)?;
    Ok(d)
}

/// [`summarize_paper`] (the paper's 201-point preparation, gap and magnetism) of a pymatgen
/// `Dos` / `CompleteDos` document given as JSON text; `source` labels errors.
#[pyfunction]
#[pyo3(signature = (text, source, gap_tol, abs_tol, magnetic_tol))]
pub fn process_electron_dos_json<'py>(
    py: Python<'py>,
    text: &str,
    source: &str,
    gap_tol: f64,
    abs_tol: bool,
    magnetic_tol: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let summary = py.detach(|| {
        guarded("process_electron_dos", || {
            ElectronDosDocument::from_json_str(text, Path::new(source))
                .and_then(|doc| summarize_paper(&doc, gap_tol, abs_tol, magnetic_tol))
                .map_err(data_error)
        })
    })?;
    summary_dict(py, summary)
}

/// [`summarize_paper`] of a pymatgen DOS document file.
#[pyfunction]
#[pyo3(signature = (path, gap_tol, abs_tol, magnetic_tol))]
pub fn process_electron_dos_file(
    py: Python<'_>,
    path: PathBuf,
    gap_tol: f64,
    abs_tol: bool,
    magnetic_tol: f64,
) -> PyResult<Bound<'_, PyDict>> {
    let summary = py.detach(|| {
        guarded("process_electron_dos", || {
            read_dos_document(&path)
                .and_then(|doc| summarize_paper(&doc, gap_tol, abs_tol, magnetic_tol))
                .map_err(data_error)
        })
    })?;
    summary_dict(py, summary)
}

/// The paper's errors of predictions `pred` against `target`, both (B, M): per-crystal MSE,
/// MAE, RMSE and R^2 averaged over the B crystals, plus `mse_x10`.
#[pyfunction]
pub fn metrics<'py>(
    py: Python<'py>,
    pred: PyReadonlyArray2<'py, f64>,
    target: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let (p, t) = (pred.as_array(), target.as_array());
    if p.shape() != t.shape() {
        return Err(PyValueError::new_err(format!(
            "pred has shape {:?} but target has shape {:?}",
            p.shape(),
            t.shape()
        )));
    }
    let rows = |a: &numpy::ndarray::ArrayView2<'_, f64>| -> Vec<Vec<f64>> {
        a.outer_iter().map(|r| r.to_vec()).collect()
    };
    let s = dos_metrics::evaluate(&rows(&p), &rows(&t))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    let d = PyDict::new(py);
    d.set_item("n_crystals", s.n_crystals)?;
    d.set_item("mse", s.mse)?;
    d.set_item("mse_x10", s.mse_x10())?;
    d.set_item("mae", s.mae)?;
    d.set_item("rmse", s.rmse)?;
    d.set_item("r2", s.r2)?;
    Ok(d)
}
