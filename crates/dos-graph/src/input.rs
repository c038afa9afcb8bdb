//! The graph tensors read by the GNN.

use candle_core::{DType, Tensor};

use crate::GraphError;

/// A (possibly multi-crystal) graph: node and edge features plus edge endpoints.
///
/// Edge `e` carries a message from `senders[e]` (neighbour j) to `receivers[e]` (centre i).
///
/// # Shapes
/// - `node_features`: `(N, F)`
/// - `edge_features`: `(E, F_e)`
/// - `senders`, `receivers`: `(E,)` u32, entries `< N`
#[derive(Debug, Clone, Copy)]
pub struct GraphInput<'a> {
    /// Node features `(N, F)`.
    pub node_features: &'a Tensor,
    /// Edge features `(E, F_e)`.
    pub edge_features: &'a Tensor,
    /// Sending node j of each edge `(E,)` u32.
    pub senders: &'a Tensor,
    /// Receiving node i of each edge `(E,)` u32.
    pub receivers: &'a Tensor,
}

impl<'a> GraphInput<'a> {
    /// Number of nodes N.
    pub fn n_nodes(&self) -> usize {
        self.node_features.dims().first().copied().unwrap_or(0)
    }

    /// Checks ranks, widths, index dtypes and that the edge tensors agree on E; returns
    /// `(N, E)`. Index ranges are checked by candle's `index_select` / `index_add`.
    pub fn check_shapes(
        &self,
        node_in: usize,
        edge_in: usize,
    ) -> Result<(usize, usize), GraphError> {
        let bad = |name, expected: String, got: String| GraphError::InvalidInput {
            name,
            expected,
            got,
        };
        let (n, f) = self.node_features.dims2().map_err(|_| {
            bad(
                "node_features",
                format!("(N, {node_in})"),
                format!("{:?}", self.node_features.dims()),
            )
        })?;
        if f != node_in {
            return Err(bad(
                "node_features",
                format!("(N, {node_in})"),
                format!("({n}, {f})"),
            ));
        }
        let (e, fe) = self.edge_features.dims2().map_err(|_| {
            bad(
                "edge_features",
                format!("(E, {edge_in})"),
                format!("{:?}", self.edge_features.dims()),
            )
        })?;
        if fe != edge_in {
            return Err(bad(
                "edge_features",
                format!("(E, {edge_in})"),
                format!("({e}, {fe})"),
            ));
        }
        for (name, t) in [("senders", self.senders), ("receivers", self.receivers)] {
            if t.dims() != [e] || t.dtype() != DType::U32 {
                return Err(bad(
                    name,
                    format!("({e},) u32"),
                    format!("{:?} {:?}", t.dims(), t.dtype()),
                ));
            }
        }
        if self.edge_features.dtype() != self.node_features.dtype() {
            return Err(bad(
                "edge_features",
                format!("dtype {:?} (as node_features)", self.node_features.dtype()),
                format!("{:?}", self.edge_features.dtype()),
            ));
        }
        Ok((n, e))
    }
}
