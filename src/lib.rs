//! dos-rs: density-of-states prediction for crystalline materials on candle.
//!
//! This umbrella crate re-exports the workspace crates so that examples, benchmarks and
//! integration tests can `use dos::...`:
//! - [`config`]: the checked-configuration pattern (`Check`, `Checked`);
//! - [`data`]: crystals, readers, symmetry, periodic graphs, DOS processing, splits;
//! - [`synth`]: physics-generated data (random crystals, spring and tight-binding models);
//! - [`nn`]: LayerNorm/softmax with backward, PReLU, MLPs, gradient checks;
//! - [`graph`]: encoder/processor message passing;
//! - [`attn`]: masked cross/self-attention, energy embeddings, crystal-system prompts;
//! - [`models`]: DOSTransformer and the baselines;
//! - [`metrics`]: per-crystal errors and physical properties from a DOS;
//! - [`predict`]: model packages, the `Predictor`, the bundled phonon model;
//! - [`train`]: training data, the `Training` builder, evaluation and checkpoints.
//!
//! One dependency suffices: [`prelude`] brings the types a program needs (the device, the
//! predictor, the training data and builder, the model trait), and [`candle`] and
//! [`candle_nn`] re-export the candle this crate is built with.
//!
//! ```no_run
//! use dos::prelude::*;
//!
//! // Predict with the bundled model.
//! let predictor = Predictor::bundled(&Device::Cpu)?;
//! let p = predictor.predict_file("NaCl.cif")?;
//! println!("{} ({}): {} energies", p.formula, p.crystal_system_name(), p.mean.len());
//!
//! // Train on your own structures and DOS table, then predict with the result.
//! let data = TrainingData::from_structures(Task::Phonon, "structures/", "dos.csv")?;
//! let run = Training::new(ModelKind::DosTransformer).hidden(64).epochs(30).fit(&data, "runs/mine")?;
//! let mine = run.predictor(&Device::Cpu)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
pub use candle_core as candle;
/// candle-nn, for models of your own (`VarBuilder`, `Linear`, ...).
pub use candle_nn;
pub use dos_attn as attn;
pub use dos_config as config;
pub use dos_data as data;
pub use dos_graph as graph;
pub use dos_metrics as metrics;
pub use dos_models as models;
pub use dos_nn as nn;
pub use dos_predict as predict;
pub use dos_synth as synth;
pub use dos_train as train;

/// The types most programs need, in one `use dos::prelude::*`.
pub mod prelude {
    pub use candle_core::{DType, Device};
    pub use dos_data::io::read_structure;
    pub use dos_data::Crystal;
    pub use dos_models::{DosModel, ModelConfig, ModelKind, Task};
    pub use dos_predict::{ModelPackage, Prediction, Predictor};
    pub use dos_train::{TrainedRun, Training, TrainingData};
}
