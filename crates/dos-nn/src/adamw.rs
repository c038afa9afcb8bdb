//! [`FusedAdamW`]: AdamW whose CPU update is one in-place pass per variable, without
//! temporary tensors, over named variables whose moments can be saved and restored.

use candle_core::backprop::GradStore;
use candle_core::{bail, Result, Tensor, Var};
use candle_nn::{Optimizer, ParamsAdamW};

use crate::kernels::{adamw_update, grad_sum_of_squares, AdamWConsts, AdamWMoments};
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
/// pass. Other devices and dtypes use the composed tensor expression (see
/// [`crate::kernels`]). `candle_nn::AdamW` keeps its moments private; here they can be read
/// with [`FusedAdamW::moments`] (copies, e.g. to checkpoint them, under the variables'
/// [`FusedAdamW::names`]) and restored with [`FusedAdamW::set_state`], so that a resumed
/// training continues exactly.
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

/// One variable with its name and its first and second moments.
#[derive(Debug)]
struct AdamWSlot {
    name: String,
    var: Var,
    moments: AdamWMoments,
}

impl FusedAdamW {
    /// Optimiser over named variables, in the order given (variables that are not floats
    /// are skipped). [`Optimizer::new`] names the variables by their position instead.
    pub fn from_named(vars: Vec<(String, Var)>, params: ParamsAdamW) -> Result<Self> {
        let vars = vars
            .into_iter()
            .filter(|(_, var)| var.dtype().is_float())
            .map(|(name, var)| {
                let moments = AdamWMoments::zeros(&var)?;
                Ok(AdamWSlot { name, var, moments })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            vars,
            params,
            step_t: 0,
        })
    }

    /// Number of steps taken (t of the bias correction).
    pub fn step_count(&self) -> usize {
        self.step_t
    }

    /// Hyperparameters.
    pub fn params(&self) -> &ParamsAdamW {
        &self.params
    }

    /// The optimised (float) variables, in the order given at construction.
    pub fn vars(&self) -> impl Iterator<Item = &Var> {
        self.vars.iter().map(|s| &s.var)
    }

    /// The names of the optimised variables, in the order of [`FusedAdamW::vars`].
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.iter().map(|s| s.name.as_str())
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
                        "FusedAdamW::set_state: moment {:?} {:?} for variable `{}` {:?} {:?}",
                        t.shape(),
                        t.dtype(),
                        slot.name,
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
            if !terms.is_empty() {
                total += grad_sum_of_squares(&terms, &slot.var)?;
            }
        }
        Ok(total.sqrt())
    }

    /// One step with every gradient first multiplied by `grad_scale` (global-norm gradient
    /// clipping; 1.0 leaves the gradients as they are). The scaled gradient `s g` enters both
    /// moments, exactly as if the gradients had been scaled beforehand. Variables without a
    /// gradient are left untouched.
    pub fn step_scaled(&mut self, grads: &SummedGrads, grad_scale: f64) -> Result<()> {
        self.step_with(|v| grads.terms(v), grad_scale)
    }

    /// [`FusedAdamW::step_scaled`] with the gradient `Σ_k parts[k]`.
    pub fn step_parts(&mut self, parts: &[&GradStore], grad_scale: f64) -> Result<()> {
        self.step_with(
            |v| parts.iter().filter_map(|p| p.get(v)).collect(),
            grad_scale,
        )
    }

    /// One step with the gradient terms of each variable given by `terms_of`.
    fn step_with<'g>(
        &mut self,
        terms_of: impl Fn(&Tensor) -> Vec<&'g Tensor>,
        grad_scale: f64,
    ) -> Result<()> {
        self.step_t += 1;
        let p = &self.params;
        let t = self.step_t as i32;
        let c = AdamWConsts {
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
            let terms = terms_of(slot.var.as_tensor());
            if !terms.is_empty() {
                adamw_update(&slot.var, &mut slot.moments, &terms, &c)?;
            }
        }
        Ok(())
    }
}

impl Optimizer for FusedAdamW {
    type Config = ParamsAdamW;

    /// Optimiser over `vars`, named `"0"`, `"1"`, ... by position.
    fn new(vars: Vec<Var>, params: ParamsAdamW) -> Result<Self> {
        let named = vars
            .into_iter()
            .enumerate()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        Self::from_named(named, params)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{CHUNK, PARALLEL_MIN};
    use crate::seeded_randn;
    use candle_core::{DType, Device};
    use candle_nn::AdamW;

    /// Same trajectory as `candle_nn::AdamW` over several steps, both dtypes, with a
    /// non-contiguous gradient (from a transpose) in the loss.
    #[test]
    fn matches_candle_adamw_step_by_step() -> Result<()> {
        let dev = Device::Cpu;
        for dtype in [DType::F32, DType::F64] {
            let init_a = seeded_randn(1, 0f64, 1., (4, 3), &dev)?.to_dtype(dtype)?;
            let init_b = seeded_randn(2, 0f64, 1., 3, &dev)?.to_dtype(dtype)?;
            let x = seeded_randn(3, 0f64, 1., (5, 4), &dev)?.to_dtype(dtype)?;
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
            let init = seeded_randn(4, 0f64, 1., (3, 4), &dev)?.to_dtype(dtype)?;
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
        let init_big = seeded_randn(5, 0f32, 1., n, &dev)?;
        let init_small = seeded_randn(6, 0f32, 1., 100, &dev)?;
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
        let init = seeded_randn(7, 0f64, 1., (6, 5), &dev)?;
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

    /// `d/dw 0.5 |w|²` = w: the gradient norm of w = (3, 4) is 5; names follow the input.
    #[test]
    fn grad_norm_closed_form_and_names() -> Result<()> {
        let dev = Device::Cpu;
        let w = Var::new(&[3.0f64, 4.0], &dev)?;
        let opt = FusedAdamW::from_named(vec![("w".into(), w.clone())], ParamsAdamW::default())?;
        let g = (w.as_tensor().sqr()?.sum_all()? * 0.5)?.backward()?;
        assert!((opt.grad_norm(&g.into())? - 5.0).abs() < 1e-12);
        assert_eq!(opt.names().collect::<Vec<_>>(), ["w"]);
        Ok(())
    }
}
