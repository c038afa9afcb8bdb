//! [`BatchSource`]: where the trainer gets its mini-batches from.

use candle_core::{DType, Device};
use dos_data::graph::Sample;
use dos_data::CrystalBatch;

use crate::error::{Result, TrainError};

/// A set of crystals that can be cut into [`CrystalBatch`]es.
///
/// The trainer only asks for batches by crystal index, so a source may build them lazily
/// (e.g. with `CrystalBatch::from_samples`) and the trainer caches those that repeat. Sources
/// are `Sync` so that inference can build batches on several threads.
pub trait BatchSource: Sync {
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

/// [`BatchSource`] over featurised [`Sample`]s, batched with [`CrystalBatch::from_samples`].
#[derive(Debug, Clone)]
pub struct SampleSource<'a> {
    samples: Vec<&'a Sample>,
    device: Device,
    dtype: DType,
}

impl<'a> SampleSource<'a> {
    /// Every sample of `samples`, batched on `device` in `dtype`.
    pub fn new(samples: &'a [Sample], device: &Device, dtype: DType) -> Self {
        Self::from_refs(samples.iter().collect(), device, dtype)
    }

    /// The samples `indices` of `samples` (e.g. one split of a data set).
    ///
    /// # Errors
    /// [`TrainError::Data`] when an index is out of range.
    pub fn subset(
        samples: &'a [Sample],
        indices: &[usize],
        device: &Device,
        dtype: DType,
    ) -> Result<Self> {
        let refs = indices
            .iter()
            .map(|&i| {
                samples.get(i).ok_or_else(|| {
                    TrainError::Data(format!(
                        "split index {i} is out of range for {} samples",
                        samples.len()
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::from_refs(refs, device, dtype))
    }

    /// Explicit sample references.
    pub fn from_refs(samples: Vec<&'a Sample>, device: &Device, dtype: DType) -> Self {
        Self {
            samples,
            device: device.clone(),
            dtype,
        }
    }

    /// The samples, in source order.
    pub fn samples(&self) -> &[&'a Sample] {
        &self.samples
    }
}

impl BatchSource for SampleSource<'_> {
    fn len(&self) -> usize {
        self.samples.len()
    }

    fn batch(&self, indices: &[usize]) -> Result<CrystalBatch> {
        let picked = indices
            .iter()
            .map(|&i| {
                self.samples.get(i).copied().ok_or_else(|| {
                    TrainError::Data(format!(
                        "batch index {i} is out of range for {} samples",
                        self.samples.len()
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CrystalBatch::from_samples(
            &picked,
            &self.device,
            self.dtype,
        )?)
    }

    fn device(&self) -> &Device {
        &self.device
    }

    fn dtype(&self) -> DType {
        self.dtype
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_config::Check;
    use dos_data::graph::GraphConfig;
    use dos_data::Crystal;

    #[test]
    fn subset_batches_in_order_and_rejects_bad_indices() {
        let cfg = GraphConfig::phonon().check().unwrap();
        let l = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]];
        let samples: Vec<Sample> = (0..4)
            .map(|i| {
                let c = Crystal::new(l, vec![29], vec![[0.0; 3]]).unwrap();
                Sample::new(
                    format!("s{i}"),
                    c,
                    &cfg,
                    Some(dos_data::symmetry::CrystalSystem::Cubic),
                    Some(vec![i as f64; 51]),
                )
                .unwrap()
            })
            .collect();
        let src = SampleSource::subset(&samples, &[3, 1], &Device::Cpu, DType::F32).unwrap();
        assert_eq!(src.len(), 2);
        let b = src.batch(&[1, 0]).unwrap();
        assert_eq!(b.ids, vec!["s1".to_string(), "s3".to_string()]);
        assert!(src.batch(&[2]).is_err());
        assert!(SampleSource::subset(&samples, &[9], &Device::Cpu, DType::F32).is_err());
    }
}
