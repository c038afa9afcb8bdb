//! Scaled dot-product attention, with optional learned projections and several heads.

use candle_core::{Result, Tensor, D};
use candle_nn::{linear, linear_no_bias, Linear, VarBuilder};
use dos_nn::kernels::linear as fused_linear;
use dos_nn::masked_softmax;

fn linear_fwd(l: &Linear, x: &Tensor) -> Result<Tensor> {
    fused_linear(l, x)
}

use crate::AttentionConfig;

/// Scaled dot-product attention, `O = softmax(Q K^T / sqrt(d_h) + mask) V` per head.
///
/// Without projections (the released block) `Q`, `K`, `V` are the inputs themselves; with
/// `projections`, `Q = q_proj(q)`, `K = k_proj(k)` (no bias), `V = v_proj(v)` and the heads'
/// concatenation goes through `out_proj`.
///
/// # Shapes
/// - `q`: `(B, M, d)`, `k`, `v`: `(B, N, d)`
/// - `key_mask`: `(B, N)`, 1 keep / 0 drop (optional)
/// - output: `(B, M, d)`; weights: `(B, heads, M, N)`
#[derive(Debug, Clone)]
pub struct DotProductAttention {
    proj: Option<[Linear; 4]>,
    heads: usize,
    head_dim: usize,
}

impl DotProductAttention {
    /// Creates (or loads) `q_proj`, `k_proj`, `v_proj`, `out_proj` under `vb` when
    /// `cfg.projections`, nothing otherwise. `cfg` must be valid.
    pub fn new(cfg: &AttentionConfig, vb: VarBuilder) -> Result<Self> {
        let d = cfg.dim;
        let proj = if cfg.projections {
            Some([
                linear(d, d, vb.pp("q_proj"))?,
                // No key bias: it adds q·b_k to every score of a row, which softmax removes,
                // so it would be a parameter with an identically zero gradient.
                linear_no_bias(d, d, vb.pp("k_proj"))?,
                linear(d, d, vb.pp("v_proj"))?,
                linear(d, d, vb.pp("out_proj"))?,
            ])
        } else {
            None
        };
        Ok(Self {
            proj,
            heads: cfg.heads,
            head_dim: cfg.head_dim(),
        })
    }

    /// `(B, L, d)` to `(B, heads, L, d_h)`, contiguous.
    fn split_heads(&self, x: &Tensor) -> Result<Tensor> {
        let (b, l, _) = x.dims3()?;
        if self.heads == 1 {
            return x.unsqueeze(1);
        }
        x.reshape((b, l, self.heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()
    }

    /// Projected and split `(Q, K, V)`, each `(B, heads, L, d_h)`.
    fn qkv(&self, q: &Tensor, k: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let (q, k, v) = match &self.proj {
            Some([wq, wk, wv, _]) => (linear_fwd(wq, q)?, linear_fwd(wk, k)?, linear_fwd(wv, v)?),
            None => (q.clone(), k.clone(), v.clone()),
        };
        Ok((
            self.split_heads(&q)?,
            self.split_heads(&k)?,
            self.split_heads(&v)?,
        ))
    }

    fn weights_of(&self, q: &Tensor, k: &Tensor, key_mask: Option<&Tensor>) -> Result<Tensor> {
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let scores = (q.matmul(&k.t()?)? * scale)?;
        match key_mask {
            Some(mask) => {
                let (b, n) = mask.dims2()?;
                masked_softmax(&scores, &mask.reshape((b, 1, 1, n))?)
            }
            // candle_nn::ops::softmax, not softmax_last_dim: the latter has no backward.
            None => candle_nn::ops::softmax(&scores, D::Minus1),
        }
    }

    /// Whether the block has learned projections (otherwise Q, K, V are its inputs).
    pub fn has_projections(&self) -> bool {
        self.proj.is_some()
    }

    /// Attention weights `softmax(Q K^T / sqrt(d_h))`, `(B, heads, M, N)`; masked keys get 0.
    pub fn weights(&self, q: &Tensor, k: &Tensor, key_mask: Option<&Tensor>) -> Result<Tensor> {
        let (q, k, _) = self.qkv(q, k, k)?;
        self.weights_of(&q, &k, key_mask)
    }

    /// Attention output; see the type docs.
    pub fn forward(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        key_mask: Option<&Tensor>,
    ) -> Result<Tensor> {
        let (b, m, d) = q.dims3()?;
        let (qh, kh, vh) = self.qkv(q, k, v)?;
        let o = self.weights_of(&qh, &kh, key_mask)?.matmul(&vh)?; // (B, h, M, d_h)
        let o = if self.heads == 1 {
            o.squeeze(1)?
        } else {
            o.transpose(1, 2)?.reshape((b, m, d))?
        };
        match &self.proj {
            Some([_, _, _, wo]) => linear_fwd(wo, &o),
            None => Ok(o),
        }
    }
}
