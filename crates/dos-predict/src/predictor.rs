//! [`Predictor`]: a loaded model package that predicts the DOS of structures.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use dos_data::graph::{CheckedGraphConfig, Sample};
use dos_data::symmetry::SymmetryConfig;
use dos_data::{Crystal, CrystalBatch};
use dos_models::{AnyModel, DosModel, Task};
use rayon::prelude::*;

use crate::energy_grid::EnergyGrid;
use crate::error::{invalid, PredictError, Result};
use crate::manifest::{PackageManifest, TargetScale};
use crate::package::ModelPackage;
use crate::prediction::Prediction;
use crate::properties::PhononProperties;
use dos_models::Check;

/// [`Prediction::spread_percentile`] above which a prediction carries a note that the
/// structure is probably out of distribution.
pub const UNUSUAL_SPREAD_PERCENTILE: f64 = 95.0;

/// Settings of a prediction call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictOptions {
    /// Temperature of the phonon properties, K (default 300).
    pub temperature: f64,
    /// Structures per model call (default 32).
    pub batch_size: usize,
}

impl Default for PredictOptions {
    fn default() -> Self {
        Self {
            temperature: 300.0,
            batch_size: 32,
        }
    }
}

impl PredictOptions {
    fn check(&self) -> Result<()> {
        if !(self.temperature.is_finite() && self.temperature > 0.0 && self.temperature <= 1e5) {
            return Err(invalid(
                "temperature",
                format!("{} K is not in (0, 100000]", self.temperature),
            ));
        }
        if !(1..=4096).contains(&self.batch_size) {
            return Err(invalid(
                "batch_size",
                format!("{} is not in 1..=4096", self.batch_size),
            ));
        }
        Ok(())
    }
}

/// A structure ready for the models: its graph and what symmetry analysis found.
pub struct PreparedStructure {
    /// Graph, crystal system (`None` when symmetry failed) and id.
    pub sample: Sample,
    /// Space group, when found.
    pub space_group: Option<u16>,
    /// Why symmetry is unknown, when it is.
    pub symmetry_note: Option<String>,
}

/// A model package loaded onto a device: every member built, settings checked.
///
/// ```no_run
/// use dos_predict::Predictor;
/// let predictor = Predictor::load("models/my-package", &candle_core::Device::Cpu)?;
/// let p = predictor.predict_file("NaCl.cif")?;
/// println!("{} {:?}", p.formula, p.mean);
/// # Ok::<(), dos_predict::PredictError>(())
/// ```
pub struct Predictor {
    manifest: PackageManifest,
    models: Vec<AnyModel>,
    graph: CheckedGraphConfig,
    symmetry: SymmetryConfig,
    device: Device,
    dtype: DType,
    source: String,
}

impl Predictor {
    /// Loads a package folder (or a `dos train` run folder) onto `device`.
    ///
    /// # Errors
    /// See [`ModelPackage::read`].
    pub fn load(path: impl AsRef<Path>, device: &Device) -> Result<Self> {
        Self::from_package(ModelPackage::read(path)?, device)
    }

    /// Builds the members of a validated package on `device`.
    ///
    /// # Errors
    /// Invalid package, model errors.
    pub fn from_package(package: ModelPackage, device: &Device) -> Result<Self> {
        package.validate()?;
        let models = package.build_members(device)?;
        let dtype = package.manifest.members[0].model.precision().dtype();
        Ok(Self {
            graph: package.manifest.graph.check()?,
            symmetry: package.manifest.symmetry.into(),
            models,
            device: device.clone(),
            dtype,
            source: package.source,
            manifest: package.manifest,
        })
    }

    /// The package's manifest (grid, settings, calibration, provenance).
    pub fn manifest(&self) -> &PackageManifest {
        &self.manifest
    }

    /// Where the package came from (a folder, or `bundled model`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Number of members.
    pub fn n_members(&self) -> usize {
        self.models.len()
    }

    /// The output grid.
    pub fn energy_grid(&self) -> &EnergyGrid {
        &self.manifest.energy_grid
    }

    /// The checked graph settings (featurisation, cutoff, neighbour cap).
    pub fn graph(&self) -> &CheckedGraphConfig {
        &self.graph
    }

    /// The members, for scoring them one by one.
    pub fn members(&self) -> &[AnyModel] {
        &self.models
    }

    /// Symmetry analysis and graph of one structure. A structure whose symmetry cannot be
    /// found (or is refused as unsafe to analyse) gets the unknown-system prompt and a note.
    ///
    /// # Errors
    /// [`PredictError::Structure`] naming `id` when the graph cannot be built (e.g. too many
    /// edges).
    pub fn prepare(&self, id: &str, crystal: Crystal) -> Result<PreparedStructure> {
        use dos_data::symmetry::{analyze_or_unknown, SymmetryOutcome};
        let (system, space_group, note) = match analyze_or_unknown(&crystal, &self.symmetry)? {
            SymmetryOutcome::Known(a) => (Some(a.crystal_system), Some(a.space_group), None),
            SymmetryOutcome::Unknown { reason } => (None, None, Some(reason)),
        };
        let sample = Sample::new(id, crystal, &self.graph, system, None).map_err(|e| {
            PredictError::Structure {
                id: id.to_string(),
                message: e.to_string(),
            }
        })?;
        Ok(PreparedStructure {
            sample,
            space_group,
            symmetry_note: note,
        })
    }

    /// Each member's predictions for `samples` (in order), as `[member][crystal][energy]`.
    ///
    /// # Errors
    /// Batch or model errors.
    pub fn member_predictions(&self, samples: &[&Sample]) -> Result<Vec<Vec<Vec<f64>>>> {
        if samples.is_empty() {
            return Ok(vec![Vec::new(); self.models.len()]);
        }
        let batch = CrystalBatch::from_samples(samples, &self.device, self.dtype)?;
        self.models
            .iter()
            .map(|m| rows(&m.predict(&batch)?))
            .collect()
    }

    /// Predictions for prepared structures, one model call per member for the whole slice.
    ///
    /// # Errors
    /// Batch or model errors (for the whole slice).
    pub fn predict_prepared(
        &self,
        prepared: &[PreparedStructure],
        temperature: f64,
    ) -> Result<Vec<Prediction>> {
        let samples: Vec<&Sample> = prepared.iter().map(|p| &p.sample).collect();
        let members = self.member_predictions(&samples)?;
        let (mut mean, spread) = crate::calibration::ensemble_stats(&members)?;
        let mut spread = spread.map(|s| s.into_iter());
        prepared
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let std = spread.as_mut().and_then(Iterator::next);
                self.assemble(
                    p,
                    &members,
                    i,
                    std::mem::take(&mut mean[i]),
                    std,
                    temperature,
                )
            })
            .collect()
    }

    /// The prediction of structure `i` of a batch from its ensemble mean and raw spread.
    fn assemble(
        &self,
        p: &PreparedStructure,
        members: &[Vec<Vec<f64>>],
        i: usize,
        mean: Vec<f64>,
        spread: Option<Vec<f64>>,
        temperature: f64,
    ) -> Result<Prediction> {
        let rows: Vec<&[f64]> = members.iter().map(|m| m[i].as_slice()).collect();
        let scale = self.manifest.calibration.as_ref().map(|c| c.scale);
        let spread_percentile = self
            .manifest
            .calibration
            .as_ref()
            .zip(spread.as_ref())
            .and_then(|(c, s)| c.spread_percentile(s));
        let std: Option<Vec<f64>> =
            spread.map(|s| s.into_iter().map(|v| v * scale.unwrap_or(1.0)).collect());
        let crystal = &p.sample.crystal;
        let mut notes: Vec<String> = p
            .symmetry_note
            .iter()
            .map(|n| format!("symmetry unknown, the mean crystal-system prompt was used: {n}"))
            .collect();
        if let Some(p) = spread_percentile.filter(|&p| p > UNUSUAL_SPREAD_PERCENTILE) {
            notes.push(format!(
                "the members disagree more than on {p:.0} % of the validation crystals: the structure is probably unlike the training data, so trust the curve and its error bar less"
            ));
        }
        let is_phonon =
            self.manifest.task == Task::Phonon && self.manifest.target_scale == TargetScale::Max;
        let properties = if is_phonon {
            match PhononProperties::of_members(
                &self.energy_grid().values,
                &rows,
                crystal.n_atoms(),
                temperature,
            ) {
                Ok(p) => Some(p),
                Err(e) => {
                    notes.push(format!("no phonon properties: {e}"));
                    None
                }
            }
        } else {
            None
        };
        Ok(Prediction {
            id: p.sample.id.clone(),
            formula: crystal.reduced_formula(),
            n_atoms: crystal.n_atoms(),
            space_group: p.space_group,
            crystal_system: p.sample.crystal_system,
            notes,
            energies: self.energy_grid().values.clone(),
            energy_unit: self.energy_grid().unit,
            mean,
            std_calibrated: std.is_some() && scale.is_some(),
            spread_percentile,
            std,
            members: rows.len(),
            properties,
        })
    }

    /// Predicts one structure.
    ///
    /// # Errors
    /// As [`Predictor::prepare`], model errors, a bad temperature.
    pub fn predict_one(
        &self,
        id: &str,
        crystal: Crystal,
        opts: &PredictOptions,
    ) -> Result<Prediction> {
        opts.check()?;
        let p = self.prepare(id, crystal)?;
        let mut out = self.predict_prepared(std::slice::from_ref(&p), opts.temperature)?;
        out.pop()
            .ok_or_else(|| invalid("prediction", "empty result"))
    }

    /// Reads and predicts one structure file (CIF, POSCAR, pymatgen JSON, extended XYZ; one
    /// structure) at 300 K; its id is the file name.
    ///
    /// # Errors
    /// Reader errors naming the file, then as [`Predictor::predict_one`].
    pub fn predict_file(&self, path: impl AsRef<Path>) -> Result<Prediction> {
        let path = path.as_ref();
        let crystal = dos_data::io::read_structure(path)?;
        self.predict_one(&file_id(path), crystal, &PredictOptions::default())
    }

    /// Predicts many structures: each input is prepared (in parallel on the CPU), then batches
    /// of `opts.batch_size` run through every member. One result per input, in order: a bad
    /// structure costs its own entry, never the others'.
    ///
    /// # Errors
    /// The outer error only for bad options.
    pub fn predict_many(
        &self,
        inputs: Vec<Result<(String, Crystal)>>,
        opts: &PredictOptions,
    ) -> Result<Vec<Result<Prediction>>> {
        opts.check()?;
        let prepared: Vec<Result<PreparedStructure>> = if self.device.is_cpu() {
            inputs
                .into_par_iter()
                .map(|r| r.and_then(|(id, c)| self.prepare(&id, c)))
                .collect()
        } else {
            inputs
                .into_iter()
                .map(|r| r.and_then(|(id, c)| self.prepare(&id, c)))
                .collect()
        };
        let mut ok: Vec<PreparedStructure> = Vec::new();
        let mut slots: Vec<Result<usize>> = Vec::with_capacity(prepared.len());
        for p in prepared {
            slots.push(p.map(|p| {
                ok.push(p);
                ok.len() - 1
            }));
        }
        let chunks: Vec<&[PreparedStructure]> = ok.chunks(opts.batch_size).collect();
        let run = |chunk: &&[PreparedStructure]| -> Vec<Result<Prediction>> {
            match self.predict_prepared(chunk, opts.temperature) {
                Ok(v) => v.into_iter().map(Ok).collect(),
                // A failing batch is retried one by one, so the error lands on its structure.
                Err(_) => chunk
                    .iter()
                    .map(|p| {
                        self.predict_prepared(std::slice::from_ref(p), opts.temperature)
                            .and_then(|mut v| v.pop().ok_or_else(|| invalid("prediction", "empty")))
                            .map_err(|e| PredictError::Structure {
                                id: p.sample.id.clone(),
                                message: e.to_string(),
                            })
                    })
                    .collect(),
            }
        };
        let done: Vec<Vec<Result<Prediction>>> = if self.device.is_cpu() {
            chunks.par_iter().map(run).collect()
        } else {
            chunks.iter().map(run).collect()
        };
        let mut done = done.into_iter().flatten().map(Some).collect::<Vec<_>>();
        Ok(slots
            .into_iter()
            .map(|s| {
                s.and_then(|i| {
                    done[i]
                        .take()
                        .unwrap_or_else(|| Err(invalid("prediction", "missing result")))
                })
            })
            .collect())
    }

    /// Predicts a stream of structures lazily: `opts.batch_size * 8` inputs are taken from
    /// `inputs` at a time and predicted as in [`Predictor::predict_many`], so memory stays
    /// bounded however long the stream. Yields one result per input, in order.
    ///
    /// ```
    /// let p = dos_predict::Predictor::bundled(&candle_core::Device::Cpu)?;
    /// let nacl = dos_data::io::cif::parse_cif(dos_predict::bundled::EXAMPLE_CIF, "x.cif".as_ref())?;
    /// let inputs = (0..3).map(|k| Ok((format!("NaCl-{k}"), nacl.clone())));
    /// let ids: Vec<String> = p
    ///     .predict_iter(inputs, dos_predict::PredictOptions::default())
    ///     .map(|r| r.map(|pred| pred.id))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(ids, ["NaCl-0", "NaCl-1", "NaCl-2"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict_iter<'a, I>(
        &'a self,
        inputs: I,
        opts: PredictOptions,
    ) -> impl Iterator<Item = Result<Prediction>> + 'a
    where
        I: IntoIterator<Item = Result<(String, Crystal)>>,
        I::IntoIter: 'a,
    {
        let mut inputs = inputs.into_iter();
        let chunk = opts.batch_size.clamp(1, 4096) * 8;
        std::iter::from_fn(move || {
            let batch: Vec<_> = inputs.by_ref().take(chunk).collect();
            if batch.is_empty() {
                return None;
            }
            Some(match self.predict_many(batch, &opts) {
                Ok(results) => results,
                Err(e) => vec![Err(e)],
            })
        })
        .flatten()
    }

    /// Reads and predicts structure files; one result per structure, in order (see
    /// [`Predictor::predict_many`]): a file that holds several (CIF data blocks, extended XYZ
    /// frames) gives one per structure, with ids `file:block` or `file:frame`; a file that
    /// cannot be read gives one error.
    ///
    /// # Errors
    /// The outer error only for bad options.
    pub fn predict_files<P: AsRef<Path> + Sync>(
        &self,
        paths: &[P],
        opts: &PredictOptions,
    ) -> Result<Vec<Result<Prediction>>> {
        let per_file: Vec<Vec<Result<(String, Crystal)>>> = paths
            .par_iter()
            .map(|p| {
                let p = p.as_ref();
                match dos_data::io::read_structures(p) {
                    Ok(all) if all.len() == 1 => {
                        all.into_iter().map(|(_, c)| Ok((file_id(p), c))).collect()
                    }
                    Ok(all) => all
                        .into_iter()
                        .map(|(label, c)| Ok((format!("{}:{label}", file_id(p)), c)))
                        .collect(),
                    Err(e) => vec![Err(PredictError::from(e))],
                }
            })
            .collect();
        self.predict_many(per_file.into_iter().flatten().collect(), opts)
    }
}

/// The id of a structure file: its file name.
pub fn file_id(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn rows(t: &Tensor) -> Result<Vec<Vec<f64>>> {
    Ok(t.to_dtype(DType::F64)?.to_vec2::<f64>()?)
}
