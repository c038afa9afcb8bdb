//! `dos sweep`: grid search over the paper's hyperparameter ranges, scored on VALIDATION only
//! (the test split is never looked at, so the choice does not leak test information).

use std::path::PathBuf;

use crate::train_cmd::{
    load_data, model_kind_parser, training, DataArgs, DtypeArg, OnOff, ScheduleArg, TrainArgs,
    TrainableArg,
};
use anyhow::{Context, Result};
use clap::Args;

/// Arguments of `dos sweep`. Each list flag takes several values; the grid is their product.
#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Model family (as `dos train --model`).
    #[arg(long, value_parser = model_kind_parser(), default_value = "dostransformer")]
    pub model: dos_models::ModelKind,
    /// GNN layers L' to try.
    #[arg(long, num_args = 1.., default_values_t = [2usize, 3, 4])]
    pub gnn_layers: Vec<usize>,
    /// Cross-attention layers L1 to try (DOSTransformer).
    #[arg(long, num_args = 1.., default_values_t = [2usize])]
    pub cross_layers: Vec<usize>,
    /// Self-attention layers L2 to try (DOSTransformer).
    #[arg(long, num_args = 1.., default_values_t = [2usize])]
    pub self_layers: Vec<usize>,
    /// Second cross-attention layers L3 to try (DOSTransformer).
    #[arg(long, num_args = 1.., default_values_t = [2usize])]
    pub branch_cross_layers: Vec<usize>,
    /// Hidden widths d to try.
    #[arg(long, num_args = 1.., default_values_t = [64usize, 128, 256])]
    pub hidden: Vec<usize>,
    /// Learning rates to try.
    #[arg(long, num_args = 1.., default_values_t = [1e-4])]
    pub lr: Vec<f64>,
    /// Batch sizes to try.
    #[arg(long, num_args = 1.., default_values_t = [1usize])]
    pub batch_size: Vec<usize>,
    /// Epoch budget of every run.
    #[arg(long, default_value_t = 50)]
    pub epochs: usize,
    /// Early-stopping patience in epochs (0: off).
    #[arg(long, default_value_t = 50)]
    pub patience: usize,
    /// Seed of the weights, the shuffling and a random split.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder that receives one run folder per grid point and sweep.md.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `dos sweep`.
pub fn run(args: SweepArgs) -> Result<()> {
    let data = load_data(
        &args.data,
        args.seed,
        &crate::train_cmd::task_graph(args.data.task.into()),
    )?;
    let mut grid = Vec::new();
    for &g in &args.gnn_layers {
        for &c in &args.cross_layers {
            for &s in &args.self_layers {
                for &b in &args.branch_cross_layers {
                    for &d in &args.hidden {
                        for &lr in &args.lr {
                            for &bs in &args.batch_size {
                                grid.push((g, c, s, b, d, lr, bs));
                            }
                        }
                    }
                }
            }
        }
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut table = String::from(
        "| run | L' | L1 | L2 | L3 | d | lr | batch | best epoch | valid MSE x10 | valid MAE | valid R^2 |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let mut best: Option<(f64, String)> = None;
    for (k, &(g, c, s, b, d, lr, bs)) in grid.iter().enumerate() {
        let name = format!("run-{k:03}");
        let targs = TrainArgs {
            data: args.data.clone(),
            model: args.model,
            energy: OnOff::On,
            epochs: Some(args.epochs),
            batch_size: Some(bs),
            lr,
            weight_decay: 0.01,
            patience: args.patience,
            eval_every: 1,
            schedule: ScheduleArg::Constant,
            grad_clip: None,
            ema: None,
            hidden: Some(d),
            gnn_layers: Some(g),
            cross_layers: Some(c),
            self_layers: Some(s),
            branch_cross_layers: Some(b),
            seed: args.seed,
            dtype: DtypeArg::F32,
            init: None,
            init_member: 0,
            trainable: TrainableArg::All,
            resume: false,
            quiet: true,
            out: args.out.join(&name),
        };
        eprintln!(
            "[{}/{}] {name}: L'={g} L1={c} L2={s} L3={b} d={d} lr={lr} batch={bs}",
            k + 1,
            grid.len()
        );
        let m = training(&targs)
            .fit(&data, &targs.out)
            .map(|run| run.metrics)
            .with_context(|| name.clone())?;
        let v = m.valid.as_ref();
        let cell = |f: &dyn Fn(&dos_train::SplitMetrics) -> f64| {
            v.map_or("-".into(), |x| format!("{:.4}", f(x)))
        };
        table.push_str(&format!(
            "| {name} | {g} | {c} | {s} | {b} | {d} | {lr:e} | {bs} | {} | {} | {} | {} |\n",
            m.best_epoch.map_or("-".into(), |e| e.to_string()),
            cell(&|x| x.mse_x10),
            cell(&|x| x.overall.mae),
            cell(&|x| x.overall.r2),
        ));
        if let Some(x) = v {
            if best.as_ref().is_none_or(|(b, _)| x.mse_x10 < *b) {
                best = Some((x.mse_x10, name.clone()));
            }
        }
    }
    print!("{table}");
    if let Some((score, name)) = &best {
        println!("best on validation: {name} (MSE x10 {score:.4})");
    }
    std::fs::write(args.out.join("sweep.md"), &table)?;
    Ok(())
}
