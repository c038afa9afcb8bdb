//! s-orbital tight-binding model: bands, Fermi level, band gap and an electron DOS document.
//!
//! # Model
//! One s orbital per atom. On-site energies `eps_i = -onsite_scale * chi_i` (eV; `chi` the
//! Pauling electronegativity, so more electronegative atoms hold their electron deeper).
//! Hoppings between atoms closer than `cutoff_factor * d0` (any periodic image):
//!
//! `t(d) = -t0 exp(-(d - d0) / lambda)`, `d0 = r_i + r_j` (sum of covalent radii),
//!
//! negative as for an s-s sigma bond. The Bloch Hamiltonian at wave vector `k` (1/Å, 2π
//! included) is the Hermitian `N x N`
//!
//! `H_ij(k) = delta_ij eps_i + sum_hops(i <- j, d) t exp(i k.d)`.
//!
//! Electrons: the single orbital stands for the whole valence shell, so each atom puts
//! `2 f_i` electrons into it, `f_i` the filled fraction of its valence shell
//! ([`Species::shell_filling`](crate::species::Species::shell_filling): valence / 8 for s-p elements, / 18 for d-block, / 2 for H).
//! With `min(valence, 2)` electrons nearly every crystal would fill every band; the shell
//! fraction keeps the ionic picture instead: in NaCl, Na gives 0.25 and Cl 1.75 electrons, the
//! Cl band is full and the Na band empty, an insulator; in Si every band is half full, a metal.
//! `N_e = sum_i 2 f_i` need not be an integer.
//!
//! Fermi level and gap, from the eigenvalues on a Monkhorst-Pack k-grid: when `N_e` is an even
//! integer (within 1e-9) and
//! the highest occupied band `n = N_e / 2` lies entirely below band `n + 1`, the crystal is an
//! insulator, `E_F` = mid-gap (as several DFT codes report it; VASP puts it at the valence-band
//! maximum, where a smeared DOS hides the gap from a reader) and the gap is
//! `min E_{n+1} - max E_n`; when all bands are full, `E_F` = the top of the bands and the gap is
//! `None` (no empty state in the model). Otherwise the crystal is a metal: `E_F` is the level at
//! which the k-weighted, spin-degenerate filling reaches `N_e`, and the gap is 0.
//!
//! The DOS (states/eV per cell, both spins, as VASP writes a non-spin-polarised total DOS) is
//! the Gaussian-smeared histogram of the eigenvalues on an energy grid that covers all bands
//! and at least `E_F ± window`; it integrates to `2 N`.

use std::path::Path;

use nalgebra::{Complex, DMatrix};

use crate::bloch::BlochHamiltonian;
use crate::kgrid::MonkhorstPack;
use crate::smearing::gaussian_dos;
use crate::species::bonded_neighbors;
use dos_config::{CheckFields, Checked};
use dos_data::dos::document::ElectronDosDocument;
use dos_data::Crystal;
use dos_data::{DataError, Result};

/// Settings of the tight-binding model and of the DOS it produces.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TightBindingConfig {
    /// Hopping magnitude `t0` at `d = d0`, eV, > 0.
    pub t0: f64,
    /// Decay length `lambda` of the hopping, Å, > 0.
    pub decay_length: f64,
    /// Hoppings join pairs with `d < cutoff_factor * (r_i + r_j)`, > 0.
    pub cutoff_factor: f64,
    /// On-site energy per unit of Pauling electronegativity, eV, >= 0.
    pub onsite_scale: f64,
    /// The k-point grid.
    pub k_grid: MonkhorstPack,
    /// Gaussian smearing width in eV, > 0.
    pub sigma: f64,
    /// Spacing of the document's energy grid, eV, > 0.
    pub energy_step: f64,
    /// The energy grid covers at least `E_F ± window` eV, > 0.
    pub window: f64,
}

impl Default for TightBindingConfig {
    /// `t0 = 1.5 eV`, `lambda = 0.5 Å`, cutoff `1.3 d0`, on-site `-2 eV * chi`, Gamma-centred
    /// 6x6x6 k-grid, smearing 0.1 eV, 0.025 eV steps (linear interpolation at
    /// the pipeline grid then errs by < 1 % of a peak), window ±8 eV (covers the pipeline's
    /// ±5 eV).
    fn default() -> Self {
        Self {
            t0: 1.5,
            decay_length: 0.5,
            cutoff_factor: 1.3,
            onsite_scale: 2.0,
            k_grid: MonkhorstPack::gamma(6),
            sigma: 0.1,
            energy_step: 0.025,
            window: 8.0,
        }
    }
}

impl CheckFields for TightBindingConfig {
    type Error = DataError;

    /// Every field's range, the k-grid's included.
    fn check_fields(&self) -> Result<()> {
        let pos = |x: f64| x.is_finite() && x > 0.0;
        let checks = [
            ("t0", pos(self.t0)),
            ("decay_length", pos(self.decay_length)),
            (
                "cutoff_factor",
                pos(self.cutoff_factor) && self.cutoff_factor <= 5.0,
            ),
            (
                "onsite_scale",
                self.onsite_scale.is_finite() && self.onsite_scale >= 0.0,
            ),
        ];
        let grid = DosGrid {
            sigma: self.sigma,
            energy_step: self.energy_step,
            window: self.window,
        };
        grid.check_with("tight_binding", "TightBindingConfig", &checks)?;
        self.k_grid.check_fields()
    }
}

/// One directed hopping `i <- j` through `vector = r_j + S·lattice - r_i`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hopping {
    /// Centre orbital.
    pub i: usize,
    /// Neighbour orbital.
    pub j: usize,
    /// Bond vector in Å.
    pub vector: [f64; 3],
    /// Hopping integral, eV.
    pub t: f64,
}

/// On-site energies, directed hoppings (both directions present) and electron count.
#[derive(Debug, Clone, PartialEq)]
pub struct TightBindingModel {
    /// On-site energies in eV, `(N,)`.
    pub onsite: Vec<f64>,
    /// Directed hoppings.
    pub hoppings: Vec<Hopping>,
    /// Electrons per cell (need not be an integer).
    pub electrons: f64,
}

impl TightBindingModel {
    /// The model of `crystal` per the module documentation.
    ///
    /// # Errors
    /// Invalid configuration, or a cutoff the neighbour list rejects.
    pub fn from_crystal(crystal: &Crystal, cfg: &Checked<TightBindingConfig>) -> Result<Self> {
        let (species, nl) = bonded_neighbors(crystal, cfg.cutoff_factor)?;
        let mut hoppings = Vec::with_capacity(nl.len());
        for e in 0..nl.len() {
            let (i, j) = (nl.centers[e] as usize, nl.neighbors[e] as usize);
            let d0 = species[i].covalent_radius + species[j].covalent_radius;
            let d = nl.distances[e];
            if d < cfg.cutoff_factor * d0 {
                hoppings.push(Hopping {
                    i,
                    j,
                    vector: nl.vectors[e],
                    t: -cfg.t0 * (-(d - d0) / cfg.decay_length).exp(),
                });
            }
        }
        Ok(Self {
            onsite: species
                .iter()
                .map(|s| -cfg.onsite_scale * s.electronegativity)
                .collect(),
            hoppings,
            electrons: species.iter().map(|s| 2.0 * s.shell_filling).sum(),
        })
    }

    /// Number of orbitals (= bands).
    pub fn n_orbitals(&self) -> usize {
        self.onsite.len()
    }
}

impl BlochHamiltonian for TightBindingModel {
    /// The Hermitian Bloch Hamiltonian at Cartesian `k` (1/Å), eV.
    ///
    /// # Shapes
    /// - returns `(N, N)`
    fn hamiltonian(&self, k: &[f64; 3]) -> DMatrix<Complex<f64>> {
        let n = self.n_orbitals();
        let mut h = DMatrix::<Complex<f64>>::zeros(n, n);
        for (i, &e) in self.onsite.iter().enumerate() {
            h[(i, i)] = Complex::new(e, 0.0);
        }
        for hop in &self.hoppings {
            let phase = k[0] * hop.vector[0] + k[1] * hop.vector[1] + k[2] * hop.vector[2];
            let (sin, cos) = phase.sin_cos();
            h[(hop.i, hop.j)] += Complex::new(hop.t * cos, hop.t * sin);
        }
        h
    }
}

/// Fermi level and band gap of a set of bands (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Occupation {
    /// Fermi level, eV.
    pub efermi: f64,
    /// Band gap in eV: > 0 for insulators, 0 for metals, `None` when every band is full.
    pub band_gap: Option<f64>,
}

/// Fermi level and gap for `electrons` electrons in spin-degenerate `bands` with k-weights.
///
/// # Shapes
/// - `bands`: (P, N) ascending per row; `weights`: (P,) summing to 1
///
/// # Errors
/// [`DataError::Invalid`] for empty or ragged bands or more electrons than states.
pub fn occupation(bands: &[Vec<f64>], weights: &[f64], electrons: f64) -> Result<Occupation> {
    let invalid = |message: String| DataError::Invalid {
        field: "bands".into(),
        message,
    };
    let n = bands.first().map_or(0, Vec::len);
    if n == 0 || bands.len() != weights.len() || bands.iter().any(|b| b.len() != n) {
        return Err(invalid("empty or ragged band array".into()));
    }
    if !(0.0..=2.0 * n as f64 + 1e-9).contains(&electrons) {
        return Err(invalid(format!(
            "{electrons} electrons outside 0..={} states",
            2 * n
        )));
    }
    let top = |band: usize| bands.iter().map(|b| b[band]).fold(f64::MIN, f64::max);
    let bottom = |band: usize| bands.iter().map(|b| b[band]).fold(f64::MAX, f64::min);
    if electrons < 1e-9 {
        return Ok(Occupation {
            efermi: bottom(0),
            band_gap: Some(0.0),
        });
    }
    let half = electrons / 2.0;
    if (half - half.round()).abs() < 1e-9 {
        let filled = (half.round() as usize).min(n);
        let vbm = top(filled - 1);
        if filled == n {
            return Ok(Occupation {
                efermi: vbm,
                band_gap: None,
            });
        }
        let cbm = bottom(filled);
        if cbm > vbm {
            // Mid-gap, as several DFT codes report it: a reader that looks for states on
            // either side of E_F (pymatgen's `get_gap`, `dos data edos`) then finds the gap.
            return Ok(Occupation {
                efermi: 0.5 * (vbm + cbm),
                band_gap: Some(cbm - vbm),
            });
        }
    }
    // Metal: fill levels in energy order, 2 w electrons each, until N_e is reached.
    let mut levels: Vec<(f64, f64)> = bands
        .iter()
        .zip(weights)
        .flat_map(|(b, &w)| b.iter().map(move |&e| (e, w)))
        .collect();
    levels.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut filled = 0.0;
    let mut efermi = levels[levels.len() - 1].0;
    for (e, w) in levels {
        filled += 2.0 * w;
        if filled >= electrons - 1e-9 {
            efermi = e;
            break;
        }
    }
    Ok(Occupation {
        efermi,
        band_gap: Some(0.0),
    })
}

/// An electron DOS from the tight-binding model.
#[derive(Debug, Clone, PartialEq)]
pub struct TightBindingDos {
    /// Fermi level and gap.
    pub occupation: Occupation,
    /// Absolute energies in eV, ascending, `(n_e,)`.
    pub energies: Vec<f64>,
    /// Total DOS (both spins), states/eV per cell, `(n_e,)`.
    pub densities: Vec<f64>,
}

impl TightBindingDos {
    /// As a pymatgen-shaped document (spin-unpolarised: densities under key `"1"`).
    ///
    /// # Errors
    /// Only if the grid were invalid (never for the output of [`electron_dos`]).
    pub fn to_document(&self) -> Result<ElectronDosDocument> {
        ElectronDosDocument::new(
            self.occupation.efermi,
            self.energies.clone(),
            self.densities.clone(),
            None,
            Path::new("<tight-binding>"),
        )
    }
}

/// Electron DOS, Fermi level and band gap of `crystal` under the s-orbital model.
///
/// # Errors
/// Invalid configuration or an atomic number without element data.
///
/// # Example
/// ```
/// use dos_data::{Check, Crystal};
/// use dos_synth::tight_binding::{electron_dos, TightBindingConfig};
/// let l = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]];
/// let c = Crystal::from_fractional(l, vec![55, 17], &[[0.0; 3], [0.5; 3]]).unwrap();
/// let dos = electron_dos(&c, &TightBindingConfig::default().check().unwrap()).unwrap();
/// let doc = dos.to_document().unwrap();
/// assert_eq!(doc.efermi, dos.occupation.efermi);
/// ```
pub fn electron_dos(
    crystal: &Crystal,
    cfg: &Checked<TightBindingConfig>,
) -> Result<TightBindingDos> {
    let model = TightBindingModel::from_crystal(crystal, cfg)?;
    let (bands, weights) = model.bands(crystal.lattice(), &cfg.k_grid);
    dos_from_bands(
        &bands,
        &weights,
        model.electrons,
        &DosGrid {
            sigma: cfg.sigma,
            energy_step: cfg.energy_step,
            window: cfg.window,
        },
    )
}

/// Smearing and energy grid of an electron DOS built from bands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DosGrid {
    /// Gaussian smearing width, eV, > 0.
    pub sigma: f64,
    /// Grid spacing, eV, > 0.
    pub energy_step: f64,
    /// The grid covers at least `E_F ± window` eV.
    pub window: f64,
}

impl DosGrid {
    /// The first of `checks` (a model's own fields, then `sigma` > 0, `energy_step` >= 1e-4,
    /// `window` in (0, 1e3]) that fails, as an error naming `model.field` and the `config`
    /// type whose docs give the ranges.
    pub(crate) fn check_with(
        &self,
        model: &str,
        config: &str,
        checks: &[(&str, bool)],
    ) -> Result<()> {
        let pos = |x: f64| x.is_finite() && x > 0.0;
        let grid = [
            ("sigma", pos(self.sigma)),
            (
                "energy_step",
                pos(self.energy_step) && self.energy_step >= 1e-4,
            ),
            ("window", pos(self.window) && self.window <= 1e3),
        ];
        match checks.iter().chain(&grid).find(|c| !c.1) {
            Some((field, _)) => Err(DataError::Invalid {
                field: format!("{model}.{field}"),
                message: format!("out of range (see {config} docs)"),
            }),
            None => Ok(()),
        }
    }
}

/// Fermi level, gap and Gaussian DOS of spin-degenerate `bands` holding `electrons`
/// electrons: the grid (a multiple of `energy_step`) covers every band `± 6 sigma` and at least
/// `E_F ± window`; each level carries `2 w` states (spin times k-weight), so the DOS integrates
/// to twice the number of bands, less, for an insulator, the smearing's tails inside the gap:
/// its grid points, and the one nearest each band edge, are zero, and `E_F` is mid-gap, so
/// the document's gap read back as pymatgen reads it is the model's gap within one grid step.
///
/// # Shapes
/// - `bands`: (P, N) ascending per row; `weights`: (P,) summing to 1
///
/// # Errors
/// As [`occupation`].
pub fn dos_from_bands(
    bands: &[Vec<f64>],
    weights: &[f64],
    electrons: f64,
    grid: &DosGrid,
) -> Result<TightBindingDos> {
    let occupation = occupation(bands, weights, electrons)?;
    let lo = bands.iter().flatten().copied().fold(f64::MAX, f64::min);
    let hi = bands.iter().flatten().copied().fold(f64::MIN, f64::max);
    let pad = 6.0 * grid.sigma;
    let start = (lo - pad).min(occupation.efermi - grid.window);
    let end = (hi + pad).max(occupation.efermi + grid.window);
    let start = (start / grid.energy_step).floor() * grid.energy_step;
    let len = ((end - start) / grid.energy_step).ceil() as usize + 1;
    let energies = crate::smearing::linear_grid(start, grid.energy_step, len);
    let levels: Vec<f64> = bands.iter().flatten().copied().collect();
    // Weight 2 w per level: spin degeneracy times the k-point weight.
    let level_weights: Vec<f64> = bands
        .iter()
        .zip(weights)
        .flat_map(|(b, &w)| std::iter::repeat_n(2.0 * w, b.len()))
        .collect();
    let mut densities = gaussian_dos(&levels, &level_weights, &energies, grid.sigma);
    if let Some(gap) = occupation.band_gap.filter(|g| *g > 0.0) {
        // Leave the gap empty: the smearing's tails inside it, and the grid point nearest each
        // band edge, are set to zero, so that a reader of the document (pymatgen's `get_gap`,
        // `dos data edos`) finds each edge within half a grid step and the gap within one.
        let index = |e: f64| ((e - start) / grid.energy_step).round().max(0.0) as usize;
        let (first, last) = (
            index(occupation.efermi - 0.5 * gap),
            index(occupation.efermi + 0.5 * gap).min(densities.len().saturating_sub(1)),
        );
        for g in densities.iter_mut().take(last + 1).skip(first) {
            *g = 0.0;
        }
    }
    Ok(TightBindingDos {
        occupation,
        energies,
        densities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_config::Check;

    #[test]
    fn simple_cubic_s_band_has_width_12t() {
        // E(k) = eps + 2 t (cos kx a + cos ky a + cos kz a): minimum at Gamma, maximum at R,
        // both on an even Gamma-centred grid, so the width is exactly 12 |t|.
        let cu = crate::species::Species::from_z(29).unwrap();
        let a = 2.0 * cu.covalent_radius + 0.1;
        let l = [[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]];
        let c = Crystal::new(l, vec![29], vec![[0.0; 3]]).unwrap();
        let cfg = TightBindingConfig::default();
        let model = TightBindingModel::from_crystal(&c, &cfg.check().unwrap()).unwrap();
        assert_eq!(model.hoppings.len(), 6);
        let t = cfg.t0 * (-0.1 / cfg.decay_length).exp();
        let (bands, _) = model.bands(&l, &MonkhorstPack::gamma(4));
        let lo = bands.iter().flatten().copied().fold(f64::MAX, f64::min);
        let hi = bands.iter().flatten().copied().fold(f64::MIN, f64::max);
        assert!(
            (hi - lo - 12.0 * t).abs() < 1e-9,
            "{} vs {}",
            hi - lo,
            12.0 * t
        );
        let eps = -cfg.onsite_scale * cu.electronegativity;
        assert!((lo - (eps - 6.0 * t)).abs() < 1e-9);
    }

    fn rocksalt_model(eps_a: f64, eps_b: f64, t: f64) -> (TightBindingModel, [[f64; 3]; 3]) {
        // fcc primitive cell, A at 0 and B at (a/2, 0, 0) + lattice: each atom has its six
        // nearest neighbours (all of the other species) at ±a/2 along x, y, z.
        let a = 4.0;
        let h = a / 2.0;
        let l = [[0.0, h, h], [h, 0.0, h], [h, h, 0.0]];
        let mut hoppings = Vec::new();
        for axis in 0..3 {
            for sign in [-1.0, 1.0] {
                let mut v = [0.0; 3];
                v[axis] = sign * h;
                hoppings.push(Hopping {
                    i: 0,
                    j: 1,
                    vector: v,
                    t,
                });
                hoppings.push(Hopping {
                    i: 1,
                    j: 0,
                    vector: v,
                    t,
                });
            }
        }
        let model = TightBindingModel {
            onsite: vec![eps_a, eps_b],
            hoppings,
            electrons: 2.0,
        };
        (model, l)
    }

    #[test]
    fn alternating_onsite_energies_open_a_gap() {
        // E(k) = (eA+eB)/2 ± sqrt(((eA-eB)/2)^2 + (2t (cos kx h + cos ky h + cos kz h))^2);
        // the structure factor vanishes at L = (1/2, 1/2, 1/2) (on the even Gamma-centred grid),
        // so the gap is exactly |eA - eB|.
        for (ea, eb, t) in [(-3.0, 1.0, 0.2), (-1.0, 0.5, 0.05), (2.0, -2.0, 0.5)] {
            let (model, l) = rocksalt_model(ea, eb, t);
            let (bands, weights) = model.bands(&l, &MonkhorstPack::gamma(4));
            let occ = occupation(&bands, &weights, model.electrons).unwrap();
            let gap = occ.band_gap.unwrap();
            assert!((gap - f64::abs(ea - eb)).abs() < 1e-9, "{gap}");
            // Valence-band maximum at L too, min(eA, eB): E_F mid-gap.
            assert!((occ.efermi - (f64::min(ea, eb) + 0.5 * gap)).abs() < 1e-9);
        }
        // Equal on-site energies: the two bands touch (metal at half filling... here full
        // lower band touching the upper one), so no gap.
        let (model, l) = rocksalt_model(0.0, 0.0, 0.5);
        let (bands, weights) = model.bands(&l, &MonkhorstPack::gamma(4));
        assert_eq!(
            occupation(&bands, &weights, 2.0).unwrap().band_gap,
            Some(0.0)
        );
    }

    #[test]
    fn rocksalt_nacl_is_an_ionic_insulator() {
        // Na gives 2/8 and Cl 14/8 electrons: exactly the two states of the (deeper) Cl band,
        // which on-site energies 2 * (3.16 - 0.93) eV apart separate from the Na band.
        let c = dos_data::fixtures::rocksalt();
        let d = electron_dos(&c, &TightBindingConfig::default().check().unwrap()).unwrap();
        let gap = d.occupation.band_gap.unwrap();
        assert!(gap > 1.0, "{gap}");
        // E_F mid-gap, and no states in the gap (the smearing's tails are cut at the edges).
        let half = 0.5 * gap - d.energies[1] + d.energies[0];
        let inside: f64 = d
            .energies
            .iter()
            .zip(&d.densities)
            .filter(|(e, _)| (**e - d.occupation.efermi).abs() < half)
            .map(|(_, g)| g)
            .sum();
        assert_eq!(inside, 0.0);
    }

    #[test]
    fn integrated_states_equal_orbital_count() {
        let l = [[3.9, 0.1, 0.0], [0.2, 4.2, 0.0], [0.0, 0.3, 4.4]];
        let f = [[0.0, 0.0, 0.0], [0.5, 0.45, 0.55], [0.2, 0.7, 0.1]];
        let c = Crystal::from_fractional(l, vec![11, 17, 8], &f).unwrap();
        let cfg = TightBindingConfig::default();
        let d = electron_dos(&c, &cfg.check().unwrap()).unwrap();
        // Both spins: 2 states per orbital.
        let total: f64 = d.densities.iter().sum::<f64>() * cfg.energy_step;
        assert!((total - 6.0).abs() < 1e-6, "{total}");
        assert!(d.energies[0] <= d.occupation.efermi - cfg.window);
        assert!(*d.energies.last().unwrap() >= d.occupation.efermi + cfg.window);
        // Electrons 2 f: Na 2/8, Cl 14/8, O 12/8.
        let electrons = TightBindingModel::from_crystal(&c, &cfg.check().unwrap())
            .unwrap()
            .electrons;
        assert!((electrons - 3.5).abs() < 1e-12);
        let doc = d.to_document().unwrap();
        let json = doc.to_json_value();
        assert_eq!(json["@class"], "Dos");
        assert_eq!(
            json["densities"]["1"].as_array().unwrap().len(),
            d.energies.len()
        );
    }

    #[test]
    fn metal_fermi_level_splits_the_states() {
        // Half filling of a single band: E_F at the median level.
        let bands: Vec<Vec<f64>> = (0..10).map(|i| vec![i as f64]).collect();
        let weights = vec![0.1; 10];
        let occ = occupation(&bands, &weights, 1.0).unwrap();
        assert_eq!(occ.band_gap, Some(0.0));
        assert!((occ.efermi - 4.0).abs() < 1e-12);
        // Fractional filling 0.3 of the states: the third level.
        assert!((occupation(&bands, &weights, 0.6).unwrap().efermi - 2.0).abs() < 1e-12);
        assert!(occupation(&bands, &weights, 3.0).is_err());
        assert_eq!(occupation(&bands, &weights, 2.0).unwrap().band_gap, None);
    }
}
