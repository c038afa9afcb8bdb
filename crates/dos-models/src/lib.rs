//! # dos-models
//!
//! DOSTransformer and its baselines behind one trait, [`DosModel`]:
//! - [`DosTransformer`] (GNN + energy-embedding cross-attention + prompt-guided branches);
//! - baselines [`Mlp`], [`GraphNetwork`], [`E3nnLite`], each with or without energy
//!   embeddings and with optional crystal-system prompts ([`SystemInjection`]);
//! - [`ModelConfig`] / [`AnyModel`] to build any of them from a serialised config;
//! - [`checkpoint`]: atomic safetensors + JSON checkpoints.
//!
//! ```
//! use candle_core::{DType, Device};
//! use dos_models::synthetic::{batch_from_graphs, SplitMix64, SyntheticCrystal, SyntheticSpec};
//! use dos_models::{AnyModel, DosModel, ModelConfig, ModelKind, Task};
//!
//! let mut cfg = ModelConfig::preset(ModelKind::Mlp, Task::Phonon, true);
//! if let ModelConfig::Mlp(c) = &mut cfg {
//!     (c.node_in, c.hidden, c.head.head_hidden) = (5, 8, 8);
//! }
//! let (model, _vars) = AnyModel::build(&cfg.validate()?, &Device::Cpu)?;
//! let spec = SyntheticSpec { atoms: 3, density: 0.1, node_in: 5, n_energies: 51, crystal_system: 0 };
//! let crystal = SyntheticCrystal::random(&spec, &mut SplitMix64::new(0));
//! let batch = batch_from_graphs(&[crystal.graph(4.0, 4)], &Device::Cpu, DType::F32)?;
//! assert_eq!(model.predict(&batch)?.dims(), &[1, 51]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod any_model;
pub mod baseline;
pub mod checkpoint;
pub mod config;
#[cfg(test)]
mod conformance;
pub mod dostransformer;
pub mod e3nn_lite;
pub mod error;
pub mod graph_network;
pub mod loss;
pub mod mlp;
pub mod model;
pub mod precision;
pub mod prompts;
pub mod size_limits;
pub mod synthetic;
#[cfg(test)]
mod testing;

pub use any_model::AnyModel;
pub use baseline::{BaselineHeadConfig, OutputHead, SystemInjection};
pub use checkpoint::{load_checkpoint, parameter_count, save_checkpoint, LoadedModel};
pub use config::{ModelConfig, ModelKind, Task, Valid};
pub use dos_attn::UnseenRule;
pub use dostransformer::{DosTransformer, DosTransformerConfig};
pub use e3nn_lite::{E3nnEncoder, E3nnEncoderConfig, E3nnLite, E3nnLiteConfig, RadialBasis};
pub use error::{ModelError, Result};
pub use graph_network::{GraphNetwork, GraphNetworkConfig};
pub use loss::batch_rmse;
pub use mlp::{Mlp, MlpConfig};
pub use model::{loss_and_grads_in_one_part, DosModel};
pub use precision::Precision;
pub use prompts::PromptConfig;
