//! [`BatchSource`]: where the trainer gets its mini-batches from.

use candle_core::{DType, Device};
use dos_data::CrystalBatch;

use crate::error::Result;

/// A set of crystals that can be cut into [`CrystalBatch`]es.
///
/// The trainer only asks for batches by crystal index, so a source may build them lazily
/// (e.g. with `CrystalBatch::from_samples`) and the trainer caches those that repeat.
pub trait BatchSource {
    /// Number of crystals.
    fn len(&self) -> usize;

    /// True when there is no crystal.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batch of crystals `indices` (each in `0..len()`), in that order.
    fn batch(&self, indices: &[usize]) -> Result<CrystalBatch>;

    /// Device the batches live on.
    fn device(&self) -> &Device;

    /// Float dtype of the batches.
    fn dtype(&self) -> DType;
}
