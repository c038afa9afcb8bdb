//! Position-wise feed-forward network of an attention block.

use candle_core::{Module, Result, Tensor};
use candle_nn::{Linear, VarBuilder};
use dos_nn::kernels::linear;

/// Feed-forward network, `y = fc2(ReLU(fc1(x)))` with `fc1: Linear(d, mult d)`,
/// `fc2: Linear(mult d, d)`.
///
/// # Shapes
/// - input: `(*, d)`
/// - output: `(*, d)`
#[derive(Debug, Clone)]
pub struct FeedForward {
    fc1: Linear,
    fc2: Linear,
}

impl FeedForward {
    /// Creates (or loads) `fc1` and `fc2` under `vb`.
    pub fn new(dim: usize, hidden: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            fc1: candle_nn::linear(dim, hidden, vb.pp("fc1"))?,
            fc2: candle_nn::linear(hidden, dim, vb.pp("fc2"))?,
        })
    }
}

impl FeedForward {
    /// The first layer, `Linear(d, mult d)`.
    pub fn fc1(&self) -> &Linear {
        &self.fc1
    }

    /// The second layer, `Linear(mult d, d)`.
    pub fn fc2(&self) -> &Linear {
        &self.fc2
    }
}

impl Module for FeedForward {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        linear(&self.fc2, &linear(&self.fc1, x)?.relu()?)
    }
}
