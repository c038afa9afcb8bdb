//! [`AdamW`]: decoupled-weight-decay Adam over named variables, with a state that can be saved
//! and restored so that a resumed training continues exactly.
//!
//! Why not `candle_nn::AdamW` directly: its moments are private, so a checkpoint could not hold
//! them and every resume would restart the moments (and the bias correction) from zero. This
//! type performs the very same update as `candle_nn::AdamW` (a test checks equality step by
//! step) and exposes its moments. (`candle-optimisers` 0.10 would offer more optimisers but
//! depends on candle 0.10 and does not build together with candle 0.11.)

use std::collections::HashMap;
use std::path::Path;

use candle_core::{backprop::GradStore, DType, Tensor, Var};
use candle_nn::VarMap;

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

struct Slot {
    name: String,
    var: Var,
    m: Var,
    v: Var,
}

/// AdamW (Loshchilov & Hutter), the update of PyTorch's `torch.optim.AdamW` and of
/// `candle_nn::AdamW`, at step t with gradient g:
///
/// `m <- b1 m + (1 - b1) g`, `v <- b2 v + (1 - b2) g^2`,
/// `theta <- theta (1 - lr lambda) - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)`.
///
/// Variables are kept with their `VarMap` names, so the moments can be saved to and loaded from
/// a safetensors file (`adam_m.<name>`, `adam_v.<name>`).
pub struct AdamW {
    slots: Vec<Slot>,
    step_t: usize,
    params: AdamWParams,
}

impl std::fmt::Debug for AdamW {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdamW")
            .field("n_vars", &self.slots.len())
            .field("step_t", &self.step_t)
            .field("params", &self.params)
            .finish()
    }
}

impl AdamW {
    /// Optimiser over every float variable of `varmap`, sorted by name (a fixed order makes
    /// runs reproducible).
    pub fn new(varmap: &VarMap, params: AdamWParams) -> Result<Self> {
        let mut named: Vec<(String, Var)> = varmap
            .data()
            .lock()
            .map_err(|_| TrainError::Data("VarMap lock poisoned".into()))?
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        Self::from_named(named, params)
    }

    /// Optimiser over explicitly named variables.
    pub fn from_named(vars: Vec<(String, Var)>, params: AdamWParams) -> Result<Self> {
        let slots = vars
            .into_iter()
            .filter(|(_, v)| v.dtype().is_float())
            .map(|(name, var)| {
                let m = Var::zeros(var.shape(), var.dtype(), var.device())?;
                let v = Var::zeros(var.shape(), var.dtype(), var.device())?;
                Ok(Slot { name, var, m, v })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Self {
            slots,
            step_t: 0,
            params,
        })
    }

    /// Current learning rate.
    pub fn learning_rate(&self) -> f64 {
        self.params.lr
    }

    /// Sets the learning rate of the next steps.
    pub fn set_learning_rate(&mut self, lr: f64) {
        self.params.lr = lr;
    }

    /// Steps taken so far (t of the bias correction).
    pub fn step_count(&self) -> usize {
        self.step_t
    }

    /// Global L2 norm of the gradients of the optimised variables, `sqrt(sum_k |g_k|^2)`.
    pub fn grad_norm(&self, grads: &GradStore) -> Result<f64> {
        let mut total = 0f64;
        for s in &self.slots {
            if let Some(g) = grads.get(&s.var) {
                total += g
                    .sqr()?
                    .sum_all()?
                    .to_dtype(DType::F64)?
                    .to_scalar::<f64>()?;
            }
        }
        Ok(total.sqrt())
    }

    /// One AdamW step; every gradient is first multiplied by `grad_scale` (use it for global-norm
    /// clipping, 1.0 otherwise). Variables without a gradient are left untouched.
    pub fn step_scaled(&mut self, grads: &GradStore, grad_scale: f64) -> Result<()> {
        self.step_t += 1;
        let p = self.params;
        let t = self.step_t as i32;
        let scale_m = 1.0 / (1.0 - p.beta1.powi(t));
        let scale_v = 1.0 / (1.0 - p.beta2.powi(t));
        for s in &self.slots {
            let Some(g) = grads.get(&s.var) else {
                continue;
            };
            let g = if grad_scale == 1.0 {
                g.clone()
            } else {
                (g * grad_scale)?
            };
            let next_m = ((s.m.as_tensor() * p.beta1)? + (&g * (1.0 - p.beta1))?)?;
            let next_v = ((s.v.as_tensor() * p.beta2)? + (g.sqr()? * (1.0 - p.beta2))?)?;
            let m_hat = (&next_m * scale_m)?;
            let v_hat = (&next_v * scale_v)?;
            let decayed = (s.var.as_tensor() * (1.0 - p.lr * p.weight_decay))?;
            let adjusted = (m_hat / (v_hat.sqrt()? + p.eps)?)?;
            let next_theta = (decayed - (adjusted * p.lr)?)?;
            s.m.set(&next_m)?;
            s.v.set(&next_v)?;
            s.var.set(&next_theta)?;
        }
        Ok(())
    }

    /// One AdamW step with unscaled gradients.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step_scaled(grads, 1.0)
    }

    /// Moments as named tensors (`adam_m.<name>`, `adam_v.<name>`), for a checkpoint.
    pub fn state_tensors(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for s in &self.slots {
            out.insert(format!("adam_m.{}", s.name), s.m.as_tensor().clone());
            out.insert(format!("adam_v.{}", s.name), s.v.as_tensor().clone());
        }
        out
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
        for s in &self.slots {
            for (prefix, var) in [("adam_m", &s.m), ("adam_v", &s.v)] {
                let key = format!("{prefix}.{}", s.name);
                let t = tensors.get(&key).ok_or_else(|| TrainError::Checkpoint {
                    path: path.to_path_buf(),
                    message: format!("missing optimiser tensor `{key}`"),
                })?;
                if t.dims() != var.dims() {
                    return Err(TrainError::Checkpoint {
                        path: path.to_path_buf(),
                        message: format!(
                            "`{key}` has shape {:?}, the model needs {:?}",
                            t.dims(),
                            var.dims()
                        ),
                    });
                }
                var.set(&t.to_dtype(var.dtype())?.to_device(var.device())?)?;
            }
        }
        self.step_t = step_t;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use candle_nn::Optimizer;

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
        let state = first.state_tensors();
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
        assert!((opt.grad_norm(&g).unwrap() - 5.0).abs() < 1e-12);
    }
}
