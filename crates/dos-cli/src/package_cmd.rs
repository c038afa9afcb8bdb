//! `dos package`: join run folders into one calibrated model package.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use dos_predict::{ModelPackage, WeightStorage};

use crate::train_cmd::{load_data, DataArgs};

/// Storage type of the packaged weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StorageArg {
    /// 32-bit floats.
    F32,
    /// 16-bit floats for the large tensors (half the size; predictions move by about 1e-4).
    F16,
    /// 8-bit codes with one f32 scale per matrix row for the large tensors (a quarter of the
    /// size).
    Int8,
}

impl From<StorageArg> for WeightStorage {
    fn from(s: StorageArg) -> Self {
        match s {
            StorageArg::F32 => WeightStorage::F32,
            StorageArg::F16 => WeightStorage::F16,
            StorageArg::Int8 => WeightStorage::Int8,
        }
    }
}

/// Arguments of `dos package`.
#[derive(Debug, Args)]
pub struct PackageArgs {
    /// Run folders (or packages) to join, in member order; all trained on the same data and
    /// split with the same graph settings.
    #[arg(long, required = true)]
    pub run: Vec<PathBuf>,
    /// Data the runs were trained on [default: the first run's config.json]; `benchmark` is
    /// the embedded phonon benchmark.
    #[arg(long)]
    pub data: Option<String>,
    /// Folder with idx_{train,valid,test}.txt: the split whose validation part calibrates the
    /// spread and whose test part is scored [default: the first run's split when --data is
    /// not given, else the data's own].
    #[arg(long)]
    pub split: Option<PathBuf>,
    /// Storage type of the weights.
    #[arg(long, value_enum, default_value_t = StorageArg::F32)]
    pub storage: StorageArg,
    /// Package folder to write (replaced atomically if it exists).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `dos package`.
pub fn run(args: PackageArgs) -> Result<()> {
    let device = dos_train::default_device();
    let first = ModelPackage::read(&args.run[0])
        .with_context(|| format!("reading {}", args.run[0].display()))?;
    let m = &first.manifest;
    let data_spec = args
        .data
        .clone()
        .unwrap_or_else(|| m.provenance.data.clone());
    // A run's split indexes the run's own data: it applies only when --data is not given.
    let run_split = args.run[0].join(dos_train::run::SPLIT_DIR);
    let split_dir = args
        .split
        .clone()
        .or_else(|| (args.data.is_none() && run_split.is_dir()).then_some(run_split));
    let loaded = load_data(
        &DataArgs {
            task: m.task.into(),
            data: data_spec.clone(),
            split: split_dir,
        },
        0,
        &m.graph,
    )?;
    let packaged = dos_train::package_runs(&args.run, &loaded.dataset, &loaded.split, 32, &device)?;
    let mut package = packaged.package;
    let prov = &mut package.manifest.provenance;
    prov.data = loaded.source.clone();
    prov.data_sha256 = loaded.sha256.clone();
    package.write(&args.out, args.storage.into())?;
    if let Some(c) = &packaged.calibration {
        println!(
            "calibration: scale {:.4} fitted on {} validation points (coverage {:.4})",
            c.scale, c.n_points, c.coverage
        );
    }
    for (name, e) in [
        ("valid", Some(&packaged.valid)),
        ("test", packaged.test.as_ref()),
    ] {
        if let Some(e) = e {
            let s = e.score();
            println!(
                "{name}: {} members, {} crystals, MSE x10 {:.4}, MAE {:.4}, R2 {:.4}{}",
                e.members,
                s.n_crystals,
                s.mse_x10,
                s.mae,
                s.r2,
                s.coverage_90.map_or(String::new(), |c| format!(
                    ", 90 % interval coverage {c:.4}"
                ))
            );
        }
    }
    // Scores use the f32 weights held in memory; check what the stored type changes.
    let written = dos_predict::Predictor::load(&args.out, &device)?;
    let moved = match &packaged.test {
        Some(test) => {
            let read_back =
                dos_train::evaluate_predictor(&written, &loaded.dataset, &loaded.split.test, 32)?;
            test.predictions
                .predicted
                .iter()
                .flatten()
                .zip(read_back.predictions.predicted.iter().flatten())
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max)
        }
        None => 0.0,
    };
    println!(
        "wrote {} ({} members, {} weights; largest change of a test prediction from storage: {moved:.2e})",
        args.out.display(),
        written.n_members(),
        WeightStorage::from(args.storage)
    );
    Ok(())
}
