//! # dos-data
//!
//! Everything between a file on disk and a batch of tensors a model can take:
//! - structures: [`Crystal`] ([`crystal`]), [`elements`], [`mat3`] (3x3 lattice maths),
//!   [`symmetry`], [`fixtures`] (known crystals for examples and tests);
//! - files: [`io`] (structure readers and writers, the phonon benchmark CSV, DOS tables and
//!   documents, generated electron datasets), [`benchmark`] (the embedded phonon data);
//! - graphs and batches: [`graph`] (neighbour lists, features), [`CrystalBatch`] ([`batch`]);
//! - targets and data sets: [`dos`] (DOS documents and processing), [`dataset`], [`split`].
//!
//! Errors are one [`DataError`] naming the file, record and field. The physics generators
//! live in the `dos-synth` crate.

pub mod batch;
pub mod benchmark;
mod cell_list;
pub mod crystal;
pub mod dataset;
pub mod dos;
pub mod elements;
pub mod error;
pub mod fixtures;
pub mod graph;
pub mod io;
pub mod mat3;
pub mod split;
pub mod symmetry;

pub use batch::CrystalBatch;
pub use crystal::Crystal;
pub use dos_config::{Check, CheckFields, Checked};
pub use error::{CrystalError, DataError, Result};
