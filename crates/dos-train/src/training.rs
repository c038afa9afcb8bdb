//! [`Training`]: a builder that reads like a sentence, from a model family and its settings to
//! a trained run folder with a model package.
//!
//! ```no_run
//! use dos_train::{Training, TrainingData};
//! use dos_models::ModelKind;
//!
//! let data = TrainingData::benchmark()?;
//! let run = Training::new(ModelKind::DosTransformer)
//!     .hidden(64)
//!     .epochs(20)
//!     .batch_size(8)
//!     .lr(5e-4)
//!     .cosine_schedule()
//!     .fit(&data, "runs/d64")?;
//! println!("valid MSE x10 {:.3}", run.metrics.valid.as_ref().unwrap().mse_x10);
//! let predictor = run.predictor(&candle_core::Device::Cpu)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What the data settles is taken from it, never set by hand: the model's input widths (the
//! graphs' feature widths), the number of energies M (the data's grid), the trained crystal
//! systems (the training split's) and the grid the package declares. Everything else starts
//! at the paper's settings for the data's task ([`TrainConfig::paper_phonon`] /
//! [`TrainConfig::paper_electron`], the family's preset).

use std::path::{Path, PathBuf};

use candle_core::Device;
use dos_config::Check;
use dos_models::{ArchOverrides, ModelConfig, ModelKind, Precision, Task};
use dos_predict::{ModelPackage, Predictor};

use crate::config::{LrSchedule, TrainConfig, Trainable};
use crate::error::{Result, TrainError};
use crate::fine_tune::StartFrom;
use crate::run::{read_json, train_run, RunConfig, RunMetrics, RunOptions, CONFIG_FILE};
use crate::training_data::TrainingData;

/// Which model to train: a family's preset, or a config of your own.
#[derive(Debug, Clone)]
enum ModelChoice {
    Preset { kind: ModelKind, energy: bool },
    Config(Box<ModelConfig>),
}

/// Trains a model on [`TrainingData`] into a run folder (see [`crate::run`]) holding a model
/// package. Built with chained setters; [`Training::fit`] runs it.
#[derive(Debug, Clone)]
pub struct Training {
    model: ModelChoice,
    arch: ArchOverrides,
    precision: Option<Precision>,
    train: TrainConfig,
    batch_size: Option<usize>,
    device: Device,
    progress: bool,
    resume: bool,
    init_from: Option<StartFrom>,
    command: Option<String>,
}

impl Training {
    /// A model of family `kind` at its preset for the data's task (energy embeddings on).
    pub fn new(kind: ModelKind) -> Self {
        Self::with_model(ModelChoice::Preset { kind, energy: true })
    }

    /// A model described by `config` (input widths and M are still taken from the data).
    pub fn from_config(config: ModelConfig) -> Self {
        Self::with_model(ModelChoice::Config(Box::new(config)))
    }

    fn with_model(model: ModelChoice) -> Self {
        Self {
            model,
            arch: ArchOverrides::default(),
            precision: None,
            train: TrainConfig::paper_phonon(),
            batch_size: None,
            device: crate::default_device(),
            progress: false,
            resume: false,
            init_from: None,
            command: None,
        }
    }

    /// Energy embeddings of a baseline's head on or off (DOSTransformer always has them).
    pub fn energy_embeddings(mut self, on: bool) -> Self {
        if let ModelChoice::Preset { energy, .. } = &mut self.model {
            *energy = on;
        }
        self
    }

    /// Hidden width d (and the widths that follow it, see [`ArchOverrides`]).
    pub fn hidden(mut self, d: usize) -> Self {
        self.arch.hidden = Some(d);
        self
    }

    /// Size overrides: hidden width and layer counts.
    pub fn arch(mut self, overrides: ArchOverrides) -> Self {
        self.arch = overrides;
        self
    }

    /// Float precision of the model (f32 by default).
    pub fn precision(mut self, precision: Precision) -> Self {
        self.precision = Some(precision);
        self
    }

    /// All training settings at once (the setters below change single fields of it).
    pub fn train_config(mut self, train: TrainConfig) -> Self {
        self.batch_size = Some(train.batch_size);
        self.train = train;
        self
    }

    /// Maximum epochs.
    pub fn epochs(mut self, n: usize) -> Self {
        self.train.epochs = n;
        self
    }

    /// Crystals per batch [default: the task's, 1 phonon and 8 electron].
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = Some(n);
        self
    }

    /// AdamW learning rate.
    pub fn lr(mut self, lr: f64) -> Self {
        self.train.lr = lr;
        self
    }

    /// AdamW decoupled weight decay.
    pub fn weight_decay(mut self, wd: f64) -> Self {
        self.train.weight_decay = wd;
        self
    }

    /// Early-stopping patience in epochs (0: off).
    pub fn patience(mut self, epochs: usize) -> Self {
        self.train.patience = epochs;
        self
    }

    /// Evaluate on the validation split every this many epochs.
    pub fn eval_every(mut self, epochs: usize) -> Self {
        self.train.eval_every = epochs;
        self
    }

    /// Seed of the initial weights and of the shuffling.
    pub fn seed(mut self, seed: u64) -> Self {
        self.train.seed = seed;
        self
    }

    /// Learning-rate schedule.
    pub fn schedule(mut self, schedule: LrSchedule) -> Self {
        self.train.schedule = schedule;
        self
    }

    /// Cosine decay to lr/100 over the epoch budget (uses the learning rate set so far).
    pub fn cosine_schedule(mut self) -> Self {
        self.train.schedule = LrSchedule::Cosine {
            min_lr: self.train.lr / 100.0,
        };
        self
    }

    /// Clip the global gradient norm to `max_norm`.
    pub fn grad_clip(mut self, max_norm: f64) -> Self {
        self.train.grad_clip = Some(max_norm);
        self
    }

    /// Keep an exponential moving average of the weights (e.g. 0.999 per step); validation,
    /// early stopping and the saved model use it.
    pub fn weight_average(mut self, decay: f64) -> Self {
        self.train.ema_decay = Some(decay);
        self
    }

    /// Which parameters train.
    pub fn trainable(mut self, trainable: Trainable) -> Self {
        self.train.trainable = trainable;
        self
    }

    /// Device of the tensors [default: [`crate::default_device`]].
    pub fn device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// Show a progress bar (off by default).
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// Continue the run in the output folder from its last checkpoint when there is one; the
    /// saved run then decides everything but the epoch budget, patience and evaluation period.
    pub fn resume(mut self, on: bool) -> Self {
        self.resume = on;
        self
    }

    /// Fine-tune: start from the best weights of the run folder `run` (its model and graph
    /// settings replace this builder's; the data must have been built with that run's graph
    /// settings, see [`TrainingData::load`]).
    pub fn fine_tune_from(self, run: impl AsRef<Path>) -> Self {
        self.start_from(StartFrom::Run(run.as_ref().to_path_buf()))
    }

    /// Fine-tune: start from member `index` of `package` (e.g. `dos_predict::bundled::package()`);
    /// as [`Training::fine_tune_from`] otherwise.
    pub fn fine_tune_member(self, package: ModelPackage, index: usize) -> Self {
        self.start_from(StartFrom::Member {
            package: Box::new(package),
            index,
        })
    }

    /// Fine-tune from `start`.
    pub fn start_from(mut self, start: StartFrom) -> Self {
        self.init_from = Some(start);
        self
    }

    /// The command line recorded in the run's package (provenance).
    pub fn command(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }

    /// The run configuration this builder gives for `data` (what [`Training::fit`] saves as
    /// `config.json`), checked.
    ///
    /// # Errors
    /// Settings out of range (naming the field); a model whose family cannot take the data.
    pub fn run_config(&self, data: &TrainingData) -> Result<RunConfig> {
        let mut model = match &self.model {
            ModelChoice::Preset { kind, energy } => ModelConfig::preset(*kind, data.task, *energy),
            ModelChoice::Config(c) => (**c).clone(),
        };
        self.arch.apply(&mut model);
        let mut graph = data.graph;
        if let Some(start) = &self.init_from {
            let (task, from_model, from_graph) = start.settings()?;
            if task != data.task {
                return Err(TrainError::Data(format!(
                    "the model to fine-tune learned the {} DOS, the data is {} DOS",
                    task_name(task),
                    task_name(data.task)
                )));
            }
            if from_graph != data.graph {
                return Err(TrainError::Data(
                    "the model to fine-tune built its graphs with other settings than the \
                     data's; load the data with its graph settings (TrainingData::load)"
                        .into(),
                ));
            }
            model = from_model;
            graph = from_graph;
        }
        let (node_in, edge_in) = data.input_widths();
        model.set_input_widths(node_in, edge_in);
        model.set_n_energies(data.dataset.energies.len());
        if let Some(p) = self.precision {
            model.set_precision(p);
        }
        model.check()?;
        let task_default = match data.task {
            Task::Phonon => TrainConfig::paper_phonon(),
            Task::Electron => TrainConfig::paper_electron(),
        };
        let train = TrainConfig {
            batch_size: self.batch_size.unwrap_or(task_default.batch_size),
            ..self.train.clone()
        };
        train.check()?;
        Ok(RunConfig {
            task: data.task,
            data: data.source.clone(),
            model,
            train,
            graph,
            energy_grid: Some(data.grid()),
        })
    }

    /// Trains on `data` and writes the run folder `out` (config, split, best model, metrics,
    /// per-epoch log, checkpoint, and `package/`, a one-member model package with the data's
    /// grid). The test split is scored once, at the end, with the best weights.
    ///
    /// # Errors
    /// Settings out of range, an existing run in `out` without [`Training::resume`], data,
    /// model and IO errors.
    pub fn fit(&self, data: &TrainingData, out: impl AsRef<Path>) -> Result<TrainedRun> {
        let out = out.as_ref();
        let mut cfg = self.run_config(data)?;
        if self.resume && out.join(CONFIG_FILE).is_file() {
            // The saved run decides everything but the epoch budget and stopping settings.
            let saved: RunConfig = read_json(&out.join(CONFIG_FILE))?;
            let (epochs, patience, eval_every) =
                (cfg.train.epochs, cfg.train.patience, cfg.train.eval_every);
            cfg = saved;
            cfg.train.epochs = epochs;
            cfg.train.patience = patience;
            cfg.train.eval_every = eval_every;
        }
        let metrics = train_run(
            &cfg,
            &data.dataset,
            &data.split,
            out,
            &RunOptions {
                device: self.device.clone(),
                resume: self.resume,
                progress: self.progress,
                init_seed: Some(cfg.train.seed),
                init_from: self.init_from.clone(),
                command: self.command.clone(),
                data_sha256: data.sha256.clone(),
            },
        )?;
        Ok(TrainedRun {
            dir: out.to_path_buf(),
            metrics,
        })
    }
}

fn task_name(task: Task) -> &'static str {
    match task {
        Task::Phonon => "phonon",
        Task::Electron => "electron",
    }
}

/// A finished run: its folder and its metrics.
#[derive(Debug, Clone)]
pub struct TrainedRun {
    /// The run folder.
    pub dir: PathBuf,
    /// Train / valid / test metrics of the best weights, epochs, timings.
    pub metrics: RunMetrics,
}

impl TrainedRun {
    /// The run's model package (`RUN/package/`).
    ///
    /// # Errors
    /// The package could not be read.
    pub fn package(&self) -> Result<ModelPackage> {
        ModelPackage::read(self.dir.join(crate::run::PACKAGE_DIR))
            .map_err(|e| TrainError::Data(e.to_string()))
    }

    /// A [`Predictor`] over the run's package on `device`.
    ///
    /// # Errors
    /// As [`TrainedRun::package`].
    pub fn predictor(&self, device: &Device) -> Result<Predictor> {
        Predictor::from_package(self.package()?, device)
            .map_err(|e| TrainError::Data(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Module, Tensor};
    use candle_nn::{linear, Linear, VarBuilder};
    use dos_data::CrystalBatch;
    use dos_models::{register_family, CustomConfig, DosModel};

    /// Sum of the atoms' features through one linear layer.
    struct SumLinear(Linear, usize);

    impl DosModel for SumLinear {
        fn n_energies(&self) -> usize {
            self.1
        }
        fn predict(&self, b: &CrystalBatch) -> candle_core::Result<Tensor> {
            let x = &b.node_features;
            let sums = Tensor::zeros((b.len(), x.dim(1)?), x.dtype(), x.device())?.index_add(
                &b.node_crystal,
                x,
                0,
            )?;
            self.0.forward(&sums)
        }
        fn loss(&self, b: &CrystalBatch) -> candle_core::Result<Tensor> {
            dos_models::batch_rmse(&self.predict(b)?, &dos_models::loss::targets(b, self.1)?)
        }
    }

    /// A family of one's own: the data sets its widths and M, it trains, and its package loads
    /// in `Predictor` and predicts what the trained model predicts; before registration a
    /// package of it is refused naming the family.
    #[test]
    fn registered_family_trains_packages_and_loads() {
        let data = TrainingData::generated_phonon(24, 3).unwrap();
        let cfg = ModelConfig::Custom(CustomConfig::new("sum-linear-test", 4));
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let unregistered = Training::from_config(cfg.clone())
            .epochs(1)
            .device(Device::Cpu)
            .fit(&data, &out);
        let e = unregistered.unwrap_err().to_string();
        assert!(e.contains("`sum-linear-test` is not registered"), "{e}");
        std::fs::remove_dir_all(&out).ok();

        register_family("sum-linear-test", |c: &CustomConfig, vb: VarBuilder| {
            let l = linear(c.node_in, c.n_energies, vb.pp("out"))?;
            Ok(Box::new(SumLinear(l, c.n_energies)) as Box<dyn DosModel>)
        });
        let run = Training::from_config(cfg)
            .epochs(3)
            .batch_size(4)
            .lr(1e-2)
            .device(Device::Cpu)
            .fit(&data, &out)
            .unwrap();
        assert_eq!(run.metrics.model, "sum-linear-test");
        let package = run.package().unwrap();
        let ModelConfig::Custom(c) = &package.manifest.members[0].model else {
            panic!("the package lost the family")
        };
        assert_eq!((c.node_in, c.n_energies), (data.input_widths().0, 51));
        assert_eq!(package.manifest.energy_grid, data.grid());
        let predictor = run.predictor(&Device::Cpu).unwrap();
        let sample = &data.dataset.samples[data.split.test[0]];
        let p = predictor
            .predict_one("x", sample.crystal.clone(), &Default::default())
            .unwrap();
        let loaded = crate::load_run(&out, &Device::Cpu).unwrap();
        let batch =
            CrystalBatch::from_samples(&[sample], &Device::Cpu, candle_core::DType::F32).unwrap();
        let direct = loaded
            .model
            .model
            .predict(&batch)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        for (a, b) in p.mean.iter().zip(&direct[0]) {
            assert!((a - f64::from(*b)).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
