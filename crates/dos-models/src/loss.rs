//! Per-crystal RMSE, the training loss of every model.

use candle_core::{Result, Tensor, D};
use dos_data::CrystalBatch;

/// Root-mean-square error per crystal, averaged over the batch:
/// `(1/B) Σ_b sqrt((1/M) Σ_m (ŷ_bm - y_bm)²)`.
///
/// # Shapes
/// - `prediction`, `target`: (B, M)
/// - returns a scalar
pub fn batch_rmse(prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
    (prediction - target)?
        .sqr()?
        .mean(D::Minus1)?
        .sqrt()?
        .mean_all()
}

/// The batch's targets converted to `dtype`, or an error naming the missing field.
pub fn targets(batch: &CrystalBatch, n_energies: usize) -> Result<Tensor> {
    let t = batch
        .targets
        .as_ref()
        .ok_or_else(|| candle_core::Error::Msg("batch.targets: loss needs targets".into()))?;
    let (b, m) = t.dims2()?;
    if b != batch.len() || m != n_energies {
        return Err(candle_core::Error::Msg(format!(
            "batch.targets: shape ({b}, {m}) but the model expects ({}, {n_energies})",
            batch.len()
        )));
    }
    Ok(t.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn rmse_is_per_crystal_then_mean() -> Result<()> {
        // crystal 0: errors (3, 4) -> sqrt(12.5); crystal 1: errors (0, 0) -> 0.
        let p = Tensor::new(&[[3.0f64, 4.0], [1.0, 2.0]], &Device::Cpu)?;
        let t = Tensor::new(&[[0.0f64, 0.0], [1.0, 2.0]], &Device::Cpu)?;
        let l = batch_rmse(&p, &t)?.to_scalar::<f64>()?;
        assert!((l - 12.5f64.sqrt() / 2.0).abs() < 1e-12);
        Ok(())
    }
}
