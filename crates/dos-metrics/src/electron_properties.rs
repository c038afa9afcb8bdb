//! Band gap and Fermi level implied by a predicted electron DOS, against its target.
//!
//! A model predicts the DOS on a fixed window around the Fermi level (the paper's 201 points
//! on -5..5 eV, min-max normalised), so absolute electron counts are gone. The protocol here
//! keeps the count of the target: `N_e = int_{E_0}^{E_F} g_target(E) dE` (states of the
//! window below the target's Fermi level `E_F`, usually 0 on the grid), then
//! - the Fermi level of a DOS is the `mu` with `int_{E_0}^{mu} g(E) dE = N_e`
//!   ([`fermi_level`], mid-gap for an insulator), computed for prediction and target alike;
//! - the band edges of a DOS are those around `E_F` where `g` crosses `threshold`
//!   ([`band_edges`]); the gap is `cbm - vbm` (0 for a metal).
//!
//! Both sides go through the same formulas, so a perfect prediction has zero error.

use serde::{Deserialize, Serialize};

use crate::electron::{band_edges, electron_count, fermi_level, GridBandEdges, Smearing};
use crate::error::Result;

/// Band edges and Fermi level of one DOS on a grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DosElectronProperties {
    /// Band edges around the reference Fermi level.
    pub edges: GridBandEdges,
    /// Fermi level from the electron count, eV on the grid's scale.
    pub fermi_level: f64,
}

impl DosElectronProperties {
    /// Band gap in eV (0 for a metal); `None` when an edge lies outside the window.
    pub fn gap(&self) -> Option<f64> {
        self.edges.gap()
    }
}

/// Properties of `predicted` and of `target` (in that order), both with the electron count of
/// `target` below `e_fermi` and band edges at density `threshold` (see the
/// [module docs](self)).
///
/// # Shapes
/// `energies`, `predicted`, `target`: `(M,)`, energies strictly increasing.
///
/// # Errors
/// Grid errors (lengths, non-finite values, unsorted energies), a negative threshold, or a
/// predicted DOS holding fewer states in the window than the target has below `e_fermi`.
pub fn predicted_electron_properties(
    energies: &[f64],
    predicted: &[f64],
    target: &[f64],
    e_fermi: f64,
    threshold: f64,
) -> Result<(DosElectronProperties, DosElectronProperties)> {
    let n_e = electron_count(energies, target, e_fermi, Smearing::None)?;
    let props = |dos: &[f64]| -> Result<DosElectronProperties> {
        Ok(DosElectronProperties {
            edges: band_edges(energies, dos, e_fermi, threshold)?,
            fermi_level: fermi_level(energies, dos, n_e, Smearing::None, 1e-9)?,
        })
    };
    Ok((props(predicted)?, props(target)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's grid, -5..5 eV in 0.05 eV steps.
    fn grid() -> Vec<f64> {
        (0..201).map(|i| -5.0 + 0.05 * i as f64).collect()
    }

    /// 1 outside (lo, hi), 0 inside: an insulator with flat bands.
    fn gapped(e: &[f64], lo: f64, hi: f64) -> Vec<f64> {
        e.iter()
            .map(|&x| {
                if x <= lo + 1e-9 || x >= hi - 1e-9 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Closed forms for flat bands: the threshold-0.5 crossing lies half a grid step inside
    /// the gap, the target's Fermi level is mid-gap, and a prediction with the valence band
    /// moved up by 0.5 eV holds the target's electrons below `-5 + N_e` (density 1).
    #[test]
    fn flat_band_insulator_closed_forms() {
        let e = grid();
        let target = gapped(&e, -1.0, 1.0);
        let predicted = gapped(&e, -0.5, 1.5);
        let (p, t) = predicted_electron_properties(&e, &predicted, &target, 0.0, 0.5).unwrap();
        assert!((t.edges.vbm.unwrap() + 0.975).abs() < 1e-9);
        assert!((t.edges.cbm.unwrap() - 0.975).abs() < 1e-9);
        assert!((t.gap().unwrap() - 1.95).abs() < 1e-9);
        assert!(t.fermi_level.abs() < 1e-6, "mid-gap, got {}", t.fermi_level);
        assert!((p.edges.vbm.unwrap() + 0.475).abs() < 1e-9);
        assert!((p.edges.cbm.unwrap() - 1.475).abs() < 1e-9);
        // N_e = 4 (flat part from -5 to -1) + 0.025 (the ramp from -1 to -0.95).
        assert!(
            (p.fermi_level - (-5.0 + 4.025)).abs() < 1e-6,
            "{}",
            p.fermi_level
        );
    }

    #[test]
    fn a_perfect_prediction_has_the_targets_properties_and_metals_have_no_gap() {
        let e = grid();
        let metal: Vec<f64> = e.iter().map(|x| 1.0 - (x / 5.0).powi(2)).collect();
        let (p, t) = predicted_electron_properties(&e, &metal, &metal, 0.0, 0.05).unwrap();
        assert_eq!(p, t);
        assert_eq!(t.gap(), Some(0.0));
        assert!(t.fermi_level.abs() < 1e-6);
        // A predicted DOS with no states cannot hold the target's electrons.
        let empty = vec![0.0; e.len()];
        assert!(predicted_electron_properties(&e, &empty, &metal, 0.0, 0.05).is_err());
        assert!(predicted_electron_properties(&e, &metal[..10], &metal, 0.0, 0.05).is_err());
    }
}
