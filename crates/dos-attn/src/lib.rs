//! dos-attn: the attention side of DOSTransformer on candle.
//!
//! - [`AttentionConfig`]: one block's settings; [`AttentionConfig::released`] reproduces the
//!   authors' block (single head, no learned Q/K/V projections, pre-LayerNorm, ReLU FFN);
//! - [`CrossAttention`] / [`CrossAttentionStack`]: energy tokens attend to the atoms of their
//!   crystal, with padded atoms masked out;
//! - [`SelfAttention`] / [`SelfAttentionStack`]: energy tokens attend to each other;
//! - [`AttentionStack`]: the blocks of either kind, then a final LayerNorm (the two stacks);
//! - [`HostStack`]: a hand-written forward and backward pass of the released stacks on the
//!   CPU (no autograd graph), tested against the candle modules;
//! - [`EnergyEmbedding`]: the learned `(M, d)` table of energy tokens;
//! - [`CrystalSystemPrompts`] with [`UnseenSystems`]: the `(7, d_prompt)` prompt table and
//!   the rule for crystal systems absent from training.

pub mod config;
pub mod cross_attention;
pub mod crystal_system_prompts;
pub mod dot_product;
pub mod energy_embedding;
pub mod error;
pub mod feed_forward;
#[doc(hidden)]
pub mod host_stack;
pub mod self_attention;
pub mod stack;

pub use config::AttentionConfig;
pub use cross_attention::{CrossAttention, CrossAttentionStack};
pub use crystal_system_prompts::{CrystalSystemPrompts, UnseenRule, UnseenSystems};
pub use dos_config::{Check, CheckFields, Checked};
pub use dot_product::DotProductAttention;
pub use energy_embedding::EnergyEmbedding;
pub use error::AttnError;
pub use feed_forward::FeedForward;
#[doc(hidden)]
pub use host_stack::{HostDims, HostKeys, HostStack, HostStackTape};
pub use self_attention::{SelfAttention, SelfAttentionStack};
pub use stack::{AttentionBlock, AttentionStack};
