//! dos-graph: encoder-processor message passing over crystal graphs (DOSTransformer GNN,
//! paper eq. 4-5) on candle.
//!
//! - [`GnnConfig`] / [`Gnn`]: node and edge encoders, then `layers` residual
//!   [`ProcessorLayer`]s (edge update, then node update with a sum or mean over incoming
//!   edges);
//! - [`HostGnn`]: a hand-written forward and backward pass of the [`Gnn`] on the CPU (no
//!   autograd graph), tested against it;
//! - [`GraphInput`]: the graph tensors a [`Gnn`] reads (plain tensors: this crate knows
//!   nothing of crystals);
//! - [`segment_sum`] / [`segment_mean`] / [`pool()`]: reductions by index with `index_add`
//!   (which has a correct backward, unlike `scatter_add`);
//! - [`to_padded`]: per-node rows to the padded `(B, n_max, d)` layout of the attention blocks.

pub mod config;
pub mod error;
pub mod gnn;
#[doc(hidden)]
pub mod host_gnn;
pub mod input;
pub mod padded;
pub mod pool;
pub mod processor;
pub mod segment;

pub use config::{Aggregation, GnnConfig};
pub use dos_config::{Check, CheckFields, Checked};
pub use error::GraphError;
pub use gnn::Gnn;
#[doc(hidden)]
pub use host_gnn::{HostGnn, HostGnnTape, HostGraph};
pub use input::GraphInput;
pub use padded::to_padded;
pub use pool::{pool, Pooling};
pub use processor::ProcessorLayer;
pub use segment::{segment_mean, segment_sum};
