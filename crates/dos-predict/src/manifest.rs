//! [`PackageManifest`]: `package.json`, everything a model package says about itself.

use dos_data::graph::GraphConfig;
use dos_data::symmetry::SymmetryConfig;
use dos_models::{ModelConfig, Task};
use serde::{Deserialize, Serialize};

use crate::calibration::Calibration;
use crate::energy_grid::EnergyGrid;

/// Version of the package format this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Most members a package may hold.
pub const MAX_MEMBERS: usize = 64;

/// Symmetry tolerances the package's crystal-system prompts were computed with (the
/// serialisable form of [`SymmetryConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymmetrySettings {
    /// Distance tolerance, Angstrom.
    pub symprec: f64,
    /// Angle tolerance, degrees (`None`: symprec-driven).
    pub angle_tolerance_deg: Option<f64>,
}

impl From<SymmetryConfig> for SymmetrySettings {
    fn from(c: SymmetryConfig) -> Self {
        Self {
            symprec: c.symprec,
            angle_tolerance_deg: c.angle_tolerance_deg,
        }
    }
}

impl From<SymmetrySettings> for SymmetryConfig {
    fn from(s: SymmetrySettings) -> Self {
        Self {
            symprec: s.symprec,
            angle_tolerance_deg: s.angle_tolerance_deg,
        }
    }
}

/// How training targets were scaled (predictions are on the same scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetScale {
    /// Each crystal's DOS divided by its maximum (the phonon benchmark).
    Max,
    /// Each crystal's DOS mapped to [0, 1] by its minimum and maximum (the electron pipeline).
    MinMax,
}

impl TargetScale {
    /// The scale of a task's data.
    pub fn for_task(task: Task) -> Self {
        match task {
            Task::Phonon => TargetScale::Max,
            Task::Electron => TargetScale::MinMax,
        }
    }
}

/// Errors of a model on one split (per-crystal errors averaged over crystals).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitScore {
    /// Crystals scored.
    pub n_crystals: usize,
    /// 10 x mean squared error (the paper's "MSE").
    pub mse_x10: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Coefficient of determination.
    pub r2: f64,
    /// Fraction of points inside the calibrated 90 % interval (ensembles only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage_90: Option<f64>,
}

/// Where and how one member was trained.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MemberProvenance {
    /// Seed of the initial weights and batch order.
    pub seed: Option<u64>,
    /// The command that trained it, when known.
    pub command: Option<String>,
    /// The training settings (`dos_train::TrainConfig` as JSON).
    pub training: Option<serde_json::Value>,
    /// Epoch of the best validation loss (the weights kept).
    pub best_epoch: Option<usize>,
    /// Epochs run.
    pub epochs: Option<usize>,
    /// Its own validation score.
    pub valid: Option<SplitScore>,
    /// Its own test score.
    pub test: Option<SplitScore>,
}

/// One member: its weights file and architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberManifest {
    /// Weights file name inside the package (safetensors; f32 or f16).
    pub weights: String,
    /// Architecture.
    pub model: ModelConfig,
    /// Training record.
    #[serde(default)]
    pub provenance: MemberProvenance,
}

/// Data, split and scores of the package as a whole.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Provenance {
    /// The training data (a path or a name).
    pub data: String,
    /// SHA-256 of the uncompressed data file, when known.
    pub data_sha256: Option<String>,
    /// The split (a description, e.g. `benchmark fixed split 1192/141/189`).
    pub split: String,
    /// Validation score of the ensemble mean.
    pub valid: Option<SplitScore>,
    /// Test score of the ensemble mean (scored once, after calibration).
    pub test: Option<SplitScore>,
    /// The tool that wrote the package (`dos-rs 0.1.0`).
    pub written_by: String,
}

/// `package.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageManifest {
    /// Package format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Phonon or electron DOS.
    pub task: Task,
    /// Input featurisation: cutoff, neighbour cap, node and edge features.
    pub graph: GraphConfig,
    /// Symmetry tolerances for the crystal-system prompt.
    pub symmetry: SymmetrySettings,
    /// Energy grid of the output.
    pub energy_grid: EnergyGrid,
    /// Scale of the targets (and so of the predictions).
    pub target_scale: TargetScale,
    /// Uncertainty calibration (ensembles of two or more members).
    pub calibration: Option<Calibration>,
    /// The members (one or more).
    pub members: Vec<MemberManifest>,
    /// Data, split, scores.
    pub provenance: Provenance,
}
