//! [`Prediction`]: what a [`crate::Predictor`] says about one structure.

use serde::{Deserialize, Serialize};

use crate::properties::PhononProperties;

/// The predicted DOS of one structure, with its uncertainty and properties.
///
/// # Shapes
/// `energies`, `mean` and `std` have M entries (the package's grid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Identifier (the file name for files).
    pub id: String,
    /// Reduced formula, e.g. `NaCl`.
    pub formula: String,
    /// Atoms in the cell.
    pub n_atoms: usize,
    /// International space-group number; `None` when symmetry analysis failed.
    pub space_group: Option<u16>,
    /// Crystal system used as the prompt (`cubic`, ...), or `unknown` (then the mean of the
    /// trained prompts was used).
    pub crystal_system: String,
    /// What the caller should know: why the symmetry is unknown (the mean prompt was used),
    /// why the properties are missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Energy grid.
    pub energies: Vec<f64>,
    /// Unit of `energies`: `cm^-1` (phonons) or `eV` relative to the Fermi level (electrons).
    pub energy_unit: String,
    /// Ensemble-mean DOS (scale: the package's `target_scale`, e.g. maximum 1 for phonons).
    pub mean: Vec<f64>,
    /// Per-point standard deviation: the members' spread times the package's calibration
    /// scale, so that `mean +- 1.645 std` is the 90 % interval. `None` for a single model,
    /// which has no spread.
    pub std: Option<Vec<f64>>,
    /// Whether `std` carries a fitted calibration scale (false: the raw spread).
    pub std_calibrated: bool,
    /// Number of ensemble members averaged.
    pub members: usize,
    /// Phonon properties (phonon packages only; `None` with a note when the predicted DOS has
    /// no positive weight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<PhononProperties>,
}

impl Prediction {
    /// Lower and upper ends of the 90 % interval `mean -+ 1.645 std` (`None` without spread).
    pub fn interval_90(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        let std = self.std.as_ref()?;
        let z = crate::calibration::Z_90;
        Some(
            self.mean
                .iter()
                .zip(std)
                .map(|(m, s)| (m - z * s, m + z * s))
                .unzip(),
        )
    }
}
