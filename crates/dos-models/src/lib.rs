//! # dos-models
//!
//! DOSTransformer and its baselines behind one trait, [`DosModel`].

pub mod model;

pub use model::DosModel;
