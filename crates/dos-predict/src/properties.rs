//! Phonon properties of a predicted DOS, with their spread over ensemble members.
//!
//! Each member's DOS is clamped at 0, normalised to `3N` modes for the structure's `N` atoms
//! and integrated with the harmonic formulas of [`dos_metrics::phonon`] (heat capacity,
//! vibrational entropy, Helmholtz free energy, zero-point energy). The reported value is the
//! mean over members; the spread is the members' sample standard deviation (`None` for a single
//! model). The spread is not calibrated: the calibration scale applies to the DOS only.

use dos_metrics::phonon::PhononDos;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// A value over the ensemble: mean and sample standard deviation of the members.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Mean over members.
    pub mean: f64,
    /// Sample standard deviation over members; `None` for one member.
    pub std: Option<f64>,
}

impl Estimate {
    /// Mean and sample standard deviation of `values` (at least one).
    pub fn of(values: &[f64]) -> Self {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = (values.len() > 1)
            .then(|| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
        Self { mean, std }
    }
}

/// `mean +- std` (just `mean` without a spread), each with the formatter's precision.
impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = f.precision().unwrap_or(4);
        match self.std {
            Some(s) => write!(f, "{:.p$} +- {:.p$}", self.mean, s),
            None => write!(f, "{:.p$}", self.mean),
        }
    }
}

/// Harmonic phonon properties at one temperature, per atom (units in the field names; the
/// heat capacity and entropy per mole of atoms).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PhononProperties {
    /// Temperature in K.
    pub temperature_k: f64,
    /// Heat capacity at constant volume, J/(mol K) per mole of atoms (3R = 24.94 at high T).
    pub heat_capacity_j_per_mol_k: Estimate,
    /// Vibrational entropy, J/(mol K) per mole of atoms.
    pub entropy_j_per_mol_k: Estimate,
    /// Helmholtz free energy, eV per atom.
    pub free_energy_ev_per_atom: Estimate,
    /// Zero-point energy, eV per atom.
    pub zero_point_energy_ev_per_atom: Estimate,
}

impl PhononProperties {
    /// Properties of each member's DOS `members[k]` (on `frequencies`, cm^-1) for `n_atoms`
    /// atoms at `temperature` K.
    ///
    /// # Errors
    /// A temperature that is not finite and > 0, a DOS with no positive weight, grids that do
    /// not match.
    pub fn of_members(
        frequencies: &[f64],
        members: &[&[f64]],
        n_atoms: usize,
        temperature: f64,
    ) -> Result<Self> {
        let mut cv = Vec::with_capacity(members.len());
        let mut s = Vec::with_capacity(members.len());
        let mut f = Vec::with_capacity(members.len());
        let mut zpe = Vec::with_capacity(members.len());
        for dos in members {
            let t = PhononDos::new(frequencies, dos, n_atoms)?.thermal(temperature)?;
            cv.push(t.heat_capacity_j_per_mol_k());
            s.push(t.entropy * dos_metrics::phonon::GAS_CONSTANT_J_PER_MOL_K);
            f.push(t.free_energy);
            zpe.push(t.zero_point_energy);
        }
        Ok(Self {
            temperature_k: temperature,
            heat_capacity_j_per_mol_k: Estimate::of(&cv),
            entropy_j_per_mol_k: Estimate::of(&s),
            free_energy_ev_per_atom: Estimate::of(&f),
            zero_point_energy_ev_per_atom: Estimate::of(&zpe),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_is_mean_and_sample_std() {
        let e = Estimate::of(&[1.0, 2.0, 3.0]);
        assert_eq!((e.mean, e.std), (2.0, Some(1.0)));
        assert_eq!(Estimate::of(&[4.0]).std, None);
        assert_eq!(format!("{e:.2}"), "2.00 +- 1.00");
        assert_eq!(format!("{}", Estimate::of(&[4.0])), "4.0000");
    }

    /// An Einstein solid: all 3N modes at one frequency nu_E. A narrow triangle around nu_E on
    /// a fine grid gives the closed-form heat capacity 3R x^2 e^x / (e^x - 1)^2 per atom and
    /// zero-point energy h c nu_E / 2 per mode times 3.
    #[test]
    fn einstein_solid_matches_closed_form() {
        let nu_e = 300.0;
        let grid: Vec<f64> = (0..=2000).map(|i| i as f64 * 0.5).collect();
        let dos: Vec<f64> = grid
            .iter()
            .map(|&nu| (1.0 - (nu - nu_e).abs() / 0.5).max(0.0))
            .collect();
        let t = 300.0;
        let p = PhononProperties::of_members(&grid, &[&dos, &dos], 2, t).unwrap();
        let x = dos_metrics::phonon::HC_OVER_KB_CM_K * nu_e / t;
        let r = dos_metrics::phonon::GAS_CONSTANT_J_PER_MOL_K;
        let cv = 3.0 * r * x * x * x.exp() / (x.exp() - 1.0).powi(2);
        assert!((p.heat_capacity_j_per_mol_k.mean - cv).abs() < 1e-3 * cv);
        let zpe = 3.0 * 0.5 * dos_metrics::phonon::HC_EV_CM * nu_e;
        assert!((p.zero_point_energy_ev_per_atom.mean - zpe).abs() < 1e-6 * zpe);
        assert_eq!(p.heat_capacity_j_per_mol_k.std, Some(0.0));
        assert!(PhononProperties::of_members(&grid, &[&dos], 2, -1.0).is_err());
    }
}
