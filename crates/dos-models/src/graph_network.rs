//! [`GraphNetwork`]: the graph-network baseline, DOSTransformer's GNN (paper eq. 4-5)
//! followed by sum pooling and the shared baseline head.
//!
//! `H = GNN(atoms, edges)` (N, d); position-1 prompt added to every row of H; `g = Σ_i H_i`
//! per crystal; `ŷ = head(g)` (see [`crate::baseline`]).

use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;
use dos_data::CrystalBatch;
use dos_graph::{Aggregation, Gnn, GnnConfig, GraphInput};
use serde::{Deserialize, Serialize};

use crate::baseline::{sum_pool, BaselineHeadConfig, BaselineTail};
use crate::config::Valid;
use crate::loss::{batch_rmse, targets};
use crate::{DosModel, Precision};

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

    /// GNN settings.
    pub fn gnn(&self) -> GnnConfig {
        GnnConfig {
            node_in: self.node_in,
            edge_in: self.edge_in,
            hidden: self.hidden,
            layers: self.gnn_layers,
            aggregation: self.aggregation,
        }
    }

    /// Checks every field once.
    pub fn validate(&self) -> crate::Result<Valid<Self>> {
        use crate::size_limits::{check_range, MAX_LAYERS, MAX_WIDTH};
        for (name, v) in [
            ("node_in", self.node_in),
            ("edge_in", self.edge_in),
            ("hidden", self.hidden),
        ] {
            check_range(name, v, 1, MAX_WIDTH)?;
        }
        check_range("gnn_layers", self.gnn_layers, 0, MAX_LAYERS)?;
        self.head.validate("head")?;
        let valid = Valid(self.clone());
        crate::size_limits::check_parameter_count(|vb| GraphNetwork::new(&valid, vb).map(|_| ()))?;
        Ok(valid)
    }
}

/// Graph-network baseline.
///
/// Parameter names: `gnn.*`, `prompts.*`, `head.*`.
///
/// # Shapes
/// batch -> (B, M)
#[derive(Debug, Clone)]
pub struct GraphNetwork {
    gnn: Gnn,
    tail: BaselineTail,
    n_energies: usize,
}

impl GraphNetwork {
    /// Builds (or loads) the model under `vb`.
    pub fn new(cfg: &Valid<GraphNetworkConfig>, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            gnn: Gnn::new(&cfg.gnn(), vb.pp("gnn"))?,
            tail: BaselineTail::new(cfg.hidden, cfg.hidden, &cfg.head, vb.clone())?,
            n_energies: cfg.head.n_energies,
        })
    }
}

impl DosModel for GraphNetwork {
    fn n_energies(&self) -> usize {
        self.n_energies
    }

    fn predict(&self, batch: &CrystalBatch) -> Result<Tensor> {
        let mut h = self.gnn.forward(&GraphInput {
            node_features: &batch.node_features,
            edge_features: &batch.edge_features,
            senders: &batch.senders,
            receivers: &batch.receivers,
        })?;
        if let Some(p) = self.tail.atom_prompts(batch)? {
            h = (h + p)?;
        }
        self.tail.forward(&sum_pool(&h, batch)?, batch)
    }

    fn loss(&self, batch: &CrystalBatch) -> Result<Tensor> {
        batch_rmse(&self.predict(batch)?, &targets(batch, self.n_energies)?)
    }
}
