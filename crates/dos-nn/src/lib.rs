//! dos-nn: differentiable building blocks for dos-rs on candle.
//!
//! - [`LayerNorm`]: layer normalisation with a working backward pass (unlike
//!   `candle_nn::LayerNorm`, whose fused path has none);
//! - [`PRelu`]: parametric ReLU with one learnable slope, like `torch.nn.PReLU()`;
//! - [`EncoderMlp`], [`NormMlp`]: the two MLP shapes of the DOSTransformer GNN;
//! - [`masked_softmax()`]: softmax over keys with padded keys given exactly zero weight;
//! - [`FusedAdamW`]: AdamW updating named parameters in place (no temporaries on the CPU),
//!   with moments that can be checkpointed;
//! - [`SummedGrads`]: the gradients of a loss back-propagated in several parts;
//! - [`host`]: slice kernels (matrix products, LayerNorm) for hand-written forward and
//!   backward passes on the CPU;
//! - [`kernels`]: the CPU kernels (LayerNorm, PReLU, linear, the GNN edge sum, weight
//!   averaging, the AdamW update), each with its fallback on other devices;
//! - [`prefer_serial_elementwise`]: keeps candle's spinning element-wise thread pool off
//!   (call first in `main`; a 5x training speed-up on shared cores);
//! - [`fix_matmul_thread_count`]: pins candle's matrix-product thread count once (else it
//!   re-reads `/proc/cpuinfo` for every product);
//! - [`SeededVarMap`]: a `VarBuilder` backend whose initial weights are a function of a seed
//!   (candle cannot seed its CPU generator);
//! - [`gradcheck`]: a finite-difference gradient check over every variable of a `VarMap`.
//!
//! Every block is generic over the float dtype; use f64 for gradient checks.

pub mod adamw;
pub mod error;
pub mod gradcheck;
// Internals of the hand-written CPU passes (used by dos-attn, dos-graph, dos-models and the
// benches); not part of the documented API.
#[doc(hidden)]
pub mod host;
pub mod kernels;
pub mod layer_norm;
pub mod masked_softmax;
pub mod mlp;
pub mod prelu;
pub mod seeded_randn;
pub mod seeded_var_map;
pub mod summed_grads;
pub mod threads;

pub use adamw::FusedAdamW;
pub use error::NnError;
pub use gradcheck::{
    assert_gradients_ok, check_gradients, max_abs_diff, GradCheckOptions, GradReport,
};
pub use layer_norm::LayerNorm;
pub use masked_softmax::masked_softmax;
pub use mlp::{EncoderMlp, NormMlp};
pub use prelu::PRelu;
pub use seeded_randn::seeded_randn;
pub use seeded_var_map::SeededVarMap;
pub use summed_grads::SummedGrads;
pub use threads::{
    fix_matmul_thread_count, join_if_parallel, pool_is_parallel, prefer_serial_elementwise,
};
