//! [`ModelPackage`]: the unit users save, load and share: a folder with `package.json`
//! ([`PackageManifest`]) and one safetensors file per member.
//!
//! Loading validates everything before any model is built (format version, grid, graph and
//! symmetry settings, each member's architecture and size, weight names, shapes and finiteness)
//! and names the field that is wrong. A run folder of `dos train` (`config.json` + `model/`)
//! loads as a one-member package with the settings it was trained with (its `config.json` holds
//! the graph settings and the data's energy grid; runs written before the grid was recorded
//! have the task's).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use dos_data::graph::GraphConfig;
use dos_data::io::atomic_write::write_folder;
use dos_data::symmetry::SymmetryConfig;
use dos_models::{AnyModel, ModelConfig, Task};
use serde::Deserialize;

use crate::energy_grid::EnergyGrid;
use crate::error::{PredictError, Result};
use crate::manifest::{
    MemberManifest, MemberProvenance, PackageManifest, Provenance, SplitScore, SymmetrySettings,
    TargetScale, FORMAT_VERSION, MAX_MEMBERS,
};
use crate::weight_storage::WeightStorage;
use dos_models::Check;

/// Manifest file name inside a package folder.
pub const MANIFEST_FILE: &str = "package.json";

/// Largest weights file a package may hold (1 GiB; the bundled members are 3 MB each).
pub const MAX_WEIGHTS_BYTES: u64 = 1 << 30;

/// A manifest and its members' weights (host tensors: f32 or f16 as stored; int8-stored
/// tensors are read back as f32, see [`WeightStorage`]).
#[derive(Debug, Clone)]
pub struct ModelPackage {
    /// `package.json`.
    pub manifest: PackageManifest,
    /// Weights of each member, by variable name, in manifest order.
    pub weights: Vec<HashMap<String, Tensor>>,
    /// Where it came from (a folder, or `bundled model`), for messages.
    pub source: String,
}

fn package_err(source: &str, field: impl Into<String>, message: impl Into<String>) -> PredictError {
    PredictError::Package {
        source_name: source.to_string(),
        field: field.into(),
        message: message.into(),
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let io = |source| PredictError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_WEIGHTS_BYTES {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{len} bytes, more than the {MAX_WEIGHTS_BYTES} a package file may hold"),
        )));
    }
    std::fs::read(path).map_err(io)
}

/// Parses safetensors bytes into host tensors (int8-stored tensors dequantised).
fn parse_weights(bytes: &[u8], source: &str, field: &str) -> Result<HashMap<String, Tensor>> {
    let stored = candle_core::safetensors::load_buffer(bytes, &Device::Cpu)
        .map_err(|e| package_err(source, field, format!("not a safetensors file: {e}")))?;
    WeightStorage::decode(stored).map_err(|e| package_err(source, field, e))
}

impl ModelPackage {
    /// Reads a package folder, or converts a `dos train` run folder (see the module docs).
    ///
    /// # Errors
    /// [`PredictError::Io`] naming the file; [`PredictError::Package`] naming the field.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let source = path.display().to_string();
        if path.join(MANIFEST_FILE).is_file() {
            let text = std::fs::read_to_string(path.join(MANIFEST_FILE)).map_err(|e| {
                PredictError::Io {
                    path: path.join(MANIFEST_FILE),
                    source: e,
                }
            })?;
            let manifest = parse_manifest(&text, &source)?;
            let weights = manifest
                .members
                .iter()
                .enumerate()
                .map(|(k, m)| {
                    let field = format!("members[{k}].weights");
                    check_file_name(&m.weights, &source, &field)?;
                    parse_weights(&read_bytes(&path.join(&m.weights))?, &source, &field)
                })
                .collect::<Result<Vec<_>>>()?;
            let mut p = Self {
                manifest,
                weights,
                source,
            };
            p.match_legacy_weights();
            p.validate()?;
            return Ok(p);
        }
        if path.join("config.json").is_file() && path.join("model").is_dir() {
            return Self::from_run_folder(path);
        }
        Err(package_err(
            &source,
            MANIFEST_FILE,
            "not a model package (no package.json) nor a `dos train` run folder (config.json + model/)",
        ))
    }

    /// A package from a manifest's JSON text and each member's safetensors bytes (how the
    /// bundled model is read from the binary).
    ///
    /// # Errors
    /// As [`ModelPackage::read`].
    pub fn from_bytes(source: &str, manifest_json: &str, members: &[&[u8]]) -> Result<Self> {
        let manifest = parse_manifest(manifest_json, source)?;
        if manifest.members.len() != members.len() {
            return Err(package_err(
                source,
                "members",
                format!(
                    "{} in the manifest, {} weight files",
                    manifest.members.len(),
                    members.len()
                ),
            ));
        }
        let weights = members
            .iter()
            .enumerate()
            .map(|(k, b)| parse_weights(b, source, &format!("members[{k}].weights")))
            .collect::<Result<Vec<_>>>()?;
        let mut p = Self {
            manifest,
            weights,
            source: source.to_string(),
        };
        p.match_legacy_weights();
        p.validate()?;
        Ok(p)
    }

    /// A one-member package from a run folder written by `dos train` before packages existed:
    /// `config.json` (task, data, model, train, graph), `model/model.safetensors` and, when
    /// present, `metrics.json`.
    ///
    /// # Errors
    /// Missing or malformed files, naming them; a config without graph settings is refused
    /// with a message saying how to convert it.
    pub fn from_run_folder(dir: &Path) -> Result<Self> {
        #[derive(Deserialize)]
        struct RunConfigJson {
            task: Task,
            data: String,
            model: ModelConfig,
            train: Option<serde_json::Value>,
            graph: Option<GraphConfig>,
            #[serde(default)]
            energy_grid: Option<EnergyGrid>,
        }
        let source = dir.display().to_string();
        let cfg_path = dir.join("config.json");
        let text = std::fs::read_to_string(&cfg_path).map_err(|e| PredictError::Io {
            path: cfg_path.clone(),
            source: e,
        })?;
        let cfg: RunConfigJson = serde_json::from_str(&text).map_err(|e| {
            package_err(
                &source,
                "config.json",
                format!(
                    "not a dos train run config ({e}); retrain it, or write a package.json by hand \
                     (see docs/model-packages.md)"
                ),
            )
        })?;
        let graph = cfg.graph.ok_or_else(|| {
            package_err(
                &source,
                "config.json: graph",
                "this run folder predates recorded graph settings; retrain it with the current `dos train`",
            )
        })?;
        let metrics = read_run_metrics(dir);
        let provenance = MemberProvenance {
            seed: cfg
                .train
                .as_ref()
                .and_then(|t| t.get("seed"))
                .and_then(serde_json::Value::as_u64),
            command: None,
            training: cfg.train,
            best_epoch: metrics.as_ref().and_then(|m| m.best_epoch),
            epochs: metrics.as_ref().and_then(|m| m.epochs),
            valid: metrics.as_ref().and_then(|m| m.valid),
            test: metrics.as_ref().and_then(|m| m.test),
        };
        let weights_path = dir.join("model").join(dos_models::checkpoint::WEIGHTS_FILE);
        let weights = parse_weights(
            &read_bytes(&weights_path)?,
            &source,
            "model/model.safetensors",
        )?;
        let mut p = Self {
            manifest: PackageManifest {
                format_version: FORMAT_VERSION,
                task: cfg.task,
                graph,
                symmetry: SymmetryConfig::default().into(),
                energy_grid: cfg
                    .energy_grid
                    .unwrap_or_else(|| EnergyGrid::for_task(cfg.task)),
                target_scale: TargetScale::for_task(cfg.task),
                calibration: None,
                members: vec![MemberManifest {
                    weights: "model/model.safetensors".into(),
                    model: cfg.model,
                    provenance,
                }],
                provenance: Provenance {
                    data: cfg.data,
                    data_sha256: None,
                    split: format!("{}/split", dir.display()),
                    valid: None,
                    test: None,
                    written_by: "dos train (run folder)".into(),
                },
            },
            weights: vec![weights],
            source,
        };
        p.match_legacy_weights();
        p.validate()?;
        Ok(p)
    }

    /// Settles each member's config fields that configs saved before the field existed
    /// lack, from the member's weight names ([`ModelConfig::match_legacy_weights`]).
    fn match_legacy_weights(&mut self) {
        for (member, weights) in self.manifest.members.iter_mut().zip(&self.weights) {
            member
                .model
                .match_legacy_weights(weights.keys().map(String::as_str));
        }
    }

    /// Checks the manifest and the weights (see the module docs).
    ///
    /// # Errors
    /// [`PredictError::Package`] naming the first wrong field.
    pub fn validate(&self) -> Result<()> {
        let m = &self.manifest;
        let src = self.source.as_str();
        let err = |field: &str, message: String| package_err(src, field, message);
        if m.format_version != FORMAT_VERSION {
            return Err(err(
                "format_version",
                format!(
                    "{} is not supported (this dos-rs reads version {FORMAT_VERSION})",
                    m.format_version
                ),
            ));
        }
        m.energy_grid
            .check()
            .map_err(|e| err("energy_grid.values", e))?;
        let graph = m.graph.check().map_err(|e| err("graph", e.to_string()))?;
        SymmetryConfig::from(m.symmetry)
            .check()
            .map_err(|e| err("symmetry", e.to_string()))?;
        if m.members.is_empty() || m.members.len() > MAX_MEMBERS {
            return Err(err(
                "members",
                format!("{} members, expected 1..={MAX_MEMBERS}", m.members.len()),
            ));
        }
        if self.weights.len() != m.members.len() {
            return Err(err(
                "members",
                format!(
                    "{} members but {} weight sets",
                    m.members.len(),
                    self.weights.len()
                ),
            ));
        }
        if let Some(c) = &m.calibration {
            if !(c.scale.is_finite() && c.scale > 0.0) {
                return Err(err(
                    "calibration.scale",
                    format!("{} is not finite and > 0", c.scale),
                ));
            }
            if m.members.len() < 2 {
                return Err(err(
                    "calibration",
                    "a single model has no spread to calibrate".into(),
                ));
            }
            let r = &c.spread_reference;
            let ordered =
                r.iter().all(|v| v.is_finite() && *v >= 0.0) && r.windows(2).all(|w| w[0] <= w[1]);
            if !(r.is_empty() || (r.len() == 101 && ordered)) {
                return Err(err(
                    "calibration.spread_reference",
                    "must be 101 finite, non-negative, non-decreasing percentiles (or absent)"
                        .into(),
                ));
            }
        }
        for (k, (member, weights)) in m.members.iter().zip(&self.weights).enumerate() {
            let field = |f: &str| format!("members[{k}].{f}");
            check_file_name(&member.weights, src, &field("weights"))?;
            let valid = member
                .model
                .check()
                .map_err(|e| err(&field("model"), e.to_string()))?;
            if valid.n_energies() != m.energy_grid.len() {
                return Err(err(
                    &field("model"),
                    format!(
                        "predicts {} energies, the grid has {}",
                        valid.n_energies(),
                        m.energy_grid.len()
                    ),
                ));
            }
            let (node_in, edge_in) = member.model.input_widths();
            let fits = node_in == graph.node_dim() && edge_in.is_none_or(|e| e == graph.edge_dim());
            if !fits {
                return Err(err(
                    &field("model"),
                    format!(
                        "takes {node_in} node and {} edge features, the graph settings give {} and {}",
                        edge_in.map_or("no".to_string(), |e| e.to_string()),
                        graph.node_dim(),
                        graph.edge_dim()
                    ),
                ));
            }
            check_weights(&valid, weights).map_err(|e| err(&field("weights"), e))?;
        }
        Ok(())
    }

    /// Member `k` alone, as a one-member package without calibration (to score or fine-tune
    /// one member of an ensemble).
    ///
    /// # Errors
    /// [`PredictError::Invalid`] when there is no member `k`.
    pub fn member(&self, k: usize) -> Result<Self> {
        let n = self.manifest.members.len();
        let (Some(member), Some(weights)) = (self.manifest.members.get(k), self.weights.get(k))
        else {
            return Err(crate::error::invalid(
                "member",
                format!("{k}: the package has {n} members (0..{n})"),
            ));
        };
        let mut manifest = self.manifest.clone();
        manifest.members = vec![member.clone()];
        manifest.calibration = None;
        Ok(Self {
            manifest,
            weights: vec![weights.clone()],
            source: format!("{} (member {k})", self.source),
        })
    }

    /// Builds every member for inference on `device` (in each config's precision).
    ///
    /// # Errors
    /// Model errors (the package was validated, so none are expected).
    pub fn build_members(&self, device: &Device) -> Result<Vec<AnyModel>> {
        self.manifest
            .members
            .iter()
            .zip(&self.weights)
            .map(|(member, weights)| {
                let valid = member.model.check()?;
                let vb =
                    VarBuilder::from_tensors(weights.clone(), valid.precision().dtype(), device);
                Ok(AnyModel::new(&valid, vb)?)
            })
            .collect()
    }

    /// Writes the package into the folder `dir` atomically: everything goes into a temporary
    /// sibling folder, which is then renamed to `dir` (an existing `dir` is replaced only after
    /// the new one is complete). `storage` is how the weights are stored ([`WeightStorage`]:
    /// f32, f16 or int8 for the large tensors).
    ///
    /// # Errors
    /// [`PredictError::Io`] naming the file; an invalid package is refused before writing.
    pub fn write(&self, dir: impl AsRef<Path>, storage: WeightStorage) -> Result<()> {
        self.validate()?;
        let dir = dir.as_ref();
        if dir.file_name().is_none() {
            return Err(crate::error::invalid(
                "out",
                format!("{} has no folder name", dir.display()),
            ));
        }
        write_folder(dir, |tmp| self.write_into(tmp, storage))
    }

    /// Writes the package's files into the folder `dir` (created when missing).
    pub(crate) fn write_into(&self, dir: &Path, storage: WeightStorage) -> Result<()> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| PredictError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut manifest = self.manifest.clone();
        for (k, (member, weights)) in manifest.members.iter_mut().zip(&self.weights).enumerate() {
            member.weights = format!("member-{k}.safetensors");
            let converted = storage.encode(weights)?;
            let path = dir.join(&member.weights);
            candle_core::safetensors::save(&converted, &path).map_err(|e| PredictError::Io {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
        }
        let json = serde_json::to_string_pretty(&manifest)
            .map_err(|e| package_err(&self.source, MANIFEST_FILE, e.to_string()))?;
        let path = dir.join(MANIFEST_FILE);
        std::fs::write(&path, json + "\n").map_err(io(&path))?;
        Ok(())
    }
}

fn parse_manifest(text: &str, source: &str) -> Result<PackageManifest> {
    // The version first, so that a newer format is reported as such, not as a bad field.
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        if let Some(n) = v.get("format_version").and_then(serde_json::Value::as_u64) {
            if n != u64::from(FORMAT_VERSION) {
                return Err(package_err(
                    source,
                    "format_version",
                    format!("{n} is not supported (this dos-rs reads version {FORMAT_VERSION})"),
                ));
            }
        }
    }
    serde_json::from_str(text).map_err(|e| package_err(source, MANIFEST_FILE, e.to_string()))
}

/// A member's weights file must be a plain name inside the package folder.
fn check_file_name(name: &str, source: &str, field: &str) -> Result<()> {
    let plain = Path::new(name)
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if name.is_empty() || !plain {
        return Err(package_err(
            source,
            field,
            format!("`{name}` must be a file name inside the package folder"),
        ));
    }
    Ok(())
}

/// Node feature width and, for models that read edge features, their width.
/// Weight names and shapes equal those of the architecture; every value is finite.
fn check_weights(
    valid: &dos_models::Checked<ModelConfig>,
    weights: &HashMap<String, Tensor>,
) -> std::result::Result<(), String> {
    let (_, expected) = AnyModel::build(valid, &Device::Cpu).map_err(|e| e.to_string())?;
    let expected = expected
        .data()
        .lock()
        .map_err(|_| "lock poisoned".to_string())?;
    for (name, var) in expected.iter() {
        let got = weights
            .get(name)
            .ok_or_else(|| format!("variable `{name}` is missing"))?;
        if got.dims() != var.dims() {
            return Err(format!(
                "variable `{name}` has shape {:?}, the architecture needs {:?}",
                got.dims(),
                var.dims()
            ));
        }
    }
    if let Some(extra) = weights.keys().find(|k| !expected.contains_key(*k)) {
        return Err(format!(
            "variable `{extra}` is not part of the architecture"
        ));
    }
    let mut names: Vec<&String> = weights.keys().collect();
    names.sort();
    for name in names {
        let values = weights[name]
            .to_dtype(candle_core::DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| e.to_string())?;
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(format!(
                "variable `{name}` holds {} at flat index {i}",
                values[i]
            ));
        }
    }
    Ok(())
}

/// The parts of a run's `metrics.json` a package records.
struct RunMetricsJson {
    best_epoch: Option<usize>,
    epochs: Option<usize>,
    valid: Option<SplitScore>,
    test: Option<SplitScore>,
}

fn read_run_metrics(dir: &Path) -> Option<RunMetricsJson> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).ok()?).ok()?;
    let score = |split: &str| -> Option<SplitScore> {
        let s = v.get(split)?;
        let o = s.get("overall")?;
        Some(SplitScore {
            n_crystals: o.get("n_crystals")?.as_u64()? as usize,
            mse_x10: s.get("mse_x10")?.as_f64()?,
            mae: o.get("mae")?.as_f64()?,
            r2: o.get("r2")?.as_f64()?,
            coverage_90: None,
        })
    };
    Some(RunMetricsJson {
        best_epoch: v
            .get("best_epoch")
            .and_then(|e| e.as_u64())
            .map(|e| e as usize),
        epochs: v.get("epochs").and_then(|e| e.as_u64()).map(|e| e as usize),
        valid: score("valid"),
        test: score("test"),
    })
}

/// The manifest defaults for a freshly trained model of `task`: the task's grid and target
/// scale, default symmetry tolerances, no calibration.
pub fn manifest_for(
    task: Task,
    graph: GraphConfig,
    members: Vec<MemberManifest>,
    provenance: Provenance,
) -> PackageManifest {
    PackageManifest {
        format_version: FORMAT_VERSION,
        task,
        graph,
        symmetry: SymmetrySettings::from(SymmetryConfig::default()),
        energy_grid: EnergyGrid::for_task(task),
        target_scale: TargetScale::for_task(task),
        calibration: None,
        members,
        provenance,
    }
}
