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
//! use dos_data::graph::{GraphConfig, Sample};
//! use dos_data::{Crystal, CrystalBatch};
//! use dos_models::{AnyModel, Check, DosModel, ModelConfig, ModelKind, Task};
//!
//! let mut cfg = ModelConfig::preset(ModelKind::Mlp, Task::Phonon, true);
//! if let ModelConfig::Mlp(c) = &mut cfg {
//!     (c.hidden, c.head.head_hidden) = (8, 8);
//! }
//! let (model, _vars) = AnyModel::build(&cfg.check()?, &Device::Cpu)?;
//! let l = [[3.6, 0.0, 0.0], [0.0, 3.6, 0.0], [0.0, 0.0, 3.6]];
//! let cu = Crystal::new(l, vec![29], vec![[0.0; 3]])?;
//! let system = Some(dos_data::symmetry::CrystalSystem::Cubic);
//! let sample = Sample::new("cu", cu, &GraphConfig::phonon().check()?, system, None)?;
//! let batch = CrystalBatch::from_samples(&[&sample], &Device::Cpu, DType::F32)?;
//! assert_eq!(model.predict(&batch)?.dims(), &[1, 51]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod any_model;
pub mod arch_overrides;
pub mod baseline;
pub mod checkpoint;
pub mod config;
#[cfg(test)]
mod conformance;
pub mod dostransformer;
#[doc(hidden)]
pub mod dostransformer_backward;
#[doc(hidden)]
pub mod dostransformer_host;
pub mod e3nn_lite;
pub mod error;
pub mod family;
pub mod graph_network;
pub mod loss;
pub mod mlp_baseline;
pub mod model;
pub mod model_settings;
pub mod precision;
pub mod prompt_config;
pub mod size_limits;
/// Random crystals and batches for tests and benchmarks (feature `testing`).
#[cfg(any(test, feature = "testing"))]
pub mod synthetic;
#[cfg(test)]
mod testing;

pub use any_model::AnyModel;
pub use arch_overrides::ArchOverrides;
pub use baseline::{AtomEncoder, Baseline, BaselineHeadConfig, OutputHead, SystemInjection};
pub use checkpoint::{load_checkpoint, parameter_count, save_checkpoint, LoadedModel};
pub use config::{ModelConfig, ModelKind, Task};
pub use dos_attn::UnseenRule;
pub use dos_config::{Check, CheckFields, Checked};
pub use dostransformer::{Branch, DosTransformer, DosTransformerConfig, Trunk};
pub use e3nn_lite::{E3nnEncoder, E3nnEncoderConfig, E3nnLite, E3nnLiteConfig, RadialBasis};
pub use error::{ModelError, Result};
pub use family::{register_family, registered_families, CustomConfig, CustomModel};
pub use graph_network::{GraphNetwork, GraphNetworkConfig};
pub use loss::batch_rmse;
pub use mlp_baseline::{Mlp, MlpConfig};
pub use model::DosModel;
pub use model_settings::ModelSettings;
pub use precision::Precision;
pub use prompt_config::PromptConfig;
