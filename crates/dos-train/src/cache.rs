//! [`BatchCache`]: keeps built batches whose crystal lists repeat (evaluation splits, batch size
//! 1, unshuffled training), so graphs and tensors are built once per run.

use std::collections::HashMap;

use dos_data::CrystalBatch;

use crate::error::Result;
use crate::source::BatchSource;

/// Batches keyed by their crystal indices.
#[derive(Debug, Default)]
pub struct BatchCache {
    batches: HashMap<Vec<usize>, CrystalBatch>,
}

impl BatchCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The batch of `indices`, built by `source` on first use.
    pub fn get_or_build(
        &mut self,
        source: &dyn BatchSource,
        indices: &[usize],
    ) -> Result<&CrystalBatch> {
        if !self.batches.contains_key(indices) {
            let b = source.batch(indices)?;
            self.batches.insert(indices.to_vec(), b);
        }
        Ok(&self.batches[indices])
    }

    /// The cached batch of `indices`, if built.
    pub fn get(&self, indices: &[usize]) -> Option<&CrystalBatch> {
        self.batches.get(indices)
    }

    /// Number of cached batches.
    pub fn len(&self) -> usize {
        self.batches.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }
}
