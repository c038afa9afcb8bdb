//! [`PeriodicCellList`]: points in fractional coordinates hashed into periodic bins, so that
//! every stored point within a Cartesian distance `radius` of a query (periodic images
//! included) is found among the points of the at most 27 bins around the query's bin.
//!
//! This turns the close-pair searches of [`crate::Crystal::new`] (minimum distance) and the CIF
//! reader (merging symmetry images) from O(N²) comparisons into O(N) hash look-ups at bounded
//! density; the exact distance test stays with the caller.

use std::collections::HashMap;

use crate::mat3::{inverse3, norm3};

/// Most bins along one lattice direction. Bins are hashed, so only occupied ones cost memory;
/// fewer, wider bins stay correct (they only let more candidates through).
const MAX_BINS_PER_DIRECTION: i64 = 1 << 20;

/// Fractional points binned on a periodic grid whose bins are at least `radius` wide
/// (perpendicular to each lattice plane), keyed by bin.
///
/// Maths: a Cartesian displacement `d` with `|d| < radius` changes fractional coordinate `k` by
/// `d · b_k` with `b_k` the k-th column of `lattice^-1`, so by less than `radius · |b_k|`;
/// with `n_k = floor(1 / (radius · |b_k|))` bins along `k`, two points that close (modulo
/// whole cells) sit in the same or adjacent bins, modulo `n_k`.
#[derive(Debug, Clone)]
pub(crate) struct PeriodicCellList {
    n: [i64; 3],
    bins: HashMap<[i64; 3], Vec<usize>>,
}

impl PeriodicCellList {
    /// An empty list for `lattice` (rows are the lattice vectors, non-singular) and a search
    /// radius in Angstrom (> 0).
    pub(crate) fn new(lattice: &[[f64; 3]; 3], radius: f64) -> Self {
        let inv = inverse3(lattice);
        let n = [0, 1, 2].map(|k| {
            let reach = radius * norm3(&[inv[0][k], inv[1][k], inv[2][k]]);
            // Margin so that rounding in the coordinates never moves a close pair two bins apart.
            let bins = (1.0 / (reach * (1.0 + 1e-9) + 1e-12)).floor();
            if bins.is_finite() && bins >= 1.0 {
                (bins as i64).min(MAX_BINS_PER_DIRECTION)
            } else {
                1
            }
        });
        Self {
            n,
            bins: HashMap::new(),
        }
    }

    /// The bin of fractional point `f` (any cell: wrapped into [0, 1) first). Non-finite
    /// coordinates land in bin 0 (their distances are NaN, which no close test accepts).
    fn bin(&self, f: &[f64; 3]) -> [i64; 3] {
        [0, 1, 2].map(|k| {
            let w = f[k] - f[k].floor();
            let w = if w >= 1.0 { 0.0 } else { w };
            // `as` saturates and maps NaN to 0.
            ((w * self.n[k] as f64) as i64).clamp(0, self.n[k] - 1)
        })
    }

    /// Store point `index` at fractional coordinates `f`.
    pub(crate) fn insert(&mut self, f: &[f64; 3], index: usize) {
        let key = self.bin(f);
        self.bins.entry(key).or_default().push(index);
    }

    /// Indices stored in the bins around `f`'s bin (each bin once, in no particular order): a
    /// superset of the stored points within `radius` of `f` or of one of its periodic images.
    pub(crate) fn candidates(&self, f: &[f64; 3]) -> impl Iterator<Item = usize> + '_ {
        let centre = self.bin(f);
        let mut keys: Vec<[i64; 3]> = Vec::with_capacity(27);
        for a in -1..=1 {
            for b in -1..=1 {
                for c in -1..=1 {
                    keys.push([
                        (centre[0] + a).rem_euclid(self.n[0]),
                        (centre[1] + b).rem_euclid(self.n[1]),
                        (centre[2] + c).rem_euclid(self.n[2]),
                    ]);
                }
            }
        }
        // With fewer than 3 bins along a direction the offsets wrap onto the same bin.
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .filter_map(|k| self.bins.get(&k))
            .flat_map(|v| v.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mat3::vec_mat;
    use rand::{Rng, SeedableRng};

    /// Every pair within `radius` (some image in a generous box) is among the candidates, on
    /// random skewed cells with radii from tiny to larger than the cell.
    #[test]
    fn candidates_include_every_close_pair() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for trial in 0..40 {
            let mut lattice = [[0.0; 3]; 3];
            for (k, row) in lattice.iter_mut().enumerate() {
                for (l, x) in row.iter_mut().enumerate() {
                    *x = if k == l {
                        2.0 + 4.0 * rng.random::<f64>()
                    } else {
                        3.0 * (rng.random::<f64>() - 0.5)
                    };
                }
            }
            let radius = [0.1, 0.5, 1.5, 4.0][trial % 4];
            let pts: Vec<[f64; 3]> = (0..60)
                .map(|_| [0, 1, 2].map(|_| 3.0 * rng.random::<f64>() - 1.0))
                .collect();
            let mut cells = PeriodicCellList::new(&lattice, radius);
            for (i, p) in pts.iter().enumerate() {
                cells.insert(p, i);
            }
            for p in &pts {
                let cand: std::collections::HashSet<usize> = cells.candidates(p).collect();
                for (i, q) in pts.iter().enumerate() {
                    let d = [q[0] - p[0], q[1] - p[1], q[2] - p[2]];
                    let mut best = f64::INFINITY;
                    for a in -6..=6 {
                        for b in -6..=6 {
                            for c in -6..=6 {
                                let s = [
                                    d[0] + f64::from(a),
                                    d[1] + f64::from(b),
                                    d[2] + f64::from(c),
                                ];
                                best = best.min(norm3(&vec_mat(&s, &lattice)));
                            }
                        }
                    }
                    if best < radius {
                        assert!(
                            cand.contains(&i),
                            "trial {trial}: point {i} at {best} missed"
                        );
                    }
                }
            }
        }
    }
}
