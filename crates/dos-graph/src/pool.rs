//! Pooling of node states into one vector per crystal.

use candle_core::{Result, Tensor};
use serde::{Deserialize, Serialize};

use crate::{segment_mean, segment_sum};

/// How [`pool`] combines the atoms of a crystal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// `g_b = sum_{i in b} h_i` (DOSTransformer).
    Sum,
    /// `g_b = mean_{i in b} h_i`, 0 for a crystal without atoms.
    Mean,
}

/// Per-crystal pooling, `g_b = sum_{i: node_crystal[i] = b} h_i` (or the mean).
///
/// # Shapes
/// - `h`: `(N, d)`
/// - `node_crystal`: `(N,)` u32, entries `< n_crystals`
/// - output: `(n_crystals, d)`
pub fn pool(
    h: &Tensor,
    node_crystal: &Tensor,
    n_crystals: usize,
    pooling: Pooling,
) -> Result<Tensor> {
    match pooling {
        Pooling::Sum => segment_sum(h, node_crystal, n_crystals),
        Pooling::Mean => segment_mean(h, node_crystal, n_crystals),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn pools_by_crystal() -> Result<()> {
        let dev = Device::Cpu;
        let h = Tensor::new(&[[1f32, 0.], [2., 1.], [4., 2.]], &dev)?;
        let nc = Tensor::new(&[0u32, 0, 1], &dev)?;
        assert_eq!(
            pool(&h, &nc, 2, Pooling::Sum)?.to_vec2::<f32>()?,
            [[3., 1.], [4., 2.]]
        );
        assert_eq!(
            pool(&h, &nc, 2, Pooling::Mean)?.to_vec2::<f32>()?,
            [[1.5, 0.5], [4., 2.]]
        );
        Ok(())
    }
}
