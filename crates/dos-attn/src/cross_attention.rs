//! Cross-attention of energy tokens (queries) over the atoms of their crystal (keys/values).

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;
use dos_nn::LayerNorm;

use dos_config::Checked;

use crate::stack::{AttentionBlock, AttentionStack};
use crate::{AttentionConfig, AttnError, DotProductAttention, FeedForward};

/// One pre-LayerNorm cross-attention block,
/// `E' = E + Attn(LN_q(E), LN_kv(H), LN_kv(H))`, then `E'' = E' + FFN(LN_ffn(E'))`.
///
/// As in the released code, by default one LayerNorm (`norm_q`) normalises both the query
/// stream (energies) and the key/value stream (atoms), `LN_kv = LN_q`; with
/// `separate_kv_norm` the atoms get their own `norm_kv`. Keys and values are the same
/// normalised atom states (projected when `projections` is on). Padded atoms are masked out,
/// so a crystal padded in a batch gives the same output as alone (the released code does not
/// mask). Parameters: `norm_q`, `norm_kv` (separate only), `attn` (`q_proj`... when
/// `projections`), `norm_ffn`, `ffn.fc1`, `ffn.fc2`.
///
/// # Shapes
/// - `queries`: `(B, M, d)` energy tokens
/// - `keys`: `(B, N_max, d)` atom states, padded
/// - `key_mask`: `(B, N_max)` float, 1 for a real atom and 0 for padding
/// - output: `(B, M, d)`
#[derive(Debug, Clone)]
pub struct CrossAttention {
    pub(crate) norm_q: LayerNorm,
    pub(crate) norm_kv: Option<LayerNorm>,
    pub(crate) attn: DotProductAttention,
    pub(crate) norm_ffn: LayerNorm,
    pub(crate) ffn: FeedForward,
    pub(crate) dim: usize,
}

impl CrossAttention {
    /// Validates `cfg` and creates (or loads) the block's parameters under `vb`.
    pub fn new(cfg: &Checked<AttentionConfig>, vb: VarBuilder) -> Result<Self> {
        let d = cfg.dim;
        Ok(Self {
            norm_q: LayerNorm::new(d, cfg.eps, vb.pp("norm_q"))?,
            norm_kv: match cfg.separate_kv_norm {
                true => Some(LayerNorm::new(d, cfg.eps, vb.pp("norm_kv"))?),
                false => None,
            },
            attn: DotProductAttention::new(cfg, vb.pp("attn"))?,
            norm_ffn: LayerNorm::new(d, cfg.eps, vb.pp("norm_ffn"))?,
            ffn: FeedForward::new(d, cfg.ffn_mult * d, vb.pp("ffn"))?,
            dim: d,
        })
    }

    /// Applies the block; see the type docs.
    pub fn forward(&self, queries: &Tensor, keys: &Tensor, key_mask: &Tensor) -> Result<Tensor> {
        check_inputs(self.dim, queries, keys, key_mask)?;
        let kv = self.normalize_keys(keys)?;
        let a = self
            .attn
            .forward(&self.norm_q.forward(queries)?, &kv, &kv, Some(key_mask))?;
        let x = (queries + a)?;
        &x + self.ffn.forward(&self.norm_ffn.forward(&x)?)?
    }

    /// Attention weights of this block, `(B, heads, M, N_max)`; padded atoms get exactly 0.
    pub fn attention_weights(
        &self,
        queries: &Tensor,
        keys: &Tensor,
        key_mask: &Tensor,
    ) -> Result<Tensor> {
        check_inputs(self.dim, queries, keys, key_mask)?;
        self.attn.weights(
            &self.norm_q.forward(queries)?,
            &self.normalize_keys(keys)?,
            Some(key_mask),
        )
    }

    fn normalize_keys(&self, keys: &Tensor) -> Result<Tensor> {
        self.norm_kv.as_ref().unwrap_or(&self.norm_q).forward(keys)
    }
}

/// `n_layers` [`CrossAttention`] blocks over the same keys, then a final LayerNorm:
/// `E_{k+1} = Block_k(E_k, H)`, output `LN(E_L)`.
///
/// Parameters: `layers.{k}`, `final_norm`.
///
/// # Shapes
/// - `queries`: `(B, M, d)`, `keys`: `(B, N_max, d)`, `key_mask`: `(B, N_max)`
/// - output: `(B, M, d)`
///
/// ```
/// use candle_core::{DType, Device, Tensor};
/// use candle_nn::{VarBuilder, VarMap};
/// use dos_attn::{AttentionConfig, Check, CrossAttentionStack, EnergyEmbedding};
/// # fn main() -> candle_core::Result<()> {
/// let dev = Device::Cpu;
/// let vm = VarMap::new();
/// let vb = VarBuilder::from_varmap(&vm, DType::F32, &dev);
/// let d = 32;
/// let energies = EnergyEmbedding::new(51, d, vb.pp("energy"))?;
/// let stack = CrossAttentionStack::new(&AttentionConfig::released(d).check()?, 2, vb.pp("cross"))?;
/// // Two crystals with 3 and 1 atoms, padded to 3.
/// let atoms = Tensor::randn(0f32, 1., (2, 3, d), &dev)?;
/// let mask = Tensor::new(&[[1f32, 1., 1.], [1., 0., 0.]], &dev)?;
/// let out = stack.forward(&energies.forward_batch(2)?, &atoms, &mask)?;
/// assert_eq!(out.dims(), &[2, 51, d]);
/// # Ok(()) }
/// ```
pub type CrossAttentionStack = AttentionStack<CrossAttention>;

impl AttentionBlock for CrossAttention {
    fn build(cfg: &Checked<AttentionConfig>, vb: VarBuilder) -> Result<Self> {
        Self::new(cfg, vb)
    }
}

impl CrossAttentionStack {
    /// Applies the stack; see the type docs.
    pub fn forward(&self, queries: &Tensor, keys: &Tensor, key_mask: &Tensor) -> Result<Tensor> {
        self.fold(queries, |layer, x| layer.forward(x, keys, key_mask))
    }
}

fn check_inputs(dim: usize, queries: &Tensor, keys: &Tensor, key_mask: &Tensor) -> Result<()> {
    let bad = |name, expected: String, got: &Tensor| -> candle_core::Error {
        AttnError::InvalidInput {
            name,
            expected,
            got: format!("{:?}", got.dims()),
        }
        .into()
    };
    let (b, _m, dq) = queries
        .dims3()
        .map_err(|_| bad("queries", format!("(B, M, {dim})"), queries))?;
    if dq != dim {
        return Err(bad("queries", format!("(B, M, {dim})"), queries));
    }
    match keys.dims3() {
        Ok((bk, _, dk)) if bk == b && dk == dim => {}
        _ => return Err(bad("keys", format!("({b}, N_max, {dim})"), keys)),
    }
    let n = keys.dim(1)?;
    if key_mask.dims() != [b, n] {
        return Err(bad("key_mask", format!("({b}, {n})"), key_mask));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_configs as configs;
    use candle_core::{DType, Device};
    use dos_config::Check;
    use dos_nn::gradcheck::{assert_gradients_ok, check_gradients, max_abs_diff, GradCheckOptions};
    use dos_nn::seeded_randn;

    #[test]
    fn shapes_and_parameter_names() -> Result<()> {
        let dev = Device::Cpu;
        for cfg in configs(8) {
            let (vm, vb) = dos_nn::SeededVarMap::fresh(0, DType::F32, &dev);
            let stack = CrossAttentionStack::new(&cfg, 2, vb)?;
            let q = seeded_randn(1, 0f32, 1., (3, 5, 8), &dev)?;
            let k = seeded_randn(2, 0f32, 1., (3, 4, 8), &dev)?;
            let mask = Tensor::ones((3, 4), DType::F32, &dev)?;
            assert_eq!(stack.forward(&q, &k, &mask)?.dims(), &[3, 5, 8]);
            let w = stack.layers()[0].attention_weights(&q, &k, &mask)?;
            assert_eq!(w.dims(), &[3, cfg.heads, 5, 4]);
            let n = vm.data().lock().unwrap().len();
            // Per layer: 2 or 3 norms (2 each), ffn (4), projections (7: no key bias); plus final_norm.
            let norms = if cfg.separate_kv_norm { 3 } else { 2 };
            let per_layer = 2 * norms + 4 + if cfg.projections { 7 } else { 0 };
            assert_eq!(n, 2 * per_layer + 2);
            let names = vm.data().lock().unwrap();
            assert_eq!(
                names.contains_key("layers.1.norm_kv.weight"),
                cfg.separate_kv_norm
            );
            assert!(names.contains_key("layers.1.norm_q.weight"));
            assert!(names.contains_key("final_norm.bias"));
            assert_eq!(names["layers.0.ffn.fc1.weight"].dims(), &[32, 8]);
        }
        Ok(())
    }

    #[test]
    fn padded_crystal_equals_crystal_alone() -> Result<()> {
        let dev = Device::Cpu;
        for cfg in configs(16) {
            let (_, vb) = dos_nn::SeededVarMap::fresh(0, DType::F32, &dev);
            let stack = CrossAttentionStack::new(&cfg, 2, vb)?;
            let q = seeded_randn(3, 0f32, 1., (1, 7, 16), &dev)?.repeat((2, 1, 1))?;
            // Crystal 0: 4 atoms; crystal 1: 1 atom, then 3 slots of garbage padding.
            let keys = seeded_randn(4, 0f32, 3., (2, 4, 16), &dev)?;
            let mask = Tensor::new(&[[1f32, 1., 1., 1.], [1., 0., 0., 0.]], &dev)?;
            let out = stack.forward(&q, &keys, &mask)?;
            for (b, n) in [(0usize, 4usize), (1, 1)] {
                let alone = stack.forward(
                    &q.narrow(0, b, 1)?,
                    &keys.narrow(0, b, 1)?.narrow(1, 0, n)?,
                    &Tensor::ones((1, n), DType::F32, &dev)?,
                )?;
                let diff = max_abs_diff(&out.narrow(0, b, 1)?, &alone)?;
                assert!(diff < 1e-5, "crystal {b}: {diff}");
            }
            let all = out.flatten_all()?.to_vec1::<f32>()?;
            assert!(all.iter().all(|v| v.is_finite()));
        }
        Ok(())
    }

    #[test]
    fn padded_atoms_get_zero_weight_and_rows_sum_to_one() -> Result<()> {
        let dev = Device::Cpu;
        let (_, vb) = dos_nn::SeededVarMap::fresh(0, DType::F64, &dev);
        let block = CrossAttention::new(&AttentionConfig::released(4).check()?, vb)?;
        let q = seeded_randn(5, 0f64, 1., (2, 3, 4), &dev)?;
        let k = seeded_randn(6, 0f64, 1., (2, 3, 4), &dev)?;
        let mask = Tensor::new(&[[1f64, 1., 0.], [1., 0., 0.]], &dev)?;
        // One head: (B, 1, M, N) -> (B, M, N).
        let w = block
            .attention_weights(&q, &k, &mask)?
            .squeeze(1)?
            .to_vec3::<f64>()?;
        let m = mask.to_vec2::<f64>()?;
        for (b, rows) in w.iter().enumerate() {
            for row in rows {
                let s: f64 = row.iter().sum();
                assert!((s - 1.0).abs() < 1e-12);
                for (wk, mk) in row.iter().zip(&m[b]) {
                    if *mk == 0.0 {
                        assert_eq!(*wk, 0.0);
                    }
                }
            }
        }
        // One atom: all weight on it.
        assert!(w[1].iter().all(|row| row[0] == 1.0));
        Ok(())
    }

    #[test]
    fn gradients_match_finite_differences_for_every_parameter() -> Result<()> {
        let dev = Device::Cpu;
        for cfg in configs(4) {
            let (vm, vb) = dos_nn::SeededVarMap::fresh(0, DType::F64, &dev);
            let stack = CrossAttentionStack::new(&cfg, 2, vb)?;
            let q = seeded_randn(7, 0f64, 1., (2, 3, 4), &dev)?;
            let k = seeded_randn(8, 0f64, 1., (2, 3, 4), &dev)?;
            let mask = Tensor::new(&[[1f64, 1., 1.], [1., 1., 0.]], &dev)?;
            let c = seeded_randn(9, 0f64, 1., (2, 3, 4), &dev)?;
            let report = check_gradients(
                &vm,
                || (stack.forward(&q, &k, &mask)?.sin()? * &c)?.sum_all(),
                &GradCheckOptions::default(),
            )?;
            assert_gradients_ok(&report, 1e-5);
        }
        Ok(())
    }

    #[test]
    fn bad_shapes_are_errors() -> Result<()> {
        let dev = Device::Cpu;
        let (_, vb) = dos_nn::SeededVarMap::fresh(0, DType::F32, &dev);
        let stack = CrossAttentionStack::new(&AttentionConfig::released(4).check()?, 1, vb)?;
        let q = Tensor::zeros((2, 3, 4), DType::F32, &dev)?;
        let k = Tensor::zeros((2, 5, 4), DType::F32, &dev)?;
        let err = stack
            .forward(&q, &k, &Tensor::ones((2, 4), DType::F32, &dev)?)
            .unwrap_err()
            .to_string();
        assert!(err.contains("key_mask"), "{err}");
        let err = stack
            .forward(
                &q,
                &q.narrow(2, 0, 2)?,
                &Tensor::ones((2, 3), DType::F32, &dev)?,
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("keys"), "{err}");
        Ok(())
    }
}
