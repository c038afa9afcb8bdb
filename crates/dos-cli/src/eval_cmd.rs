//! `dos eval`: score the bundled model, a model package or run folders on a split.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use candle_core::Device;
use clap::{Args, ValueEnum};
use dos_data::dataset::Dataset;
use dos_data::symmetry::system_name;
use dos_metrics::CrystalErrors;
use dos_models::Task;
use dos_train::run::{evaluate_indices, split_metrics};
use dos_train::{load_run, LoadedRun, Predictions, SplitMetrics};

use crate::output::Sink;
use crate::train_cmd::{load_data, DataArgs};
use dos_train::training_data::electron_file;

/// A split of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// Training crystals.
    Train,
    /// Validation crystals.
    Valid,
    /// Test crystals.
    Test,
}

impl std::fmt::Display for SplitArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SplitArg::Train => "train",
            SplitArg::Valid => "valid",
            SplitArg::Test => "test",
        })
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Human-readable lines.
    Text,
    /// One JSON object (overall, per crystal system, per number of species).
    Json,
}

/// Arguments of `dos eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Run folder written by `dos train`. Given several times, the runs' predictions are
    /// averaged point by point and the ensemble is scored (the runs must share the task and
    /// the split, e.g. seeds of one command).
    #[arg(long)]
    pub run: Vec<PathBuf>,
    /// Model package folder to score instead of run folders [default, with no --run: the
    /// bundled phonon model on the embedded benchmark]. The split is the data's own (or
    /// --split); ensembles also report the coverage of their calibrated 90 % interval.
    #[arg(long, conflicts_with = "run")]
    pub model: Option<PathBuf>,
    /// Folder with idx_{train,valid,test}.txt for --model [default: the data's split].
    #[arg(long, requires = "model")]
    pub split_dir: Option<PathBuf>,
    /// Which split to score.
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    pub split: SplitArg,
    /// Data location [default: the one recorded in the run's config.json].
    #[arg(long)]
    pub data: Option<String>,
    /// Crystals per inference batch (results do not depend on it).
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// Electron runs: also the band gap and Fermi level of each predicted DOS against its
    /// target DOS (same formulas, see `dos_metrics::electron_properties`) and against the band
    /// gap the generator recorded, when the data file has one.
    #[arg(long)]
    pub properties: bool,
    /// Density (of the min-max normalised DOS) above which a state counts, for band edges.
    #[arg(long, default_value_t = 0.05)]
    pub gap_threshold: f64,
    /// Temperature (K) of the heat capacity and entropy scored for a phonon model package
    /// (with the mean frequency, from the ensemble-mean DOS against the true DOS).
    #[arg(long, default_value_t = 300.0)]
    pub temperature: f64,
    /// Model packages: also write one CSV row per crystal (id, crystal system, MSE x10, MAE,
    /// spread percentile) to this file.
    #[arg(long, requires = "model")]
    pub per_crystal: Option<PathBuf>,
}

/// Errors of the crystals whose spread percentile (the out-of-distribution signal of
/// [`dos_predict::Prediction::spread_percentile`]) falls in `[from, to)` (the last band
/// includes 100).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SpreadBand {
    /// Lower bound (percent).
    pub from: f64,
    /// Upper bound (percent).
    pub to: f64,
    /// Crystals in the band.
    pub n_crystals: usize,
    /// Their MSE x10.
    pub mse_x10: f64,
    /// Their MAE.
    pub mae: f64,
}

/// Bands 0-50, 50-90, 90-95, 95-100 of the spread percentile with their errors.
fn spread_bands(errors: &[CrystalErrors], percentiles: &[f64]) -> Vec<SpreadBand> {
    [(0.0, 50.0), (50.0, 90.0), (90.0, 95.0), (95.0, 100.0)]
        .into_iter()
        .map(|(from, to)| {
            let inside: Vec<&CrystalErrors> = errors
                .iter()
                .zip(percentiles)
                .filter(|(_, &p)| p >= from && (p < to || to == 100.0))
                .map(|(e, _)| e)
                .collect();
            let n = inside.len().max(1) as f64;
            SpreadBand {
                from,
                to,
                n_crystals: inside.len(),
                mse_x10: 10.0 * inside.iter().map(|e| e.mse).sum::<f64>() / n,
                mae: inside.iter().map(|e| e.mae).sum::<f64>() / n,
            }
        })
        .collect()
}

/// Band gap and Fermi level errors of an electron split (`dos eval --properties`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ElectronPropertyReport {
    /// Crystals scored (both band edges inside the window for prediction and target).
    pub n_crystals: usize,
    /// Crystals left out because the predicted DOS holds fewer states in the whole window
    /// than the target below its Fermi level (the predicted Fermi level is off the grid).
    pub n_fermi_above_window: usize,
    /// Band-edge threshold used.
    pub gap_threshold: f64,
    /// Mean |gap(predicted DOS) - gap(target DOS)|, eV.
    pub gap_mae_vs_target_dos: f64,
    /// Mean |E_F(predicted DOS) - E_F(target DOS)|, eV (electron count of the target).
    pub fermi_mae_vs_target_dos: f64,
    /// Fraction of crystals whose metal (gap 0) / insulator call agrees with the target DOS.
    pub metal_agreement_vs_target_dos: f64,
    /// Crystals with a generator band gap on record.
    pub n_with_generator_gap: usize,
    /// Mean |gap(predicted DOS) - generator gap|, eV.
    pub gap_mae_vs_generator: Option<f64>,
    /// Mean |gap(target DOS) - generator gap|, eV: what the threshold method itself loses.
    pub target_dos_gap_mae_vs_generator: Option<f64>,
    /// Fraction of crystals the generator calls insulators (gap > 0).
    pub generator_insulator_fraction: Option<f64>,
}

/// Scores the band gap and Fermi level of `preds` (an electron split) on the 201-point grid;
/// `generator_gaps` maps crystal ids to the generator's band gap.
pub fn electron_property_report(
    preds: &Predictions,
    generator_gaps: &std::collections::HashMap<String, f64>,
    threshold: f64,
) -> Result<ElectronPropertyReport> {
    let energies = dos_predict::EnergyGrid::electron().values;
    let target = preds
        .target
        .as_ref()
        .context("the split has no target DOS to compare with")?;
    let (mut n, mut gap_err, mut ef_err, mut agree) = (0usize, 0.0, 0.0, 0usize);
    let (mut n_gen, mut gen_err, mut tgen_err, mut gen_ins) = (0usize, 0.0, 0.0, 0usize);
    let mut n_short = 0usize;
    let top = energies[energies.len() - 1];
    for ((id, p), t) in preds.ids.iter().zip(&preds.predicted).zip(target) {
        let count = |dos: &[f64], mu: f64| {
            dos_metrics::electron_count(&energies, dos, mu, dos_metrics::Smearing::None)
                .with_context(|| format!("crystal {id}"))
        };
        if count(p, top)? < count(t, 0.0)? {
            // The predicted DOS holds fewer states in the window than the target has below
            // E_F: its Fermi level lies above the window.
            n_short += 1;
            continue;
        }
        let (pp, tp) = dos_metrics::predicted_electron_properties(&energies, p, t, 0.0, threshold)
            .with_context(|| format!("crystal {id}"))?;
        let (Some(pg), Some(tg)) = (pp.gap(), tp.gap()) else {
            continue;
        };
        n += 1;
        gap_err += (pg - tg).abs();
        ef_err += (pp.fermi_level - tp.fermi_level).abs();
        agree += usize::from((pg > 0.0) == (tg > 0.0));
        if let Some(&g) = generator_gaps.get(id) {
            n_gen += 1;
            gen_err += (pg - g).abs();
            tgen_err += (tg - g).abs();
            gen_ins += usize::from(g > 0.0);
        }
    }
    anyhow::ensure!(n > 0, "no crystal has both band edges inside the window");
    let per = |x: f64, k: usize| (k > 0).then(|| x / k as f64);
    Ok(ElectronPropertyReport {
        n_crystals: n,
        n_fermi_above_window: n_short,
        gap_threshold: threshold,
        gap_mae_vs_target_dos: gap_err / n as f64,
        fermi_mae_vs_target_dos: ef_err / n as f64,
        metal_agreement_vs_target_dos: agree as f64 / n as f64,
        n_with_generator_gap: n_gen,
        gap_mae_vs_generator: per(gen_err, n_gen),
        target_dos_gap_mae_vs_generator: per(tgen_err, n_gen),
        generator_insulator_fraction: per(gen_ins as f64, n_gen),
    })
}

/// Band gaps the generator recorded in the electron data file of a run, by crystal id (empty
/// when the file is not a generated data set).
fn generator_gaps(data: &str) -> std::collections::HashMap<String, f64> {
    dos_data::io::read_electron_dataset(electron_file(Path::new(data)))
        .map(|records| {
            records
                .into_iter()
                .filter_map(|r| r.band_gap.map(|g| (r.id, g)))
                .collect()
        })
        .unwrap_or_default()
}

/// Loads a run folder and the data it was trained on (or `data` instead).
pub fn load_run_with_data(
    run_dir: &Path,
    data: Option<&str>,
    device: &Device,
) -> Result<(LoadedRun, Dataset)> {
    let run = load_run(run_dir, device)
        .with_context(|| format!("reading run folder {}", run_dir.display()))?;
    let args = DataArgs {
        task: run.config.task.into(),
        data: data.map_or_else(|| run.config.data.clone(), str::to_string),
        split: Some(run_dir.join(dos_train::run::SPLIT_DIR)),
    };
    // Graphs are built with the settings the run was trained with.
    let dataset = load_data(&args, run.config.train.seed, &run.config.graph)?.dataset;
    Ok((run, dataset))
}

/// Indices of `split` in a run.
pub fn split_indices(run: &LoadedRun, split: SplitArg) -> &[usize] {
    match split {
        SplitArg::Train => &run.split.train,
        SplitArg::Valid => &run.split.valid,
        SplitArg::Test => &run.split.test,
    }
}

/// Predicts and scores one split of a run.
pub fn evaluate_split(
    run: &LoadedRun,
    data: &Dataset,
    split: SplitArg,
    batch_size: usize,
    device: &Device,
) -> Result<(Predictions, SplitMetrics)> {
    let idx = split_indices(run, split);
    anyhow::ensure!(!idx.is_empty(), "the {split} split of this run is empty");
    Ok(evaluate_indices(
        &run.model.model,
        data,
        idx,
        device,
        run.config.model.precision().dtype(),
        batch_size,
    )?)
}

/// Label of a run's model, or of an ensemble of `n_runs` runs of it.
pub fn model_name(run: &LoadedRun, n_runs: usize) -> String {
    let kind = run.config.model.family_name();
    if n_runs > 1 {
        format!("ensemble of {n_runs} runs, {kind}")
    } else {
        kind.to_string()
    }
}

/// Predicts and scores one split with one run, or with the ensemble of several (their
/// predictions averaged point by point; the runs must share the task and the split). Returns
/// the first run, the data, the predictions and the metrics.
pub fn evaluate_runs(
    run_dirs: &[PathBuf],
    data: Option<&str>,
    split: SplitArg,
    batch_size: usize,
    device: &Device,
) -> Result<(LoadedRun, Dataset, Predictions, SplitMetrics)> {
    let (first_dir, others) = run_dirs.split_first().context("--run is required")?;
    let (run, data) = load_run_with_data(first_dir, data, device)?;
    let (preds, m) = evaluate_split(&run, &data, split, batch_size, device)?;
    if others.is_empty() {
        return Ok((run, data, preds, m));
    }
    let mut members = vec![preds];
    for dir in others {
        let other = load_run(dir, device)
            .with_context(|| format!("reading run folder {}", dir.display()))?;
        anyhow::ensure!(
            other.config.task == run.config.task
                && split_indices(&other, split) == split_indices(&run, split),
            "{} has another task or {split} split than {}: an ensemble needs the same crystals",
            dir.display(),
            first_dir.display()
        );
        members.push(evaluate_split(&other, &data, split, batch_size, device)?.0);
    }
    let (preds, _) = Predictions::ensemble(members)?;
    let samples: Vec<_> = split_indices(&run, split)
        .iter()
        .map(|&i| &data.samples[i])
        .collect();
    let m = split_metrics(&preds, &samples)?;
    Ok((run, data, preds, m))
}

/// Prints one line of errors per crystal system of `m`.
fn print_by_crystal_system(m: &SplitMetrics) {
    for (k, s) in &m.by_crystal_system {
        println!(
            "  {k:<13} n {:>4}  MSE x10 {:.4}  MAE {:.4}  R2 {:.4}",
            s.n_crystals,
            10.0 * s.mse,
            s.mae,
            s.r2
        );
    }
}

/// The property errors of `dos eval` on a phonon package, overall and per crystal system.
fn print_phonon_properties(p: &dos_metrics::GroupedPhononPropertyErrors) {
    let o = &p.overall;
    println!(
        "properties from the ensemble-mean DOS against the true DOS ({} crystals): MAE of C_v({} K) {:.3} J/(K mol), S({} K) {:.3} J/(K mol), mean frequency {:.1} cm^-1",
        o.n_crystals,
        o.temperature_k,
        o.heat_capacity_j_per_mol_k.mae,
        o.temperature_k,
        o.entropy_j_per_mol_k.mae,
        o.mean_frequency_cm.mae
    );
    for (k, s) in &p.by_group {
        println!(
            "  {k:<13} n {:>4}  C_v MAE {:.3}  S MAE {:.3}  mean frequency MAE {:.1}",
            s.n_crystals,
            s.heat_capacity_j_per_mol_k.mae,
            s.entropy_j_per_mol_k.mae,
            s.mean_frequency_cm.mae
        );
    }
    if p.n_unscored > 0 {
        println!(
            "  ({} crystals left out: their predicted DOS has no positive weight)",
            p.n_unscored
        );
    }
}

/// Scores a model package (or the bundled model) on a split of its data.
fn run_package(args: &EvalArgs) -> Result<()> {
    let device = dos_train::default_device();
    let predictor = crate::model_arg::load_predictor(args.model.as_deref(), &device)?;
    let m = predictor.manifest();
    anyhow::ensure!(
        !args.properties,
        "--properties needs run folders (--run), which record the electron data file"
    );
    let data = args
        .data
        .clone()
        .unwrap_or_else(|| m.provenance.data.clone());
    let loaded = load_data(
        &DataArgs {
            task: m.task.into(),
            data: data.clone(),
            split: args.split_dir.clone(),
        },
        0,
        &m.graph,
    )
    .with_context(|| format!("loading the data of {}", predictor.source()))?;
    let idx = match args.split {
        SplitArg::Train => &loaded.split.train,
        SplitArg::Valid => &loaded.split.valid,
        SplitArg::Test => &loaded.split.test,
    };
    anyhow::ensure!(
        !idx.is_empty(),
        "the {} split of {data} is empty",
        args.split
    );
    let e = dos_train::evaluate_predictor(&predictor, &loaded.dataset, idx, args.batch_size)?;
    let split_name = args.split.to_string();
    let errors = e
        .predictions
        .target
        .as_ref()
        .map(|t| dos_metrics::per_crystal_errors(&e.predictions.predicted, t))
        .transpose()?
        .unwrap_or_default();
    let percentiles: Option<Vec<f64>> = m
        .calibration
        .as_ref()
        .zip(e.spread.as_ref())
        .and_then(|(c, spread)| spread.iter().map(|s| c.spread_percentile(s)).collect());
    let bands = percentiles.as_ref().map(|p| spread_bands(&errors, p));
    if let Some(path) = &args.per_crystal {
        let mut sink = Sink::open(Some(path), &[])?;
        let w = sink.writer();
        writeln!(w, "id,crystal_system,mse_x10,mae,spread_percentile")?;
        for (k, c) in errors.iter().enumerate() {
            let system = system_name(e.predictions.crystal_system[k]);
            let pct = percentiles
                .as_ref()
                .map_or(String::new(), |p| format!("{:.2}", p[k]));
            writeln!(
                w,
                "{},{system},{:.6},{:.6},{pct}",
                e.predictions.ids[k],
                10.0 * c.mse,
                c.mae
            )?;
        }
        sink.finish()?;
    }
    let properties = match (m.task, &e.predictions.target) {
        (Task::Phonon, Some(target)) => {
            let n_atoms: Vec<usize> = idx
                .iter()
                .map(|&i| loaded.dataset.samples[i].crystal.n_atoms())
                .collect();
            let systems: Vec<&str> = e
                .predictions
                .crystal_system
                .iter()
                .map(|&s| system_name(s))
                .collect();
            Some(dos_metrics::phonon_property_errors(
                &loaded.dataset.energies,
                &e.predictions.predicted,
                target,
                &n_atoms,
                &systems,
                args.temperature,
            )?)
        }
        _ => None,
    };
    match args.format {
        FormatArg::Json => {
            let mut v = serde_json::to_value(&e.metrics)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("model".into(), predictor.source().into());
                o.insert("members".into(), e.members.into());
                o.insert("split".into(), split_name.into());
                o.insert("mae".into(), e.metrics.overall.mae.into());
                o.insert("r2".into(), e.metrics.overall.r2.into());
                o.insert("coverage_90".into(), e.coverage_90.into());
                o.insert("seconds".into(), e.predictions.seconds.into());
                if let Some(p) = &properties {
                    o.insert("phonon_properties".into(), serde_json::to_value(p)?);
                }
                if let Some(b) = &bands {
                    o.insert("by_spread_percentile".into(), serde_json::to_value(b)?);
                }
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        FormatArg::Text => {
            println!(
                "{} ({} member(s)) {split_name} split of {data}: {} crystals, MSE x10 {:.4}, MAE {:.4}, R2 {:.4}{} ({:.3} s inference)",
                predictor.source(),
                e.members,
                e.metrics.overall.n_crystals,
                e.metrics.mse_x10,
                e.metrics.overall.mae,
                e.metrics.overall.r2,
                e.coverage_90.map_or_else(
                    || ", no spread (single model)".to_string(),
                    |c| format!(", 90 % interval coverage {c:.4}")
                ),
                e.predictions.seconds
            );
            print_by_crystal_system(&e.metrics);
            if let Some(p) = &properties {
                print_phonon_properties(p);
            }
            if let Some(bands) = &bands {
                println!("by spread percentile (the out-of-distribution signal):");
                for b in bands {
                    println!(
                        "  {:>3.0}-{:<3.0} %     n {:>4}  MSE x10 {:.4}  MAE {:.4}",
                        b.from, b.to, b.n_crystals, b.mse_x10, b.mae
                    );
                }
            }
        }
    }
    Ok(())
}

/// Runs `dos eval`.
pub fn run(args: EvalArgs) -> Result<()> {
    if args.run.is_empty() {
        return run_package(&args);
    }
    let device = dos_train::default_device();
    let (run, _, preds, m) = evaluate_runs(
        &args.run,
        args.data.as_deref(),
        args.split,
        args.batch_size,
        &device,
    )?;
    let name = model_name(&run, args.run.len());
    let properties = if args.properties {
        anyhow::ensure!(
            run.config.task == Task::Electron,
            "--properties is for electron runs (phonon properties: see dos_metrics::phonon)"
        );
        let data_path = args.data.as_deref().unwrap_or(&run.config.data);
        Some(electron_property_report(
            &preds,
            &generator_gaps(data_path),
            args.gap_threshold,
        )?)
    } else {
        None
    };
    match args.format {
        FormatArg::Json => {
            let mut v = serde_json::to_value(&m)?;
            if let Some(o) = v.as_object_mut() {
                if let Some(p) = &properties {
                    o.insert("electron_properties".into(), serde_json::to_value(p)?);
                }
                o.insert("split".into(), args.split.to_string().into());
                o.insert("seconds".into(), preds.seconds.into());
                o.insert("runs".into(), args.run.len().into());
                o.insert("mae".into(), m.overall.mae.into());
                o.insert("r2".into(), m.overall.r2.into());
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        FormatArg::Text => {
            println!(
                "{} {} split: {} crystals, MSE x10 {:.4}, MAE {:.4}, RMSE {:.4}, R2 {:.4} ({:.3} s inference)",
                name,
                args.split,
                m.overall.n_crystals,
                m.mse_x10,
                m.overall.mae,
                m.overall.rmse,
                m.overall.r2,
                preds.seconds
            );
            print_by_crystal_system(&m);
            if let Some(p) = &properties {
                println!(
                    "band gap / Fermi level (threshold {}; {} crystals, {} left out with the predicted E_F above the window): gap MAE {:.3} eV, E_F MAE {:.3} eV, metal/insulator agreement {:.3} (vs target DOS)",
                    p.gap_threshold,
                    p.n_crystals,
                    p.n_fermi_above_window,
                    p.gap_mae_vs_target_dos,
                    p.fermi_mae_vs_target_dos,
                    p.metal_agreement_vs_target_dos
                );
                if let (Some(a), Some(b), Some(f)) = (
                    p.gap_mae_vs_generator,
                    p.target_dos_gap_mae_vs_generator,
                    p.generator_insulator_fraction,
                ) {
                    println!(
                        "  vs generator gaps ({} crystals, {:.1} % insulators): predicted {:.3} eV, target DOS {:.3} eV MAE",
                        p.n_with_generator_gap,
                        100.0 * f,
                        a,
                        b
                    );
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A perfect prediction scores zero error; a prediction too empty to hold the target's
    /// electrons is counted apart instead of failing the report.
    #[test]
    fn property_report_scores_and_counts_unplaceable_predictions() {
        let e = dos_predict::EnergyGrid::electron().values;
        let metal: Vec<f64> = e.iter().map(|x| 1.0 - (x / 5.0).powi(2)).collect();
        let preds = Predictions {
            ids: vec!["a".into(), "b".into()],
            crystal_system: vec![Some(dos_data::symmetry::CrystalSystem::Cubic); 2],
            predicted: vec![metal.clone(), vec![0.0; e.len()]],
            target: Some(vec![metal.clone(), metal]),
            seconds: 0.0,
        };
        let gaps = std::collections::HashMap::from([("a".to_string(), 0.0)]);
        let r = electron_property_report(&preds, &gaps, 0.05).unwrap();
        assert_eq!((r.n_crystals, r.n_fermi_above_window), (1, 1));
        assert_eq!(r.gap_mae_vs_target_dos, 0.0);
        assert!(r.fermi_mae_vs_target_dos < 1e-9);
        assert_eq!(r.metal_agreement_vs_target_dos, 1.0);
        assert_eq!(r.n_with_generator_gap, 1);
        assert_eq!(r.gap_mae_vs_generator, Some(0.0));
        assert_eq!(r.generator_insulator_fraction, Some(0.0));
    }

    #[test]
    fn spread_bands_split_crystals_by_percentile() {
        let errors = dos_metrics::per_crystal_errors(
            &[vec![1.0, 1.0], vec![0.0, 2.0], vec![0.0, 0.0]],
            &[vec![0.0, 0.0], vec![0.0, 0.0], vec![0.0, 0.0]],
        )
        .unwrap();
        let mse_mae: Vec<(f64, f64)> = errors.iter().map(|c| (c.mse, c.mae)).collect();
        assert_eq!(mse_mae, vec![(1.0, 1.0), (2.0, 1.0), (0.0, 0.0)]);
        let bands = spread_bands(&errors, &[10.0, 100.0, 95.0]);
        let n: Vec<usize> = bands.iter().map(|b| b.n_crystals).collect();
        assert_eq!(
            n,
            vec![1, 0, 0, 2],
            "100 falls in the last band, 95 starts it"
        );
        assert_eq!(bands[0].mse_x10, 10.0);
        assert_eq!(bands[3].mse_x10, 10.0);
        assert_eq!(bands[3].mae, 0.5);
    }
}
