//! Electron DOS document -> fixed-grid training target (paper appendix A.2, made exact).

use serde::{Deserialize, Serialize};

use super::document::ElectronDosDocument;
use super::savgol::savgol_filter_interp;
use dos_config::Check;

use crate::error::{DataError, Result};

/// Settings of the electron DOS preparation.
///
/// Steps, for a document with Fermi level `E_F` and total DOS `g(E) = g_up + g_down`:
/// 1. grid `e_j = e_min + j * step`, `j = 0..M`, `M = round((e_max - e_min) / step) + 1`;
/// 2. `t_j = g(E_F + e_j)` by linear interpolation, `0` outside the document's energy range
///    (`numpy.interp(..., left=0, right=0)`);
/// 3. Savitzky-Golay filter (`savgol_window`, `savgol_polyorder`, scipy `mode="interp"`);
/// 4. if `clamp_negative`: `t_j = max(t_j, 0)`;
/// 5. if `min_max_normalize`: `t_j = (t_j - min t) / (max t - min t)`, and all zeros when the
///    signal is constant (no NaN).
///
/// Equivalent numpy (what the tests compare against):
/// `n = minmax(clip(savgol_filter(interp(ef + grid, E, up + down, 0, 0), 17, 1), 0, None))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElectronDosPipeline {
    /// Lowest grid energy relative to the Fermi level, eV. Paper: -5.
    pub e_min: f64,
    /// Highest grid energy relative to the Fermi level, eV. Paper: 5.
    pub e_max: f64,
    /// Grid spacing in eV; `(e_max - e_min) / step` must be an integer. Paper: 0.05.
    pub step: f64,
    /// Savitzky-Golay window length, odd, `<= M`; 1 disables smoothing. Paper: 17.
    pub savgol_window: usize,
    /// Savitzky-Golay polynomial order, `< savgol_window`. Paper: 1.
    pub savgol_polyorder: usize,
    /// Clamp negative values (from smoothing) to 0. Paper: true.
    pub clamp_negative: bool,
    /// Min-max normalise each DOS to [0, 1]. Paper: true.
    pub min_max_normalize: bool,
}

impl ElectronDosPipeline {
    /// The paper's settings: -5..5 eV step 0.05 (201 points), Savitzky-Golay 17/1, clamp,
    /// min-max normalisation.
    pub fn paper() -> Self {
        Self {
            e_min: -5.0,
            e_max: 5.0,
            step: 0.05,
            savgol_window: 17,
            savgol_polyorder: 1,
            clamp_negative: true,
            min_max_normalize: true,
        }
    }
}

impl Check for ElectronDosPipeline {
    type Checked = CheckedElectronDosPipeline;
    type Error = DataError;

    /// Checks the settings once; the returned value processes documents.
    fn check(&self) -> Result<CheckedElectronDosPipeline> {
        let invalid = |field: &str, message: String| DataError::Invalid {
            field: format!("electron DOS pipeline {field}"),
            message,
        };
        if !(self.e_min.is_finite() && self.e_max.is_finite() && self.e_min < self.e_max) {
            return Err(invalid(
                "e_min/e_max",
                format!(
                    "need finite e_min < e_max, got {} and {}",
                    self.e_min, self.e_max
                ),
            ));
        }
        if !(self.step.is_finite() && self.step > 0.0) {
            return Err(invalid("step", format!("must be > 0, got {}", self.step)));
        }
        let intervals = (self.e_max - self.e_min) / self.step;
        let rounded = intervals.round();
        if (intervals - rounded).abs() > 1e-6 * rounded.max(1.0) || rounded > 1e7 {
            return Err(invalid(
                "step",
                format!(
                    "(e_max - e_min) / step = {intervals} must be a whole number (at most 1e7)"
                ),
            ));
        }
        let m = rounded as usize + 1;
        if self.savgol_window % 2 == 0 || self.savgol_window > m {
            return Err(invalid(
                "savgol_window",
                format!(
                    "must be odd and <= {m} grid points, got {}",
                    self.savgol_window
                ),
            ));
        }
        if self.savgol_polyorder >= self.savgol_window {
            return Err(invalid(
                "savgol_polyorder",
                format!(
                    "must be < savgol_window {}, got {}",
                    self.savgol_window, self.savgol_polyorder
                ),
            ));
        }
        let grid = (0..m).map(|j| self.e_min + j as f64 * self.step).collect();
        Ok(CheckedElectronDosPipeline {
            cfg: self.clone(),
            grid,
        })
    }
}

impl Default for ElectronDosPipeline {
    fn default() -> Self {
        Self::paper()
    }
}

/// A checked [`ElectronDosPipeline`] with its energy grid (from [`Check::check`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedElectronDosPipeline {
    cfg: ElectronDosPipeline,
    grid: Vec<f64>,
}

impl CheckedElectronDosPipeline {
    /// The settings.
    pub fn config(&self) -> &ElectronDosPipeline {
        &self.cfg
    }

    /// Grid energies relative to the Fermi level, eV. Shape `(M,)` (201 for the paper).
    pub fn grid(&self) -> &[f64] {
        &self.grid
    }

    /// Number of grid points `M`.
    pub fn n_points(&self) -> usize {
        self.grid.len()
    }

    /// Step 2 only: total DOS linearly interpolated at `E_F + e_j`, 0 outside the document's
    /// energy range. Shape `(M,)`.
    pub fn interpolate(&self, doc: &ElectronDosDocument) -> Vec<f64> {
        let total = doc.total_densities();
        self.grid
            .iter()
            .map(|e| interp_zero_outside(&doc.energies, &total, doc.efermi + e))
            .collect()
    }

    /// The full pipeline (steps 1-5). Shape `(M,)`, values in [0, 1] with normalisation.
    pub fn process(&self, doc: &ElectronDosDocument) -> Result<Vec<f64>> {
        let sampled = self.interpolate(doc);
        let mut y =
            savgol_filter_interp(&sampled, self.cfg.savgol_window, self.cfg.savgol_polyorder)?;
        if self.cfg.clamp_negative {
            y.iter_mut().for_each(|v| *v = v.max(0.0));
        }
        if self.cfg.min_max_normalize {
            min_max_normalize(&mut y);
        }
        Ok(y)
    }
}

/// `numpy.interp(x, xs, ys, left=0, right=0)` for strictly increasing `xs`.
fn interp_zero_outside(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let n = xs.len();
    if n == 0 || x < xs[0] || x > xs[n - 1] {
        return 0.0;
    }
    // First index with xs[i] > x; x lies in [xs[i-1], xs[i]].
    let i = xs.partition_point(|&v| v <= x);
    if i == n {
        return ys[n - 1];
    }
    let (x0, x1, y0, y1) = (xs[i - 1], xs[i], ys[i - 1], ys[i]);
    y0 + (y1 - y0) * (x - x0) / (x1 - x0)
}

/// In place `(y - min) / (max - min)`; a (numerically) constant signal becomes all zeros.
///
/// "Constant" means `max - min <= 1e-12 * max(|max|, |min|)`: smoothing a flat DOS leaves
/// rounding noise of a few ulp, which plain min-max scaling would blow up to [0, 1].
pub(crate) fn min_max_normalize(y: &mut [f64]) {
    let (lo, hi) = y
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let range = hi - lo;
    if range.is_finite() && range > 1e-12 * hi.abs().max(lo.abs()) {
        y.iter_mut().for_each(|v| *v = (*v - lo) / range);
    } else {
        y.iter_mut().for_each(|v| *v = 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn synthetic_doc() -> ElectronDosDocument {
        // energies = linspace(-8, 5, 131); up = 0.1 (E + 8) + |sin 3E|; down = up / 2.
        // As numpy.linspace computes it: start + i * step, last point set to stop.
        let mut e: Vec<f64> = (0..131).map(|i| -8.0 + i as f64 * (13.0 / 130.0)).collect();
        e[130] = 5.0;
        let up: Vec<f64> = e
            .iter()
            .map(|x| 0.1 * (x + 8.0) + (3.0 * x).sin().abs())
            .collect();
        let down = up.iter().map(|u| 0.5 * u).collect();
        ElectronDosDocument::new(0.37, e, up, Some(down), Path::new("synthetic")).unwrap()
    }

    #[test]
    fn paper_grid_has_201_points() {
        let p = ElectronDosPipeline::paper().check().unwrap();
        assert_eq!(p.n_points(), 201);
        assert_eq!(p.grid()[0], -5.0);
        assert!((p.grid()[100]).abs() < 1e-12);
        assert!((p.grid()[200] - 5.0).abs() < 1e-12);
    }

    #[test]
    fn matches_numpy_scipy_reference() {
        // python3: E=np.linspace(-8,5,131); up=0.1*(E+8)+np.abs(np.sin(3*E)); down=0.5*up;
        //   grid=-5+0.05*np.arange(201); t=np.interp(0.37+grid,E,up+down,left=0,right=0);
        //   s=np.clip(savgol_filter(t,17,1),0,None); n=(s-s.min())/(s.max()-s.min());
        //   print([n[k] for k in idx], n.sum())      (numpy 2.4.6, scipy 1.17.1)
        let expected = [
            (0, 0.5146681434205386),
            (1, 0.5103675148117891),
            (7, 0.48456374315929174),
            (8, 0.4802631145505422),
            (50, 0.5872103697350182),
            (100, 0.7790115229527442),
            (150, 0.8838657028853392),
            (170, 0.9454863303806449),
            (180, 0.9385664648149801),
            (185, 0.9600745462471878),
            (190, 0.7174300102494046),
            (193, 0.493734462246206),
            (200, 0.0),
        ];
        let p = ElectronDosPipeline::paper().check().unwrap();
        let y = p.process(&synthetic_doc()).unwrap();
        assert_eq!(y.len(), 201);
        for (k, v) in expected {
            assert!((y[k] - v).abs() < 1e-10, "index {k}: {} vs numpy {v}", y[k]);
        }
        let sum: f64 = y.iter().sum();
        assert!((sum - 143.91178753133994).abs() < 1e-8, "sum {sum}");
    }

    #[test]
    fn interpolation_is_linear_and_zero_outside() {
        let doc = ElectronDosDocument::new(
            1.0,
            vec![0.0, 1.0, 2.0],
            vec![0.0, 2.0, 4.0],
            None,
            Path::new("t"),
        )
        .unwrap();
        let cfg = ElectronDosPipeline {
            e_min: -2.0,
            e_max: 2.0,
            step: 0.5,
            savgol_window: 1,
            savgol_polyorder: 0,
            clamp_negative: true,
            min_max_normalize: false,
        };
        let t = cfg.check().unwrap().interpolate(&doc);
        // absolute energies -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3
        assert_eq!(t, vec![0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 0.0]);
    }

    #[test]
    fn constant_signal_normalises_to_zeros() {
        let mut y = vec![3.0; 5];
        min_max_normalize(&mut y);
        assert_eq!(y, vec![0.0; 5]);
        let doc = ElectronDosDocument::new(
            0.0,
            vec![-100.0, 100.0],
            vec![1.0, 1.0],
            None,
            Path::new("flat"),
        )
        .unwrap();
        let y = ElectronDosPipeline::paper()
            .check()
            .unwrap()
            .process(&doc)
            .unwrap();
        assert!(y.iter().all(|v| *v == 0.0));
    }

    #[test]
    fn validation_rejects_bad_settings() {
        let base = ElectronDosPipeline::paper();
        let bad = [
            ElectronDosPipeline {
                step: 0.03,
                ..base.clone()
            },
            ElectronDosPipeline {
                step: 0.0,
                ..base.clone()
            },
            ElectronDosPipeline {
                e_max: -6.0,
                ..base.clone()
            },
            ElectronDosPipeline {
                savgol_window: 16,
                ..base.clone()
            },
            ElectronDosPipeline {
                savgol_polyorder: 17,
                ..base.clone()
            },
            ElectronDosPipeline {
                savgol_window: 203,
                ..base.clone()
            },
        ];
        for (i, c) in bad.iter().enumerate() {
            assert!(c.check().is_err(), "case {i} should fail");
        }
    }
}
