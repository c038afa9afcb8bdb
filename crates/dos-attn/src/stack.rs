//! A stack of attention blocks with a final LayerNorm, for either kind of block.

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;
use dos_config::Checked;
use dos_nn::LayerNorm;

use crate::AttentionConfig;

/// A block that an [`AttentionStack`] repeats: built from the attention settings, with its
/// parameters under `vb` ([`CrossAttention`](crate::CrossAttention),
/// [`SelfAttention`](crate::SelfAttention)).
pub trait AttentionBlock: Sized {
    /// Creates (or loads) the block's parameters under `vb`.
    fn build(cfg: &Checked<AttentionConfig>, vb: VarBuilder) -> Result<Self>;
}

/// `n_layers` blocks `B`, then a final LayerNorm: output `LN(Block_L(...Block_1(X)))`.
/// [`CrossAttentionStack`](crate::CrossAttentionStack) and
/// [`SelfAttentionStack`](crate::SelfAttentionStack) name the two kinds; each has its own
/// `forward`.
///
/// Parameters: `layers.{k}`, `final_norm`.
#[derive(Debug, Clone)]
pub struct AttentionStack<B> {
    pub(crate) layers: Vec<B>,
    pub(crate) final_norm: LayerNorm,
}

impl<B: AttentionBlock> AttentionStack<B> {
    /// Creates (or loads) `n_layers` blocks and the final norm under `vb`.
    pub fn new(cfg: &Checked<AttentionConfig>, n_layers: usize, vb: VarBuilder) -> Result<Self> {
        let vl = vb.pp("layers");
        let layers = (0..n_layers)
            .map(|k| B::build(cfg, vl.pp(k)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            layers,
            final_norm: LayerNorm::new(cfg.dim, cfg.eps, vb.pp("final_norm"))?,
        })
    }
}

impl<B> AttentionStack<B> {
    /// The blocks, first to last.
    pub fn layers(&self) -> &[B] {
        &self.layers
    }

    /// `x` through every block (`block(layer, x)` applies one), then the final norm.
    pub(crate) fn fold(
        &self,
        x: &Tensor,
        block: impl Fn(&B, &Tensor) -> Result<Tensor>,
    ) -> Result<Tensor> {
        let mut x = x.clone();
        for layer in &self.layers {
            x = block(layer, &x)?;
        }
        self.final_norm.forward(&x)
    }
}
