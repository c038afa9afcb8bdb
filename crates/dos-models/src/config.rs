//! [`ModelConfig`]: one serialisable description of any model, and [`Valid`], the proof that
//! a configuration was checked.

use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::dostransformer::DosTransformerConfig;
use crate::e3nn_lite::E3nnLiteConfig;
use crate::graph_network::GraphNetworkConfig;
use crate::mlp::MlpConfig;
use crate::Precision;

/// A configuration whose `validate()` succeeded. Models are built only from `Valid` configs,
/// so code past construction trusts the fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Valid<T>(pub(crate) T);

impl<T> Valid<T> {
    /// The checked configuration.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Valid<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
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
        }
        cfg
    }

    /// The model family.
    pub fn kind(&self) -> ModelKind {
        match self {
            ModelConfig::DosTransformer(_) => ModelKind::DosTransformer,
            ModelConfig::Mlp(_) => ModelKind::Mlp,
            ModelConfig::GraphNetwork(_) => ModelKind::GraphNetwork,
            ModelConfig::E3nnLite(_) => ModelKind::E3nnLite,
        }
    }

    /// Float precision of the model.
    pub fn precision(&self) -> Precision {
        match self {
            ModelConfig::DosTransformer(c) => c.precision,
            ModelConfig::Mlp(c) => c.precision,
            ModelConfig::GraphNetwork(c) => c.precision,
            ModelConfig::E3nnLite(c) => c.precision,
        }
    }

    /// Sets the float precision.
    pub fn set_precision(&mut self, precision: Precision) {
        match self {
            ModelConfig::DosTransformer(c) => c.precision = precision,
            ModelConfig::Mlp(c) => c.precision = precision,
            ModelConfig::GraphNetwork(c) => c.precision = precision,
            ModelConfig::E3nnLite(c) => c.precision = precision,
        }
    }

    /// Sets the input widths to those of the data's graphs: `node_in` atom features and
    /// `edge_in` edge features (models without edge features ignore `edge_in`).
    ///
    /// The presets carry the released code's widths (118/4 phonon, 200/41 electron); a data
    /// set featurised differently (e.g. `dos_data`'s element properties, 33 wide) needs this.
    pub fn set_input_widths(&mut self, node_in: usize, edge_in: usize) {
        match self {
            ModelConfig::DosTransformer(c) => {
                c.node_in = node_in;
                c.edge_in = edge_in;
            }
            ModelConfig::Mlp(c) => c.node_in = node_in,
            ModelConfig::GraphNetwork(c) => {
                c.node_in = node_in;
                c.edge_in = edge_in;
            }
            ModelConfig::E3nnLite(c) => c.encoder.node_in = node_in,
        }
    }

    /// Number of energies M the model predicts.
    pub fn n_energies(&self) -> usize {
        match self {
            ModelConfig::DosTransformer(c) => c.n_energies,
            ModelConfig::Mlp(c) => c.head.n_energies,
            ModelConfig::GraphNetwork(c) => c.head.n_energies,
            ModelConfig::E3nnLite(c) => c.head.n_energies,
        }
    }

    /// The crystal systems recorded as seen in training (prompt indices, sorted).
    pub fn trained_systems(&self) -> &[u32] {
        match self {
            ModelConfig::DosTransformer(c) => &c.prompts.trained_systems,
            ModelConfig::Mlp(c) => &c.head.prompts.trained_systems,
            ModelConfig::GraphNetwork(c) => &c.head.prompts.trained_systems,
            ModelConfig::E3nnLite(c) => &c.head.prompts.trained_systems,
        }
    }

    /// Records the crystal systems seen in training (prompt rows for the others are the
    /// mean of these rows at inference, when the unseen rule says so).
    pub fn set_trained_systems(&mut self, systems: &[u32]) {
        let mut sorted: Vec<u32> = systems.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        match self {
            ModelConfig::DosTransformer(c) => c.prompts.trained_systems = sorted,
            ModelConfig::Mlp(c) => c.head.prompts.trained_systems = sorted,
            ModelConfig::GraphNetwork(c) => c.head.prompts.trained_systems = sorted,
            ModelConfig::E3nnLite(c) => c.head.prompts.trained_systems = sorted,
        }
    }

    /// Checks every field once.
    pub fn validate(&self) -> crate::Result<Valid<Self>> {
        match self {
            ModelConfig::DosTransformer(c) => {
                c.validate()?;
            }
            ModelConfig::Mlp(c) => {
                c.validate()?;
            }
            ModelConfig::GraphNetwork(c) => {
                c.validate()?;
            }
            ModelConfig::E3nnLite(c) => {
                c.validate()?;
            }
        }
        Ok(Valid(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            cfg.validate().unwrap();
        }
    }
}
