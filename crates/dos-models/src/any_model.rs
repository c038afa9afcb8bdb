//! [`AnyModel`]: any of the four models behind one type, built from a [`ModelConfig`].

use candle_core::{Device, Result, Tensor};
use candle_nn::{VarBuilder, VarMap};
use dos_data::CrystalBatch;

use crate::config::Valid;
use crate::{DosModel, DosTransformer, E3nnLite, GraphNetwork, Mlp, ModelConfig, ModelKind};

/// One of the four models.
#[derive(Debug, Clone)]
pub enum AnyModel {
    /// DOSTransformer.
    DosTransformer(DosTransformer),
    /// Atom-wise MLP.
    Mlp(Mlp),
    /// Graph network.
    GraphNetwork(GraphNetwork),
    /// E(3)-equivariant network.
    E3nnLite(E3nnLite),
}

impl AnyModel {
    /// Builds (or loads) the model described by `cfg` under `vb` (whose dtype should be
    /// `cfg.precision()`).
    pub fn new(cfg: &Valid<ModelConfig>, vb: VarBuilder) -> Result<Self> {
        Ok(match &cfg.0 {
            ModelConfig::DosTransformer(c) => {
                AnyModel::DosTransformer(DosTransformer::new(&Valid(c.clone()), vb)?)
            }
            ModelConfig::Mlp(c) => AnyModel::Mlp(Mlp::new(&Valid(c.clone()), vb)?),
            ModelConfig::GraphNetwork(c) => {
                AnyModel::GraphNetwork(GraphNetwork::new(&Valid(c.clone()), vb)?)
            }
            ModelConfig::E3nnLite(c) => AnyModel::E3nnLite(E3nnLite::new(&Valid(c.clone()), vb)?),
        })
    }

    /// A freshly initialised model and its variables, in the config's precision on
    /// `device`.
    pub fn build(cfg: &Valid<ModelConfig>, device: &Device) -> Result<(Self, VarMap)> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, cfg.precision().dtype(), device);
        let model = Self::new(cfg, vb)?;
        Ok((model, varmap))
    }

    /// The model family.
    pub fn kind(&self) -> ModelKind {
        match self {
            AnyModel::DosTransformer(_) => ModelKind::DosTransformer,
            AnyModel::Mlp(_) => ModelKind::Mlp,
            AnyModel::GraphNetwork(_) => ModelKind::GraphNetwork,
            AnyModel::E3nnLite(_) => ModelKind::E3nnLite,
        }
    }

    fn inner(&self) -> &dyn DosModel {
        match self {
            AnyModel::DosTransformer(m) => m,
            AnyModel::Mlp(m) => m,
            AnyModel::GraphNetwork(m) => m,
            AnyModel::E3nnLite(m) => m,
        }
    }
}

impl DosModel for AnyModel {
    fn n_energies(&self) -> usize {
        self.inner().n_energies()
    }

    fn predict(&self, batch: &CrystalBatch) -> Result<Tensor> {
        self.inner().predict(batch)
    }

    fn loss(&self, batch: &CrystalBatch) -> Result<Tensor> {
        self.inner().loss(batch)
    }
}
