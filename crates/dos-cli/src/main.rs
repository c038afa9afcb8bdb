//! `dos`: the dos-rs command-line tool.
//!
//! Subcommands live in their own files; this file only declares them and dispatches.

mod data_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data(cmd) => data_cmd::run(cmd),
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
