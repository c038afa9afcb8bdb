//! [`GraphConfig`]: how a crystal becomes a graph (neighbour search and featurisers), with the
//! paper's phonon and electron presets.

use dos_config::Check;

use crate::error::{DataError, Result};
use crate::graph::edge_features::{
    CutoffSphericalHarmonics, EdgeFeaturizer, GaussianDistance, RawVector,
};
use crate::graph::neighbor_list::NeighborOptions;
use crate::graph::node_features::{ElementProperties, MassOneHot, NodeFeaturizer};

/// Which node featuriser to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeFeatureKind {
    /// [`MassOneHot`]: 118-wide, atomic mass at slot Z - 1 (phonon model as released).
    MassOneHot,
    /// [`ElementProperties`]: 33 normalised element properties.
    ElementProperties,
}

/// Which edge featuriser to use.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeFeatureKind {
    /// [`GaussianDistance`] expansion of the edge length.
    GaussianDistance(GaussianDistance),
    /// [`CutoffSphericalHarmonics`] with `r_max` = the graph cutoff (4 numbers).
    CutoffSphericalHarmonics,
    /// [`RawVector`]: the edge vector itself (3 numbers).
    RawVector,
}

/// How to turn a crystal into a graph.
///
/// Edges: every periodic pair within `cutoff` (see [`crate::graph::NeighborList`]), capped to
/// the `k_nearest` nearest neighbours per atom when set. Features: per `node` and `edge`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GraphConfig {
    /// Neighbour cutoff radius in Angstrom, finite and > 0.
    pub cutoff: f64,
    /// Keep only this many nearest neighbours per atom (within the cutoff); `None` keeps all.
    pub k_nearest: Option<usize>,
    /// Node featuriser.
    pub node: NodeFeatureKind,
    /// Edge featuriser.
    pub edge: EdgeFeatureKind,
}

impl GraphConfig {
    /// Phonon model as released: radius graph with cutoff 4 A, [`MassOneHot`] nodes,
    /// [`CutoffSphericalHarmonics`] edges (F = 118, F_e = 4).
    pub fn phonon() -> Self {
        Self {
            cutoff: 4.0,
            k_nearest: None,
            node: NodeFeatureKind::MassOneHot,
            edge: EdgeFeatureKind::CutoffSphericalHarmonics,
        }
    }

    /// Electron model: the 12 nearest neighbours within 8 A, [`ElementProperties`] nodes (the
    /// release uses learned 200-d embeddings instead), [`GaussianDistance::electron`] edges
    /// (F = 33, F_e = 41).
    pub fn electron() -> Self {
        Self {
            cutoff: 8.0,
            k_nearest: Some(12),
            node: NodeFeatureKind::ElementProperties,
            edge: EdgeFeatureKind::GaussianDistance(GaussianDistance::electron()),
        }
    }
}

impl Check for GraphConfig {
    type Checked = CheckedGraphConfig;
    type Error = DataError;

    /// Checks every field and builds the featurisers.
    ///
    /// # Errors
    /// [`DataError::Invalid`] naming the field (`cutoff`, `k_nearest`, `gaussian.*`).
    fn check(&self) -> Result<CheckedGraphConfig> {
        let neighbors = NeighborOptions {
            k_nearest: self.k_nearest,
            ..NeighborOptions::radius(self.cutoff)
        };
        neighbors.check()?;
        let node: Box<dyn NodeFeaturizer> = match self.node {
            NodeFeatureKind::MassOneHot => Box::new(MassOneHot::new()),
            NodeFeatureKind::ElementProperties => Box::new(ElementProperties::new()),
        };
        let edge: Box<dyn EdgeFeaturizer> = match self.edge {
            EdgeFeatureKind::GaussianDistance(g) => {
                g.check()?;
                Box::new(g)
            }
            EdgeFeatureKind::CutoffSphericalHarmonics => {
                Box::new(CutoffSphericalHarmonics { r_max: self.cutoff })
            }
            EdgeFeatureKind::RawVector => Box::new(RawVector),
        };
        if node.dim() == 0 || edge.dim() == 0 {
            return Err(DataError::Invalid {
                field: "graph".into(),
                message: "featurisers must have width > 0".into(),
            });
        }
        Ok(CheckedGraphConfig {
            config: *self,
            neighbors,
            node,
            edge,
        })
    }
}

/// A checked [`GraphConfig`] with its featurisers built (from [`Check::check`]).
#[derive(Debug)]
pub struct CheckedGraphConfig {
    config: GraphConfig,
    neighbors: NeighborOptions,
    node: Box<dyn NodeFeaturizer>,
    edge: Box<dyn EdgeFeaturizer>,
}

impl CheckedGraphConfig {
    /// The configuration it was built from.
    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// Neighbour-search options (cutoff, k nearest).
    pub fn neighbor_options(&self) -> &NeighborOptions {
        &self.neighbors
    }

    /// The node featuriser.
    pub fn node_featurizer(&self) -> &dyn NodeFeaturizer {
        self.node.as_ref()
    }

    /// The edge featuriser.
    pub fn edge_featurizer(&self) -> &dyn EdgeFeaturizer {
        self.edge.as_ref()
    }

    /// Node feature width F.
    pub fn node_dim(&self) -> usize {
        self.node.dim()
    }

    /// Edge feature width F_e.
    pub fn edge_dim(&self) -> usize {
        self.edge.dim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_with_the_documented_widths_and_roundtrip_through_json() {
        let p = GraphConfig::phonon().check().unwrap();
        assert_eq!((p.node_dim(), p.edge_dim()), (118, 4));
        let e = GraphConfig::electron().check().unwrap();
        assert_eq!((e.node_dim(), e.edge_dim()), (33, 41));
        for cfg in [GraphConfig::phonon(), GraphConfig::electron()] {
            let json = serde_json::to_string(&cfg).unwrap();
            let back: GraphConfig = serde_json::from_str(&json).unwrap();
            assert_eq!(back, cfg);
        }
    }

    #[test]
    fn invalid_fields_are_named() {
        let cfg = GraphConfig {
            cutoff: -1.0,
            ..GraphConfig::phonon()
        };
        assert!(matches!(cfg.check(), Err(DataError::Invalid { field, .. }) if field == "cutoff"));
        let cfg = GraphConfig {
            k_nearest: Some(0),
            ..GraphConfig::phonon()
        };
        assert!(
            matches!(cfg.check(), Err(DataError::Invalid { field, .. }) if field == "k_nearest")
        );
        let cfg = GraphConfig {
            edge: EdgeFeatureKind::GaussianDistance(GaussianDistance {
                width: 0.0,
                ..GaussianDistance::electron()
            }),
            ..GraphConfig::electron()
        };
        assert!(
            matches!(cfg.check(), Err(DataError::Invalid { field, .. }) if field == "gaussian.width")
        );
    }
}
