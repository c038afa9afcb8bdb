//! Self-attention over the energy tokens.

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;
use dos_nn::LayerNorm;

use dos_config::Checked;

use crate::stack::{AttentionBlock, AttentionStack};
use crate::{AttentionConfig, AttnError, DotProductAttention, FeedForward};

/// One pre-LayerNorm self-attention block over the M energy tokens,
/// `X' = X + Attn(LN(X), LN(X), LN(X))`, then `X'' = X' + FFN(LN_ffn(X'))`.
///
/// Same block as [`CrossAttention`](crate::CrossAttention) with one input stream and no mask
/// (every crystal has all M tokens). Parameters: `norm`, `attn`, `norm_ffn`, `ffn.fc1`,
/// `ffn.fc2`.
///
/// # Shapes
/// - `x`: `(B, M, d)`
/// - output: `(B, M, d)`
#[derive(Debug, Clone)]
pub struct SelfAttention {
    pub(crate) norm: LayerNorm,
    pub(crate) attn: DotProductAttention,
    pub(crate) norm_ffn: LayerNorm,
    pub(crate) ffn: FeedForward,
    pub(crate) dim: usize,
}

impl SelfAttention {
    /// Validates `cfg` and creates (or loads) the block's parameters under `vb`.
    pub fn new(cfg: &Checked<AttentionConfig>, vb: VarBuilder) -> Result<Self> {
        let d = cfg.dim;
        Ok(Self {
            norm: LayerNorm::new(d, cfg.eps, vb.pp("norm"))?,
            attn: DotProductAttention::new(cfg, vb.pp("attn"))?,
            norm_ffn: LayerNorm::new(d, cfg.eps, vb.pp("norm_ffn"))?,
            ffn: FeedForward::new(d, cfg.ffn_mult * d, vb.pp("ffn"))?,
            dim: d,
        })
    }

    /// Applies the block; see the type docs.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match x.dims3() {
            Ok((_, _, d)) if d == self.dim => {}
            _ => {
                return Err(AttnError::InvalidInput {
                    name: "x",
                    expected: format!("(B, M, {})", self.dim),
                    got: format!("{:?}", x.dims()),
                }
                .into())
            }
        }
        let n = self.norm.forward(x)?;
        let x = (x + self.attn.forward(&n, &n, &n, None)?)?;
        &x + self.ffn.forward(&self.norm_ffn.forward(&x)?)?
    }
}

/// `n_layers` [`SelfAttention`] blocks, then a final LayerNorm: output `LN(Block_L(...Block_1(X)))`.
///
/// Parameters: `layers.{k}`, `final_norm`.
///
/// # Shapes
/// - `x`: `(B, M, d)`
/// - output: `(B, M, d)`
pub type SelfAttentionStack = AttentionStack<SelfAttention>;

impl AttentionBlock for SelfAttention {
    fn build(cfg: &Checked<AttentionConfig>, vb: VarBuilder) -> Result<Self> {
        Self::new(cfg, vb)
    }
}

impl SelfAttentionStack {
    /// Applies the stack; see the type docs.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.fold(x, SelfAttention::forward)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_configs as configs;
    use candle_core::{DType, Device};
    use dos_nn::gradcheck::{assert_gradients_ok, check_gradients, GradCheckOptions};
    use dos_nn::seeded_randn;

    #[test]
    fn shapes() -> Result<()> {
        let dev = Device::Cpu;
        for cfg in configs(8) {
            let (_, vb) = dos_nn::SeededVarMap::fresh(0, DType::F32, &dev);
            let stack = SelfAttentionStack::new(&cfg, 2, vb)?;
            let x = seeded_randn(1, 0f32, 1., (3, 51, 8), &dev)?;
            assert_eq!(stack.forward(&x)?.dims(), &[3, 51, 8]);
            assert!(stack.forward(&x.narrow(2, 0, 4)?).is_err());
        }
        Ok(())
    }

    #[test]
    fn permuting_tokens_permutes_output() -> Result<()> {
        // No positional information inside the block: it is permutation-equivariant.
        let dev = Device::Cpu;
        for cfg in configs(8) {
            let (_, vb) = dos_nn::SeededVarMap::fresh(0, DType::F64, &dev);
            let stack = SelfAttentionStack::new(&cfg, 2, vb)?;
            let x = seeded_randn(2, 0f64, 1., (2, 5, 8), &dev)?;
            let perm = Tensor::new(&[3u32, 0, 4, 2, 1], &dev)?;
            let a = stack.forward(&x)?.index_select(&perm, 1)?;
            let b = stack.forward(&x.index_select(&perm, 1)?)?;
            let diff = (a - b)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f64>()?;
            assert!(diff < 1e-12, "{diff}");
        }
        Ok(())
    }

    #[test]
    fn gradients_match_finite_differences_for_every_parameter() -> Result<()> {
        let dev = Device::Cpu;
        for cfg in configs(4) {
            let (vm, vb) = dos_nn::SeededVarMap::fresh(0, DType::F64, &dev);
            let stack = SelfAttentionStack::new(&cfg, 2, vb)?;
            let x = seeded_randn(3, 0f64, 1., (2, 3, 4), &dev)?;
            let c = seeded_randn(4, 0f64, 1., (2, 3, 4), &dev)?;
            let report = check_gradients(
                &vm,
                || (stack.forward(&x)?.sin()? * &c)?.sum_all(),
                &GradCheckOptions::default(),
            )?;
            let per_layer = 8 + if cfg.projections { 7 } else { 0 };
            assert_eq!(report.variables.len(), 2 * per_layer + 2);
            assert_gradients_ok(&report, 1e-5);
        }
        Ok(())
    }
}
