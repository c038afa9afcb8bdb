//! `dos predict`: the DOS of structure files, with its uncertainty and phonon properties,
//! from the bundled model or a model package / run folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use dos_predict::{PredictOptions, Prediction, Predictor};

use crate::model_arg::load_predictor;
use crate::output::{Format, Sink};
use crate::plot::{energy_axis_title, plot_panels, Curve, Panel};

/// Arguments of `dos predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Model package folder or `dos train` run folder [default: the bundled phonon model].
    #[arg(long, alias = "run")]
    pub model: Option<PathBuf>,
    /// Structures: CIF, POSCAR/CONTCAR/.vasp, pymatgen JSON or extended XYZ files (every CIF
    /// block and XYZ frame, ids `file:block`), folders (their structure files), glob patterns
    /// (`'cifs/*.cif'`) or `@list.txt` (one path a line).
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Output format: jsonl (one prediction a line), json (one array), csv (one row per
    /// energy), pymatgen (`PhononDos.as_dict()` a line, THz), text.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
    /// Write to this file (atomically; never over an input) instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Temperature of the phonon properties, K.
    #[arg(long, default_value_t = 300.0)]
    pub temperature: f64,
    /// Structures per model call.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Predict only shard K of N (K = 1..N): the inputs, in order, are dealt round-robin,
    /// so N array jobs cover every input exactly once.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Also plot the predicted DOS with its 90 % band (.svg or .png; the first 12).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Structure files of a folder: the names [`dos_data::io::StructureFormat::from_path`]
/// recognises, sorted.
fn folder_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && dos_data::io::StructureFormat::from_path(p).is_some())
        .collect();
    files.sort();
    Ok(files)
}

/// The input files `inputs` name, in order (folders and globs expanded, sorted).
pub fn expand_inputs(inputs: &[String]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if let Some(list) = input.strip_prefix('@') {
            let text =
                std::fs::read_to_string(list).with_context(|| format!("reading list {list}"))?;
            let base = Path::new(list).parent().unwrap_or(Path::new(""));
            for line in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                let p = PathBuf::from(line);
                out.push(if p.is_relative() { base.join(p) } else { p });
            }
        } else if Path::new(input).is_dir() {
            out.extend(folder_files(Path::new(input))?);
        } else if input.contains(['*', '?', '[']) {
            let mut matched: Vec<PathBuf> = glob::glob(input)
                .with_context(|| format!("bad glob pattern `{input}`"))?
                .filter_map(std::result::Result::ok)
                .filter(|p| p.is_file())
                .collect();
            matched.sort();
            if matched.is_empty() {
                bail!("`{input}` matches no file");
            }
            out.extend(matched);
        } else {
            out.push(PathBuf::from(input));
        }
    }
    Ok(out)
}

/// Parses `K/N` (1 <= K <= N).
pub fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let (k, n) = s
        .split_once('/')
        .with_context(|| format!("--shard `{s}`: expected K/N"))?;
    let (k, n): (usize, usize) = (
        k.trim()
            .parse()
            .with_context(|| format!("--shard `{s}`: K"))?,
        n.trim()
            .parse()
            .with_context(|| format!("--shard `{s}`: N"))?,
    );
    if n == 0 || k == 0 || k > n {
        bail!("--shard `{s}`: need 1 <= K <= N");
    }
    Ok((k, n))
}

/// The inputs of shard `k` of `n`: positions k-1, k-1+n, k-1+2n, ...
pub fn shard<T: Clone>(items: &[T], k: usize, n: usize) -> Vec<T> {
    items.iter().skip(k - 1).step_by(n).cloned().collect()
}

/// pymatgen `PhononDos.as_dict()` of a prediction ([`Prediction::phonon_dos_thz`]).
pub fn pymatgen_phonon_dos(p: &Prediction) -> serde_json::Value {
    let (freqs, densities) = p.phonon_dos_thz();
    serde_json::json!({
        "@module": "pymatgen.phonon.dos",
        "@class": "PhononDos",
        "frequencies": freqs,
        "densities": densities,
    })
}

fn write_prediction(w: &mut dyn Write, p: &Prediction, format: Format, first: bool) -> Result<()> {
    match format {
        Format::Jsonl => writeln!(w, "{}", serde_json::to_string(p)?)?,
        Format::Json => write!(
            w,
            "{}{}",
            if first { "[\n" } else { ",\n" },
            serde_json::to_string(p)?
        )?,
        Format::Pymatgen => writeln!(w, "{}", pymatgen_phonon_dos(p))?,
        Format::Csv => {
            if first {
                writeln!(
                    w,
                    "id,formula,space_group,crystal_system,energy,unit,mean,std"
                )?;
            }
            for (j, (e, m)) in p.energies.iter().zip(&p.mean).enumerate() {
                let s = p.std.as_ref().map_or(String::new(), |s| s[j].to_string());
                let sg = p.space_group.map_or(String::new(), |g| g.to_string());
                writeln!(
                    w,
                    "{},{},{sg},{},{e},{},{m},{s}",
                    csv_field(&p.id),
                    p.formula,
                    p.crystal_system_name(),
                    p.energy_unit
                )?;
            }
        }
        Format::Text => {
            let sg = p.space_group.map_or("?".to_string(), |g| g.to_string());
            write!(
                w,
                "{}: {} ({} atoms), space group {sg}, {}; {} member(s)",
                p.id,
                p.formula,
                p.n_atoms,
                p.crystal_system_name(),
                p.members
            )?;
            if let Some(pr) = &p.properties {
                write!(
                    w,
                    "; at {} K: Cv {} J/(mol K), S {} J/(mol K), F {} eV/atom, ZPE {} eV/atom",
                    pr.temperature_k,
                    pr.heat_capacity_j_per_mol_k,
                    pr.entropy_j_per_mol_k,
                    pr.free_energy_ev_per_atom,
                    pr.zero_point_energy_ev_per_atom
                )?;
            }
            if let Some(pct) = p.spread_percentile {
                write!(w, "; member spread above {pct:.0} % of validation crystals")?;
            }
            writeln!(w)?;
            for note in &p.notes {
                writeln!(w, "  note: {note}")?;
            }
        }
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Runs `dos predict`.
pub fn run(args: PredictArgs) -> Result<()> {
    let device = dos_train::default_device();
    let predictor = load_predictor(args.model.as_deref(), &device)?;
    let mut files = expand_inputs(&args.inputs)?;
    if let Some(s) = &args.shard {
        let (k, n) = parse_shard(s)?;
        files = shard(&files, k, n);
    }
    if files.is_empty() {
        bail!("no input structure");
    }
    if args.format == Format::Pymatgen && predictor.manifest().task != dos_models::Task::Phonon {
        bail!("--format pymatgen writes PhononDos documents: phonon models only");
    }
    let opts = PredictOptions {
        temperature: args.temperature,
        batch_size: args.batch_size,
    };
    let mut sink = Sink::open(args.out.as_deref(), &files)?;
    let progress = (!args.quiet && files.len() > 64).then(|| {
        let bar = indicatif::ProgressBar::new(files.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} structures {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let (mut n_ok, mut n_bad) = (0usize, 0usize);
    let mut plotted: Vec<Prediction> = Vec::new();
    // Streamed: a few batches are read, predicted and written at a time.
    for chunk in files.chunks(args.batch_size.max(1) * 8) {
        for result in predictor.predict_files(chunk, &opts)? {
            match result {
                Ok(p) => {
                    write_prediction(sink.writer(), &p, args.format, n_ok == 0)?;
                    if args.plot.is_some() && plotted.len() < 12 {
                        plotted.push(p);
                    }
                    n_ok += 1;
                }
                Err(e) => {
                    n_bad += 1;
                    if let Some(bar) = &progress {
                        bar.suspend(|| eprintln!("error: {e}"));
                    } else {
                        eprintln!("error: {e}");
                    }
                }
            }
        }
        if let Some(bar) = &progress {
            bar.inc(chunk.len() as u64);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if args.format == Format::Json {
        writeln!(sink.writer(), "{}", if n_ok == 0 { "[]" } else { "\n]" })?;
    }
    sink.finish()?;
    if let Some(out) = &args.out {
        eprintln!("wrote {n_ok} predictions to {}", out.display());
    }
    if let Some(plot) = &args.plot {
        plot_predictions(plot, &plotted, &predictor)?;
    }
    if n_bad > 0 {
        bail!(
            "{n_bad} of {} structures failed (see the error lines above)",
            n_ok + n_bad
        );
    }
    Ok(())
}

fn plot_predictions(path: &Path, preds: &[Prediction], predictor: &Predictor) -> Result<()> {
    let panels: Vec<Panel> = preds
        .iter()
        .map(|p| Panel {
            title: format!("{} {} ({})", p.id, p.formula, p.crystal_system_name()),
            energies: p.energies.clone(),
            curves: vec![Curve {
                label: "predicted (90 % band)".into(),
                values: p.mean.clone(),
                band: p.interval_90(),
            }],
        })
        .collect();
    plot_panels(path, &panels, energy_axis_title(predictor.manifest().task))?;
    eprintln!("plot: {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_inputs() {
        let items: Vec<usize> = (0..10).collect();
        let mut all: Vec<usize> = (1..=3).flat_map(|k| shard(&items, k, 3)).collect();
        all.sort();
        assert_eq!(all, items);
        assert_eq!(shard(&items, 2, 3), vec![1, 4, 7]);
        assert_eq!(parse_shard("2/3").unwrap(), (2, 3));
        for bad in ["0/3", "4/3", "1/0", "x", "1-2"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn inputs_expand_folders_globs_and_lists() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in ["b.cif", "a.cif", "POSCAR", "notes.txt"] {
            std::fs::write(d.join(name), "x").unwrap();
        }
        let got = expand_inputs(&[d.display().to_string()]).unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["POSCAR", "a.cif", "b.cif"]);
        let glob = expand_inputs(&[format!("{}/*.cif", d.display())]).unwrap();
        assert_eq!(glob, vec![d.join("a.cif"), d.join("b.cif")]);
        std::fs::write(d.join("list.txt"), "b.cif\n# comment\n\na.cif\n").unwrap();
        let list = expand_inputs(&[format!("@{}", d.join("list.txt").display())]).unwrap();
        assert_eq!(list, vec![d.join("b.cif"), d.join("a.cif")]);
        assert!(expand_inputs(&[format!("{}/*.xyz", d.display())]).is_err());
    }
}
