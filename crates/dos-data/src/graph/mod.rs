//! Periodic crystal graphs: neighbour lists ([`neighbor_list()`]), node and edge featurisers,
//! [`GraphConfig`], [`CrystalGraph`] / [`Sample`], and batching into a
//! [`crate::CrystalBatch`] ([`crate::CrystalBatch::from_samples`]).

pub mod batching;
pub mod config;
pub mod crystal_graph;
pub mod edge_features;
pub mod neighbor_list;
pub mod node_features;

pub use config::{CheckedGraphConfig, EdgeFeatureKind, GraphConfig, NodeFeatureKind};
pub use crystal_graph::{CrystalGraph, Sample, UNKNOWN_CRYSTAL_SYSTEM};
pub use edge_features::{
    smooth_cutoff, CutoffSphericalHarmonics, EdgeFeaturizer, GaussianDistance, RawVector,
};
pub use neighbor_list::{neighbor_list, neighbor_list_with, NeighborList, NeighborOptions};
pub use node_features::{ElementProperties, MassOneHot, NodeFeaturizer, N_ELEMENTS};
