//! Parallel, deterministic dataset generation (placeholder, filled in below).
