//! Seeded model construction: [`build_seeded`] (on [`dos_nn::SeededVarMap`]).

use candle_core::Device;
use candle_nn::{VarBuilder, VarMap};
use dos_models::config::Valid;
use dos_models::{AnyModel, ModelConfig};
use dos_nn::SeededVarMap;

use crate::error::Result;

/// Builds the model of `cfg` on `device` with initial weights drawn from `seed`.
pub fn build_seeded(
    cfg: &Valid<ModelConfig>,
    device: &Device,
    seed: u64,
) -> Result<(AnyModel, VarMap)> {
    let varmap = VarMap::new();
    let backend = SeededVarMap::new(varmap.clone(), seed);
    let vb = VarBuilder::from_backend(Box::new(backend), cfg.precision().dtype(), device.clone());
    let model = AnyModel::new(cfg, vb)?;
    Ok((model, varmap))
}
