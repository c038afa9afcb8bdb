//! Phonon DOS end to end: train DOSTransformer and the three baselines, print a table like the
//! paper's Table 1 (test MSE x10, MAE, R^2).
//!
//! ```text
//! cargo run --release --example phonon_dos                    # generated data, a few minutes
//! DOS_DATA_DIR=/path/to/data cargo run --release --example phonon_dos   # the real benchmark
//! cargo run --release --example phonon_dos -- --data DIR [--epochs N] [--hidden D] [--out DIR]
//! ```
//!
//! Without data it computes a small phonon data set on the fly (random crystals, harmonic
//! spring-model DOS on the benchmark's 51-point grid; no download) and trains small models
//! (d = 32, 2 layers) for 60 epochs (cosine learning rate, gradient clipping): the numbers show the pipeline works, not the paper's
//! accuracy. With `--data DIR` or `DOS_DATA_DIR` (a folder holding `phonon_dos.csv` and the
//! `idx_*.txt` split, or its `phonon/` subfolder) it uses the paper's settings (d = 256, batch 1,
//! lr 1e-4, AdamW weight decay 0.01, up to 1000 epochs with patience 50), which takes hours on a
//! CPU; `--epochs` and `--hidden` shorten it. Run folders go to `--out` (default
//! `target/phonon_dos_runs/`), one per model, readable by `dos eval` / `dos plot`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use dos::data::dataset::PhononDataset;
use dos::data::graph::GraphConfig;
use dos::data::split::Split;
use dos::models::{ModelConfig, ModelKind, Task};
use dos::train::{
    generated_phonon_dataset, train_run, ArchOverrides, LrSchedule, RunConfig, RunOptions,
    TrainConfig,
};

struct Args {
    data: Option<PathBuf>,
    epochs: Option<usize>,
    hidden: Option<usize>,
    out: PathBuf,
    n_generated: usize,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        data: std::env::var_os("DOS_DATA_DIR").map(PathBuf::from),
        epochs: None,
        hidden: None,
        out: PathBuf::from("target/phonon_dos_runs"),
        n_generated: 160,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value"));
        match a.as_str() {
            "--data" => args.data = Some(PathBuf::from(value("--data")?)),
            "--epochs" => args.epochs = Some(value("--epochs")?.parse().context("--epochs")?),
            "--hidden" => args.hidden = Some(value("--hidden")?.parse().context("--hidden")?),
            "--out" => args.out = PathBuf::from(value("--out")?),
            "--generated" => {
                args.n_generated = value("--generated")?.parse().context("--generated")?
            }
            "-h" | "--help" => {
                println!(
                    "phonon_dos [--data DIR] [--epochs N] [--hidden D] [--out DIR] [--generated N]\n\
                     Without --data (or DOS_DATA_DIR) trains on N (default 160) generated crystals."
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}` (see --help)"),
        }
    }
    Ok(args)
}

/// The folder holding phonon_dos.csv: DIR itself or DIR/phonon.
fn phonon_dir(dir: &Path) -> Result<PathBuf> {
    for d in [dir.to_path_buf(), dir.join("phonon")] {
        if d.join(PhononDataset::CSV).is_file() {
            return Ok(d);
        }
    }
    bail!(
        "no {} in {} or its phonon/ folder",
        PhononDataset::CSV,
        dir.display()
    )
}

fn main() -> Result<()> {
    // Before any tensor or thread exists: candle's spinning element-wise pool slows training
    // about 5x on shared cores (dos::nn::threads, docs/performance.md).
    dos::nn::prefer_serial_elementwise();
    dos::nn::fix_matmul_thread_count();
    let args = parse_args()?;
    let device = dos::train::default_device();
    let graph = GraphConfig::phonon();
    let t0 = Instant::now();
    let (data, split, source, real) = match &args.data {
        Some(dir) => {
            let dir = phonon_dir(dir)?;
            let ph = PhononDataset::load(&dir, &graph)?;
            let split = ph
                .split
                .clone()
                .context("the data folder has no idx_train/valid/test.txt split")?;
            (ph.dataset, split, dir.display().to_string(), true)
        }
        None => {
            let data = generated_phonon_dataset(args.n_generated, 8, 0, &graph)?;
            let split = Split::random_80_10_10(data.len(), 0);
            let src = format!("generated: {} spring-model crystals, seed 0", data.len());
            (data, split, src, false)
        }
    };
    println!(
        "data: {source} ({} crystals; train/valid/test {}/{}/{}) loaded in {:.1} s",
        data.len(),
        split.train.len(),
        split.valid.len(),
        split.test.len(),
        t0.elapsed().as_secs_f64()
    );

    let (arch, train) = if real {
        (
            ArchOverrides {
                hidden: args.hidden,
                ..Default::default()
            },
            TrainConfig {
                epochs: args.epochs.unwrap_or(1000),
                ..TrainConfig::paper_phonon()
            },
        )
    } else {
        (
            ArchOverrides {
                hidden: Some(args.hidden.unwrap_or(32)),
                gnn_layers: Some(2),
                cross_layers: Some(1),
                self_layers: Some(1),
                branch_cross_layers: Some(1),
            },
            TrainConfig {
                epochs: args.epochs.unwrap_or(60),
                batch_size: 8,
                lr: 2e-3,
                patience: 0,
                schedule: LrSchedule::Cosine { min_lr: 1e-4 },
                grad_clip: Some(1.0),
                ..TrainConfig::paper_phonon()
            },
        )
    };

    let runs = [
        (ModelKind::Mlp, true),
        (ModelKind::GraphNetwork, true),
        (ModelKind::E3nnLite, true),
        (ModelKind::DosTransformer, true),
    ];
    let mut rows = Vec::new();
    for (kind, energy) in runs {
        let mut model = ModelConfig::preset(kind, Task::Phonon, energy);
        arch.apply(&mut model);
        let cfg = RunConfig {
            task: Task::Phonon,
            data: source.clone(),
            model,
            train: train.clone(),
            graph,
        };
        let out = args.out.join(kind.name());
        if out.exists() {
            std::fs::remove_dir_all(&out).with_context(|| format!("clearing {}", out.display()))?;
        }
        let t = Instant::now();
        let m = train_run(
            &cfg,
            &data,
            &split,
            &out,
            &RunOptions {
                device: device.clone(),
                resume: false,
                progress: true,
                init_seed: Some(0),
                init_from: None,
                command: None,
                data_sha256: None,
            },
        )
        .with_context(|| format!("training {kind}"))?;
        let test = m.test.as_ref().context("no test split")?;
        println!(
            "{:<15} {} params, {} epochs, {:.2} s/epoch, {:.1} s total -> test MSE x10 {:.3}",
            kind.name(),
            m.parameters,
            m.epochs,
            m.seconds_per_epoch.unwrap_or(f64::NAN),
            t.elapsed().as_secs_f64(),
            test.mse_x10
        );
        rows.push((kind, energy, m.parameters, test.clone()));
    }

    println!(
        "\nTest set ({}):",
        if real {
            "phonon benchmark"
        } else {
            "generated data"
        }
    );
    println!(
        "| {:<15} | {:<6} | {:>9} | {:>7} | {:>7} | {:>7} |",
        "model", "energy", "params", "MSE x10", "MAE", "R^2"
    );
    println!(
        "|{:-<17}|{:-<8}|{:-<11}|{:-<9}|{:-<9}|{:-<9}|",
        "", "", "", "", "", ""
    );
    for (kind, energy, params, t) in &rows {
        println!(
            "| {:<15} | {:<6} | {:>9} | {:>7.3} | {:>7.3} | {:>7.3} |",
            kind.name(),
            if *energy { "on" } else { "off" },
            params,
            t.mse_x10,
            t.overall.mae,
            t.overall.r2
        );
    }
    if let Some(mib) = dos::train::memory::peak_rss_bytes() {
        println!("peak RSS {:.0} MiB", mib as f64 / (1024.0 * 1024.0));
    }
    println!("run folders: {}", args.out.display());
    Ok(())
}
