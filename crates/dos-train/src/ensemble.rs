//! Scoring a model package (one model or an ensemble, with its calibrated spread) on a split,
//! and joining run folders into one calibrated ensemble package.

use std::path::PathBuf;

use candle_core::Device;
use dos_data::dataset::Dataset;
use dos_data::graph::Sample;
use dos_data::split::Split;
use dos_predict::calibration::{self, Calibration, Rows};
use dos_predict::{ModelPackage, Predictor, SplitScore};
use rayon::prelude::*;

use crate::error::{Result, TrainError};
use crate::predictions::Predictions;
use crate::run::{split_metrics, SplitMetrics};

/// A package's predictions on a split, scored.
#[derive(Debug, Clone)]
pub struct EnsembleEvaluation {
    /// The ensemble mean per crystal, with targets.
    pub predictions: Predictions,
    /// Raw (uncalibrated) member spread per crystal and energy; `None` for one member.
    pub spread: Option<Vec<Vec<f64>>>,
    /// Errors of the mean.
    pub metrics: SplitMetrics,
    /// Fraction of points inside `mean +- 1.645 s spread` with the package's calibration scale
    /// `s` (1 when it has none); `None` for one member.
    pub coverage_90: Option<f64>,
    /// Members averaged.
    pub members: usize,
}

impl EnsembleEvaluation {
    /// The three paper numbers and the coverage, as a package records them.
    pub fn score(&self) -> SplitScore {
        SplitScore {
            n_crystals: self.metrics.overall.n_crystals,
            mse_x10: self.metrics.mse_x10,
            mae: self.metrics.overall.mae,
            r2: self.metrics.overall.r2,
            coverage_90: self.coverage_90,
        }
    }
}

/// Predicts the crystals `indices` of `data` with every member of `predictor`
/// ([`Predictor::member_predictions`], `batch_size` crystals at a time, batches in parallel on
/// rayon's pool) and scores the ensemble mean. `data` must be built with the predictor's graph
/// settings ([`Predictor::graph`]).
///
/// # Errors
/// Empty split, batch or model errors, a split without targets.
pub fn evaluate_predictor(
    predictor: &Predictor,
    data: &Dataset,
    indices: &[usize],
    batch_size: usize,
) -> Result<EnsembleEvaluation> {
    let start = std::time::Instant::now();
    let samples = indices
        .iter()
        .map(|&i| {
            data.samples.get(i).ok_or_else(|| {
                TrainError::Data(format!("crystal {i} is not in the data ({})", data.len()))
            })
        })
        .collect::<Result<Vec<&Sample>>>()?;
    if samples.is_empty() {
        return Err(TrainError::Data("cannot evaluate on an empty split".into()));
    }
    let chunks = samples
        .par_chunks(batch_size.max(1))
        .map(|chunk| predictor.member_predictions(chunk))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(predict_err)?;
    // [member][crystal][energy], the chunks joined in order.
    let mut rows: Vec<Rows> = vec![Vec::with_capacity(samples.len()); predictor.members().len()];
    for chunk in chunks {
        for (all, part) in rows.iter_mut().zip(chunk) {
            all.extend(part);
        }
    }
    let (mean, spread) = calibration::ensemble_stats(&rows).map_err(predict_err)?;
    let target = samples
        .iter()
        .map(|s| s.target.clone())
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| TrainError::Data("the split has no targets".into()))?;
    let predictions = Predictions {
        ids: samples.iter().map(|s| s.id.clone()).collect(),
        crystal_system: samples.iter().map(|s| s.crystal_system).collect(),
        predicted: mean,
        target: Some(target),
        seconds: start.elapsed().as_secs_f64(),
    };
    let metrics = split_metrics(&predictions, &samples)?;
    let scale = predictor
        .manifest()
        .calibration
        .as_ref()
        .map_or(1.0, |c| c.scale);
    let coverage_90 = spread
        .as_ref()
        .zip(predictions.target.as_ref())
        .map(|(s, target)| calibration::coverage(&predictions.predicted, s, target, scale))
        .transpose()
        .map_err(predict_err)?;
    Ok(EnsembleEvaluation {
        predictions,
        spread,
        metrics,
        coverage_90,
        members: rows.len(),
    })
}

fn predict_err(e: dos_predict::PredictError) -> TrainError {
    TrainError::Data(e.to_string())
}

/// What [`package_runs`] built: the package and its scores.
pub struct PackagedEnsemble {
    /// The calibrated ensemble (provenance filled in).
    pub package: ModelPackage,
    /// The calibration fitted on the validation split (two or more members).
    pub calibration: Option<Calibration>,
    /// Validation scores of the calibrated ensemble.
    pub valid: EnsembleEvaluation,
    /// Test scores of the calibrated ensemble (the test split is scored once, here).
    pub test: Option<EnsembleEvaluation>,
}

/// Joins run folders (or packages) into one ensemble package: members are taken in order,
/// must share task, graph settings and grid; the calibration scale is fitted on `split.valid`
/// of `data`, then the test split is scored once.
///
/// # Errors
/// Unreadable runs, members that do not fit together, an empty validation split.
pub fn package_runs(
    runs: &[PathBuf],
    data: &Dataset,
    split: &Split,
    batch_size: usize,
    device: &Device,
) -> Result<PackagedEnsemble> {
    let (first, rest) = runs
        .split_first()
        .ok_or_else(|| TrainError::Data("no run to package".into()))?;
    let mut package = ModelPackage::read(first).map_err(predict_err)?;
    for dir in rest {
        let other = ModelPackage::read(dir).map_err(predict_err)?;
        let (a, b) = (&package.manifest, &other.manifest);
        if a.task != b.task || a.graph != b.graph || a.energy_grid != b.energy_grid {
            return Err(TrainError::Data(format!(
                "{}: another task, graph settings or energy grid than {}",
                dir.display(),
                first.display()
            )));
        }
        package.manifest.members.extend(other.manifest.members);
        package.weights.extend(other.weights);
    }
    package.manifest.calibration = None;
    package.source = format!("ensemble of {}", runs.len());
    if split.valid.is_empty() {
        return Err(TrainError::Data(
            "the validation split is empty: nothing to calibrate on".into(),
        ));
    }
    let uncalibrated = Predictor::from_package(package.clone(), device).map_err(predict_err)?;
    let raw = evaluate_predictor(&uncalibrated, data, &split.valid, batch_size)?;
    let calibration = match &raw.spread {
        Some(spread) => {
            let target =
                raw.predictions.target.as_ref().ok_or_else(|| {
                    TrainError::Data("the validation split has no targets".into())
                })?;
            Some(
                calibration::fit(&raw.predictions.predicted, spread, target, "valid")
                    .map_err(predict_err)?,
            )
        }
        None => None,
    };
    package.manifest.calibration = calibration.clone();
    let predictor = Predictor::from_package(package.clone(), device).map_err(predict_err)?;
    let valid = evaluate_predictor(&predictor, data, &split.valid, batch_size)?;
    let test = if split.test.is_empty() {
        None
    } else {
        Some(evaluate_predictor(
            &predictor,
            data,
            &split.test,
            batch_size,
        )?)
    };
    let prov = &mut package.manifest.provenance;
    prov.valid = Some(valid.score());
    prov.test = test.as_ref().map(EnsembleEvaluation::score);
    prov.split = format!(
        "{} train / {} valid / {} test crystals",
        split.train.len(),
        split.valid.len(),
        split.test.len()
    );
    prov.written_by = format!("dos-rs {}", env!("CARGO_PKG_VERSION"));
    Ok(PackagedEnsemble {
        package,
        calibration,
        valid,
        test,
    })
}
