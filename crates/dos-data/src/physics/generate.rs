//! Parallel, deterministic generation of whole datasets from the physics models.
//!
//! Crystal `i` of a random dataset is built from its own seed `crystal_seed(seed, i)`, so the
//! output does not depend on the number of threads or on the order in which crystals finish.
//!
//! # Files written
//! - phonon: `phonon_dos.csv` in the benchmark's format (header `mp_id,structure,phfreq,phdos`,
//!   cells are Python literals as ASE's `Atoms.todict()` prints them, so
//!   [`crate::io::phonon_csv::read_phonon_csv`] reads it) plus `idx_train.txt`,
//!   `idx_valid.txt`, `idx_test.txt` (random 80/10/10 split with the dataset seed);
//! - electron: `electron_dos.jsonl`, one JSON object per line
//!   `{"id", "crystal_system", "space_group", "band_gap", "structure", "dos"}` where `structure`
//!   is pymatgen's `Structure.as_dict()` and `dos` is `Dos.as_dict()` (read back with
//!   [`read_electron_dataset`]; `crystal_system`, `space_group` are `null` when the symmetry
//!   analysis fails on a given structure, `band_gap` is `null` when every band is full) plus
//!   the three index files.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{json, Value};

use super::electron_model::{electron_dos, ElectronModel};
use super::phonon::{phonon_dos, PhononConfig};
use super::random_crystal::{random_crystal_seeded, RandomCrystalConfig};
use crate::dos::document::ElectronDosDocument;
use crate::error::{DataError, Result};
use crate::io::phonon_csv::PhononRecord;
use crate::io::pymatgen::{crystal_to_pymatgen_value, pymatgen_value_to_crystal};
use crate::split::Split;
use crate::symmetry::{analyze, CrystalSystem, SymmetryConfig};
use crate::Crystal;
use dos_config::{Check, Checked};

/// File name of a generated phonon dataset (the benchmark's name).
pub const PHONON_FILE: &str = "phonon_dos.csv";
/// File name of a generated electron dataset.
pub const ELECTRON_FILE: &str = "electron_dos.jsonl";

/// Where the crystals of a dataset come from.
#[derive(Debug, Clone, PartialEq)]
pub enum CrystalSource {
    /// `n` random crystals (ids `syn-000000`, ...).
    Random {
        /// Number of crystals.
        n: usize,
        /// How to draw them.
        config: Checked<RandomCrystalConfig>,
    },
    /// Given crystals with their ids.
    Given(Vec<(String, Crystal)>),
}

impl CrystalSource {
    /// Number of crystals.
    pub fn len(&self) -> usize {
        match self {
            Self::Random { n, .. } => *n,
            Self::Given(v) => v.len(),
        }
    }

    /// Whether there are no crystals.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Id and crystal number `i` (`i < len()`); random crystals use `crystal_seed(seed, i)`.
    fn get(&self, i: usize, seed: u64) -> Result<(String, Crystal)> {
        match self {
            Self::Random { config, .. } => {
                let c = random_crystal_seeded(config, crystal_seed(seed, i as u64))?;
                Ok((format!("syn-{i:06}"), c.crystal))
            }
            Self::Given(v) => Ok(v[i].clone()),
        }
    }
}

/// Seed of crystal `index` of a dataset with seed `seed` (SplitMix64 finaliser of
/// `seed + (index + 1) * golden ratio`: consecutive indices give unrelated streams).
pub fn crystal_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Phonon records for every crystal of `source`, in order, computed in parallel; `progress` is
/// called once per finished crystal (from worker threads).
///
/// # Errors
/// The first error met (invalid configuration, a random crystal not found, bad element).
pub fn phonon_records(
    source: &CrystalSource,
    cfg: &Checked<PhononConfig>,
    seed: u64,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<PhononRecord>> {
    (0..source.len())
        .into_par_iter()
        .map(|i| {
            let (id, crystal) = source.get(i, seed)?;
            let dos = phonon_dos(&crystal, cfg).map_err(|e| labelled(&id, e))?;
            progress();
            Ok(PhononRecord {
                id,
                crystal,
                frequencies: dos.frequencies,
                dos: dos.dos,
            })
        })
        .collect()
}

/// One electron-DOS sample: structure, pymatgen-shaped document and labels.
#[derive(Debug, Clone, PartialEq)]
pub struct ElectronRecord {
    /// Identifier.
    pub id: String,
    /// The structure.
    pub crystal: Crystal,
    /// The DOS document (absolute energies, total DOS under spin `"1"`).
    pub document: ElectronDosDocument,
    /// Band gap in eV from the model (0 for metals, `None` when every band is full).
    pub band_gap: Option<f64>,
    /// Space-group number, when the symmetry analysis succeeded.
    pub space_group: Option<u16>,
    /// Crystal system, when the symmetry analysis succeeded.
    pub crystal_system: Option<CrystalSystem>,
}

/// Electron records for every crystal of `source`, in order, computed in parallel; `progress`
/// is called once per finished crystal.
///
/// # Errors
/// The first error met.
pub fn electron_records(
    source: &CrystalSource,
    model: &Checked<ElectronModel>,
    seed: u64,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<ElectronRecord>> {
    (0..source.len())
        .into_par_iter()
        .map(|i| {
            let (id, crystal) = source.get(i, seed)?;
            let dos = electron_dos(model, &crystal).map_err(|e| labelled(&id, e))?;
            let document = dos.to_document().map_err(|e| labelled(&id, e))?;
            let sym = analyze(&crystal, &SymmetryConfig::default()).ok();
            progress();
            Ok(ElectronRecord {
                id,
                crystal,
                document,
                band_gap: dos.occupation.band_gap,
                space_group: sym.as_ref().map(|s| s.space_group),
                crystal_system: sym.map(|s| s.crystal_system),
            })
        })
        .collect()
}

fn labelled(id: &str, e: DataError) -> DataError {
    DataError::Invalid {
        field: format!("crystal {id}"),
        message: e.to_string(),
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DataError + '_ {
    move |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A float as Python's `repr` writes it (shortest round-trip digits; scientific notation with
/// a signed, two-digit exponent below 1e-4 and from 1e16 on, e.g. `2.220446049250313e-16`).
pub fn python_float(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e16).contains(&a) {
        let s = format!("{x:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{x:?}")
    }
}

fn python_list(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|&v| python_float(v)).collect();
    format!("[{}]", items.join(", "))
}

/// The ASE `Atoms.todict()` Python literal of a crystal, as the benchmark CSV stores it:
/// `{'numbers': [..], 'positions': [[..], ..], 'cell': [[..], ..], 'pbc': [True, True, True]}`.
pub fn ase_dict_literal(c: &Crystal) -> String {
    let numbers: Vec<String> = c.numbers().iter().map(u8::to_string).collect();
    let positions: Vec<String> = c.positions().iter().map(|p| python_list(p)).collect();
    let cell: Vec<String> = c.lattice().iter().map(|r| python_list(r)).collect();
    format!(
        "{{'numbers': [{}], 'positions': [{}], 'cell': [{}], 'pbc': [True, True, True]}}",
        numbers.join(", "),
        positions.join(", "),
        cell.join(", ")
    )
}

/// Write phonon records as a benchmark-format CSV (see the module docs).
///
/// # Errors
/// [`DataError::Io`] naming the file.
pub fn write_phonon_csv(path: impl AsRef<Path>, records: &[PhononRecord]) -> Result<()> {
    let path = path.as_ref();
    let file = std::fs::File::create(path).map_err(io_err(path))?;
    let mut w = BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        writeln!(w, "mp_id,structure,phfreq,phdos")?;
        for r in records {
            writeln!(
                w,
                "{},\"{}\",\"{}\",\"{}\"",
                r.id,
                ase_dict_literal(&r.crystal),
                python_list(&r.frequencies),
                python_list(&r.dos)
            )?;
        }
        w.flush()
    };
    write().map_err(io_err(path))
}

/// Write `records` to `dir/phonon_dos.csv` and a random 80/10/10 split (seeded) beside it;
/// creates `dir`. Returns the CSV path.
///
/// # Errors
/// [`DataError::Io`] naming the file.
pub fn write_phonon_dataset(
    dir: impl AsRef<Path>,
    records: &[PhononRecord],
    seed: u64,
) -> Result<PathBuf> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let path = dir.join(PHONON_FILE);
    write_phonon_csv(&path, records)?;
    Split::random_80_10_10(records.len(), seed).write_dir(dir)?;
    Ok(path)
}

impl ElectronRecord {
    /// The JSON-lines object of this record (see the module docs).
    pub fn to_json_value(&self) -> Value {
        json!({
            "id": self.id,
            "crystal_system": self.crystal_system.map(|s| s.name()),
            "space_group": self.space_group,
            "band_gap": self.band_gap,
            "structure": crystal_to_pymatgen_value(&self.crystal),
            "dos": self.document.to_json_value(),
        })
    }

    /// Parse one JSON-lines object; `path` and `line` label errors.
    ///
    /// # Errors
    /// [`DataError::Parse`] naming the file, line and field.
    pub fn from_json_value(v: &Value, path: &Path, line: usize) -> Result<Self> {
        let perr = |field: &str, message: String| DataError::parse(path, line, field, message);
        let id = v["id"]
            .as_str()
            .ok_or_else(|| perr("id", "missing or not a string".into()))?
            .to_string();
        let crystal = pymatgen_value_to_crystal(&v["structure"])
            .map_err(|(field, message)| perr(&format!("structure.{field}"), message))?;
        let document = ElectronDosDocument::from_json_value(&v["dos"], path)
            .map_err(|e| perr("dos", e.to_string()))?;
        let crystal_system = match &v["crystal_system"] {
            Value::Null => None,
            Value::String(s) => Some(
                CrystalSystem::from_name(s)
                    .ok_or_else(|| perr("crystal_system", format!("unknown system {s:?}")))?,
            ),
            other => return Err(perr("crystal_system", format!("not a string: {other}"))),
        };
        let space_group = match &v["space_group"] {
            Value::Null => None,
            x => Some(
                x.as_u64()
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|n| (1..=230).contains(n))
                    .ok_or_else(|| perr("space_group", format!("not in 1..=230: {x}")))?,
            ),
        };
        let band_gap = match &v["band_gap"] {
            Value::Null => None,
            x => Some(
                x.as_f64()
                    .ok_or_else(|| perr("band_gap", format!("not a number: {x}")))?,
            ),
        };
        Ok(Self {
            id,
            crystal,
            document,
            band_gap,
            space_group,
            crystal_system,
        })
    }
}

/// Write `records` to `dir/electron_dos.jsonl` and a random 80/10/10 split (seeded) beside it;
/// creates `dir`. Returns the JSON-lines path.
///
/// # Errors
/// [`DataError::Io`] naming the file.
pub fn write_electron_dataset(
    dir: impl AsRef<Path>,
    records: &[ElectronRecord],
    seed: u64,
) -> Result<PathBuf> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let path = dir.join(ELECTRON_FILE);
    let file = std::fs::File::create(&path).map_err(io_err(&path))?;
    let mut w = BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        for r in records {
            serde_json::to_writer(&mut w, &r.to_json_value())?;
            w.write_all(b"\n")?;
        }
        w.flush()
    };
    write().map_err(io_err(&path))?;
    Split::random_80_10_10(records.len(), seed).write_dir(dir)?;
    Ok(path)
}

/// Read an `electron_dos.jsonl` file (blank lines skipped).
///
/// # Errors
/// [`DataError::Io`], or [`DataError::Parse`] naming the file, the 1-based line and the field.
pub fn read_electron_dataset(path: impl AsRef<Path>) -> Result<Vec<ElectronRecord>> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_err(path))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| DataError::parse(path, i + 1, "<json>", e.to_string()))?;
        out.push(ElectronRecord::from_json_value(&v, path, i + 1)?);
    }
    Ok(out)
}

/// An in-memory synthetic phonon dataset for examples and tests: `n` random crystals (any
/// system, 1 to 7 species, up to 20 atoms) with spring-model DOS on the benchmark grid (51
/// points, 0..=1000 cm^-1) from a 3x3x3 q-grid. A few hundred crystals take seconds.
///
/// # Errors
/// Only if a crystal cannot be generated (does not happen with these settings).
///
/// # Example
/// ```
/// let data = dos_data::physics::generate::embedded_phonon_dataset(4, 0).unwrap();
/// assert_eq!(data.len(), 4);
/// assert_eq!(data[0].dos.len(), 51);
/// ```
pub fn embedded_phonon_dataset(n: usize, seed: u64) -> Result<Vec<PhononRecord>> {
    let source = CrystalSource::Random {
        n,
        config: RandomCrystalConfig {
            max_atoms: 20,
            ..RandomCrystalConfig::default()
        }
        .check()?,
    };
    let cfg = PhononConfig {
        q_grid: super::kgrid::MonkhorstPack::gamma(3),
        ..PhononConfig::default()
    };
    phonon_records(&source, &cfg.check()?, seed, &|| {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dos::pipeline::ElectronDosPipeline;
    use crate::io::phonon_csv::read_phonon_csv;
    use crate::Check;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn python_floats_match_repr() {
        // python3 -c "print([repr(x) for x in (0.0, -0.0, 1.5, 2.220446049250313e-16, 1e16,
        //   1e-05, 0.0001, 123456.789, 1.5e+20, -3e-07)])"
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (2.220446049250313e-16, "2.220446049250313e-16"),
            (1e16, "1e+16"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (123456.789, "123456.789"),
            (1.5e20, "1.5e+20"),
            (-3e-7, "-3e-07"),
        ];
        for (x, s) in cases {
            assert_eq!(python_float(x), s);
        }
    }

    #[test]
    fn phonon_dataset_roundtrips_through_the_benchmark_reader() {
        let source = CrystalSource::Random {
            n: 12,
            config: RandomCrystalConfig {
                max_atoms: 8,
                ..RandomCrystalConfig::default()
            }
            .check()
            .unwrap(),
        };
        let cfg = PhononConfig {
            q_grid: super::super::kgrid::MonkhorstPack::gamma(2),
            ..PhononConfig::default()
        };
        let done = AtomicUsize::new(0);
        let records = phonon_records(&source, &cfg.check().unwrap(), 5, &|| {
            done.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(done.load(Ordering::Relaxed), 12);
        // Deterministic regardless of threads: same seed, same records.
        assert_eq!(
            records,
            phonon_records(&source, &cfg.check().unwrap(), 5, &|| {}).unwrap()
        );
        let dir = tempfile::tempdir().unwrap();
        let path = write_phonon_dataset(dir.path(), &records, 5).unwrap();
        let back = read_phonon_csv(&path).unwrap();
        assert_eq!(back.len(), records.len());
        for (a, b) in records.iter().zip(&back) {
            assert_eq!(a.id, b.id);
            // Shortest round-trip floats: bit-identical after reading.
            assert_eq!(a.crystal, b.crystal);
            assert_eq!(a.dos, b.dos);
            assert_eq!(a.frequencies, b.frequencies);
        }
        let split = Split::read_dir(dir.path()).unwrap();
        assert!(split.covers(records.len()));
    }

    #[test]
    fn electron_dataset_roundtrips_and_flows_through_the_pipeline() {
        let source = CrystalSource::Random {
            n: 6,
            config: RandomCrystalConfig {
                max_atoms: 8,
                ..RandomCrystalConfig::default()
            }
            .check()
            .unwrap(),
        };
        let model = ElectronModel::Sp3(super::super::slater_koster::SlaterKosterConfig {
            k_grid: Some(super::super::kgrid::MonkhorstPack::gamma(3)),
            ..Default::default()
        });
        let records = electron_records(&source, &model.check().unwrap(), 9, &|| {}).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write_electron_dataset(dir.path(), &records, 9).unwrap();
        let back = read_electron_dataset(&path).unwrap();
        assert_eq!(back.len(), records.len());
        // serde_json's default float parser may be off by one ulp, and pymatgen structures are
        // rebuilt from fractional coordinates: compare to 1e-12 relative.
        let close = |a: &[f64], b: &[f64]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (x - y).abs() <= 1e-12 * x.abs().max(1.0))
        };
        for (a, b) in records.iter().zip(&back) {
            assert_eq!(
                (&a.id, a.band_gap.is_some(), a.space_group, a.crystal_system),
                (&b.id, b.band_gap.is_some(), b.space_group, b.crystal_system)
            );
            assert_eq!(a.crystal.numbers(), b.crystal.numbers());
            let flat = |c: &Crystal| -> Vec<f64> {
                c.positions()
                    .iter()
                    .chain(c.lattice())
                    .flatten()
                    .copied()
                    .collect()
            };
            assert!(close(&flat(&a.crystal), &flat(&b.crystal)));
            assert!(close(&a.document.energies, &b.document.energies));
            assert!(close(&a.document.densities_up, &b.document.densities_up));
            assert!(close(&[a.document.efermi], &[b.document.efermi]));
            assert!(close(
                &[a.band_gap.unwrap_or(0.0)],
                &[b.band_gap.unwrap_or(0.0)]
            ));
        }
        let pipeline = ElectronDosPipeline::paper().check().unwrap();
        for r in &back {
            let y = pipeline.process(&r.document).unwrap();
            assert_eq!(y.len(), 201);
            assert!(r.crystal_system.is_some());
        }
    }

    /// Issue 30: the gap of every generated electron document, read back as `dos data edos`
    /// and pymatgen's `get_gap` read it (default tolerance), is the generator's gap within one
    /// grid step (0.025 eV). Before E_F moved mid-gap, 0 of 300 random crystals (seed 11) read
    /// back gapped although the generator recorded 42 as gapped by at least 0.1 eV. The
    /// figures are printed (`-- --nocapture generated_gaps`).
    #[test]
    fn generated_gaps_read_back_through_the_pipeline() {
        use crate::dos::band_gap::{band_gap, GapOptions};
        let source = CrystalSource::Random {
            n: 300,
            config: RandomCrystalConfig::default().check().unwrap(),
        };
        // A coarse k-grid keeps the test quick; the property does not depend on it.
        let model = ElectronModel::Sp3(super::super::slater_koster::SlaterKosterConfig {
            k_grid: Some(super::super::kgrid::MonkhorstPack::gamma(2)),
            ..Default::default()
        });
        let records = electron_records(&source, &model.check().unwrap(), 11, &|| {}).unwrap();
        let step = 0.025;
        let (mut gapped, mut read_gapped, mut worst) = (0, 0, 0.0f64);
        for r in &records {
            let read = band_gap(&r.document, &GapOptions::default()).unwrap();
            let want = r.band_gap.unwrap_or(0.0);
            let err = (read - want).abs();
            worst = worst.max(err);
            assert!(
                err <= step + 1e-9,
                "{}: generator gap {want} eV, read back {read} eV",
                r.id
            );
            gapped += usize::from(want >= 0.1);
            read_gapped += usize::from(read >= 0.1);
        }
        eprintln!(
            "{} crystals: {gapped} gapped by >= 0.1 eV (generator), {read_gapped} read back; \
             worst difference {worst:.4} eV",
            records.len()
        );
        assert!(gapped > 0);
    }

    #[test]
    fn embedded_dataset_is_deterministic() {
        let a = embedded_phonon_dataset(3, 1).unwrap();
        assert_eq!(a, embedded_phonon_dataset(3, 1).unwrap());
        assert!(a
            .iter()
            .all(|r| r.dos.len() == 51 && r.crystal.n_atoms() <= 20));
    }
}
