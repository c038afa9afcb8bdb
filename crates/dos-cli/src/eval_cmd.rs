//! `dos eval`: score a run's best model on one of its splits.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use candle_core::Device;
use clap::{Args, ValueEnum};
use dos_data::dataset::Dataset;
use dos_models::Task;
use dos_train::run::evaluate_indices;
use dos_train::{load_run, LoadedRun, Predictions, SplitMetrics};

use crate::train_cmd::{load_data, DataArgs, TaskArg};

/// A split of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// Training crystals.
    Train,
    /// Validation crystals.
    Valid,
    /// Test crystals.
    Test,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Human-readable lines.
    Text,
    /// One JSON object (overall, per crystal system, per number of species).
    Json,
}

/// Arguments of `dos eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Run folder written by `dos train`.
    #[arg(long)]
    pub run: PathBuf,
    /// Which split to score.
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    pub split: SplitArg,
    /// Data location [default: the one recorded in the run's config.json].
    #[arg(long)]
    pub data: Option<String>,
    /// Crystals per inference batch (results do not depend on it).
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
}

/// Loads a run folder and the data it was trained on (or `data` instead).
pub fn load_run_with_data(
    run_dir: &Path,
    data: Option<&str>,
    device: &Device,
) -> Result<(LoadedRun, Dataset)> {
    let run = load_run(run_dir, device)
        .with_context(|| format!("reading run folder {}", run_dir.display()))?;
    let args = DataArgs {
        task: match run.config.task {
            Task::Phonon => TaskArg::Phonon,
            Task::Electron => TaskArg::Electron,
        },
        data: data.map_or_else(|| run.config.data.clone(), str::to_string),
        split: Some(run_dir.join(dos_train::run::SPLIT_DIR)),
    };
    let (dataset, _, _) = load_data(&args, run.config.train.seed)?;
    Ok((run, dataset))
}

/// Indices of `split` in a run.
pub fn split_indices(run: &LoadedRun, split: SplitArg) -> &[usize] {
    match split {
        SplitArg::Train => &run.split.train,
        SplitArg::Valid => &run.split.valid,
        SplitArg::Test => &run.split.test,
    }
}

/// Predicts and scores one split of a run.
pub fn evaluate_split(
    run: &LoadedRun,
    data: &Dataset,
    split: SplitArg,
    batch_size: usize,
    device: &Device,
) -> Result<(Predictions, SplitMetrics)> {
    let idx = split_indices(run, split);
    anyhow::ensure!(!idx.is_empty(), "the {split:?} split of this run is empty");
    Ok(evaluate_indices(
        &run.model.model,
        data,
        idx,
        device,
        run.config.model.precision().dtype(),
        batch_size,
    )?)
}

/// Runs `dos eval`.
pub fn run(args: EvalArgs) -> Result<()> {
    let device = dos_train::default_device();
    let (run, data) = load_run_with_data(&args.run, args.data.as_deref(), &device)?;
    let (preds, m) = evaluate_split(&run, &data, args.split, args.batch_size, &device)?;
    match args.format {
        FormatArg::Json => {
            let mut v = serde_json::to_value(&m)?;
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "split".into(),
                    format!("{:?}", args.split).to_lowercase().into(),
                );
                o.insert("seconds".into(), preds.seconds.into());
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        FormatArg::Text => {
            println!(
                "{} {:?} split: {} crystals, MSE x10 {:.4}, MAE {:.4}, RMSE {:.4}, R2 {:.4} ({:.3} s inference)",
                run.config.model.kind().name(),
                args.split,
                m.overall.n_crystals,
                m.mse_x10,
                m.overall.mae,
                m.overall.rmse,
                m.overall.r2,
                preds.seconds
            );
            for (k, s) in &m.by_crystal_system {
                println!(
                    "  {k:<13} n {:>4}  MSE x10 {:.4}  MAE {:.4}  R2 {:.4}",
                    s.n_crystals,
                    10.0 * s.mse,
                    s.mae,
                    s.r2
                );
            }
        }
    }
    Ok(())
}
