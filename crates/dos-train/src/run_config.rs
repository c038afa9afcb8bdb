//! [`RunConfig`] and the names of a run folder's files (see [`crate::run`] for the layout):
//! what both the trainer and fine-tuning read, so neither depends on the other.

use std::path::Path;

use dos_data::graph::GraphConfig;
use dos_models::{ModelConfig, Task};
use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::error::{Result, TrainError};

/// `config.json` of a run folder.
pub const CONFIG_FILE: &str = "config.json";
/// `metrics.json` of a run folder.
pub const METRICS_FILE: &str = "metrics.json";
/// Split index folder of a run.
pub const SPLIT_DIR: &str = "split";
/// Model checkpoint folder of a run.
pub const MODEL_DIR: &str = "model";
/// Model package folder of a run (see `dos_predict::ModelPackage`), written after training.
pub const PACKAGE_DIR: &str = "package";

/// Everything needed to repeat a run (saved as `config.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Phonon or electron DOS.
    pub task: Task,
    /// Where the data came from (a path, or a description of generated data).
    pub data: String,
    /// The model.
    pub model: ModelConfig,
    /// Training settings.
    pub train: TrainConfig,
    /// How crystals were turned into graphs.
    pub graph: GraphConfig,
    /// The data's energy grid, which the run's package declares (runs written before it was
    /// recorded read as the task's grid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_grid: Option<dos_predict::EnergyGrid>,
}

/// Reads a JSON file of a run folder.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| TrainError::json(path, e))
}

/// Serialises `value` as pretty JSON to `path` atomically ([`dos_data::io::atomic_write`]:
/// readers see the old or the new file, never half of one).
pub fn atomic_write_json<T: serde::Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(value).map_err(|e| TrainError::json(path, e))?;
    Ok(dos_data::io::atomic_write::write_bytes(path, s.as_bytes())?)
}
