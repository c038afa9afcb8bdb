//! Edge featurisers: [`EdgeFeaturizer`], [`GaussianDistance`], [`CutoffSphericalHarmonics`]
//! and [`RawVector`].

use std::f64::consts::PI;

use crate::crystal::Crystal;
use dos_config::CheckFields;

use crate::error::{DataError, Result};
use crate::graph::neighbor_list::NeighborList;

/// Maps each edge of a [`NeighborList`] to a fixed-width feature vector.
///
/// # Shapes
/// `features(crystal, edges)`: (E * dim,), row-major (edge-major).
pub trait EdgeFeaturizer: Send + Sync + std::fmt::Debug {
    /// Feature width F_e.
    fn dim(&self) -> usize;
    /// Features of every edge, row-major (E, F_e).
    fn features(&self, crystal: &Crystal, edges: &NeighborList) -> Vec<f64>;
}

/// Gaussian expansion of the edge length (CGCNN's `GaussianDistance`):
///
/// `e_k(d) = exp(-(d - μ_k)² / width²)`, `μ_k = start + k · step`, k = 0..K with
/// `K = round((stop - start) / step) + 1` (both ends included, as `np.arange(start,
/// stop + step, step)` gives). The electron preset is `start 0, stop 8, step 0.2, width 0.2`:
/// K = 41.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GaussianDistance {
    /// First centre, Angstrom.
    pub start: f64,
    /// Last centre, Angstrom (> start).
    pub stop: f64,
    /// Spacing of the centres, Angstrom (> 0).
    pub step: f64,
    /// Width of each Gaussian, Angstrom (> 0).
    pub width: f64,
}

impl GaussianDistance {
    /// The electron model's expansion as released: centres 0..=8 A step 0.2, width 0.2.
    pub fn electron() -> Self {
        Self {
            start: 0.0,
            stop: 8.0,
            step: 0.2,
            width: 0.2,
        }
    }

    /// Number of centres K.
    pub fn n_centres(&self) -> usize {
        ((self.stop - self.start) / self.step).round() as usize + 1
    }
}

impl CheckFields for GaussianDistance {
    type Error = DataError;

    /// Check `start < stop`, `step > 0`, `width > 0`, all finite, at most 100,000 centres.
    ///
    /// # Errors
    /// [`DataError::Invalid`] naming the field.
    fn check_fields(&self) -> Result<()> {
        let bad = |field: &str, message: String| {
            Err(DataError::Invalid {
                field: format!("gaussian.{field}"),
                message,
            })
        };
        if !(self.start.is_finite() && self.stop.is_finite()) || self.stop <= self.start {
            return bad(
                "stop",
                format!(
                    "need finite start < stop, got {}..{}",
                    self.start, self.stop
                ),
            );
        }
        if !(self.step.is_finite() && self.step > 0.0) {
            return bad("step", format!("{} must be finite and > 0", self.step));
        }
        if !(self.width.is_finite() && self.width > 0.0) {
            return bad("width", format!("{} must be finite and > 0", self.width));
        }
        if (self.stop - self.start) / self.step > 100_000.0 {
            return bad(
                "step",
                format!("{} gives more than 100,000 centres", self.step),
            );
        }
        Ok(())
    }
}

impl EdgeFeaturizer for GaussianDistance {
    fn dim(&self) -> usize {
        self.n_centres()
    }

    fn features(&self, _crystal: &Crystal, edges: &NeighborList) -> Vec<f64> {
        let k = self.n_centres();
        let inv_w2 = 1.0 / (self.width * self.width);
        let mut out = Vec::with_capacity(edges.len() * k);
        for &d in &edges.distances {
            out.extend((0..k).map(|i| {
                let mu = self.start + i as f64 * self.step;
                (-(d - mu) * (d - mu) * inv_w2).exp()
            }));
        }
        out
    }
}

/// Smooth cutoff of e3nn's `gate_points_2101.smooth_cutoff`, applied to `x = |r| / r_c`:
///
/// `u = 2 (x - 1)`; `c(x) = 1` for `u < -1` (x < 1/2), `(1 - cos(π u)) / 2` for
/// `-1 <= u <= 0`, `0` for `u > 0` (x > 1). It is C¹: 1 up to half the cutoff, then a
/// cosine ramp to 0 at the cutoff.
pub fn smooth_cutoff(x: f64) -> f64 {
    let u = 2.0 * (x - 1.0);
    if u > 0.0 {
        0.0
    } else if u < -1.0 {
        1.0
    } else {
        (1.0 - (PI * u).cos()) / 2.0
    }
}

/// The phonon model's edge feature as released: smooth cutoff times real spherical harmonics
/// l <= 1 of the edge direction, F_e = 4:
///
/// `e(r) = c(|r| / r_c) · [1, √3 x̂, √3 ŷ, √3 ẑ]`,
///
/// with `c` = [`smooth_cutoff`] (e3nn `gate_points_2101.smooth_cutoff`) and the harmonics of
/// `e3nn.o3.spherical_harmonics([0, 1], r, normalize=True, normalization="component")`
/// (each l block has squared norm 2l + 1; e3nn orders the l = 1 block x, y, z).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CutoffSphericalHarmonics {
    /// Cutoff radius r_c, Angstrom (> 0).
    pub r_max: f64,
}

impl EdgeFeaturizer for CutoffSphericalHarmonics {
    fn dim(&self) -> usize {
        4
    }

    fn features(&self, _crystal: &Crystal, edges: &NeighborList) -> Vec<f64> {
        let s3 = 3f64.sqrt();
        let mut out = Vec::with_capacity(edges.len() * 4);
        for (v, &d) in edges.vectors.iter().zip(&edges.distances) {
            let c = smooth_cutoff(d / self.r_max);
            // Edges have d > 0 (self pairs are excluded), so the direction is defined.
            let s = if d > 0.0 { c * s3 / d } else { 0.0 };
            out.extend_from_slice(&[c, s * v[0], s * v[1], s * v[2]]);
        }
        out
    }
}

/// The raw edge vector `r_j + S · lattice - r_i` in Angstrom, F_e = 3 (for equivariant models
/// that build their own edge embeddings).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RawVector;

impl EdgeFeaturizer for RawVector {
    fn dim(&self) -> usize {
        3
    }

    fn features(&self, _crystal: &Crystal, edges: &NeighborList) -> Vec<f64> {
        edges.vectors.iter().flatten().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_config::Check;

    fn one_edge(v: [f64; 3]) -> NeighborList {
        NeighborList {
            centers: vec![0],
            neighbors: vec![0],
            shifts: vec![[1, 0, 0]],
            vectors: vec![v],
            distances: vec![crate::mat3::norm3(&v)],
        }
    }

    fn dummy() -> Crystal {
        let l = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]];
        Crystal::new(l, vec![1], vec![[0.0; 3]]).unwrap()
    }

    #[test]
    fn gaussian_matches_cgcnn() {
        // python3 -c "import numpy as np; f=np.arange(0,8+0.2,0.2); print(len(f));
        //   print(np.exp(-(2.345-f)**2/0.2**2)[10:14])"
        // -> 41 [0.051015539326027 0.591185757778176 0.927163827811753 0.196788643858492]  (numpy 2.4, more digits
        //   with np.set_printoptions(precision=15))
        let g = GaussianDistance::electron();
        g.check().unwrap();
        assert_eq!(g.dim(), 41);
        let x = g.features(&dummy(), &one_edge([2.345, 0.0, 0.0]));
        let want = [
            0.051015539326027,
            0.591185757778176,
            0.927163827811753,
            0.196788643858492,
        ];
        for (a, b) in x[10..14].iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        for bad in [
            GaussianDistance { step: 0.0, ..g },
            GaussianDistance { stop: -1.0, ..g },
            GaussianDistance {
                width: f64::NAN,
                ..g
            },
        ] {
            assert!(bad.check().is_err());
        }
    }

    #[test]
    fn smooth_cutoff_matches_e3nn_formula() {
        // python3 -c "import math; f=lambda x: 0 if 2*(x-1)>0 else 1 if 2*(x-1)<-1 else
        //   (1-math.cos(math.pi*2*(x-1)))/2; print([f(x) for x in (0.2,0.5,0.6,0.75,0.9,1.0,1.1)])"
        // -> [1, 1.0, 0.9045084971874737, 0.49999999999999994, 0.09549150281252627, 0.0, 0]
        let want = [
            1.0,
            1.0,
            0.904_508_497_187_473_7,
            0.5,
            0.095_491_502_812_526_27,
            0.0,
            0.0,
        ];
        for (x, w) in [0.2, 0.5, 0.6, 0.75, 0.9, 1.0, 1.1].iter().zip(want) {
            assert!((smooth_cutoff(*x) - w).abs() < 1e-12, "{x}");
        }
    }

    #[test]
    fn cutoff_sh_is_component_normalised() {
        let f = CutoffSphericalHarmonics { r_max: 4.0 };
        let v = [1.0, -0.5, 1.2];
        let x = f.features(&dummy(), &one_edge(v));
        let d = crate::mat3::norm3(&v);
        let c = smooth_cutoff(d / 4.0);
        assert!((x[0] - c).abs() < 1e-15);
        // l = 1 block: squared norm 3 c² (component normalisation), direction along v
        let n1: f64 = x[1..].iter().map(|a| a * a).sum();
        assert!((n1 - 3.0 * c * c).abs() < 1e-12);
        for k in 0..3 {
            assert!((x[1 + k] - c * 3f64.sqrt() * v[k] / d).abs() < 1e-12);
        }
        let raw = RawVector.features(&dummy(), &one_edge(v));
        assert_eq!(raw, v.to_vec());
    }
}
