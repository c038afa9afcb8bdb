//! How DOSTransformer's cost scales (f32, CPU): time per crystal of inference (system branch,
//! `DosModel::predict`) and of a training step (`DosModel::loss_and_grads`: the loss of both
//! branches with its gradients, the branches on two threads; then the `dos_nn::FusedAdamW`
//! update) against
//!
//! 1. atoms per cell (paper phonon config: d 256, L' 3, L1 = L2 = L3 = 2, M 51; batch 1),
//! 2. the number of energies M (7-atom crystal, d 256),
//! 3. the hidden width d (7-atom crystal, M 51, prompt width d / 2),
//! 4. the batch size (7-atom crystals, paper config).
//!
//! Crystals are `dos_models::synthetic` random cells at the density of
//! `phonon_like_batch` (about 40 neighbours within the 4 Å cutoff, so edges grow linearly
//! with atoms), 118 node and 4 edge features.
//!
//! Every point is timed once per round and the rounds are interleaved (round 1 of every
//! point, then round 2, ...), so load changes on a shared machine hit all points alike;
//! the tables give the median and the minimum over the rounds (on a loaded machine the
//! minimum, the least disturbed run, is the steadier estimate; the plots show it). Log-log
//! slopes are least-squares fits of ln(time per crystal) on ln(x).
//!
//! Run: `cargo run --release --example scaling -- [--reps N] [--quick] [--out DIR]`
//! (default 5 rounds, output `target/scaling`: `scaling.csv` and `scaling_<sweep>.png/.svg`).
//! `--plot-from target/scaling/scaling.csv` redraws the plots of an earlier run;
//! `--memory` prints the peak-RSS probe (see `memory_probe`).
//! `--quick`: 3 rounds, atoms up to 100, M up to 201, batch up to 8 (under a minute on the
//! loaded 2-core build machine; the default 5 rounds take a few minutes).

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device};
use candle_nn::{Optimizer, ParamsAdamW};
use dos::config::Check;
use dos::data::symmetry::CrystalSystem;
use dos::data::CrystalBatch;
use dos::models::synthetic::{batch_from_graphs, SplitMix64, SyntheticCrystal, SyntheticSpec};
use dos::models::{AnyModel, DosModel, DosTransformerConfig, ModelConfig};
use dos::nn::FusedAdamW;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The `dos` binary's allocator (it keeps freed pages for reuse; with the system allocator
/// every large tensor is a fresh mapping that the kernel zeroes on first touch).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Res<T> = Result<T, Box<dyn Error>>;

/// What a sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sweep {
    Atoms,
    Energies,
    Hidden,
    Batch,
}

impl Sweep {
    const ALL: [Sweep; 4] = [Sweep::Atoms, Sweep::Energies, Sweep::Hidden, Sweep::Batch];

    fn name(self) -> &'static str {
        match self {
            Sweep::Atoms => "atoms",
            Sweep::Energies => "energies",
            Sweep::Hidden => "hidden",
            Sweep::Batch => "batch",
        }
    }

    fn x_label(self) -> &'static str {
        match self {
            Sweep::Atoms => "atoms per cell",
            Sweep::Energies => "energies M",
            Sweep::Hidden => "hidden width d",
            Sweep::Batch => "batch size B",
        }
    }

    /// Slope of the dashed reference line in the plot (the cost model's leading term).
    fn reference_slope(self) -> f64 {
        match self {
            Sweep::Atoms | Sweep::Energies => 1.0,
            Sweep::Hidden => 2.0,
            Sweep::Batch => 0.0,
        }
    }

    /// Smallest x of the "large x" slope fit (where fixed costs matter less).
    fn tail_from(self) -> usize {
        match self {
            Sweep::Atoms => 20,
            Sweep::Energies => 101,
            Sweep::Hidden => 128,
            Sweep::Batch => 4,
        }
    }
}

/// One model (with its optimiser) per (d, M).
struct Net {
    hidden: usize,
    n_energies: usize,
    model: AnyModel,
    opt: FusedAdamW,
}

/// One measured point.
struct Point {
    sweep: Sweep,
    x: usize,
    net: usize,
    batch: CrystalBatch,
    crystals: usize,
    atoms: usize,
    edges: usize,
    infer_ms: Vec<f64>,
    train_ms: Vec<f64>,
}

/// `b` random crystals of `atoms` atoms each (density, cutoff and feature widths of
/// `phonon_like_batch`), targets of `m` energies.
fn crystals(atoms: usize, b: usize, m: usize, seed: u64) -> Res<CrystalBatch> {
    let mut rng = SplitMix64::new(seed);
    let graphs: Vec<_> = (0..b)
        .map(|k| {
            let spec = SyntheticSpec {
                atoms,
                density: 0.149,
                node_in: 118,
                n_energies: m,
                crystal_system: CrystalSystem::ALL[k % CrystalSystem::ALL.len()],
            };
            SyntheticCrystal::random(&spec, &mut rng).graph(4.0, 4)
        })
        .collect();
    Ok(batch_from_graphs(&graphs, &Device::Cpu, DType::F32)?)
}

fn net_index(nets: &mut Vec<Net>, hidden: usize, n_energies: usize) -> Res<usize> {
    if let Some(i) = nets
        .iter()
        .position(|n| n.hidden == hidden && n.n_energies == n_energies)
    {
        return Ok(i);
    }
    let cfg = ModelConfig::DosTransformer(DosTransformerConfig {
        hidden,
        n_energies,
        prompt_dim: hidden / 2,
        ..DosTransformerConfig::paper_phonon()
    })
    .check()?;
    let (model, varmap) = AnyModel::build(&cfg, &Device::Cpu)?;
    let opt = FusedAdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: 1e-4,
            weight_decay: 0.01,
            ..ParamsAdamW::default()
        },
    )?;
    nets.push(Net {
        hidden,
        n_energies,
        model,
        opt,
    });
    Ok(nets.len() - 1)
}

fn time_infer(net: &Net, batch: &CrystalBatch) -> Res<f64> {
    let t = Instant::now();
    let y = net.model.predict(batch)?;
    let secs = t.elapsed().as_secs_f64();
    drop(y);
    Ok(secs * 1e3)
}

fn time_train(net: &mut Net, batch: &CrystalBatch) -> Res<f64> {
    let t = Instant::now();
    let (_loss, grads) = net.model.loss_and_grads(batch)?;
    net.opt.step_scaled(&grads, 1.0)?;
    Ok(t.elapsed().as_secs_f64() * 1e3)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Least-squares slope of ln y on ln x.
fn loglog_slope(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len() as f64;
    if pts.len() < 2 {
        return f64::NAN;
    }
    let (lx, ly): (Vec<f64>, Vec<f64>) = pts.iter().map(|&(x, y)| (x.ln(), y.ln())).unzip();
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

struct Args {
    reps: usize,
    quick: bool,
    memory: bool,
    memory_step: Option<String>,
    plot_from: Option<PathBuf>,
    out: PathBuf,
}

fn parse_args() -> Args {
    let mut args = Args {
        reps: 5,
        quick: false,
        memory: false,
        memory_step: None,
        plot_from: None,
        out: PathBuf::from("target/scaling"),
    };
    let mut reps = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => args.quick = true,
            "--memory" => args.memory = true,
            "--memory-step" => args.memory_step = it.next(),
            "--plot-from" => args.plot_from = it.next().map(PathBuf::from),
            "--reps" => reps = it.next().and_then(|v| v.parse().ok()),
            "--out" => {
                if let Some(v) = it.next() {
                    args.out = PathBuf::from(v);
                }
            }
            // `cargo bench` passes `--bench`; ignore it and anything else unknown.
            _ => {}
        }
    }
    args.reps = reps.unwrap_or(if args.quick { 3 } else { 5 }).max(1);
    args
}

fn main() -> Res<()> {
    // Before any tensor exists: candle's spinning element-wise pool off (docs/performance.md).
    dos::nn::prefer_serial_elementwise();
    dos::nn::fix_matmul_thread_count();
    let args = parse_args();
    if let Some(step) = &args.memory_step {
        return memory_step(step);
    }
    if args.memory {
        return memory_probe();
    }
    if let Some(csv) = &args.plot_from {
        return plot_from_csv(csv, &args.out);
    }
    let load_start = loadavg();

    let atoms: &[usize] = if args.quick {
        &[2, 5, 10, 20, 50, 100]
    } else {
        &[2, 5, 10, 20, 50, 100, 200]
    };
    let energies: &[usize] = if args.quick {
        &[51, 101, 201]
    } else {
        &[51, 101, 201, 401]
    };
    let hidden = [64usize, 128, 256];
    let batches: &[usize] = if args.quick {
        &[1, 2, 4, 8]
    } else {
        &[1, 2, 4, 8, 16]
    };

    let mut nets = Vec::new();
    let mut points = Vec::new();
    let mut add = |nets: &mut Vec<Net>,
                   sweep: Sweep,
                   x: usize,
                   d: usize,
                   m: usize,
                   n: usize,
                   b: usize|
     -> Res<()> {
        let net = net_index(nets, d, m)?;
        // Same seed for every point of a sweep but the atoms sweep, whose cells differ anyway.
        let batch = crystals(n, b, m, 2023)?;
        let edges = batch.senders.dim(0)?;
        points.push(Point {
            sweep,
            x,
            net,
            batch,
            crystals: b,
            atoms: n,
            edges,
            infer_ms: Vec::new(),
            train_ms: Vec::new(),
        });
        Ok(())
    };
    for &n in atoms {
        add(&mut nets, Sweep::Atoms, n, 256, 51, n, 1)?;
    }
    for &m in energies {
        add(&mut nets, Sweep::Energies, m, 256, m, 7, 1)?;
    }
    for &d in &hidden {
        add(&mut nets, Sweep::Hidden, d, d, 51, 7, 1)?;
    }
    for &b in batches {
        add(&mut nets, Sweep::Batch, b, 256, 51, 7, b)?;
    }

    println!(
        "threads: rayon {}, CANDLE_NUM_THREADS {:?}; {} rounds; load average at start {}",
        candle_core::utils::get_num_threads(),
        std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
        args.reps,
        load_start
    );
    // One warm-up round, then the timed rounds, interleaved over all points.
    for round in 0..=args.reps {
        let t = Instant::now();
        for p in points.iter_mut() {
            let net = &mut nets[p.net];
            let i = time_infer(net, &p.batch)?;
            let s = time_train(net, &p.batch)?;
            if round > 0 {
                p.infer_ms.push(i / p.crystals as f64);
                p.train_ms.push(s / p.crystals as f64);
            }
        }
        eprintln!(
            "round {round}/{} ({}) {:.1} s, load {}",
            args.reps,
            if round == 0 { "warm-up" } else { "timed" },
            t.elapsed().as_secs_f64(),
            loadavg()
        );
    }
    let load_end = loadavg();

    std::fs::create_dir_all(&args.out)?;
    let mut csv = String::from(
        "sweep,x,batch,atoms_per_crystal,edges_total,hidden,n_energies,rounds,\
         infer_ms_per_crystal_median,infer_ms_per_crystal_min,\
         train_ms_per_crystal_median,train_ms_per_crystal_min\n",
    );
    for p in &points {
        let net = &nets[p.net];
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{:.4},{:.4},{:.4},{:.4}\n",
            p.sweep.name(),
            p.x,
            p.crystals,
            p.atoms,
            p.edges,
            net.hidden,
            net.n_energies,
            p.infer_ms.len(),
            median(&p.infer_ms),
            min(&p.infer_ms),
            median(&p.train_ms),
            min(&p.train_ms),
        ));
    }
    let csv_path = args.out.join("scaling.csv");
    std::fs::write(&csv_path, csv)?;

    println!("load average at end {load_end}\n");
    for sweep in Sweep::ALL {
        let pts: Vec<&Point> = points.iter().filter(|p| p.sweep == sweep).collect();
        let (i0, s0) = (min(&pts[0].infer_ms), min(&pts[0].train_ms));
        println!("### {}\n", sweep.x_label());
        println!(
            "| {} | edges per crystal | inference ms / crystal, median (min) | × (min) \
             | train step ms / crystal, median (min) | × (min) |",
            sweep.x_label()
        );
        println!("|---|---|---|---|---|---|");
        for p in &pts {
            let (i, s) = (min(&p.infer_ms), min(&p.train_ms));
            println!(
                "| {} | {:.0} | {:.2} ({:.2}) | {:.2} | {:.1} ({:.1}) | {:.2} |",
                p.x,
                p.edges as f64 / p.crystals as f64,
                median(&p.infer_ms),
                i,
                i / i0,
                median(&p.train_ms),
                s,
                s / s0
            );
        }
        let fit = |f: &dyn Fn(&[f64]) -> f64, train: bool, from: usize| {
            let v: Vec<(f64, f64)> = pts
                .iter()
                .filter(|p| p.x >= from)
                .map(|p| (p.x as f64, f(if train { &p.train_ms } else { &p.infer_ms })))
                .collect();
            loglog_slope(&v)
        };
        let from = sweep.tail_from();
        for (name, f) in [("median", &median as &dyn Fn(&[f64]) -> f64), ("min", &min)] {
            println!(
                "\nlog-log slope of the {name}, all points: inference {:.2}, train step {:.2}; \
                 x >= {from}: inference {:.2}, train step {:.2}",
                fit(f, false, 0),
                fit(f, true, 0),
                fit(f, false, from),
                fit(f, true, from),
            );
        }
        println!();
        let series: Vec<(f64, f64, f64)> = pts
            .iter()
            .map(|p| (p.x as f64, min(&p.infer_ms), min(&p.train_ms)))
            .collect();
        for ext in ["png", "svg"] {
            let path = args.out.join(format!("scaling_{}.{ext}", sweep.name()));
            plot(&path, sweep, &series)?;
        }
    }
    println!("wrote {} and scaling_*.png/.svg", csv_path.display());
    Ok(())
}

/// `--plot-from CSV`: redraws the plots of a `scaling.csv` written earlier (minimum columns)
/// into `out`, without timing anything.
fn plot_from_csv(csv: &Path, out: &Path) -> Res<()> {
    let text = std::fs::read_to_string(csv)?;
    std::fs::create_dir_all(out)?;
    for sweep in Sweep::ALL {
        let mut series = Vec::new();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 12 {
                return Err(format!("{}: expected 12 fields in `{line}`", csv.display()).into());
            }
            if f[0] == sweep.name() {
                series.push((f[1].parse()?, f[9].parse()?, f[11].parse()?));
            }
        }
        if series.is_empty() {
            continue;
        }
        for ext in ["png", "svg"] {
            plot(
                &out.join(format!("scaling_{}.{ext}", sweep.name())),
                sweep,
                &series,
            )?;
        }
    }
    println!(
        "redrew the plots of {} into {}",
        csv.display(),
        out.display()
    );
    Ok(())
}

/// `VmRSS` or `VmHWM` of this process in MiB.
fn status_mib(field: &str) -> Res<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .ok_or("no such field in /proc/self/status")?;
    let kb: f64 = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kb / 1024.0)
}

/// Peak RSS above the RSS before `f` (MiB): resets `VmHWM` to the current RSS (writing 5 to
/// `/proc/self/clear_refs`, Linux >= 4.0), runs `f`, reads `VmHWM` again.
fn peak_above_now(f: impl FnOnce() -> Res<()>) -> Res<(f64, f64)> {
    std::fs::write("/proc/self/clear_refs", "5")?;
    let before = status_mib("VmRSS:")?;
    f()?;
    Ok((before, status_mib("VmHWM:")? - before))
}

/// The steps `--memory` measures, each in a fresh process.
const MEMORY_STEPS: [(&str, &str); 5] = [
    (
        "build",
        "paper model + FusedAdamW built (from process start)",
    ),
    ("train1", "training step, B = 1"),
    ("train8", "training step, B = 8"),
    (
        "infer32-plain",
        "inference, B = 32, weights as plain tensors (no graph)",
    ),
    (
        "infer32-vars",
        "inference, B = 32, weights as `Var`s (graph recorded)",
    ),
];

/// `--memory`: where the peak RSS of a training run comes from, at the paper config on 7-atom
/// synthetic crystals (the phonon benchmark's mean is 7.4 atoms): building the model and
/// optimiser, one training step at B = 1 and 8 (after a first step that allocates the AdamW
/// moments), and one inference batch of 32 crystals (the trainer's validation batch) with the
/// weights as `Var`s (candle then records every intermediate tensor in the output's graph,
/// keeping it alive until the output is dropped) and as plain tensors (no graph). Every step
/// runs in a fresh process (`--memory-step NAME`), so freed memory of one step cannot hide
/// the next one's.
fn memory_probe() -> Res<()> {
    let exe = std::env::current_exe()?;
    println!("| step | RSS before (MiB) | peak above it (MiB) |\n|---|---|---|");
    for (step, label) in MEMORY_STEPS {
        let out = std::process::Command::new(&exe)
            .args(["--memory-step", step])
            .output()?;
        if !out.status.success() {
            return Err(format!(
                "--memory-step {step} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let (before, peak) = text
            .trim()
            .split_once(' ')
            .ok_or("unexpected --memory-step output")?;
        println!("| {label} | {before} | {peak} |");
    }
    Ok(())
}

/// One `--memory` step: prints "RSS-before peak-above-it" in MiB.
fn memory_step(step: &str) -> Res<()> {
    let dev = Device::Cpu;
    let start = status_mib("VmRSS:")?;
    let mut nets = Vec::new();
    let i = net_index(&mut nets, 256, 51)?;
    let (before, peak) = match step {
        "build" => (start, status_mib("VmHWM:")? - start),
        "train1" | "train8" => {
            let b1 = crystals(7, 1, 51, 2023)?;
            let b = crystals(7, if step == "train1" { 1 } else { 8 }, 51, 2023)?;
            time_train(&mut nets[i], &b1)?;
            peak_above_now(|| {
                time_train(&mut nets[i], &b)?;
                Ok(())
            })?
        }
        "infer32-vars" => {
            let b32 = crystals(7, 32, 51, 2023)?;
            let net = &nets[i];
            peak_above_now(|| {
                net.model.predict(&b32)?;
                Ok(())
            })?
        }
        "infer32-plain" => {
            let b32 = crystals(7, 32, 51, 2023)?;
            let cfg = ModelConfig::DosTransformer(DosTransformerConfig::paper_phonon()).check()?;
            let (_, varmap) = AnyModel::build(&cfg, &dev)?;
            // Detached views share the Vars' storage: no copy of the weights.
            let frozen: std::collections::HashMap<String, candle_core::Tensor> = varmap
                .data()
                .lock()
                .map_err(|_| "poisoned varmap")?
                .iter()
                .map(|(k, v)| (k.clone(), v.as_detached_tensor()))
                .collect();
            let plain = AnyModel::new(
                &cfg,
                candle_nn::VarBuilder::from_tensors(frozen, DType::F32, &dev),
            )?;
            peak_above_now(|| {
                plain.predict(&b32)?;
                Ok(())
            })?
        }
        other => return Err(format!("unknown --memory-step `{other}`").into()),
    };
    println!("{before:.1} {peak:.1}");
    Ok(())
}

/// Log-log plot of time per crystal against x: inference and training step, with a dashed
/// line of the sweep's reference slope through the last training point.
fn plot(path: &Path, sweep: Sweep, series: &[(f64, f64, f64)]) -> Res<()> {
    let size = (640, 440);
    let draw = |text: bool| -> Res<()> {
        if path.extension().is_some_and(|e| e == "svg") {
            let root = SVGBackend::new(path, size).into_drawing_area();
            draw_chart(&root, sweep, series, text)?;
            root.present()?;
        } else {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            draw_chart(&root, sweep, series, text)?;
            root.present()?;
        }
        Ok(())
    };
    match draw(true) {
        Err(e) if e.to_string().to_lowercase().contains("font") => {
            eprintln!("warning: no usable font ({e}); drawing the plot without text");
            draw(false)
        }
        r => r,
    }
}

fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    sweep: Sweep,
    series: &[(f64, f64, f64)],
    text: bool,
) -> Res<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (mut x0, mut x1) = (f64::INFINITY, 0f64);
    let (mut y0, mut y1) = (f64::INFINITY, 0f64);
    for &(x, i, s) in series {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(i.min(s));
        y1 = y1.max(i.max(s));
    }
    let (x0, x1, y0, y1) = (x0 / 1.2, x1 * 1.2, y0 / 1.5, y1 * 1.5);
    let mut builder = ChartBuilder::on(root);
    builder.margin(12);
    if text {
        builder
            .caption(
                format!("DOSTransformer time per crystal vs {}", sweep.x_label()),
                ("sans-serif", 18),
            )
            .x_label_area_size(40)
            .y_label_area_size(60);
    }
    // Ticks at the measured x and at 1-2-5 steps of y.
    let x_keys: Vec<f64> = series.iter().map(|p| p.0).collect();
    let mut y_keys = Vec::new();
    let mut decade = 10f64.powf(y0.log10().floor());
    while decade <= y1 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * decade;
            if v >= y0 && v <= y1 {
                y_keys.push(v);
            }
        }
        decade *= 10.0;
    }
    let mut chart = builder.build_cartesian_2d(
        (x0..x1).log_scale().with_key_points(x_keys),
        (y0..y1).log_scale().with_key_points(y_keys),
    )?;
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(WHITE);
    if text {
        mesh.x_desc(sweep.x_label())
            .y_desc("ms per crystal (min of rounds)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| {
                if *y >= 1.0 {
                    format!("{y:.0}")
                } else {
                    format!("{y:.2}")
                }
            });
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw()?;
    let colors = [RGBColor(31, 119, 180), RGBColor(214, 39, 40)];
    for (k, label) in ["inference (system branch)", "training step"]
        .into_iter()
        .enumerate()
    {
        let color = colors[k];
        let pts: Vec<(f64, f64)> = series
            .iter()
            .map(|&(x, i, s)| (x, if k == 0 { i } else { s }))
            .collect();
        let line = chart.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?;
        if text {
            line.label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    // Reference slope through the last training point.
    if let Some(&(xl, _, sl)) = series.last() {
        let a = sweep.reference_slope();
        let xf = series[0].0;
        let r = vec![(xf, sl * (xf / xl).powf(a)), (xl, sl)];
        let dashed = chart.draw_series(DashedLineSeries::new(
            r,
            6,
            4,
            BLACK.mix(0.6).stroke_width(1),
        ))?;
        if text {
            dashed
                .label(format!("slope {a}"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK.mix(0.6)));
        }
    }
    if text {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(if sweep == Sweep::Batch {
                // Falling curves: keep the upper left corner free.
                SeriesLabelPosition::MiddleRight
            } else {
                SeriesLabelPosition::UpperLeft
            })
            .draw()?;
    }
    Ok(())
}
