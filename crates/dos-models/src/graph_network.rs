//! [`GraphNetwork`]: the graph-network baseline, DOSTransformer's GNN (paper eq. 4-5)
//! followed by sum pooling and the shared baseline head.
//!
//! `H = GNN(atoms, edges)` (N, d); position-1 prompt added to every row of H; `g = Σ_i H_i`
//! per crystal; `ŷ = head(g)` (see [`crate::baseline`]).

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;
use dos_config::{Check, Checked};
use dos_data::CrystalBatch;
use dos_graph::{Aggregation, Gnn, GraphInput};
use serde::{Deserialize, Serialize};

use crate::baseline::{AtomEncoder, Baseline, BaselineHeadConfig};
use crate::Precision;

/// Configuration of [`GraphNetwork`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphNetworkConfig {
    /// Node feature width F.
    pub node_in: usize,
    /// Edge feature width F_e.
    pub edge_in: usize,
    /// Hidden width d.
    pub hidden: usize,
    /// Processor layers L'.
    pub gnn_layers: usize,
    /// Neighbour aggregation (mean phonon, sum electron).
    pub aggregation: Aggregation,
    /// Output head and prompt injection.
    pub head: BaselineHeadConfig,
    /// Float precision.
    #[serde(default)]
    pub precision: Precision,
}

impl GraphNetworkConfig {
    /// Phonon preset: F = 118, F_e = 4, d = 256, L' = 3, mean aggregation, M = 51.
    pub fn paper_phonon() -> Self {
        Self {
            node_in: 118,
            edge_in: 4,
            hidden: 256,
            gnn_layers: 3,
            aggregation: Aggregation::Mean,
            head: BaselineHeadConfig::paper(51),
            precision: Precision::F32,
        }
    }

    /// Electron preset: F = 200, F_e = 41, sum aggregation, M = 201.
    pub fn paper_electron() -> Self {
        Self {
            node_in: 200,
            edge_in: 41,
            aggregation: Aggregation::Sum,
            head: BaselineHeadConfig::paper(201),
            ..Self::paper_phonon()
        }
    }

    crate::model_settings::gnn_settings!();

    /// Every field; the parameter count is checked by [`Check::check`] on the built model.
    fn check_each_field(&self) -> crate::Result<()> {
        use crate::size_limits::{check_range, MAX_LAYERS, MAX_WIDTH};
        for (name, v) in [
            ("node_in", self.node_in),
            ("edge_in", self.edge_in),
            ("hidden", self.hidden),
        ] {
            check_range(name, v, 1, MAX_WIDTH)?;
        }
        check_range("gnn_layers", self.gnn_layers, 0, MAX_LAYERS)?;
        self.head.check_fields("head")?;
        self.gnn()
            .check()
            .map_err(|e| crate::error::invalid("gnn", e.to_string()))?;
        Ok(())
    }
}

crate::size_limits::check_fields_then_size!(GraphNetworkConfig, GraphNetwork);

impl crate::ModelSettings for GraphNetworkConfig {
    crate::baseline::baseline_head_settings!();
    crate::model_settings::graph_input_widths!();
    fn apply_arch(&mut self, o: &crate::ArchOverrides) {
        if let Some(d) = o.hidden {
            self.hidden = d;
            self.head.set_width(d);
        }
        if let Some(l) = o.gnn_layers {
            self.gnn_layers = l;
        }
    }
}

/// Graph-network baseline: DOSTransformer's [`Gnn`] as the [`AtomEncoder`] of a [`Baseline`].
///
/// Parameter names: `gnn.*`, `prompts.*`, `head.*`.
///
/// # Shapes
/// batch -> (B, M)
pub type GraphNetwork = Baseline<Gnn>;

impl GraphNetwork {
    /// Builds (or loads) the model under `vb`.
    pub fn new(cfg: &Checked<GraphNetworkConfig>, vb: VarBuilder) -> Result<Self> {
        let gnn = Gnn::new(&cfg.gnn().check()?, vb.pp("gnn"))?;
        Baseline::with_encoder(gnn, cfg.hidden, cfg.hidden, &cfg.head, vb)
    }
}

/// The position-1 prompt is added to every row of the GNN's output (its encoder and processor
/// run as one call).
impl AtomEncoder for Gnn {
    fn encode(&self, batch: &CrystalBatch, shift: Option<&Tensor>) -> Result<Tensor> {
        let h = self.forward(&GraphInput {
            node_features: &batch.node_features,
            edge_features: &batch.edge_features,
            senders: &batch.senders,
            receivers: &batch.receivers,
        })?;
        match shift {
            Some(p) => h + p,
            None => Ok(h),
        }
    }
}
