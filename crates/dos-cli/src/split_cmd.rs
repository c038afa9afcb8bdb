//! `dos data split`: write the split files of the paper's protocols for a data set.
//!
//! `dos data split --task electron --data DIR --kind ood-system --seed 0 --out DIR2` writes
//! `idx_train.txt`, `idx_valid.txt`, `idx_test.txt` (0-based rows of the data) into `DIR2`,
//! ready for `dos train --split DIR2`. Kinds:
//! - `random`: seeded 80/10/10 (the electron in-distribution protocol);
//! - `ood-species`: OOD scenario 1, train on binary + ternary crystals, validate and test on
//!   unary, quaternary and quinary ones;
//! - `ood-system`: OOD scenario 2, train on cubic to orthorhombic, validate and test on
//!   monoclinic and triclinic crystals (symmetry analysis of each structure);
//! - `fine-tune`: from the split given by `--split` (or the data's own), move `--percent` % of
//!   the test crystals into training (paper Table 3; nested subsets for one seed); with
//!   `--moved-only` the training set is the moved crystals alone (few-shot fine-tuning of a
//!   model already trained on the original training set, e.g. `dos train --init`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use dos_data::split::Split;

use crate::train_cmd::{load_data, DataArgs};

/// Split protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitKind {
    /// Seeded random 80/10/10.
    Random,
    /// OOD scenario 1: by number of species.
    OodSpecies,
    /// OOD scenario 2: by crystal system.
    OodSystem,
    /// Move --percent % of the test crystals of --split into training.
    FineTune,
}

/// Arguments of `dos data split`.
#[derive(Debug, Args)]
pub struct SplitArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Protocol.
    #[arg(long, value_enum)]
    pub kind: SplitKind,
    /// Percentage of the test crystals moved into training (fine-tune only): 0 to 100.
    #[arg(long)]
    pub percent: Option<f64>,
    /// Keep at most this many training crystals (a seeded random subset), for a training
    /// budget smaller than the data; validation and test are unchanged.
    #[arg(long)]
    pub max_train: Option<usize>,
    /// Fine-tune only: train on the moved crystals alone instead of training set + moved.
    #[arg(long)]
    pub moved_only: bool,
    /// Seed of the random choices.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder to write the three index files into (created if needed).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `dos data split`.
pub fn run(args: SplitArgs) -> Result<()> {
    if args.percent.is_some() != (args.kind == SplitKind::FineTune) {
        bail!("--percent goes with --kind fine-tune, and only with it");
    }
    if args.moved_only && args.kind != SplitKind::FineTune {
        bail!("--moved-only goes with --kind fine-tune");
    }
    let loaded = load_data(
        &args.data,
        args.seed,
        &crate::train_cmd::task_graph(args.data.task.into()),
    )?;
    let (data, base, desc) = (&loaded.dataset, &loaded.split, &loaded.source);
    let split = match args.kind {
        SplitKind::Random => Split::random_80_10_10(data.len(), args.seed),
        SplitKind::OodSpecies => {
            let n: Vec<usize> = data.samples.iter().map(|s| s.crystal.n_species()).collect();
            Split::ood_species(&n, args.seed)
        }
        SplitKind::OodSystem => Split::ood_crystal_system(&data.crystal_systems(), args.seed),
        SplitKind::FineTune => {
            let mut s = base
                .fine_tune(args.percent.unwrap_or(0.0), args.seed)
                .context("--percent")?;
            if args.moved_only {
                s.train.drain(..base.train.len());
            }
            s
        }
    };
    let split = match args.max_train {
        Some(n) => split.limit_train(n, args.seed),
        None => split,
    };
    split.validate(data.len())?;
    split
        .write_dir(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{desc}: {} crystals; train/valid/test {}/{}/{} written to {}",
        data.len(),
        split.train.len(),
        split.valid.len(),
        split.test.len(),
        args.out.display()
    );
    Ok(())
}
