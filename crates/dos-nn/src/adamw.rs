//! AdamW whose CPU update is one in-place pass per variable, without temporary tensors.

use std::cell::RefCell;
use std::ops::{Add, Div, Mul, Sub};

use candle_core::backprop::GradStore;
use candle_core::{bail, CpuStorage, InplaceOp1, Layout, Result, Storage, Tensor, Var};
use candle_nn::{Optimizer, ParamsAdamW};
use rayon::prelude::*;

use crate::SummedGrads;

/// AdamW (Loshchilov & Hutter) with the update of `candle_nn::AdamW` and
/// `torch.optim.AdamW`; at step t with gradient g:
///
/// `m <- b1 m + (1 - b1) g`, `v <- b2 v + (1 - b2) g²`,
/// `θ <- θ (1 - lr λ) - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)`.
///
/// On the CPU (f32 / f64, contiguous variables) each variable is updated by one in-place
/// pass that reads g, m, v, θ and writes m, v, θ (7 streams of memory; the update is
/// memory-bound), split over rayon's threads for large variables, and allocates nothing;
/// `candle_nn::AdamW` builds about a dozen temporary tensors the size of every variable per
/// step (for the 6.5 M-parameter DOSTransformer that was over half of a training step). The
/// gradient may come as several parts ([`SummedGrads`]), added element by element inside the
/// pass. Other devices and dtypes use the composed tensor expression. The moments can be
/// read with [`FusedAdamW::moments`] (copies, e.g. to checkpoint them) and restored with
/// [`FusedAdamW::set_state`].
///
/// The result does not depend on the thread count: every element is updated independently.
///
/// # Shapes
/// Any variable shape; a variable's moments have its shape.
#[derive(Debug)]
pub struct FusedAdamW {
    vars: Vec<AdamWSlot>,
    params: ParamsAdamW,
    step_t: usize,
}

/// One variable with its first and second moments.
#[derive(Debug)]
struct AdamWSlot {
    var: Var,
    moments: Moments,
}

/// First and second moments: plain buffers for the in-place CPU pass, tensors elsewhere.
#[derive(Debug)]
enum Moments {
    F32 { m: Vec<f32>, v: Vec<f32> },
    F64 { m: Vec<f64>, v: Vec<f64> },
    Tensors { m: Tensor, v: Tensor },
}

impl Moments {
    /// Zero moments for `var`.
    fn zeros(var: &Var) -> Result<Self> {
        let n = var.elem_count();
        let in_place = var.device().is_cpu() && var.is_contiguous();
        Ok(match var.dtype() {
            candle_core::DType::F32 if in_place => Moments::F32 {
                m: vec![0.0; n],
                v: vec![0.0; n],
            },
            candle_core::DType::F64 if in_place => Moments::F64 {
                m: vec![0.0; n],
                v: vec![0.0; n],
            },
            _ => Moments::Tensors {
                m: var.zeros_like()?,
                v: var.zeros_like()?,
            },
        })
    }

    /// `(m, v)` as tensors of `var`'s shape (copies of the buffers).
    fn to_tensors(&self, var: &Var) -> Result<(Tensor, Tensor)> {
        let (shape, dev) = (var.shape(), var.device());
        Ok(match self {
            Moments::F32 { m, v } => (
                Tensor::from_slice(m, shape, dev)?,
                Tensor::from_slice(v, shape, dev)?,
            ),
            Moments::F64 { m, v } => (
                Tensor::from_slice(m, shape, dev)?,
                Tensor::from_slice(v, shape, dev)?,
            ),
            Moments::Tensors { m, v } => (m.copy()?, v.copy()?),
        })
    }

    /// Replaces the moments by copies of `m` and `v` (already checked against the variable).
    fn load(&mut self, m: &Tensor, v: &Tensor) -> Result<()> {
        match self {
            Moments::F32 { m: bm, v: bv } => {
                *bm = m.flatten_all()?.to_vec1()?;
                *bv = v.flatten_all()?.to_vec1()?;
            }
            Moments::F64 { m: bm, v: bv } => {
                *bm = m.flatten_all()?.to_vec1()?;
                *bv = v.flatten_all()?.to_vec1()?;
            }
            Moments::Tensors { m: tm, v: tv } => {
                *tm = m.copy()?;
                *tv = v.copy()?;
            }
        }
        Ok(())
    }
}

impl FusedAdamW {
    /// Number of steps taken.
    pub fn step_count(&self) -> usize {
        self.step_t
    }

    /// Hyperparameters.
    pub fn params(&self) -> &ParamsAdamW {
        &self.params
    }

    /// The optimised (float) variables, in the order given to [`Optimizer::new`].
    pub fn vars(&self) -> impl Iterator<Item = &Var> {
        self.vars.iter().map(|s| &s.var)
    }

    /// `(variable, first moment, second moment)` for each optimised variable, in the order of
    /// [`FusedAdamW::vars`]; the moments are copies (they do not change with later steps).
    pub fn moments(&self) -> Result<Vec<(&Var, Tensor, Tensor)>> {
        self.vars
            .iter()
            .map(|s| {
                let (m, v) = s.moments.to_tensors(&s.var)?;
                Ok((&s.var, m, v))
            })
            .collect()
    }

    /// Replaces the moments and the step count (resuming a training); each moment must have
    /// its variable's shape and dtype.
    pub fn set_state(&mut self, step_t: usize, moments: &[(Tensor, Tensor)]) -> Result<()> {
        if moments.len() != self.vars.len() {
            bail!(
                "FusedAdamW::set_state: {} moment pairs for {} variables",
                moments.len(),
                self.vars.len()
            );
        }
        for (slot, (m, v)) in self.vars.iter_mut().zip(moments) {
            for t in [m, v] {
                if t.shape() != slot.var.shape() || t.dtype() != slot.var.dtype() {
                    bail!(
                        "FusedAdamW::set_state: moment {:?} {:?} for variable {:?} {:?}",
                        t.shape(),
                        t.dtype(),
                        slot.var.shape(),
                        slot.var.dtype()
                    );
                }
            }
            slot.moments.load(m, v)?;
        }
        self.step_t = step_t;
        Ok(())
    }

    /// Global L2 norm of the gradients of the optimised variables, `sqrt(Σ_k |g_k|²)`, where
    /// `g_k` is the sum of variable k's terms in `grads`. On the CPU one read-only pass per
    /// variable accumulates in f64 (no temporary tensors); elsewhere a composed expression.
    pub fn grad_norm(&self, grads: &SummedGrads) -> Result<f64> {
        let mut total = 0f64;
        for slot in &self.vars {
            let terms = grads.terms(slot.var.as_tensor());
            if terms.is_empty() {
                continue;
            }
            total += match cpu_slices(&terms, &slot.var)? {
                Some(guards) => match Terms::of(&guards)? {
                    Terms::F32(gs) => sum_of_squares(&gs),
                    Terms::F64(gs) => sum_of_squares(&gs),
                },
                None => sum_terms(&terms)?
                    .to_dtype(candle_core::DType::F64)?
                    .sqr()?
                    .sum_all()?
                    .to_scalar::<f64>()?,
            };
        }
        Ok(total.sqrt())
    }

    /// One step with every gradient first multiplied by `grad_scale` (global-norm gradient
    /// clipping; 1.0 leaves the gradients as they are). The scaled gradient `s g` enters both
    /// moments, exactly as if the gradients had been scaled beforehand. Variables without a
    /// gradient are left untouched.
    pub fn step_scaled(&mut self, grads: &SummedGrads, grad_scale: f64) -> Result<()> {
        let parts: Vec<&GradStore> = grads.parts().iter().collect();
        self.step_parts(&parts, grad_scale)
    }

    /// [`FusedAdamW::step_scaled`] with the gradient `Σ_k parts[k]`.
    pub fn step_parts(&mut self, parts: &[&GradStore], grad_scale: f64) -> Result<()> {
        self.step_t += 1;
        let p = &self.params;
        let t = self.step_t as i32;
        let c = UpdateConsts {
            beta1: p.beta1,
            beta2: p.beta2,
            decay: 1.0 - p.lr * p.weight_decay,
            lr: p.lr,
            scale_m: 1.0 / (1.0 - p.beta1.powi(t)),
            scale_v: 1.0 / (1.0 - p.beta2.powi(t)),
            eps: p.eps,
            grad_scale,
        };
        for slot in self.vars.iter_mut() {
            let terms = terms_of(parts.iter().copied(), slot.var.as_tensor());
            if terms.is_empty() {
                continue;
            }
            if let Moments::Tensors { m, v } = &mut slot.moments {
                let g = sum_terms(&terms)?;
                let g = if grad_scale == 1.0 {
                    g
                } else {
                    (g * grad_scale)?
                };
                *m = ((&*m * p.beta1)? + (&g * (1.0 - p.beta1))?)?;
                *v = ((&*v * p.beta2)? + (g.sqr()? * (1.0 - p.beta2))?)?;
                let step = ((&*m * c.scale_m)? / ((&*v * c.scale_v)?.sqrt()? + p.eps)?)?;
                let theta = ((slot.var.as_tensor() * c.decay)? - (step * p.lr)?)?;
                slot.var.set(&theta)?;
                continue;
            }
            // Gradients that are views (e.g. transposes) are made contiguous first.
            let contiguous: Vec<Tensor> = terms
                .iter()
                .map(|g| g.contiguous())
                .collect::<Result<_>>()?;
            let refs: Vec<&Tensor> = contiguous.iter().collect();
            let Some(guards) = cpu_slices(&refs, &slot.var)? else {
                bail!(
                    "FusedAdamW: gradient of a CPU variable is not on the CPU or has another dtype"
                )
            };
            let op = InPlaceUpdate {
                consts: c,
                terms: Terms::of(&guards)?,
                moments: RefCell::new(&mut slot.moments),
            };
            slot.var.inplace_op1(&op)?;
        }
        Ok(())
    }
}

impl Optimizer for FusedAdamW {
    type Config = ParamsAdamW;

    fn new(vars: Vec<Var>, params: ParamsAdamW) -> Result<Self> {
        let vars = vars
            .into_iter()
            .filter(|var| var.dtype().is_float())
            .map(|var| {
                let moments = Moments::zeros(&var)?;
                Ok(AdamWSlot { var, moments })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            vars,
            params,
            step_t: 0,
        })
    }

    fn learning_rate(&self) -> f64 {
        self.params.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.params.lr = lr
    }

    fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step_parts(&[grads], 1.0)
    }
}

/// The gradient terms of `var` in `parts`, one per part that has one.
pub(crate) fn terms_of<'a>(
    parts: impl IntoIterator<Item = &'a GradStore>,
    var: &Tensor,
) -> Vec<&'a Tensor> {
    parts.into_iter().filter_map(|p| p.get(var)).collect()
}

/// `terms` added up (at least one term).
pub(crate) fn sum_terms(terms: &[&Tensor]) -> Result<Tensor> {
    let Some((first, rest)) = terms.split_first() else {
        bail!("sum of no gradient terms")
    };
    rest.iter().try_fold((*first).clone(), |acc, t| acc + *t)
}

/// A read-locked storage and the range of one tensor's values in it.
type LockedSlice<'a> = (candle_core::StorageRef<'a>, std::ops::Range<usize>);

/// Read locks on the storages of `terms` when the in-place CPU path applies to `var`: CPU
/// storage, contiguous, `var`'s dtype and element count. `None` otherwise.
fn cpu_slices<'a>(terms: &[&'a Tensor], var: &Var) -> Result<Option<Vec<LockedSlice<'a>>>> {
    let mut out = Vec::with_capacity(terms.len());
    for t in terms {
        if !t.device().is_cpu() || t.dtype() != var.dtype() || t.elem_count() != var.elem_count() {
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

/// Float types of the in-place pass.
trait Real:
    Copy
    + Send
    + Sync
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
{
    fn of(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn sqrt(self) -> Self;
}

macro_rules! real {
    ($t:ty) => {
        impl Real for $t {
            fn of(x: f64) -> Self {
                x as $t
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
        }
    };
}
real!(f32);
real!(f64);

/// Elements per chunk of the parallel passes.
const CHUNK: usize = 1 << 14;
/// Variables with fewer elements are updated on the calling thread.
const PARALLEL_MIN: usize = 1 << 16;

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
    let partial: Vec<f64> = if n >= PARALLEL_MIN {
        (0..n_chunks).into_par_iter().map(chunk).collect()
    } else {
        (0..n_chunks).map(chunk).collect()
    };
    partial.iter().sum()
}

/// Step constants (f64; converted to the variable's float type in the pass).
#[derive(Debug, Clone, Copy)]
struct UpdateConsts {
    beta1: f64,
    beta2: f64,
    decay: f64,
    lr: f64,
    scale_m: f64,
    scale_v: f64,
    eps: f64,
    grad_scale: f64,
}

/// The whole AdamW update of one variable, in place on θ (this op's destination), its
/// moment buffers and read-only gradient terms.
struct InPlaceUpdate<'a, 'm> {
    consts: UpdateConsts,
    terms: Terms<'a>,
    moments: RefCell<&'m mut Moments>,
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
            (CpuStorage::F32(th), Moments::F32 { m, v }, Terms::F32(gs)) => {
                update(&mut th[a..b], m, v, gs, &self.consts)
            }
            (CpuStorage::F64(th), Moments::F64 { m, v }, Terms::F64(gs)) => {
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
    c: &UpdateConsts,
) -> Result<()> {
    let n = th.len();
    if m.len() != n || v.len() != n || gs.iter().any(|g| g.len() != n) {
        bail!("adamw-update: variable, moments and gradients differ in length");
    }
    if n >= PARALLEL_MIN {
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

/// The update of elements `offset..offset + th.len()`.
fn update_chunk<T: Real>(
    th: &mut [T],
    m: &mut [T],
    v: &mut [T],
    gs: &[&[T]],
    offset: usize,
    c: &UpdateConsts,
) {
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
    let len = th.len();
    let range = offset..offset + len;
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

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::AdamW;

    /// Same trajectory as `candle_nn::AdamW` over several steps, both dtypes, with a
    /// non-contiguous gradient (from a transpose) in the loss.
    #[test]
    fn matches_candle_adamw_step_by_step() -> Result<()> {
        let dev = Device::Cpu;
        for dtype in [DType::F32, DType::F64] {
            let init_a = Tensor::randn(0f64, 1., (4, 3), &dev)?.to_dtype(dtype)?;
            let init_b = Tensor::randn(0f64, 1., 3, &dev)?.to_dtype(dtype)?;
            let x = Tensor::randn(0f64, 1., (5, 4), &dev)?.to_dtype(dtype)?;
            let params = ParamsAdamW {
                lr: 0.05,
                weight_decay: 0.1,
                ..ParamsAdamW::default()
            };
            let run = |fused: bool| -> Result<Vec<f64>> {
                let a = Var::from_tensor(&init_a)?;
                let b = Var::from_tensor(&init_b)?;
                let loss = || -> Result<Tensor> {
                    let y = x.matmul(a.as_tensor())?.broadcast_add(b.as_tensor())?;
                    (y.t()?.sin()? * 3.0)?.sqr()?.sum_all()
                };
                let vars = vec![a.clone(), b.clone()];
                if fused {
                    let mut opt = FusedAdamW::new(vars, params.clone())?;
                    for _ in 0..5 {
                        opt.backward_step(&loss()?)?;
                    }
                    assert_eq!(opt.step_count(), 5);
                } else {
                    let mut opt = AdamW::new(vars, params.clone())?;
                    for _ in 0..5 {
                        opt.backward_step(&loss()?)?;
                    }
                }
                Tensor::cat(&[a.flatten_all()?, b.flatten_all()?], 0)?
                    .to_dtype(DType::F64)?
                    .to_vec1::<f64>()
            };
            let (ours, theirs) = (run(true)?, run(false)?);
            let tol = if dtype == DType::F32 { 1e-5 } else { 1e-13 };
            for (o, t) in ours.iter().zip(&theirs) {
                assert!(
                    (o - t).abs() <= tol * (1.0 + t.abs()),
                    "{dtype:?}: {o} vs {t}"
                );
            }
            // The parameters moved.
            let start = Tensor::cat(&[init_a.flatten_all()?, init_b.flatten_all()?], 0)?
                .to_dtype(DType::F64)?
                .to_vec1::<f64>()?;
            assert!(ours.iter().zip(&start).any(|(o, s)| (o - s).abs() > 1e-3));
        }
        Ok(())
    }

    #[test]
    fn one_step_by_hand() -> Result<()> {
        // t = 1: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g², θ <- θ(1 - lr λ) - lr g/(|g| + eps).
        let dev = Device::Cpu;
        let w = Var::new(&[1.0f64, -2.0], &dev)?;
        let params = ParamsAdamW {
            lr: 0.1,
            weight_decay: 0.5,
            eps: 1e-8,
            ..ParamsAdamW::default()
        };
        let mut opt = FusedAdamW::new(vec![w.clone()], params)?;
        // loss = 3 w0 - 0.5 w1 -> g = (3, -0.5)
        let loss = (w.as_tensor() * &Tensor::new(&[3.0f64, -0.5], &dev)?)?.sum_all()?;
        opt.backward_step(&loss)?;
        let got = w.to_vec1::<f64>()?;
        let want = [
            1.0 * 0.95 - 0.1 * 3.0 / (3.0 + 1e-8),
            -2.0 * 0.95 - 0.1 * -0.5 / (0.5 + 1e-8),
        ];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
        let (_, m, v) = opt.moments()?.into_iter().next().expect("one variable");
        assert!((m.to_vec1::<f64>()?[0] - 0.3).abs() < 1e-12);
        assert!((v.to_vec1::<f64>()?[1] - 0.001 * 0.25).abs() < 1e-15);
        Ok(())
    }

    /// `step_scaled(g, s)` on the in-place path equals `step` on gradients scaled beforehand
    /// (`g * s` as a tensor), bit for bit, for both dtypes.
    #[test]
    fn scaled_step_equals_prescaled_gradients() -> Result<()> {
        let dev = Device::Cpu;
        for dtype in [DType::F32, DType::F64] {
            let init = Tensor::randn(0f64, 1., (3, 4), &dev)?.to_dtype(dtype)?;
            let run = |scaled_in_kernel: bool| -> Result<Vec<f64>> {
                let w = Var::from_tensor(&init)?;
                let mut opt = FusedAdamW::new(vec![w.clone()], ParamsAdamW::default())?;
                for _ in 0..3 {
                    let mut grads = (w.as_tensor().exp()? * 2.0)?.sum_all()?.backward()?;
                    if scaled_in_kernel {
                        opt.step_parts(&[&grads], 0.3)?;
                    } else {
                        let g = grads.get(&w).expect("gradient of w");
                        let pre = (g * 0.3)?;
                        grads.insert(&w, pre);
                        opt.step(&grads)?;
                    }
                }
                w.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()
            };
            let (a, b) = (run(true)?, run(false)?);
            assert_eq!(a, b, "{dtype:?}");
            let start = init.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
            assert_ne!(a, start);
        }
        Ok(())
    }

    /// A variable large enough for the chunked parallel pass (and one below it), with the
    /// gradient in two parts: the same trajectory as `candle_nn::AdamW` on the summed
    /// gradient, and the same gradient norm as the composed expression.
    #[test]
    fn parallel_pass_with_two_gradient_parts_matches_candle_adamw() -> Result<()> {
        let dev = Device::Cpu;
        let n = PARALLEL_MIN + 3 * CHUNK / 2;
        let init_big = Tensor::randn(0f32, 1., n, &dev)?;
        let init_small = Tensor::randn(0f32, 1., 100, &dev)?;
        let params = ParamsAdamW {
            lr: 0.01,
            weight_decay: 0.1,
            ..ParamsAdamW::default()
        };
        // Two halves of one loss, back-propagated separately: sin² and a cubic.
        let halves = |w: &Tensor| -> Result<(Tensor, Tensor)> {
            Ok((w.sin()?.sqr()?.sum_all()?, (w.powf(3.0)? * 0.1)?.sum_all()?))
        };
        let big = Var::from_tensor(&init_big)?;
        let small = Var::from_tensor(&init_small)?;
        let mut ours = FusedAdamW::new(vec![big.clone(), small.clone()], params.clone())?;
        let big_ref = Var::from_tensor(&init_big)?;
        let small_ref = Var::from_tensor(&init_small)?;
        let mut theirs = AdamW::new(vec![big_ref.clone(), small_ref.clone()], params)?;
        for _ in 0..4 {
            let (a1, a2) = halves(big.as_tensor())?;
            let (b1, b2) = halves(small.as_tensor())?;
            let parts = SummedGrads::new(vec![(a1 + &b1)?.backward()?, (a2 + b2)?.backward()?]);
            let (r1, r2) = halves(big_ref.as_tensor())?;
            let (s1, s2) = halves(small_ref.as_tensor())?;
            let whole = (((r1 + r2)? + s1)? + s2)?.backward()?;
            let norm_whole = [&big_ref, &small_ref]
                .iter()
                .map(|v| -> Result<f64> {
                    let g = whole.get(v).expect("gradient").to_dtype(DType::F64)?;
                    g.sqr()?.sum_all()?.to_scalar::<f64>()
                })
                .sum::<Result<f64>>()?
                .sqrt();
            let norm = ours.grad_norm(&parts)?;
            assert!(
                (norm - norm_whole).abs() < 1e-5 * norm_whole,
                "{norm} vs {norm_whole}"
            );
            ours.step_scaled(&parts, 1.0)?;
            theirs.step(&whole)?;
        }
        for (o, t) in [(&big, &big_ref), (&small, &small_ref)] {
            let diff = (o.as_tensor() - t.as_tensor())?
                .abs()?
                .max_all()?
                .to_scalar::<f32>()?;
            assert!(diff < 1e-5, "max difference {diff}");
        }
        let moved = (big.as_tensor() - &init_big)?
            .abs()?
            .max_all()?
            .to_scalar::<f32>()?;
        assert!(moved > 1e-3, "{moved}");
        Ok(())
    }

    /// `moments` are copies that `set_state` restores: a second optimiser loaded from the
    /// first one's state continues bit for bit like the first.
    #[test]
    fn moments_and_set_state_resume_exactly() -> Result<()> {
        let dev = Device::Cpu;
        let init = Tensor::randn(0f64, 1., (6, 5), &dev)?;
        let loss = |w: &Var| -> Result<GradStore> { w.as_tensor().tanh()?.sum_all()?.backward() };
        let a = Var::from_tensor(&init)?;
        let mut first = FusedAdamW::new(vec![a.clone()], ParamsAdamW::default())?;
        for _ in 0..3 {
            first.step(&loss(&a)?)?;
        }
        let saved: Vec<(Tensor, Tensor)> = first
            .moments()?
            .into_iter()
            .map(|(_, m, v)| (m, v))
            .collect();
        let b = Var::from_tensor(a.as_tensor())?;
        let mut second = FusedAdamW::new(vec![b.clone()], ParamsAdamW::default())?;
        second.set_state(first.step_count(), &saved)?;
        // The copies do not follow later steps.
        first.step(&loss(&a)?)?;
        second.step(&loss(&b)?)?;
        assert_eq!(
            a.flatten_all()?.to_vec1::<f64>()?,
            b.flatten_all()?.to_vec1::<f64>()?
        );
        let after = first.moments()?;
        assert_ne!(
            after[0].1.flatten_all()?.to_vec1::<f64>()?,
            saved[0].0.flatten_all()?.to_vec1::<f64>()?
        );
        let wrong = vec![(
            Tensor::zeros(3, DType::F64, &dev)?,
            Tensor::zeros(3, DType::F64, &dev)?,
        )];
        assert!(second.set_state(1, &wrong).is_err());
        Ok(())
    }
}
