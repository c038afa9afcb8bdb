//! Named tensors (`name -> Tensor` maps): taken from and put into a `VarMap`, read from and
//! written (atomically) to safetensors files. The training checkpoint, the weight average and
//! fine-tuning all move weights through these.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use dos_data::io::atomic_write;

use crate::error::{Result, TrainError};

/// Saves named tensors as safetensors at `path` atomically.
pub fn save_tensors_atomic(path: &Path, tensors: &HashMap<String, Tensor>) -> Result<()> {
    atomic_write::write_file(path, |tmp| {
        candle_core::safetensors::save(tensors, tmp).map_err(TrainError::from)
    })
}

/// The variables of `varmap` by name, each prefixed with `prefix` (may be empty).
pub fn varmap_tensors(varmap: &VarMap, prefix: &str) -> Result<HashMap<String, Tensor>> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| TrainError::Data("VarMap lock poisoned".into()))?;
    Ok(data
        .iter()
        .map(|(k, v)| (format!("{prefix}{k}"), v.as_tensor().clone()))
        .collect())
}

/// Copies of the current values of every variable of `varmap`, by name: new storage (later
/// in-place updates of the variables do not reach them) and no autograd history.
pub fn varmap_snapshot(varmap: &VarMap) -> Result<HashMap<String, Tensor>> {
    varmap_tensors(varmap, "")?
        .into_iter()
        .map(|(k, t)| Ok((k, t.detach().copy()?)))
        .collect()
}

/// Sets every variable of `varmap` from `tensors[prefix + name]`.
///
/// # Errors
/// [`TrainError::Checkpoint`] naming `path` when a tensor is missing or has another shape.
pub fn load_into_varmap(
    varmap: &VarMap,
    tensors: &HashMap<String, Tensor>,
    prefix: &str,
    path: &Path,
) -> Result<()> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| TrainError::Data("VarMap lock poisoned".into()))?;
    for (name, var) in data.iter() {
        let key = format!("{prefix}{name}");
        var.set(&tensor_like(tensors, &key, "tensor", var, path)?)?;
    }
    Ok(())
}

/// `tensors[key]` checked to have the shape of `like` and converted to its dtype and device;
/// `what` names the kind of tensor in the error ("tensor", "optimiser tensor").
///
/// # Errors
/// [`TrainError::Checkpoint`] naming `path` when the tensor is missing or has another shape.
pub(crate) fn tensor_like(
    tensors: &HashMap<String, Tensor>,
    key: &str,
    what: &str,
    like: &Tensor,
    path: &Path,
) -> Result<Tensor> {
    let t = tensors.get(key).ok_or_else(|| TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: format!("missing {what} `{key}`"),
    })?;
    if t.dims() != like.dims() {
        return Err(TrainError::Checkpoint {
            path: path.to_path_buf(),
            message: format!(
                "`{key}` has shape {:?}, the model needs {:?}",
                t.dims(),
                like.dims()
            ),
        });
    }
    Ok(t.to_dtype(like.dtype())?.to_device(like.device())?)
}

/// Reads a safetensors file onto `device`.
pub fn load_tensors(path: &Path, device: &Device) -> Result<HashMap<String, Tensor>> {
    if !path.exists() {
        return Err(TrainError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "file not found"),
        ));
    }
    candle_core::safetensors::load(path, device).map_err(|e| TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
