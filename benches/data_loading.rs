//! Data-loading benchmark on the phonon benchmark (1,522 crystals): reading the CSV, building
//! every crystal graph (phonon and electron presets, one thread), symmetry analysis of every
//! crystal (one thread), and the whole `PhononDataset::load`
//! (read + symmetry analysis + graphs, in parallel with rayon).
//!
//! Run with `DOS_DATA_DIR=/path/to/data cargo bench --bench data_loading` (the CSV is
//! `$DOS_DATA_DIR/phonon/phonon_dos.csv`); without `DOS_DATA_DIR` it prints a message and
//! skips. Target: `PhononDataset::load` under 1 s in release on 2 cores.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::Criterion;
use dos::config::Check;
use dos::data::dataset::PhononDataset;
use dos::data::graph::{CrystalGraph, GraphConfig};
use dos::data::io::read_phonon_csv;
use dos::data::symmetry::{analyze, SymmetryConfig};

fn bench(c: &mut Criterion, dir: &std::path::Path) {
    let csv = dir.join(PhononDataset::CSV);
    let records = read_phonon_csv(&csv).expect("read phonon_dos.csv");
    let mut group = c.benchmark_group("phonon_1522");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));

    group.bench_function("read_csv", |b| {
        b.iter(|| black_box(read_phonon_csv(&csv).expect("read")))
    });
    for (name, cfg) in [
        ("graphs_phonon_preset", GraphConfig::phonon()),
        ("graphs_electron_preset", GraphConfig::electron()),
    ] {
        let valid = cfg.check().expect("preset");
        group.bench_function(name, |b| {
            b.iter(|| {
                let graphs: Vec<CrystalGraph> = records
                    .iter()
                    .map(|r| CrystalGraph::new(&r.crystal, &valid).expect("graph"))
                    .collect();
                black_box(graphs)
            })
        });
    }
    let sym = SymmetryConfig::default();
    group.bench_function("symmetry_all", |b| {
        b.iter(|| {
            let systems: Vec<usize> = records
                .iter()
                .map(|r| analyze(&r.crystal, &sym).map_or(7, |a| a.crystal_system.index()))
                .collect();
            black_box(systems)
        })
    });
    group.bench_function("phonon_dataset_load", |b| {
        b.iter(|| black_box(PhononDataset::load(dir, &GraphConfig::phonon()).expect("load")))
    });
    group.finish();
}

fn main() {
    let Some(data) = std::env::var_os("DOS_DATA_DIR") else {
        eprintln!(
            "data_loading: DOS_DATA_DIR is not set; skipping (set it to the directory holding \
             phonon/phonon_dos.csv)"
        );
        return;
    };
    let dir = PathBuf::from(data).join("phonon");
    if !dir.join(PhononDataset::CSV).is_file() {
        eprintln!(
            "data_loading: {} not found; skipping",
            dir.join(PhononDataset::CSV).display()
        );
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &dir);
    c.final_summary();
    cpu_report(&dir);
}

/// Wall and process CPU time per `PhononDataset::load`, so the 2-core figure can be judged on
/// a busy machine: with rayon's parallel build, an idle 2-core machine needs about CPU / 2.
fn cpu_report(dir: &std::path::Path) {
    // utime + stime of this process in seconds (Linux /proc, 100 ticks per second).
    fn cpu_seconds() -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        Some(ticks / 100.0)
    }
    let n = 5;
    let (Some(c0), t0) = (cpu_seconds(), std::time::Instant::now()) else {
        return;
    };
    for _ in 0..n {
        black_box(PhononDataset::load(dir, &GraphConfig::phonon()).expect("load"));
    }
    let wall = t0.elapsed().as_secs_f64() / f64::from(n);
    if let Some(c1) = cpu_seconds() {
        println!(
            "phonon_dataset_load: {wall:.3} s wall, {:.3} s CPU per load ({n} loads)",
            (c1 - c0) / f64::from(n)
        );
    }
}
