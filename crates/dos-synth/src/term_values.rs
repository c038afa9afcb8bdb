//! Atomic s and p term values and s-p valence electron counts for the sp3 tight-binding model.
//!
//! # Source
//! W. A. Harrison, *Electronic Structure and the Properties of Solids* (W. H. Freeman 1980;
//! Dover reprint 1989), the "Solid State Table of the Elements" (Table 2-2): the Hartree-Fock
//! atomic eigenvalues of Herman and Skillman (*Atomic Structure Calculations*, Prentice-Hall
//! 1963) for the outer s and p states, in eV. [`HARRISON_TERM_VALUES`] carries the table's
//! entries for the s- and p-block elements and for the d- and f-block elements for which it
//! gives an s (or s and p) value (Sc, Y, La, Cu, Ag, Au, Zn, Cd, Hg). Two entries are set from
//! the printed book where tabulations of it disagree: Ge `eps_p = -6.36` and Cu
//! `eps_p = -1.83`. Hydrogen's `eps_s` is its exact 1s level, -13.61 eV.
//!
//! # Elements the table does not cover
//! - `eps_p` missing (H, He: no p orbital in the model; alkali and alkaline-earth metals, Sc,
//!   Y, La, Rn, Fr, Ra, Ac): `eps_p = P_OVER_S * eps_s`, with [`P_OVER_S`] = 0.48 the median of
//!   `eps_p / eps_s` over the table's entries that have both.
//! - `eps_s` missing (the transition metals Ti-Ni, Zr-Pd, Hf-Pt, the lanthanides Ce-Lu, the
//!   actinides from Th on): `eps_s = -S_OVER_IONISATION * I_1` with the first ionisation energy
//!   `I_1` of the `mendeleev` crate and [`S_OVER_IONISATION`] = 0.89 the median of
//!   `-eps_s / I_1` over the table's s- and d-block entries (Koopmans: `-eps_s ≈ I_1` for an
//!   s electron); `eps_p` as above.
//!
//! # d and f shells
//! The model has no d or f orbitals. A d-block atom keeps its s and p orbitals at the values
//! above and its `(n-1)d` shell is treated as core: it brings its `ns` pair to the s-p bands
//! (2 electrons; 1 for the Cu group, the `ns^1 (n-1)d^10` metals), and so does an f-block atom
//! (2). This describes simple-metal-like s bands and the ionic charge transfer of Zn- and
//! Cu-group compounds; it cannot describe d bands, d-band magnetism or d-d gaps
//! (transition-metal oxides come out as s-p band insulators or metals according to that count).

use dos_data::elements::Element;
use dos_data::{DataError, Result};

/// Harrison's Solid State Table term values `(Z, eps_s, eps_p)` in eV (see the module docs).
pub const HARRISON_TERM_VALUES: &[(u8, f64, Option<f64>)] = &[
    (1, -13.61, None),
    (2, -23.40, None),
    (3, -5.48, None),
    (4, -8.17, Some(-4.14)),
    (5, -12.54, Some(-6.64)),
    (6, -17.52, Some(-8.97)),
    (7, -23.04, Some(-11.47)),
    (8, -29.14, Some(-14.13)),
    (9, -35.80, Some(-16.99)),
    (10, -43.20, Some(-20.00)),
    (11, -5.13, None),
    (12, -6.86, Some(-2.99)),
    (13, -10.11, Some(-4.86)),
    (14, -13.55, Some(-6.52)),
    (15, -17.10, Some(-8.33)),
    (16, -20.80, Some(-10.27)),
    (17, -24.63, Some(-12.31)),
    (18, -28.70, Some(-14.50)),
    (19, -4.19, None),
    (20, -5.41, None),
    (21, -5.85, None),
    (29, -6.92, Some(-1.83)),
    (30, -8.40, Some(-3.38)),
    (31, -11.37, Some(-4.90)),
    (32, -14.38, Some(-6.36)),
    (33, -17.33, Some(-7.91)),
    (34, -20.32, Some(-9.53)),
    (35, -23.35, Some(-11.20)),
    (36, -26.50, Some(-13.00)),
    (37, -3.94, None),
    (38, -5.00, None),
    (39, -5.53, None),
    (47, -6.41, Some(-2.05)),
    (48, -7.70, Some(-3.38)),
    (49, -10.12, Some(-4.69)),
    (50, -12.50, Some(-5.94)),
    (51, -14.80, Some(-7.24)),
    (52, -17.11, Some(-8.59)),
    (53, -19.42, Some(-9.97)),
    (54, -21.80, Some(-11.40)),
    (55, -3.56, None),
    (56, -4.45, None),
    (57, -4.86, None),
    (79, -6.48, Some(-2.38)),
    (80, -7.68, Some(-3.48)),
    (81, -9.92, Some(-4.61)),
    (82, -12.07, Some(-5.77)),
    (83, -14.15, Some(-6.97)),
    (84, -16.21, Some(-8.19)),
    (85, -18.24, Some(-9.44)),
    (86, -20.31, None),
    (87, -3.40, None),
    (88, -4.24, None),
    (89, -4.63, None),
];

/// `eps_p / eps_s` for elements without a tabulated `eps_p` (median of the table).
pub const P_OVER_S: f64 = 0.48;
/// `-eps_s / I_1` for elements without a tabulated `eps_s` (median over the table's s- and
/// d-block entries).
pub const S_OVER_IONISATION: f64 = 0.89;
/// First ionisation energy used when the element data has none, eV.
const DEFAULT_IONISATION: f64 = 6.0;

/// The s-p valence shell of one element in the sp3 model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpShell {
    /// Atomic number.
    pub z: u8,
    /// s term value, eV.
    pub eps_s: f64,
    /// p term value, eV (`None` for H and He, which carry an s orbital only).
    pub eps_p: Option<f64>,
    /// Electrons the atom puts into its s-p orbitals (see the module docs).
    pub electrons: u8,
    /// Whether `eps_s` and `eps_p` both come from Harrison's table (no fallback used).
    pub tabulated: bool,
}

impl SpShell {
    /// The shell of element `z` (see the module docs).
    ///
    /// # Errors
    /// [`DataError::Invalid`] when `z` is outside 1..=118.
    pub fn from_z(z: u8) -> Result<Self> {
        let e = Element::from_z(z).ok_or_else(|| DataError::Invalid {
            field: "atomic number".into(),
            message: format!("{z} outside 1..=118"),
        })?;
        let row = HARRISON_TERM_VALUES.iter().find(|r| r.0 == z);
        let eps_s = row.map_or_else(
            || {
                let ionisation = mendeleev::Element::list()
                    .get(usize::from(z) - 1)
                    .and_then(|m| m.ionization_energy())
                    .map_or(DEFAULT_IONISATION, |x| x.0);
                -S_OVER_IONISATION * ionisation
            },
            |r| r.1,
        );
        let s_only = e.period == 1;
        let eps_p = if s_only {
            None
        } else {
            Some(row.and_then(|r| r.2).unwrap_or(P_OVER_S * eps_s))
        };
        let electrons = match e.group {
            Some(11) => 1,
            Some(3..=12) | None => 2,
            Some(_) => e.valence_electrons,
        };
        Ok(Self {
            z,
            eps_s,
            eps_p,
            electrons,
            tabulated: row.is_some_and(|r| s_only || r.2.is_some()),
        })
    }

    /// Orbitals of this atom in the model: 1 (s) or 4 (s, px, py, pz).
    pub fn n_orbitals(&self) -> usize {
        if self.eps_p.is_some() {
            4
        } else {
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        }
    }

    #[test]
    fn harrison_values_and_fallback_ratios() {
        let si = SpShell::from_z(14).unwrap();
        assert_eq!((si.eps_s, si.eps_p, si.electrons), (-13.55, Some(-6.52), 4));
        assert!(si.tabulated);
        let ga = SpShell::from_z(31).unwrap();
        let as_ = SpShell::from_z(33).unwrap();
        assert_eq!((ga.eps_s, ga.eps_p, ga.electrons), (-11.37, Some(-4.90), 3));
        assert_eq!(
            (as_.eps_s, as_.eps_p, as_.electrons),
            (-17.33, Some(-7.91), 5)
        );
        let h = SpShell::from_z(1).unwrap();
        assert_eq!((h.n_orbitals(), h.electrons), (1, 1));
        assert_eq!(SpShell::from_z(2).unwrap().electrons, 2);
        // Every row's Z appears once.
        let mut zs: Vec<u8> = HARRISON_TERM_VALUES.iter().map(|r| r.0).collect();
        let n = zs.len();
        zs.sort_unstable();
        zs.dedup();
        assert_eq!(zs.len(), n);
        // The fallback ratios are the medians they are documented to be (to their 2 digits).
        let p_over_s = median(
            HARRISON_TERM_VALUES
                .iter()
                .filter_map(|r| r.2.map(|p| p / r.1))
                .collect(),
        );
        assert!((p_over_s - P_OVER_S).abs() < 0.005, "{p_over_s}");
        let s_over_i = median(
            HARRISON_TERM_VALUES
                .iter()
                .filter(|r| {
                    let e = Element::from_z(r.0).unwrap();
                    r.0 > 1 && matches!(e.group, Some(1..=12))
                })
                .map(|r| {
                    let i = mendeleev::Element::list()[usize::from(r.0) - 1]
                        .ionization_energy()
                        .unwrap();
                    -r.1 / i.0
                })
                .collect(),
        );
        assert!((s_over_i - S_OVER_IONISATION).abs() < 0.005, "{s_over_i}");
    }

    #[test]
    fn d_and_f_block_treatment() {
        // Fe: no table entry, eps_s from the ionisation energy (7.902 eV), 2 s electrons.
        let fe = SpShell::from_z(26).unwrap();
        assert!(!fe.tabulated);
        assert!(
            (fe.eps_s + S_OVER_IONISATION * 7.902).abs() < 1e-3,
            "{}",
            fe.eps_s
        );
        assert!((fe.eps_p.unwrap() - P_OVER_S * fe.eps_s).abs() < 1e-12);
        assert_eq!(fe.electrons, 2);
        assert_eq!(SpShell::from_z(29).unwrap().electrons, 1); // Cu
        assert_eq!(SpShell::from_z(30).unwrap().electrons, 2); // Zn
        assert_eq!(SpShell::from_z(64).unwrap().electrons, 2); // Gd
        let na = SpShell::from_z(11).unwrap();
        assert_eq!(na.eps_p, Some(P_OVER_S * -5.13));
        for z in 1..=118u8 {
            let s = SpShell::from_z(z).unwrap();
            assert!(s.eps_s < 0.0 && s.eps_p.is_none_or(|p| p > s.eps_s));
            assert!(usize::from(s.electrons) <= 2 * s.n_orbitals());
        }
        assert!(SpShell::from_z(0).is_err());
    }
}
