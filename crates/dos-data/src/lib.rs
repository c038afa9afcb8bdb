//! # dos-data
//!
//! Everything between a file on disk and a batch of tensors a model can take: the
//! [`Crystal`] type, element data, readers, symmetry analysis, periodic neighbour lists and
//! featurisers, [`CrystalBatch`], DOS documents and processing, datasets and splits. The
//! physics generators (`physics`) are behind the default-off feature `physics`.

pub mod batch;
pub mod benchmark;
mod cell_list;
pub mod crystal;
pub mod dataset;
pub mod dos;
pub mod elements;
pub mod error;
pub mod graph;
pub mod io;
pub mod mat3;
#[cfg(feature = "physics")]
pub mod physics;
pub mod split;
pub mod symmetry;

pub use batch::CrystalBatch;
pub use crystal::Crystal;
pub use dos_config::{Check, Checked};
pub use error::{CrystalError, DataError, Result};
