//! [`WeightAverage`]: an exponential moving average (EMA) of a model's weights over the
//! optimiser steps, used for validation and as the saved model when
//! [`TrainConfig::ema_decay`](crate::TrainConfig::ema_decay) is set.
//!
//! After optimiser step t (1-based) every variable's average moves towards the new weights:
//!
//! `avg <- d_t avg + (1 - d_t) theta`, with `d_t = min(decay, (1 + t) / (10 + t))`,
//!
//! starting from the initial weights. The warm-up `(1 + t) / (10 + t)` keeps the first steps
//! from being dominated by the random initialisation (the average of step t weighs the early
//! weights little once t is a few times 1 / (1 - decay)).

use std::collections::HashMap;
use std::path::Path;

use candle_core::Tensor;
use candle_nn::VarMap;

use crate::error::{Result, TrainError};
use crate::named_tensors::{load_into_varmap, tensor_like, varmap_snapshot, varmap_tensors};

/// Key prefix of the averaged weights in a training checkpoint.
pub const CHECKPOINT_PREFIX: &str = "ema.";

/// Exponential moving average of every variable of a `VarMap` (see the module docs).
///
/// On the CPU the average is updated in place ([`dos_nn::kernels::ema_update`]: one pass per
/// variable, no temporaries), so the type is not `Clone`: a clone would share, and see, the
/// updates.
#[derive(Debug)]
pub struct WeightAverage {
    decay: f64,
    average: HashMap<String, Tensor>,
}

impl WeightAverage {
    /// Starts the average at the current weights of `varmap`. `decay` must lie in (0, 1)
    /// (checked with the [`TrainConfig`](crate::TrainConfig)).
    pub fn new(varmap: &VarMap, decay: f64) -> Result<Self> {
        Ok(Self {
            decay,
            average: varmap_snapshot(varmap)?,
        })
    }

    /// The decay applied after optimiser step `step` (1-based): `min(decay, (1+t)/(10+t))`.
    pub fn decay_at(&self, step: usize) -> f64 {
        let t = step as f64;
        self.decay.min((1.0 + t) / (10.0 + t))
    }

    /// Moves the average towards the current weights of `varmap` after optimiser step `step`.
    ///
    /// # Errors
    /// A variable the average does not know (the `VarMap` changed), tensor errors.
    pub fn update(&mut self, varmap: &VarMap, step: usize) -> Result<()> {
        let d = self.decay_at(step);
        for (name, w) in varmap_tensors(varmap, "")? {
            let avg = self.average.get_mut(&name).ok_or_else(|| {
                TrainError::Data(format!("variable `{name}` is not in the weight average"))
            })?;
            dos_nn::kernels::ema_update(avg, &w, d)?;
        }
        Ok(())
    }

    /// The averaged weights by variable name.
    pub fn tensors(&self) -> &HashMap<String, Tensor> {
        &self.average
    }

    /// Copies the averaged weights into `varmap` and returns copies of the weights it held,
    /// for [`WeightAverage::restore`].
    pub fn swap_into(&self, varmap: &VarMap) -> Result<HashMap<String, Tensor>> {
        let current = varmap_snapshot(varmap)?;
        load_into_varmap(varmap, &self.average, "", Path::new("<weight average>"))?;
        Ok(current)
    }

    /// Puts back the weights [`WeightAverage::swap_into`] returned.
    pub fn restore(varmap: &VarMap, saved: &HashMap<String, Tensor>) -> Result<()> {
        load_into_varmap(varmap, saved, "", Path::new("<training weights>"))
    }

    /// The averaged weights under `ema.<name>` keys, for a checkpoint. The tensors share
    /// storage with the average: save them before the next [`WeightAverage::update`].
    pub fn state_tensors(&self) -> HashMap<String, Tensor> {
        self.average
            .iter()
            .map(|(k, t)| (format!("{CHECKPOINT_PREFIX}{k}"), t.clone()))
            .collect()
    }

    /// Restores the averaged weights from checkpoint `tensors` (read from `path`).
    ///
    /// # Errors
    /// [`TrainError::Checkpoint`] naming `path` when an `ema.` tensor is missing or has
    /// another shape.
    pub fn load_state(&mut self, tensors: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
        for (name, avg) in self.average.iter_mut() {
            let key = format!("{CHECKPOINT_PREFIX}{name}");
            // A copy: `update` writes the average in place.
            *avg = tensor_like(tensors, &key, "weight-average tensor", avg, path)?.copy()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::Init;

    fn one_var(value: f64) -> (VarMap, candle_core::Var) {
        let vm = VarMap::new();
        vm.get(2, "w", Init::Const(value), DType::F64, &Device::Cpu)
            .unwrap();
        let var = vm.data().lock().unwrap()["w"].clone();
        (vm, var)
    }

    /// The average follows the recursion with the warm-up decay, checked against the closed
    /// form `avg_t = sum_s w_s (1 - d_s) prod_{r > s} d_r` with the initial weight as w_0.
    #[test]
    fn follows_the_recursion_with_warm_up() {
        let (vm, var) = one_var(1.0);
        let mut avg = WeightAverage::new(&vm, 0.9).unwrap();
        let weights = [1.0, 3.0, -2.0, 5.0, 0.5, 4.0, 4.0, -1.0, 2.0, 7.0, 1.0, 0.0];
        for (t, w) in weights.iter().enumerate().skip(1) {
            var.set(&Tensor::new(&[*w, 2.0 * w], &Device::Cpu).unwrap())
                .unwrap();
            avg.update(&vm, t).unwrap();
        }
        let d: Vec<f64> = (0..weights.len()).map(|t| avg.decay_at(t)).collect();
        assert_eq!(d[1], 2.0 / 11.0);
        assert_eq!(d[11], 12.0 / 21.0);
        assert_eq!(avg.decay_at(1000), 0.9);
        let mut want = 0.0;
        for s in 0..weights.len() {
            let own = if s == 0 { 1.0 } else { 1.0 - d[s] };
            let later: f64 = d[s + 1..].iter().product();
            want += weights[s] * own * later;
        }
        // No autograd history: the averages must not keep earlier ones alive.
        assert!(!avg.tensors()["w"].track_op());
        let got = avg.tensors()["w"].to_vec1::<f64>().unwrap();
        // The initial weight is (1, 1), later ones (w, 2w): only the first entry is `want`.
        assert!((got[0] - want).abs() < 1e-12, "{got:?} vs {want}");
    }

    #[test]
    fn swap_restore_and_checkpoint_round_trip() {
        let (vm, var) = one_var(2.0);
        let mut avg = WeightAverage::new(&vm, 0.5).unwrap();
        var.set(&Tensor::new(&[4.0, 4.0], &Device::Cpu).unwrap())
            .unwrap();
        avg.update(&vm, 100).unwrap(); // decay 0.5: (2 + 4) / 2
        let saved = avg.swap_into(&vm).unwrap();
        assert_eq!(var.to_vec1::<f64>().unwrap(), vec![3.0, 3.0]);
        WeightAverage::restore(&vm, &saved).unwrap();
        assert_eq!(var.to_vec1::<f64>().unwrap(), vec![4.0, 4.0]);

        let mut other = WeightAverage::new(&vm, 0.5).unwrap();
        other
            .load_state(&avg.state_tensors(), Path::new("ckpt"))
            .unwrap();
        assert_eq!(
            other.tensors()["w"].to_vec1::<f64>().unwrap(),
            vec![3.0, 3.0]
        );
        let err = other
            .load_state(&HashMap::new(), Path::new("ckpt"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ema.w") && err.contains("ckpt"), "{err}");
    }

    /// The in-place CPU update equals the composed tensor expression bit for bit (f32).
    #[test]
    fn in_place_update_equals_the_composed_expression() {
        let vm = VarMap::new();
        vm.get(
            (3, 70),
            "w",
            Init::Randn {
                mean: 0.0,
                stdev: 1.0,
            },
            DType::F32,
            &Device::Cpu,
        )
        .unwrap();
        let var = vm.data().lock().unwrap()["w"].clone();
        let mut avg = WeightAverage::new(&vm, 0.9).unwrap();
        let mut expected = var.as_tensor().copy().unwrap();
        for step in 1..=4 {
            let next = (var.as_tensor().sin().unwrap() * 0.5).unwrap();
            var.set(&next).unwrap();
            avg.update(&vm, step).unwrap();
            let d = avg.decay_at(step);
            expected = (expected.affine(d, 0.0).unwrap()
                + var.as_tensor().affine(1.0 - d, 0.0).unwrap())
            .unwrap();
        }
        let got = avg.tensors()["w"]
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let want = expected.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(got, want);
    }
}
