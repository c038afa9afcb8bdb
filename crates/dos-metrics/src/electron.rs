//! Band edges and Fermi level from an electron DOS on an energy grid.
//!
//! The DOS `g(E)` is the piecewise-linear interpolation of the grid values (states/eV per cell,
//! spins summed). Typical input: a model's 201-point prediction with `energies` relative to the
//! Fermi level (`e_fermi = 0`).
//!
//! - [`band_edges`]: if `g(E_F) > threshold` the material is a metal (`vbm = cbm = E_F`).
//!   Otherwise the VBM is the highest `E <= E_F` and the CBM the lowest `E >= E_F` where the
//!   interpolated `g` rises above `threshold` (found by linear interpolation inside the grid
//!   cell); gap `= cbm - vbm`. Either edge is `None` when the grid has no state on that side.
//! - [`electron_count`]: `N(mu) = int g(E) f(E - mu) dE` with `f` a step (no smearing; the
//!   integral of the interpolated DOS is exact) or a Fermi-Dirac function of width `kT`.
//! - [`fermi_level`]: solves `N(mu) = N_e` by bisection. Inside a gap `N(mu)` is flat, so any
//!   `mu` there solves it; we return the midpoint of the interval of solutions
//!   `{mu : |N(mu) - N_e| <= tol}`, i.e. mid-gap for an insulator (exactly mid-gap for
//!   symmetric band edges) and the usual Fermi level for a metal.

use serde::{Deserialize, Serialize};

use crate::error::{check_finite, MetricsError, Result};

/// Valence-band maximum and conduction-band minimum, eV (same reference as the grid).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GridBandEdges {
    /// Valence-band maximum; `None` when no state lies below `E_F` on the grid.
    pub vbm: Option<f64>,
    /// Conduction-band minimum; `None` when no state lies above `E_F` on the grid.
    pub cbm: Option<f64>,
}

impl GridBandEdges {
    /// `cbm - vbm` in eV (0 for a metal); `None` when an edge is missing.
    pub fn gap(&self) -> Option<f64> {
        Some((self.cbm? - self.vbm?).max(0.0))
    }
}

fn check_grid(energies: &[f64], dos: &[f64]) -> Result<()> {
    if energies.len() < 2 {
        return Err(MetricsError::Empty {
            what: "energy grid (need at least 2 points)",
        });
    }
    if dos.len() != energies.len() {
        return Err(MetricsError::LengthMismatch {
            index: 0,
            what: "electron dos",
            expected: energies.len(),
            got: dos.len(),
        });
    }
    check_finite(energies, 0, "energies")?;
    check_finite(dos, 0, "electron dos")?;
    if let Some(i) = energies.windows(2).position(|w| w[1] <= w[0]) {
        return Err(MetricsError::Invalid {
            field: "energies",
            message: format!("must increase strictly (index {})", i + 1),
        });
    }
    Ok(())
}

/// Linear interpolation of the grid DOS at `e` (0 outside the grid).
fn interp(energies: &[f64], dos: &[f64], e: f64) -> f64 {
    let n = energies.len();
    if e < energies[0] || e > energies[n - 1] {
        return 0.0;
    }
    let i = energies.partition_point(|&v| v <= e).min(n - 1).max(1);
    let (x0, x1) = (energies[i - 1], energies[i]);
    dos[i - 1] + (dos[i] - dos[i - 1]) * (e - x0) / (x1 - x0)
}

/// Band edges around `e_fermi` with an absolute density `threshold` (states/eV); see the
/// [module docs](self).
///
/// # Shapes
/// `energies: (M,)` strictly increasing, `dos: (M,)`.
pub fn band_edges(
    energies: &[f64],
    dos: &[f64],
    e_fermi: f64,
    threshold: f64,
) -> Result<GridBandEdges> {
    check_grid(energies, dos)?;
    if !(threshold.is_finite() && threshold >= 0.0 && e_fermi.is_finite()) {
        return Err(MetricsError::Invalid {
            field: "threshold/e_fermi",
            message: format!("need finite e_fermi and threshold >= 0, got {e_fermi}, {threshold}"),
        });
    }
    let g_f = interp(energies, dos, e_fermi);
    if g_f > threshold {
        return Ok(GridBandEdges {
            vbm: Some(e_fermi),
            cbm: Some(e_fermi),
        });
    }
    // Points of the piecewise-linear DOS, with E_F inserted, split at E_F.
    let below: Vec<(f64, f64)> = energies
        .iter()
        .zip(dos)
        .filter(|(e, _)| **e < e_fermi)
        .map(|(e, g)| (*e, *g))
        .chain(std::iter::once((e_fermi, g_f)))
        .collect();
    let above: Vec<(f64, f64)> = std::iter::once((e_fermi, g_f))
        .chain(
            energies
                .iter()
                .zip(dos)
                .filter(|(e, _)| **e > e_fermi)
                .map(|(e, g)| (*e, *g)),
        )
        .collect();
    // Walking away from E_F, the first point above threshold and its neighbour towards E_F
    // (at or below threshold) bracket the crossing.
    let cross =
        |(e0, g0): (f64, f64), (e1, g1): (f64, f64)| e0 + (e1 - e0) * (threshold - g0) / (g1 - g0);
    let vbm = (1..below.len())
        .rev()
        .find(|&k| below[k - 1].1 > threshold)
        .map(|k| cross(below[k], below[k - 1]));
    let cbm = (1..above.len())
        .find(|&k| above[k].1 > threshold)
        .map(|k| cross(above[k - 1], above[k]));
    Ok(GridBandEdges { vbm, cbm })
}

/// Occupation function used by [`electron_count`] and [`fermi_level`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum Smearing {
    /// Step function: states below `mu` are filled (exact integral of the interpolated DOS).
    #[default]
    None,
    /// Fermi-Dirac `f = 1 / (1 + exp((E - mu) / kt))`, `kt` in eV (> 0); trapezoidal rule.
    FermiDirac {
        /// Width `k_B T` in eV.
        kt: f64,
    },
}

/// Number of electrons below `mu`: `N(mu) = int g(E) f(E - mu) dE` over the grid (see the
/// [module docs](self)). Negative DOS values are clamped to 0.
///
/// # Shapes
/// `energies: (M,)` strictly increasing, `dos: (M,)`.
pub fn electron_count(energies: &[f64], dos: &[f64], mu: f64, smearing: Smearing) -> Result<f64> {
    check_grid(energies, dos)?;
    check_smearing(smearing)?;
    Ok(count_unchecked(energies, dos, mu, smearing))
}

fn check_smearing(smearing: Smearing) -> Result<()> {
    match smearing {
        Smearing::FermiDirac { kt } if !(kt.is_finite() && kt > 0.0) => {
            Err(MetricsError::Invalid {
                field: "smearing kt",
                message: format!("must be finite and > 0 eV, got {kt}"),
            })
        }
        _ => Ok(()),
    }
}

fn count_unchecked(energies: &[f64], dos: &[f64], mu: f64, smearing: Smearing) -> f64 {
    match smearing {
        Smearing::None => {
            let mut total = 0.0;
            for (e, g) in energies.windows(2).zip(dos.windows(2)) {
                let (g0, g1) = (g[0].max(0.0), g[1].max(0.0));
                if mu >= e[1] {
                    total += 0.5 * (e[1] - e[0]) * (g0 + g1);
                } else {
                    if mu > e[0] {
                        // Integral of the linear piece from e[0] to mu.
                        let gm = g0 + (g1 - g0) * (mu - e[0]) / (e[1] - e[0]);
                        total += 0.5 * (mu - e[0]) * (g0 + gm);
                    }
                    break;
                }
            }
            total
        }
        Smearing::FermiDirac { kt } => {
            // 1 / (1 + e^z) written to avoid overflow for large |z|.
            let occ = |e: f64| {
                let z = (e - mu) / kt;
                if z > 0.0 {
                    let ez = (-z).exp();
                    ez / (1.0 + ez)
                } else {
                    1.0 / (1.0 + z.exp())
                }
            };
            energies
                .windows(2)
                .zip(dos.windows(2))
                .map(|(e, g)| {
                    0.5 * (e[1] - e[0]) * (g[0].max(0.0) * occ(e[0]) + g[1].max(0.0) * occ(e[1]))
                })
                .sum()
        }
    }
}

/// Fermi level `mu` with `N(mu) = n_electrons` (see the [module docs](self)); `tol` is the
/// accepted error in the electron count (e.g. 1e-6).
///
/// Errors when `n_electrons` is negative or more than the grid holds (`N(+inf)`).
///
/// # Shapes
/// `energies: (M,)` strictly increasing, `dos: (M,)`.
pub fn fermi_level(
    energies: &[f64],
    dos: &[f64],
    n_electrons: f64,
    smearing: Smearing,
    tol: f64,
) -> Result<f64> {
    check_grid(energies, dos)?;
    check_smearing(smearing)?;
    if !(tol.is_finite() && tol > 0.0) {
        return Err(MetricsError::Invalid {
            field: "tol",
            message: format!("must be finite and > 0, got {tol}"),
        });
    }
    let n = energies.len();
    let pad = match smearing {
        Smearing::None => 0.0,
        Smearing::FermiDirac { kt } => 50.0 * kt,
    };
    let (lo, hi) = (energies[0] - pad, energies[n - 1] + pad);
    let count = |mu: f64| count_unchecked(energies, dos, mu, smearing);
    let max_count = count(hi);
    if !(n_electrons.is_finite() && n_electrons >= 0.0 && n_electrons <= max_count + tol) {
        return Err(MetricsError::Invalid {
            field: "n_electrons",
            message: format!("must be in [0, {max_count}] (the grid's total), got {n_electrons}"),
        });
    }
    // Lowest mu with N(mu) >= N_e - tol, highest mu with N(mu) <= N_e + tol (N is
    // non-decreasing in mu), each by bisection to machine precision.
    let bisect = |pred: &dyn Fn(f64) -> bool| {
        // Smallest mu in [lo, hi] with pred(mu) true, pred monotone false -> true.
        let (mut a, mut b) = (lo, hi);
        for _ in 0..200 {
            let m = 0.5 * (a + b);
            if m <= a || m >= b {
                break;
            }
            if pred(m) {
                b = m;
            } else {
                a = m;
            }
        }
        b
    };
    let mu_lo = bisect(&|mu| count(mu) >= n_electrons - tol);
    let mu_hi = bisect(&|mu| count(mu) > n_electrons + tol);
    Ok(0.5 * (mu_lo + mu_hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two Gaussian peaks (width 0.05 eV) of 2 states each at -1 and +2 eV, 0.001 eV grid.
    fn two_level() -> (Vec<f64>, Vec<f64>, f64) {
        let sigma: f64 = 0.05;
        let h = 2.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        let e: Vec<f64> = (0..=6000).map(|i| -2.5 + i as f64 * 0.001).collect();
        let g = e
            .iter()
            .map(|x| {
                h * ((-0.5 * ((x + 1.0) / sigma).powi(2)).exp()
                    + (-0.5 * ((x - 2.0) / sigma).powi(2)).exp())
            })
            .collect();
        (e, g, h)
    }

    #[test]
    fn two_level_system_gap_and_mid_gap_fermi_level() {
        let (e, g, h) = two_level();
        let thr = 1e-3;
        // A Gaussian of height h drops to thr at distance sigma sqrt(2 ln(h / thr)).
        let d = 0.05 * (2.0 * (h / thr).ln()).sqrt();
        let edges = band_edges(&e, &g, 0.3, thr).unwrap();
        assert!((edges.vbm.unwrap() - (-1.0 + d)).abs() < 1e-4, "{edges:?}");
        assert!((edges.cbm.unwrap() - (2.0 - d)).abs() < 1e-4, "{edges:?}");
        assert!((edges.gap().unwrap() - (3.0 - 2.0 * d)).abs() < 2e-4);
        // 2 electrons fill the lower level: mu is mid-gap, 0.5 eV, with or without smearing.
        let mu = fermi_level(&e, &g, 2.0, Smearing::None, 1e-6).unwrap();
        assert!((mu - 0.5).abs() < 1e-3, "mu {mu}");
        let mu_fd = fermi_level(&e, &g, 2.0, Smearing::FermiDirac { kt: 0.025 }, 1e-6).unwrap();
        assert!((mu_fd - 0.5).abs() < 1e-3, "mu {mu_fd}");
        // 3 electrons half-fill the upper level: mu at its centre.
        let mu3 = fermi_level(&e, &g, 3.0, Smearing::None, 1e-9).unwrap();
        assert!((mu3 - 2.0).abs() < 1e-6, "mu {mu3}");
        // At the new mu the material is metallic.
        let metal = band_edges(&e, &g, mu3, thr).unwrap();
        assert_eq!(metal.gap(), Some(0.0));
    }

    #[test]
    fn flat_band_counts_exactly() {
        // g = 2 states/eV on [-1, 3]: N(mu) = 2 (mu + 1), 8 in total.
        let e: Vec<f64> = (0..=40).map(|i| -1.0 + i as f64 * 0.1).collect();
        let g = vec![2.0; e.len()];
        for mu in [-1.5, -1.0, -0.37, 0.0, 1.234, 3.0, 4.0] {
            let n = electron_count(&e, &g, mu, Smearing::None).unwrap();
            let exact = (2.0 * (mu + 1.0)).clamp(0.0, 8.0);
            assert!((n - exact).abs() < 1e-12, "mu={mu}: {n} vs {exact}");
        }
        let mu = fermi_level(&e, &g, 5.0, Smearing::None, 1e-9).unwrap();
        assert!((mu - 1.5).abs() < 1e-8);
        // Fermi-Dirac smearing of a flat band is symmetric around mu away from the band ends.
        let n = electron_count(&e, &g, 1.0, Smearing::FermiDirac { kt: 0.05 }).unwrap();
        assert!((n - 4.0).abs() < 1e-3, "{n}");
        assert!(fermi_level(&e, &g, 9.0, Smearing::None, 1e-9).is_err());
        assert!(fermi_level(&e, &g, -1.0, Smearing::None, 1e-9).is_err());
        assert!(electron_count(&e, &g, 0.0, Smearing::FermiDirac { kt: 0.0 }).is_err());
        // Metal: the edges are E_F.
        let m = band_edges(&e, &g, 0.5, 1e-3).unwrap();
        assert_eq!((m.vbm, m.cbm), (Some(0.5), Some(0.5)));
    }

    #[test]
    fn missing_edges_are_none() {
        let e = [0.0, 1.0, 2.0, 3.0];
        let g = [0.0, 0.0, 1.0, 1.0];
        let edges = band_edges(&e, &g, 0.5, 0.1).unwrap();
        assert_eq!(edges.vbm, None);
        // Crossing of 0.1 between (1, 0) and (2, 1).
        assert!((edges.cbm.unwrap() - 1.1).abs() < 1e-12);
        assert_eq!(edges.gap(), None);
        assert!(band_edges(&e, &g[..3], 0.5, 0.1).is_err());
    }
}
