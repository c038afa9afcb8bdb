//! Harmonic thermodynamics from a phonon density of states.
//!
//! With `g(nu)` the phonon DOS over wavenumbers `nu` (cm^-1) normalised to `3N` modes for `N`
//! atoms (`int g dnu = 3N`), `x = h c nu / (k_B T)` and the integrals taken by the trapezoidal
//! rule on the given grid:
//!
//! - heat capacity `C_v = k_B int g x^2 e^x / (e^x - 1)^2 dnu`
//! - entropy `S = k_B int g [x / (e^x - 1) - ln(1 - e^-x)] dnu`
//! - Helmholtz free energy `F = int g [h c nu / 2 + k_B T ln(1 - e^-x)] dnu`
//! - internal energy `U = int g h c nu [1/2 + 1 / (e^x - 1)] dnu` (`F = U - T S`)
//! - zero-point energy `ZPE = int g h c nu / 2 dnu`
//! - mean frequency `<nu> = int nu g dnu / int g dnu`
//!
//! Units: [`ThermalProperties`] holds values **per atom**: `C_v` and `S` in units of `k_B`,
//! energies in eV. [`ThermalProperties::per_cell`] multiplies by `N`; the `*_j_per_mol_k`
//! accessors convert `k_B` per atom to J/(mol K) per mole of atoms (`x R`).
//!
//! Grid points with `nu <= 0` (the `nu = 0` end of the grid, imaginary modes written as
//! negative wavenumbers) count towards the `3N` normalisation but contribute nothing to the
//! thermodynamic integrals, as in phonopy, which skips such modes.

use serde::{Deserialize, Serialize};

use crate::error::{check_finite, MetricsError, Result};

/// Boltzmann constant in eV/K (CODATA 2018).
pub const K_B_EV: f64 = 8.617_333_262e-5;
/// `h c` in eV cm: the energy of 1 cm^-1 in eV (CODATA 2018).
pub const HC_EV_CM: f64 = 1.239_841_984e-4;
/// Second radiation constant `h c / k_B` in cm K (from the two constants above, so that the
/// formulas stay mutually consistent: 1.438776877...).
pub const HC_OVER_KB_CM_K: f64 = HC_EV_CM / K_B_EV;
/// Molar gas constant `R = N_A k_B` in J/(mol K).
pub const GAS_CONSTANT_J_PER_MOL_K: f64 = 8.314_462_618;
/// 1 eV per particle in kJ/mol.
pub const EV_TO_KJ_PER_MOL: f64 = 96.485_332_12;

/// A phonon DOS normalised to `3N` modes.
///
/// # Shapes
/// `frequencies: (M,)` strictly increasing wavenumbers in cm^-1, `dos: (M,)` in modes per
/// cm^-1 per cell with `int dos = 3N`.
#[derive(Debug, Clone, PartialEq)]
pub struct PhononDos {
    frequencies: Vec<f64>,
    dos: Vec<f64>,
    n_atoms: usize,
}

/// Trapezoidal rule `int y dx` on a grid.
pub(crate) fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2)
        .zip(y.windows(2))
        .map(|(x, y)| 0.5 * (x[1] - x[0]) * (y[0] + y[1]))
        .sum()
}

impl PhononDos {
    /// Builds a DOS from any scale (a max-normalised model output, say) and rescales it to
    /// `3 n_atoms` modes. Negative values (a model can predict slightly below 0) are clamped to
    /// 0 first.
    ///
    /// Errors: fewer than 2 points, lengths differ, non-finite values, frequencies not strictly
    /// increasing, `n_atoms = 0`, or a DOS with no weight.
    pub fn new(frequencies: &[f64], dos: &[f64], n_atoms: usize) -> Result<Self> {
        if frequencies.len() < 2 {
            return Err(MetricsError::Empty {
                what: "frequency grid (need at least 2 points)",
            });
        }
        if dos.len() != frequencies.len() {
            return Err(MetricsError::LengthMismatch {
                index: 0,
                what: "phonon dos",
                expected: frequencies.len(),
                got: dos.len(),
            });
        }
        check_finite(frequencies, 0, "frequencies")?;
        check_finite(dos, 0, "phonon dos")?;
        if let Some(i) = frequencies.windows(2).position(|w| w[1] <= w[0]) {
            return Err(MetricsError::Invalid {
                field: "frequencies",
                message: format!("must increase strictly (index {})", i + 1),
            });
        }
        if n_atoms == 0 {
            return Err(MetricsError::Invalid {
                field: "n_atoms",
                message: "must be >= 1".into(),
            });
        }
        let clamped: Vec<f64> = dos.iter().map(|v| v.max(0.0)).collect();
        let total = trapezoid(frequencies, &clamped);
        if total <= 0.0 {
            return Err(MetricsError::Invalid {
                field: "phonon dos",
                message: "has no positive weight to normalise to 3N modes".into(),
            });
        }
        let scale = 3.0 * n_atoms as f64 / total;
        Ok(Self {
            frequencies: frequencies.to_vec(),
            dos: clamped.iter().map(|v| v * scale).collect(),
            n_atoms,
        })
    }

    /// Number of atoms `N` in the cell.
    pub fn n_atoms(&self) -> usize {
        self.n_atoms
    }

    /// Wavenumbers in cm^-1, `(M,)`.
    pub fn frequencies(&self) -> &[f64] {
        &self.frequencies
    }

    /// The DOS normalised to `3N` modes, `(M,)`.
    pub fn dos(&self) -> &[f64] {
        &self.dos
    }

    /// Mean wavenumber `int nu g / int g` in cm^-1.
    pub fn mean_frequency(&self) -> f64 {
        let w: Vec<f64> = self
            .frequencies
            .iter()
            .zip(&self.dos)
            .map(|(f, g)| f * g)
            .collect();
        trapezoid(&self.frequencies, &w) / (3.0 * self.n_atoms as f64)
    }

    /// Zero-point energy `int g h c nu / 2` in eV per atom.
    pub fn zero_point_energy(&self) -> f64 {
        self.integrate(|nu| 0.5 * HC_EV_CM * nu)
    }

    /// `(1/N) int g(nu) f(nu) dnu` with `f = 0` at `nu <= 0`.
    fn integrate(&self, f: impl Fn(f64) -> f64) -> f64 {
        let y: Vec<f64> = self
            .frequencies
            .iter()
            .zip(&self.dos)
            .map(|(&nu, &g)| if nu > 0.0 && g > 0.0 { g * f(nu) } else { 0.0 })
            .collect();
        trapezoid(&self.frequencies, &y) / self.n_atoms as f64
    }

    /// Harmonic thermodynamics at temperature `t` (K, > 0), per atom (see the
    /// [module docs](self) for the formulas and units).
    pub fn thermal(&self, t: f64) -> Result<ThermalProperties> {
        if !(t.is_finite() && t > 0.0) {
            return Err(MetricsError::Invalid {
                field: "temperature",
                message: format!("must be finite and > 0 K, got {t}"),
            });
        }
        let x = |nu: f64| HC_OVER_KB_CM_K * nu / t;
        // Written with e^-x so that large x (low T, high nu) neither overflows nor loses digits.
        let heat_capacity = self.integrate(|nu| {
            let (x, em) = (x(nu), (-x(nu)).exp());
            x * x * em / ((-x).exp_m1() * (-x).exp_m1())
        });
        let entropy = self.integrate(|nu| {
            let (x, em) = (x(nu), (-x(nu)).exp());
            x * em / -(-x).exp_m1() - (-em).ln_1p()
        });
        let free_energy =
            self.integrate(|nu| 0.5 * HC_EV_CM * nu + K_B_EV * t * (-(-x(nu)).exp()).ln_1p());
        let internal_energy = self.integrate(|nu| {
            let x = x(nu);
            HC_EV_CM * nu * (0.5 + (-x).exp() / -(-x).exp_m1())
        });
        Ok(ThermalProperties {
            temperature: t,
            n_atoms: self.n_atoms,
            heat_capacity,
            entropy,
            free_energy,
            internal_energy,
            zero_point_energy: self.zero_point_energy(),
        })
    }

    /// [`Self::thermal`] at each temperature.
    pub fn thermal_curve(&self, temperatures: &[f64]) -> Result<Vec<ThermalProperties>> {
        temperatures.iter().map(|&t| self.thermal(t)).collect()
    }
}

/// Harmonic thermodynamic functions at one temperature, **per atom**.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThermalProperties {
    /// Temperature in K.
    pub temperature: f64,
    /// Atoms per cell `N` (for [`Self::per_cell`]).
    pub n_atoms: usize,
    /// Heat capacity at constant volume, `k_B` per atom (tends to 3 at high T).
    pub heat_capacity: f64,
    /// Vibrational entropy, `k_B` per atom.
    pub entropy: f64,
    /// Helmholtz free energy `F = U - T S`, eV per atom.
    pub free_energy: f64,
    /// Internal (vibrational) energy, eV per atom.
    pub internal_energy: f64,
    /// Zero-point energy, eV per atom.
    pub zero_point_energy: f64,
}

impl ThermalProperties {
    /// The same quantities per cell (extensive ones multiplied by `N`): `k_B` per cell and eV
    /// per cell.
    pub fn per_cell(&self) -> Self {
        let n = self.n_atoms as f64;
        Self {
            heat_capacity: self.heat_capacity * n,
            entropy: self.entropy * n,
            free_energy: self.free_energy * n,
            internal_energy: self.internal_energy * n,
            zero_point_energy: self.zero_point_energy * n,
            ..*self
        }
    }

    /// Heat capacity in J/(mol K) per mole of atoms (Dulong-Petit: `3R = 24.94`).
    pub fn heat_capacity_j_per_mol_k(&self) -> f64 {
        self.heat_capacity * GAS_CONSTANT_J_PER_MOL_K
    }

    /// Entropy in J/(mol K) per mole of atoms.
    pub fn entropy_j_per_mol_k(&self) -> f64 {
        self.entropy * GAS_CONSTANT_J_PER_MOL_K
    }

    /// Free energy in kJ/mol per mole of atoms.
    pub fn free_energy_kj_per_mol(&self) -> f64 {
        self.free_energy * EV_TO_KJ_PER_MOL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NU_D: f64 = 300.0;

    /// Debye DOS `g ~ nu^2` up to 300 cm^-1 on a 0.1 cm^-1 grid, arbitrary scale, 2 atoms.
    fn debye() -> PhononDos {
        let nu: Vec<f64> = (0..=3000).map(|i| i as f64 * 0.1).collect();
        let g: Vec<f64> = nu.iter().map(|v| 7.0 * v * v).collect();
        PhononDos::new(&nu, &g, 2).unwrap()
    }

    #[test]
    fn debye_model_matches_scipy_quad() {
        // python3 /tmp/debye_ref.py: per atom, g = 9 nu^2 / nu_D^3, nu_D = 300 cm^-1,
        //   cv = quad(g x^2 e^x/(e^x-1)^2), s = quad(g (x/(e^x-1) - log(-expm1(-x)))),
        //   f = quad(g (hc nu/2 + kB T log(-expm1(-x)))), c2 = 1.438776877,
        //   hc = 1.239841984e-4 eV cm, kB = 8.617333262e-5 eV/K (scipy 1.17.1)
        let reference = [
            (
                5.0,
                0.00036339306314216873,
                0.00012113102104739153,
                0.04184465391217029,
            ),
            (
                20.0,
                0.02325705613049034,
                0.007752380756863123,
                0.04184132671592862,
            ),
            (
                100.0,
                1.371745746618179,
                0.6727563754550001,
                0.04013476309405238,
            ),
            (
                300.0,
                2.7110602727084596,
                3.05837074831135,
                0.0063278029425700025,
            ),
            (
                1000.0,
                2.972238819486564,
                6.534465050968507,
                -0.30217374979845313,
            ),
        ];
        let d = debye();
        for (t, cv, s, f) in reference {
            let p = d.thermal(t).unwrap();
            assert!(
                (p.heat_capacity - cv).abs() < 1e-5 * cv.max(1e-3),
                "T={t}: cv {}",
                p.heat_capacity
            );
            assert!(
                (p.entropy - s).abs() < 1e-5 * s.max(1e-3),
                "T={t}: s {}",
                p.entropy
            );
            assert!(
                (p.free_energy - f).abs() < 1e-7,
                "T={t}: f {}",
                p.free_energy
            );
            assert!((p.free_energy - (p.internal_energy - t * K_B_EV * p.entropy)).abs() < 1e-12);
        }
    }

    #[test]
    fn debye_limits_t3_law_dulong_petit_zpe_mean() {
        let d = debye();
        let theta = HC_OVER_KB_CM_K * NU_D;
        // Low T: C_v = (12 pi^4 / 5) (T / Theta_D)^3 k_B per atom.
        let t = 3.0;
        let law = 12.0 * std::f64::consts::PI.powi(4) / 5.0 * (t / theta).powi(3);
        let cv = d.thermal(t).unwrap().heat_capacity;
        assert!((cv / law - 1.0).abs() < 1e-3, "{cv} vs {law}");
        // High T: 3 k_B per atom = 3R per mole of atoms.
        let hot = d.thermal(1e5).unwrap();
        assert!((hot.heat_capacity - 3.0).abs() < 1e-4);
        assert!((hot.heat_capacity_j_per_mol_k() - 3.0 * GAS_CONSTANT_J_PER_MOL_K).abs() < 1e-3);
        assert!((hot.per_cell().heat_capacity - 6.0).abs() < 2e-4);
        // ZPE = (9/8) h c nu_D per atom; <nu> = (3/4) nu_D.
        let zpe = 9.0 / 8.0 * HC_EV_CM * NU_D;
        assert!((d.zero_point_energy() / zpe - 1.0).abs() < 1e-6);
        assert!((d.mean_frequency() - 0.75 * NU_D).abs() < 1e-4);
    }

    #[test]
    fn einstein_model_matches_closed_forms() {
        // All 3N modes at nu_E (a Gaussian of width 0.5 cm^-1): per atom
        // C_v = 3 x^2 e^x/(e^x-1)^2, S = 3 [x/(e^x-1) - ln(1-e^-x)],
        // F = 3 [h c nu_E / 2 + k_B T ln(1-e^-x)], ZPE = 3 h c nu_E / 2.
        let nu_e = 250.0;
        let nu: Vec<f64> = (0..=20000).map(|i| i as f64 * 0.05).collect();
        let g: Vec<f64> = nu
            .iter()
            .map(|v| (-0.5 * ((v - nu_e) / 0.5f64).powi(2)).exp())
            .collect();
        let d = PhononDos::new(&nu, &g, 3).unwrap();
        assert!((d.mean_frequency() - nu_e).abs() < 1e-6);
        assert!((d.zero_point_energy() - 1.5 * HC_EV_CM * nu_e).abs() < 1e-10);
        for t in [30.0, 100.0, 300.0, 2000.0] {
            let x: f64 = HC_OVER_KB_CM_K * nu_e / t;
            let cv = 3.0 * x * x * x.exp() / (x.exp() - 1.0).powi(2);
            let s = 3.0 * (x / (x.exp() - 1.0) - (1.0 - (-x).exp()).ln());
            let f = 3.0 * (0.5 * HC_EV_CM * nu_e + K_B_EV * t * (1.0 - (-x).exp()).ln());
            let p = d.thermal(t).unwrap();
            assert!(
                (p.heat_capacity - cv).abs() < 2e-4 * cv.max(1e-2),
                "T={t}: {} vs {cv}",
                p.heat_capacity
            );
            assert!(
                (p.entropy - s).abs() < 2e-4 * s.max(1e-2),
                "T={t}: {} vs {s}",
                p.entropy
            );
            // Broadening by the Gaussian shifts F by ~ 3 (sigma^2 / 2) k_B T / nu_E^2 (1e-6 eV).
            assert!(
                (p.free_energy - f).abs() < 2e-6,
                "T={t}: {} vs {f}",
                p.free_energy
            );
        }
    }

    #[test]
    fn normalises_to_3n_and_rejects_bad_input() {
        let nu = [0.0, 20.0, 40.0, 60.0];
        let d = PhononDos::new(&nu, &[0.0, 0.5, 1.0, -0.1], 4).unwrap();
        assert!((trapezoid(d.frequencies(), d.dos()) - 12.0).abs() < 1e-12);
        assert_eq!(d.dos()[3], 0.0);
        assert!(PhononDos::new(&nu, &[0.0; 4], 1).is_err());
        assert!(PhononDos::new(&nu, &[1.0; 3], 1).is_err());
        assert!(PhononDos::new(&nu, &[1.0; 4], 0).is_err());
        assert!(PhononDos::new(&[0.0, 20.0, 20.0, 40.0], &[1.0; 4], 1).is_err());
        assert!(PhononDos::new(&nu, &[1.0, f64::NAN, 1.0, 1.0], 1).is_err());
        assert!(d.thermal(0.0).is_err());
    }
}
