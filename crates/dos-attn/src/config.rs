//! Settings of one attention block.

use serde::{Deserialize, Serialize};

use dos_config::CheckFields;

use crate::AttnError;

/// Configuration of an attention block ([`CrossAttention`](crate::CrossAttention),
/// [`SelfAttention`](crate::SelfAttention)).
///
/// [`AttentionConfig::released`] (also [`AttentionConfig::new`]) reproduces the block of the
/// authors' released code: `heads = 1`, `projections = false` (`softmax(Q K^T / sqrt(d)) V`
/// straight on the LayerNormed inputs), `ffn_mult = 4`, `eps = 1e-5`, and in cross-attention
/// one LayerNorm shared by the query and the key/value streams (`separate_kv_norm = false`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttentionConfig {
    /// Model width d of queries, keys and values (paper: 256).
    pub dim: usize,
    /// Number of heads; `dim` must be divisible by it (released: 1). Without projections,
    /// heads split the channels of the normalised inputs.
    pub heads: usize,
    /// Learned Q, K, V and output projections, `Linear(d, d)` each (released: false).
    pub projections: bool,
    /// Feed-forward hidden width as a multiple of `dim` (released: 4).
    pub ffn_mult: usize,
    /// LayerNorm epsilon (released: 1e-5, PyTorch's default).
    pub eps: f64,
    /// Cross-attention only: normalise atoms (keys/values) with their own LayerNorm `norm_kv`
    /// instead of the query LayerNorm `norm_q` (released: false, one `layer_norms[0]` for
    /// query, key and value).
    pub separate_kv_norm: bool,
}

/// Largest model width d (the same limit as `dos_models::size_limits::MAX_WIDTH`).
pub const MAX_DIM: usize = 8_192;

/// Largest feed-forward expansion (the same limit as `dos_models::size_limits`).
pub const MAX_FFN_MULT: usize = 16;

impl AttentionConfig {
    /// The released block for width `dim`: one head, no projections, FFN 4d, eps 1e-5.
    pub fn released(dim: usize) -> Self {
        Self {
            dim,
            heads: 1,
            projections: false,
            ffn_mult: 4,
            eps: 1e-5,
            separate_kv_norm: false,
        }
    }

    /// Same as [`AttentionConfig::released`].
    pub fn new(dim: usize) -> Self {
        Self::released(dim)
    }

    /// Width of one head, `dim / heads`.
    pub fn head_dim(&self) -> usize {
        self.dim / self.heads.max(1)
    }
}

impl CheckFields for AttentionConfig {
    type Error = AttnError;

    /// `dim` in `1..=`[`MAX_DIM`], `heads >= 1` dividing `dim`, `ffn_mult` in
    /// `1..=`[`MAX_FFN_MULT`], `eps > 0`.
    fn check_fields(&self) -> Result<(), AttnError> {
        let err = |field, message: String| Err(AttnError::InvalidConfig { field, message });
        if !(1..=MAX_DIM).contains(&self.dim) {
            return err("dim", format!("{} is outside 1..={MAX_DIM}", self.dim));
        }
        if self.heads == 0 || self.dim % self.heads != 0 {
            return err(
                "heads",
                format!(
                    "must be >= 1 and divide dim = {}, got {}",
                    self.dim, self.heads
                ),
            );
        }
        if !(1..=MAX_FFN_MULT).contains(&self.ffn_mult) {
            return err(
                "ffn_mult",
                format!("{} is outside 1..={MAX_FFN_MULT}", self.ffn_mult),
            );
        }
        if !(self.eps > 0.0 && self.eps.is_finite()) {
            return err("eps", format!("must be finite and > 0, got {}", self.eps));
        }
        Ok(())
    }
}

/// The released block and a variant with projections, two heads and a separate key norm
/// (self-attention ignores the last), checked: the blocks' unit tests run on both.
#[cfg(test)]
pub(crate) fn test_configs(d: usize) -> [dos_config::Checked<AttentionConfig>; 2] {
    use dos_config::Check;
    [
        AttentionConfig::released(d),
        AttentionConfig {
            heads: 2,
            projections: true,
            separate_kv_norm: true,
            ..AttentionConfig::released(d)
        },
    ]
    .map(|c| c.check().expect("test configs are valid"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_config::Check;

    #[test]
    fn released_validates_and_roundtrips() {
        let cfg = AttentionConfig::released(256);
        cfg.check().unwrap();
        let back: AttentionConfig =
            serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
    }

    #[test]
    fn heads_must_divide_dim() {
        let cfg = AttentionConfig {
            heads: 3,
            projections: true,
            ..AttentionConfig::released(8)
        };
        let err = cfg.check().unwrap_err().to_string();
        assert!(err.contains("`heads`"), "{err}");
    }

    #[test]
    fn huge_sizes_are_rejected_with_field_and_range() {
        let wide = AttentionConfig::released(1_000_000_000);
        let err = wide.check().unwrap_err().to_string();
        assert!(
            err.contains("`dim`: 1000000000 is outside 1..=8192"),
            "{err}"
        );
        let fat = AttentionConfig {
            ffn_mult: 1 << 40,
            ..AttentionConfig::released(8)
        };
        assert!(fat.check().unwrap_err().to_string().contains("`ffn_mult`"));
    }
}
