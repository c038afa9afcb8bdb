//! [`AnyModel`]: any of the four models behind one type, built from a [`ModelConfig`].

use candle_core::{Device, Result, Tensor};
use candle_nn::{VarBuilder, VarMap};
use dos_data::CrystalBatch;

use crate::{
    CustomModel, DosModel, DosTransformer, E3nnLite, GraphNetwork, Mlp, ModelConfig, ModelKind,
};
use dos_config::{Check, Checked};
use dos_nn::SummedGrads;

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
    /// A model of a registered family ([`crate::register_family`]).
    Custom(CustomModel),
}

impl AnyModel {
    /// Builds (or loads) the model described by `cfg` under `vb` (whose dtype should be
    /// `cfg.precision()`).
    pub fn new(cfg: &Checked<ModelConfig>, vb: VarBuilder) -> Result<Self> {
        // Each arm's payload is checked in its turn (cheap: no weight is allocated).
        Ok(match cfg.get() {
            ModelConfig::DosTransformer(c) => {
                AnyModel::DosTransformer(DosTransformer::new(&c.check()?, vb)?)
            }
            ModelConfig::Mlp(c) => AnyModel::Mlp(Mlp::new(&c.check()?, vb)?),
            ModelConfig::GraphNetwork(c) => {
                AnyModel::GraphNetwork(GraphNetwork::new(&c.check()?, vb)?)
            }
            ModelConfig::E3nnLite(c) => AnyModel::E3nnLite(E3nnLite::new(&c.check()?, vb)?),
            ModelConfig::Custom(c) => AnyModel::Custom(CustomModel::new(c, vb)?),
        })
    }

    /// A freshly initialised model and its variables, in the config's precision on
    /// `device`.
    pub fn build(cfg: &Checked<ModelConfig>, device: &Device) -> Result<(Self, VarMap)> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, cfg.precision().dtype(), device);
        let model = Self::new(cfg, vb)?;
        Ok((model, varmap))
    }

    /// The same model for inference: its weights are the variables of `varmap` detached from
    /// the autograd graph, sharing their storage (so it follows in-place updates such as
    /// `Var::set` and the fused AdamW step, and copies nothing).
    ///
    /// A forward pass through `Var` weights records every intermediate tensor for a backward
    /// pass and keeps it alive until the output is dropped; through detached weights nothing
    /// is recorded, so inference needs far less memory (e.g. a 32-crystal batch at the
    /// paper phonon config: about 83 MiB instead of 564 MiB, docs/performance.md).
    ///
    /// # Errors
    /// A variable missing from `varmap` or of the wrong shape.
    pub fn detached(cfg: &Checked<ModelConfig>, varmap: &VarMap, device: &Device) -> Result<Self> {
        let tensors: std::collections::HashMap<String, candle_core::Tensor> = varmap
            .data()
            .lock()
            .map_err(|_| candle_core::Error::Msg("VarMap lock poisoned".into()))?
            .iter()
            .map(|(k, v)| (k.clone(), v.as_detached_tensor()))
            .collect();
        let vb = VarBuilder::from_tensors(tensors, cfg.precision().dtype(), device);
        Self::new(cfg, vb)
    }

    /// The built-in family, `None` for a registered one.
    pub fn kind(&self) -> Option<ModelKind> {
        match self {
            AnyModel::DosTransformer(_) => Some(ModelKind::DosTransformer),
            AnyModel::Mlp(_) => Some(ModelKind::Mlp),
            AnyModel::GraphNetwork(_) => Some(ModelKind::GraphNetwork),
            AnyModel::E3nnLite(_) => Some(ModelKind::E3nnLite),
            AnyModel::Custom(_) => None,
        }
    }

    fn inner(&self) -> &dyn DosModel {
        match self {
            AnyModel::DosTransformer(m) => m,
            AnyModel::Mlp(m) => m,
            AnyModel::GraphNetwork(m) => m,
            AnyModel::E3nnLite(m) => m,
            AnyModel::Custom(m) => m.model(),
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

    fn loss_and_grads(&self, batch: &CrystalBatch) -> Result<(Tensor, SummedGrads)> {
        self.inner().loss_and_grads(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{batch, tiny_configs};
    use crate::Check;
    use candle_core::DType;
    use dos_nn::gradcheck::max_abs_diff;

    /// The detached model predicts exactly as the trainable one, records no graph, and follows
    /// in-place updates of the variables; the Var model records its graph (except where the
    /// prediction is written by hand).
    #[test]
    fn detached_model_shares_weights_and_records_no_graph() {
        for (name, cfg) in tiny_configs() {
            let valid = cfg.check().unwrap();
            let (model, varmap) = AnyModel::build(&valid, &Device::Cpu).unwrap();
            let detached = AnyModel::detached(&valid, &varmap, &Device::Cpu).unwrap();
            let b = batch(&[2, 3, 1], 7, DType::F64).unwrap();
            let a = model.predict(&b).unwrap();
            let d = detached.predict(&b).unwrap();
            // DOSTransformer predicts by hand on the CPU (no graph on either model).
            let by_hand = matches!(model, AnyModel::DosTransformer(_));
            assert_eq!(
                a.track_op(),
                !by_hand,
                "{name}: graph of the Var model's prediction"
            );
            assert!(!d.track_op(), "{name}: the detached model records a graph");
            let same = |x: &Tensor, y: &Tensor| max_abs_diff(x, y).unwrap();
            assert_eq!(same(&a, &d), 0.0, "{name}");
            for v in varmap.all_vars() {
                v.set(&(v.as_tensor() * 0.5).unwrap()).unwrap();
            }
            let a2 = model.predict(&b).unwrap();
            let d2 = detached.predict(&b).unwrap();
            assert_eq!(same(&a2, &d2), 0.0, "{name} after Var::set");
            assert!(same(&a, &a2) > 0.0, "{name}: the update changed nothing");
        }
    }
}
