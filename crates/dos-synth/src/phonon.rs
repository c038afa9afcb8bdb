//! Harmonic phonon density of states from a Born-von Karman spring model.
//!
//! # Model
//! Every pair of atoms `(i, j)` closer than `cutoff_factor * d0` (through any periodic image) is
//! joined by a spring with unit vector `e = d / |d|` and force-constant block
//!
//! `K_ij = k_par e e^T + k_perp (I - e e^T)`,
//! `k_par = k0 sqrt(chi_i chi_j) exp(-(d - d0) / lambda)`, `k_perp = transverse_ratio k_par`,
//!
//! with `d0 = r_i + r_j` the sum of covalent radii, `chi` Pauling electronegativities and
//! `k0` in eV/Å². The force-constant matrix has blocks `Phi_ij(R) = -K` and `Phi_ii(0) = sum K`
//! (acoustic sum rule), the potential energy `1/2 sum_bonds du K du` is non-negative, so every
//! eigenvalue is >= 0 and the three uniform translations have zero frequency at Gamma. The
//! tangential term (`k_perp`, the "central + tangential" force constants of the Born-von Karman
//! model) removes the floppy modes that purely central springs leave in open structures; set
//! `transverse_ratio = 0` for purely central springs.
//!
//! The dynamical matrix on a wave vector `q` (1/Å, 2π included) is the Hermitian `3N x 3N`
//!
//! `D_ij(q) = sum_bonds(i <- j, d) [delta_ij K / m_i - K exp(i q.d) / sqrt(m_i m_j)]`
//!
//! (masses in amu), and its eigenvalues `omega^2` are in eV/(Å² amu). Frequencies in cm^-1 are
//! `nu = sqrt(omega^2) * CM1_PER_SQRT_EV_A2_AMU` where the constant is
//! `sqrt(1 eV / (1 Å² · 1 amu)) / (2 pi c) = 9.8227e13 rad/s / (2 pi · 2.99792458e10 cm/s)
//! = 521.4709 cm^-1`.
//!
//! The DOS is the Gaussian-smeared histogram of all frequencies over a Monkhorst-Pack q-grid
//! (weights summing to `3N`), evaluated on a frequency grid (by default the benchmark's 51
//! points 0..=1000 cm^-1) and scaled to a maximum of 1.

use nalgebra::{Complex, DMatrix};

use crate::kgrid::{to_cartesian, MonkhorstPack};
use crate::smearing::{gaussian_dos, linear_grid, max_normalise};
use crate::species::bonded_neighbors;
use dos_config::{CheckFields, Checked};
use dos_data::Crystal;
use dos_data::{DataError, Result};

/// `sqrt(eV / (Å² amu))` expressed in cm^-1 (see the module documentation).
pub const CM1_PER_SQRT_EV_A2_AMU: f64 = 521.470_898_372_506_6;

/// Settings of the spring model and of the DOS it produces.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PhononConfig {
    /// Spring-constant prefactor `k0` in eV/Å² (per unit of `sqrt(chi_i chi_j)`), > 0.
    pub k0: f64,
    /// Decay length `lambda` of the spring constant with distance, Å, > 0.
    pub decay_length: f64,
    /// Springs join pairs with `d < cutoff_factor * (r_i + r_j)`, > 0.
    pub cutoff_factor: f64,
    /// Tangential over central stiffness, in [0, 1].
    pub transverse_ratio: f64,
    /// The q-point grid.
    pub q_grid: MonkhorstPack,
    /// Gaussian smearing width in cm^-1, > 0.
    pub sigma: f64,
    /// First frequency of the output grid, cm^-1.
    pub grid_start: f64,
    /// Spacing of the output grid, cm^-1, > 0.
    pub grid_step: f64,
    /// Number of points of the output grid, >= 1.
    pub grid_len: usize,
}

impl Default for PhononConfig {
    /// Defaults tuned so random crystals fill the benchmark window (0..=1000 cm^-1, 51
    /// points): `k0 = 7 eV/Å²`, `lambda = 0.4 Å`, cutoff `1.3 d0`, tangential ratio 0.15,
    /// Gamma-centred 4x4x4 q-grid, smearing 15 cm^-1.
    fn default() -> Self {
        Self {
            k0: 7.0,
            decay_length: 0.4,
            cutoff_factor: 1.3,
            transverse_ratio: 0.15,
            q_grid: MonkhorstPack::gamma(4),
            sigma: 15.0,
            grid_start: 0.0,
            grid_step: 20.0,
            grid_len: 51,
        }
    }
}

impl CheckFields for PhononConfig {
    type Error = DataError;

    /// Every field's range, the q-grid's included.
    fn check_fields(&self) -> Result<()> {
        let bad = |field: &str, message: &str| {
            Err(DataError::Invalid {
                field: format!("phonon.{field}"),
                message: message.into(),
            })
        };
        let pos = |x: f64| x.is_finite() && x > 0.0;
        if !pos(self.k0) {
            return bad("k0", "must be finite and > 0");
        }
        if !pos(self.decay_length) {
            return bad("decay_length", "must be finite and > 0");
        }
        if !pos(self.cutoff_factor) || self.cutoff_factor > 5.0 {
            return bad("cutoff_factor", "must be in (0, 5]");
        }
        if !(0.0..=1.0).contains(&self.transverse_ratio) {
            return bad("transverse_ratio", "must be in [0, 1]");
        }
        if !pos(self.sigma) || !pos(self.grid_step) || !self.grid_start.is_finite() {
            return bad(
                "sigma/grid_step/grid_start",
                "sigma, grid_step > 0 and finite",
            );
        }
        if self.grid_len == 0 {
            return bad("grid_len", "must be >= 1");
        }
        self.q_grid.check_fields()
    }
}

impl PhononConfig {
    /// The output frequency grid, cm^-1.
    ///
    /// # Shapes
    /// - returns `(grid_len,)`
    pub fn grid(&self) -> Vec<f64> {
        linear_grid(self.grid_start, self.grid_step, self.grid_len)
    }
}

/// One directed spring `i <- j` through the bond vector `vector = r_j + S·lattice - r_i`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spring {
    /// Centre atom.
    pub i: usize,
    /// Neighbour atom.
    pub j: usize,
    /// Bond vector in Å.
    pub vector: [f64; 3],
    /// Central stiffness, eV/Å².
    pub k_par: f64,
    /// Tangential stiffness, eV/Å².
    pub k_perp: f64,
}

/// Masses and directed springs of a crystal; each bond appears once per direction.
#[derive(Debug, Clone, PartialEq)]
pub struct SpringModel {
    /// Atomic masses in amu, `(N,)`.
    pub masses: Vec<f64>,
    /// Directed springs (both `i <- j` and `j <- i` present).
    pub springs: Vec<Spring>,
}

impl SpringModel {
    /// Springs of `crystal` per the module documentation.
    ///
    /// # Errors
    /// Invalid configuration, or a cutoff the neighbour list rejects.
    pub fn from_crystal(crystal: &Crystal, cfg: &Checked<PhononConfig>) -> Result<Self> {
        let (species, nl) = bonded_neighbors(crystal, cfg.cutoff_factor)?;
        let mut springs = Vec::with_capacity(nl.len());
        for e in 0..nl.len() {
            let (i, j) = (nl.centers[e] as usize, nl.neighbors[e] as usize);
            let (si, sj) = (&species[i], &species[j]);
            let d0 = si.covalent_radius + sj.covalent_radius;
            let d = nl.distances[e];
            if d >= cfg.cutoff_factor * d0 {
                continue;
            }
            let k_par = cfg.k0
                * (si.electronegativity * sj.electronegativity).sqrt()
                * (-(d - d0) / cfg.decay_length).exp();
            springs.push(Spring {
                i,
                j,
                vector: nl.vectors[e],
                k_par,
                k_perp: cfg.transverse_ratio * k_par,
            });
        }
        Ok(Self {
            masses: species.iter().map(|s| s.mass).collect(),
            springs,
        })
    }

    /// Number of atoms.
    pub fn n_atoms(&self) -> usize {
        self.masses.len()
    }

    /// The Hermitian dynamical matrix at Cartesian wave vector `q` (1/Å), eV/(Å² amu).
    ///
    /// # Shapes
    /// - returns `(3N, 3N)`, row/column `3 i + alpha`
    pub fn dynamical_matrix(&self, q: &[f64; 3]) -> DMatrix<Complex<f64>> {
        let n = 3 * self.n_atoms();
        let mut d = DMatrix::<Complex<f64>>::zeros(n, n);
        for s in &self.springs {
            let len = dos_data::mat3::norm3(&s.vector);
            let e = [s.vector[0] / len, s.vector[1] / len, s.vector[2] / len];
            let phase = q[0] * s.vector[0] + q[1] * s.vector[1] + q[2] * s.vector[2];
            let (sin, cos) = phase.sin_cos();
            let mi = self.masses[s.i];
            let mij = (mi * self.masses[s.j]).sqrt();
            for a in 0..3 {
                for b in 0..3 {
                    let delta = if a == b { 1.0 } else { 0.0 };
                    let k = s.k_par * e[a] * e[b] + s.k_perp * (delta - e[a] * e[b]);
                    d[(3 * s.i + a, 3 * s.i + b)] += Complex::new(k / mi, 0.0);
                    d[(3 * s.i + a, 3 * s.j + b)] -= Complex::new(k * cos / mij, k * sin / mij);
                }
            }
        }
        d
    }

    /// Frequencies in cm^-1 at Cartesian wave vector `q`, ascending; negative eigenvalues
    /// (round-off only, the model is positive semi-definite) give `-sqrt(|omega^2|)`.
    ///
    /// # Shapes
    /// - returns `(3N,)`
    pub fn frequencies(&self, q: &[f64; 3]) -> Vec<f64> {
        let mut w: Vec<f64> = self
            .dynamical_matrix(q)
            .symmetric_eigenvalues()
            .iter()
            .map(|&l| l.signum() * l.abs().sqrt() * CM1_PER_SQRT_EV_A2_AMU)
            .collect();
        w.sort_by(f64::total_cmp);
        w
    }

    /// Frequencies over a q-grid with their weights (summing to `3N`).
    ///
    /// # Shapes
    /// - returns `(P 3N,)` frequencies (cm^-1) and `(P 3N,)` weights
    pub fn spectrum(&self, lattice: &[[f64; 3]; 3], grid: &MonkhorstPack) -> (Vec<f64>, Vec<f64>) {
        let mut freqs = Vec::new();
        let mut weights = Vec::new();
        for (f, w) in grid.points() {
            let q = to_cartesian(lattice, &f);
            let modes = self.frequencies(&q);
            weights.extend(std::iter::repeat_n(w, modes.len()));
            freqs.extend(modes);
        }
        (freqs, weights)
    }
}

/// A phonon density of states on a frequency grid.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PhononDos {
    /// Frequencies in cm^-1, `(M,)`.
    pub frequencies: Vec<f64>,
    /// DOS values scaled to a maximum of 1 (all zero when no mode falls in the window), `(M,)`.
    pub dos: Vec<f64>,
}

/// Max-normalised phonon DOS of `crystal` under the spring model (see the module docs).
///
/// # Errors
/// Invalid configuration or an atomic number without element data.
///
/// # Example
/// ```
/// use dos_data::{Check, Crystal};
/// use dos_synth::phonon::{phonon_dos, PhononConfig};
/// let a = 5.64;
/// let l = [[0.0, a / 2.0, a / 2.0], [a / 2.0, 0.0, a / 2.0], [a / 2.0, a / 2.0, 0.0]];
/// let nacl = Crystal::from_fractional(l, vec![11, 17], &[[0.0; 3], [0.5; 3]]).unwrap();
/// let dos = phonon_dos(&nacl, &PhononConfig::default().check().unwrap()).unwrap();
/// assert_eq!(dos.dos.len(), 51);
/// assert!((dos.dos.iter().cloned().fold(0.0, f64::max) - 1.0).abs() < 1e-12);
/// ```
pub fn phonon_dos(crystal: &Crystal, cfg: &Checked<PhononConfig>) -> Result<PhononDos> {
    let model = SpringModel::from_crystal(crystal, cfg)?;
    let (freqs, weights) = model.spectrum(crystal.lattice(), &cfg.q_grid);
    let grid = cfg.grid();
    let mut dos = gaussian_dos(&freqs, &weights, &grid, cfg.sigma);
    max_normalise(&mut dos);
    Ok(PhononDos {
        frequencies: grid,
        dos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_config::Check;
    use dos_data::fixtures::rocksalt;

    fn chain_model(k: f64, m: f64, a: f64) -> SpringModel {
        // One atom per cell, springs to the neighbours at +-a along x only.
        let spring = |sign: f64| Spring {
            i: 0,
            j: 0,
            vector: [sign * a, 0.0, 0.0],
            k_par: k,
            k_perp: 0.0,
        };
        SpringModel {
            masses: vec![m],
            springs: vec![spring(1.0), spring(-1.0)],
        }
    }

    #[test]
    fn monatomic_chain_dispersion_and_dos() {
        let (k, m, a) = (3.0, 12.0, 2.5);
        let model = chain_model(k, m, a);
        let w_max = 2.0 * (k / m).sqrt() * CM1_PER_SQRT_EV_A2_AMU;
        // omega(q) = 2 sqrt(k/m) |sin(q a / 2)|, the longitudinal (largest) branch.
        for q in [0.0, 0.3, 1.0, std::f64::consts::PI / a, -0.7] {
            let w = model.frequencies(&[q, 0.0, 0.0]);
            let expected = w_max * (q * a / 2.0).sin().abs();
            assert!(
                (w[2] - expected).abs() < 1e-9 * w_max,
                "{q}: {w:?} vs {expected}"
            );
            assert!(w[0].abs() < 1e-6 && w[1].abs() < 1e-6);
        }
        // Counting states: the fraction of q with omega in [w1, w2] is
        // (2/pi)(asin(w2/w_max) - asin(w1/w_max)), i.e. g(w) = (2/pi) / sqrt(w_max^2 - w^2).
        let nq = 20_000;
        let bins = 10;
        let mut counts = vec![0usize; bins];
        for s in 0..nq {
            let q = (s as f64 + 0.5) / nq as f64 * 2.0 * std::f64::consts::PI / a;
            let w = model.frequencies(&[q, 0.0, 0.0])[2];
            counts[((w / w_max * bins as f64) as usize).min(bins - 1)] += 1;
        }
        for (b, &c) in counts.iter().enumerate() {
            let (w1, w2) = (b as f64 / bins as f64, (b + 1) as f64 / bins as f64);
            let expected = 2.0 / std::f64::consts::PI * (w2.asin() - w1.asin());
            let got = c as f64 / nq as f64;
            assert!(
                (got - expected).abs() < 2e-3,
                "bin {b}: {got} vs {expected}"
            );
        }
    }

    fn simple_cubic(a: f64, z: u8) -> Crystal {
        let l = [[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]];
        Crystal::new(l, vec![z], vec![[0.0; 3]]).unwrap()
    }

    #[test]
    fn simple_cubic_band_maximum() {
        // Cu (r = 1.32): d0 = 2.64; a = d0 so only the 6 nearest neighbours are within 1.3 d0
        // (next shell at 1.414 a). Central springs: omega_x^2 = 2 k (1 - cos(q_x a)) / m, so the
        // band maximum, at the zone corner R, is 2 sqrt(k/m) with k = k0 chi_Cu.
        let cu = crate::species::Species::from_z(29).unwrap();
        let a = 2.0 * cu.covalent_radius;
        let cfg = PhononConfig {
            transverse_ratio: 0.0,
            ..PhononConfig::default()
        };
        let c = simple_cubic(a, 29);
        let model = SpringModel::from_crystal(&c, &cfg.check().unwrap()).unwrap();
        assert_eq!(model.springs.len(), 6);
        let k = cfg.k0 * cu.electronegativity;
        let expected = 2.0 * (k / cu.mass).sqrt() * CM1_PER_SQRT_EV_A2_AMU;
        let (freqs, _) = model.spectrum(c.lattice(), &MonkhorstPack::gamma(4));
        let max = freqs.iter().copied().fold(f64::MIN, f64::max);
        assert!(
            (max - expected).abs() < 1e-9 * expected,
            "{max} vs {expected}"
        );
        // At R all three branches are degenerate at the maximum.
        let r = to_cartesian(c.lattice(), &[0.5, 0.5, 0.5]);
        for w in model.frequencies(&r) {
            assert!((w - expected).abs() < 1e-9 * expected);
        }
    }

    fn low_symmetry() -> Crystal {
        // Corner-sharing Si-O network: O between Si and its images along a, b and c
        // (Si-O about 1.6-1.7 A, within 1.3 (r_Si + r_O) = 2.3 A), triclinic cell.
        let l = [[3.2, 0.1, 0.0], [0.2, 3.4, 0.0], [0.1, 0.3, 3.3]];
        let f = [
            [0.0; 3],
            [0.5, 0.02, 0.03],
            [0.03, 0.5, 0.04],
            [0.02, 0.03, 0.5],
        ];
        Crystal::from_fractional(l, vec![14, 8, 8, 8], &f).unwrap()
    }

    #[test]
    fn acoustic_modes_vanish_at_gamma_and_modes_are_stable() {
        for c in [rocksalt(), low_symmetry()] {
            let model =
                SpringModel::from_crystal(&c, &PhononConfig::default().check().unwrap()).unwrap();
            let w = model.frequencies(&[0.0; 3]);
            assert_eq!(w.len(), 3 * c.n_atoms());
            assert!(w[..3].iter().all(|x| x.abs() < 1e-4), "{w:?}");
            assert!(w[3..].iter().all(|&x| x > 1.0), "{w:?}");
            let q = to_cartesian(c.lattice(), &[0.25, -0.25, 0.5]);
            assert!(model.frequencies(&q).iter().all(|&x| x > -1e-4));
        }
    }

    #[test]
    fn total_modes_is_three_n() {
        let c = low_symmetry();
        let cfg = PhononConfig::default();
        let model = SpringModel::from_crystal(&c, &cfg.check().unwrap()).unwrap();
        let (freqs, weights) = model.spectrum(c.lattice(), &cfg.q_grid);
        let pts = cfg.q_grid.points().len();
        assert_eq!(freqs.len(), pts * 12);
        assert!((weights.iter().sum::<f64>() - 12.0).abs() < 1e-12);
        // The smeared DOS on a wide, fine grid integrates to 3N as well.
        let grid = linear_grid(-200.0, 1.0, 3000);
        let g = gaussian_dos(&freqs, &weights, &grid, 10.0);
        assert!((g.iter().sum::<f64>() - 12.0).abs() < 1e-6);
    }

    #[test]
    fn dos_is_max_normalised_on_the_benchmark_grid() {
        let d = phonon_dos(&rocksalt(), &PhononConfig::default().check().unwrap()).unwrap();
        assert_eq!(d.frequencies.len(), 51);
        assert_eq!((d.frequencies[0], d.frequencies[50]), (0.0, 1000.0));
        let max = d.dos.iter().copied().fold(0.0, f64::max);
        assert!((max - 1.0).abs() < 1e-12);
        assert!(d.dos.iter().all(|&x| x >= 0.0));
        let bad = PhononConfig {
            sigma: -1.0,
            ..PhononConfig::default()
        };
        let e = bad.check().expect_err("sigma < 0 is refused").to_string();
        assert!(e.contains("sigma"), "{e}");
    }
}
