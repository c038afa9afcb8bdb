//! The AdamW update of [`crate::FusedAdamW`]: one in-place pass per variable on the CPU (the
//! gradient may come in several parts, added inside the pass), the composed tensor
//! expression elsewhere, and the gradient's squared norm.

use std::cell::RefCell;

use candle_core::{bail, CpuStorage, InplaceOp1, Layout, Result, Storage, Tensor, Var};
use rayon::prelude::*;

use super::{uses_cpu_kernel, Real};
use crate::summed_grads::sum_terms;

/// First and second moments: plain buffers for the in-place CPU pass, tensors elsewhere.
#[derive(Debug)]
pub(crate) enum AdamWMoments {
    F32 { m: Vec<f32>, v: Vec<f32> },
    F64 { m: Vec<f64>, v: Vec<f64> },
    Tensors { m: Tensor, v: Tensor },
}

impl AdamWMoments {
    /// Zero moments for `var`.
    pub(crate) fn zeros(var: &Var) -> Result<Self> {
        let n = var.elem_count();
        let in_place = uses_cpu_kernel(var) && var.is_contiguous();
        Ok(match var.dtype() {
            candle_core::DType::F32 if in_place => AdamWMoments::F32 {
                m: vec![0.0; n],
                v: vec![0.0; n],
            },
            candle_core::DType::F64 if in_place => AdamWMoments::F64 {
                m: vec![0.0; n],
                v: vec![0.0; n],
            },
            _ => AdamWMoments::Tensors {
                m: var.zeros_like()?,
                v: var.zeros_like()?,
            },
        })
    }

    /// `(m, v)` as tensors of `var`'s shape (copies of the buffers).
    pub(crate) fn to_tensors(&self, var: &Var) -> Result<(Tensor, Tensor)> {
        let (shape, dev) = (var.shape(), var.device());
        Ok(match self {
            AdamWMoments::F32 { m, v } => (
                Tensor::from_slice(m, shape, dev)?,
                Tensor::from_slice(v, shape, dev)?,
            ),
            AdamWMoments::F64 { m, v } => (
                Tensor::from_slice(m, shape, dev)?,
                Tensor::from_slice(v, shape, dev)?,
            ),
            AdamWMoments::Tensors { m, v } => (m.copy()?, v.copy()?),
        })
    }

    /// Replaces the moments by copies of `m` and `v` (already checked against the variable).
    pub(crate) fn load(&mut self, m: &Tensor, v: &Tensor) -> Result<()> {
        match self {
            AdamWMoments::F32 { m: bm, v: bv } => {
                *bm = m.flatten_all()?.to_vec1()?;
                *bv = v.flatten_all()?.to_vec1()?;
            }
            AdamWMoments::F64 { m: bm, v: bv } => {
                *bm = m.flatten_all()?.to_vec1()?;
                *bv = v.flatten_all()?.to_vec1()?;
            }
            AdamWMoments::Tensors { m: tm, v: tv } => {
                *tm = m.copy()?;
                *tv = v.copy()?;
            }
        }
        Ok(())
    }
}

/// One AdamW step of `var` with gradient `Σ terms` (at least one term) and `moments`, in
/// place on the CPU (f32 / f64 moments buffers), the composed expression otherwise.
pub(crate) fn adamw_update(
    var: &Var,
    moments: &mut AdamWMoments,
    terms: &[&Tensor],
    c: &AdamWConsts,
) -> Result<()> {
    if let AdamWMoments::Tensors { m, v } = moments {
        let g = sum_terms(terms)?;
        let g = if c.grad_scale == 1.0 {
            g
        } else {
            (g * c.grad_scale)?
        };
        *m = ((&*m * c.beta1)? + (&g * (1.0 - c.beta1))?)?;
        *v = ((&*v * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?;
        let step = ((&*m * c.scale_m)? / ((&*v * c.scale_v)?.sqrt()? + c.eps)?)?;
        let theta = ((var.as_tensor() * c.decay)? - (step * c.lr)?)?;
        return var.set(&theta);
    }
    // Gradients that are views (e.g. transposes) are made contiguous first.
    let contiguous: Vec<Tensor> = terms
        .iter()
        .map(|g| g.contiguous())
        .collect::<Result<_>>()?;
    let refs: Vec<&Tensor> = contiguous.iter().collect();
    let Some(guards) = cpu_slices(&refs, var)? else {
        bail!("FusedAdamW: gradient of a CPU variable is not on the CPU or has another dtype")
    };
    let op = InPlaceUpdate {
        consts: *c,
        terms: Terms::of(&guards)?,
        moments: RefCell::new(moments),
    };
    var.inplace_op1(&op)
}

/// `|Σ terms|²` for the gradient terms of `var`, in f64: one read-only pass on the CPU (no
/// temporary tensors), the composed expression elsewhere.
pub(crate) fn grad_sum_of_squares(terms: &[&Tensor], var: &Var) -> Result<f64> {
    Ok(match cpu_slices(terms, var)? {
        Some(guards) => match Terms::of(&guards)? {
            Terms::F32(gs) => sum_of_squares(&gs),
            Terms::F64(gs) => sum_of_squares(&gs),
        },
        None => sum_terms(terms)?
            .to_dtype(candle_core::DType::F64)?
            .sqr()?
            .sum_all()?
            .to_scalar::<f64>()?,
    })
}

/// A read-locked storage and the range of one tensor's values in it.
type LockedSlice<'a> = (candle_core::StorageRef<'a>, std::ops::Range<usize>);

/// Read locks on the storages of `terms` when the in-place CPU path applies to `var`: CPU
/// storage, contiguous, `var`'s dtype and element count. `None` otherwise.
fn cpu_slices<'a>(terms: &[&'a Tensor], var: &Var) -> Result<Option<Vec<LockedSlice<'a>>>> {
    let mut out = Vec::with_capacity(terms.len());
    for t in terms {
        if !uses_cpu_kernel(t) || t.dtype() != var.dtype() || t.elem_count() != var.elem_count() {
            return Ok(None);
        }
        let (guard, layout) = t.storage_and_layout();
        let Some((a, b)) = layout.contiguous_offsets() else {
            return Ok(None);
        };
        out.push((guard, a..b));
    }
    Ok(Some(out))
}

/// The gradient terms of one variable as slices of one float type.
enum Terms<'a> {
    F32(Vec<&'a [f32]>),
    F64(Vec<&'a [f64]>),
}

impl<'a> Terms<'a> {
    /// Slices of the locked storages (all of one dtype, as `cpu_slices` checked).
    fn of(guards: &'a [LockedSlice<'_>]) -> Result<Self> {
        let mut f32s = Vec::new();
        let mut f64s = Vec::new();
        for (guard, r) in guards {
            match &**guard {
                Storage::Cpu(CpuStorage::F32(d)) => f32s.push(&d[r.clone()]),
                Storage::Cpu(CpuStorage::F64(d)) => f64s.push(&d[r.clone()]),
                _ => bail!("FusedAdamW: f32 or f64 CPU gradients expected"),
            }
        }
        match (f32s.is_empty(), f64s.is_empty()) {
            (false, true) => Ok(Terms::F32(f32s)),
            (true, false) => Ok(Terms::F64(f64s)),
            _ => bail!("FusedAdamW: gradient terms of mixed or no dtype"),
        }
    }
}

/// Elements per chunk of the parallel passes.
pub(crate) const CHUNK: usize = 1 << 14;
/// Variables with fewer elements are updated on the calling thread.
pub(crate) const PARALLEL_MIN: usize = 1 << 16;

/// `Σ_i (Σ_k terms[k][i])²` in f64, over chunks (on rayon's threads for large variables) that
/// are added in order, so the result does not depend on the thread count.
fn sum_of_squares<T: Real>(terms: &[&[T]]) -> f64 {
    let n = terms[0].len();
    let chunk = |c: usize| -> f64 {
        let (a, b) = (c * CHUNK, ((c + 1) * CHUNK).min(n));
        (a..b)
            .map(|i| {
                let g = terms[1..]
                    .iter()
                    .fold(terms[0][i], |g, t| g + t[i])
                    .to_f64();
                g * g
            })
            .sum()
    };
    let n_chunks = n.div_ceil(CHUNK);
    let partial: Vec<f64> = if n >= PARALLEL_MIN && crate::pool_is_parallel() {
        (0..n_chunks).into_par_iter().map(chunk).collect()
    } else {
        (0..n_chunks).map(chunk).collect()
    };
    partial.iter().sum()
}

/// Step constants (f64; converted to the variable's float type in the pass).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamWConsts {
    pub beta1: f64,
    pub beta2: f64,
    /// `1 - lr λ`.
    pub decay: f64,
    pub lr: f64,
    /// `1 / (1 - b1^t)`.
    pub scale_m: f64,
    /// `1 / (1 - b2^t)`.
    pub scale_v: f64,
    pub eps: f64,
    /// Factor applied to the gradient first (1.0: none).
    pub grad_scale: f64,
}

/// The whole AdamW update of one variable, in place on θ (this op's destination), its
/// moment buffers and read-only gradient terms.
struct InPlaceUpdate<'a, 'm> {
    consts: AdamWConsts,
    terms: Terms<'a>,
    moments: RefCell<&'m mut AdamWMoments>,
}

impl InplaceOp1 for InPlaceUpdate<'_, '_> {
    fn name(&self) -> &'static str {
        "adamw-update"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> Result<()> {
        let Some((a, b)) = layout.contiguous_offsets() else {
            bail!("adamw-update: variable is not contiguous")
        };
        let mut moments = self.moments.borrow_mut();
        match (storage, &mut **moments, &self.terms) {
            (CpuStorage::F32(th), AdamWMoments::F32 { m, v }, Terms::F32(gs)) => {
                update(&mut th[a..b], m, v, gs, &self.consts)
            }
            (CpuStorage::F64(th), AdamWMoments::F64 { m, v }, Terms::F64(gs)) => {
                update(&mut th[a..b], m, v, gs, &self.consts)
            }
            _ => bail!("adamw-update: variable, moments and gradients differ in dtype"),
        }
    }
}

/// One AdamW step over `th` with moments `m`, `v` and gradient `Σ_k gs[k]` (all of one
/// length), in chunks on rayon's threads for large variables.
fn update<T: Real>(
    th: &mut [T],
    m: &mut [T],
    v: &mut [T],
    gs: &[&[T]],
    c: &AdamWConsts,
) -> Result<()> {
    let n = th.len();
    if m.len() != n || v.len() != n || gs.iter().any(|g| g.len() != n) {
        bail!("adamw-update: variable, moments and gradients differ in length");
    }
    if n >= PARALLEL_MIN && crate::pool_is_parallel() {
        th.par_chunks_mut(CHUNK)
            .zip(m.par_chunks_mut(CHUNK))
            .zip(v.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each(|(k, ((th, m), v))| update_chunk(th, m, v, gs, k * CHUNK, c));
    } else {
        update_chunk(th, m, v, gs, 0, c);
    }
    Ok(())
}

/// The update of elements `offset..offset + th.len()`, compiled for the CPU's widest
/// vector unit (AVX2 / AVX-512, picked at run time).
fn update_chunk<T: Real>(
    th: &mut [T],
    m: &mut [T],
    v: &mut [T],
    gs: &[&[T]],
    offset: usize,
    c: &AdamWConsts,
) {
    pulp::Arch::new().dispatch(UpdateChunk {
        th,
        m,
        v,
        gs,
        offset,
        c,
    })
}

struct UpdateChunk<'a, 'g, T> {
    th: &'a mut [T],
    m: &'a mut [T],
    v: &'a mut [T],
    gs: &'a [&'g [T]],
    offset: usize,
    c: &'a AdamWConsts,
}

impl<T: Real> pulp::WithSimd for UpdateChunk<'_, '_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self {
            th,
            m,
            v,
            gs,
            offset,
            c,
        } = self;
        let (b1, c1) = (T::of(c.beta1), T::of(1.0 - c.beta1));
        let (b2, c2) = (T::of(c.beta2), T::of(1.0 - c.beta2));
        let (decay, lr) = (T::of(c.decay), T::of(c.lr));
        let (sm, sv, eps) = (T::of(c.scale_m), T::of(c.scale_v), T::of(c.eps));
        let (s, scaled) = (T::of(c.grad_scale), c.grad_scale != 1.0);
        // The scaled gradient `g * s` rounds like the tensor `g * s`, so both paths match a
        // pre-scaled gradient exactly; unscaled steps skip the multiply.
        let step = |th: &mut T, m: &mut T, v: &mut T, g: T| {
            let g = if scaled { g * s } else { g };
            *m = b1 * *m + c1 * g;
            *v = b2 * *v + c2 * (g * g);
            *th = *th * decay - lr * ((*m * sm) / ((*v * sv).sqrt() + eps));
        };
        let range = offset..offset + th.len();
        let it = th.iter_mut().zip(m.iter_mut()).zip(v.iter_mut());
        match gs {
            [g] => it
                .zip(&g[range])
                .for_each(|(((th, m), v), &g)| step(th, m, v, g)),
            [g, h] => it
                .zip(g[range.clone()].iter().zip(&h[range]))
                .for_each(|(((th, m), v), (&g, &h))| step(th, m, v, g + h)),
            _ => it.enumerate().for_each(|(i, ((th, m), v))| {
                let j = offset + i;
                let g = gs[1..].iter().fold(gs[0][j], |g, t| g + t[j]);
                step(th, m, v, g)
            }),
        }
    }
}
