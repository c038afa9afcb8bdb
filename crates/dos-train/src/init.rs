//! Seeded model construction: [`build_seeded`] (on [`dos_nn::SeededVarMap`]).

use candle_core::Device;
use candle_nn::VarMap;
use dos_config::Checked;
use dos_models::{AnyModel, ModelConfig};
use dos_nn::SeededVarMap;

use crate::error::Result;

/// Builds the model of `cfg` on `device` with initial weights drawn from `seed`.
pub fn build_seeded(
    cfg: &Checked<ModelConfig>,
    device: &Device,
    seed: u64,
) -> Result<(AnyModel, VarMap)> {
    let varmap = VarMap::new();
    let vb = SeededVarMap::var_builder(&varmap, seed, cfg.precision().dtype(), device);
    let model = AnyModel::new(cfg, vb)?;
    Ok((model, varmap))
}
