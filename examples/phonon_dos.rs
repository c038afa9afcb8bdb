//! The main job: the bundled pretrained phonon model on the real benchmark, end to end.
//!
//! ```text
//! cargo run --release --example phonon_dos            # no download, no environment variable
//! ```
//!
//! 1. Scores the bundled DOSTransformer ensemble on the test split of the phonon benchmark
//!    embedded in `dos-data` (189 crystals, never used for training or model choice) and prints
//!    a Table-1-style table with the paper's rows beside ours, the coverage of the calibrated
//!    90 % interval and the errors per crystal system.
//! 2. Plots six test crystals, true DOS against the prediction with its 90 % band
//!    (`target/phonon_dos/test_crystals.svg`).
//! 3. Predicts a shipped CIF (rock-salt NaCl) with its phonon properties at 300 K.
//! 4. Trains a small DOSTransformer (d 32) on the real training split for about 30 s, to show
//!    training works; its score is that of a 30-second model, not a result.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use dos::models::{ArchOverrides, ModelKind, Task};
use dos::predict::{bundled, PredictOptions, Predictor};
use dos::train::{evaluate_predictor, LrSchedule, Training, TrainingData};
use plotters::prelude::*;

/// The paper's Table 1 (phonon, with energy embeddings): MSE x10, MAE, R^2.
const PAPER: [(&str, f64, f64, f64); 4] = [
    ("MLP", 0.251, 0.099, 0.652),
    ("Graph Network", 0.226, 0.092, 0.685),
    ("E3NN", 0.200, 0.074, 0.724),
    ("DOSTransformer", 0.191, 0.071, 0.733),
];

fn main() -> Result<()> {
    dos::nn::prefer_serial_elementwise();
    dos::nn::fix_matmul_thread_count();
    let device = dos::train::default_device();
    let out_dir = Path::new("target/phonon_dos");
    std::fs::create_dir_all(out_dir)?;

    // 1. The bundled model on the embedded benchmark's test split.
    let t = Instant::now();
    let predictor = Predictor::bundled(&device)?;
    let bench = TrainingData::load(Task::Phonon, "benchmark", &predictor.manifest().graph, 0)?;
    let split = &bench.split;
    let data = &bench.dataset;
    println!(
        "bundled model: {} members; benchmark: {} crystals, split {}/{}/{} (loaded in {:.1} s)",
        predictor.n_members(),
        data.len(),
        split.train.len(),
        split.valid.len(),
        split.test.len(),
        t.elapsed().as_secs_f64()
    );
    let e = evaluate_predictor(&predictor, data, &split.test, 32)?;
    println!("\nPhonon DOS, test split (189 crystals), MSE x10 / MAE / R^2:");
    println!(
        "| {:<36} | {:>7} | {:>6} | {:>6} |",
        "model", "MSE x10", "MAE", "R^2"
    );
    println!("|{:-<38}|{:-<9}|{:-<8}|{:-<8}|", "", "", "", "");
    for (name, mse, mae, r2) in PAPER {
        println!(
            "| {:<36} | {mse:>7.3} | {mae:>6.3} | {r2:>6.3} |",
            format!("paper: {name}")
        );
    }
    let package = bundled::package()?;
    for k in 0..predictor.n_members() {
        let single = Predictor::from_package(package.member(k)?, &device)?;
        let s = evaluate_predictor(&single, data, &split.test, 32)?;
        println!(
            "| {:<36} | {:>7.3} | {:>6.3} | {:>6.3} |",
            format!("dos-rs: DOSTransformer member {k}"),
            s.metrics.mse_x10,
            s.metrics.overall.mae,
            s.metrics.overall.r2
        );
    }
    println!(
        "| {:<36} | {:>7.3} | {:>6.3} | {:>6.3} |",
        format!("dos-rs: bundled ensemble ({} members)", e.members),
        e.metrics.mse_x10,
        e.metrics.overall.mae,
        e.metrics.overall.r2
    );
    if let (Some(c), Some(cal)) = (e.coverage_90, &predictor.manifest().calibration) {
        println!(
            "\n90 % interval (mean +- 1.645 x {:.2} x member spread, scale fitted on validation): covers {:.1} % of the {} test points",
            cal.scale,
            100.0 * c,
            e.metrics.overall.n_crystals * predictor.energy_grid().len()
        );
    }
    println!("\nper crystal system (ensemble):");
    for (system, s) in &e.metrics.by_crystal_system {
        println!(
            "  {system:<13} n {:>3}  MSE x10 {:.3}  MAE {:.3}  R^2 {:.3}",
            s.n_crystals,
            10.0 * s.mse,
            s.mae,
            s.r2
        );
    }

    // 2. Six test crystals with their bands.
    let plot_path = out_dir.join("test_crystals.svg");
    let spread = e.spread.as_ref().context("an ensemble has a spread")?;
    let scale = predictor
        .manifest()
        .calibration
        .as_ref()
        .map_or(1.0, |c| c.scale);
    let target = e.predictions.target.as_ref().context("targets")?;
    let picks: Vec<usize> = (0..6).map(|k| k * split.test.len() / 6).collect();
    let panels: Vec<PlotPanel> = picks
        .iter()
        .map(|&i| PlotPanel {
            title: format!(
                "{} {}",
                e.predictions.ids[i],
                data.samples[split.test[i]].crystal.reduced_formula()
            ),
            truth: target[i].clone(),
            mean: e.predictions.predicted[i].clone(),
            half_width: spread[i]
                .iter()
                .map(|s| dos::predict::calibration::Z_90 * scale * s)
                .collect(),
        })
        .collect();
    match plot(&plot_path, &predictor.energy_grid().values, &panels) {
        Ok(()) => println!(
            "\nplot: {} (true DOS, prediction, 90 % band)",
            plot_path.display()
        ),
        Err(err) => println!("\nplot skipped: {err}"),
    }

    // 3. A shipped CIF with its properties.
    let nacl = dos::data::io::cif::parse_cif(bundled::EXAMPLE_CIF, Path::new("NaCl.cif"))?;
    let p = predictor.predict_one("NaCl.cif", nacl, &PredictOptions::default())?;
    let props = p.properties.context("phonon properties")?;
    println!(
        "\nNaCl.cif: {} atoms, space group {} ({}); peak of the predicted DOS at {} cm^-1",
        p.n_atoms,
        p.space_group
            .map_or("unknown".to_string(), |g| g.to_string()),
        p.crystal_system_name(),
        p.energies[argmax(&p.mean)]
    );
    println!(
        "  at {} K: Cv {} J/(mol K), S {} J/(mol K), F {} eV/atom, ZPE {} eV/atom (+- : member spread)",
        props.temperature_k,
        props.heat_capacity_j_per_mol_k,
        props.entropy_j_per_mol_k,
        props.free_energy_ev_per_atom,
        props.zero_point_energy_ev_per_atom
    );

    // 4. Training works: a small model, about 30 s, on the real training split.
    let run_dir = out_dir.join("demo_run");
    if run_dir.exists() {
        std::fs::remove_dir_all(&run_dir)?;
    }
    let t = Instant::now();
    let m = Training::new(ModelKind::DosTransformer)
        .arch(ArchOverrides {
            hidden: Some(32),
            gnn_layers: Some(1),
            cross_layers: Some(1),
            self_layers: Some(1),
            branch_cross_layers: Some(1),
        })
        .epochs(24)
        .batch_size(16)
        .lr(2e-3)
        .patience(0)
        .schedule(LrSchedule::Cosine { min_lr: 2e-4 })
        .grad_clip(1.0)
        .device(device.clone())
        .command("examples/phonon_dos.rs (training demo)")
        .fit(&bench, &run_dir)?
        .metrics;
    let test = m.test.context("test split")?;
    println!(
        "\ntraining demo (d 32, {} epochs, {:.0} s; a 30-second model, not a result): test MSE x10 {:.3}, MAE {:.3}, R^2 {:.3}; run folder {}",
        m.epochs,
        t.elapsed().as_secs_f64(),
        test.mse_x10,
        test.overall.mae,
        test.overall.r2,
        run_dir.display()
    );
    if let Some(b) = dos::train::memory::peak_rss_bytes() {
        println!("peak RSS {:.0} MiB", b as f64 / (1024.0 * 1024.0));
    }
    Ok(())
}

fn argmax(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

struct PlotPanel {
    title: String,
    truth: Vec<f64>,
    mean: Vec<f64>,
    half_width: Vec<f64>,
}

/// Six panels: true DOS (black), prediction (red) and its 90 % band (shaded).
fn plot(path: &Path, x: &[f64], panels: &[PlotPanel]) -> Result<()> {
    let root = SVGBackend::new(path, (1260, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    for (p, area) in panels.iter().zip(root.split_evenly((2, 3)).iter()) {
        let mut chart = ChartBuilder::on(area)
            .caption(&p.title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(36)
            .build_cartesian_2d(0.0..1000.0, -0.1..1.3)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("frequency (cm^-1)")
            .y_desc("DOS")
            .draw()?;
        let band: Vec<(f64, f64)> = x
            .iter()
            .zip(p.mean.iter().zip(&p.half_width))
            .map(|(&e, (m, h))| (e, m + h))
            .chain(
                x.iter()
                    .zip(p.mean.iter().zip(&p.half_width))
                    .rev()
                    .map(|(&e, (m, h))| (e, m - h)),
            )
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(band, RED.mix(0.2).filled())))?;
        chart.draw_series(LineSeries::new(
            x.iter().copied().zip(p.truth.iter().copied()),
            BLACK.stroke_width(2),
        ))?;
        chart.draw_series(LineSeries::new(
            x.iter().copied().zip(p.mean.iter().copied()),
            RED.stroke_width(2),
        ))?;
    }
    root.present()?;
    Ok(())
}
