//! dos-rs: density-of-states prediction for crystalline materials on candle.
//!
//! This umbrella crate re-exports the workspace crates so that examples, benchmarks and
//! integration tests can `use dos::...`:
//! - [`config`]: the checked-configuration pattern (`Check`, `Checked`);
//! - [`data`]: crystals, readers, symmetry, periodic graphs, DOS processing, splits;
//! - [`nn`]: LayerNorm/softmax with backward, PReLU, MLPs, gradient checks;
//! - [`graph`]: encoder/processor message passing;
//! - [`attn`]: masked cross/self-attention, energy embeddings, crystal-system prompts;
//! - [`models`]: DOSTransformer and the baselines;
//! - [`metrics`]: per-crystal errors and physical properties from a DOS;
//! - [`predict`]: model packages, the `Predictor`, the bundled phonon model;
//! - [`train`]: training, evaluation and checkpoints.
pub use dos_attn as attn;
pub use dos_config as config;
pub use dos_data as data;
pub use dos_graph as graph;
pub use dos_metrics as metrics;
pub use dos_models as models;
pub use dos_nn as nn;
pub use dos_predict as predict;
pub use dos_train as train;
