//! `dos predict`: the DOS of structure files from a trained run.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use dos_train::{load_run, predict_structures};

use crate::plot::{plot_panels, Curve, Panel};

/// Arguments of `dos predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Run folder written by `dos train`.
    #[arg(long)]
    pub run: PathBuf,
    /// Structure files: CIF, POSCAR/CONTCAR/.vasp or pymatgen Structure JSON.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write predictions to this file (.csv: one row per energy per structure; .json) instead
    /// of printing JSON lines.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also plot the predicted DOS (.svg or .png).
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// Runs `dos predict`.
pub fn run(args: PredictArgs) -> Result<()> {
    let device = dos_train::default_device();
    let run = load_run(&args.run, &device)
        .with_context(|| format!("reading run folder {}", args.run.display()))?;
    let crystals = args
        .files
        .iter()
        .map(|f| {
            let c = dos_data::io::read_structure(f)
                .with_context(|| format!("reading {}", f.display()))?;
            let id = f.file_name().map_or_else(
                || f.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            Ok((id, c))
        })
        .collect::<Result<Vec<_>>>()?;
    let preds = predict_structures(&run, crystals, &device)?;
    match &args.out {
        None => {
            for p in &preds {
                println!("{}", serde_json::to_string(p)?);
            }
        }
        Some(path) => {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            let text = match ext {
                "json" => serde_json::to_string_pretty(&preds)?,
                "csv" => {
                    let mut s = String::from("id,formula,space_group,crystal_system,energy,dos\n");
                    for p in &preds {
                        for (e, d) in p.energies.iter().zip(&p.dos) {
                            s.push_str(&format!(
                                "{},{},{},{},{e},{d}\n",
                                p.id, p.formula, p.space_group, p.crystal_system
                            ));
                        }
                    }
                    s
                }
                other => bail!("--out must end in .csv or .json, not `.{other}`"),
            };
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} predictions to {}", preds.len(), path.display());
        }
    }
    if let Some(plot) = &args.plot {
        let panels: Vec<Panel> = preds
            .iter()
            .map(|p| Panel {
                title: format!("{} {} ({})", p.id, p.formula, p.crystal_system),
                energies: p.energies.clone(),
                curves: vec![Curve {
                    label: "predicted".into(),
                    values: p.dos.clone(),
                }],
            })
            .collect();
        plot_panels(plot, &panels, &crate::plot_cmd::x_label(run.config.task))?;
        eprintln!("plot: {}", plot.display());
    }
    Ok(())
}
