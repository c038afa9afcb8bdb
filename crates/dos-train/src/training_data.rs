//! [`TrainingData`]: what a training run needs from its data, in one value: the crystals with
//! their graphs and DOS targets, the split, the task, the graph settings the graphs were built
//! with, and the energy grid with its unit. [`crate::Training`] derives the model's input
//! widths, its number of energies M and the trained crystal systems from it, and the run's
//! model package declares its grid.
//!
//! Sources: the phonon benchmark embedded in `dos-data` ([`TrainingData::benchmark`]), a folder
//! with the benchmark's CSV layout ([`TrainingData::phonon_folder`]), an electron JSONL file as
//! `dos data generate` writes ([`TrainingData::electron_file`]), generated phonon crystals
//! ([`TrainingData::generated_phonon`]), and your own structures with a DOS table on any grid
//! ([`TrainingData::from_structures`]). [`TrainingData::load`] reads the command line's
//! `--data` strings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dos_config::Check;
use dos_data::dataset::{Dataset, PhononDataset, RawSample};
use dos_data::dos::pipeline::ElectronDosPipeline;
use dos_data::dos::DEFAULT_MAGNETIC_TOL;
use dos_data::graph::GraphConfig;
use dos_data::io::{read_dos_table, StructureFormat};
use dos_data::io::{read_electron_dataset, ELECTRON_FILE};
use dos_data::split::Split;
use dos_data::symmetry::SymmetryConfig;
use dos_models::Task;
use dos_predict::{EnergyGrid, EnergyUnit, TargetScale};

use crate::error::{Result, TrainError};
use crate::generated::generated_phonon_dataset;

/// The `--data` name of the phonon benchmark embedded in `dos-data`.
pub const BENCHMARK: &str = "benchmark";

/// Crystals with DOS targets, their split, graph settings and energy grid.
#[derive(Debug, Clone)]
pub struct TrainingData {
    /// Phonon or electron DOS.
    pub task: Task,
    /// The samples (graphs built with [`TrainingData::graph`]) and the grid values.
    pub dataset: Dataset,
    /// Train / validation / test rows.
    pub split: Split,
    /// How the crystals were turned into graphs.
    pub graph: GraphConfig,
    /// Where the data came from (a path, `benchmark` or `generated:N:SEED`), as run folders
    /// record it and [`TrainingData::load`] reads it back.
    pub source: String,
    /// SHA-256 of the data file, for provenance (`None` for generated data).
    pub sha256: Option<String>,
}

impl TrainingData {
    /// The phonon benchmark of the DOSTransformer paper (1,522 crystals, its fixed split),
    /// embedded in `dos-data`; graphs with [`GraphConfig::phonon`].
    ///
    /// ```no_run
    /// let data = dos_train::TrainingData::benchmark()?;
    /// assert_eq!((data.dataset.len(), data.grid().len()), (1522, 51));
    /// # Ok::<(), dos_train::TrainError>(())
    /// ```
    ///
    /// # Errors
    /// Data errors (none expected for the embedded copy).
    pub fn benchmark() -> Result<Self> {
        Self::load(Task::Phonon, BENCHMARK, &GraphConfig::phonon(), 0)
    }

    /// A folder holding `phonon_dos.csv` (or `.csv.gz`) in the benchmark's layout, with its
    /// `idx_{train,valid,test}.txt` split when present (else a seeded 80/10/10 split).
    ///
    /// # Errors
    /// Reader errors naming the file, line and field.
    pub fn phonon_folder(path: impl AsRef<Path>) -> Result<Self> {
        Self::load(
            Task::Phonon,
            &path.as_ref().display().to_string(),
            &GraphConfig::phonon(),
            0,
        )
    }

    /// Electron documents as `dos data generate --kind electron` writes them: a JSONL file or
    /// a folder holding `electron_dos.jsonl` (and optionally its split files). Magnetic
    /// documents are dropped, as the paper does; targets are processed with the paper's
    /// pipeline (201 points on -5..5 eV).
    ///
    /// # Errors
    /// Reader and processing errors naming the document.
    pub fn electron_file(path: impl AsRef<Path>) -> Result<Self> {
        Self::load(
            Task::Electron,
            &path.as_ref().display().to_string(),
            &GraphConfig::electron(),
            0,
        )
    }

    /// `n` random crystals with their spring-model phonon DOS (no download; for examples and
    /// tests), deterministic in `seed`, with a seeded 80/10/10 split.
    ///
    /// # Errors
    /// Generation errors.
    pub fn generated_phonon(n: usize, seed: u64) -> Result<Self> {
        Self::load(
            Task::Phonon,
            &format!("generated:{n}:{seed}"),
            &GraphConfig::phonon(),
            seed,
        )
    }

    /// Your own data: the structure files in `structures` (CIF, POSCAR or pymatgen JSON, one
    /// crystal each) and a DOS table `dos_csv` (see [`dos_data::io::dos_table`]: a header
    /// `id,E1,...,EM` with the grid, then one row per structure) whose ids are the structure
    /// files' names without extension. The grid may be any; each row is scaled as the task's
    /// packages declare (phonon: divided by its maximum; electron: mapped to [0, 1]). The
    /// grid's unit is the task's (cm^-1 phonon, eV electron). Split: `idx_*.txt` beside the
    /// table when present, else a seeded 80/10/10 split (seed 0).
    ///
    /// # Errors
    /// Reader errors naming the file, line and field; a row whose structure file is missing,
    /// two structure files with the same name, or a row that is zero everywhere.
    pub fn from_structures(
        task: Task,
        structures: impl AsRef<Path>,
        dos_csv: impl AsRef<Path>,
    ) -> Result<Self> {
        let (structures, dos_csv) = (structures.as_ref(), dos_csv.as_ref());
        let graph = task_graph(task);
        let table = read_dos_table(dos_csv)?;
        let files = structure_files(structures)?;
        let scale = TargetScale::for_task(task);
        let raw = table
            .rows
            .into_iter()
            .enumerate()
            .map(|(k, (id, values))| {
                let row = format!("{}: row {} ({id})", dos_csv.display(), k + 2);
                let file = files.get(&id).ok_or_else(|| {
                    TrainError::Data(format!(
                        "{row}: no structure file named {id}.cif, {id}.vasp, {id}.json or {id} in {}",
                        structures.display()
                    ))
                })?;
                let target = scaled(&values, scale)
                    .ok_or_else(|| TrainError::Data(format!("{row}: the DOS is zero everywhere")))?;
                Ok(RawSample {
                    id,
                    crystal: dos_data::io::read_structure(file)?,
                    target: Some(target),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let dataset = Dataset::build(
            raw,
            table.energies,
            &graph.check()?,
            &SymmetryConfig::default(),
        )?;
        let dir = dos_csv.parent().unwrap_or(Path::new("."));
        let split = match PhononDataset::split_in(dir)? {
            Some(s) => s,
            None => Split::random_80_10_10(dataset.len(), 0),
        };
        let text = dos_data::io::read_text(dos_csv)?;
        Self::assemble(
            task,
            dataset,
            split,
            graph,
            format!("{} + {}", structures.display(), dos_csv.display()),
            Some(dos_predict::sha256_hex(text.as_bytes())),
        )
    }

    /// The data that a `--data` string names, graphs built with `graph`: `benchmark`,
    /// `generated:N[:SEED]` (phonon), or a path (phonon: a folder or file in the benchmark's
    /// CSV layout; electron: a JSONL file or a folder holding `electron_dos.jsonl`). The split
    /// is the data's own (index files beside it), else a random 80/10/10 one seeded with
    /// `split_seed`; replace it with [`TrainingData::with_split`].
    ///
    /// # Errors
    /// A source that does not fit the task, reader errors naming the file, line and field.
    pub fn load(task: Task, spec: &str, graph: &GraphConfig, split_seed: u64) -> Result<Self> {
        let valid_graph = graph.check()?;
        let phonon_only = |what: &str| {
            if task == Task::Phonon {
                Ok(())
            } else {
                Err(TrainError::Data(format!(
                    "{what} is phonon data; use the phonon task"
                )))
            }
        };
        let (dataset, split, source, sha256) = if let Some(rest) = spec.strip_prefix("generated:") {
            phonon_only("generated:N")?;
            let mut parts = rest.split(':');
            let number = |s: Option<&str>, what: &str| -> Result<u64> {
                let s = s.unwrap_or("0");
                s.parse().map_err(|_| {
                    TrainError::Data(format!(
                        "generated:N:SEED: {what} `{s}` is not a whole number"
                    ))
                })
            };
            let n = number(parts.next(), "N")? as usize;
            let seed = number(parts.next(), "SEED")?;
            let data = generated_phonon_dataset(n, 8, seed, graph)?;
            (data, None, format!("generated:{n}:{seed}"), None)
        } else if spec == BENCHMARK {
            phonon_only(BENCHMARK)?;
            let ph = dos_data::benchmark::phonon(&valid_graph, &SymmetryConfig::default())?;
            let sha = dos_data::benchmark::PHONON_CSV_SHA256.to_string();
            (ph.dataset, ph.split, spec.to_string(), Some(sha))
        } else {
            let path = PathBuf::from(spec);
            match task {
                Task::Phonon => {
                    let (dir, csv) = phonon_csv(&path)?;
                    // Read once: parsed here, hashed for provenance.
                    let text = dos_data::io::read_text(&csv)?;
                    let records = dos_data::io::phonon_csv::parse_phonon_csv(&text, &csv)?;
                    let ph = PhononDataset::from_records(
                        records,
                        PhononDataset::split_in(&dir)?,
                        &valid_graph,
                        &SymmetryConfig::default(),
                    )?;
                    let sha = dos_predict::sha256_hex(text.as_bytes());
                    (ph.dataset, ph.split, dir.display().to_string(), Some(sha))
                }
                Task::Electron => {
                    let file = electron_file(&path);
                    let data = load_electron(&file, &valid_graph)?;
                    let dir = file.parent().unwrap_or(Path::new("."));
                    let split = PhononDataset::split_in(dir)?;
                    let text = dos_data::io::read_text(&file)?;
                    let sha = dos_predict::sha256_hex(text.as_bytes());
                    (data, split, file.display().to_string(), Some(sha))
                }
            }
        };
        let split = split.unwrap_or_else(|| Split::random_80_10_10(dataset.len(), split_seed));
        Self::assemble(task, dataset, split, *graph, source, sha256)
    }

    /// The same data with another split.
    ///
    /// # Errors
    /// A split that does not index the data (an index out of range, or in two parts).
    pub fn with_split(mut self, split: Split) -> Result<Self> {
        split.validate(self.dataset.len())?;
        self.split = split;
        Ok(self)
    }

    /// Number of crystals.
    pub fn len(&self) -> usize {
        self.dataset.len()
    }

    /// True when there is no crystal (never, for data built by this type's constructors).
    pub fn is_empty(&self) -> bool {
        self.dataset.is_empty()
    }

    /// Node and edge feature widths of the graphs (what a model's input layers take).
    pub fn input_widths(&self) -> (usize, usize) {
        self.dataset
            .samples
            .first()
            .map_or((0, 0), |s| (s.graph.node_dim, s.graph.edge_dim))
    }

    /// The energies of the targets with their unit (the task's: cm^-1 phonon, eV electron),
    /// checked when the data was loaded.
    pub fn grid(&self) -> EnergyGrid {
        EnergyGrid {
            values: self.dataset.energies.clone(),
            unit: unit_of(self.task),
        }
    }

    fn assemble(
        task: Task,
        dataset: Dataset,
        split: Split,
        graph: GraphConfig,
        source: String,
        sha256: Option<String>,
    ) -> Result<Self> {
        if dataset.is_empty() {
            return Err(TrainError::Data(format!("{source}: no crystal")));
        }
        split.validate(dataset.len())?;
        let data = Self {
            task,
            dataset,
            split,
            graph,
            source,
            sha256,
        };
        data.grid()
            .check()
            .map_err(|e| TrainError::Data(format!("{}: energy grid: {e}", data.source)))?;
        Ok(data)
    }
}

/// The unit of a task's energy grid.
fn unit_of(task: Task) -> EnergyUnit {
    match task {
        Task::Phonon => EnergyUnit::Wavenumber,
        Task::Electron => EnergyUnit::ElectronVolt,
    }
}

/// The graph settings of a task's models.
pub fn task_graph(task: Task) -> GraphConfig {
    match task {
        Task::Phonon => GraphConfig::phonon(),
        Task::Electron => GraphConfig::electron(),
    }
}

/// The electron data file `path` names: `path/electron_dos.jsonl` for a folder, else `path`.
pub fn electron_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(ELECTRON_FILE)
    } else {
        path.to_path_buf()
    }
}

/// `values` scaled as `scale` says, `None` when they are zero everywhere.
fn scaled(values: &[f64], scale: TargetScale) -> Option<Vec<f64>> {
    let max = values.iter().copied().fold(0.0, f64::max);
    match scale {
        TargetScale::Max => (max > 0.0).then(|| values.iter().map(|v| v / max).collect()),
        TargetScale::MinMax => {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            (max > min).then(|| values.iter().map(|v| (v - min) / (max - min)).collect())
        }
    }
}

/// The structure files of `dir` by name without extension (files whose format the name or
/// content does not settle are read as [`StructureFormat::from_content`] decides).
fn structure_files(dir: &Path) -> Result<HashMap<String, PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| TrainError::io(dir, e))?;
    let mut files = HashMap::new();
    for entry in entries {
        let path = entry.map_err(|e| TrainError::io(dir, e))?.path();
        if !path.is_file() || path.extension().is_some_and(|e| e == "csv" || e == "txt") {
            continue;
        }
        let known = StructureFormat::from_path(&path).is_some() || path.extension().is_none();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if !known {
            continue;
        }
        if let Some(other) = files.insert(stem.to_string(), path.clone()) {
            return Err(TrainError::Data(format!(
                "{} and {} have the same name: which is the structure of `{stem}`?",
                other.display(),
                path.display()
            )));
        }
    }
    Ok(files)
}

/// The folder holding the phonon CSV (plain or gzipped) that `path` names, and the CSV file.
fn phonon_csv(path: &Path) -> Result<(PathBuf, PathBuf)> {
    let dirs = if path.is_file() {
        vec![path.parent().unwrap_or(Path::new(".")).to_path_buf()]
    } else {
        vec![path.to_path_buf(), path.join("phonon")]
    };
    for d in dirs {
        if let Some(csv) = PhononDataset::csv_in(&d) {
            return Ok((d, csv));
        }
    }
    Err(TrainError::Data(format!(
        "no {0} or {0}.gz in {1} or {1}/phonon (or use `{BENCHMARK}`, the embedded benchmark)",
        PhononDataset::CSV,
        path.display(),
    )))
}

/// Electron documents of `file` (JSONL), magnetic ones dropped, processed with the paper's
/// pipeline.
fn load_electron(file: &Path, graph: &dos_data::graph::CheckedGraphConfig) -> Result<Dataset> {
    let records = read_electron_dataset(file)?;
    // The paper keeps non-magnetic materials only; split files index the rows kept.
    let n_read = records.len();
    let records: Vec<_> = records
        .into_iter()
        .filter(|r| !r.document.is_magnetic(DEFAULT_MAGNETIC_TOL))
        .collect();
    if records.len() < n_read {
        eprintln!(
            "{}: dropped {} magnetic documents (net spin moment > {DEFAULT_MAGNETIC_TOL} muB per cell); split indices refer to the {} rows kept",
            file.display(),
            n_read - records.len(),
            records.len()
        );
    }
    let pipeline = ElectronDosPipeline::paper().check()?;
    let raw = records
        .into_iter()
        .map(|r| {
            let dos = pipeline.process(&r.document).map_err(|e| {
                TrainError::Data(format!("{}: {}: DOS processing: {e}", file.display(), r.id))
            })?;
            Ok(RawSample {
                id: r.id,
                crystal: r.crystal,
                target: Some(dos),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Dataset::build(
        raw,
        pipeline.grid().to_vec(),
        graph,
        &SymmetryConfig::default(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_data::dos::ElectronDosDocument;
    use dos_data::io::{write_electron_dataset, ElectronRecord};
    use dos_data::Crystal;

    /// Magnetic documents (spin-up and spin-down densities differ) are dropped on loading.
    #[test]
    fn electron_loading_drops_magnetic_documents() {
        let energies: Vec<f64> = (0..401).map(|i| -10.0 + 0.05 * i as f64).collect();
        let up: Vec<f64> = energies.iter().map(|e| (-e * e / 8.0).exp()).collect();
        let record = |id: &str, down: Option<Vec<f64>>| ElectronRecord {
            id: id.into(),
            crystal: Crystal::new(
                [[3.6, 0.0, 0.0], [0.0, 3.6, 0.0], [0.0, 0.0, 3.6]],
                vec![29],
                vec![[0.0; 3]],
            )
            .unwrap(),
            document: ElectronDosDocument::new(
                0.0,
                energies.clone(),
                up.clone(),
                down,
                Path::new("test"),
            )
            .unwrap(),
            band_gap: Some(0.0),
            space_group: None,
            crystal_system: None,
        };
        let shifted: Vec<f64> = up.iter().map(|g| 0.5 * g).collect();
        let records = vec![
            record("plain", None),
            record("magnetic", Some(shifted)),
            record("paired", Some(up.clone())),
        ];
        let dir = tempfile::tempdir().unwrap();
        let file = write_electron_dataset(dir.path(), &records, 0).unwrap();
        let data = load_electron(&file, &GraphConfig::electron().check().unwrap()).unwrap();
        let ids: Vec<&str> = data.samples.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec!["plain", "paired"]);
    }

    /// Own data on an odd grid: the rows are matched to their structure files by name, scaled
    /// to a maximum of 1, and the data carries the table's grid; a missing structure and a
    /// zero row are refused naming the table's row.
    #[test]
    fn structures_and_table_on_any_grid() {
        let dir = tempfile::tempdir().unwrap();
        let s = dir.path().join("structures");
        std::fs::create_dir(&s).unwrap();
        let cu = Crystal::new(
            [[3.6, 0.0, 0.0], [0.0, 3.6, 0.0], [0.0, 0.0, 3.6]],
            vec![29],
            vec![[0.0; 3]],
        )
        .unwrap();
        for id in ["a", "b", "c"] {
            dos_data::io::write_structure(s.join(format!("{id}.vasp")), &cu).unwrap();
        }
        let csv = dir.path().join("dos.csv");
        std::fs::write(&csv, "id,5,7.5,10\na,1,2,4\nb,0,3,1\nc,1,1,1\n").unwrap();
        let data = TrainingData::from_structures(Task::Phonon, &s, &csv).unwrap();
        let grid = data.grid();
        assert_eq!(grid.values, vec![5.0, 7.5, 10.0]);
        assert_eq!(grid.unit, EnergyUnit::Wavenumber);
        assert_eq!(data.len(), 3);
        let a = data.dataset.samples.iter().find(|x| x.id == "a").unwrap();
        assert_eq!(a.target.as_deref(), Some(&[0.25, 0.5, 1.0][..]));
        std::fs::write(&csv, "id,5,7.5,10\na,1,2,4\nd,0,3,1\n").unwrap();
        let e = TrainingData::from_structures(Task::Phonon, &s, &csv).unwrap_err();
        assert!(e.to_string().contains("row 3 (d)"), "{e}");
        std::fs::write(&csv, "id,5,7.5,10\na,0,0,0\n").unwrap();
        let e = TrainingData::from_structures(Task::Phonon, &s, &csv).unwrap_err();
        assert!(e.to_string().contains("row 2 (a): the DOS is zero"), "{e}");
    }
}
