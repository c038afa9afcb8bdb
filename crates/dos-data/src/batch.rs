//! [`CrystalBatch`]: several crystals as one concatenated graph plus a padded atom layout.

use candle_core::Tensor;

/// Several crystals ready for a model, on one candle `Device`, in one float dtype.
///
/// Graph layout: the crystals' atoms are concatenated (crystal `b` owns nodes
/// `node_offsets[b]..node_offsets[b + 1]`), edges index into that concatenation. An edge
/// `e` carries a message from `senders[e]` (neighbour j) to `receivers[e]` (centre i);
/// `edge_vectors[e] = r_j + shift · lattice - r_i`.
///
/// Attention layout: atoms padded per crystal to `n_max`; `padded_index` gathers nodes into
/// that layout (padding slots point at node 0 and are masked out by `atom_mask`).
///
/// # Shapes
/// - `node_features`: (N, F), N = total atoms
/// - `edge_features`: (E, F_e)
/// - `edge_vectors`: (E, 3), Cartesian, Angstrom
/// - `senders`, `receivers`: (E,) u32
/// - `node_crystal`: (N,) u32, crystal index of each node
/// - `padded_index`: (B * n_max,) u32
/// - `atom_mask`: (B, n_max), 1 for a real atom and 0 for padding, float dtype of the batch
/// - `crystal_system`: (B,) u32, prompt index 0..=6 (`CrystalSystem::index`) or 7 (`graph::UNKNOWN_CRYSTAL_SYSTEM`)
/// - `targets`: (B, M) when known
#[derive(Debug, Clone)]
pub struct CrystalBatch {
    /// Node features (N, F).
    pub node_features: Tensor,
    /// Edge features (E, F_e).
    pub edge_features: Tensor,
    /// Edge vectors r_j + shift - r_i (E, 3).
    pub edge_vectors: Tensor,
    /// Sending node j of each edge (E,) u32.
    pub senders: Tensor,
    /// Receiving node i of each edge (E,) u32.
    pub receivers: Tensor,
    /// Crystal index of each node (N,) u32.
    pub node_crystal: Tensor,
    /// Index gathering nodes into the padded (B, n_max) layout, flattened (B * n_max,) u32.
    pub padded_index: Tensor,
    /// 1 for real atoms, 0 for padding (B, n_max).
    pub atom_mask: Tensor,
    /// Crystal-system prompt index per crystal (B,) u32.
    pub crystal_system: Tensor,
    /// Target DOS (B, M), when known.
    pub targets: Option<Tensor>,
    /// Atoms per crystal, length B.
    pub atoms_per_crystal: Vec<usize>,
    /// Largest atom count in the batch.
    pub n_max: usize,
    /// Identifiers of the crystals, length B.
    pub ids: Vec<String>,
}

impl CrystalBatch {
    /// Number of crystals B.
    pub fn len(&self) -> usize {
        self.atoms_per_crystal.len()
    }

    /// True when the batch holds no crystal.
    pub fn is_empty(&self) -> bool {
        self.atoms_per_crystal.is_empty()
    }
}
