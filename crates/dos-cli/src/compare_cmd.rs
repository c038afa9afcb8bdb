//! `dos compare`: a table of runs like the paper's Table 1 (model, energy, MSE x10, MAE, R^2).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use dos_train::run::{read_json, METRICS_FILE};
use dos_train::RunMetrics;

use crate::eval_cmd::SplitArg;

/// Arguments of `dos compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Run folders written by `dos train`.
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Split whose metrics (from each run's metrics.json) are tabled.
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    pub split: SplitArg,
    /// Also write the table as Markdown to this file.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
}

/// Renders the Markdown table of `(name, metrics)` rows for `split`.
pub fn table(rows: &[(String, RunMetrics)], split: SplitArg) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| run | model | energy | params | epochs | MSE x10 | MAE | R^2 | s/epoch |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for (name, m) in rows {
        let sm = match split {
            SplitArg::Train => Some(&m.train),
            SplitArg::Valid => m.valid.as_ref(),
            SplitArg::Test => m.test.as_ref(),
        };
        let (mse, mae, r2) = sm.map_or(("-".into(), "-".into(), "-".into()), |x| {
            (
                format!("{:.3}", x.mse_x10),
                format!("{:.3}", x.overall.mae),
                format!("{:.3}", x.overall.r2),
            )
        });
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} | {mse} | {mae} | {r2} | {} |",
            m.model,
            if m.energy { "on" } else { "off" },
            m.parameters,
            m.epochs,
            m.seconds_per_epoch
                .map_or("-".into(), |v| format!("{v:.2}"))
        );
    }
    s
}

/// Runs `dos compare`.
pub fn run(args: CompareArgs) -> Result<()> {
    let rows = args
        .runs
        .iter()
        .map(|r| {
            let m: RunMetrics = read_json(&r.join(METRICS_FILE))
                .with_context(|| format!("{} is not a finished run folder", r.display()))?;
            Ok((r.display().to_string(), m))
        })
        .collect::<Result<Vec<_>>>()?;
    let t = table(&rows, args.split);
    print!("{t}");
    if let Some(p) = &args.markdown {
        let mut sink = crate::output::Sink::open(Some(p), &args.runs)?;
        sink.writer().write_all(t.as_bytes())?;
        sink.finish()?;
    }
    Ok(())
}
