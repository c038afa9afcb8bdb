//! Train DOSTransformer on your own data: a folder of structure files and a CSV of DOS values on
//! any energy grid, then predict with the trained model.
//!
//! ```text
//! cargo run --release --example train_own_data          # about a minute on two cores
//! ```
//!
//! Your data is two things: structure files (CIF, POSCAR or pymatgen JSON) named by id, and a
//! table `id,E1,...,EM` whose header is the grid (see `dos::data::io::dos_table`). To run
//! anywhere, this example first writes such a pair from 300 crystals of the shipped phonon
//! benchmark, their DOS resampled onto 0-900 cm^-1 in steps of 15 (61 points), into
//! `target/own_data/`; point the two paths at your files instead. The trained model predicts
//! on the table's grid: the package records it.

use std::path::{Path, PathBuf};

use anyhow::Result;
use dos::prelude::*;

fn main() -> Result<()> {
    let dir = Path::new("target/own_data");
    let (structures, dos_csv) = write_demo_data(dir)?;

    if dir.join("run").exists() {
        std::fs::remove_dir_all(dir.join("run"))?; // a fresh run each time
    }

    // Everything below is what you write for your own data.
    let data = TrainingData::from_structures(Task::Phonon, &structures, &dos_csv)?;
    let grid = data.grid();
    println!(
        "{} crystals, grid of {} energies ({} to {} {}), split {}/{}/{}",
        data.len(),
        grid.len(),
        grid.values[0],
        grid.values[grid.len() - 1],
        grid.unit.symbol(),
        data.split.train.len(),
        data.split.valid.len(),
        data.split.test.len()
    );
    let run = Training::new(ModelKind::DosTransformer)
        .hidden(32)
        .epochs(20)
        .batch_size(8)
        .lr(2e-3)
        .cosine_schedule()
        .grad_clip(1.0)
        .fit(&data, dir.join("run"))?;
    let test = run.metrics.test.as_ref().expect("a test split");
    println!(
        "trained {} epochs: test MSE x10 {:.3}, MAE {:.3} ({} crystals; a one-minute model)",
        run.metrics.epochs, test.mse_x10, test.overall.mae, test.overall.n_crystals
    );
    let predictor = run.predictor(&Device::Cpu)?;
    let first = &data.dataset.samples[data.split.test[0]].id;
    let p = predictor.predict_file(structures.join(format!("{first}.cif")))?;
    println!(
        "{} ({}, {}): {} energies on the table's grid, peak at {} {}",
        p.id,
        p.formula,
        p.crystal_system_name(),
        p.mean.len(),
        p.energies[argmax(&p.mean)],
        predictor.manifest().energy_grid.unit.symbol()
    );
    Ok(())
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}

/// Writes 300 benchmark crystals as `DIR/structures/ID.cif` and their DOS, linearly
/// interpolated onto 0, 15, ..., 900 cm^-1, as `DIR/dos.csv`; returns both paths.
fn write_demo_data(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let bench = TrainingData::benchmark()?;
    let structures = dir.join("structures");
    std::fs::create_dir_all(&structures)?;
    let grid: Vec<f64> = (0..61).map(|i| 15.0 * i as f64).collect();
    let mut csv = String::from("id");
    for e in &grid {
        csv.push_str(&format!(",{e}"));
    }
    csv.push('\n');
    let x = &bench.dataset.energies;
    for s in bench.dataset.samples.iter().take(300) {
        let id = s.id.replace(['/', ' '], "_");
        dos::data::io::write_structure(structures.join(format!("{id}.cif")), &s.crystal)?;
        let y = s.target.as_ref().expect("benchmark targets");
        csv.push_str(&id);
        for e in &grid {
            csv.push_str(&format!(",{:.6}", interpolate(x, y, *e)));
        }
        csv.push('\n');
    }
    let dos_csv = dir.join("dos.csv");
    std::fs::write(&dos_csv, csv)?;
    Ok((structures, dos_csv))
}

/// Linear interpolation of (x, y) at `e` (x increasing; constant outside).
fn interpolate(x: &[f64], y: &[f64], e: f64) -> f64 {
    match x.iter().position(|&xi| xi >= e) {
        None => y[y.len() - 1],
        Some(0) => y[0],
        Some(i) => {
            let t = (e - x[i - 1]) / (x[i] - x[i - 1]);
            y[i - 1] + t * (y[i] - y[i - 1])
        }
    }
}
