//! `dos data edos`: process one Materials Project electron DOS document.
//!
//! Reads a pymatgen `Dos` / `CompleteDos` JSON file, runs the paper's preparation (201 points on
//! -5..5 eV around the Fermi level, Savitzky-Golay 17/1, clamp, min-max) and prints the result
//! with the document's band gap (pymatgen `get_gap` semantics) and whether it is magnetic.
//!
//! ```text
//! dos data edos --input mp-149.json --format json
//! {"grid":[-5.0,...],"dos":[...],"efermi":5.61,"band_gap":0.61,"cbm":...,"vbm":...,"net_moment":0.0,"magnetic":false}
//! ```

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use dos_data::dos::{read_dos_document, summarize_paper, EdosSummary, DEFAULT_MAGNETIC_TOL};

/// Output format of `dos data edos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EdosFormat {
    /// A few summary lines, then `energy dos` columns (energy relative to the Fermi level, eV).
    Text,
    /// One JSON object: `grid`, `dos`, `efermi`, `band_gap`, `cbm`, `vbm`, `net_moment`,
    /// `magnetic`.
    Json,
}

/// Arguments of `dos data edos`.
#[derive(Debug, Clone, Args)]
pub struct EdosArgs {
    /// pymatgen `Dos.as_dict()` / `CompleteDos.as_dict()` JSON document.
    #[arg(long)]
    pub input: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = EdosFormat::Text)]
    pub format: EdosFormat,
    /// Band-gap density tolerance, relative to the mean DOS (absolute with --abs-tol).
    #[arg(long, default_value_t = 0.001)]
    pub gap_tol: f64,
    /// Interpret --gap-tol as an absolute density (states/eV).
    #[arg(long)]
    pub abs_tol: bool,
    /// Net spin moment (muB per cell, occupied up minus down states) above which the document
    /// counts as magnetic.
    #[arg(long, default_value_t = DEFAULT_MAGNETIC_TOL)]
    pub magnetic_tol: f64,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// Processes the document named by `args` into an [`EdosSummary`] (paper pipeline).
pub fn summarize(args: &EdosArgs) -> anyhow::Result<EdosSummary> {
    let doc = read_dos_document(&args.input)?;
    Ok(summarize_paper(
        &doc,
        args.gap_tol,
        args.abs_tol,
        args.magnetic_tol,
    )?)
}

/// Renders a summary in `format`.
pub fn render(summary: &EdosSummary, format: EdosFormat) -> anyhow::Result<String> {
    Ok(match format {
        EdosFormat::Json => serde_json::to_string(summary)? + "\n",
        EdosFormat::Text => {
            let mut s = format!(
                "# efermi {:.6} eV\n# band_gap {:.6} eV (cbm {:.6}, vbm {:.6})\n# magnetic {}\n# energy_minus_efermi_ev dos\n",
                summary.efermi, summary.band_gap, summary.cbm, summary.vbm, summary.magnetic
            );
            for (e, g) in summary.grid.iter().zip(&summary.dos) {
                s.push_str(&format!("{e:.4} {g:.6}\n"));
            }
            s
        }
    })
}

/// Runs `dos data edos`.
pub fn run(args: EdosArgs) -> anyhow::Result<()> {
    let summary = summarize(&args)?;
    let text = render(&summary, args.format)?;
    // Atomic (temporary file, then rename), never over the input; a closed pipe ends quietly.
    let mut sink =
        crate::output::Sink::open(args.output.as_deref(), std::slice::from_ref(&args.input))?;
    sink.writer().write_all(text.as_bytes())?;
    sink.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_output_has_the_documented_fields() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("mp-1.json");
        let e: Vec<f64> = (0..400).map(|i| -10.0 + i as f64 * 0.05).collect();
        let g: Vec<f64> = e
            .iter()
            .map(|&x| if x.abs() > 1.0 + 1e-9 { 1.0 } else { 0.0 })
            .collect();
        let doc = serde_json::json!({"@module": "pymatgen.electronic_structure.dos",
            "@class": "Dos", "efermi": 0.0, "energies": e, "densities": {"1": g}});
        std::fs::write(&input, doc.to_string()).unwrap();
        let output = dir.path().join("out.json");
        run(EdosArgs {
            input,
            format: EdosFormat::Json,
            gap_tol: 0.001,
            abs_tol: false,
            magnetic_tol: DEFAULT_MAGNETIC_TOL,
            output: Some(output.clone()),
        })
        .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(output).unwrap()).unwrap();
        assert_eq!(v["grid"].as_array().unwrap().len(), 201);
        assert_eq!(v["dos"].as_array().unwrap().len(), 201);
        assert_eq!(v["magnetic"], false);
        assert!((v["band_gap"].as_f64().unwrap() - 2.0).abs() < 0.05);
        assert_eq!(v["efermi"], 0.0);
    }
}
