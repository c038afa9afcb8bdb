//! Band gap and band edges of a raw DOS document, as pymatgen computes them.
//!
//! Follows `Dos.get_interpolated_gap` / `get_cbm_vbm` / `get_gap` of
//! pymatgen/electronic_structure/dos.py (read in pymatgen 2026.10.24):
//!
//! 1. `g` = the chosen spin channel, or the sum of both (`spin=None`);
//! 2. relative tolerance (`abs_tol=False`): `tol <- tol * mean(g)`;
//! 3. `vbm_start` = the highest index with `E_i < E_F` and `g_i > tol`, `cbm_start` = the lowest
//!    index with `E_i > E_F` and `g_i > tol`; if either does not exist, or they are equal or
//!    adjacent, there is no gap: `cbm = vbm = E_F`;
//! 4. the VBM is where the straight line through `(g, E)` at indices `vbm_start, vbm_start + 1`
//!    reaches `g = tol`, the CBM likewise on `cbm_start - 1, cbm_start`;
//! 5. `gap = max(cbm - vbm, 0)`.
//!
//! One deviation: when `E_F` sits exactly on a grid point whose density exceeds `tol` (a metal),
//! pymatgen's interpolation raises `ValueError` ("out of range of provided x_values"); here that
//! case returns `cbm = vbm = E_F` (gap 0), which is what the DOS at the Fermi level says.

use serde::{Deserialize, Serialize};

use super::document::ElectronDosDocument;
use crate::error::{DataError, Result};

/// Which spin channel the gap is computed in (pymatgen's `spin` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SpinSelection {
    /// Sum of both channels (`spin=None`).
    #[default]
    Total,
    /// Spin up, key `"1"` (`Spin.up`).
    Up,
    /// Spin down, key `"-1"` (`Spin.down`); an error for unpolarised documents.
    Down,
}

/// Options of [`band_edges`] / [`band_gap`], pymatgen's `get_gap(tol, abs_tol, spin)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GapOptions {
    /// Density threshold. Relative to the mean density when `abs_tol` is false, in states/eV
    /// otherwise. Default 0.001 (pymatgen's own default is 1e-4).
    pub tol: f64,
    /// Interpret `tol` as an absolute density (states/eV).
    pub abs_tol: bool,
    /// Spin channel.
    pub spin: SpinSelection,
}

impl Default for GapOptions {
    /// `tol = 0.001`, relative, total DOS.
    fn default() -> Self {
        Self {
            tol: 0.001,
            abs_tol: false,
            spin: SpinSelection::Total,
        }
    }
}

/// Conduction-band minimum and valence-band maximum in eV (absolute, like the document's
/// energies).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandEdges {
    /// Conduction-band minimum, eV.
    pub cbm: f64,
    /// Valence-band maximum, eV.
    pub vbm: f64,
}

impl BandEdges {
    /// `max(cbm - vbm, 0)` in eV.
    pub fn gap(&self) -> f64 {
        (self.cbm - self.vbm).max(0.0)
    }
}

/// pymatgen's `Dos.get_cbm_vbm(tol, abs_tol, spin)` (see the [module docs](self)).
pub fn band_edges(doc: &ElectronDosDocument, opts: &GapOptions) -> Result<BandEdges> {
    if !(opts.tol.is_finite() && opts.tol >= 0.0) {
        return Err(DataError::Invalid {
            field: "band gap tol".into(),
            message: format!("must be finite and >= 0, got {}", opts.tol),
        });
    }
    let g = match opts.spin {
        SpinSelection::Total => doc.total_densities(),
        SpinSelection::Up => doc.densities_up.clone(),
        SpinSelection::Down => doc
            .densities_down
            .clone()
            .ok_or_else(|| DataError::Invalid {
                field: "band gap spin".into(),
                message: "spin down requested but the document is not spin-polarised".into(),
            })?,
    };
    let e = &doc.energies;
    let ef = doc.efermi;
    let tol = if opts.abs_tol {
        opts.tol
    } else {
        opts.tol * g.iter().sum::<f64>() / g.len() as f64
    };
    let no_gap = BandEdges { cbm: ef, vbm: ef };
    let vbm_start = (0..e.len()).rev().find(|&i| e[i] < ef && g[i] > tol);
    let cbm_start = (0..e.len()).find(|&i| e[i] > ef && g[i] > tol);
    let (Some(v), Some(c)) = (vbm_start, cbm_start) else {
        return Ok(no_gap);
    };
    if v == c || v + 1 == c {
        return Ok(no_gap);
    }
    let vbm = crossing((g[v], e[v]), (g[v + 1], e[v + 1]), tol);
    let cbm = crossing((g[c - 1], e[c - 1]), (g[c], e[c]), tol);
    match (cbm, vbm) {
        (Some(cbm), Some(vbm)) => Ok(BandEdges { cbm, vbm }),
        // Both densities of a pair exceed tol: E_F is on a grid point inside a band.
        _ => Ok(no_gap),
    }
}

/// pymatgen's `Dos.get_gap(tol, abs_tol, spin)`: `max(cbm - vbm, 0)` in eV.
pub fn band_gap(doc: &ElectronDosDocument, opts: &GapOptions) -> Result<f64> {
    Ok(band_edges(doc, opts)?.gap())
}

/// pymatgen's `get_linear_interpolated_value(densities, energies, tol)` on two points: sort by
/// density, take the first point with density > tol and its predecessor, interpolate the energy
/// linearly at `tol`. `None` where pymatgen raises (no such point, or it is the first).
fn crossing(a: (f64, f64), b: (f64, f64), tol: f64) -> Option<f64> {
    let (lo, hi) = if (a.0, a.1) <= (b.0, b.1) {
        (a, b)
    } else {
        (b, a)
    };
    if lo.0 > tol || hi.0 <= tol {
        return None;
    }
    Some(lo.1 + (hi.1 - lo.1) / (hi.0 - lo.0) * (tol - lo.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// E = linspace(-3, 3, 61); up = 0 on (-0.55, 0.75) else 1 + |E|/2;
    /// down = 0 on (-0.85, 0.45) else 2 + E^2/4; E_F = 0.13.
    fn doc(with_down: bool, efermi: f64) -> ElectronDosDocument {
        let mut e: Vec<f64> = (0..61).map(|i| -3.0 + i as f64 * 0.1).collect();
        e[60] = 3.0;
        let up = e
            .iter()
            .map(|&x| {
                if x > -0.55 && x < 0.75 {
                    0.0
                } else {
                    1.0 + 0.5 * x.abs()
                }
            })
            .collect();
        let down = e
            .iter()
            .map(|&x| {
                if x > -0.85 && x < 0.45 {
                    0.0
                } else {
                    2.0 + 0.25 * x * x
                }
            })
            .collect();
        ElectronDosDocument::new(efermi, e, up, with_down.then_some(down), Path::new("gap"))
            .unwrap()
    }

    #[test]
    fn matches_pymatgen_get_gap() {
        // python3 (pymatgen 2026.10.24): E=np.linspace(-3,3,61); up/down as in `doc`;
        //   d=Dos(0.13,E,{Spin.up:up,Spin.down:down});
        //   d.get_gap(tol=0.001, spin=s), d.get_cbm_vbm(tol=0.001, spin=s)
        let cases = [
            (
                false,
                SpinSelection::Total,
                1.2002245946676275,
                0.7001081381733023,
                -0.5001164564943253,
            ),
            (
                true,
                SpinSelection::Total,
                0.9004832111276706,
                0.40018681768504755,
                -0.500296393442623,
            ),
            (
                true,
                SpinSelection::Up,
                1.2002245946676275,
                0.7001081381733023,
                -0.5001164564943253,
            ),
            (
                true,
                SpinSelection::Down,
                1.2002196204940307,
                0.4001134148037758,
                -0.8001062056902549,
            ),
        ];
        for (down, spin, gap, cbm, vbm) in cases {
            let opts = GapOptions {
                spin,
                ..GapOptions::default()
            };
            let d = doc(down, 0.13);
            let edges = band_edges(&d, &opts).unwrap();
            assert!(
                (edges.cbm - cbm).abs() < 1e-9,
                "{spin:?}: cbm {}",
                edges.cbm
            );
            assert!(
                (edges.vbm - vbm).abs() < 1e-9,
                "{spin:?}: vbm {}",
                edges.vbm
            );
            assert!((band_gap(&d, &opts).unwrap() - gap).abs() < 1e-9);
        }
        // Absolute tolerance: d.get_gap(tol=1.5, abs_tol=True) = 1.2771667843809908,
        // get_cbm_vbm -> (0.47272727272727283, -0.804439511653718).
        let opts = GapOptions {
            tol: 1.5,
            abs_tol: true,
            spin: SpinSelection::Total,
        };
        let edges = band_edges(&doc(true, 0.13), &opts).unwrap();
        assert!((edges.cbm - 0.47272727272727283).abs() < 1e-9);
        assert!((edges.vbm - -0.804439511653718).abs() < 1e-9);
        assert!((edges.gap() - 1.2771667843809908).abs() < 1e-9);
    }

    #[test]
    fn metals_have_no_gap() {
        let e: Vec<f64> = (0..61).map(|i| -3.0 + i as f64 * 0.1).collect();
        let flat = vec![1.0; 61];
        // pymatgen: Dos(0.01, E, {Spin.up: ones}).get_cbm_vbm(tol=0.001) -> (0.01, 0.01).
        let m = ElectronDosDocument::new(0.01, e.clone(), flat.clone(), None, Path::new("m"));
        let edges = band_edges(&m.unwrap(), &GapOptions::default()).unwrap();
        assert_eq!((edges.cbm, edges.vbm), (0.01, 0.01));
        // E_F exactly on a grid point (pymatgen raises here): gap 0 at E_F.
        let m = ElectronDosDocument::new(e[30], e, flat, None, Path::new("m")).unwrap();
        let edges = band_edges(&m, &GapOptions::default()).unwrap();
        assert_eq!((edges.cbm, edges.vbm), (m.efermi, m.efermi));
        assert!(band_edges(
            &doc(false, 0.13),
            &GapOptions {
                spin: SpinSelection::Down,
                ..Default::default()
            }
        )
        .is_err());
    }

    #[test]
    fn known_gap_of_a_synthetic_document() {
        // Valence band up to -1 eV, conduction band from 1.5 eV, sharp edges on a 0.01 eV
        // grid: the gap is 2.5 eV up to the interpolation inside one grid cell.
        let e: Vec<f64> = (0..1001).map(|i| -5.0 + i as f64 * 0.01).collect();
        let g = e
            .iter()
            .map(|&x| {
                if x <= -1.0 + 1e-9 || x >= 1.5 - 1e-9 {
                    2.0
                } else {
                    0.0
                }
            })
            .collect();
        let d = ElectronDosDocument::new(0.2, e, g, None, Path::new("s")).unwrap();
        let edges = band_edges(&d, &GapOptions::default()).unwrap();
        assert!((edges.vbm - -1.0).abs() < 0.01, "vbm {}", edges.vbm);
        assert!((edges.cbm - 1.5).abs() < 0.01, "cbm {}", edges.cbm);
        assert!((edges.gap() - 2.5).abs() < 0.02);
    }
}
