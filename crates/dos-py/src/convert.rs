//! Structures handed over from Python: a file path, a dict of arrays, or pymatgen JSON text.

use std::path::{Path, PathBuf};

use dos_data::crystal::MAX_ATOMS;
use dos_data::io::{parse_structure, read_structure, StructureFormat};
use dos_data::Crystal;
use dos_predict::predictor::file_id;
use dos_predict::PredictError;
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

/// One structure as received from Python, read (files) or checked (arrays) later, without the
/// GIL, by [`StructureInput::into_crystal`].
pub enum StructureInput {
    /// A structure file (CIF, POSCAR, pymatgen JSON); its id defaults to the file name.
    File { id: Option<String>, path: PathBuf },
    /// Lattice rows, atomic numbers and Cartesian positions (Angstrom), already checked for
    /// shape; `Err` holds the first problem found.
    Arrays {
        id: String,
        crystal: Result<Crystal, String>,
    },
    /// pymatgen `Structure.as_dict()` serialised as JSON.
    PymatgenJson { id: String, text: String },
}

impl StructureInput {
    /// Reads one Python item: a `str`/`os.PathLike` path, or a dict with either
    /// `lattice` (3, 3) float64, `numbers` (N,) int64 and `positions` (N, 3) float64 numpy arrays,
    /// or `pymatgen_json` (str).
    pub fn extract(id: Option<String>, item: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(dict) = item.cast::<PyDict>() {
            let id = id.unwrap_or_else(|| "structure".to_string());
            if let Some(text) = dict.get_item("pymatgen_json")? {
                let text: String = text.cast::<PyString>()?.extract()?;
                return Ok(Self::PymatgenJson { id, text });
            }
            let crystal = arrays_to_crystal(dict);
            return Ok(Self::Arrays { id, crystal });
        }
        match item.extract::<PathBuf>() {
            Ok(path) => Ok(Self::File { id, path }),
            Err(_) => Err(PyTypeError::new_err(format!(
                "structure {}: expected a path or a dict of arrays, got {}",
                id.as_deref().unwrap_or("?"),
                item.get_type().name()?
            ))),
        }
    }

    /// The structure's id and crystal, reading the file if there is one.
    pub fn into_crystal(self) -> Result<(String, Crystal), PredictError> {
        match self {
            Self::File { id, path } => {
                let crystal = read_structure(&path)?;
                Ok((id.unwrap_or_else(|| file_id(&path)), crystal))
            }
            Self::Arrays { id, crystal } => match crystal {
                Ok(c) => Ok((id, c)),
                Err(message) => Err(PredictError::Structure { id, message }),
            },
            Self::PymatgenJson { id, text } => {
                let crystal =
                    parse_structure(&text, StructureFormat::PymatgenJson, Path::new(&id))?;
                Ok((id, crystal))
            }
        }
    }
}

/// The crystal of a dict of arrays, or the first problem found, naming the field.
fn arrays_to_crystal(dict: &Bound<'_, PyDict>) -> Result<Crystal, String> {
    let field = |name: &str| -> Result<Bound<'_, PyAny>, String> {
        dict.get_item(name)
            .map_err(|e| format!("field `{name}`: {e}"))?
            .ok_or_else(|| format!("field `{name}` is missing"))
    };
    let lattice_any = field("lattice")?;
    let lattice: PyReadonlyArray2<'_, f64> = lattice_any
        .extract()
        .map_err(|_| "field `lattice`: expected a 2-D float64 array".to_string())?;
    let lattice = lattice.as_array();
    if lattice.shape() != [3, 3] {
        return Err(format!(
            "field `lattice`: shape {:?}, expected [3, 3]",
            lattice.shape()
        ));
    }
    let numbers_any = field("numbers")?;
    let numbers: PyReadonlyArray1<'_, i64> = numbers_any
        .extract()
        .map_err(|_| "field `numbers`: expected a 1-D int64 array".to_string())?;
    let numbers = numbers.as_array();
    let n = numbers.len();
    if n == 0 || n > MAX_ATOMS {
        return Err(format!(
            "field `numbers`: {n} atoms, expected 1..={MAX_ATOMS}"
        ));
    }
    let positions_any = field("positions")?;
    let positions: PyReadonlyArray2<'_, f64> = positions_any
        .extract()
        .map_err(|_| "field `positions`: expected a 2-D float64 array".to_string())?;
    let positions = positions.as_array();
    if positions.shape() != [n, 3] {
        return Err(format!(
            "field `positions`: shape {:?}, expected [{n}, 3] (one row per atomic number)",
            positions.shape()
        ));
    }
    let mut z = Vec::with_capacity(n);
    for (i, &v) in numbers.iter().enumerate() {
        match u8::try_from(v) {
            Ok(v) if (1..=118).contains(&v) => z.push(v),
            _ => {
                return Err(format!(
                    "field `numbers[{i}]`: {v} is not an atomic number 1..=118"
                ))
            }
        }
    }
    let rows = |a: &numpy::ndarray::ArrayView2<'_, f64>| -> Vec<[f64; 3]> {
        a.outer_iter().map(|r| [r[0], r[1], r[2]]).collect()
    };
    let l = rows(&lattice);
    Crystal::new([l[0], l[1], l[2]], z, rows(&positions))
        .map_err(|e| format!("invalid crystal: {e}"))
}
