//! `dos`: the dos-rs command-line tool.
//!
//! Subcommands live in their own files; this file only declares them and dispatches.

mod compare_cmd;
mod data_cmd;
mod edos_cmd;
mod eval_cmd;
mod generate_cmd;
mod model_arg;
mod output;
mod package_cmd;
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
/// Built with `no_thp`: mimalloc does not ask for transparent huge pages, whose 2 MiB
/// granules held 15-35 MiB more resident memory in a training run (docs/performance.md).
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
    /// Inspect data files (phonon benchmark CSV, CIF, POSCAR, pymatgen JSON, extended XYZ).
    #[command(subcommand)]
    Data(data_cmd::DataCommand),
    /// Train a model into a run folder (config, split, best weights, metrics, log).
    Train(train_cmd::TrainArgs),
    /// Score the bundled model, a package or run folders on a split (MSE x10, MAE, R2, coverage).
    Eval(eval_cmd::EvalArgs),
    /// Predict the DOS of structure files (CIF, POSCAR, pymatgen JSON, XYZ): the bundled phonon
    /// model, or a package / run folder; mean, calibrated spread and phonon properties.
    Predict(predict_cmd::PredictArgs),
    /// Join run folders into one model package (ensemble, calibrated on validation).
    Package(package_cmd::PackageArgs),
    /// Table of runs like the paper's Table 1 (MSE x10, MAE, R^2).
    Compare(compare_cmd::CompareArgs),
    /// Plot predicted vs true DOS of chosen crystals of a run.
    Plot(plot_cmd::PlotArgs),
    /// Grid search over layers, width, learning rate and batch, scored on validation.
    Sweep(sweep_cmd::SweepArgs),
    /// Parameter count of every model at its paper preset.
    Params(params_cmd::ParamsArgs),
    /// Serve a web page and a JSON API over a model (http://127.0.0.1:8000/ by default).
    Serve(dos_serve::ServeArgs),
}

fn main() -> ExitCode {
    // Before any tensor or thread exists: candle's spinning element-wise pool slows training
    // about 5x on shared cores, and candle re-reads /proc/cpuinfo for every matrix product
    // unless RAYON_NUM_THREADS is set (dos_nn::threads, docs/performance.md).
    dos_nn::prefer_serial_elementwise();
    dos_nn::fix_matmul_thread_count();
    report_stdout_failures_without_panicking();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data(cmd) => data_cmd::run(cmd),
        Command::Train(args) => train_cmd::run(args),
        Command::Eval(args) => eval_cmd::run(args),
        Command::Predict(args) => predict_cmd::run(args),
        Command::Package(args) => package_cmd::run(args),
        Command::Compare(args) => compare_cmd::run(args),
        Command::Plot(args) => plot_cmd::run(args),
        Command::Sweep(args) => sweep_cmd::run(args),
        Command::Params(args) => params_cmd::run(args),
        Command::Serve(args) => args.run().map_err(Into::into),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`dos predict ... | head`): stop quietly, like other Unix tools.
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}`: the whole context chain on one line, without a backtrace.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `println!` panics when standard output fails. A closed pipe (`dos params | head -1`) then
/// ends the program quietly with success; another failure (a full disk) is one error line and
/// exit status 1, instead of a panic message.
fn report_stdout_failures_without_panicking() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if let Some(rest) = msg.strip_prefix("failed printing to stdout: ") {
            if rest.contains("Broken pipe") {
                std::process::exit(0);
            }
            eprintln!("error: writing to standard output: {rest}");
            std::process::exit(1);
        }
        default(info);
    }));
}
