//! Configuration of the GNN.

use serde::{Deserialize, Serialize};

use dos_config::CheckFields;

use crate::GraphError;

/// How a node combines the messages `b_ij` of its incoming edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregation {
    /// `sum_j b_ij` (electron DOS in the paper).
    Sum,
    /// `mean_j b_ij`, 0 for a node without incoming edges (phonon DOS in the paper).
    Mean,
}

/// Largest node, edge or hidden width (the same limit as `dos_models::size_limits`).
pub const MAX_WIDTH: usize = 8_192;

/// Largest number of processor layers (the same limit as `dos_models::size_limits`).
pub const MAX_LAYERS: usize = 64;

/// Configuration of [`Gnn`](crate::Gnn).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GnnConfig {
    /// Width F of the node features (input).
    pub node_in: usize,
    /// Width F_e of the edge features (input).
    pub edge_in: usize,
    /// Hidden width d of node and edge states (paper: 256).
    pub hidden: usize,
    /// Number L' of processor layers (paper: 3; 0 means encoders only).
    pub layers: usize,
    /// Aggregation of incoming edges (paper: mean for phonons, sum for electrons).
    pub aggregation: Aggregation,
}

impl GnnConfig {
    /// The paper's phonon GNN: d = 256, L' = 3, mean aggregation.
    pub fn phonon(node_in: usize, edge_in: usize) -> Self {
        Self {
            node_in,
            edge_in,
            hidden: 256,
            layers: 3,
            aggregation: Aggregation::Mean,
        }
    }

    /// The paper's electron GNN: d = 256, L' = 3, sum aggregation.
    pub fn electron(node_in: usize, edge_in: usize) -> Self {
        Self {
            aggregation: Aggregation::Sum,
            ..Self::phonon(node_in, edge_in)
        }
    }
}

impl CheckFields for GnnConfig {
    type Error = GraphError;

    /// Every width in `1..=`[`MAX_WIDTH`] and `layers <= `[`MAX_LAYERS`].
    fn check_fields(&self) -> Result<(), GraphError> {
        for (field, v, min, max) in [
            ("node_in", self.node_in, 1, MAX_WIDTH),
            ("edge_in", self.edge_in, 1, MAX_WIDTH),
            ("hidden", self.hidden, 1, MAX_WIDTH),
            ("layers", self.layers, 0, MAX_LAYERS),
        ] {
            if !(min..=max).contains(&v) {
                return Err(GraphError::InvalidConfig {
                    field,
                    message: format!("{v} is outside {min}..={max}"),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_config::Check;

    #[test]
    fn presets_validate_and_roundtrip() {
        let cfg = GnnConfig::phonon(118, 4);
        cfg.check().unwrap();
        let json = serde_json::to_string(&cfg).unwrap();
        assert!(json.contains("\"aggregation\":\"mean\""), "{json}");
        let back: GnnConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cfg);
        assert_eq!(GnnConfig::electron(200, 41).aggregation, Aggregation::Sum);
    }

    #[test]
    fn zero_width_is_rejected_with_field_name() {
        let cfg = GnnConfig {
            hidden: 0,
            ..GnnConfig::phonon(118, 4)
        };
        let err = cfg.check().unwrap_err().to_string();
        assert!(err.contains("`hidden`"), "{err}");
    }

    #[test]
    fn huge_sizes_are_rejected_with_field_and_range() {
        let deep = GnnConfig {
            layers: 1_000_000,
            ..GnnConfig::phonon(118, 4)
        };
        let err = deep.check().unwrap_err().to_string();
        assert!(err.contains("`layers`: 1000000 is outside 0..=64"), "{err}");
        let wide = GnnConfig {
            hidden: 1 << 40,
            ..GnnConfig::phonon(118, 4)
        };
        assert!(wide.check().unwrap_err().to_string().contains("`hidden`"));
    }
}
