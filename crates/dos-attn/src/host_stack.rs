//! Hand-written forward and backward passes of the released attention stacks on the CPU.
//!
//! [`CrossAttentionStack::host`] and [`SelfAttentionStack::host`] borrow a stack's weights as
//! a [`HostStack`], which runs the same maths as the candle modules (one head, no
//! projections; see [`CrossAttention`](crate::CrossAttention)) over plain slices:
//!
//! ```text
//! q̂ = LN_q(X)              k̂ = LN_kv(H) (cross; LN_q unless separate) or q̂ (self)
//! P = softmax_masked(q̂ k̂ᵀ / √d)  per crystal        X₁ = X + P k̂
//! X₂ = X₁ + W₂ ReLU(W₁ LN_ffn(X₁) + b₁) + b₂          output LN_final(X₂ after L blocks)
//! ```
//!
//! and its exact backward pass: every matrix product is one call into faer (weight
//! gradients accumulate inside the product), nothing is zero-filled that is not summed into,
//! and no autograd graph is recorded. Tested against the candle stacks (values and every
//! gradient, f64) below.
//!
//! # Shapes
//! - `x`: `(B·M, d)` row-major, B crystals of M tokens; keys `(B·N, d)`, mask `(B·N)` (1 keep,
//!   0 padding)
//! - output: `(B·M, d)`

use candle_core::{bail, Result};
use dos_nn::host::{matmul, HostFloat, HostGrads, HostLinear, HostNorm, MatView, NormTape, Real};

use dos_nn::LayerNorm;

use crate::{CrossAttentionStack, DotProductAttention, FeedForward, SelfAttentionStack};

/// Batch layout of a stack's input: `b` crystals of `m` tokens of width `d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostDims {
    /// Crystals B.
    pub b: usize,
    /// Tokens per crystal M.
    pub m: usize,
    /// Width d.
    pub d: usize,
}

/// The keys of a cross-attention stack: `n` (padded) atoms per crystal, `(B·N, d)`, and
/// their mask `(B·N)`, 1 for an atom and 0 for padding.
#[derive(Debug, Clone, Copy)]
pub struct HostKeys<'a, T> {
    /// Atom states, `(B·N, d)`.
    pub h: &'a [T],
    /// Mask, `(B·N)`.
    pub mask: &'a [T],
    /// Atoms per crystal N (padded).
    pub n: usize,
}

/// One pre-LN block's borrowed weights.
struct HostBlock<'a, T> {
    norm_q: HostNorm<'a, T>,
    /// Own key norm (cross-attention with `separate_kv_norm`).
    norm_kv: Option<HostNorm<'a, T>>,
    norm_ffn: HostNorm<'a, T>,
    fc1: HostLinear<'a, T>,
    fc2: HostLinear<'a, T>,
}

/// What a block's backward pass needs from its forward pass.
#[derive(Debug)]
struct BlockTape<T> {
    q: NormTape<T>,
    /// Normalised keys (cross-attention only; self-attention uses `q`).
    kv: Option<NormTape<T>>,
    /// Attention weights per crystal, `(B, M, N)`.
    p: Vec<T>,
    ffn_in: NormTape<T>,
    /// `ReLU(W₁ LN_ffn(X₁) + b₁)`, `(B·M, F)`.
    r: Vec<T>,
}

/// A stack's tape: one per block and the final norm's.
#[derive(Debug)]
pub struct HostStackTape<T> {
    blocks: Vec<BlockTape<T>>,
    last: NormTape<T>,
}

/// An attention stack's weights borrowed for a hand-written pass; see the module docs.
pub struct HostStack<'a, T> {
    blocks: Vec<HostBlock<'a, T>>,
    final_norm: HostNorm<'a, T>,
    cross: bool,
}

/// One block's layers: attention, feed-forward, query norm, own key norm, FFN norm.
type BlockLayers<'a> = (
    &'a DotProductAttention,
    &'a FeedForward,
    &'a LayerNorm,
    Option<&'a LayerNorm>,
    &'a LayerNorm,
);

/// Borrows the blocks' weights; `None` when a block has projections or a layer no bias.
fn host_stack<'a, T: HostFloat>(
    layers: impl Iterator<Item = BlockLayers<'a>>,
    final_norm: &'a LayerNorm,
    cross: bool,
) -> Result<Option<HostStack<'a, T>>> {
    let mut blocks = Vec::new();
    for (attn, ffn, norm_q, norm_kv, norm_ffn) in layers {
        if attn.has_projections() {
            return Ok(None);
        }
        let (Some(fc1), Some(fc2)) = (
            HostLinear::with_bias(ffn.fc1())?,
            HostLinear::with_bias(ffn.fc2())?,
        ) else {
            return Ok(None);
        };
        blocks.push(HostBlock {
            norm_q: HostNorm::new(norm_q)?,
            norm_kv: norm_kv.map(HostNorm::new).transpose()?,
            norm_ffn: HostNorm::new(norm_ffn)?,
            fc1,
            fc2,
        });
    }
    Ok(Some(HostStack {
        blocks,
        final_norm: HostNorm::new(final_norm)?,
        cross,
    }))
}

impl CrossAttentionStack {
    /// The stack's weights for a hand-written CPU pass in `T`, or `None` when its blocks have
    /// projections or several heads (only the released block is written by hand); an error
    /// when the weights are not contiguous CPU tensors of dtype `T`.
    pub fn host<T: HostFloat>(&self) -> Result<Option<HostStack<'_, T>>> {
        let layers = self.layers.iter().map(|l| {
            let layers: BlockLayers<'_> =
                (&l.attn, &l.ffn, &l.norm_q, l.norm_kv.as_ref(), &l.norm_ffn);
            layers
        });
        host_stack(layers, &self.final_norm, true)
    }
}

impl SelfAttentionStack {
    /// The stack's weights for a hand-written CPU pass; `None` as for
    /// [`CrossAttentionStack::host`].
    pub fn host<T: HostFloat>(&self) -> Result<Option<HostStack<'_, T>>> {
        let layers = self.layers.iter().map(|l| {
            let layers: BlockLayers<'_> = (&l.attn, &l.ffn, &l.norm, None, &l.norm_ffn);
            layers
        });
        host_stack(layers, &self.final_norm, false)
    }
}

/// Masked softmax of each row of `s` (`rows × n`) in place; `mask` (`n`) 1 keep / 0 drop.
/// A row with no kept key becomes 0 (as [`dos_nn::masked_softmax`]).
fn masked_softmax_rows<T: HostFloat>(s: &mut [T], n: usize, mask: Option<&[T]>) {
    let keep = |k: usize| mask.is_none_or(|m| m[k] > T::of(0.5));
    for row in s.chunks_exact_mut(n.max(1)) {
        let mut max: Option<T> = None;
        for (k, &v) in row.iter().enumerate() {
            if keep(k) && max.is_none_or(|mx| v > mx) {
                max = Some(v);
            }
        }
        let Some(max) = max else {
            row.iter_mut().for_each(|v| *v = T::ZERO);
            continue;
        };
        let mut z = T::ZERO;
        for (k, v) in row.iter_mut().enumerate() {
            *v = if keep(k) {
                T::of(Real::to_f64(*v - max).exp())
            } else {
                T::ZERO
            };
            z += *v;
        }
        let inv = T::ONE / z;
        row.iter_mut().for_each(|v| *v *= inv);
    }
}

impl<T: HostFloat> HostStack<'_, T> {
    /// Runs the stack on `x`; returns the output and, when `record`, the tape
    /// [`HostStack::backward`] needs. `keys` is required by a cross-attention stack and
    /// ignored by a self-attention stack.
    pub fn forward(
        &self,
        x: &[T],
        dims: HostDims,
        keys: Option<HostKeys<'_, T>>,
        record: bool,
    ) -> Result<(Vec<T>, Option<HostStackTape<T>>)> {
        let HostDims { b, m, d } = dims;
        let rows = b * m;
        if x.len() != rows * d {
            bail!("host attention: {} values for ({b}·{m}, {d})", x.len());
        }
        let keys = match (self.cross, keys) {
            (true, Some(k)) if k.h.len() == b * k.n * d && k.mask.len() == b * k.n => Some(k),
            (true, _) => bail!("host cross-attention: keys of shape (B·N, d) and a mask expected"),
            (false, _) => None,
        };
        let scale = T::of(1.0 / (d as f64).sqrt());
        let mut x = x.to_vec();
        let mut tapes = Vec::with_capacity(if record { self.blocks.len() } else { 0 });
        for blk in &self.blocks {
            let q = blk.norm_q.forward(&x)?;
            let kv = match &keys {
                Some(k) => Some(blk.norm_kv.as_ref().unwrap_or(&blk.norm_q).forward(k.h)?),
                None => None,
            };
            let n = keys.as_ref().map_or(m, |k| k.n);
            let mut p = vec![T::ZERO; b * m * n];
            for c in 0..b {
                let qc = &q.y[c * m * d..(c + 1) * m * d];
                let kc = match &kv {
                    Some(kv) => &kv.y[c * n * d..(c + 1) * n * d],
                    None => qc,
                };
                let pc = &mut p[c * m * n..(c + 1) * m * n];
                matmul(
                    pc,
                    MatView::new(qc, m, d)?,
                    MatView::new(kc, n, d)?.t(),
                    false,
                    0,
                )?;
                pc.iter_mut().for_each(|v| *v *= scale);
                let mask = keys.as_ref().map(|k| &k.mask[c * n..(c + 1) * n]);
                masked_softmax_rows(pc, n, mask);
                // X₁ = X + P k̂, accumulated into x.
                let xc = &mut x[c * m * d..(c + 1) * m * d];
                matmul(
                    xc,
                    MatView::new(pc, m, n)?,
                    MatView::new(kc, n, d)?,
                    true,
                    0,
                )?;
            }
            let ffn_in = blk.norm_ffn.forward(&x)?;
            let mut r = blk.fc1.forward(&ffn_in.y, rows)?;
            r.iter_mut().for_each(|v| {
                if *v <= T::ZERO {
                    *v = T::ZERO
                }
            });
            let f = blk.fc2.forward(&r, rows)?;
            x.iter_mut().zip(&f).for_each(|(a, &v)| *a += v);
            if record {
                tapes.push(BlockTape {
                    q,
                    kv,
                    p,
                    ffn_in,
                    r,
                });
            }
        }
        let last = self.final_norm.forward(&x)?;
        if !record {
            return Ok((last.y, None));
        }
        let out = last.y.clone();
        Ok((
            out,
            Some(HostStackTape {
                blocks: tapes,
                last,
            }),
        ))
    }

    /// Backward pass for the output gradient `dy`: adds the weight gradients into `grads`,
    /// returns `dx` and (cross-attention) the keys' gradient `(B·N, d)`.
    pub fn backward(
        &self,
        tape: &HostStackTape<T>,
        dy: &[T],
        dims: HostDims,
        grads: &mut HostGrads<T>,
    ) -> Result<(Vec<T>, Option<Vec<T>>)> {
        let HostDims { b, m, d } = dims;
        let rows = b * m;
        if dy.len() != rows * d || tape.blocks.len() != self.blocks.len() {
            bail!("host attention backward: a tape of another shape");
        }
        let scale = T::of(1.0 / (d as f64).sqrt());
        let mut dx = vec![T::ZERO; rows * d];
        self.final_norm.backward(&tape.last, dy, &mut dx, grads)?;
        let mut dkeys: Option<Vec<T>> = None;
        for (blk, t) in self.blocks.iter().zip(&tape.blocks).rev() {
            // Feed-forward half: X₂ = X₁ + FFN(LN_ffn(X₁)); dx holds dX₂ and becomes dX₁.
            let mut dh = blk.fc2.backward(&t.r, &dx, rows, grads)?;
            dh.iter_mut().zip(&t.r).for_each(|(g, &r)| {
                if r <= T::ZERO {
                    *g = T::ZERO
                }
            });
            let dffn = blk.fc1.backward(&t.ffn_in.y, &dh, rows, grads)?;
            blk.norm_ffn.backward(&t.ffn_in, &dffn, &mut dx, grads)?;
            // Attention half: X₁ = X + P k̂; dA = dX₁, dX = dX₁ + LN_qᵀ(dq̂).
            let n = t.kv.as_ref().map_or(m, |kv| kv.y.len() / (b * d).max(1));
            let mut dq = vec![T::ZERO; rows * d];
            let mut dkv = t.kv.as_ref().map(|_| vec![T::ZERO; b * n * d]);
            let mut dp = vec![T::ZERO; m * n];
            for c in 0..b {
                let qc = &t.q.y[c * m * d..(c + 1) * m * d];
                let kc = match &t.kv {
                    Some(kv) => &kv.y[c * n * d..(c + 1) * n * d],
                    None => qc,
                };
                let pc = &t.p[c * m * n..(c + 1) * m * n];
                let dac = &dx[c * m * d..(c + 1) * m * d];
                let da = MatView::new(dac, m, d)?;
                // dP = dA k̂ᵀ; value path dk̂ += Pᵀ dA.
                matmul(&mut dp, da, MatView::new(kc, n, d)?.t(), false, 0)?;
                let dkc: &mut [T] = match dkv.as_mut() {
                    Some(dkv) => &mut dkv[c * n * d..(c + 1) * n * d],
                    None => &mut dq[c * m * d..(c + 1) * m * d],
                };
                matmul(dkc, MatView::new(pc, m, n)?.t(), da, true, 0)?;
                // dS = P ⊙ (dP - rowsum(P ⊙ dP)) / √d.
                for (prow, grow) in pc.chunks_exact(n).zip(dp.chunks_exact_mut(n)) {
                    let mut s = T::ZERO;
                    prow.iter().zip(grow.iter()).for_each(|(&p, &g)| s += p * g);
                    grow.iter_mut()
                        .zip(prow)
                        .for_each(|(g, &p)| *g = p * (*g - s) * scale);
                }
                let ds = MatView::new(&dp, m, n)?;
                // Key path dk̂ += dSᵀ q̂, then query path dq̂ += dS k̂.
                matmul(dkc, ds.t(), MatView::new(qc, m, d)?, true, 0)?;
                let dqc = &mut dq[c * m * d..(c + 1) * m * d];
                matmul(dqc, ds, MatView::new(kc, n, d)?, true, 0)?;
            }
            blk.norm_q.backward(&t.q, &dq, &mut dx, grads)?;
            if let (Some(kv_tape), Some(dkv)) = (&t.kv, dkv) {
                let acc = dkeys.get_or_insert_with(|| vec![T::ZERO; b * n * d]);
                blk.norm_kv
                    .as_ref()
                    .unwrap_or(&blk.norm_q)
                    .backward(kv_tape, &dkv, acc, grads)?;
            }
        }
        Ok((dx, dkeys))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AttentionConfig;
    use candle_core::{DType, Device, Tensor, Var};
    use dos_config::Check;
    use dos_nn::gradcheck::max_abs_diff;
    use dos_nn::seeded_randn;

    fn host_vec(t: &Tensor) -> Result<Vec<f64>> {
        t.flatten_all()?.to_vec1::<f64>()
    }

    fn max_diff(a: &[f64], b: &[f64]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    /// Loss `Σ out ⊙ c` through the candle stack and through the host stack: the outputs,
    /// the input (and key) gradients and every weight gradient agree to 1e-10 in f64.
    fn compare(separate_kv_norm: bool, cross: bool) -> Result<()> {
        let dev = Device::Cpu;
        let (b, m, n, d) = (3, 5, 4, 8);
        let cfg = AttentionConfig {
            separate_kv_norm,
            ..AttentionConfig::released(d)
        }
        .check()
        .map_err(candle_core::Error::wrap)?;
        let (vm, vb) = dos_nn::SeededVarMap::fresh(3, DType::F64, &dev);
        let x = Var::from_tensor(&seeded_randn(1, 0f64, 1., (b, m, d), &dev)?)?;
        let h = Var::from_tensor(&seeded_randn(2, 0f64, 1., (b, n, d), &dev)?)?;
        // Crystals with 4, 2 and 1 atoms.
        let mask = Tensor::new(
            &[[1f64, 1., 1., 1.], [1., 1., 0., 0.], [1., 0., 0., 0.]],
            &dev,
        )?;
        let c = seeded_randn(3, 0f64, 1., (b, m, d), &dev)?;
        let dims = HostDims { b, m, d };
        let (xs, hs, ms, cs) = (
            host_vec(&x)?,
            host_vec(&h)?,
            host_vec(&mask)?,
            host_vec(&c)?,
        );
        let keys = HostKeys {
            h: &hs,
            mask: &ms,
            n,
        };
        let mut grads = HostGrads::default();
        let (y_ref, host) = if cross {
            let stack = CrossAttentionStack::new(&cfg, 2, vb)?;
            let y = stack.forward(&x, &h, &mask)?;
            let host = stack.host::<f64>()?.expect("released block");
            let (y_host, tape) = host.forward(&xs, dims, Some(keys), true)?;
            let (dx, dh) = host.backward(&tape.expect("tape"), &cs, dims, &mut grads)?;
            (y, (y_host, dx, dh))
        } else {
            let stack = SelfAttentionStack::new(&cfg, 2, vb)?;
            let y = stack.forward(&x)?;
            let host = stack.host::<f64>()?.expect("released block");
            let (y_host, tape) = host.forward(&xs, dims, None, true)?;
            let (dx, dh) = host.backward(&tape.expect("tape"), &cs, dims, &mut grads)?;
            (y, (y_host, dx, dh))
        };
        let (y_host, dx, dh) = host;
        assert!(max_diff(&y_host, &host_vec(&y_ref)?) < 1e-10);
        let g = (&y_ref * &c)?.sum_all()?.backward()?;
        assert!(max_diff(&dx, &host_vec(g.get(&x).expect("dx"))?) < 1e-10);
        match dh {
            Some(dh) => assert!(max_diff(&dh, &host_vec(g.get(&h).expect("dh"))?) < 1e-10),
            None => assert!(!cross),
        }
        // Padded keys get no gradient.
        if let Some(gh) = g.get(&h) {
            assert_eq!(
                gh.get(2)?.get(3)?.abs()?.sum_all()?.to_scalar::<f64>()?,
                0.0
            );
        }
        let map = grads.into_map()?;
        let vars = vm.all_vars();
        assert_eq!(map.len(), vars.len());
        for v in vars {
            let diff = max_abs_diff(&map[&v.id()], g.get(&v).expect("candle gradient"))?;
            assert!(diff < 1e-10, "{diff}");
        }
        Ok(())
    }

    #[test]
    fn cross_stack_matches_candle_values_and_gradients() -> Result<()> {
        compare(false, true)?;
        compare(true, true)
    }

    #[test]
    fn self_stack_matches_candle_values_and_gradients() -> Result<()> {
        compare(false, false)
    }

    #[test]
    fn projections_have_no_host_pass_and_bad_shapes_are_errors() -> Result<()> {
        let dev = Device::Cpu;
        let (_, vb) = dos_nn::SeededVarMap::fresh(0, DType::F64, &dev);
        let proj = AttentionConfig {
            heads: 2,
            projections: true,
            ..AttentionConfig::released(4)
        }
        .check()
        .map_err(candle_core::Error::wrap)?;
        assert!(SelfAttentionStack::new(&proj, 1, vb.pp("a"))?
            .host::<f64>()?
            .is_none());
        let cfg = AttentionConfig::released(4)
            .check()
            .map_err(candle_core::Error::wrap)?;
        let stack = CrossAttentionStack::new(&cfg, 1, vb.pp("b"))?;
        assert!(stack.host::<f32>().is_err(), "f64 weights read as f32");
        let host = stack.host::<f64>()?.expect("released block");
        let dims = HostDims { b: 1, m: 2, d: 4 };
        assert!(host.forward(&[0.0; 8], dims, None, false).is_err());
        assert!(host.forward(&[0.0; 7], dims, None, false).is_err());
        Ok(())
    }
}
