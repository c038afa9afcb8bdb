//! [`ModelSettings`]: what every model family's config says about itself, and the macros that
//! write its methods for configs laid out alike.

use crate::prompt_config::PromptConfig;
use crate::{ArchOverrides, Precision};

/// What every model family's config says about itself: code over any model
/// ([`crate::ModelConfig`], packages, the trainer) reads these without a `match` per family.
pub trait ModelSettings {
    /// Float precision of the model.
    fn precision(&self) -> Precision;
    /// Sets the float precision.
    fn set_precision(&mut self, precision: Precision);
    /// Number of energies M the model predicts.
    fn n_energies(&self) -> usize;
    /// Sets M (the length of the data's energy grid).
    fn set_n_energies(&mut self, n_energies: usize);
    /// Node feature width, and edge feature width (`None` for a model without edge
    /// features).
    fn input_widths(&self) -> (usize, Option<usize>);
    /// Sets the input widths (a model without edge features ignores `edge_in`).
    fn set_input_widths(&mut self, node_in: usize, edge_in: usize);
    /// Trained crystal systems and the unseen-system rule of the prompts.
    fn prompts(&self) -> &PromptConfig;
    /// Mutable [`ModelSettings::prompts`].
    fn prompts_mut(&mut self) -> &mut PromptConfig;
    /// Whether the model uses learned energy embeddings (DOSTransformer always does; the
    /// baselines when their head is switched on).
    fn uses_energy(&self) -> bool;
    /// Applies size overrides (`hidden` and the layer counts this family has; see
    /// [`ArchOverrides`] for which widths follow d).
    fn apply_arch(&mut self, overrides: &ArchOverrides);
}

/// The [`ModelSettings`] methods of a config that holds `precision`, and `n_energies` and
/// `prompts` as fields of its own (`own_settings!()`) or of one of its fields
/// (`own_settings!(head)`).
macro_rules! own_settings {
    ($($part:ident)?) => {
        fn precision(&self) -> crate::Precision {
            self.precision
        }
        fn set_precision(&mut self, precision: crate::Precision) {
            self.precision = precision;
        }
        fn n_energies(&self) -> usize {
            self.$($part.)?n_energies
        }
        fn set_n_energies(&mut self, n_energies: usize) {
            self.$($part.)?n_energies = n_energies;
        }
        fn prompts(&self) -> &crate::PromptConfig {
            &self.$($part.)?prompts
        }
        fn prompts_mut(&mut self) -> &mut crate::PromptConfig {
            &mut self.$($part.)?prompts
        }
    };
}
pub(crate) use own_settings;

/// The [`ModelSettings`] input widths of a config with `node_in` and `edge_in` fields.
macro_rules! graph_input_widths {
    () => {
        fn input_widths(&self) -> (usize, Option<usize>) {
            (self.node_in, Some(self.edge_in))
        }
        fn set_input_widths(&mut self, node_in: usize, edge_in: usize) {
            self.node_in = node_in;
            self.edge_in = edge_in;
        }
    };
}
pub(crate) use graph_input_widths;

/// `pub fn gnn(&self) -> GnnConfig` of a config with the GNN's fields `node_in`, `edge_in`,
/// `hidden`, `gnn_layers` and `aggregation`.
macro_rules! gnn_settings {
    () => {
        /// GNN settings.
        pub fn gnn(&self) -> dos_graph::GnnConfig {
            dos_graph::GnnConfig {
                node_in: self.node_in,
                edge_in: self.edge_in,
                hidden: self.hidden,
                layers: self.gnn_layers,
                aggregation: self.aggregation,
            }
        }
    };
}
pub(crate) use gnn_settings;
