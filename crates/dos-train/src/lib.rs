//! dos-train: training, evaluation, early stopping, checkpoints and resume for dos-rs models.
//!
//! - [`TrainingData`] (the crystals, split, graph settings and energy grid) and [`Training`]
//!   (a builder from a model family to a run folder with a model package) are the front door:
//!
//! ```no_run
//! use dos_train::{Training, TrainingData};
//! let data = TrainingData::from_structures(dos_models::Task::Phonon, "structures/", "dos.csv")?;
//! let run = Training::new(dos_models::ModelKind::DosTransformer).hidden(64).epochs(30).fit(&data, "runs/mine")?;
//! let predictor = run.predictor(&candle_core::Device::Cpu)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`TrainConfig`] (checked once into a `Checked<TrainConfig>`): AdamW settings (paper: lr 1e-4,
//!   weight decay 0.01), batch size, epochs, evaluation period, early-stopping patience (50),
//!   seed, optional LR schedule ([`LrSchedule`]) and gradient clipping.
//! - [`Trainer`]: the loop; [`BatchSource`] supplies batches; [`predict_all`] evaluates;
//!   a model's loss with its gradients comes from `DosModel::loss_and_grads`
//!   (DOSTransformer's step written by hand on the CPU).
//! - The optimiser is [`dos_nn::FusedAdamW`] (the update of `candle_nn::AdamW`, checked
//!   equal in a test, with saveable moments, so `--resume` restores it exactly;
//!   `candle-optimisers` 0.10 does not build with candle 0.11), built by [`optimiser_for`].
//! - Checkpoints and best weights are written atomically (temporary file + rename).
#![warn(missing_docs)]

pub mod cache;
pub mod config;
pub mod device;
pub mod ensemble;
pub mod error;
pub mod fine_tune;
pub mod generated;
pub mod init;
pub mod log;
pub mod memory;
pub mod named_tensors;
pub mod predictions;
pub mod run;
pub mod run_config;
pub mod schedule;
pub mod shuffle;
pub mod source;
pub mod trainer;
pub mod training;
pub mod training_data;
pub mod training_state;
pub mod weight_average;

pub use cache::BatchCache;
pub use config::{LrSchedule, TrainConfig, Trainable};
pub use device::default_device;
pub use dos_config::{Check, CheckFields, Checked};
pub use dos_nn::SeededVarMap;
pub use ensemble::{evaluate_predictor, package_runs, EnsembleEvaluation, PackagedEnsemble};
pub use error::{Result, TrainError};
pub use fine_tune::StartFrom;
pub use generated::generated_phonon_dataset;
pub use init::build_seeded;
pub use log::EpochRecord;
pub use predictions::{predict_all, Predictions};
pub use run::{load_run, train_run, LoadedRun, RunConfig, RunMetrics, RunOptions, SplitMetrics};
pub use schedule::LrScheduler;
pub use source::{BatchSource, SampleSource};
pub use trainer::{optimiser_for, FitReport, MetricsFn, Trainer};
pub use training::{TrainedRun, Training};
pub use training_data::TrainingData;
pub use training_state::TrainState;
pub use weight_average::WeightAverage;
