//! The [`Crystal`] type: a periodic structure (lattice, atomic numbers, Cartesian positions).

use crate::cell_list::PeriodicCellList;
use crate::error::CrystalError;
use crate::mat3::{det3, frac_to_cart, inverse3, norm3, vec_mat};

/// Smallest allowed distance between two atoms (including periodic images), in Angstrom.
pub const MIN_ATOM_DISTANCE: f64 = 0.1;

/// Most atoms in one structure. Every reader and [`Crystal::new`] reject more (before
/// allocating for them). The DOS benchmarks have at most 40 atoms per cell and Materials
/// Project unit cells rarely exceed a few hundred; 2048 leaves room while keeping every
/// per-structure cost (neighbour lists, symmetry, batches) bounded.
pub const MAX_ATOMS: usize = 2048;

/// A validated periodic crystal structure.
///
/// - `lattice`: 3x3, rows are the lattice vectors a, b, c in Angstrom;
/// - `numbers`: atomic numbers Z (1..=118), one per atom;
/// - `positions`: Cartesian coordinates in Angstrom, one triple per atom.
///
/// Construction through [`Crystal::new`] checks that every number is finite, the lattice is
/// non-singular, every Z is in 1..=118, there are 1..=[`MAX_ATOMS`] atoms and no two atoms (or
/// an atom and a periodic image of another or itself) are closer than [`MIN_ATOM_DISTANCE`].
#[derive(Debug, Clone, PartialEq)]
pub struct Crystal {
    lattice: [[f64; 3]; 3],
    numbers: Vec<u8>,
    positions: Vec<[f64; 3]>,
}

impl Crystal {
    /// Build a crystal from a lattice (rows are vectors), atomic numbers and Cartesian positions.
    ///
    /// # Errors
    /// A [`CrystalError`] naming the first problem found.
    pub fn new(
        lattice: [[f64; 3]; 3],
        numbers: Vec<u8>,
        positions: Vec<[f64; 3]>,
    ) -> Result<Self, CrystalError> {
        if numbers.is_empty() {
            return Err(CrystalError::NoAtoms);
        }
        if numbers.len() > MAX_ATOMS {
            return Err(CrystalError::TooManyAtoms {
                count: numbers.len(),
                limit: MAX_ATOMS,
            });
        }
        if numbers.len() != positions.len() {
            return Err(CrystalError::LengthMismatch {
                numbers: numbers.len(),
                positions: positions.len(),
            });
        }
        if lattice.iter().flatten().any(|x| !x.is_finite()) {
            return Err(CrystalError::NonFinite { what: "lattice" });
        }
        if positions.iter().flatten().any(|x| !x.is_finite()) {
            return Err(CrystalError::NonFinite { what: "positions" });
        }
        let volume = det3(&lattice);
        let scale = lattice.iter().map(norm3).product::<f64>();
        if volume.abs() <= 1e-8 * scale.max(1e-300) || volume.abs() < 1e-6 {
            return Err(CrystalError::SingularLattice { volume });
        }
        if let Some((atom, &z)) = numbers
            .iter()
            .enumerate()
            .find(|(_, &z)| !(1..=118).contains(&z))
        {
            return Err(CrystalError::InvalidAtomicNumber { atom, z });
        }
        let crystal = Self {
            lattice,
            numbers,
            positions,
        };
        crystal.check_min_distance()?;
        Ok(crystal)
    }

    /// Build a crystal from fractional coordinates (converted with `r = f · lattice`).
    ///
    /// # Errors
    /// As [`Crystal::new`].
    pub fn from_fractional(
        lattice: [[f64; 3]; 3],
        numbers: Vec<u8>,
        fractional: &[[f64; 3]],
    ) -> Result<Self, CrystalError> {
        let positions = fractional
            .iter()
            .map(|f| frac_to_cart(&lattice, f))
            .collect();
        Self::new(lattice, numbers, positions)
    }

    /// Lattice vectors as rows, Angstrom.
    pub fn lattice(&self) -> &[[f64; 3]; 3] {
        &self.lattice
    }

    /// Atomic numbers, one per atom.
    pub fn numbers(&self) -> &[u8] {
        &self.numbers
    }

    /// Cartesian positions in Angstrom, one per atom.
    pub fn positions(&self) -> &[[f64; 3]] {
        &self.positions
    }

    /// Number of atoms in the cell.
    pub fn n_atoms(&self) -> usize {
        self.numbers.len()
    }

    /// Cell volume |det(lattice)| in Angstrom^3.
    pub fn volume(&self) -> f64 {
        det3(&self.lattice).abs()
    }

    /// Fractional coordinates `f = r · lattice^-1`, one triple per atom (not wrapped).
    pub fn fractional_positions(&self) -> Vec<[f64; 3]> {
        let inv = inverse3(&self.lattice);
        self.positions.iter().map(|r| vec_mat(r, &inv)).collect()
    }

    /// Number of distinct elements.
    pub fn n_species(&self) -> usize {
        let mut z = self.numbers.clone();
        z.sort_unstable();
        z.dedup();
        z.len()
    }

    /// Mass density in g/cm^3 (element masses from [`crate::elements`]).
    pub fn density(&self) -> f64 {
        // 1 amu / 1 A^3 = 1.66053906660 g/cm^3
        let mass: f64 = self
            .numbers
            .iter()
            .map(|&z| crate::elements::Element::from_z(z).map_or(0.0, |e| e.mass))
            .sum();
        mass * 1.660_539_066_60 / self.volume()
    }

    /// Reduced chemical formula, elements in order of electronegativity as pymatgen writes
    /// `reduced_formula` for common compounds is not reproduced; here elements are ordered
    /// by first appearance in the structure, e.g. `BaTe`, `SiO2`.
    pub fn reduced_formula(&self) -> String {
        let mut order: Vec<u8> = Vec::new();
        let mut counts: Vec<usize> = Vec::new();
        for &z in &self.numbers {
            match order.iter().position(|&o| o == z) {
                Some(i) => counts[i] += 1,
                None => {
                    order.push(z);
                    counts.push(1);
                }
            }
        }
        let g = counts.iter().copied().fold(0, gcd);
        let mut out = String::new();
        for (z, c) in order.iter().zip(&counts) {
            let symbol = crate::elements::Element::from_z(*z).map_or("X", |e| e.symbol);
            out.push_str(symbol);
            let n = c / g.max(1);
            if n > 1 {
                out.push_str(&n.to_string());
            }
        }
        out
    }

    /// The minimum-distance check: the first pair `(i, j)`, `i <= j`, in lexicographic order
    /// with an image closer than [`MIN_ATOM_DISTANCE`] (images searched: the 27 cells around
    /// the minimum-image fractional difference), found with a [`PeriodicCellList`] in O(N)
    /// instead of comparing all pairs. Same result as the all-pairs scan.
    fn check_min_distance(&self) -> Result<(), CrystalError> {
        // i == j: the 26 lattice translations around the origin, the same for every atom, so
        // the all-pairs order meets the pair (0, 0) first.
        if let Some(distance) = first_close_image(&[0.0; 3], &self.lattice, true) {
            return Err(CrystalError::AtomsTooClose {
                i: 0,
                j: 0,
                distance,
            });
        }
        let frac = self.fractional_positions();
        let mut cells = PeriodicCellList::new(&self.lattice, MIN_ATOM_DISTANCE);
        let mut first: Option<(usize, usize, f64)> = None;
        // j ascending, compared with every stored i < j: keep the smallest i (for equal i the
        // earlier j), which is the lexicographically first close pair.
        for (j, fj) in frac.iter().enumerate() {
            for i in cells.candidates(fj) {
                if first.is_some_and(|(fi, _, _)| i >= fi) {
                    continue;
                }
                if let Some(d) = first_close_image(&min_image(&frac[i], fj), &self.lattice, false) {
                    first = Some((i, j, d));
                }
            }
            cells.insert(fj, j);
        }
        match first {
            Some((i, j, distance)) => Err(CrystalError::AtomsTooClose { i, j, distance }),
            None => Ok(()),
        }
    }
}

/// `f_j - f_i` with every component reduced to [-1/2, 1/2] by rounding.
fn min_image(fi: &[f64; 3], fj: &[f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|k| {
        let d = fj[k] - fi[k];
        d - d.round()
    })
}

/// The Cartesian length of the first of the 27 images `d + (a, b, c)`, `a, b, c` in -1..=1
/// (that order), shorter than [`MIN_ATOM_DISTANCE`]; `skip_zero` skips `(0, 0, 0)`.
fn first_close_image(d: &[f64; 3], lattice: &[[f64; 3]; 3], skip_zero: bool) -> Option<f64> {
    for a in -1..=1 {
        for b in -1..=1 {
            for c in -1..=1 {
                if skip_zero && a == 0 && b == 0 && c == 0 {
                    continue;
                }
                let f = [
                    d[0] + f64::from(a),
                    d[1] + f64::from(b),
                    d[2] + f64::from(c),
                ];
                let dist = norm3(&vec_mat(&f, lattice));
                if dist < MIN_ATOM_DISTANCE {
                    return Some(dist);
                }
            }
        }
    }
    None
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::rocksalt;

    #[test]
    fn volume_formula_and_fractional_roundtrip() {
        let c = rocksalt();
        assert!((c.volume() - 5.64f64.powi(3) / 4.0).abs() < 1e-9);
        assert_eq!(c.reduced_formula(), "NaCl");
        assert_eq!(c.n_species(), 2);
        let f = c.fractional_positions();
        assert!((f[1][0] - 0.5).abs() < 1e-12 && (f[1][2] - 0.5).abs() < 1e-12);
        // NaCl: 58.44 amu per formula unit, 4 f.u. in a 5.64^3 A^3 conventional cell: 2.165 g/cm^3
        assert!((c.density() - 2.165).abs() < 0.01, "{}", c.density());
    }

    /// The all-pairs minimum-distance check as it was before the cell list: the reference.
    fn brute_force_min_distance(c: &Crystal) -> Result<(), CrystalError> {
        let frac = c.fractional_positions();
        for (i, fi) in frac.iter().enumerate() {
            for (j, fj) in frac.iter().enumerate().skip(i) {
                let d = [fj[0] - fi[0], fj[1] - fi[1], fj[2] - fi[2]];
                let d = [
                    d[0] - d[0].round(),
                    d[1] - d[1].round(),
                    d[2] - d[2].round(),
                ];
                for a in -1..=1 {
                    for b in -1..=1 {
                        for cc in -1..=1 {
                            if i == j && a == 0 && b == 0 && cc == 0 {
                                continue;
                            }
                            let f = [d[0] + a as f64, d[1] + b as f64, d[2] + cc as f64];
                            let dist = norm3(&vec_mat(&f, c.lattice()));
                            if dist < MIN_ATOM_DISTANCE {
                                return Err(CrystalError::AtomsTooClose {
                                    i,
                                    j,
                                    distance: dist,
                                });
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Random cells (cubic to strongly skewed and flat) with random atoms, some placed just
    /// inside or outside the minimum distance of another atom or its image: the cell-list
    /// check gives exactly the brute-force result (same pair, same distance, or Ok).
    #[test]
    fn min_distance_equals_brute_force_on_random_cells() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (mut n_ok, mut n_err) = (0, 0);
        for trial in 0..400 {
            let skew = [0.0, 0.5, 2.0, 6.0][trial % 4];
            let mut lattice = [[0.0; 3]; 3];
            for (k, row) in lattice.iter_mut().enumerate() {
                for (l, x) in row.iter_mut().enumerate() {
                    *x = if k == l {
                        0.3 + 3.0 * rng.random::<f64>()
                    } else {
                        skew * (rng.random::<f64>() - 0.5)
                    };
                }
            }
            if det3(&lattice).abs() < 0.05 {
                continue;
            }
            let n = rng.random_range(1..40);
            let mut frac: Vec<[f64; 3]> = (0..n)
                .map(|_| [0, 1, 2].map(|_| 2.0 * rng.random::<f64>() - 0.5))
                .collect();
            // a near pair: a copy of an atom moved by about the minimum distance, shifted by a
            // whole cell now and then
            if trial % 3 != 0 {
                let src = frac[rng.random_range(0..n)];
                let inv = inverse3(&lattice);
                let r = 0.08 + 0.04 * rng.random::<f64>();
                let dir = [0, 1, 2].map(|_| rng.random::<f64>() - 0.5);
                let dir = dir.map(|x| x * r / norm3(&dir));
                let df = vec_mat(&dir, &inv);
                let cell = f64::from(rng.random_range(-1..=1));
                frac.insert(
                    rng.random_range(0..=n),
                    [src[0] + df[0] + cell, src[1] + df[1], src[2] + df[2]],
                );
            }
            let positions: Vec<[f64; 3]> = frac.iter().map(|f| frac_to_cart(&lattice, f)).collect();
            let c = Crystal {
                lattice,
                numbers: vec![1; positions.len()],
                positions,
            };
            let expected = brute_force_min_distance(&c);
            assert_eq!(c.check_min_distance(), expected, "trial {trial}");
            if expected.is_ok() {
                n_ok += 1;
            } else {
                n_err += 1;
            }
        }
        assert!(n_ok > 50 && n_err > 50, "{n_ok} ok, {n_err} errors");
    }

    /// 2048 atoms on a grid check in well under a second (the all-pairs scan took seconds
    /// in debug builds at this size and grew as N²).
    #[test]
    fn min_distance_check_is_fast_on_many_atoms() {
        let l = [[32.0, 0.0, 0.0], [0.0, 32.0, 0.0], [0.0, 0.0, 16.0]];
        let frac: Vec<[f64; 3]> = (0..MAX_ATOMS)
            .map(|k| {
                let (a, b, c) = (k % 16, (k / 16) % 16, k / 256);
                [a as f64 / 16.0, b as f64 / 16.0, c as f64 / 8.0]
            })
            .collect();
        let t = std::time::Instant::now();
        let c = Crystal::from_fractional(l, vec![6; MAX_ATOMS], &frac).unwrap();
        assert_eq!(c.n_atoms(), MAX_ATOMS);
        assert!(t.elapsed().as_secs_f64() < 1.0, "{:?}", t.elapsed());
    }

    #[test]
    fn too_many_atoms_is_an_error_naming_count_and_limit() {
        let l = [[300.0, 0.0, 0.0], [0.0, 300.0, 0.0], [0.0, 0.0, 300.0]];
        let n = MAX_ATOMS + 1;
        let positions: Vec<[f64; 3]> = (0..n).map(|k| [k as f64 * 0.12, 0.0, 0.0]).collect();
        let e = Crystal::new(l, vec![1; n], positions).unwrap_err();
        assert_eq!(
            e,
            CrystalError::TooManyAtoms {
                count: n,
                limit: MAX_ATOMS
            }
        );
        assert!(e.to_string().contains("2049 atoms") && e.to_string().contains("2048"));
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let l = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]];
        assert!(matches!(
            Crystal::new(l, vec![], vec![]),
            Err(CrystalError::NoAtoms)
        ));
        let sing = [[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 3.0]];
        assert!(matches!(
            Crystal::new(sing, vec![1], vec![[0.0; 3]]),
            Err(CrystalError::SingularLattice { .. })
        ));
        assert!(matches!(
            Crystal::new(l, vec![119], vec![[0.0; 3]]),
            Err(CrystalError::InvalidAtomicNumber { z: 119, .. })
        ));
        assert!(matches!(
            Crystal::new(l, vec![1, 1], vec![[0.0; 3], [2.95, 0.0, 0.0]]),
            Err(CrystalError::AtomsTooClose { .. })
        ));
        assert!(matches!(
            Crystal::new(l, vec![1], vec![[f64::NAN, 0.0, 0.0]]),
            Err(CrystalError::NonFinite { .. })
        ));
    }
}
