//! `dos`: the dos-rs command-line tool.
//!
//! Subcommands live in their own files; this file only declares them and dispatches.

mod compare_cmd;
mod data_cmd;
mod edos_cmd;
mod eval_cmd;
mod generate_cmd;
mod params_cmd;
mod plot;
mod plot_cmd;
mod predict_cmd;
mod split_cmd;
mod sweep_cmd;
mod train_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc keeps freed pages for reuse: with the system allocator every large tensor is a
/// fresh `mmap` whose pages the kernel zeroes on first touch (a tenth of an inference pass).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Density-of-states prediction for crystals: inspect data, train, evaluate, predict.
#[derive(Debug, Parser)]
#[command(name = "dos", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Inspect data files (phonon benchmark CSV, CIF, POSCAR, pymatgen JSON).
    #[command(subcommand)]
    Data(data_cmd::DataCommand),
    /// Train a model into a run folder (config, split, best weights, metrics, log).
    Train(train_cmd::TrainArgs),
    /// Score a run's best model on one of its splits.
    Eval(eval_cmd::EvalArgs),
    /// Predict the DOS of structure files (CIF, POSCAR, pymatgen JSON) with a run.
    Predict(predict_cmd::PredictArgs),
    /// Table of runs like the paper's Table 1 (MSE x10, MAE, R^2).
    Compare(compare_cmd::CompareArgs),
    /// Plot predicted vs true DOS of chosen crystals of a run.
    Plot(plot_cmd::PlotArgs),
    /// Grid search over layers, width, learning rate and batch, scored on validation.
    Sweep(sweep_cmd::SweepArgs),
    /// Parameter count of every model at its paper preset.
    Params(params_cmd::ParamsArgs),
}

fn main() -> ExitCode {
    // Before any tensor or thread exists: candle's spinning element-wise pool slows training
    // about 5x on shared cores, and candle re-reads /proc/cpuinfo for every matrix product
    // unless RAYON_NUM_THREADS is set (dos_nn::threads, docs/performance.md).
    dos_nn::prefer_serial_elementwise();
    dos_nn::fix_matmul_thread_count();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data(cmd) => data_cmd::run(cmd),
        Command::Train(args) => train_cmd::run(args),
        Command::Eval(args) => eval_cmd::run(args),
        Command::Predict(args) => predict_cmd::run(args),
        Command::Compare(args) => compare_cmd::run(args),
        Command::Plot(args) => plot_cmd::run(args),
        Command::Sweep(args) => sweep_cmd::run(args),
        Command::Params(args) => params_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}`: the whole context chain on one line, without a backtrace.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
