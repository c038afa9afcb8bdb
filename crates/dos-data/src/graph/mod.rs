//! Periodic crystal graphs: neighbour lists, node and edge featurisers, `CrystalGraph` and
//! batching into a [`crate::CrystalBatch`].

pub mod neighbor_list;

pub use neighbor_list::{neighbor_list, neighbor_list_with, NeighborList, NeighborOptions};
