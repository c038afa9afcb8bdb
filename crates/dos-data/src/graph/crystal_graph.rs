//! [`CrystalGraph`] (one crystal's featurised periodic graph, CPU, f64) and [`Sample`] (a
//! crystal with its graph, crystal system and optional target).

use crate::crystal::Crystal;
use crate::error::{DataError, Result};
use crate::graph::config::CheckedGraphConfig;
use crate::graph::neighbor_list::neighbor_list_with;
use crate::symmetry::CrystalSystem;

/// One crystal as a featurised directed graph, on the CPU in f64.
///
/// Edge `e` carries a message from `senders[e]` (neighbour j) to `receivers[e]` (centre i);
/// `edge_vectors[e] = r_j + shifts[e] · lattice - r_i` (see [`crate::graph::NeighborList`]).
///
/// # Shapes
/// - `node_features`: (N * node_dim,) row-major (N, F)
/// - `edge_features`: (E * edge_dim,) row-major (E, F_e)
/// - `edge_vectors`, `shifts`: (E,) triples
/// - `senders`, `receivers`: (E,)
#[derive(Debug, Clone, PartialEq)]
pub struct CrystalGraph {
    /// Number of atoms N.
    pub n_atoms: usize,
    /// Node feature width F.
    pub node_dim: usize,
    /// Edge feature width F_e.
    pub edge_dim: usize,
    /// Node features, row-major (N, F).
    pub node_features: Vec<f64>,
    /// Edge features, row-major (E, F_e).
    pub edge_features: Vec<f64>,
    /// Edge vectors `r_j + S · lattice - r_i`, Angstrom.
    pub edge_vectors: Vec<[f64; 3]>,
    /// Integer lattice image S of each edge's sender.
    pub shifts: Vec<[i32; 3]>,
    /// Sender (neighbour j) of each edge.
    pub senders: Vec<u32>,
    /// Receiver (centre i) of each edge.
    pub receivers: Vec<u32>,
}

impl CrystalGraph {
    /// Build the graph of `crystal`: neighbour list per `config`, then node and edge features.
    ///
    /// # Errors
    /// From the neighbour search (e.g. a cutoff needing too many images).
    ///
    /// # Example
    /// ```
    /// use dos_data::Check;
    /// use dos_data::{graph::{CrystalGraph, GraphConfig}, Crystal};
    /// let a = 5.64;
    /// let l = [[0.0, a / 2.0, a / 2.0], [a / 2.0, 0.0, a / 2.0], [a / 2.0, a / 2.0, 0.0]];
    /// let nacl = Crystal::from_fractional(l, vec![11, 17], &[[0.0; 3], [0.5; 3]]).unwrap();
    /// let cfg = GraphConfig::phonon().check().unwrap();
    /// let g = CrystalGraph::new(&nacl, &cfg).unwrap();
    /// assert_eq!((g.n_atoms, g.node_dim, g.edge_dim), (2, 118, 4));
    /// assert_eq!(g.n_edges(), 36); // 6 + 12 neighbours per atom within 4 A
    /// ```
    pub fn new(crystal: &Crystal, config: &CheckedGraphConfig) -> Result<Self> {
        let edges = neighbor_list_with(crystal, config.neighbor_options())?;
        let node_features = config.node_featurizer().features(crystal);
        let edge_features = config.edge_featurizer().features(crystal, &edges);
        Ok(Self {
            n_atoms: crystal.n_atoms(),
            node_dim: config.node_dim(),
            edge_dim: config.edge_dim(),
            node_features,
            edge_features,
            edge_vectors: edges.vectors,
            shifts: edges.shifts,
            senders: edges.neighbors,
            receivers: edges.centers,
        })
    }

    /// Number of edges E.
    pub fn n_edges(&self) -> usize {
        self.senders.len()
    }
}

/// Prompt index of a crystal whose symmetry could not be determined (a [`Sample`] whose
/// `crystal_system` is `None`), as the batch's `crystal_system` tensor holds it: models give it
/// the mean of the trained crystal-system prompts.
pub const UNKNOWN_CRYSTAL_SYSTEM: u32 = CrystalSystem::ALL.len() as u32;

/// One example: a crystal, its graph, its crystal-system prompt index and (when known) its
/// target DOS.
///
/// # Shapes
/// - `target`: (M,) when present (M = 51 phonon, 201 electron)
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Identifier, e.g. a Materials Project id `mp-1000`.
    pub id: String,
    /// The structure.
    pub crystal: Crystal,
    /// Its featurised graph.
    pub graph: CrystalGraph,
    /// Crystal system, or `None` when its symmetry could not be determined.
    pub crystal_system: Option<CrystalSystem>,
    /// Target DOS on the energy grid, when known.
    pub target: Option<Vec<f64>>,
}

impl Sample {
    /// Build the graph of `crystal` and bundle it.
    ///
    /// # Errors
    /// [`DataError::Invalid`] when the target holds a non-finite value; errors of
    /// [`CrystalGraph::new`].
    pub fn new(
        id: impl Into<String>,
        crystal: Crystal,
        config: &CheckedGraphConfig,
        crystal_system: Option<CrystalSystem>,
        target: Option<Vec<f64>>,
    ) -> Result<Self> {
        let id = id.into();
        if let Some(t) = &target {
            if let Some(k) = t.iter().position(|x| !x.is_finite()) {
                return Err(DataError::Invalid {
                    field: format!("target of {id}"),
                    message: format!("value {k} is {}", t[k]),
                });
            }
        }
        let graph = CrystalGraph::new(&crystal, config).map_err(|e| match e {
            DataError::LimitExceeded {
                structure,
                what,
                count,
                limit,
                limit_name,
            } => DataError::LimitExceeded {
                structure: format!("{id}: {structure}"),
                what,
                count,
                limit,
                limit_name,
            },
            e => e,
        })?;
        Ok(Self {
            id,
            crystal,
            graph,
            crystal_system,
            target,
        })
    }

    /// Prompt index of its crystal system ([`CrystalSystem::index`]), or
    /// [`UNKNOWN_CRYSTAL_SYSTEM`] when that is unknown.
    pub fn prompt_index(&self) -> u32 {
        self.crystal_system
            .map_or(UNKNOWN_CRYSTAL_SYSTEM, |s| s.index() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::skewed;
    use crate::graph::config::GraphConfig;
    use crate::Check;

    #[test]
    fn graph_fields_agree_with_the_neighbor_list_and_featurizers() {
        for cfg in [GraphConfig::phonon(), GraphConfig::electron()] {
            let cfg = cfg.check().unwrap();
            let c = skewed();
            let g = CrystalGraph::new(&c, &cfg).unwrap();
            let nl = neighbor_list_with(&c, cfg.neighbor_options()).unwrap();
            assert_eq!(g.n_edges(), nl.len());
            assert_eq!(g.senders, nl.neighbors);
            assert_eq!(g.receivers, nl.centers);
            assert_eq!(g.node_features.len(), 3 * g.node_dim);
            assert_eq!(g.edge_features.len(), g.n_edges() * g.edge_dim);
            assert!(g.edge_features.iter().all(|x| x.is_finite()));
        }
        // electron preset: exactly 12 neighbours per atom (this cell is dense within 8 A)
        let g = CrystalGraph::new(&skewed(), &GraphConfig::electron().check().unwrap()).unwrap();
        assert_eq!(g.n_edges(), 36);
    }

    #[test]
    fn sample_rejects_bad_target_and_knows_its_prompt_index() {
        let cfg = GraphConfig::phonon().check().unwrap();
        let cubic = Some(CrystalSystem::Cubic);
        assert!(Sample::new("x", skewed(), &cfg, cubic, Some(vec![f64::NAN])).is_err());
        let tri = Some(CrystalSystem::Triclinic);
        let s = Sample::new("x", skewed(), &cfg, tri, Some(vec![0.5; 51])).unwrap();
        assert_eq!((s.graph.n_atoms, s.prompt_index()), (3, 6));
        let s = Sample::new("x", skewed(), &cfg, None, None).unwrap();
        assert_eq!(s.prompt_index(), UNKNOWN_CRYSTAL_SYSTEM);
    }
}
