//! `dos plot`: predicted vs true DOS of chosen crystals of a run's split.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use crate::eval_cmd::{evaluate_runs, model_name, SplitArg};
use crate::plot::{energy_axis_title, plot_panels, Curve, Panel};

/// Arguments of `dos plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Run folder written by `dos train`; given several times, the ensemble of the runs
    /// (predictions averaged, as `dos eval`).
    #[arg(long, required = true)]
    pub run: Vec<PathBuf>,
    /// Crystal ids to plot (e.g. mp-1000) [default: the first 6 of the split].
    #[arg(long, num_args = 1..)]
    pub ids: Vec<String>,
    /// Split the crystals come from.
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    pub split: SplitArg,
    /// Data location [default: the one recorded in the run's config.json].
    #[arg(long)]
    pub data: Option<String>,
    /// Output file (.svg or .png).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `dos plot`.
pub fn run(args: PlotArgs) -> Result<()> {
    let device = dos_train::default_device();
    let (run, data, preds, _) =
        evaluate_runs(&args.run, args.data.as_deref(), args.split, 32, &device)?;
    let Some(target) = &preds.target else {
        bail!("the split has no true DOS to compare with");
    };
    let chosen: Vec<usize> = if args.ids.is_empty() {
        (0..preds.len().min(6)).collect()
    } else {
        args.ids
            .iter()
            .map(|id| {
                preds.ids.iter().position(|p| p == id).ok_or_else(|| {
                    anyhow::anyhow!(
                        "crystal `{id}` is not in the {} split of this run",
                        args.split
                    )
                })
            })
            .collect::<Result<_>>()?
    };
    let panels: Vec<Panel> = chosen
        .iter()
        .map(|&k| {
            let system = preds.crystal_system[k].map_or("?", |s| s.name());
            Panel {
                title: format!("{} ({system})", preds.ids[k]),
                energies: data.energies.clone(),
                curves: vec![
                    Curve {
                        label: "true".into(),
                        values: target[k].clone(),
                        band: None,
                    },
                    Curve {
                        label: model_name(&run, args.run.len()),
                        values: preds.predicted[k].clone(),
                        band: None,
                    },
                ],
            }
        })
        .collect();
    plot_panels(&args.out, &panels, energy_axis_title(run.config.task))?;
    eprintln!("plot: {}", args.out.display());
    Ok(())
}
