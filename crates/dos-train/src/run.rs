//! A training run as a folder: [`train_run`] trains and writes it, [`load_run`] reads it back.
//!
//! Layout of `RUN_DIR/`:
//! - `config.json`: [`RunConfig`] (task, data source, model, training and graph settings);
//! - `split/`: `idx_train.txt`, `idx_valid.txt`, `idx_test.txt` (0-based rows of the data);
//! - `model/`: `model.safetensors` (best weights) and `config.json` (model config), a
//!   `dos_models` checkpoint directory;
//! - `metrics.json`: [`RunMetrics`] (train/valid/test, overall, per crystal system and per
//!   number of species, with timings);
//! - `log.jsonl`: one [`crate::EpochRecord`] per epoch;
//! - `checkpoint.safetensors`: last epoch's weights, AdamW moments and state (for `--resume`);
//! - `package/`: the best model as a `dos_predict` model package (settings, grid, scores,
//!   command and data hash), what `dos predict --model` and `dos package` read.

use std::collections::BTreeMap;
use std::path::Path;

use candle_core::Device;
use dos_data::dataset::Dataset;
use dos_data::graph::Sample;
use dos_data::split::Split;
use dos_data::symmetry::system_name;
use dos_metrics::MetricSummary;
use dos_models::{AnyModel, DosModel, LoadedModel};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::fine_tune::StartFrom;
use crate::init::build_seeded;
use crate::memory::peak_rss_bytes;
use crate::predictions::{predict_all, Predictions};
use crate::run_config::atomic_write_json;
use crate::source::SampleSource;
use crate::trainer::Trainer;
use dos_config::Check;

pub use crate::run_config::{
    read_json, RunConfig, CONFIG_FILE, METRICS_FILE, MODEL_DIR, PACKAGE_DIR, SPLIT_DIR,
};

/// Metrics of one split: per-crystal errors averaged over crystals, overall and by group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitMetrics {
    /// Over all crystals of the split.
    pub overall: MetricSummary,
    /// `10 * overall.mse`, the paper's "MSE".
    pub mse_x10: f64,
    /// By crystal system name (cubic, hexagonal, ...).
    pub by_crystal_system: BTreeMap<String, MetricSummary>,
    /// By number of distinct elements.
    pub by_n_species: BTreeMap<usize, MetricSummary>,
}

/// `metrics.json` of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMetrics {
    /// Model family name.
    pub model: String,
    /// Whether the model uses energy embeddings.
    pub energy: bool,
    /// Trainable scalars.
    pub parameters: usize,
    /// Training split, best weights.
    pub train: SplitMetrics,
    /// Validation split, best weights.
    pub valid: Option<SplitMetrics>,
    /// Test split, best weights (evaluated once, after training).
    pub test: Option<SplitMetrics>,
    /// Epoch of the best validation loss.
    pub best_epoch: Option<usize>,
    /// Epochs completed.
    pub epochs: usize,
    /// Whether early stopping ended training.
    pub stopped_early: bool,
    /// Mean seconds per training epoch (this session).
    pub seconds_per_epoch: Option<f64>,
    /// Seconds of one inference pass over the validation split (mean over evaluations).
    pub seconds_per_inference: Option<f64>,
    /// Peak resident memory in MiB (Linux `VmHWM`).
    pub peak_rss_mib: Option<f64>,
}

/// How [`train_run`] runs (not saved in the run folder).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Device for tensors.
    pub device: Device,
    /// Continue from `checkpoint.safetensors` when it exists.
    pub resume: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// Seed of the model's initial weights (see [`build_seeded`]); None keeps candle's unseeded
    /// initialisation.
    pub init_seed: Option<u64>,
    /// Start from this model's weights instead (fine-tuning, see [`crate::fine_tune`]); the
    /// model config must have its architecture. Its trained crystal systems count as trained
    /// in the new run too.
    pub init_from: Option<StartFrom>,
    /// The command that started the run (recorded in the run's model package).
    pub command: Option<String>,
    /// SHA-256 of the uncompressed data file (recorded in the run's model package).
    pub data_sha256: Option<String>,
}

/// Metrics of predictions whose crystals are `samples` (same order).
///
/// # Errors
/// [`TrainError::Data`] when the predictions carry no targets; metric errors.
pub fn split_metrics(preds: &Predictions, samples: &[&Sample]) -> Result<SplitMetrics> {
    let target = preds
        .target
        .as_ref()
        .ok_or_else(|| TrainError::Data("no targets to score against".into()))?;
    let overall = dos_metrics::evaluate(&preds.predicted, target)?;
    let systems: Vec<&str> = preds
        .crystal_system
        .iter()
        .map(|&s| system_name(s))
        .collect();
    let species: Vec<usize> = samples.iter().map(|s| s.crystal.n_species()).collect();
    Ok(SplitMetrics {
        mse_x10: overall.mse_x10(),
        overall,
        by_crystal_system: dos_metrics::evaluate_grouped(&preds.predicted, target, &systems)?
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        by_n_species: dos_metrics::evaluate_grouped(&preds.predicted, target, &species)?
            .into_iter()
            .collect(),
    })
}

/// Predicts the crystals `indices` of `data` and scores them.
pub fn evaluate_indices(
    model: &dyn DosModel,
    data: &Dataset,
    indices: &[usize],
    device: &Device,
    dtype: candle_core::DType,
    batch_size: usize,
) -> Result<(Predictions, SplitMetrics)> {
    let src = SampleSource::subset(&data.samples, indices, device, dtype)?;
    let preds = predict_all(model, &src, batch_size, None)?;
    let m = split_metrics(&preds, src.samples())?;
    Ok((preds, m))
}

/// Trains `cfg` on `data` with `split` and writes the run folder `out` (see the module docs).
/// The test split is evaluated once, at the end, with the best weights.
///
/// # Errors
/// Invalid settings, an existing run folder without `resume`, data, model, IO errors.
pub fn train_run(
    cfg: &RunConfig,
    data: &Dataset,
    split: &Split,
    out: &Path,
    opts: &RunOptions,
) -> Result<RunMetrics> {
    let train_cfg = cfg.train.check()?;
    split.validate(data.len())?;
    if split.train.is_empty() {
        return Err(TrainError::Data("the training split is empty".into()));
    }
    let config_path = out.join(CONFIG_FILE);
    let mut run_cfg = cfg.clone();
    // Prompt rows of crystal systems absent from training are replaced at inference.
    let mut trained: Vec<_> = split
        .train
        .iter()
        .filter_map(|&i| data.samples.get(i)?.crystal_system)
        .collect();
    if let Some(start) = &opts.init_from {
        trained.extend_from_slice(start.settings()?.1.trained_systems());
    }
    run_cfg.model.set_trained_systems(&trained);
    if config_path.exists() {
        if !opts.resume {
            return Err(TrainError::Data(format!(
                "{} already holds a run; resume it or choose another folder",
                out.display()
            )));
        }
        // A run whose config was saved before a field existed: the checkpoint's weight names
        // settle it, as loading a saved model does.
        let checkpoint = out.join(crate::trainer::files::CHECKPOINT);
        if checkpoint.is_file() {
            run_cfg.model.match_legacy_checkpoint(&checkpoint)?;
        }
    } else {
        std::fs::create_dir_all(out).map_err(|e| TrainError::io(out, e))?;
    }
    atomic_write_json(&config_path, &run_cfg)?;
    split.write_dir(out.join(SPLIT_DIR))?;
    atomic_write_json(
        &out.join(MODEL_DIR)
            .join(dos_models::checkpoint::CONFIG_FILE),
        &run_cfg.model,
    )?;

    let valid_model = run_cfg.model.check()?;
    let (model, varmap) = match opts.init_seed {
        Some(seed) => build_seeded(&valid_model, &opts.device, seed)?,
        None => AnyModel::build(&valid_model, &opts.device)?,
    };
    if let Some(start) = &opts.init_from {
        start.load_into(&varmap, &opts.device)?;
    }
    let inference = AnyModel::detached(&valid_model, &varmap, &opts.device)?;
    let dtype = run_cfg.model.precision().dtype();
    let train_src = SampleSource::subset(&data.samples, &split.train, &opts.device, dtype)?;
    let valid_src = SampleSource::subset(&data.samples, &split.valid, &opts.device, dtype)?;
    let mut trainer = Trainer::new(train_cfg.clone(), &model, &varmap)?
        .with_run_dir(out)
        .with_progress(opts.progress)
        .with_inference_model(&inference)
        .with_metrics(Box::new(|p: &Predictions| {
            p.target
                .as_ref()
                .and_then(|t| dos_metrics::evaluate(&p.predicted, t).ok())
                .map(|s| {
                    let mut v = serde_json::to_value(s).unwrap_or_default();
                    if let Some(o) = v.as_object_mut() {
                        o.insert("mse_x10".into(), serde_json::json!(s.mse_x10()));
                    }
                    v
                })
                .unwrap_or(serde_json::Value::Null)
        }));
    if opts.resume {
        remove_stale_temporaries(out)?;
        trainer.resume()?;
    }
    let valid = (!split.valid.is_empty()).then_some(&valid_src as &dyn crate::BatchSource);
    let report = trainer.fit(&train_src, valid)?;

    let bs = train_cfg.batch_size.max(32);
    let eval = |idx: &[usize]| -> Result<Option<SplitMetrics>> {
        if idx.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            evaluate_indices(&inference, data, idx, &opts.device, dtype, bs)?.1,
        ))
    };
    let train_m =
        eval(&split.train)?.ok_or_else(|| TrainError::Data("empty train split".into()))?;
    let valid_m = eval(&split.valid)?;
    let test_m = eval(&split.test)?;
    let metrics = RunMetrics {
        model: run_cfg.model.family_name().to_string(),
        energy: run_cfg.model.settings().uses_energy(),
        parameters: dos_models::parameter_count(&varmap),
        train: train_m,
        valid: valid_m,
        test: test_m,
        best_epoch: report.best_epoch,
        epochs: report.last_epoch,
        stopped_early: report.stopped_early,
        seconds_per_epoch: report.seconds_per_epoch,
        seconds_per_inference: report.seconds_per_eval,
        peak_rss_mib: peak_rss_bytes().map(|b| b as f64 / (1024.0 * 1024.0)),
    };
    atomic_write_json(&out.join(METRICS_FILE), &metrics)?;
    write_run_package(out, opts)?;
    Ok(metrics)
}

/// Removes the temporary files (`.NAME.tmp-PID`) a killed run left in its folder and its
/// `model/` folder: atomic writes go through them, so they are never the only copy.
fn remove_stale_temporaries(out: &Path) -> Result<()> {
    for dir in [out.to_path_buf(), out.join(MODEL_DIR)] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if dos_data::io::atomic_write::is_temp_sibling(&name) {
                let path = entry.path();
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(|e| TrainError::io(&path, e))?;
            }
        }
    }
    Ok(())
}

/// Writes `RUN/package/`: the run's best model as a one-member package that records the
/// graph settings, grid, scores and where it came from (command, data hash, seed).
fn write_run_package(out: &Path, opts: &RunOptions) -> Result<()> {
    let mut package = dos_predict::ModelPackage::from_run_folder(out)
        .map_err(|e| TrainError::Data(e.to_string()))?;
    package.manifest.provenance.data_sha256 = opts.data_sha256.clone();
    package.manifest.provenance.written_by = format!("dos-rs {}", env!("CARGO_PKG_VERSION"));
    let member = &mut package.manifest.members[0].provenance;
    member.command = opts.command.clone();
    package.manifest.provenance.valid = member.valid;
    package.manifest.provenance.test = member.test;
    package
        .write(out.join(PACKAGE_DIR), dos_predict::WeightStorage::F32)
        .map_err(|e| TrainError::Data(e.to_string()))
}

/// A run folder read back: its config, split and best model.
pub struct LoadedRun {
    /// `config.json`.
    pub config: RunConfig,
    /// `split/`.
    pub split: Split,
    /// The best model with its variables.
    pub model: LoadedModel,
}

/// Reads `config.json`, `split/` and the best model of a run folder onto `device`.
///
/// # Errors
/// Missing or malformed files (named in the error).
pub fn load_run(dir: &Path, device: &Device) -> Result<LoadedRun> {
    let config: RunConfig = read_json(&dir.join(CONFIG_FILE))?;
    let split = Split::read_dir(dir.join(SPLIT_DIR))?;
    let model = dos_models::load_checkpoint(&dir.join(MODEL_DIR), device)?;
    Ok(LoadedRun {
        config,
        split,
        model,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::TrainConfig;
    use crate::generated_phonon_dataset;
    use dos_data::graph::GraphConfig;
    use dos_models::{ArchOverrides, ModelConfig, ModelKind, Task};

    /// A one-layer, width-16 `kind` on generated phonon data, batch 4, lr 1e-3.
    pub(crate) fn small_cfg(kind: ModelKind, epochs: usize) -> RunConfig {
        let mut model = ModelConfig::preset(kind, Task::Phonon, true);
        ArchOverrides {
            hidden: Some(16),
            gnn_layers: Some(1),
            cross_layers: Some(1),
            self_layers: Some(1),
            branch_cross_layers: Some(1),
        }
        .apply(&mut model);
        RunConfig {
            task: Task::Phonon,
            data: "generated".into(),
            model,
            train: TrainConfig {
                epochs,
                batch_size: 4,
                lr: 1e-3,
                ..TrainConfig::default()
            },
            graph: GraphConfig::phonon(),
            energy_grid: None,
        }
    }

    /// Fresh-run options on the CPU: no progress bar, initial weights of seed 1.
    fn quiet_options() -> RunOptions {
        RunOptions {
            device: Device::Cpu,
            resume: false,
            progress: false,
            init_seed: Some(1),
            init_from: None,
            command: None,
            data_sha256: None,
        }
    }

    /// Train, write the folder, read it back: the reloaded best model scores the test split
    /// exactly as `metrics.json` says; resuming extends the same run.
    #[test]
    fn run_folder_round_trip_and_resume() {
        let data = generated_phonon_dataset(20, 4, 11, &GraphConfig::phonon()).unwrap();
        let split = Split::random_80_10_10(data.len(), 5);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let opts = quiet_options();
        let cfg = small_cfg(ModelKind::GraphNetwork, 1);
        let m = train_run(&cfg, &data, &split, &out, &opts).unwrap();
        for f in [
            CONFIG_FILE,
            METRICS_FILE,
            "log.jsonl",
            "checkpoint.safetensors",
            "model/model.safetensors",
            "model/config.json",
            "split/idx_train.txt",
            "package/package.json",
            "package/member-0.safetensors",
        ] {
            assert!(out.join(f).is_file(), "{f} missing");
        }
        assert_eq!(m.epochs, 1);
        let saved: RunMetrics = read_json(&out.join(METRICS_FILE)).unwrap();
        assert_eq!(saved.epochs, m.epochs);
        assert!(
            (saved.train.overall.mse - m.train.overall.mse).abs() <= 1e-12 * m.train.overall.mse
        );

        let run = load_run(&out, &Device::Cpu).unwrap();
        assert_eq!(run.split, split);
        let dtype = run.config.model.precision().dtype();
        let (_, test) = evaluate_indices(
            &run.model.model,
            &data,
            &split.test,
            &Device::Cpu,
            dtype,
            32,
        )
        .unwrap();
        let want = m.test.unwrap().overall;
        assert!((test.overall.mse - want.mse).abs() <= 1e-9 * want.mse.max(1.0));
        assert_eq!(test.overall.n_crystals, split.test.len());

        // A second run into the same folder without --resume is refused...
        assert!(train_run(&cfg, &data, &split, &out, &opts).is_err());
        // ... and with it, training continues to the new epoch budget; the temporary copy a
        // killed run left behind is removed.
        let stale = out.join(".checkpoint.safetensors.tmp-999999");
        std::fs::write(&stale, b"partial").unwrap();
        let more = RunOptions {
            resume: true,
            ..opts
        };
        let m2 = train_run(
            &small_cfg(ModelKind::GraphNetwork, 2),
            &data,
            &split,
            &out,
            &more,
        )
        .unwrap();
        assert_eq!(m2.epochs, 2);
        assert!(!stale.exists(), "stale temporary file kept");
        let log = crate::log::read_log(&out.join("log.jsonl")).unwrap();
        assert_eq!(log.iter().map(|r| r.epoch).collect::<Vec<_>>(), vec![1, 2]);
        assert!(log[0].valid_metrics.as_ref().unwrap()["mse_x10"].is_number());
    }

    /// A DOSTransformer run saved before `separate_kv_norm` existed (config without the field,
    /// which now reads as the preset's `false`; weights with separate key/value norms)
    /// resumes: the checkpoint's weight names settle the field, and the rewritten config
    /// records it.
    #[test]
    fn resume_of_a_run_saved_before_separate_kv_norm() {
        let data = generated_phonon_dataset(12, 4, 3, &GraphConfig::phonon()).unwrap();
        let split = Split::random_80_10_10(data.len(), 2);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let opts = quiet_options();
        let mut cfg = small_cfg(ModelKind::DosTransformer, 1);
        let dos_models::ModelConfig::DosTransformer(c) = &mut cfg.model else {
            panic!("not a DOSTransformer config")
        };
        c.separate_kv_norm = true;
        train_run(&cfg, &data, &split, &out, &opts).unwrap();

        // The saved config as an older version wrote it.
        let mut json: serde_json::Value = read_json(&out.join(CONFIG_FILE)).unwrap();
        json["model"]
            .as_object_mut()
            .unwrap()
            .remove("separate_kv_norm")
            .expect("the field was saved");
        let mut legacy: RunConfig = serde_json::from_value(json).unwrap();
        legacy.train.epochs = 2;
        let dos_models::ModelConfig::DosTransformer(c) = &legacy.model else {
            panic!("kind changed")
        };
        assert!(!c.separate_kv_norm, "the missing field reads as the preset");

        let resumed = RunOptions {
            resume: true,
            ..opts
        };
        let m = train_run(&legacy, &data, &split, &out, &resumed).unwrap();
        assert_eq!(m.epochs, 2);
        let saved: RunConfig = read_json(&out.join(CONFIG_FILE)).unwrap();
        let dos_models::ModelConfig::DosTransformer(c) = &saved.model else {
            panic!("kind changed")
        };
        assert!(c.separate_kv_norm, "the settled field is written back");
    }
}
