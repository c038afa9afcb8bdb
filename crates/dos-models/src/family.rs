//! Model families of your own: implement [`DosModel`] for your model, register a builder
//! under a name with [`register_family`], and describe it with a [`CustomConfig`] (as
//! [`ModelConfig::Custom`](crate::ModelConfig::Custom)). From then on it trains with
//! `dos_train::Training::from_config`, is packaged with its weights, and loads in
//! `dos_predict::Predictor` like the built-in families; no `match` elsewhere changes.
//!
//! ```
//! use candle_core::{Module, Result, Tensor};
//! use candle_nn::{linear, Linear, VarBuilder};
//! use dos_data::CrystalBatch;
//! use dos_models::{register_family, CustomConfig, DosModel};
//!
//! /// Mean of the atoms' features, then one linear layer to the M energies.
//! struct MeanLinear { out: Linear, m: usize }
//!
//! impl DosModel for MeanLinear {
//!     fn n_energies(&self) -> usize { self.m }
//!     fn predict(&self, b: &CrystalBatch) -> Result<Tensor> {
//!         let x = &b.node_features;
//!         let sums = Tensor::zeros((b.len(), x.dim(1)?), x.dtype(), x.device())?
//!             .index_add(&b.node_crystal, x, 0)?;
//!         let counts: Vec<f32> = b.atoms_per_crystal.iter().map(|&n| n as f32).collect();
//!         let counts = Tensor::new(counts, x.device())?.to_dtype(x.dtype())?.unsqueeze(1)?;
//!         self.out.forward(&sums.broadcast_div(&counts)?)
//!     }
//!     fn loss(&self, b: &CrystalBatch) -> Result<Tensor> {
//!         dos_models::batch_rmse(&self.predict(b)?, &dos_models::loss::targets(b, self.m)?)
//!     }
//! }
//!
//! register_family("mean-linear", |cfg: &CustomConfig, vb: VarBuilder| {
//!     let out = linear(cfg.node_in, cfg.n_energies, vb.pp("out"))?;
//!     Ok(Box::new(MeanLinear { out, m: cfg.n_energies }) as Box<dyn DosModel>)
//! });
//! ```

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};

use crate::{ArchOverrides, DosModel, ModelSettings, Precision, PromptConfig};

/// The configuration of a model of a registered family: the widths every model needs (set
/// from the data by the trainer), and the family's own parameters as free JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomConfig {
    /// The name the family was registered under ([`register_family`]).
    pub family: String,
    /// Node (atom) feature width.
    pub node_in: usize,
    /// Edge feature width.
    pub edge_in: usize,
    /// Number of energies M.
    pub n_energies: usize,
    /// Hidden width d (what `hidden` overrides set; the family decides what it means).
    pub hidden: usize,
    /// Float precision.
    #[serde(default)]
    pub precision: Precision,
    /// Trained crystal systems (for families that use prompts; the trainer records them).
    #[serde(default)]
    pub prompts: PromptConfig,
    /// Whether the family uses energy embeddings (reported in run metrics).
    #[serde(default)]
    pub energy: bool,
    /// The family's own parameters.
    #[serde(default)]
    pub params: serde_json::Value,
}

impl CustomConfig {
    /// A config of `family` with hidden width `hidden`; the widths are set from the data when
    /// training (`dos_train::Training`).
    pub fn new(family: impl Into<String>, hidden: usize) -> Self {
        Self {
            family: family.into(),
            node_in: 1,
            edge_in: 0,
            n_energies: 1,
            hidden,
            precision: Precision::default(),
            prompts: PromptConfig::default(),
            energy: false,
            params: serde_json::Value::Null,
        }
    }
}

impl ModelSettings for CustomConfig {
    crate::model_settings::own_settings!();
    crate::model_settings::graph_input_widths!();
    fn uses_energy(&self) -> bool {
        self.energy
    }
    fn apply_arch(&mut self, overrides: &ArchOverrides) {
        if let Some(d) = overrides.hidden {
            self.hidden = d;
        }
    }
}

/// Builds a model of a family from its config, under `vb`.
pub type FamilyBuilder =
    dyn Fn(&CustomConfig, VarBuilder) -> candle_core::Result<Box<dyn DosModel>> + Send + Sync;

fn registry() -> &'static RwLock<HashMap<String, Arc<FamilyBuilder>>> {
    static REGISTRY: OnceLock<RwLock<HashMap<String, Arc<FamilyBuilder>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Registers the model family `name`: `build` makes a model from a [`CustomConfig`] whose
/// `family` is `name`. Registering a name again replaces the builder.
pub fn register_family<F>(name: &str, build: F)
where
    F: Fn(&CustomConfig, VarBuilder) -> candle_core::Result<Box<dyn DosModel>>
        + Send
        + Sync
        + 'static,
{
    let mut map = registry().write().unwrap_or_else(|e| e.into_inner());
    map.insert(name.to_string(), Arc::new(build));
}

/// The names of the registered families, sorted.
pub fn registered_families() -> Vec<String> {
    let map = registry().read().unwrap_or_else(|e| e.into_inner());
    let mut names: Vec<String> = map.keys().cloned().collect();
    names.sort();
    names
}

/// Builds a model of a registered family.
///
/// # Errors
/// A family nobody registered (the message names it and the registered ones); the builder's
/// own errors.
pub(crate) fn build_custom(
    cfg: &CustomConfig,
    vb: VarBuilder,
) -> candle_core::Result<Box<dyn DosModel>> {
    let build = {
        let map = registry().read().unwrap_or_else(|e| e.into_inner());
        map.get(&cfg.family).cloned()
    };
    match build {
        Some(build) => build(cfg, vb),
        None => Err(candle_core::Error::Msg(format!(
            "model family `{}` is not registered in this program (registered: {}); call \
             dos_models::register_family before loading or training it",
            cfg.family,
            match registered_families() {
                v if v.is_empty() => "none".to_string(),
                v => v.join(", "),
            }
        ))),
    }
}

/// A built model of a registered family (what [`AnyModel::Custom`](crate::AnyModel::Custom)
/// holds).
#[derive(Clone)]
pub struct CustomModel {
    /// The family's name.
    pub family: String,
    model: Arc<dyn DosModel>,
}

impl CustomModel {
    /// Builds the model that `cfg` describes.
    ///
    /// # Errors
    /// A family nobody registered (the message names it and the registered ones); the
    /// builder's own errors.
    pub fn new(cfg: &CustomConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            family: cfg.family.clone(),
            model: Arc::from(build_custom(cfg, vb)?),
        })
    }

    /// The model.
    pub fn model(&self) -> &dyn DosModel {
        self.model.as_ref()
    }
}

impl std::fmt::Debug for CustomModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CustomModel({})", self.family)
    }
}
