//! Checkpoints: weights as safetensors (the `VarMap`, keys = module paths) plus the model
//! config as JSON, side by side in one directory, each written atomically.

use std::fs;
use std::path::Path;

use candle_core::Device;
use candle_nn::VarMap;
use dos_data::io::atomic_write::{write_bytes, write_file};

use crate::error::{ModelError, Result};
use crate::Check;
use crate::{AnyModel, ModelConfig};

/// File name of the weights inside a checkpoint directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the config inside a checkpoint directory.
pub const CONFIG_FILE: &str = "config.json";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ModelError + '_ {
    move |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Saves `varmap` and `config` into `dir` (created if missing) as [`WEIGHTS_FILE`] and
/// [`CONFIG_FILE`], each atomically.
pub fn save_checkpoint(dir: &Path, config: &ModelConfig, varmap: &VarMap) -> Result<()> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    let weights = dir.join(WEIGHTS_FILE);
    write_file(&weights, |tmp| {
        varmap.save(tmp).map_err(|e| ModelError::Weights {
            path: tmp.to_path_buf(),
            message: e.to_string(),
        })
    })?;
    let config_path = dir.join(CONFIG_FILE);
    let json = serde_json::to_string_pretty(config).map_err(|source| ModelError::Json {
        path: config_path.clone(),
        source,
    })?;
    Ok(write_bytes(&config_path, (json + "\n").as_bytes())?)
}

/// Reads the config of a checkpoint directory.
pub fn load_config(dir: &Path) -> Result<ModelConfig> {
    let path = dir.join(CONFIG_FILE);
    let text = fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text).map_err(|source| ModelError::Json { path, source })
}

/// Largest safetensors header read (the format's own limit).
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// The tensor names of a safetensors file, from its header alone (8-byte little-endian
/// length, then that many bytes of JSON keyed by tensor name).
///
/// # Errors
/// [`ModelError::Io`] for an unreadable file, [`ModelError::Weights`] for a header that is
/// too long for the file or not a JSON object.
pub fn safetensors_names(path: &Path) -> Result<Vec<String>> {
    use std::io::Read;
    let weights_err = |message: String| ModelError::Weights {
        path: path.to_path_buf(),
        message,
    };
    let mut file = fs::File::open(path).map_err(io(path))?;
    let mut len = [0u8; 8];
    file.read_exact(&mut len).map_err(io(path))?;
    let len = u64::from_le_bytes(len);
    let file_len = file.metadata().map_err(io(path))?.len();
    if len > MAX_HEADER_BYTES || len > file_len.saturating_sub(8) {
        return Err(weights_err(format!(
            "safetensors header of {len} bytes in a file of {file_len} bytes"
        )));
    }
    let mut header = Vec::new();
    file.take(len).read_to_end(&mut header).map_err(io(path))?;
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&header)
        .map_err(|e| weights_err(format!("safetensors header is not a JSON object: {e}")))?;
    Ok(map
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k != "__metadata__")
        .collect())
}

/// A model rebuilt from a checkpoint, with its variables (for further training).
pub struct LoadedModel {
    /// The model.
    pub model: AnyModel,
    /// Its variables, filled from the checkpoint.
    pub varmap: VarMap,
    /// Its configuration.
    pub config: ModelConfig,
}

/// Rebuilds the model from `dir/config.json` on `device` and fills its weights from
/// `dir/model.safetensors`. Every variable must be present with the right shape and hold only
/// finite values. The model is built for inference on detached weights that share the
/// `varmap`'s storage.
///
/// # Errors
/// [`ModelError::Json`] / [`ModelError::InvalidConfig`] for a bad config (sizes beyond
/// [`crate::size_limits`] included, refused before anything is allocated),
/// [`ModelError::Io`] for a missing file, [`ModelError::Weights`] naming the file and the
/// variable for a missing, mis-shaped or non-finite (NaN or infinite) tensor.
pub fn load_checkpoint(dir: &Path, device: &Device) -> Result<LoadedModel> {
    let mut config = load_config(dir)?;
    let path = dir.join(WEIGHTS_FILE);
    if !path.exists() {
        return Err(ModelError::Io {
            path,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "weights file missing"),
        });
    }
    config.match_legacy_checkpoint(&path)?;
    let valid = config.check()?;
    let (_, mut varmap) = AnyModel::build(&valid, device)?;
    varmap.load(&path).map_err(|e| ModelError::Weights {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if let Some(name) = first_non_finite(&varmap)? {
        return Err(ModelError::Weights {
            path,
            message: format!("variable `{name}` holds NaN or infinite values"),
        });
    }
    // Inference through detached weights records no autograd graph (see AnyModel::detached).
    let model = AnyModel::detached(&valid, &varmap, device)?;
    Ok(LoadedModel {
        model,
        varmap,
        config,
    })
}

/// Name of the first variable (in name order) of `varmap` with a NaN or infinite element.
fn first_non_finite(varmap: &VarMap) -> Result<Option<String>> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| candle_core::Error::Msg("VarMap lock poisoned".into()))?;
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        // x - x is 0 for finite x and NaN for NaN or +-inf, so the sum is 0 or NaN.
        let t = data[name].as_tensor();
        let probe = t.sub(t)?.sum_all()?.to_dtype(candle_core::DType::F32)?;
        if !probe.to_scalar::<f32>()?.is_finite() {
            return Ok(Some(name.clone()));
        }
    }
    Ok(None)
}

/// Total number of scalar parameters in `varmap`.
pub fn parameter_count(varmap: &VarMap) -> usize {
    varmap.all_vars().iter().map(|v| v.elem_count()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::tiny_configs;
    use candle_core::Tensor;
    use std::path::PathBuf;

    /// Saves the tiny model `k` of [`tiny_configs`] into a fresh directory.
    fn saved(k: usize) -> (tempfile::TempDir, ModelConfig, VarMap) {
        let mut cfg = tiny_configs()[k].1.clone();
        cfg.set_precision(crate::Precision::F32);
        let (_, varmap) = AnyModel::build(&cfg.check().unwrap(), &Device::Cpu).unwrap();
        let dir = tempfile::tempdir().unwrap();
        save_checkpoint(dir.path(), &cfg, &varmap).unwrap();
        (dir, cfg, varmap)
    }

    fn weights_error(dir: &Path) -> (PathBuf, String) {
        match load_checkpoint(dir, &Device::Cpu) {
            Err(ModelError::Weights { path, message }) => (path, message),
            Err(e) => panic!("expected a weights error, got {e}"),
            Ok(_) => panic!("expected a weights error, got a model"),
        }
    }

    #[test]
    fn non_finite_weights_are_refused_naming_file_and_variable() {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let (dir, cfg, varmap) = saved(0);
            let name = {
                let data = varmap.data().lock().unwrap();
                let mut names: Vec<&String> = data.keys().collect();
                names.sort();
                let name = names[names.len() / 2].clone();
                let var = &data[&name];
                let mut v = var
                    .as_tensor()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap();
                let last = v.len() - 1;
                v[last] = bad;
                let t = Tensor::from_vec(v, var.shape(), &Device::Cpu).unwrap();
                var.set(&t).unwrap();
                name
            };
            save_checkpoint(dir.path(), &cfg, &varmap).unwrap();
            let (path, message) = weights_error(dir.path());
            assert_eq!(path, dir.path().join(WEIGHTS_FILE));
            assert!(message.contains(&format!("`{name}`")), "{message}");
        }
    }

    #[test]
    fn missing_weights_are_named() {
        let (dir, _, varmap) = saved(0);
        let mut tensors: std::collections::HashMap<String, Tensor> = varmap
            .data()
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
            .collect();
        let mut names: Vec<String> = tensors.keys().cloned().collect();
        names.sort();
        tensors.remove(&names[0]);
        candle_core::safetensors::save(&tensors, dir.path().join(WEIGHTS_FILE)).unwrap();
        let (_, message) = weights_error(dir.path());
        assert!(message.contains(&names[0]), "{message}");
    }

    /// A run folder whose config asks for absurd sizes is refused at load, naming the field,
    /// before any weight is allocated (each case would need terabytes or panic otherwise).
    #[test]
    fn oversized_configs_are_refused_before_allocating() {
        let cases: [(usize, &str, u64, &str); 6] = [
            (0, "hidden", 1_000_000_000, "hidden"),
            (0, "hidden", 1 << 40, "hidden"),
            (0, "gnn_layers", 1_000_000, "gnn_layers"),
            (0, "heads", 1 << 20, "heads"),
            (0, "n_energies", 1 << 40, "n_energies"),
            // Every field in range, the total (about 3.4 G parameters) is not.
            (0, "self_layers", 64, "parameters"),
        ];
        for (k, field, value, named) in cases {
            let (dir, cfg, _) = saved(k);
            let mut json = serde_json::to_value(&cfg).unwrap();
            json[field] = value.into();
            if named == "parameters" {
                json["hidden"] = 8192.into();
            }
            std::fs::write(dir.path().join(CONFIG_FILE), json.to_string()).unwrap();
            match load_checkpoint(dir.path(), &Device::Cpu) {
                Err(ModelError::InvalidConfig { field, message }) => {
                    assert_eq!(field, named, "{message}")
                }
                Err(e) => panic!("{field} = {value}: expected InvalidConfig, got {e}"),
                Ok(_) => panic!("{field} = {value}: loaded"),
            }
        }
    }

    /// A checkpoint saved before `separate_kv_norm` existed (config without the field, a
    /// model with separate key/value norms) loads with its separate norms and every weight.
    #[test]
    fn legacy_checkpoint_without_separate_kv_norm_keeps_its_norms() {
        let mut cfg = tiny_configs()
            .into_iter()
            .map(|(_, c)| c)
            .find(|c| matches!(c, ModelConfig::DosTransformer(_)))
            .expect("a tiny DOSTransformer");
        cfg.set_precision(crate::Precision::F32);
        if let ModelConfig::DosTransformer(c) = &mut cfg {
            c.separate_kv_norm = true;
        }
        let (_, varmap) = AnyModel::build(&cfg.check().unwrap(), &Device::Cpu).unwrap();
        let dir = tempfile::tempdir().unwrap();
        save_checkpoint(dir.path(), &cfg, &varmap).unwrap();
        let mut json = serde_json::to_value(&cfg).unwrap();
        json.as_object_mut().unwrap().remove("separate_kv_norm");
        std::fs::write(dir.path().join(CONFIG_FILE), json.to_string()).unwrap();
        let loaded = load_checkpoint(dir.path(), &Device::Cpu).unwrap();
        assert_eq!(loaded.config, cfg);
        assert_eq!(
            parameter_count(&loaded.varmap),
            parameter_count(&varmap),
            "every saved weight is loaded"
        );
    }

    /// The allocation-free count of the size check equals the built model's.
    #[test]
    fn counted_parameters_equal_built_parameters() {
        use crate::{ModelKind, Task};
        let mut cfgs: Vec<ModelConfig> = tiny_configs().into_iter().map(|(_, c)| c).collect();
        for kind in ModelKind::ALL {
            for task in [Task::Phonon, Task::Electron] {
                cfgs.push(ModelConfig::preset(kind, task, true));
            }
        }
        for cfg in cfgs {
            let valid = cfg.check().unwrap();
            let counted = crate::size_limits::check_parameter_count(|vb| {
                AnyModel::new(&valid, vb).map(|_| ())
            })
            .unwrap();
            let (_, varmap) = AnyModel::build(&valid, &Device::Cpu).unwrap();
            assert_eq!(counted, parameter_count(&varmap) as u64, "{:?}", cfg.kind());
        }
    }
}
