//! Checkpoints: weights as safetensors (the `VarMap`, keys = module paths) plus the model
//! config as JSON, side by side in one directory, each written atomically.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use candle_core::Device;
use candle_nn::VarMap;

use crate::error::{ModelError, Result};
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

/// Temporary sibling of `path` (same directory, so the final rename is atomic).
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes a file through `write` into a temporary sibling, syncs it, then renames it over
/// `path`: readers see either the old or the new file, never a partial one.
fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let tmp = temp_path(path);
    let result = write(&tmp).and_then(|()| {
        fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&tmp))?;
        fs::rename(&tmp, path).map_err(io(path))
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Saves `varmap` and `config` into `dir` (created if missing) as [`WEIGHTS_FILE`] and
/// [`CONFIG_FILE`], each atomically.
pub fn save_checkpoint(dir: &Path, config: &ModelConfig, varmap: &VarMap) -> Result<()> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    let weights = dir.join(WEIGHTS_FILE);
    write_atomic(&weights, |tmp| {
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
    write_atomic(&config_path, |tmp| {
        let mut f = fs::File::create(tmp).map_err(io(tmp))?;
        f.write_all(json.as_bytes()).map_err(io(tmp))?;
        f.write_all(b"\n").map_err(io(tmp))
    })
}

/// Reads the config of a checkpoint directory.
pub fn load_config(dir: &Path) -> Result<ModelConfig> {
    let path = dir.join(CONFIG_FILE);
    let text = fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text).map_err(|source| ModelError::Json { path, source })
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
/// `dir/model.safetensors`. Every variable must be present with the right shape. The model
/// is built for inference on detached weights that share the `varmap`'s storage.
pub fn load_checkpoint(dir: &Path, device: &Device) -> Result<LoadedModel> {
    let config = load_config(dir)?;
    let valid = config.validate()?;
    let (_, mut varmap) = AnyModel::build(&valid, device)?;
    let path = dir.join(WEIGHTS_FILE);
    if !path.exists() {
        return Err(ModelError::Io {
            path,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "weights file missing"),
        });
    }
    varmap.load(&path).map_err(|e| ModelError::Weights {
        path: path.clone(),
        message: e.to_string(),
    })?;
    // Inference through detached weights records no autograd graph (see AnyModel::detached).
    let model = AnyModel::detached(&valid, &varmap, device)?;
    Ok(LoadedModel {
        model,
        varmap,
        config,
    })
}

/// Total number of scalar parameters in `varmap`.
pub fn parameter_count(varmap: &VarMap) -> usize {
    varmap.all_vars().iter().map(|v| v.elem_count()).sum()
}
