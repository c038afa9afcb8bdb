//! `dos train`: train one model into a run folder (see `dos_train::run` for its layout).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::builder::TypedValueParser as _;
use clap::{Args, ValueEnum};
use dos_data::graph::GraphConfig;
use dos_data::split::Split;
use dos_models::{ArchOverrides, ModelKind, Precision, Task};
use dos_predict::ModelPackage;
use dos_train::run::CONFIG_FILE;
pub use dos_train::training_data::task_graph;
use dos_train::{memory, LrSchedule, StartFrom, Trainable, Training, TrainingData};

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
    /// Start from trained weights (fine-tuning): a run folder's best weights, or member
    /// --init-member of a model package folder, or of the bundled model (`bundled`). The model
    /// and graph settings are the starting model's: --model, --energy, --hidden, the layer
    /// counts and --dtype are ignored. Prompt rows of crystal systems it never saw start at
    /// the mean of its trained rows.
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Which member of the --init package to start from (0-based).
    #[arg(long, default_value_t = 0)]
    pub init_member: usize,
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

/// Data and split as `dos train`, `eval`, `sweep`, `package` and `data split` load them:
/// [`TrainingData::load`], with `--split` replacing the data's own split. Graphs are built with
/// `graph`; a random split (data without index files) is seeded with `seed`.
pub fn load_data(args: &DataArgs, seed: u64, graph: &GraphConfig) -> Result<TrainingData> {
    let data = TrainingData::load(args.task.into(), &args.data, graph, seed)?;
    Ok(match &args.split {
        Some(dir) => {
            let split = Split::read_dir(dir).with_context(|| format!("split {}", dir.display()))?;
            data.with_split(split)
                .context("the split does not index this data")?
        }
        None => data,
    })
}

/// The [`Training`] that `args` describe.
pub fn training(args: &TrainArgs) -> Training {
    let mut t = Training::new(args.model)
        .energy_embeddings(args.energy == OnOff::On)
        .arch(ArchOverrides {
            hidden: args.hidden,
            gnn_layers: args.gnn_layers,
            cross_layers: args.cross_layers,
            self_layers: args.self_layers,
            branch_cross_layers: args.branch_cross_layers,
        })
        .precision(match args.dtype {
            DtypeArg::F32 => Precision::F32,
            DtypeArg::F64 => Precision::F64,
        })
        .lr(args.lr)
        .weight_decay(args.weight_decay)
        .patience(args.patience)
        .seed(args.seed)
        .trainable(args.trainable.into())
        .schedule(match args.schedule {
            ScheduleArg::Constant => LrSchedule::Constant,
            ScheduleArg::Cosine => LrSchedule::Cosine {
                min_lr: args.lr / 100.0,
            },
            ScheduleArg::Plateau => LrSchedule::Plateau {
                factor: 0.5,
                patience: 10,
                min_lr: args.lr / 100.0,
            },
        })
        .eval_every(args.eval_every)
        .progress(!args.quiet)
        .resume(args.resume);
    if let Some(n) = args.epochs {
        t = t.epochs(n);
    }
    if let Some(n) = args.batch_size {
        t = t.batch_size(n);
    }
    if let Some(c) = args.grad_clip {
        t = t.grad_clip(c);
    }
    if let Some(d) = args.ema {
        t = t.weight_average(d);
    }
    t
}

/// The model `--init` and `--init-member` name: a run folder, or a member of a package folder
/// or of the bundled model.
pub fn start_from(args: &TrainArgs) -> Result<Option<StartFrom>> {
    let Some(init) = &args.init else {
        return Ok(None);
    };
    if init.join(CONFIG_FILE).is_file() && !init.join(dos_predict::package::MANIFEST_FILE).is_file()
    {
        return Ok(Some(StartFrom::Run(init.clone())));
    }
    let package = if init.as_os_str() == "bundled" && !init.exists() {
        dos_predict::bundled::package().context("loading the bundled model")?
    } else {
        ModelPackage::read(init).with_context(|| format!("--init {}", init.display()))?
    };
    Ok(Some(StartFrom::Member {
        package: Box::new(package),
        index: args.init_member,
    }))
}

/// Runs `dos train`.
pub fn run(args: TrainArgs) -> Result<()> {
    let t0 = std::time::Instant::now();
    // Fine-tuning builds its graphs with the settings of the model it starts from.
    let start = start_from(&args)?;
    let graph = match &start {
        Some(s) => s.settings().context("--init")?.2,
        None => task_graph(args.data.task.into()),
    };
    let data = load_data(&args.data, args.seed, &graph)?;
    eprintln!(
        "data: {}: {} crystals, train/valid/test {}/{}/{} ({:.1} s)",
        data.source,
        data.len(),
        data.split.train.len(),
        data.split.valid.len(),
        data.split.test.len(),
        t0.elapsed().as_secs_f64()
    );
    let mut t = training(&args);
    if let Some(s) = start {
        t = t.start_from(s);
    }
    let m = t
        .command(std::env::args().collect::<Vec<_>>().join(" "))
        .fit(&data, &args.out)?
        .metrics;
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
