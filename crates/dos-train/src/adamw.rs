//! [`AdamW`]: decoupled-weight-decay Adam over named variables, with a state that can be saved
//! and restored so that a resumed training continues exactly.
//!
//! Why not `candle_nn::AdamW` directly: its moments are private, so a checkpoint could not hold
//! them and every resume would restart the moments (and the bias correction) from zero. This
//! type wraps [`dos_nn::FusedAdamW`], which performs the very same update as
//! `candle_nn::AdamW` (a test checks equality step by step) in place on the CPU, and adds
//! variable names, so that the moments can be checkpointed by name. (`candle-optimisers` 0.10
//! would offer more optimisers but depends on candle 0.10 and does not build together with
//! candle 0.11.)

use std::collections::HashMap;
use std::path::Path;

use candle_core::{backprop::GradStore, Tensor, Var};
use candle_nn::{Optimizer, ParamsAdamW, VarMap};
use dos_nn::{FusedAdamW, SummedGrads};

use crate::checkpoint::tensor_like;
use crate::error::{Result, TrainError};

/// AdamW hyperparameters (the same fields as `candle_nn::ParamsAdamW`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWParams {
    /// Learning rate.
    pub lr: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator epsilon.
    pub eps: f64,
    /// Decoupled weight decay lambda.
    pub weight_decay: f64,
}

impl From<AdamWParams> for ParamsAdamW {
    fn from(p: AdamWParams) -> Self {
        ParamsAdamW {
            lr: p.lr,
            beta1: p.beta1,
            beta2: p.beta2,
            eps: p.eps,
            weight_decay: p.weight_decay,
        }
    }
}

/// AdamW (Loshchilov & Hutter), the update of PyTorch's `torch.optim.AdamW` and of
/// `candle_nn::AdamW`, at step t with gradient g:
///
/// `m <- b1 m + (1 - b1) g`, `v <- b2 v + (1 - b2) g^2`,
/// `theta <- theta (1 - lr lambda) - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)`.
///
/// The update runs in place ([`dos_nn::FusedAdamW`]: one pass per variable, no temporary
/// tensors, on the CPU). Variables are kept with their `VarMap` names, so the moments can be
/// saved to and loaded from a safetensors file (`adam_m.<name>`, `adam_v.<name>`).
///
/// # Shapes
/// Any variable shape; a variable's moments have its shape.
pub struct AdamW {
    /// Name of each optimised variable, in the order of `inner`'s variables.
    names: Vec<String>,
    inner: FusedAdamW,
}

impl std::fmt::Debug for AdamW {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdamW")
            .field("n_vars", &self.names.len())
            .field("step_t", &self.inner.step_count())
            .field("params", self.inner.params())
            .finish()
    }
}

impl AdamW {
    /// Optimiser over every float variable of `varmap`, sorted by name (a fixed order makes
    /// runs reproducible).
    pub fn new(varmap: &VarMap, params: AdamWParams) -> Result<Self> {
        Self::new_filtered(varmap, params, |_| true)
    }

    /// Optimiser over the float variables of `varmap` whose name passes `keep`, sorted by
    /// name (e.g. only the prompt tables for prompt fine-tuning).
    ///
    /// # Errors
    /// [`TrainError::Config`] when no variable passes `keep`.
    pub fn new_filtered(
        varmap: &VarMap,
        params: AdamWParams,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Self> {
        let mut named: Vec<(String, Var)> = varmap
            .data()
            .lock()
            .map_err(|_| TrainError::Data("VarMap lock poisoned".into()))?
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if named.is_empty() && !varmap.all_vars().is_empty() {
            return Err(TrainError::Config {
                field: "trainable",
                message: "no variable of the model is selected for training".into(),
            });
        }
        named.sort_by(|a, b| a.0.cmp(&b.0));
        Self::from_named(named, params)
    }

    /// Optimiser over explicitly named variables (non-float variables are skipped).
    pub fn from_named(vars: Vec<(String, Var)>, params: AdamWParams) -> Result<Self> {
        let (names, vars): (Vec<String>, Vec<Var>) = vars
            .into_iter()
            .filter(|(_, v)| v.dtype().is_float())
            .unzip();
        let inner = FusedAdamW::new(vars, params.into())?;
        Ok(Self { names, inner })
    }

    /// Current learning rate.
    pub fn learning_rate(&self) -> f64 {
        self.inner.learning_rate()
    }

    /// Sets the learning rate of the next steps.
    pub fn set_learning_rate(&mut self, lr: f64) {
        self.inner.set_learning_rate(lr);
    }

    /// Steps taken so far (t of the bias correction).
    pub fn step_count(&self) -> usize {
        self.inner.step_count()
    }

    /// Global L2 norm of the gradients of the optimised variables, `sqrt(sum_k |g_k|^2)`
    /// (one read-only pass per variable on the CPU, accumulated in f64).
    pub fn grad_norm(&self, grads: &SummedGrads) -> Result<f64> {
        Ok(self.inner.grad_norm(grads)?)
    }

    /// One AdamW step; every gradient is first multiplied by `grad_scale` (use it for global-norm
    /// clipping, 1.0 otherwise). Variables without a gradient are left untouched.
    pub fn step_scaled(&mut self, grads: &SummedGrads, grad_scale: f64) -> Result<()> {
        Ok(self.inner.step_scaled(grads, grad_scale)?)
    }

    /// One AdamW step with unscaled gradients from one `backward()`.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        Ok(self.inner.step_parts(&[grads], 1.0)?)
    }

    /// Moments as named tensors (`adam_m.<name>`, `adam_v.<name>`), for a checkpoint (copies:
    /// later steps do not change them).
    pub fn state_tensors(&self) -> Result<HashMap<String, Tensor>> {
        let mut out = HashMap::new();
        for (name, (_, m, v)) in self.names.iter().zip(self.inner.moments()?) {
            out.insert(format!("adam_m.{name}"), m);
            out.insert(format!("adam_v.{name}"), v);
        }
        Ok(out)
    }

    /// Restores moments and step count saved by [`AdamW::state_tensors`].
    ///
    /// # Errors
    /// [`TrainError::Checkpoint`] when a moment is missing or has the wrong shape.
    pub fn load_state(
        &mut self,
        tensors: &HashMap<String, Tensor>,
        step_t: usize,
        path: &Path,
    ) -> Result<()> {
        let mut moments = Vec::with_capacity(self.names.len());
        for (name, var) in self.names.iter().zip(self.inner.vars()) {
            let load = |prefix: &str| {
                let key = format!("{prefix}.{name}");
                tensor_like(tensors, &key, "optimiser tensor", var.as_tensor(), path)
            };
            moments.push((load("adam_m")?, load("adam_v")?));
        }
        self.inner.set_state(step_t, &moments)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Our update equals candle_nn::AdamW's, element for element, over several steps.
    #[test]
    fn matches_candle_nn_adamw() {
        let dev = Device::Cpu;
        let init = Tensor::new(&[[0.5f64, -1.0, 2.0], [0.1, 0.2, -0.3]], &dev).unwrap();
        let a = Var::from_tensor(&init).unwrap();
        let b = Var::from_tensor(&init).unwrap();
        let p = AdamWParams {
            lr: 0.05,
            beta1: 0.9,
            beta2: 0.99,
            eps: 1e-8,
            weight_decay: 0.1,
        };
        let mut ours = AdamW::from_named(vec![("w".into(), a.clone())], p).unwrap();
        let mut theirs = candle_nn::AdamW::new(
            vec![b.clone()],
            candle_nn::ParamsAdamW {
                lr: p.lr,
                beta1: p.beta1,
                beta2: p.beta2,
                eps: p.eps,
                weight_decay: p.weight_decay,
            },
        )
        .unwrap();
        let x = Tensor::new(&[1.0f64, -2.0, 0.5], &dev).unwrap();
        for _ in 0..5 {
            // A loss whose gradient changes with the weights: sum((W x)^3).
            let la = a
                .as_tensor()
                .broadcast_mul(&x)
                .unwrap()
                .sum(1)
                .unwrap()
                .powf(3.0)
                .unwrap()
                .sum_all()
                .unwrap();
            ours.step(&la.backward().unwrap()).unwrap();
            let lb = b
                .as_tensor()
                .broadcast_mul(&x)
                .unwrap()
                .sum(1)
                .unwrap()
                .powf(3.0)
                .unwrap()
                .sum_all()
                .unwrap();
            theirs.backward_step(&lb).unwrap();
        }
        let da: Vec<Vec<f64>> = a.as_tensor().to_vec2().unwrap();
        let db: Vec<Vec<f64>> = b.as_tensor().to_vec2().unwrap();
        assert_eq!(da, db);
        assert_ne!(da, init.to_vec2::<f64>().unwrap());
    }

    /// Saving the state after 3 steps, loading it into a fresh optimiser and taking 2 more steps
    /// gives the same weights as 5 uninterrupted steps.
    #[test]
    fn state_round_trip_continues_exactly() {
        let dev = Device::Cpu;
        let init = Tensor::new(&[1.0f64, -0.5, 0.25], &dev).unwrap();
        let p = AdamWParams {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        };
        let loss = |w: &Var| {
            w.as_tensor()
                .sqr()
                .unwrap()
                .exp()
                .unwrap()
                .sum_all()
                .unwrap()
        };
        let a = Var::from_tensor(&init).unwrap();
        let mut opt = AdamW::from_named(vec![("w".into(), a.clone())], p).unwrap();
        for _ in 0..5 {
            opt.step(&loss(&a).backward().unwrap()).unwrap();
        }
        let b = Var::from_tensor(&init).unwrap();
        let mut first = AdamW::from_named(vec![("w".into(), b.clone())], p).unwrap();
        for _ in 0..3 {
            first.step(&loss(&b).backward().unwrap()).unwrap();
        }
        let state = first.state_tensors().unwrap();
        let mut second = AdamW::from_named(vec![("w".into(), b.clone())], p).unwrap();
        second
            .load_state(&state, first.step_count(), Path::new("mem"))
            .unwrap();
        for _ in 0..2 {
            second.step(&loss(&b).backward().unwrap()).unwrap();
        }
        assert_eq!(
            a.as_tensor().to_vec1::<f64>().unwrap(),
            b.as_tensor().to_vec1::<f64>().unwrap()
        );
    }

    /// `step_scaled(g, 0.5)` equals candle_nn::AdamW on the loss times 0.5 (a power of two, so
    /// the two gradients are bitwise equal), step by step.
    #[test]
    fn scaled_step_matches_candle_nn_on_scaled_loss() {
        let dev = Device::Cpu;
        let init = Tensor::new(&[[0.5f64, -1.0], [0.1, 0.2]], &dev).unwrap();
        let a = Var::from_tensor(&init).unwrap();
        let b = Var::from_tensor(&init).unwrap();
        let p = AdamWParams {
            lr: 0.05,
            beta1: 0.9,
            beta2: 0.99,
            eps: 1e-8,
            weight_decay: 0.1,
        };
        let mut ours = AdamW::from_named(vec![("w".into(), a.clone())], p).unwrap();
        let mut theirs = candle_nn::AdamW::new(vec![b.clone()], p.into()).unwrap();
        let loss = |w: &Var| {
            w.as_tensor()
                .sin()
                .unwrap()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
        };
        for _ in 0..4 {
            ours.step_scaled(&loss(&a).backward().unwrap().into(), 0.5)
                .unwrap();
            theirs.backward_step(&(loss(&b) * 0.5).unwrap()).unwrap();
        }
        assert_eq!(
            a.as_tensor().to_vec2::<f64>().unwrap(),
            b.as_tensor().to_vec2::<f64>().unwrap()
        );
        assert_ne!(
            a.as_tensor().to_vec2::<f64>().unwrap(),
            init.to_vec2::<f64>().unwrap()
        );
    }

    #[test]
    fn grad_norm_and_scaling() {
        let dev = Device::Cpu;
        let a = Var::from_tensor(&Tensor::new(&[3.0f64, 4.0], &dev).unwrap()).unwrap();
        let opt = AdamW::from_named(
            vec![("w".into(), a.clone())],
            AdamWParams {
                lr: 0.1,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.0,
            },
        )
        .unwrap();
        // d/dw 0.5 |w|^2 = w, norm 5.
        let g = (a.as_tensor().sqr().unwrap().sum_all().unwrap() * 0.5)
            .unwrap()
            .backward()
            .unwrap();
        assert!((opt.grad_norm(&g.into()).unwrap() - 5.0).abs() < 1e-12);
    }
}
