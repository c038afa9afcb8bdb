//! Monkhorst-Pack grids of reciprocal-space points, folded by time reversal.

use dos_config::CheckFields;
use dos_data::mat3::inverse3;
use dos_data::{DataError, Result};

/// A Monkhorst-Pack grid of `n[0] x n[1] x n[2]` points in the first Brillouin zone.
///
/// Gamma-centred: `f_i = m_i / n_i`; shifted (the original Monkhorst-Pack 1976 grid):
/// `f_i = (2 m_i - n_i - 1) / (2 n_i)`, `m_i = 0..n_i` (resp. `1..=n_i`). Both are closed under
/// `f -> -f` (mod 1), so time reversal (`E(k) = E(-k)` for real-space Hamiltonians and force
/// constants) lets [`MonkhorstPack::points`] keep one of each pair with weight 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MonkhorstPack {
    /// Divisions along each reciprocal lattice vector, each >= 1.
    pub n: [usize; 3],
    /// Whether the grid contains Gamma (otherwise the symmetric Monkhorst-Pack shift).
    pub gamma_centred: bool,
}

impl CheckFields for MonkhorstPack {
    type Error = DataError;

    /// Every division is in 1..=64.
    fn check_fields(&self) -> Result<()> {
        if self.n.iter().any(|&n| !(1..=64).contains(&n)) {
            return Err(DataError::Invalid {
                field: "k/q grid".into(),
                message: format!("divisions {:?} must each be in 1..=64", self.n),
            });
        }
        Ok(())
    }
}

impl MonkhorstPack {
    /// A Gamma-centred `n x n x n` grid.
    pub fn gamma(n: usize) -> Self {
        Self {
            n: [n; 3],
            gamma_centred: true,
        }
    }

    /// Total number of grid points before folding.
    pub fn len(&self) -> usize {
        self.n.iter().product()
    }

    /// Whether the grid is empty (a zero division).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fractional coordinates (in the reciprocal basis) and weights of the irreducible points
    /// under time reversal; the weights sum to 1.
    ///
    /// # Shapes
    /// - returns `(P,)` pairs `([f64; 3], weight)`, `P <= n0 n1 n2`.
    pub fn points(&self) -> Vec<([f64; 3], f64)> {
        let total = self.len();
        let coord = |m: usize, n: usize| -> f64 {
            if self.gamma_centred {
                let f = m as f64 / n as f64;
                if f > 0.5 + 1e-12 {
                    f - 1.0
                } else {
                    f
                }
            } else {
                (2.0 * (m + 1) as f64 - n as f64 - 1.0) / (2.0 * n as f64)
            }
        };
        // Index of -f: Gamma-centred m -> (n - m) mod n; shifted m -> n - 1 - m.
        let partner = |m: usize, n: usize| -> usize {
            if self.gamma_centred {
                (n - m) % n
            } else {
                n - 1 - m
            }
        };
        let [n0, n1, n2] = self.n;
        let index = |a: usize, b: usize, c: usize| (a * n1 + b) * n2 + c;
        let mut seen = vec![false; total];
        let mut out = Vec::with_capacity(total / 2 + 1);
        for a in 0..n0 {
            for b in 0..n1 {
                for c in 0..n2 {
                    let i = index(a, b, c);
                    if seen[i] {
                        continue;
                    }
                    seen[i] = true;
                    let j = index(partner(a, n0), partner(b, n1), partner(c, n2));
                    let w = if seen[j] { 1.0 } else { 2.0 };
                    seen[j] = true;
                    out.push(([coord(a, n0), coord(b, n1), coord(c, n2)], w / total as f64));
                }
            }
        }
        out
    }
}

/// Cartesian wave vector (1/Angstrom, 2π included) of fractional reciprocal coordinates `f`:
/// `q = 2π lattice^-1 f`, so that `q · (g · lattice) = 2π f · g` for any fractional `g`.
pub fn to_cartesian(lattice: &[[f64; 3]; 3], f: &[f64; 3]) -> [f64; 3] {
    let inv = inverse3(lattice);
    let tau = 2.0 * std::f64::consts::PI;
    [
        tau * (inv[0][0] * f[0] + inv[0][1] * f[1] + inv[0][2] * f[2]),
        tau * (inv[1][0] * f[0] + inv[1][1] * f[1] + inv[1][2] * f[2]),
        tau * (inv[2][0] * f[0] + inv[2][1] * f[1] + inv[2][2] * f[2]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_one_and_pairs_fold() {
        for gamma in [true, false] {
            for n in [[1, 1, 1], [2, 3, 4], [4, 4, 4], [5, 1, 2]] {
                let g = MonkhorstPack {
                    n,
                    gamma_centred: gamma,
                };
                let pts = g.points();
                let w: f64 = pts.iter().map(|p| p.1).sum();
                assert!((w - 1.0).abs() < 1e-12);
                // Expanding each point and its partner recovers every grid point once.
                let mut all: Vec<[i64; 3]> = Vec::new();
                for (f, w) in &pts {
                    let key = |f: &[f64; 3]| {
                        let k = |x: f64, n: usize| {
                            ((x * 2.0 * n as f64).round() as i64).rem_euclid(2 * n as i64)
                        };
                        [k(f[0], n[0]), k(f[1], n[1]), k(f[2], n[2])]
                    };
                    all.push(key(f));
                    if (*w * g.len() as f64 - 2.0).abs() < 1e-9 {
                        all.push(key(&[-f[0], -f[1], -f[2]]));
                    }
                }
                all.sort_unstable();
                let before = all.len();
                all.dedup();
                assert_eq!(all.len(), before);
                assert_eq!(all.len(), g.len());
            }
        }
    }

    #[test]
    fn cartesian_phase() {
        let l = [[2.0, 0.3, 0.0], [0.1, 3.0, 0.2], [0.0, -0.4, 5.0]];
        let f = [0.25, -0.5, 1.0 / 3.0];
        let g = [1.0, 2.0, -1.0];
        let q = to_cartesian(&l, &f);
        let r = dos_data::mat3::vec_mat(&g, &l);
        let dot = q[0] * r[0] + q[1] * r[1] + q[2] * r[2];
        let expected = 2.0 * std::f64::consts::PI * (f[0] * g[0] + f[1] * g[1] + f[2] * g[2]);
        assert!((dot - expected).abs() < 1e-12);
    }
}
