//! [`predict_all`]: run a model over a whole split and collect predictions with their targets.

use std::time::Instant;

use candle_core::{DType, Tensor};
use dos_data::symmetry::CrystalSystem;
use dos_data::CrystalBatch;
use dos_models::DosModel;
use dos_predict::calibration::{ensemble_stats, Rows};
use rayon::prelude::*;

use crate::cache::BatchCache;
use crate::error::{Result, TrainError};
use crate::source::BatchSource;

/// Predictions of a model on a set of crystals, in the source's order.
///
/// # Shapes
/// `predicted[i]` and `target[i]` have M entries (the model's energy grid).
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// Crystal identifiers.
    pub ids: Vec<String>,
    /// Crystal system whose prompt the model used for each crystal (`None`: unknown, the
    /// mean of the trained prompts).
    pub crystal_system: Vec<Option<CrystalSystem>>,
    /// Predicted DOS per crystal.
    pub predicted: Vec<Vec<f64>>,
    /// True DOS per crystal, when every batch carried targets.
    pub target: Option<Vec<Vec<f64>>>,
    /// Wall-clock seconds of the inference pass (batch building included unless cached).
    pub seconds: f64,
}

impl Predictions {
    /// Number of crystals.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there is no crystal.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Mean over crystals of the per-crystal RMSE `sqrt(mean_k (p_k - y_k)^2)`: the validation
    /// loss used for early stopping (the inference-branch analogue of the training loss).
    /// None without targets or crystals.
    pub fn mean_rmse(&self) -> Option<f64> {
        let target = self.target.as_ref()?;
        if target.is_empty() {
            return None;
        }
        let total: f64 = self
            .predicted
            .iter()
            .zip(target)
            .map(|(p, y)| {
                let se: f64 = p.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum();
                (se / p.len().max(1) as f64).sqrt()
            })
            .sum();
        Some(total / target.len() as f64)
    }

    /// The ensemble of several models' predictions on the same crystals: the point-by-point
    /// mean ([`ensemble_stats`]) with the first member's ids, systems and targets (they do not
    /// depend on the model) and the members' seconds summed, plus the members' spread (`None`
    /// for one member).
    ///
    /// # Errors
    /// [`TrainError::Data`] when `members` is empty or the members differ in crystals, their
    /// order or the grid length.
    pub fn ensemble(mut members: Vec<Predictions>) -> Result<(Predictions, Option<Rows>)> {
        if let Some(k) = members.iter().position(|m| m.ids != members[0].ids) {
            return Err(TrainError::Data(format!(
                "ensemble member {k} predicts other crystals (or another order) than member 0"
            )));
        }
        let rows: Vec<Rows> = members
            .iter_mut()
            .map(|m| std::mem::take(&mut m.predicted))
            .collect();
        let (mean, spread) =
            ensemble_stats(&rows).map_err(|e| TrainError::Data(format!("ensemble: {e}")))?;
        let seconds = members.iter().map(|m| m.seconds).sum();
        let mut out = members.swap_remove(0);
        out.predicted = mean;
        out.seconds = seconds;
        Ok((out, spread))
    }
}

fn rows(t: &Tensor) -> Result<Vec<Vec<f64>>> {
    Ok(t.to_dtype(DType::F64)?.to_vec2::<f64>()?)
}

/// One batch's share of [`Predictions`].
struct BatchPredictions {
    ids: Vec<String>,
    crystal_system: Vec<Option<CrystalSystem>>,
    predicted: Vec<Vec<f64>>,
    target: Option<Vec<Vec<f64>>>,
}

fn predict_batch(model: &dyn DosModel, batch: &CrystalBatch) -> Result<BatchPredictions> {
    Ok(BatchPredictions {
        ids: batch.ids.clone(),
        crystal_system: batch
            .crystal_system
            .to_vec1::<u32>()?
            .into_iter()
            .map(|i| CrystalSystem::from_index(i as usize))
            .collect(),
        predicted: rows(&model.predict(batch)?)?,
        target: batch.targets.as_ref().map(rows).transpose()?,
    })
}

/// Runs `model.predict` over every crystal of `source` in order, `batch_size` crystals at a time.
/// Batches are taken from `cache` when given (and stored there).
///
/// On the CPU the batches run in parallel on rayon's pool (`RAYON_NUM_THREADS` threads; each
/// batch on one thread, its matrix products free to use idle ones): at inference sizes the
/// element-wise work between the products would otherwise leave all but one core idle. The
/// results do not depend on the number of threads.
///
/// # Errors
/// Batch building or model errors; [`TrainError::Data`] when the source is empty.
pub fn predict_all(
    model: &dyn DosModel,
    source: &dyn BatchSource,
    batch_size: usize,
    cache: Option<&mut BatchCache>,
) -> Result<Predictions> {
    if source.is_empty() {
        return Err(TrainError::Data("cannot evaluate on an empty split".into()));
    }
    let start = Instant::now();
    let n = source.len();
    let order: Vec<usize> = (0..n).collect();
    let chunks: Vec<&[usize]> = order.chunks(batch_size.max(1)).collect();
    let parallel = source.device().is_cpu() && rayon::current_num_threads() > 1;
    // With a cache, build its missing batches first (in order), then only read it.
    let cached: Option<&BatchCache> = match cache {
        Some(c) => {
            for chunk in &chunks {
                c.get_or_build(source, chunk)?;
            }
            Some(c)
        }
        None => None,
    };
    let one = |chunk: &&[usize]| -> Result<BatchPredictions> {
        match cached {
            Some(c) => predict_batch(
                model,
                c.get(chunk).ok_or_else(|| {
                    TrainError::Data("batch missing from the cache just filled".into())
                })?,
            ),
            None => predict_batch(model, &source.batch(chunk)?),
        }
    };
    let parts: Vec<BatchPredictions> = if parallel {
        chunks.par_iter().map(one).collect::<Result<_>>()?
    } else {
        chunks.iter().map(one).collect::<Result<_>>()?
    };
    let mut out = Predictions {
        ids: Vec::with_capacity(n),
        crystal_system: Vec::with_capacity(n),
        predicted: Vec::with_capacity(n),
        target: Some(Vec::with_capacity(n)),
        seconds: 0.0,
    };
    for part in parts {
        out.ids.extend(part.ids);
        out.crystal_system.extend(part.crystal_system);
        out.predicted.extend(part.predicted);
        match (part.target, out.target.as_mut()) {
            (Some(t), Some(all)) => all.extend(t),
            _ => out.target = None,
        }
    }
    out.seconds = start.elapsed().as_secs_f64();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_config::Check;

    #[test]
    fn mean_rmse_is_per_crystal_then_averaged() {
        let p = Predictions {
            ids: vec!["a".into(), "b".into()],
            crystal_system: vec![Some(CrystalSystem::Cubic), Some(CrystalSystem::Hexagonal)],
            predicted: vec![vec![0.0, 0.0], vec![1.0, 1.0]],
            target: Some(vec![vec![3.0, 4.0], vec![1.0, 1.0]]),
            seconds: 0.0,
        };
        // crystal a: sqrt((9 + 16) / 2); crystal b: 0.
        let want = (12.5f64).sqrt() / 2.0;
        assert!((p.mean_rmse().unwrap() - want).abs() < 1e-12);
    }

    /// Batches run on one thread or several (with and without the cache) give the same
    /// predictions as calling the model batch by batch, in the source's order.
    #[test]
    fn parallel_batches_equal_sequential_predictions() {
        use crate::run::tests::small_cfg;
        use crate::SampleSource;
        use candle_core::{DType, Device};
        use dos_models::{AnyModel, ModelKind};
        let cfg = small_cfg(ModelKind::DosTransformer, 1);
        let data = crate::generated_phonon_dataset(11, 4, 2, &cfg.graph).unwrap();
        let model_cfg = cfg.model.check().unwrap();
        let (model, _vm) = AnyModel::build(&model_cfg, &Device::Cpu).unwrap();
        let idx: Vec<usize> = (0..data.len()).collect();
        let src = SampleSource::subset(&data.samples, &idx, &Device::Cpu, DType::F32).unwrap();
        let mut want = Vec::new();
        for chunk in idx.chunks(3) {
            want.extend(rows(&model.predict(&src.batch(chunk).unwrap()).unwrap()).unwrap());
        }
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut cache = BatchCache::new();
            for cached in [false, true] {
                let got = pool
                    .install(|| predict_all(&model, &src, 3, cached.then_some(&mut cache)))
                    .unwrap();
                assert_eq!(got.predicted, want, "{threads} threads, cache {cached}");
                assert_eq!(got.ids.len(), 11);
                assert_eq!(got.ids[4], data.samples[4].id);
                assert_eq!(got.target.unwrap().len(), 11);
            }
        }
    }

    fn preds(ids: &[&str], rows: Vec<Vec<f64>>) -> Predictions {
        Predictions {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            crystal_system: vec![Some(CrystalSystem::Cubic); ids.len()],
            predicted: rows,
            target: None,
            seconds: 1.0,
        }
    }

    #[test]
    fn ensemble_averages_point_by_point_and_checks_members() {
        let a = preds(&["x", "y"], vec![vec![0.0, 1.0], vec![2.0, 4.0]]);
        let b = preds(&["x", "y"], vec![vec![1.0, 1.0], vec![0.0, 0.0]]);
        let c = preds(&["x", "y"], vec![vec![2.0, 4.0], vec![1.0, 2.0]]);
        let (m, spread) = Predictions::ensemble(vec![a.clone(), b, c]).unwrap();
        assert_eq!(m.predicted, vec![vec![1.0, 2.0], vec![1.0, 2.0]]);
        assert_eq!(m.seconds, 3.0);
        // Sample standard deviation of (0, 1, 2) is 1.
        assert!((spread.unwrap()[0][0] - 1.0).abs() < 1e-12);
        let (one, none) = Predictions::ensemble(vec![a.clone()]).unwrap();
        assert_eq!((one, none), (a.clone(), None));
        assert!(Predictions::ensemble(Vec::new()).is_err());
        let swapped = preds(&["y", "x"], vec![vec![0.0, 0.0], vec![0.0, 0.0]]);
        assert!(Predictions::ensemble(vec![a.clone(), swapped]).is_err());
        let short = preds(&["x", "y"], vec![vec![0.0], vec![0.0]]);
        assert!(Predictions::ensemble(vec![a, short]).is_err());
    }
}
