//! Datasets: [`Dataset`] (samples with graphs and targets on one energy grid) and
//! [`PhononDataset`] (the 1,522-crystal phonon benchmark with its fixed split).

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::crystal::Crystal;
use dos_config::Check;

use crate::error::{DataError, Result};
use crate::graph::{CheckedGraphConfig, GraphConfig, Sample};
use crate::io::phonon_csv::read_phonon_csv;
use crate::split::{Split, SPLIT_FILES};
use crate::symmetry::{analyze, CrystalSystem, SymmetryConfig};

/// Samples (crystal, graph, crystal system, optional target) sharing one energy grid.
///
/// Phonon and electron data both end up here; the helpers that read electron documents build
/// the [`Sample`]s and call [`Dataset::new`].
///
/// # Shapes
/// - `samples[i].target`: (M,) when present
/// - `energies`: (M,) the grid of every target (cm^-1 for phonons, eV - E_F for electrons)
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The samples, in file order.
    pub samples: Vec<Sample>,
    /// Energy (or frequency) grid of the targets.
    pub energies: Vec<f64>,
}

/// One structure to turn into a [`Sample`] by [`Dataset::build`].
#[derive(Debug, Clone, PartialEq)]
pub struct RawSample {
    /// Identifier, e.g. `mp-1000`.
    pub id: String,
    /// The structure.
    pub crystal: Crystal,
    /// Target on the dataset's energy grid, when known.
    pub target: Option<Vec<f64>>,
}

impl Dataset {
    /// Bundle samples with their energy grid.
    ///
    /// # Errors
    /// [`DataError::Invalid`] when a sample's target length differs from `energies.len()`.
    pub fn new(samples: Vec<Sample>, energies: Vec<f64>) -> Result<Self> {
        if let Some(s) = samples
            .iter()
            .find(|s| s.target.as_ref().is_some_and(|t| t.len() != energies.len()))
        {
            return Err(DataError::Invalid {
                field: format!("target of {}", s.id),
                message: format!(
                    "length {} differs from the energy grid's {}",
                    s.target.as_ref().map_or(0, Vec::len),
                    energies.len()
                ),
            });
        }
        Ok(Self { samples, energies })
    }

    /// Build every sample in parallel (rayon): the graph per `graph` and the crystal system
    /// by symmetry analysis ([`analyze`] with `symmetry`). Order is kept.
    ///
    /// # Errors
    /// The first failing structure's error, as [`DataError::Invalid`] naming its index and id
    /// (symmetry analysis or graph construction), or the length check of [`Dataset::new`].
    pub fn build(
        raw: Vec<RawSample>,
        energies: Vec<f64>,
        graph: &CheckedGraphConfig,
        symmetry: &SymmetryConfig,
    ) -> Result<Self> {
        symmetry.check()?;
        let samples = raw
            .into_par_iter()
            .enumerate()
            .map(|(k, r)| {
                let wrap = |what: &str, e: DataError| DataError::Invalid {
                    field: format!("sample {k} ({})", r.id),
                    message: format!("{what}: {e}"),
                };
                let system = analyze(&r.crystal, symmetry)
                    .map_err(|e| wrap("symmetry analysis", e))?
                    .crystal_system;
                let id = r.id.clone();
                Sample::new(id, r.crystal, graph, Some(system), r.target)
                    .map_err(|e| wrap("graph", e))
            })
            .collect::<Result<Vec<_>>>()?;
        Self::new(samples, energies)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when there is no sample.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The samples at `indices`, in that order (e.g. one set of a [`Split`]).
    ///
    /// # Errors
    /// [`DataError::Invalid`] for an index out of range.
    pub fn select(&self, indices: &[usize]) -> Result<Vec<&Sample>> {
        indices
            .iter()
            .map(|&i| {
                self.samples.get(i).ok_or_else(|| DataError::Invalid {
                    field: "index".into(),
                    message: format!("{i} out of range for {} samples", self.len()),
                })
            })
            .collect()
    }

    /// Number of distinct elements of each sample (for [`Split::ood_species`]).
    pub fn n_species(&self) -> Vec<usize> {
        self.samples.iter().map(|s| s.crystal.n_species()).collect()
    }

    /// Crystal system of each sample, `None` where unknown (for
    /// [`Split::ood_crystal_system`]).
    pub fn crystal_systems(&self) -> Vec<Option<CrystalSystem>> {
        self.samples.iter().map(|s| s.crystal_system).collect()
    }
}

/// The phonon DOS benchmark: `phonon_dos.csv` as a [`Dataset`] (targets: 51 max-normalised
/// DOS values on 0..=1000 cm^-1) plus its fixed split (`idx_{train,valid,test}.txt`).
#[derive(Debug, Clone, PartialEq)]
pub struct PhononDataset {
    /// All 1,522 samples, in file order; `energies` are the frequencies in cm^-1.
    pub dataset: Dataset,
    /// The benchmark split when the index files are present in the directory.
    pub split: Option<Split>,
}

impl PhononDataset {
    /// File name of the benchmark table.
    pub const CSV: &'static str = "phonon_dos.csv";

    /// Read `dir/phonon_dos.csv` (or `dir/phonon_dos.csv.gz`; with [`read_phonon_csv`]), build every graph with `graph`
    /// and every crystal system by symmetry analysis (default [`SymmetryConfig`]), in
    /// parallel; read the split from `dir/idx_*.txt` when those files exist.
    ///
    /// # Errors
    /// Reader errors (file, line, field); [`DataError::Invalid`] for an invalid config, a
    /// structure that fails symmetry analysis (naming row and id) or a split that does not
    /// index the rows of the file.
    ///
    /// # Example
    /// ```no_run
    /// use dos_data::{dataset::PhononDataset, graph::GraphConfig};
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/phonon"); // the shipped copy
    /// let data = PhononDataset::load(&dir, &GraphConfig::phonon()).unwrap();
    /// assert_eq!(data.dataset.len(), 1522);
    /// ```
    pub fn load(dir: impl AsRef<Path>, graph: &GraphConfig) -> Result<Self> {
        Self::load_with(dir, &graph.check()?, &SymmetryConfig::default())
    }

    /// As [`PhononDataset::load`], with a validated graph config and symmetry tolerances.
    ///
    /// # Errors
    /// As [`PhononDataset::load`].
    pub fn load_with(
        dir: impl AsRef<Path>,
        graph: &CheckedGraphConfig,
        symmetry: &SymmetryConfig,
    ) -> Result<Self> {
        let dir = dir.as_ref();
        let path = Self::csv_in(dir).unwrap_or_else(|| dir.join(Self::CSV));
        let records = read_phonon_csv(&path)?;
        let split = Self::split_in(dir)?;
        Self::from_records(records, split, graph, symmetry)
    }

    /// The benchmark table in `dir`: `phonon_dos.csv`, else `phonon_dos.csv.gz`; `None` when
    /// neither is there.
    pub fn csv_in(dir: &Path) -> Option<PathBuf> {
        [Self::CSV.to_string(), format!("{}.gz", Self::CSV)]
            .into_iter()
            .map(|name| dir.join(name))
            .find(|p| p.is_file())
    }

    /// The split in `dir` when its three `idx_*.txt` files are there.
    ///
    /// # Errors
    /// An index file that cannot be read or parsed.
    pub fn split_in(dir: &Path) -> Result<Option<Split>> {
        if SPLIT_FILES.iter().all(|f| dir.join(f).is_file()) {
            Ok(Some(Split::read_dir(dir)?))
        } else {
            Ok(None)
        }
    }

    /// The dataset of parsed benchmark rows (graphs and crystal systems built in parallel),
    /// with `split` checked against the row count.
    ///
    /// # Errors
    /// As [`PhononDataset::load`].
    pub fn from_records(
        records: Vec<crate::io::PhononRecord>,
        split: Option<Split>,
        graph: &CheckedGraphConfig,
        symmetry: &SymmetryConfig,
    ) -> Result<Self> {
        // The reader checks that every row shares the first row's grid.
        let energies = records
            .first()
            .map(|r| r.frequencies.clone())
            .unwrap_or_default();
        let raw = records
            .into_iter()
            .map(|r| RawSample {
                id: r.id,
                crystal: r.crystal,
                target: Some(r.dos),
            })
            .collect();
        let dataset = Dataset::build(raw, energies, graph, symmetry)?;
        if let Some(split) = &split {
            split.validate(dataset.len())?;
        }
        Ok(Self { dataset, split })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> Vec<RawSample> {
        let nacl = crate::fixtures::rocksalt();
        // hexagonal lattice, one atom: hexagonal system
        let h = [
            [2.5, 0.0, 0.0],
            [-1.25, 2.5 * 3f64.sqrt() / 2.0, 0.0],
            [0.0, 0.0, 4.1],
        ];
        let hex = Crystal::new(h, vec![12], vec![[0.0; 3]]).unwrap();
        // general triclinic cell with two atoms in general positions: triclinic (P1 or P-1)
        let t = [[3.1, 0.0, 0.0], [0.7, 3.4, 0.0], [0.4, 0.9, 3.9]];
        let tri =
            Crystal::from_fractional(t, vec![8, 26], &[[0.0; 3], [0.31, 0.17, 0.43]]).unwrap();
        vec![
            RawSample {
                id: "nacl".into(),
                crystal: nacl,
                target: Some(vec![0.1, 0.2, 0.3]),
            },
            RawSample {
                id: "hex".into(),
                crystal: hex,
                target: Some(vec![0.0, 1.0, 0.5]),
            },
            RawSample {
                id: "tri".into(),
                crystal: tri,
                target: None,
            },
        ]
    }

    #[test]
    fn build_assigns_crystal_systems_and_keeps_order() {
        let cfg = GraphConfig::phonon().check().unwrap();
        let d =
            Dataset::build(raw(), vec![0.0, 1.0, 2.0], &cfg, &SymmetryConfig::default()).unwrap();
        let ids: Vec<&str> = d.samples.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["nacl", "hex", "tri"]);
        use CrystalSystem::{Cubic, Hexagonal, Triclinic};
        assert_eq!(
            d.crystal_systems(),
            vec![Some(Cubic), Some(Hexagonal), Some(Triclinic)]
        );
        assert_eq!(d.n_species(), vec![2, 1, 2]);
        assert_eq!(d.select(&[2, 0]).unwrap()[0].id, "tri");
        assert!(d.select(&[3]).is_err());
        // graphs equal those built one by one
        for (s, r) in d.samples.iter().zip(raw()) {
            let one = Sample::new(r.id, r.crystal, &cfg, s.crystal_system, r.target).unwrap();
            assert_eq!(&one, s);
        }
    }

    #[test]
    fn target_length_must_match_grid() {
        let cfg = GraphConfig::phonon().check().unwrap();
        let e = Dataset::build(raw(), vec![0.0; 4], &cfg, &SymmetryConfig::default());
        assert!(matches!(e, Err(DataError::Invalid { .. })));
    }

    #[test]
    fn phonon_benchmark_loads_with_split() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data/phonon"));
        let data = PhononDataset::load(dir, &GraphConfig::phonon()).unwrap();
        assert_eq!(data.dataset.len(), 1522);
        assert_eq!(data.dataset.energies.len(), 51);
        let split = data.split.unwrap();
        assert_eq!(
            (split.train.len(), split.valid.len(), split.test.len()),
            (1192, 141, 189)
        );
        assert!(split.covers(1522));
        assert_eq!(data.dataset.samples[0].id, "mp-1000");
        // every crystal system is known
        assert!(data.dataset.crystal_systems().iter().all(Option::is_some));
    }
}
