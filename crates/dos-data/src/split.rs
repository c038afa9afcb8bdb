//! [`Split`]: train / validation / test row indices, read from and written to the benchmark's
//! `idx_{train,valid,test}.txt` files, or made by seeded random, out-of-distribution and
//! fine-tuning rules.
//!
//! All random choices use [`rand_chacha::ChaCha8Rng`] seeded with `seed_from_u64(seed)` and a
//! Fisher-Yates shuffle written here (with rejection sampling for unbiased bounded integers),
//! so a seed gives the same split on every platform and `rand` version.

use std::path::{Path, PathBuf};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{DataError, Result};
use crate::symmetry::CrystalSystem;

/// File names of the three index files, as in the phonon benchmark.
pub const SPLIT_FILES: [&str; 3] = ["idx_train.txt", "idx_valid.txt", "idx_test.txt"];

/// Row indices (0-based, into a dataset's sample list) of the train, validation and test sets.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Split {
    /// Training rows.
    pub train: Vec<usize>,
    /// Validation rows (early stopping, model selection).
    pub valid: Vec<usize>,
    /// Test rows.
    pub test: Vec<usize>,
}

/// Which crystals the out-of-distribution split by number of species (scenario 1) uses.
///
/// Train: binary and ternary; valid/test: unary, quaternary, quinary; six or more species:
/// unused.
pub fn species_group(n_species: usize) -> Option<SplitRole> {
    match n_species {
        2 | 3 => Some(SplitRole::Train),
        1 | 4 | 5 => Some(SplitRole::Held),
        _ => None,
    }
}

/// Which crystals the out-of-distribution split by crystal system (scenario 2) uses.
///
/// Train: cubic, hexagonal, tetragonal, trigonal, orthorhombic; valid/test: monoclinic and
/// triclinic; unknown (`None`): unused.
pub fn crystal_system_group(system: Option<CrystalSystem>) -> Option<SplitRole> {
    use CrystalSystem::*;
    match system? {
        Cubic | Hexagonal | Tetragonal | Trigonal | Orthorhombic => Some(SplitRole::Train),
        Monoclinic | Triclinic => Some(SplitRole::Held),
    }
}

/// Where an out-of-distribution rule puts a crystal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitRole {
    /// In the training set.
    Train,
    /// In the held-out pool, shared between validation and test.
    Held,
}

impl Split {
    /// Total number of indices in the three sets.
    pub fn len(&self) -> usize {
        self.train.len() + self.valid.len() + self.test.len()
    }

    /// True when all three sets are empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Check that every index is `< n` and no index appears twice (within or across sets).
    ///
    /// # Errors
    /// [`DataError::Invalid`] naming the set and the index.
    pub fn validate(&self, n: usize) -> Result<()> {
        let mut seen: Vec<Option<&str>> = vec![None; n];
        for (name, set) in self.named() {
            for &i in set {
                let slot = seen.get_mut(i).ok_or_else(|| DataError::Invalid {
                    field: format!("split.{name}"),
                    message: format!("index {i} out of range for {n} rows"),
                })?;
                if let Some(other) = slot {
                    return Err(DataError::Invalid {
                        field: format!("split.{name}"),
                        message: format!("index {i} also in {other}"),
                    });
                }
                *slot = Some(name);
            }
        }
        Ok(())
    }

    /// True when the split is valid for `n` rows and uses every row.
    pub fn covers(&self, n: usize) -> bool {
        self.len() == n && self.validate(n).is_ok()
    }

    fn named(&self) -> [(&'static str, &Vec<usize>); 3] {
        [
            ("train", &self.train),
            ("valid", &self.valid),
            ("test", &self.test),
        ]
    }

    /// Read `dir/idx_train.txt`, `dir/idx_valid.txt`, `dir/idx_test.txt` (one 0-based index
    /// per line; blank lines ignored; order kept).
    ///
    /// # Errors
    /// [`DataError::Io`] naming the file; [`DataError::Parse`] naming file and 1-based line.
    pub fn read_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        Ok(Self {
            train: read_index_file(dir.join(SPLIT_FILES[0]))?,
            valid: read_index_file(dir.join(SPLIT_FILES[1]))?,
            test: read_index_file(dir.join(SPLIT_FILES[2]))?,
        })
    }

    /// Write the three index files into `dir` (created if missing), one index per line.
    ///
    /// # Errors
    /// [`DataError::Io`] naming the directory or file.
    pub fn write_dir(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| DataError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        for (file, (_, set)) in SPLIT_FILES.iter().zip(self.named()) {
            let path = dir.join(file);
            let mut text = String::with_capacity(set.len() * 6);
            for i in set {
                text.push_str(&i.to_string());
                text.push('\n');
            }
            std::fs::write(&path, text).map_err(|source| DataError::Io { path, source })?;
        }
        Ok(())
    }

    /// Seeded random split of rows `0..n` with validation and test fractions (e.g. 0.1, 0.1 for
    /// the paper's 80/10/10): `n_valid = round(valid_fraction · n)`, `n_test =
    /// round(test_fraction · n)`, the rest trains. Each set is sorted.
    ///
    /// # Errors
    /// [`DataError::Invalid`] when a fraction is not in [0, 1] or they sum above 1.
    pub fn random(n: usize, valid_fraction: f64, test_fraction: f64, seed: u64) -> Result<Self> {
        for (field, f) in [
            ("valid_fraction", valid_fraction),
            ("test_fraction", test_fraction),
        ] {
            if !(0.0..=1.0).contains(&f) {
                return Err(DataError::Invalid {
                    field: field.into(),
                    message: format!("{f} is not in [0, 1]"),
                });
            }
        }
        if valid_fraction + test_fraction > 1.0 {
            return Err(DataError::Invalid {
                field: "test_fraction".into(),
                message: format!("valid {valid_fraction} + test {test_fraction} exceeds 1"),
            });
        }
        let n_valid = (valid_fraction * n as f64).round() as usize;
        let n_test = ((test_fraction * n as f64).round() as usize).min(n - n_valid);
        let mut order: Vec<usize> = (0..n).collect();
        shuffle(&mut order, &mut ChaCha8Rng::seed_from_u64(seed));
        let mut valid = order[..n_valid].to_vec();
        let mut test = order[n_valid..n_valid + n_test].to_vec();
        let mut train = order[n_valid + n_test..].to_vec();
        train.sort_unstable();
        valid.sort_unstable();
        test.sort_unstable();
        Ok(Self { train, valid, test })
    }

    /// The paper's in-distribution split: random 80/10/10 with `seed`.
    pub fn random_80_10_10(n: usize, seed: u64) -> Self {
        // Fractions are constants in range, so this cannot fail.
        Self::random(n, 0.1, 0.1, seed).unwrap_or_default()
    }

    /// Out-of-distribution split from a role per row: [`SplitRole::Train`] rows train, the
    /// [`SplitRole::Held`] pool is shuffled with `seed` and halved (validation gets
    /// `floor(pool / 2)`, test the rest), rows with `None` are unused. Each set is sorted.
    pub fn by_role(roles: &[Option<SplitRole>], seed: u64) -> Self {
        let train: Vec<usize> = (0..roles.len())
            .filter(|&i| roles[i] == Some(SplitRole::Train))
            .collect();
        let mut pool: Vec<usize> = (0..roles.len())
            .filter(|&i| roles[i] == Some(SplitRole::Held))
            .collect();
        shuffle(&mut pool, &mut ChaCha8Rng::seed_from_u64(seed));
        let half = pool.len() / 2;
        let mut valid = pool[..half].to_vec();
        let mut test = pool[half..].to_vec();
        valid.sort_unstable();
        test.sort_unstable();
        Self { train, valid, test }
    }

    /// OOD scenario 1 (number of species, see [`species_group`]); `n_species[i]` is the
    /// number of distinct elements of row `i`.
    pub fn ood_species(n_species: &[usize], seed: u64) -> Self {
        let roles: Vec<_> = n_species.iter().map(|&n| species_group(n)).collect();
        Self::by_role(&roles, seed)
    }

    /// OOD scenario 2 (crystal system, see [`crystal_system_group`]); `systems[i]` is the
    /// crystal system of row `i` (`None` when unknown).
    pub fn ood_crystal_system(systems: &[Option<CrystalSystem>], seed: u64) -> Self {
        let roles: Vec<_> = systems.iter().map(|&s| crystal_system_group(s)).collect();
        Self::by_role(&roles, seed)
    }

    /// Fine-tuning variant (paper Table 3): move `percent` % of the test rows into training.
    ///
    /// The test set is permuted with `seed` and its first `round(percent / 100 · n_test)` rows
    /// move (appended to `train` in that order); the remaining test rows keep their order.
    /// Subsets are nested: for one seed, the rows moved at 5 % are among those moved at 10 %,
    /// and so on. Validation is unchanged.
    ///
    /// # Errors
    /// [`DataError::Invalid`] when `percent` is not in [0, 100].
    pub fn fine_tune(&self, percent: f64, seed: u64) -> Result<Self> {
        if !(0.0..=100.0).contains(&percent) {
            return Err(DataError::Invalid {
                field: "percent".into(),
                message: format!("{percent} is not in [0, 100]"),
            });
        }
        let k = (percent / 100.0 * self.test.len() as f64).round() as usize;
        let mut order = self.test.clone();
        shuffle(&mut order, &mut ChaCha8Rng::seed_from_u64(seed));
        let moved = &order[..k];
        let mut train = self.train.clone();
        train.extend_from_slice(moved);
        let mut is_moved = std::collections::HashSet::with_capacity(k);
        is_moved.extend(moved.iter().copied());
        let test = self
            .test
            .iter()
            .copied()
            .filter(|i| !is_moved.contains(i))
            .collect();
        Ok(Self {
            train,
            valid: self.valid.clone(),
            test,
        })
    }
}

impl Split {
    /// The same split with at most `n` training rows: a seeded random subset of `train`,
    /// sorted; validation and test are unchanged (for a training budget smaller than the data).
    pub fn limit_train(&self, n: usize, seed: u64) -> Self {
        if self.train.len() <= n {
            return self.clone();
        }
        let mut train = self.train.clone();
        shuffle(&mut train, &mut ChaCha8Rng::seed_from_u64(seed));
        train.truncate(n);
        train.sort_unstable();
        Self {
            train,
            valid: self.valid.clone(),
            test: self.test.clone(),
        }
    }
}

/// Read one index file: one non-negative integer per line, blank lines ignored.
///
/// # Errors
/// [`DataError::Io`] naming the file; [`DataError::Parse`] naming file and 1-based line.
pub fn read_index_file(path: impl AsRef<Path>) -> Result<Vec<usize>> {
    let path: PathBuf = path.as_ref().to_path_buf();
    let text = std::fs::read_to_string(&path).map_err(|source| DataError::Io {
        path: path.clone(),
        source,
    })?;
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let s = line.trim();
        if s.is_empty() {
            continue;
        }
        let i = s.parse::<usize>().map_err(|e| {
            DataError::parse(
                &path,
                k + 1,
                "index",
                format!("`{s}` is not a non-negative integer: {e}"),
            )
        })?;
        out.push(i);
    }
    Ok(out)
}

/// Unbiased uniform integer in `0..n` (n > 0) by rejection sampling.
fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    // Reject the top partial block of the u64 range so every residue is equally likely.
    let zone = u64::MAX - (u64::MAX % n + 1) % n;
    loop {
        let x = rng.next_u64();
        if x <= zone {
            return x % n;
        }
    }
}

/// Fisher-Yates shuffle (Durstenfeld): for i = n-1 down to 1 swap `v[i]` with `v[below(i+1)]`.
fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disjoint(s: &Split) -> bool {
        let mut all: Vec<usize> = s
            .train
            .iter()
            .chain(&s.valid)
            .chain(&s.test)
            .copied()
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        all.len() == n
    }

    #[test]
    fn random_split_sizes_disjoint_covering_reproducible() {
        let s = Split::random_80_10_10(1522, 42);
        assert_eq!(
            (s.train.len(), s.valid.len(), s.test.len()),
            (1218, 152, 152)
        );
        assert!(s.covers(1522));
        assert_eq!(s, Split::random_80_10_10(1522, 42));
        assert_ne!(s, Split::random_80_10_10(1522, 43));
        let t = Split::random(10, 0.0, 0.0, 1).unwrap();
        assert_eq!(t.train, (0..10).collect::<Vec<_>>());
        assert!(Split::random(10, 0.6, 0.6, 1).is_err());
        assert!(Split::random(10, -0.1, 0.1, 1).is_err());
    }

    #[test]
    fn shuffle_is_uniform_enough() {
        // Each of the 6 permutations of 3 items should appear ~1/6 of the time.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut counts = std::collections::HashMap::new();
        for _ in 0..6000 {
            let mut v = [0, 1, 2];
            shuffle(&mut v, &mut rng);
            *counts.entry(v).or_insert(0i32) += 1;
        }
        assert_eq!(counts.len(), 6);
        // binomial sd = sqrt(6000 * 1/6 * 5/6) ~ 29: 5 sd tolerance
        assert!(
            counts.values().all(|&c| (c - 1000).abs() < 145),
            "{counts:?}"
        );
    }

    #[test]
    fn ood_species_split() {
        let n_species: Vec<usize> = (0..300).map(|i| 1 + i % 7).collect();
        let s = Split::ood_species(&n_species, 3);
        assert!(disjoint(&s));
        assert!(s.train.iter().all(|&i| matches!(n_species[i], 2 | 3)));
        assert!(s
            .valid
            .iter()
            .chain(&s.test)
            .all(|&i| matches!(n_species[i], 1 | 4 | 5)));
        let held = n_species
            .iter()
            .filter(|&&n| matches!(n, 1 | 4 | 5))
            .count();
        assert_eq!(s.valid.len(), held / 2);
        assert_eq!(s.valid.len() + s.test.len(), held);
        assert_eq!(
            s.train.len(),
            n_species.iter().filter(|&&n| matches!(n, 2 | 3)).count()
        );
        assert_eq!(s, Split::ood_species(&n_species, 3));
        assert_ne!(s, Split::ood_species(&n_species, 4));
    }

    #[test]
    fn ood_crystal_system_split() {
        let sys: Vec<_> = (0..200)
            .map(|i| CrystalSystem::from_index(i * 5 % 7))
            .collect();
        let s = Split::ood_crystal_system(&sys, 9);
        assert!(disjoint(&s));
        assert!(s.covers(200));
        assert!(s.train.iter().all(|&i| sys[i].unwrap().index() <= 4));
        assert!(s
            .valid
            .iter()
            .chain(&s.test)
            .all(|&i| sys[i].unwrap().index() >= 5));
        // an unknown system is in no set
        let mut sys = sys;
        sys[0] = None;
        assert!(!Split::ood_crystal_system(&sys, 9).covers(200));
    }

    #[test]
    fn limited_training_set_is_a_seeded_subset() {
        let s = Split::random_80_10_10(1000, 3);
        let l = s.limit_train(100, 9);
        assert_eq!(l.train.len(), 100);
        assert!(l.train.windows(2).all(|w| w[0] < w[1]));
        assert!(l.train.iter().all(|i| s.train.contains(i)));
        assert_eq!((&l.valid, &l.test), (&s.valid, &s.test));
        assert_eq!(l, s.limit_train(100, 9));
        assert_ne!(l.train, s.limit_train(100, 10).train);
        assert_eq!(s.limit_train(5000, 9), s);
    }

    #[test]
    fn fine_tuning_subsets_are_nested_and_sized() {
        let base = Split::ood_crystal_system(
            &(0..400)
                .map(|i| CrystalSystem::from_index(i % 7))
                .collect::<Vec<_>>(),
            1,
        );
        let n_test = base.test.len();
        let mut previous: Vec<usize> = vec![];
        for p in [5.0, 10.0, 15.0, 20.0] {
            let f = base.fine_tune(p, 11).unwrap();
            let moved: Vec<usize> = f.train[base.train.len()..].to_vec();
            assert_eq!(moved.len(), (p / 100.0 * n_test as f64).round() as usize);
            assert_eq!(&f.train[..base.train.len()], &base.train[..]);
            assert_eq!(f.valid, base.valid);
            assert_eq!(f.test.len() + moved.len(), n_test);
            assert!(moved
                .iter()
                .all(|i| base.test.contains(i) && !f.test.contains(i)));
            assert!(previous.iter().all(|i| moved.contains(i)), "nested at {p}%");
            assert!(disjoint(&f) && f.covers(400));
            previous = moved;
        }
        assert_eq!(base.fine_tune(0.0, 11).unwrap(), base);
        assert!(base.fine_tune(101.0, 11).is_err());
    }

    #[test]
    fn files_roundtrip_and_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let s = Split::random_80_10_10(50, 5);
        s.write_dir(dir.path().join("split")).unwrap();
        assert_eq!(Split::read_dir(dir.path().join("split")).unwrap(), s);
        std::fs::write(dir.path().join("split/idx_valid.txt"), "3\n4\n\nx5\n").unwrap();
        match Split::read_dir(dir.path().join("split")) {
            Err(DataError::Parse { path, record, .. }) => {
                assert!(path.ends_with("idx_valid.txt"));
                assert_eq!(record, 4);
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        assert!(matches!(
            Split::read_dir(dir.path().join("missing")),
            Err(DataError::Io { .. })
        ));
        let bad = Split {
            train: vec![0, 1],
            valid: vec![1],
            test: vec![],
        };
        assert!(bad.validate(2).is_err());
        assert!(Split {
            train: vec![5],
            ..Split::default()
        }
        .validate(2)
        .is_err());
    }

    #[test]
    fn phonon_benchmark_split_files() {
        let s = Split::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/data/phonon")).unwrap();
        assert_eq!(
            (s.train.len(), s.valid.len(), s.test.len()),
            (1192, 141, 189)
        );
        assert!(s.covers(1522));
    }
}
