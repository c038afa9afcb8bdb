//! [`EnergyGrid`]: the energies a model predicts the DOS on, with their unit.

use dos_models::Task;
use serde::{Deserialize, Serialize};

/// Largest grid a package may declare (the electron grid has 201 points).
pub const MAX_GRID_POINTS: usize = 100_000;

/// Unit of an [`EnergyGrid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnergyUnit {
    /// Wavenumber in cm^-1 (phonon frequencies).
    #[serde(rename = "cm^-1")]
    Wavenumber,
    /// Electron-volts relative to the Fermi level (electron energies).
    #[serde(rename = "eV")]
    ElectronVolt,
}

impl EnergyUnit {
    /// The unit as written in files: `cm^-1` or `eV`.
    pub fn symbol(self) -> &'static str {
        match self {
            EnergyUnit::Wavenumber => "cm^-1",
            EnergyUnit::ElectronVolt => "eV",
        }
    }
}

impl std::fmt::Display for EnergyUnit {
    /// The [`symbol`](EnergyUnit::symbol).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.symbol())
    }
}

/// The M energies of a model's output, strictly increasing, in `unit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyGrid {
    /// Grid values.
    pub values: Vec<f64>,
    /// Their unit.
    pub unit: EnergyUnit,
}

impl EnergyGrid {
    /// The phonon benchmark grid: 0..=1000 cm^-1 in steps of 20 (51 points).
    pub fn phonon() -> Self {
        Self {
            values: (0..51).map(|i| 20.0 * i as f64).collect(),
            unit: EnergyUnit::Wavenumber,
        }
    }

    /// The electron grid: -5..=5 eV around the Fermi level in steps of 0.05 (201 points).
    pub fn electron() -> Self {
        Self {
            values: (0..201).map(|i| -5.0 + 0.05 * i as f64).collect(),
            unit: EnergyUnit::ElectronVolt,
        }
    }

    /// The default grid of a task (what run folders without a package were trained on).
    pub fn for_task(task: Task) -> Self {
        match task {
            Task::Phonon => Self::phonon(),
            Task::Electron => Self::electron(),
        }
    }

    /// Number of points M.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True for an empty grid (never valid).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Checks 2..=[`MAX_GRID_POINTS`] finite, strictly increasing values; the message says
    /// what is wrong.
    pub fn check(&self) -> std::result::Result<(), String> {
        let n = self.values.len();
        if !(2..=MAX_GRID_POINTS).contains(&n) {
            return Err(format!("{n} points, expected 2..={MAX_GRID_POINTS}"));
        }
        if let Some(i) = self.values.iter().position(|v| !v.is_finite()) {
            return Err(format!("value {i} is {}", self.values[i]));
        }
        if let Some(i) = self.values.windows(2).position(|w| w[1] <= w[0]) {
            return Err(format!("values must increase strictly (index {})", i + 1));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_the_benchmark_grids_and_check() {
        let p = EnergyGrid::phonon();
        assert_eq!(
            (p.len(), p.values[50], p.unit.symbol()),
            (51, 1000.0, "cm^-1")
        );
        let e = EnergyGrid::electron();
        assert_eq!(e.len(), 201);
        assert!((e.values[200] - 5.0).abs() < 1e-12);
        assert!(p.check().is_ok() && e.check().is_ok());
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"cm^-1\""), "{json}");
        assert_eq!(serde_json::from_str::<EnergyGrid>(&json).unwrap(), p);
    }

    #[test]
    fn check_rejects_short_unsorted_and_non_finite_grids() {
        let g = |values: Vec<f64>| EnergyGrid {
            values,
            unit: EnergyUnit::Wavenumber,
        };
        assert!(g(vec![1.0]).check().unwrap_err().contains("1 points"));
        assert!(g(vec![0.0, 2.0, 1.0])
            .check()
            .unwrap_err()
            .contains("index 2"));
        assert!(g(vec![0.0, f64::NAN]).check().unwrap_err().contains("NaN"));
    }
}
