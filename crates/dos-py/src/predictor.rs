//! `dos_rs._native.Predictor`: a loaded model package.

use candle_core::Device;
use dos_predict::{PredictOptions, Prediction, Predictor};
use numpy::PyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::StructureInput;
use crate::errors::{guarded, predict_error};

/// A model package loaded onto a device (the Rust [`Predictor`]).
#[pyclass(name = "Predictor", module = "dos_rs._native", frozen)]
pub struct PyPredictor {
    inner: Predictor,
}

/// The candle device named by `device`: `cpu`, or `cuda` / `cuda:N` in a build with the `cuda`
/// feature.
fn device(name: &str) -> PyResult<Device> {
    let name = name.trim().to_ascii_lowercase();
    if name == "cpu" {
        return Ok(Device::Cpu);
    }
    let ordinal = match name.as_str() {
        "cuda" => Some(0),
        s => s
            .strip_prefix("cuda:")
            .and_then(|k| k.parse::<usize>().ok()),
    };
    match ordinal {
        Some(k) => Device::new_cuda(k).map_err(|e| {
            PyValueError::new_err(format!(
                "device `{name}`: {e} (is this build made with the `cuda` feature?)"
            ))
        }),
        None => Err(PyValueError::new_err(format!(
            "device `{name}`: expected `cpu`, `cuda` or `cuda:N`"
        ))),
    }
}

#[pymethods]
impl PyPredictor {
    /// Loads a package folder or `dos train` run folder, or the bundled phonon model when
    /// `path` is None.
    #[staticmethod]
    #[pyo3(signature = (path=None, device="cpu"))]
    fn load(py: Python<'_>, path: Option<std::path::PathBuf>, device: &str) -> PyResult<Self> {
        let device = self::device(device)?;
        let inner = py.detach(|| {
            guarded("Predictor.load", || {
                match path {
                    Some(p) => Predictor::load(p, &device),
                    None => Predictor::bundled(&device),
                }
                .map_err(|e| predict_error(&e))
            })
        })?;
        Ok(Self { inner })
    }

    /// Where the package came from (its folder, or `bundled <name>`).
    #[getter]
    fn source(&self) -> String {
        self.inner.source().to_string()
    }

    /// Number of ensemble members.
    #[getter]
    fn n_members(&self) -> usize {
        self.inner.n_members()
    }

    /// The package manifest as JSON text.
    fn manifest_json(&self) -> PyResult<String> {
        serde_json::to_string(self.inner.manifest())
            .map_err(|e| PyValueError::new_err(format!("manifest: {e}")))
    }

    /// Predicts `inputs`, a list of `(id or None, item)` pairs (see `StructureInput::extract`).
    /// Returns one entry per input, in order: a dict of results, or the exception that input
    /// raised (returned, not raised, so the Python layer chooses).
    #[pyo3(signature = (inputs, temperature=300.0, batch_size=32))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        inputs: Vec<(Option<String>, Bound<'py, PyAny>)>,
        temperature: f64,
        batch_size: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        let opts = PredictOptions {
            temperature,
            batch_size,
        };
        let items = inputs
            .into_iter()
            .map(|(id, item)| StructureInput::extract(id, &item))
            .collect::<PyResult<Vec<_>>>()?;
        let results = py.detach(|| {
            guarded("Predictor.predict", || {
                let crystals = items
                    .into_iter()
                    .map(StructureInput::into_crystal)
                    .collect();
                self.inner
                    .predict_many(crystals, &opts)
                    .map_err(|e| predict_error(&e))
            })
        })?;
        let out = PyList::empty(py);
        for r in results {
            match r {
                Ok(p) => out.append(prediction_dict(py, p)?)?,
                Err(e) => out.append(predict_error(&e).into_value(py))?,
            }
        }
        Ok(out)
    }
}

/// The dict the Python `Prediction` is built from; arrays move into numpy without copies.
fn prediction_dict(py: Python<'_>, p: Prediction) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    let system = p.crystal_system_name();
    if p.energy_unit == dos_predict::EnergyUnit::Wavenumber {
        let (freqs, dens) = p.phonon_dos_thz();
        d.set_item(
            "phonon_dos_thz",
            (PyArray1::from_vec(py, freqs), PyArray1::from_vec(py, dens)),
        )?;
    }
    if let Some(props) = &p.properties {
        let e = PyDict::new(py);
        e.set_item("temperature_k", props.temperature_k)?;
        for (name, v) in [
            ("heat_capacity_j_per_mol_k", props.heat_capacity_j_per_mol_k),
            ("entropy_j_per_mol_k", props.entropy_j_per_mol_k),
            ("free_energy_ev_per_atom", props.free_energy_ev_per_atom),
            (
                "zero_point_energy_ev_per_atom",
                props.zero_point_energy_ev_per_atom,
            ),
        ] {
            e.set_item(name, (v.mean, v.std))?;
        }
        d.set_item("properties", e)?;
    } else {
        d.set_item("properties", py.None())?;
    }
    d.set_item("id", p.id)?;
    d.set_item("formula", p.formula)?;
    d.set_item("n_atoms", p.n_atoms)?;
    d.set_item("space_group", p.space_group)?;
    d.set_item("crystal_system", system)?;
    d.set_item("notes", p.notes)?;
    d.set_item("energies", PyArray1::from_vec(py, p.energies))?;
    d.set_item("unit", p.energy_unit.symbol())?;
    d.set_item("mean", PyArray1::from_vec(py, p.mean))?;
    match p.std {
        Some(s) => d.set_item("std", PyArray1::from_vec(py, s))?,
        None => d.set_item("std", py.None())?,
    }
    d.set_item("std_calibrated", p.std_calibrated)?;
    d.set_item("members", p.members)?;
    Ok(d)
}
