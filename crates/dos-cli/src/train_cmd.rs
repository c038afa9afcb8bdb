//! `dos train`: train one model into a run folder (see `dos_train::run` for its layout).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::builder::TypedValueParser as _;
use clap::{Args, ValueEnum};
use dos_data::dataset::{Dataset, PhononDataset, RawSample};
use dos_data::dos::pipeline::ElectronDosPipeline;
use dos_data::dos::DEFAULT_MAGNETIC_TOL;
use dos_data::graph::GraphConfig;
use dos_data::physics::generate::read_electron_dataset;
use dos_data::split::Split;
use dos_data::symmetry::SymmetryConfig;
use dos_data::Check;
use dos_models::{ArchOverrides, ModelConfig, ModelKind, Precision, Task};
use dos_train::run::{read_json, CONFIG_FILE};
use dos_train::{
    generated_phonon_dataset, memory, train_run, LrSchedule, RunConfig, RunOptions, TrainConfig,
    Trainable,
};

/// Which DOS to learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TaskArg {
    /// Phonon DOS, 51 points on 0..1000 cm^-1.
    Phonon,
    /// Electron DOS, 201 points on -5..5 eV around the Fermi level.
    Electron,
}

impl From<Task> for TaskArg {
    fn from(t: Task) -> TaskArg {
        match t {
            Task::Phonon => TaskArg::Phonon,
            Task::Electron => TaskArg::Electron,
        }
    }
}

impl From<TaskArg> for Task {
    fn from(t: TaskArg) -> Task {
        match t {
            TaskArg::Phonon => Task::Phonon,
            TaskArg::Electron => Task::Electron,
        }
    }
}

/// `--model`: a [`ModelKind`] by its config name (every kind dos-models has).
pub fn model_kind_parser() -> impl clap::builder::TypedValueParser<Value = ModelKind> {
    clap::builder::PossibleValuesParser::new(ModelKind::ALL.map(ModelKind::name))
        .try_map(|name| name.parse::<ModelKind>())
}

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// Float precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DtypeArg {
    /// 32-bit floats.
    F32,
    /// 64-bit floats (as the released phonon code).
    F64,
}

/// Learning-rate schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleArg {
    /// Constant (the paper).
    Constant,
    /// Cosine decay to lr/100 over the epoch budget.
    Cosine,
    /// Halve after 10 evaluations without improvement, down to lr/100.
    Plateau,
}

/// Which parameters train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrainableArg {
    /// Every parameter.
    All,
    /// Only the crystal-system prompts (the paper's prompt fine-tuning, with --init).
    Prompts,
}

impl From<TrainableArg> for Trainable {
    fn from(t: TrainableArg) -> Trainable {
        match t {
            TrainableArg::All => Trainable::All,
            TrainableArg::Prompts => Trainable::Prompts,
        }
    }
}

/// Where the data come from and how they are split (shared by train, eval, plot, sweep).
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Task: phonon or electron DOS.
    #[arg(long, value_enum, default_value_t = TaskArg::Phonon)]
    pub task: TaskArg,
    /// Data: `benchmark` (the phonon benchmark embedded in the binary), a folder (or file)
    /// with `phonon_dos.csv` or `phonon_dos.csv.gz` (phonon) or `electron_dos.jsonl`
    /// (electron, as written by `dos data generate`), or `generated:N[:SEED]` for N
    /// generated phonon crystals (no download).
    #[arg(long)]
    pub data: String,
    /// Folder with idx_train.txt / idx_valid.txt / idx_test.txt [default: the data folder's
    /// split files, else a seeded random 80/10/10 split].
    #[arg(long)]
    pub split: Option<PathBuf>,
}

/// Arguments of `dos train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Model family: dostransformer (GNN + energy cross/self-attention + crystal-system
    /// prompts), or the baselines mlp (atom-wise), graph-network, e3nn-lite (E(3)-equivariant).
    #[arg(long, value_parser = model_kind_parser(), default_value = "dostransformer")]
    pub model: ModelKind,
    /// Energy embeddings of the baselines (DOSTransformer always uses them).
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub energy: OnOff,
    /// Maximum epochs [default: 1000, the paper's].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Crystals per batch [default: 1 phonon, 8 electron, as the paper].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// AdamW learning rate.
    #[arg(long, default_value_t = 1e-4)]
    pub lr: f64,
    /// AdamW decoupled weight decay.
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Early-stopping patience in epochs (0: off).
    #[arg(long, default_value_t = 50)]
    pub patience: usize,
    /// Evaluate on the validation split every this many epochs.
    #[arg(long, default_value_t = 1)]
    pub eval_every: usize,
    /// Learning-rate schedule.
    #[arg(long, value_enum, default_value_t = ScheduleArg::Constant)]
    pub schedule: ScheduleArg,
    /// Clip the global gradient norm to this value (off by default).
    #[arg(long)]
    pub grad_clip: Option<f64>,
    /// Keep an exponential moving average of the weights with this decay per step (e.g.
    /// 0.999); validation, early stopping and the saved model use the average (off by default).
    #[arg(long)]
    pub ema: Option<f64>,
    /// Hidden width d [default: the preset's, 256].
    #[arg(long)]
    pub hidden: Option<usize>,
    /// GNN layers L' [default: 3].
    #[arg(long)]
    pub gnn_layers: Option<usize>,
    /// DOSTransformer cross-attention layers L1 [default: 2].
    #[arg(long)]
    pub cross_layers: Option<usize>,
    /// DOSTransformer self-attention layers L2 [default: 2].
    #[arg(long)]
    pub self_layers: Option<usize>,
    /// DOSTransformer second cross-attention layers L3 [default: 2].
    #[arg(long)]
    pub branch_cross_layers: Option<usize>,
    /// Seed of the initial weights, the shuffling and a random split.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Float precision.
    #[arg(long, value_enum, default_value_t = DtypeArg::F32)]
    pub dtype: DtypeArg,
    /// Start from the best weights of this run folder (fine-tuning). The model and graph
    /// settings are that run's: --model, --energy, --hidden, the layer counts and --dtype are
    /// ignored. Prompt rows of crystal systems that run never saw start at the mean of its
    /// trained rows.
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Which parameters train: all, or only the crystal-system prompts.
    #[arg(long, value_enum, default_value_t = TrainableArg::All)]
    pub trainable: TrainableArg,
    /// Continue the run in --out from its last checkpoint (weights, AdamW moments, epoch,
    /// best score, schedule); only --epochs, --patience, --eval-every may change.
    #[arg(long)]
    pub resume: bool,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Run folder to create.
    #[arg(long)]
    pub out: PathBuf,
}

/// Data and split as `dos train`, `eval`, `sweep` and `data split` load them.
pub struct LoadedData {
    /// The crystals, graphs built with the requested settings.
    pub data: Dataset,
    /// The split (the data's own, `--split`, or a seeded random one).
    pub split: Split,
    /// Where the data came from, as `config.json` keeps it (and `dos eval` re-reads).
    pub desc: String,
    /// SHA-256 of the uncompressed data file (None for generated data).
    pub sha256: Option<String>,
}

/// The graph settings of a task's models (what `dos train` builds graphs with).
pub fn task_graph(task: Task) -> GraphConfig {
    match task {
        Task::Phonon => GraphConfig::phonon(),
        Task::Electron => GraphConfig::electron(),
    }
}

/// Loads the data and split that `args` describe, building graphs with `graph`. `--data
/// benchmark` is the phonon benchmark embedded in the binary.
pub fn load_data(args: &DataArgs, seed: u64, graph: &GraphConfig) -> Result<LoadedData> {
    let task: Task = args.task.into();
    let valid_graph = graph.check().context("graph settings")?;
    let (data, default_split, desc, sha256) =
        if let Some(spec) = args.data.strip_prefix("generated:") {
            if task != Task::Phonon {
                bail!("--data generated:N is phonon data; use --task phonon");
            }
            let mut parts = spec.split(':');
            let n: usize = parts
                .next()
                .unwrap_or("")
                .parse()
                .with_context(|| format!("--data generated:N: `{spec}` is not a count"))?;
            let gen_seed: u64 = match parts.next() {
                Some(s) => s.parse().with_context(|| format!("--data seed `{s}`"))?,
                None => 0,
            };
            let data = generated_phonon_dataset(n, 8, gen_seed, graph)?;
            (data, None, format!("generated:{n}:{gen_seed}"), None)
        } else if args.data == BENCHMARK {
            if task != Task::Phonon {
                bail!("--data {BENCHMARK} is the phonon benchmark; use --task phonon");
            }
            let ph = dos_data::benchmark::phonon(&valid_graph, &SymmetryConfig::default())?;
            (
                ph.dataset,
                ph.split,
                BENCHMARK.to_string(),
                Some(dos_data::benchmark::PHONON_CSV_SHA256.to_string()),
            )
        } else {
            let path = PathBuf::from(&args.data);
            match task {
                Task::Phonon => {
                    let (dir, csv) = phonon_dir(&path)?;
                    // Read once: parsed here, hashed for the run's provenance.
                    let text = dos_data::io::read_text(&csv)?;
                    let records = dos_data::io::phonon_csv::parse_phonon_csv(&text, &csv)?;
                    let ph = PhononDataset::from_records(
                        records,
                        PhononDataset::split_in(&dir)?,
                        &valid_graph,
                        &SymmetryConfig::default(),
                    )
                    .with_context(|| format!("loading {}", dir.display()))?;
                    (
                        ph.dataset,
                        ph.split,
                        dir.display().to_string(),
                        Some(dos_predict::sha256_hex(text.as_bytes())),
                    )
                }
                Task::Electron => {
                    let file = electron_file(&path);
                    let data = load_electron(&file, &valid_graph)?;
                    let dir = file.parent().unwrap_or(Path::new("."));
                    let split = Split::read_dir(dir).ok();
                    let text = dos_data::io::read_text(&file)?;
                    (
                        data,
                        split,
                        file.display().to_string(),
                        Some(dos_predict::sha256_hex(text.as_bytes())),
                    )
                }
            }
        };
    let split = match &args.split {
        Some(dir) => Split::read_dir(dir).with_context(|| format!("split {}", dir.display()))?,
        None => default_split.unwrap_or_else(|| Split::random_80_10_10(data.len(), seed)),
    };
    split
        .validate(data.len())
        .context("the split does not index this data")?;
    Ok(LoadedData {
        data,
        split,
        desc,
        sha256,
    })
}

/// `--data benchmark`: the phonon benchmark embedded in the binary.
pub const BENCHMARK: &str = "benchmark";

/// The folder holding the phonon CSV (plain or gzipped) that `path` names, and the CSV file.
fn phonon_dir(path: &Path) -> Result<(PathBuf, PathBuf)> {
    let dirs = if path.is_file() {
        vec![path.parent().unwrap_or(Path::new(".")).to_path_buf()]
    } else {
        vec![path.to_path_buf(), path.join("phonon")]
    };
    for d in dirs {
        if let Some(csv) = PhononDataset::csv_in(&d) {
            return Ok((d, csv));
        }
    }
    bail!(
        "no {0} or {0}.gz in {1} or {1}/phonon (or use --data {BENCHMARK}, the embedded benchmark)",
        PhononDataset::CSV,
        path.display(),
    )
}

/// The electron data file `path` names: `path/electron_dos.jsonl` for a folder, else `path`.
pub fn electron_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(dos_data::physics::generate::ELECTRON_FILE)
    } else {
        path.to_path_buf()
    }
}

fn load_electron(file: &Path, graph: &dos_data::graph::CheckedGraphConfig) -> Result<Dataset> {
    let records =
        read_electron_dataset(file).with_context(|| format!("reading {}", file.display()))?;
    // The paper keeps non-magnetic materials only; split files index the rows kept.
    let n_read = records.len();
    let records: Vec<_> = records
        .into_iter()
        .filter(|r| !r.document.is_magnetic(DEFAULT_MAGNETIC_TOL))
        .collect();
    if records.len() < n_read {
        eprintln!(
            "{}: dropped {} magnetic documents (net spin moment > {DEFAULT_MAGNETIC_TOL} muB per cell); split indices refer to the {} rows kept",
            file.display(),
            n_read - records.len(),
            records.len()
        );
    }
    let pipeline = ElectronDosPipeline::paper().check()?;
    let raw = records
        .into_iter()
        .map(|r| {
            let dos = pipeline
                .process(&r.document)
                .with_context(|| format!("{}: DOS processing", r.id))?;
            Ok(RawSample {
                id: r.id,
                crystal: r.crystal,
                target: Some(dos),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Dataset::build(
        raw,
        pipeline.grid().to_vec(),
        graph,
        &SymmetryConfig::default(),
    )?)
}

/// The run configuration `args` describe, with the model's input widths taken from `data`.
pub fn run_config(args: &TrainArgs, data: &Dataset, data_desc: String) -> Result<RunConfig> {
    let task: Task = args.data.task.into();
    let mut model = ModelConfig::preset(args.model, task, args.energy == OnOff::On);
    if let Some(s) = data.samples.first() {
        model.set_input_widths(s.graph.node_dim, s.graph.edge_dim);
    }
    ArchOverrides {
        hidden: args.hidden,
        gnn_layers: args.gnn_layers,
        cross_layers: args.cross_layers,
        self_layers: args.self_layers,
        branch_cross_layers: args.branch_cross_layers,
    }
    .apply(&mut model);
    model.set_precision(match args.dtype {
        DtypeArg::F32 => Precision::F32,
        DtypeArg::F64 => Precision::F64,
    });
    model.check().context("model settings")?;
    let base = match task {
        Task::Phonon => TrainConfig::paper_phonon(),
        Task::Electron => TrainConfig::paper_electron(),
    };
    let train = TrainConfig {
        epochs: args.epochs.unwrap_or(base.epochs),
        batch_size: args.batch_size.unwrap_or(base.batch_size),
        lr: args.lr,
        weight_decay: args.weight_decay,
        patience: args.patience,
        eval_every: args.eval_every,
        seed: args.seed,
        grad_clip: args.grad_clip,
        ema_decay: args.ema,
        trainable: args.trainable.into(),
        schedule: match args.schedule {
            ScheduleArg::Constant => LrSchedule::Constant,
            ScheduleArg::Cosine => LrSchedule::Cosine {
                min_lr: args.lr / 100.0,
            },
            ScheduleArg::Plateau => LrSchedule::Plateau {
                factor: 0.5,
                patience: 10,
                min_lr: args.lr / 100.0,
            },
        },
        ..base
    };
    train.check()?;
    let graph = task_graph(task);
    Ok(RunConfig {
        task,
        data: data_desc,
        model,
        train,
        graph,
    })
}

/// Runs `dos train`.
pub fn run(args: TrainArgs) -> Result<()> {
    let device = dos_train::default_device();
    let t0 = std::time::Instant::now();
    // Fine-tuning builds its graphs with the settings of the run it starts from.
    let graph = match &args.init {
        Some(init) => read_json::<RunConfig>(&init.join(CONFIG_FILE))?.graph,
        None => task_graph(args.data.task.into()),
    };
    let LoadedData {
        data,
        split,
        desc,
        sha256: data_sha256,
    } = load_data(&args.data, args.seed, &graph)?;
    eprintln!(
        "data: {desc}: {} crystals, train/valid/test {}/{}/{} ({:.1} s)",
        data.len(),
        split.train.len(),
        split.valid.len(),
        split.test.len(),
        t0.elapsed().as_secs_f64()
    );
    let mut cfg = run_config(&args, &data, desc)?;
    if let Some(init) = &args.init {
        let from: RunConfig = read_json(&init.join(CONFIG_FILE))?;
        if from.task != cfg.task {
            bail!(
                "--init {}: that run is a {:?} run, this one {:?}",
                init.display(),
                from.task,
                cfg.task
            );
        }
        cfg.model = from.model;
        cfg.graph = from.graph;
    }
    if args.resume && args.out.join(CONFIG_FILE).is_file() {
        // The saved run decides everything but the epoch budget and stopping settings.
        let saved: RunConfig = read_json(&args.out.join(CONFIG_FILE))?;
        let (epochs, patience, eval_every) =
            (cfg.train.epochs, cfg.train.patience, cfg.train.eval_every);
        cfg = saved;
        cfg.train.epochs = epochs;
        cfg.train.patience = patience;
        cfg.train.eval_every = eval_every;
    }
    let m = train_run(
        &cfg,
        &data,
        &split,
        &args.out,
        &RunOptions {
            device,
            resume: args.resume,
            progress: !args.quiet,
            init_seed: Some(args.seed),
            init_from: args.init.clone(),
            command: Some(std::env::args().collect::<Vec<_>>().join(" ")),
            data_sha256,
        },
    )?;
    println!(
        "{} (energy {}), {} parameters: {} epochs (best {}), {:.3} s/epoch train, {:.3} s/inference pass (valid), peak RSS {}",
        m.model,
        if m.energy { "on" } else { "off" },
        m.parameters,
        m.epochs,
        m.best_epoch.map_or("-".into(), |e| e.to_string()),
        m.seconds_per_epoch.unwrap_or(f64::NAN),
        m.seconds_per_inference.unwrap_or(f64::NAN),
        memory::peak_rss_display()
    );
    for (name, s) in [
        ("train", Some(&m.train)),
        ("valid", m.valid.as_ref()),
        ("test", m.test.as_ref()),
    ] {
        if let Some(s) = s {
            println!(
                "{name:<5} MSE x10 {:.4}  MAE {:.4}  RMSE {:.4}  R2 {:.4}  ({} crystals)",
                s.mse_x10, s.overall.mae, s.overall.rmse, s.overall.r2, s.overall.n_crystals
            );
        }
    }
    println!("run folder: {}", args.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_data::dos::ElectronDosDocument;
    use dos_data::physics::generate::{write_electron_dataset, ElectronRecord};
    use dos_data::Crystal;

    /// Magnetic documents (spin-up and spin-down densities differ) are dropped on loading.
    #[test]
    fn electron_loading_drops_magnetic_documents() {
        let energies: Vec<f64> = (0..401).map(|i| -10.0 + 0.05 * i as f64).collect();
        let up: Vec<f64> = energies.iter().map(|e| (-e * e / 8.0).exp()).collect();
        let record = |id: &str, down: Option<Vec<f64>>| ElectronRecord {
            id: id.into(),
            crystal: Crystal::new(
                [[3.6, 0.0, 0.0], [0.0, 3.6, 0.0], [0.0, 0.0, 3.6]],
                vec![29],
                vec![[0.0; 3]],
            )
            .unwrap(),
            document: ElectronDosDocument::new(
                0.0,
                energies.clone(),
                up.clone(),
                down,
                Path::new("test"),
            )
            .unwrap(),
            band_gap: Some(0.0),
            space_group: None,
            crystal_system: None,
        };
        let shifted: Vec<f64> = up.iter().map(|g| 0.5 * g).collect();
        let records = vec![
            record("plain", None),
            record("magnetic", Some(shifted)),
            record("paired", Some(up.clone())),
        ];
        let dir = tempfile::tempdir().unwrap();
        let file = write_electron_dataset(dir.path(), &records, 0).unwrap();
        let data = load_electron(&file, &GraphConfig::electron().check().unwrap()).unwrap();
        let ids: Vec<&str> = data.samples.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec!["plain", "paired"]);
    }
}
