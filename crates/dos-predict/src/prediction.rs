//! [`Prediction`]: what a [`crate::Predictor`] says about one structure.

use dos_data::symmetry::CrystalSystem;
use serde::{Deserialize, Serialize};

use crate::energy_grid::EnergyUnit;
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
    /// Crystal system used as the prompt, or `None` when unknown (then the mean of the
    /// trained prompts was used). Written as its lower-case name (`cubic`, ...) or `unknown`.
    #[serde(with = "system_or_unknown")]
    pub crystal_system: Option<CrystalSystem>,
    /// What the caller should know: why the symmetry is unknown (the mean prompt was used),
    /// why the properties are missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Energy grid.
    pub energies: Vec<f64>,
    /// Unit of `energies`: `cm^-1` (phonons) or `eV` relative to the Fermi level (electrons).
    pub energy_unit: EnergyUnit,
    /// Ensemble-mean DOS (scale: the package's `target_scale`, e.g. maximum 1 for phonons).
    pub mean: Vec<f64>,
    /// Per-point standard deviation: the members' spread times the package's calibration
    /// scale, so that `mean +- 1.645 std` is the 90 % interval. `None` for a single model,
    /// which has no spread.
    pub std: Option<Vec<f64>>,
    /// Whether `std` carries a fitted calibration scale (false: the raw spread).
    pub std_calibrated: bool,
    /// Out-of-distribution signal: the percentage of the package's validation crystals on
    /// which the members disagreed less than on this one
    /// ([`crate::calibration::Calibration::spread_percentile`]); above 95 the structure is
    /// probably unlike the training data, and a note says so. `None` for a single model or a
    /// package without the reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread_percentile: Option<f64>,
    /// Number of ensemble members averaged.
    pub members: usize,
    /// Phonon properties (phonon packages only; `None` with a note when the predicted DOS has
    /// no positive weight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<PhononProperties>,
}

pub use dos_data::symmetry::UNKNOWN_SYSTEM_NAME;

/// `Option<CrystalSystem>` as the system's lower-case name, or [`UNKNOWN_SYSTEM_NAME`].
mod system_or_unknown {
    use super::{CrystalSystem, UNKNOWN_SYSTEM_NAME};
    use dos_data::symmetry::system_name;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        system: &Option<CrystalSystem>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(system_name(*system))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CrystalSystem>, D::Error> {
        let name = String::deserialize(d)?;
        if name == UNKNOWN_SYSTEM_NAME {
            return Ok(None);
        }
        name.parse().map(Some).map_err(D::Error::custom)
    }
}

/// 1 cm^-1 in THz.
pub const THZ_PER_CM: f64 = 0.029_979_245_8;

impl Prediction {
    /// The crystal system's lower-case name, or [`UNKNOWN_SYSTEM_NAME`].
    pub fn crystal_system_name(&self) -> &'static str {
        dos_data::symmetry::system_name(self.crystal_system)
    }

    /// The mean DOS as pymatgen's `PhononDos` holds it: frequencies in THz (`energies` in
    /// cm^-1 times [`THZ_PER_CM`]) and densities in modes per THz per cell, normalised so the
    /// trapezoid area is 3N (the raw mean clipped at 0 when it has no positive weight).
    pub fn phonon_dos_thz(&self) -> (Vec<f64>, Vec<f64>) {
        let freqs: Vec<f64> = self.energies.iter().map(|e| e * THZ_PER_CM).collect();
        let densities = dos_metrics::PhononDos::new(&freqs, &self.mean, self.n_atoms).map_or_else(
            |_| self.mean.iter().map(|v| v.max(0.0)).collect(),
            |d| d.dos().to_vec(),
        );
        (freqs, densities)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    /// A cubic NaCl phonon prediction of one model on `energies`, with mean `mean`.
    fn nacl(energies: Vec<f64>, mean: Vec<f64>) -> Prediction {
        Prediction {
            id: "x".into(),
            formula: "NaCl".into(),
            n_atoms: 2,
            space_group: Some(225),
            crystal_system: Some(CrystalSystem::Cubic),
            notes: vec![],
            energies,
            energy_unit: EnergyUnit::Wavenumber,
            mean,
            std: None,
            std_calibrated: false,
            spread_percentile: None,
            members: 1,
            properties: None,
        }
    }

    #[test]
    fn phonon_dos_thz_is_normalised_to_3n_modes() {
        let energies: Vec<f64> = (0..51).map(|i| 20.0 * i as f64).collect();
        let mean = energies.iter().map(|e| (e / 300.0).sin().abs()).collect();
        let p = nacl(energies, mean);
        let (f, g) = p.phonon_dos_thz();
        assert!((f[50] - 29.979_245_8).abs() < 1e-9);
        let area: f64 = f
            .windows(2)
            .zip(g.windows(2))
            .map(|(x, y)| 0.5 * (x[1] - x[0]) * (y[0] + y[1]))
            .sum();
        assert!((area - 6.0).abs() < 1e-9, "{area}");
    }

    #[test]
    fn json_writes_system_and_unit_as_names() {
        let mut p = nacl(vec![0.0], vec![1.0]);
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains(r#""crystal_system":"cubic""#), "{json}");
        assert!(json.contains(r#""energy_unit":"cm^-1""#), "{json}");
        assert_eq!(serde_json::from_str::<Prediction>(&json).unwrap(), p);
        p.crystal_system = None;
        p.energy_unit = EnergyUnit::ElectronVolt;
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains(r#""crystal_system":"unknown""#), "{json}");
        assert!(json.contains(r#""energy_unit":"eV""#), "{json}");
        assert_eq!(serde_json::from_str::<Prediction>(&json).unwrap(), p);
        assert!(serde_json::from_str::<Prediction>(&json.replace("unknown", "cubik")).is_err());
        assert_eq!(
            (p.crystal_system_name(), p.energy_unit.to_string()),
            ("unknown", "eV".into())
        );
    }
}
