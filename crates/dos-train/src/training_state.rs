//! The resumable training checkpoint.
//!
//! A checkpoint is ONE safetensors file (so one atomic rename makes it visible) holding
//! - `model.<name>`: every variable of the model's `VarMap`;
//! - `adam_m.<name>`, `adam_v.<name>`: the AdamW moments;
//! - `ema.<name>`: the weight average, when the run keeps one ([`WeightAverage`]);
//! - `train_state_json`: the [`TrainState`] as UTF-8 JSON bytes (u8 tensor).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use dos_nn::FusedAdamW;
use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::error::{Result, TrainError};
use crate::named_tensors::{
    load_into_varmap, load_tensors, save_tensors_atomic, tensor_like, varmap_tensors,
};
use crate::schedule::LrScheduler;
use crate::weight_average::WeightAverage;

const STATE_KEY: &str = "train_state_json";

/// Everything besides tensors that a resumed run needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Epochs completed (1-based count; 0 before the first).
    pub epoch: usize,
    /// Best validation loss so far.
    pub best_valid: Option<f64>,
    /// Epoch of `best_valid`.
    pub best_epoch: Option<usize>,
    /// Epochs since the last improvement (early-stopping counter).
    pub epochs_since_best: usize,
    /// AdamW steps taken (t of the bias correction).
    pub optimizer_steps: usize,
    /// Learning-rate schedule state.
    pub scheduler: LrScheduler,
    /// True once early stopping fired (a resume then does nothing more).
    pub stopped_early: bool,
    /// Training seconds accumulated over all sessions.
    pub train_seconds: f64,
    /// The settings the run was started with.
    pub config: TrainConfig,
}

/// Saves weights, optimiser moments, the weight average (when given) and `state` to one
/// safetensors file, atomically.
pub fn save_checkpoint(
    path: &Path,
    varmap: &VarMap,
    opt: &FusedAdamW,
    average: Option<&WeightAverage>,
    state: &TrainState,
) -> Result<()> {
    let mut tensors = varmap_tensors(varmap, "model.")?;
    tensors.extend(optimiser_tensors(opt)?);
    if let Some(a) = average {
        tensors.extend(a.state_tensors());
    }
    let json = serde_json::to_vec(state).map_err(|e| TrainError::json(path, e))?;
    let n = json.len();
    tensors.insert(
        STATE_KEY.to_string(),
        Tensor::from_vec(json, n, &Device::Cpu)?,
    );
    save_tensors_atomic(path, &tensors)
}

/// Restores weights into `varmap`, moments into `opt`, the weight average into `average`
/// (when given), and returns the saved [`TrainState`].
pub fn load_checkpoint(
    path: &Path,
    varmap: &VarMap,
    opt: &mut FusedAdamW,
    average: Option<&mut WeightAverage>,
) -> Result<TrainState> {
    let device = varmap
        .all_vars()
        .first()
        .map(|v| v.device().clone())
        .unwrap_or(Device::Cpu);
    let tensors = load_tensors(path, &device)?;
    let bytes: Vec<u8> = tensors
        .get(STATE_KEY)
        .ok_or_else(|| TrainError::Checkpoint {
            path: path.to_path_buf(),
            message: format!("no `{STATE_KEY}` entry: not a dos-train checkpoint"),
        })?
        .to_vec1::<u8>()?;
    let state: TrainState =
        serde_json::from_slice(&bytes).map_err(|e| TrainError::json(path, e))?;
    load_into_varmap(varmap, &tensors, "model.", path)?;
    load_optimiser_state(opt, &tensors, state.optimizer_steps, path)?;
    if let Some(a) = average {
        a.load_state(&tensors, path)?;
    }
    Ok(state)
}

/// The optimiser's moments as named tensors (`adam_m.<name>`, `adam_v.<name>`); copies, so
/// later steps do not change them.
pub(crate) fn optimiser_tensors(opt: &FusedAdamW) -> Result<HashMap<String, Tensor>> {
    let mut out = HashMap::new();
    for (name, (_, m, v)) in opt.names().zip(opt.moments()?) {
        out.insert(format!("adam_m.{name}"), m);
        out.insert(format!("adam_v.{name}"), v);
    }
    Ok(out)
}

/// Restores moments and step count saved by [`optimiser_tensors`] from checkpoint `tensors`
/// (read from `path`).
///
/// # Errors
/// [`TrainError::Checkpoint`] naming `path` when a moment is missing or has the wrong shape.
fn load_optimiser_state(
    opt: &mut FusedAdamW,
    tensors: &HashMap<String, Tensor>,
    step_t: usize,
    path: &Path,
) -> Result<()> {
    let mut moments = Vec::new();
    for (name, var) in opt.names().zip(opt.vars()) {
        let load = |prefix: &str| {
            let key = format!("{prefix}.{name}");
            tensor_like(tensors, &key, "optimiser tensor", var.as_tensor(), path)
        };
        moments.push((load("adam_m")?, load("adam_v")?));
    }
    opt.set_state(step_t, &moments)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trainer::optimiser_for;
    use candle_core::DType;
    use candle_nn::Init;
    use candle_nn::{Optimizer, ParamsAdamW};
    use dos_config::Check;

    #[test]
    fn checkpoint_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.safetensors");
        let vm = VarMap::new();
        let w = vm
            .get(
                (2, 3),
                "layer.w",
                Init::Randn {
                    mean: 0.0,
                    stdev: 1.0,
                },
                DType::F64,
                &Device::Cpu,
            )
            .unwrap();
        let params = ParamsAdamW {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        };
        let mut opt = optimiser_for(&vm, params.clone(), |_| true).unwrap();
        opt.step(&w.sqr().unwrap().sum_all().unwrap().backward().unwrap())
            .unwrap();
        let cfg = TrainConfig::default().check().unwrap();
        let state = TrainState {
            epoch: 3,
            best_valid: Some(0.25),
            best_epoch: Some(2),
            epochs_since_best: 1,
            optimizer_steps: opt.step_count(),
            scheduler: LrScheduler::new(&cfg),
            stopped_early: false,
            train_seconds: 1.5,
            config: cfg.get().clone(),
        };
        save_checkpoint(&path, &vm, &opt, None, &state).unwrap();
        let saved: Vec<Vec<f64>> = w.to_vec2().unwrap();

        let vm2 = VarMap::new();
        let w2 = vm2
            .get(
                (2, 3),
                "layer.w",
                Init::Const(0.0),
                DType::F64,
                &Device::Cpu,
            )
            .unwrap();
        let mut opt2 = optimiser_for(&vm2, params.clone(), |_| true).unwrap();
        let back = load_checkpoint(&path, &vm2, &mut opt2, None).unwrap();
        assert_eq!(back, state);
        assert_eq!(w2.to_vec2::<f64>().unwrap(), saved);
        assert_eq!(opt2.step_count(), 1);
        let m1 = optimiser_tensors(&opt).unwrap()["adam_m.layer.w"]
            .to_vec2::<f64>()
            .unwrap();
        let m2 = optimiser_tensors(&opt2).unwrap()["adam_m.layer.w"]
            .to_vec2::<f64>()
            .unwrap();
        assert_eq!(m1, m2);

        // A model with another shape is refused with a message naming the tensor.
        let vm3 = VarMap::new();
        vm3.get(
            (3, 3),
            "layer.w",
            Init::Const(0.0),
            DType::F64,
            &Device::Cpu,
        )
        .unwrap();
        let mut opt3 = optimiser_for(&vm3, params.clone(), |_| true).unwrap();
        let err = load_checkpoint(&path, &vm3, &mut opt3, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("layer.w"), "{err}");
    }
}
