//! Seeded random crystals of a requested crystal system.
//!
//! # Construction
//! 1. A lattice constrained to the system (cubic `a = b = c`, all 90°; hexagonal and trigonal
//!    `a = b`, `gamma = 120°` (trigonal in the hexagonal setting); tetragonal `a = b != c`;
//!    orthorhombic `a != b != c`; monoclinic `beta` in 95..125° (unique axis b); triclinic
//!    general angles 70..110°, away from 90°).
//! 2. The point group of a representative symmorphic space group of the system
//!    (Pm-3m, P6/mmm, P4/mmm, P-3m1, Pmmm, P2/m, P-1), as integer matrices acting on
//!    fractional coordinates, closed under multiplication from a few generators.
//! 3. Atoms placed orbit by orbit: a random point (each coordinate snapped with probability
//!    0.35 to a special value 0, 1/2, or 1/3, 2/3 in hexagonal settings) is projected onto the
//!    special position of the operations that map it (nearly) onto itself, its images are
//!    generated and duplicates merged. An orbit is kept when it fits the atom budget and all
//!    its atoms are at least `0.8 (r_i + r_j)` from every other atom (covalent radii `r`).
//! 4. The cell is rescaled uniformly (which keeps the symmetry) so that the shortest contact
//!    has `d / (r_i + r_j)` drawn from `contact_range`; crystals where some atom's nearest
//!    neighbour is farther than `1.25 (r_i + r_j)` are rejected (isolated atoms).
//! 5. [`dos_data::symmetry::analyze`] must find the requested system (an orbit set can have more
//!    symmetry than the group used to build it, e.g. a centring that makes a tetragonal cell
//!    cubic); otherwise the attempt is repeated.
//!
//! The same seed always gives the same crystal (ChaCha8 stream).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::species::Species;
use dos_config::{CheckFields, Checked};
use dos_data::mat3::{frac_to_cart, norm3, periodic_distance};
use dos_data::symmetry::{analyze, CrystalSystem, SymmetryConfig};
use dos_data::Crystal;
use dos_data::{DataError, Result};

/// Elements drawn by default: Z = 1..=83 without the noble gases, Tc, Pm and the lanthanides
/// after La (the benchmark's range; noble gases have no Pauling electronegativity).
pub fn default_elements() -> Vec<u8> {
    (1..=83u8)
        .filter(|z| ![2, 10, 18, 36, 54, 43, 61].contains(z) && !(58..=71).contains(z))
        .collect()
}

/// Settings of [`random_crystal`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RandomCrystalConfig {
    /// Crystal system to build; `None` draws one uniformly per crystal. Settings files hold
    /// the name (a prompt index, the older form, is read too).
    pub system: Option<CrystalSystem>,
    /// Fewest distinct elements, >= 1.
    pub min_species: usize,
    /// Most distinct elements, in `min_species..=7`.
    pub max_species: usize,
    /// Fewest atoms per cell, >= 1.
    pub min_atoms: usize,
    /// Most atoms per cell, in `min_atoms..=200`.
    pub max_atoms: usize,
    /// Atomic numbers to draw from (at least `max_species` distinct values in 1..=118).
    pub elements: Vec<u8>,
    /// Shortest contact `d / (r_i + r_j)` after rescaling, drawn uniformly from this range,
    /// within [0.5, 1.5].
    pub contact_range: (f64, f64),
    /// Attempts before giving up, >= 1.
    pub max_attempts: usize,
}

impl Default for RandomCrystalConfig {
    /// Any system, 1 to 7 species, 1 to 40 atoms, [`default_elements`], contacts
    /// `0.95..1.10 (r_i + r_j)`, 500 attempts.
    fn default() -> Self {
        Self {
            system: None,
            min_species: 1,
            max_species: 7,
            min_atoms: 1,
            max_atoms: 40,
            elements: default_elements(),
            contact_range: (0.95, 1.10),
            max_attempts: 500,
        }
    }
}

impl CheckFields for RandomCrystalConfig {
    type Error = DataError;

    /// Every field.
    fn check_fields(&self) -> Result<()> {
        let bad = |field: &str, message: String| {
            Err(DataError::Invalid {
                field: format!("random_crystal.{field}"),
                message,
            })
        };
        if !(1..=7).contains(&self.min_species)
            || !(self.min_species..=7).contains(&self.max_species)
        {
            return bad(
                "species",
                "need 1 <= min_species <= max_species <= 7".into(),
            );
        }
        if self.min_atoms == 0 || !(self.min_atoms..=200).contains(&self.max_atoms) {
            return bad("atoms", "need 1 <= min_atoms <= max_atoms <= 200".into());
        }
        if self.min_species > self.max_atoms {
            return bad("min_species", "more species than atoms allowed".into());
        }
        let mut el = self.elements.clone();
        el.sort_unstable();
        el.dedup();
        if el.len() < self.max_species || el.iter().any(|z| !(1..=118).contains(z)) {
            return bad(
                "elements",
                format!(
                    "need >= {} distinct atomic numbers in 1..=118",
                    self.max_species
                ),
            );
        }
        let (lo, hi) = self.contact_range;
        if !(0.5 <= lo && lo <= hi && hi <= 1.5) {
            return bad(
                "contact_range",
                format!("({lo}, {hi}) not within [0.5, 1.5]"),
            );
        }
        if self.max_attempts == 0 {
            return bad("max_attempts", "must be >= 1".into());
        }
        Ok(())
    }
}

/// A generated crystal with the symmetry the analysis found.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomCrystal {
    /// The structure.
    pub crystal: Crystal,
    /// Its crystal system (the requested one).
    pub system: CrystalSystem,
    /// Space-group number found by [`dos_data::symmetry::analyze`].
    pub space_group: u16,
}

/// A random crystal from a seed (see the module docs); deterministic in `seed`.
///
/// # Errors
/// Invalid configuration, or no valid crystal within `max_attempts`.
///
/// # Example
/// ```
/// use dos_synth::random_crystal::{random_crystal_seeded, RandomCrystalConfig};
/// use dos_data::Check;
/// use dos_data::symmetry::CrystalSystem;
/// let cfg = RandomCrystalConfig { system: Some(CrystalSystem::Hexagonal), ..Default::default() };
/// let cfg = cfg.check().unwrap();
/// let c = random_crystal_seeded(&cfg, 7).unwrap();
/// assert_eq!(c.system, CrystalSystem::Hexagonal);
/// assert_eq!(c, random_crystal_seeded(&cfg, 7).unwrap());
/// ```
pub fn random_crystal_seeded(
    cfg: &Checked<RandomCrystalConfig>,
    seed: u64,
) -> Result<RandomCrystal> {
    random_crystal(cfg, &mut ChaCha8Rng::seed_from_u64(seed))
}

/// A random crystal drawn from `rng` (see the module docs).
///
/// # Errors
/// Invalid configuration, or no valid crystal within `max_attempts`.
pub fn random_crystal<R: Rng>(
    cfg: &Checked<RandomCrystalConfig>,
    rng: &mut R,
) -> Result<RandomCrystal> {
    let sym_cfg = SymmetryConfig::default();
    // Drawn once, not per attempt: systems that are harder to hit must not be under-sampled.
    let system = match cfg.system {
        Some(s) => s,
        None => CrystalSystem::ALL[rng.random_range(0..CrystalSystem::ALL.len())],
    };
    for _ in 0..cfg.max_attempts {
        let Some(crystal) = attempt(cfg, system, rng)? else {
            continue;
        };
        let Ok(found) = analyze(&crystal, &sym_cfg) else {
            continue;
        };
        if found.crystal_system == system {
            return Ok(RandomCrystal {
                crystal,
                system,
                space_group: found.space_group,
            });
        }
    }
    Err(DataError::Invalid {
        field: "random_crystal.max_attempts".into(),
        message: format!("no crystal found in {} attempts", cfg.max_attempts),
    })
}

type Op = [[i32; 3]; 3];

const IDENTITY: Op = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
const INVERSION: Op = [[-1, 0, 0], [0, -1, 0], [0, 0, -1]];

fn op_mul(a: &Op, b: &Op) -> Op {
    let mut c = [[0; 3]; 3];
    for (i, row) in c.iter_mut().enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            *x = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    c
}

fn op_apply(r: &Op, f: &[f64; 3]) -> [f64; 3] {
    let mut out = [0.0; 3];
    for (o, row) in out.iter_mut().zip(r) {
        *o = row[0] as f64 * f[0] + row[1] as f64 * f[1] + row[2] as f64 * f[2];
    }
    out
}

/// Point-group operations (fractional coordinates) of the representative space group.
fn point_group(system: CrystalSystem) -> Vec<Op> {
    let four_z: Op = [[0, -1, 0], [1, 0, 0], [0, 0, 1]];
    let three_111: Op = [[0, 0, 1], [1, 0, 0], [0, 1, 0]];
    let six_z_hex: Op = [[1, -1, 0], [1, 0, 0], [0, 0, 1]];
    let three_z_hex: Op = [[0, -1, 0], [1, -1, 0], [0, 0, 1]];
    let two_110_hex: Op = [[0, 1, 0], [1, 0, 0], [0, 0, -1]];
    let two_x: Op = [[1, 0, 0], [0, -1, 0], [0, 0, -1]];
    let two_y: Op = [[-1, 0, 0], [0, 1, 0], [0, 0, -1]];
    let two_z: Op = [[-1, 0, 0], [0, -1, 0], [0, 0, 1]];
    let generators: Vec<Op> = match system {
        CrystalSystem::Cubic => vec![four_z, three_111, INVERSION],
        CrystalSystem::Hexagonal => vec![six_z_hex, two_110_hex, INVERSION],
        CrystalSystem::Tetragonal => vec![four_z, two_x, INVERSION],
        CrystalSystem::Trigonal => vec![three_z_hex, two_110_hex, INVERSION],
        CrystalSystem::Orthorhombic => vec![two_z, two_y, INVERSION],
        CrystalSystem::Monoclinic => vec![two_y, INVERSION],
        CrystalSystem::Triclinic => vec![INVERSION],
    };
    let mut group = vec![IDENTITY];
    let mut i = 0;
    while i < group.len() {
        for g in &generators {
            let p = op_mul(g, &group[i]);
            if !group.contains(&p) {
                group.push(p);
            }
        }
        i += 1;
    }
    group
}

/// Lattice rows for `system` with unit-ish lengths (rescaled later).
fn random_lattice<R: Rng>(system: CrystalSystem, rng: &mut R) -> Option<[[f64; 3]; 3]> {
    let ratio = |rng: &mut R| rng.random_range(0.6..1.6);
    let distinct = |x: f64, y: f64| (x / y - 1.0).abs() > 0.05;
    let sqrt3_2 = 3f64.sqrt() / 2.0;
    Some(match system {
        CrystalSystem::Cubic => [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        CrystalSystem::Hexagonal | CrystalSystem::Trigonal => {
            let c = rng.random_range(0.7..2.0);
            [[1.0, 0.0, 0.0], [-0.5, sqrt3_2, 0.0], [0.0, 0.0, c]]
        }
        CrystalSystem::Tetragonal => {
            let c = ratio(rng);
            if !distinct(c, 1.0) {
                return None;
            }
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, c]]
        }
        CrystalSystem::Orthorhombic => {
            let (b, c) = (ratio(rng), ratio(rng));
            if !(distinct(b, 1.0) && distinct(c, 1.0) && distinct(b, c)) {
                return None;
            }
            [[1.0, 0.0, 0.0], [0.0, b, 0.0], [0.0, 0.0, c]]
        }
        CrystalSystem::Monoclinic => {
            let (b, c) = (ratio(rng), ratio(rng));
            let beta = rng.random_range(95.0f64..125.0).to_radians();
            [
                [1.0, 0.0, 0.0],
                [0.0, b, 0.0],
                [c * beta.cos(), 0.0, c * beta.sin()],
            ]
        }
        CrystalSystem::Triclinic => {
            let (b, c) = (ratio(rng), ratio(rng));
            let mut angle = || {
                let x: f64 = rng.random_range(5.0..20.0);
                let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                (90.0 + sign * x).to_radians()
            };
            let (al, be, ga) = (angle(), angle(), angle());
            let cz2 =
                1.0 - be.cos().powi(2) - ((al.cos() - be.cos() * ga.cos()) / ga.sin()).powi(2);
            if cz2 < 0.1 {
                return None;
            }
            [
                [1.0, 0.0, 0.0],
                [b * ga.cos(), b * ga.sin(), 0.0],
                [
                    c * be.cos(),
                    c * (al.cos() - be.cos() * ga.cos()) / ga.sin(),
                    c * cz2.sqrt(),
                ],
            ]
        }
    })
}

fn wrap(f: [f64; 3]) -> [f64; 3] {
    let w = |x: f64| {
        let y = x - x.floor();
        if y >= 1.0 - 1e-12 {
            0.0
        } else {
            y
        }
    };
    [w(f[0]), w(f[1]), w(f[2])]
}

/// Shortest distance from a point to its own lattice translates.
fn self_image_distance(lattice: &[[f64; 3]; 3]) -> f64 {
    let mut best = f64::MAX;
    for i in -2i32..=2 {
        for j in -2i32..=2 {
            for k in -2i32..=2 {
                if (i, j, k) != (0, 0, 0) {
                    let f = [f64::from(i), f64::from(j), f64::from(k)];
                    best = best.min(norm3(&frac_to_cart(lattice, &f)));
                }
            }
        }
    }
    best
}

/// The orbit of `p` under `ops`, projected onto the special position of the operations that
/// map `p` within `merge` Å of itself; `None` when the projection is inconsistent.
fn orbit(lattice: &[[f64; 3]; 3], ops: &[Op], p: [f64; 3], merge: f64) -> Option<Vec<[f64; 3]>> {
    // Projection: q = mean over the near-stabiliser S of (g p - n_g), n_g = round(g p - p).
    let mut q = [0.0; 3];
    let mut count = 0.0;
    for g in ops {
        let gp = op_apply(g, &p);
        if periodic_distance(lattice, &p, &gp) < merge {
            for k in 0..3 {
                let shift = (gp[k] - p[k]).round();
                q[k] += gp[k] - shift;
            }
            count += 1.0;
        }
    }
    let q = wrap([q[0] / count, q[1] / count, q[2] / count]);
    let mut images: Vec<[f64; 3]> = Vec::new();
    for g in ops {
        let gq = wrap(op_apply(g, &q));
        let mut duplicate = false;
        for im in &images {
            let d = periodic_distance(lattice, im, &gq);
            if d < 1e-6 {
                duplicate = true;
                break;
            }
            if d < merge {
                return None;
            }
        }
        if !duplicate {
            images.push(gq);
        }
    }
    Some(images)
}

fn random_point<R: Rng>(system: CrystalSystem, rng: &mut R) -> [f64; 3] {
    let hex = matches!(system, CrystalSystem::Hexagonal | CrystalSystem::Trigonal);
    let mut p = [0.0; 3];
    for (k, x) in p.iter_mut().enumerate() {
        *x = if rng.random_bool(0.35) {
            let special: &[f64] = if hex && k < 2 {
                &[0.0, 0.5, 1.0 / 3.0, 2.0 / 3.0]
            } else {
                &[0.0, 0.5]
            };
            special[rng.random_range(0..special.len())]
        } else {
            rng.random::<f64>()
        };
    }
    p
}

/// One construction attempt; `Ok(None)` when it fails a check.
fn attempt<R: Rng>(
    cfg: &RandomCrystalConfig,
    system: CrystalSystem,
    rng: &mut R,
) -> Result<Option<Crystal>> {
    let Some(shape) = random_lattice(system, rng) else {
        return Ok(None);
    };
    let ops = point_group(system);
    let n_target = rng.random_range(cfg.min_atoms..=cfg.max_atoms);
    let n_species = rng.random_range(cfg.min_species..=cfg.max_species.min(n_target));
    let mut pool = cfg.elements.clone();
    pool.sort_unstable();
    pool.dedup();
    let elements: Vec<Species> = rand::seq::index::sample(rng, pool.len(), n_species)
        .into_iter()
        .map(|i| Species::from_z(pool[i]))
        .collect::<Result<_>>()?;
    // Volume from a packing fraction of spheres of the mean covalent radius.
    let r_mean = elements.iter().map(|s| s.covalent_radius).sum::<f64>() / n_species as f64;
    let packing = rng.random_range(0.25..0.45);
    let volume = n_target as f64 * 4.0 / 3.0 * std::f64::consts::PI * r_mean.powi(3) / packing;
    let scale = (volume / dos_data::mat3::det3(&shape).abs()).cbrt();
    let lattice = shape.map(|row| row.map(|x| x * scale));

    let mut sites: Vec<([f64; 3], usize)> = Vec::new();
    let mut failures = 0;
    let mut orbits = 0;
    while sites.len() < n_target && failures < 60 {
        let kind = if orbits < n_species {
            orbits
        } else {
            rng.random_range(0..n_species)
        };
        let r = elements[kind].covalent_radius;
        let p = random_point(system, rng);
        let accepted = orbit(&lattice, &ops, p, 0.8 * 2.0 * r).filter(|images| {
            sites.len() + images.len() <= n_target
                && images.iter().all(|im| {
                    sites.iter().all(|(f, k)| {
                        periodic_distance(&lattice, f, im)
                            >= 0.8 * (r + elements[*k].covalent_radius)
                    })
                })
        });
        match accepted {
            Some(images) => {
                sites.extend(images.into_iter().map(|f| (f, kind)));
                orbits += 1;
            }
            None => failures += 1,
        }
    }
    if orbits < n_species || sites.len() < cfg.min_atoms {
        return Ok(None);
    }

    // Contact ratios: shortest d / (r_i + r_j) overall, and per atom its nearest neighbour.
    let radius = |k: usize| elements[k].covalent_radius;
    let self_d = self_image_distance(&lattice);
    let mut nearest = vec![f64::MAX; sites.len()];
    for (a, (fa, ka)) in sites.iter().enumerate() {
        nearest[a] = self_d / (2.0 * radius(*ka));
        for (b, (fb, kb)) in sites.iter().enumerate() {
            if a != b {
                let ratio = periodic_distance(&lattice, fa, fb) / (radius(*ka) + radius(*kb));
                nearest[a] = nearest[a].min(ratio);
            }
        }
    }
    let shortest = nearest.iter().copied().fold(f64::MAX, f64::min);
    let target = rng.random_range(cfg.contact_range.0..=cfg.contact_range.1);
    let s = target / shortest;
    if nearest.iter().any(|&n| n * s > 1.25) {
        return Ok(None);
    }
    let lattice = lattice.map(|row| row.map(|x| x * s));
    if !bonded_network_is_connected(&lattice, &sites, &radius) {
        return Ok(None);
    }
    let numbers: Vec<u8> = sites.iter().map(|(_, k)| elements[*k].z).collect();
    let frac: Vec<[f64; 3]> = sites.iter().map(|(f, _)| *f).collect();
    Ok(Crystal::from_fractional(lattice, numbers, &frac).ok())
}

/// Whether the atoms form one network through contacts `d < 1.25 (r_i + r_j)` (any periodic
/// image): otherwise a cluster could translate freely, giving zero-frequency phonons.
fn bonded_network_is_connected(
    lattice: &[[f64; 3]; 3],
    sites: &[([f64; 3], usize)],
    radius: &dyn Fn(usize) -> f64,
) -> bool {
    let n = sites.len();
    let mut reached = vec![false; n];
    let mut stack = vec![0];
    reached[0] = true;
    while let Some(a) = stack.pop() {
        for b in 0..n {
            if !reached[b] {
                let d = periodic_distance(lattice, &sites[a].0, &sites[b].0);
                if d < 1.25 * (radius(sites[a].1) + radius(sites[b].1)) {
                    reached[b] = true;
                    stack.push(b);
                }
            }
        }
    }
    reached.iter().all(|&r| r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_config::Check;

    #[test]
    fn point_group_orders() {
        let orders: Vec<usize> = CrystalSystem::ALL
            .iter()
            .map(|&s| point_group(s).len())
            .collect();
        // |Oh|, |D6h|, |D4h|, |D3d|, |D2h|, |C2h|, |Ci|
        assert_eq!(orders, [48, 24, 16, 12, 8, 4, 2]);
    }

    #[test]
    fn every_system_is_confirmed_by_symmetry_analysis() {
        for system in CrystalSystem::ALL {
            let cfg = RandomCrystalConfig {
                system: Some(system),
                max_atoms: 16,
                ..RandomCrystalConfig::default()
            };
            for seed in 0..4 {
                let c = random_crystal_seeded(&cfg.check().unwrap(), seed).unwrap();
                assert_eq!(c.system, system);
                // Independent re-analysis of the returned structure.
                let found = analyze(&c.crystal, &SymmetryConfig::default()).unwrap();
                assert_eq!(found.crystal_system, system, "seed {seed}");
                assert!((1..=16).contains(&c.crystal.n_atoms()));
            }
        }
    }

    #[test]
    fn contacts_are_sensible_and_seeds_reproduce() {
        let cfg = RandomCrystalConfig::default();
        for seed in 0..6 {
            let c = random_crystal_seeded(&cfg.check().unwrap(), seed).unwrap();
            assert_eq!(
                c,
                random_crystal_seeded(&cfg.check().unwrap(), seed).unwrap()
            );
            let species = Species::for_atoms(c.crystal.numbers()).unwrap();
            let nl = dos_data::graph::neighbor_list(&c.crystal, 8.0).unwrap();
            let mut shortest = f64::MAX;
            for e in 0..nl.len() {
                let (i, j) = (nl.centers[e] as usize, nl.neighbors[e] as usize);
                let r = species[i].covalent_radius + species[j].covalent_radius;
                shortest = shortest.min(nl.distances[e] / r);
            }
            assert!(
                shortest >= cfg.contact_range.0 - 1e-9 && shortest <= cfg.contact_range.1 + 1e-9,
                "seed {seed}: {shortest}"
            );
            let n_species = c.crystal.n_species();
            assert!((1..=7).contains(&n_species) && c.crystal.n_atoms() <= 40);
        }
        assert_ne!(
            random_crystal_seeded(&cfg.check().unwrap(), 1).unwrap(),
            random_crystal_seeded(&cfg.check().unwrap(), 2).unwrap()
        );
        let bad = RandomCrystalConfig {
            max_species: 8,
            ..RandomCrystalConfig::default()
        };
        let e = bad.check().expect_err("8 species are refused").to_string();
        assert!(e.contains("max_species"), "{e}");
    }
}
