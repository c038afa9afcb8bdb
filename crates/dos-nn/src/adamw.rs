//! AdamW whose CPU update runs in place, without temporary tensors.

use candle_core::backprop::GradStore;
use candle_core::{bail, CpuStorage, Device, InplaceOp2, InplaceOp3, Layout, Result, Tensor, Var};
use candle_nn::{Optimizer, ParamsAdamW};

/// AdamW (Loshchilov & Hutter) with the update of `candle_nn::AdamW` and
/// `torch.optim.AdamW`; at step t with gradient g:
///
/// `m <- b1 m + (1 - b1) g`, `v <- b2 v + (1 - b2) g²`,
/// `θ <- θ (1 - lr λ) - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)`.
///
/// On the CPU (f32 / f64) each variable is updated by three in-place passes (m, v, θ) that
/// allocate nothing; `candle_nn::AdamW` builds about a dozen temporary tensors the size of
/// every variable per step (for the 6.5 M-parameter DOSTransformer that was over half of a
/// training step). Other devices and dtypes use the composed tensor expression. The moments
/// are plain tensors, readable with [`FusedAdamW::moments`] (e.g. to checkpoint them).
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
    m: Tensor,
    v: Tensor,
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

    /// `(variable, first moment, second moment)` for each float variable, in the order given
    /// to [`Optimizer::new`].
    pub fn moments(&self) -> impl Iterator<Item = (&Var, &Tensor, &Tensor)> {
        self.vars.iter().map(|s| (&s.var, &s.m, &s.v))
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
            slot.m = m.copy()?;
            slot.v = v.copy()?;
        }
        self.step_t = step_t;
        Ok(())
    }

    /// One step with every gradient first multiplied by `grad_scale` (global-norm gradient
    /// clipping; 1.0 leaves the gradients as they are). The scaled gradient `s g` enters both
    /// moments, exactly as if the gradients had been scaled beforehand. Variables without a
    /// gradient are left untouched.
    pub fn step_scaled(&mut self, grads: &GradStore, grad_scale: f64) -> Result<()> {
        self.step_t += 1;
        let p = &self.params;
        let t = self.step_t as i32;
        let upd = ThetaUpdate {
            decay: 1.0 - p.lr * p.weight_decay,
            lr: p.lr,
            scale_m: 1.0 / (1.0 - p.beta1.powi(t)),
            scale_v: 1.0 / (1.0 - p.beta2.powi(t)),
            eps: p.eps,
        };
        for slot in self.vars.iter_mut() {
            let Some(g) = grads.get(&slot.var) else {
                continue;
            };
            let fused = matches!(slot.var.device(), Device::Cpu)
                && slot.var.is_contiguous()
                && g.dtype() == slot.var.dtype();
            if fused {
                let g = g.contiguous()?;
                slot.m.inplace_op2(
                    &g,
                    &Moment {
                        beta: p.beta1,
                        grad_scale,
                        square: false,
                    },
                )?;
                slot.v.inplace_op2(
                    &g,
                    &Moment {
                        beta: p.beta2,
                        grad_scale,
                        square: true,
                    },
                )?;
                slot.var.inplace_op3(&slot.m, &slot.v, &upd)?;
            } else {
                let scaled;
                let g = if grad_scale == 1.0 {
                    g
                } else {
                    scaled = (g * grad_scale)?;
                    &scaled
                };
                let m = ((&slot.m * p.beta1)? + (g * (1.0 - p.beta1))?)?;
                let v = ((&slot.v * p.beta2)? + (g.sqr()? * (1.0 - p.beta2))?)?;
                let step = ((&m * upd.scale_m)? / ((&v * upd.scale_v)?.sqrt()? + p.eps)?)?;
                let theta = ((slot.var.as_tensor() * upd.decay)? - (step * p.lr)?)?;
                slot.var.set(&theta)?;
                slot.m = m;
                slot.v = v;
            }
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
                let m = Tensor::zeros(var.shape(), var.dtype(), var.device())?;
                let v = Tensor::zeros(var.shape(), var.dtype(), var.device())?;
                Ok(AdamWSlot { var, m, v })
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
        self.step_scaled(grads, 1.0)
    }
}

/// The contiguous range of a layout, or an error naming the op.
fn range(op: &str, l: &Layout) -> Result<std::ops::Range<usize>> {
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(a..b),
        None => bail!("{op}: operand is not contiguous"),
    }
}

/// `dst <- beta dst + (1 - beta) (s g)` (or `(s g)²` when `square`), s = `grad_scale`.
struct Moment {
    beta: f64,
    grad_scale: f64,
    square: bool,
}

impl InplaceOp2 for Moment {
    fn name(&self) -> &'static str {
        "adamw-moment"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<()> {
        let (r1, r2) = (range(self.name(), l1)?, range(self.name(), l2)?);
        macro_rules! run {
            ($d:expr, $g:expr, $t:ty) => {{
                let (b, c) = (self.beta as $t, (1.0 - self.beta) as $t);
                let (d, g) = (&mut $d[r1], &$g[r2]);
                if d.len() != g.len() {
                    bail!("adamw-moment: {} values for {} gradients", d.len(), g.len());
                }
                // Unscaled loops when s = 1 (no multiply); the scaled product `g * s` rounds
                // like the tensor `g * s`, so both paths match a pre-scaled gradient exactly.
                let s = self.grad_scale as $t;
                match (self.square, self.grad_scale == 1.0) {
                    (true, true) => d
                        .iter_mut()
                        .zip(g)
                        .for_each(|(d, &g)| *d = b * *d + c * (g * g)),
                    (false, true) => d.iter_mut().zip(g).for_each(|(d, &g)| *d = b * *d + c * g),
                    (true, false) => d.iter_mut().zip(g).for_each(|(d, &g)| {
                        let g = g * s;
                        *d = b * *d + c * (g * g)
                    }),
                    (false, false) => d
                        .iter_mut()
                        .zip(g)
                        .for_each(|(d, &g)| *d = b * *d + c * (g * s)),
                }
            }};
        }
        match (s1, s2) {
            (CpuStorage::F32(d), CpuStorage::F32(g)) => run!(d, g, f32),
            (CpuStorage::F64(d), CpuStorage::F64(g)) => run!(d, g, f64),
            _ => bail!("adamw-moment: f32 or f64 operands of one dtype expected"),
        }
        Ok(())
    }
}

/// `θ <- decay θ - lr (scale_m m) / (sqrt(scale_v v) + eps)`.
#[derive(Debug, Clone, Copy)]
struct ThetaUpdate {
    decay: f64,
    lr: f64,
    scale_m: f64,
    scale_v: f64,
    eps: f64,
}

impl InplaceOp3 for ThetaUpdate {
    fn name(&self) -> &'static str {
        "adamw-theta"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<()> {
        let n = self.name();
        let (r1, r2, r3) = (range(n, l1)?, range(n, l2)?, range(n, l3)?);
        macro_rules! run {
            ($th:expr, $m:expr, $v:expr, $t:ty) => {{
                let (th, m, v) = (&mut $th[r1], &$m[r2], &$v[r3]);
                if th.len() != m.len() || th.len() != v.len() {
                    bail!("adamw-theta: operand lengths differ");
                }
                let (decay, lr) = (self.decay as $t, self.lr as $t);
                let (sm, sv, eps) = (self.scale_m as $t, self.scale_v as $t, self.eps as $t);
                for ((th, &m), &v) in th.iter_mut().zip(m).zip(v) {
                    *th = *th * decay - lr * ((m * sm) / ((v * sv).sqrt() + eps));
                }
            }};
        }
        match (s1, s2, s3) {
            (CpuStorage::F32(th), CpuStorage::F32(m), CpuStorage::F32(v)) => run!(th, m, v, f32),
            (CpuStorage::F64(th), CpuStorage::F64(m), CpuStorage::F64(v)) => run!(th, m, v, f64),
            _ => bail!("adamw-theta: f32 or f64 operands of one dtype expected"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::DType;
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
        let (_, m, v) = opt.moments().next().expect("one variable");
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
                        opt.step_scaled(&grads, 0.3)?;
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
}
