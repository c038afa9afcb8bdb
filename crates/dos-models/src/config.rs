//! [`ModelConfig`]: one serialisable description of any model.

use dos_config::{Check, CheckFields};
use dos_data::symmetry::CrystalSystem;
use serde::{Deserialize, Serialize};

use crate::dostransformer::DosTransformerConfig;
use crate::e3nn_lite::E3nnLiteConfig;
use crate::family::CustomConfig;
use crate::graph_network::GraphNetworkConfig;
use crate::mlp_baseline::MlpConfig;
use crate::model_settings::ModelSettings;
use crate::Precision;

/// `match` over every [`ModelConfig`] variant, binding its config to `$c`.
macro_rules! each_config {
    ($cfg:expr, $c:ident => $e:expr) => {
        match $cfg {
            ModelConfig::DosTransformer($c) => $e,
            ModelConfig::Mlp($c) => $e,
            ModelConfig::GraphNetwork($c) => $e,
            ModelConfig::E3nnLite($c) => $e,
            ModelConfig::Custom($c) => $e,
        }
    };
}

/// The four model families (the CLI's `--model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// DOSTransformer.
    #[serde(rename = "dostransformer", alias = "dos-transformer")]
    DosTransformer,
    /// Atom-wise MLP baseline.
    Mlp,
    /// Graph-network baseline.
    GraphNetwork,
    /// E(3)-equivariant baseline.
    E3nnLite,
}

impl ModelKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ModelKind; 4] = [
        ModelKind::DosTransformer,
        ModelKind::Mlp,
        ModelKind::GraphNetwork,
        ModelKind::E3nnLite,
    ];

    /// The name used in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::DosTransformer => "dostransformer",
            ModelKind::Mlp => "mlp",
            ModelKind::GraphNetwork => "graph-network",
            ModelKind::E3nnLite => "e3nn-lite",
        }
    }
}

impl std::str::FromStr for ModelKind {
    type Err = crate::ModelError;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "dostransformer" | "dos-transformer" => Ok(ModelKind::DosTransformer),
            "mlp" => Ok(ModelKind::Mlp),
            "graph-network" => Ok(ModelKind::GraphNetwork),
            "e3nn-lite" => Ok(ModelKind::E3nnLite),
            other => Err(crate::error::invalid(
                "kind",
                format!(
                    "unknown model `{other}`; expected dostransformer, mlp, graph-network or e3nn-lite"
                ),
            )),
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which benchmark a preset is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Phonon DOS: M = 51, mean aggregation, 118-wide mass one-hot nodes, 4 edge features.
    Phonon,
    /// Electron DOS: M = 201, sum aggregation, 200-wide element embeddings, 41 Gaussians.
    Electron,
}

/// Any model's configuration, tagged by `kind` in JSON
/// (`{"kind": "mlp", "node_in": 118, ...}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ModelConfig {
    /// DOSTransformer.
    #[serde(rename = "dostransformer")]
    DosTransformer(DosTransformerConfig),
    /// Atom-wise MLP.
    Mlp(MlpConfig),
    /// Graph network.
    GraphNetwork(GraphNetworkConfig),
    /// E(3)-equivariant network.
    E3nnLite(E3nnLiteConfig),
    /// A family registered with [`crate::register_family`].
    Custom(CustomConfig),
}

impl ModelConfig {
    /// The paper preset of `kind` for `task`; `energy` switches the baselines' energy
    /// embeddings (DOSTransformer always uses them).
    pub fn preset(kind: ModelKind, task: Task, energy: bool) -> Self {
        let mut cfg = match (kind, task) {
            (ModelKind::DosTransformer, Task::Phonon) => {
                ModelConfig::DosTransformer(DosTransformerConfig::paper_phonon())
            }
            (ModelKind::DosTransformer, Task::Electron) => {
                ModelConfig::DosTransformer(DosTransformerConfig::paper_electron())
            }
            (ModelKind::Mlp, Task::Phonon) => ModelConfig::Mlp(MlpConfig::paper_phonon()),
            (ModelKind::Mlp, Task::Electron) => ModelConfig::Mlp(MlpConfig::paper_electron()),
            (ModelKind::GraphNetwork, Task::Phonon) => {
                ModelConfig::GraphNetwork(GraphNetworkConfig::paper_phonon())
            }
            (ModelKind::GraphNetwork, Task::Electron) => {
                ModelConfig::GraphNetwork(GraphNetworkConfig::paper_electron())
            }
            (ModelKind::E3nnLite, Task::Phonon) => {
                ModelConfig::E3nnLite(E3nnLiteConfig::paper_phonon())
            }
            (ModelKind::E3nnLite, Task::Electron) => {
                ModelConfig::E3nnLite(E3nnLiteConfig::paper_electron())
            }
        };
        match &mut cfg {
            ModelConfig::DosTransformer(_) => {}
            ModelConfig::Mlp(c) => c.head.energy = energy,
            ModelConfig::GraphNetwork(c) => c.head.energy = energy,
            ModelConfig::E3nnLite(c) => c.head.energy = energy,
            ModelConfig::Custom(_) => {}
        }
        cfg
    }

    /// The built-in family, `None` for a registered one.
    pub fn kind(&self) -> Option<ModelKind> {
        match self {
            ModelConfig::DosTransformer(_) => Some(ModelKind::DosTransformer),
            ModelConfig::Mlp(_) => Some(ModelKind::Mlp),
            ModelConfig::GraphNetwork(_) => Some(ModelKind::GraphNetwork),
            ModelConfig::E3nnLite(_) => Some(ModelKind::E3nnLite),
            ModelConfig::Custom(_) => None,
        }
    }

    /// The family's name: a built-in kind's config name, or a registered family's name.
    pub fn family_name(&self) -> &str {
        match self {
            ModelConfig::Custom(c) => &c.family,
            other => other.kind().map_or("", ModelKind::name),
        }
    }

    /// The family's settings (see [`ModelSettings`]).
    pub fn settings(&self) -> &dyn ModelSettings {
        each_config!(self, c => c)
    }

    /// Mutable [`ModelConfig::settings`].
    pub fn settings_mut(&mut self) -> &mut dyn ModelSettings {
        each_config!(self, c => c)
    }

    /// Float precision of the model.
    pub fn precision(&self) -> Precision {
        self.settings().precision()
    }

    /// Sets the float precision.
    pub fn set_precision(&mut self, precision: Precision) {
        self.settings_mut().set_precision(precision)
    }

    /// Node feature width, and edge feature width (`None` for a model without edge
    /// features).
    pub fn input_widths(&self) -> (usize, Option<usize>) {
        self.settings().input_widths()
    }

    /// Sets the input widths to those of the data's graphs: `node_in` atom features and
    /// `edge_in` edge features (models without edge features ignore `edge_in`).
    ///
    /// The presets carry the released code's widths (118/4 phonon, 200/41 electron); a data
    /// set featurised differently (e.g. `dos_data`'s element properties, 33 wide) needs this.
    pub fn set_input_widths(&mut self, node_in: usize, edge_in: usize) {
        self.settings_mut().set_input_widths(node_in, edge_in)
    }

    /// Number of energies M the model predicts.
    pub fn n_energies(&self) -> usize {
        self.settings().n_energies()
    }

    /// Sets M to the length of the data's energy grid (the presets carry the tasks' grids: 51
    /// phonon, 201 electron points).
    pub fn set_n_energies(&mut self, n_energies: usize) {
        self.settings_mut().set_n_energies(n_energies)
    }

    /// The crystal systems recorded as seen in training, sorted.
    pub fn trained_systems(&self) -> &[CrystalSystem] {
        &self.settings().prompts().trained_systems
    }

    /// Records the crystal systems seen in training (prompt rows for the others are the
    /// mean of these rows at inference, when the unseen rule says so).
    pub fn set_trained_systems(&mut self, systems: &[CrystalSystem]) {
        let mut sorted = systems.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        self.settings_mut().prompts_mut().trained_systems = sorted;
    }

    /// Settles, from the names of the weights saved with this config, the fields that
    /// configs saved before the field existed lack: a DOSTransformer config without
    /// `separate_kv_norm` reads as the presets' `false`, but the checkpoints of that time
    /// had separate key/value LayerNorms, which their weights show (`*.norm_kv.*` tensors).
    /// Call it on a config read from disk before building the model from its weights.
    pub fn match_legacy_weights<'a>(&mut self, weight_names: impl IntoIterator<Item = &'a str>) {
        if let ModelConfig::DosTransformer(c) = self {
            if !c.separate_kv_norm && weight_names.into_iter().any(|n| n.contains(".norm_kv.")) {
                c.separate_kv_norm = true;
            }
        }
    }

    /// [`ModelConfig::match_legacy_weights`] with the names of the weights saved in
    /// `weights` (a safetensors file): what loading a checkpoint or resuming a run does.
    ///
    /// # Errors
    /// [`crate::ModelError::Io`] / [`crate::ModelError::Weights`] when the file cannot be
    /// read as safetensors.
    pub fn match_legacy_checkpoint(&mut self, weights: &std::path::Path) -> crate::Result<()> {
        let names = crate::checkpoint::safetensors_names(weights)?;
        self.match_legacy_weights(names.iter().map(String::as_str));
        Ok(())
    }
}

impl CheckFields for ModelConfig {
    type Error = crate::ModelError;

    /// Checks the model's config (every field, then the parameter count).
    fn check_fields(&self) -> crate::Result<()> {
        match self {
            ModelConfig::DosTransformer(c) => c.check().map(|_| ()),
            ModelConfig::Mlp(c) => c.check().map(|_| ()),
            ModelConfig::GraphNetwork(c) => c.check().map(|_| ()),
            ModelConfig::E3nnLite(c) => c.check().map(|_| ()),
            ModelConfig::Custom(c) => check_custom(c),
        }
    }
}

/// The widths a registered family's config must have (its own parameters are the family's
/// business, checked when it builds).
fn check_custom(c: &CustomConfig) -> crate::Result<()> {
    let range = |field: &str, v: usize, max: usize| {
        if (1..=max).contains(&v) {
            Ok(())
        } else {
            Err(crate::ModelError::InvalidConfig {
                field: format!("custom.{field}"),
                message: format!("{v} is outside 1..={max}"),
            })
        }
    };
    if c.family.trim().is_empty() {
        return Err(crate::ModelError::InvalidConfig {
            field: "custom.family".into(),
            message: "empty; name the registered family".into(),
        });
    }
    range("node_in", c.node_in, 1 << 16)?;
    range("n_energies", c.n_energies, crate::size_limits::MAX_ENERGIES)?;
    range("hidden", c.hidden, 1 << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A legacy DOSTransformer checkpoint (config without `separate_kv_norm`, weights with
    /// `norm_kv` tensors) gets its separate norms back; a current one keeps the preset.
    #[test]
    fn legacy_weights_settle_separate_kv_norm() {
        let preset = ModelConfig::preset(ModelKind::DosTransformer, Task::Phonon, true);
        let mut json = serde_json::to_value(&preset).unwrap();
        json.as_object_mut().unwrap().remove("separate_kv_norm");
        let mut legacy: ModelConfig = serde_json::from_value(json).unwrap();
        assert_eq!(legacy, preset);
        let mut current = legacy.clone();
        current.match_legacy_weights(["cross_attention.layers.0.norm_q.weight"]);
        assert_eq!(current, preset);
        legacy.match_legacy_weights([
            "cross_attention.layers.0.norm_q.weight",
            "cross_attention.layers.0.norm_kv.weight",
        ]);
        let ModelConfig::DosTransformer(c) = &legacy else {
            panic!("kind changed")
        };
        assert!(c.separate_kv_norm);
    }

    /// Every family takes the data's widths, and a model built from the result accepts them.
    #[test]
    fn input_widths_follow_the_data() {
        for kind in [
            ModelKind::DosTransformer,
            ModelKind::Mlp,
            ModelKind::GraphNetwork,
            ModelKind::E3nnLite,
        ] {
            let mut cfg = ModelConfig::preset(kind, Task::Electron, true);
            cfg.set_input_widths(33, 9);
            let json = serde_json::to_value(&cfg).unwrap();
            let text = json.to_string();
            assert!(text.contains("\"node_in\":33"), "{kind:?}: {text}");
            assert!(!text.contains("\"node_in\":200"), "{kind:?}");
            if matches!(kind, ModelKind::DosTransformer | ModelKind::GraphNetwork) {
                assert!(text.contains("\"edge_in\":9"), "{kind:?}");
            }
            cfg.check().unwrap();
        }
    }
}
