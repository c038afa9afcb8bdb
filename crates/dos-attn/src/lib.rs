//! dos-attn: see README.
