//! Per-crystal DOS errors averaged over crystals (the paper's evaluation protocol).
//!
//! For crystal `b` with prediction `p` and target `t` on an `M`-point grid:
//!
//! - `MSE_b = (1/M) sum_j (p_j - t_j)^2`
//! - `MAE_b = (1/M) sum_j |p_j - t_j|`
//! - `RMSE_b = sqrt(MSE_b)`
//! - `R2_b = 1 - SS_res / SS_tot`, `SS_res = sum_j (p_j - t_j)^2`, `SS_tot = sum_j (t_j - mean t)^2`.
//!   When `SS_tot = 0` (a constant target) `R2_b = 1` if `SS_res = 0` and `0` otherwise, the
//!   convention of scikit-learn's `r2_score` (`force_finite=True`), so the average stays finite.
//!
//! A [`MetricSummary`] averages each of them over the `B` crystals (so its `rmse` is the mean of
//! per-crystal RMSEs, not `sqrt(mse)`). The paper reports `MSE x 10`: [`MetricSummary::mse_x10`].

use std::collections::BTreeMap;

use candle_core::{DType, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{check_finite, MetricsError, Result};

/// Errors of one crystal over its grid (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CrystalErrors {
    /// Mean squared error.
    pub mse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Coefficient of determination `1 - SS_res / SS_tot`.
    pub r2: f64,
}

/// Errors of one crystal. `index` labels errors (the crystal's row in a batch).
///
/// # Shapes
/// `pred: (M,)`, `target: (M,)`, `M >= 1`.
pub fn crystal_errors_at(pred: &[f64], target: &[f64], index: usize) -> Result<CrystalErrors> {
    if target.is_empty() {
        return Err(MetricsError::Empty {
            what: "target grid",
        });
    }
    if pred.len() != target.len() {
        return Err(MetricsError::LengthMismatch {
            index,
            what: "prediction",
            expected: target.len(),
            got: pred.len(),
        });
    }
    check_finite(pred, index, "prediction")?;
    check_finite(target, index, "target")?;
    let m = target.len() as f64;
    let mean_t = target.iter().sum::<f64>() / m;
    let (mut ss_res, mut abs, mut ss_tot) = (0.0, 0.0, 0.0);
    for (p, t) in pred.iter().zip(target) {
        let d = p - t;
        ss_res += d * d;
        abs += d.abs();
        ss_tot += (t - mean_t) * (t - mean_t);
    }
    let mse = ss_res / m;
    let r2 = if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    };
    Ok(CrystalErrors {
        mse,
        mae: abs / m,
        rmse: mse.sqrt(),
        r2,
    })
}

/// Errors of one crystal (see [`crystal_errors_at`]).
pub fn crystal_errors(pred: &[f64], target: &[f64]) -> Result<CrystalErrors> {
    crystal_errors_at(pred, target, 0)
}

/// Errors of every crystal.
///
/// # Shapes
/// `pred: (B, M_b)`, `target: (B, M_b)` (rows may differ in length between crystals, but each
/// prediction matches its target).
pub fn per_crystal_errors<P, T>(pred: &[P], target: &[T]) -> Result<Vec<CrystalErrors>>
where
    P: AsRef<[f64]>,
    T: AsRef<[f64]>,
{
    if target.is_empty() {
        return Err(MetricsError::Empty { what: "targets" });
    }
    if pred.len() != target.len() {
        return Err(MetricsError::CountMismatch {
            what: "predictions",
            expected: target.len(),
            got: pred.len(),
        });
    }
    pred.iter()
        .zip(target)
        .enumerate()
        .map(|(i, (p, t))| crystal_errors_at(p.as_ref(), t.as_ref(), i))
        .collect()
}

/// Metrics averaged over crystals. Serialised as JSON for reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Number of crystals `B` averaged over.
    pub n_crystals: usize,
    /// Mean over crystals of the per-crystal MSE.
    pub mse: f64,
    /// Mean over crystals of the per-crystal MAE.
    pub mae: f64,
    /// Mean over crystals of the per-crystal RMSE.
    pub rmse: f64,
    /// Mean over crystals of the per-crystal R^2.
    pub r2: f64,
}

impl MetricSummary {
    /// Averages per-crystal errors. Errors on an empty list.
    pub fn from_crystals(errors: &[CrystalErrors]) -> Result<Self> {
        if errors.is_empty() {
            return Err(MetricsError::Empty {
                what: "per-crystal errors",
            });
        }
        let n = errors.len() as f64;
        let mean = |f: fn(&CrystalErrors) -> f64| errors.iter().map(f).sum::<f64>() / n;
        Ok(Self {
            n_crystals: errors.len(),
            mse: mean(|e| e.mse),
            mae: mean(|e| e.mae),
            rmse: mean(|e| e.rmse),
            r2: mean(|e| e.r2),
        })
    }

    /// `10 * mse`, the number the paper's tables report as "MSE".
    pub fn mse_x10(&self) -> f64 {
        10.0 * self.mse
    }
}

/// Per-crystal errors averaged over crystals (the paper's protocol).
///
/// # Shapes
/// `pred: (B, M)`, `target: (B, M)`.
pub fn evaluate<P, T>(pred: &[P], target: &[T]) -> Result<MetricSummary>
where
    P: AsRef<[f64]>,
    T: AsRef<[f64]>,
{
    MetricSummary::from_crystals(&per_crystal_errors(pred, target)?)
}

/// [`evaluate`] on tensors (any float dtype, any device; copied to f64 on the host).
///
/// # Shapes
/// `pred: (B, M)`, `target: (B, M)`.
pub fn evaluate_tensors(pred: &Tensor, target: &Tensor) -> Result<MetricSummary> {
    let rows = |t: &Tensor, what: &'static str| -> Result<Vec<Vec<f64>>> {
        if t.rank() != 2 {
            return Err(MetricsError::Invalid {
                field: what,
                message: format!("expected a (B, M) tensor, got shape {:?}", t.dims()),
            });
        }
        Ok(t.to_dtype(DType::F64)?.to_vec2::<f64>()?)
    };
    evaluate(&rows(pred, "predictions")?, &rows(target, "targets")?)
}

/// [`evaluate`] separately for each group (crystal system name, number of species, ...),
/// sorted by key.
///
/// # Shapes
/// `pred: (B, M)`, `target: (B, M)`, `keys: (B,)`.
pub fn evaluate_grouped<P, T, K>(
    pred: &[P],
    target: &[T],
    keys: &[K],
) -> Result<BTreeMap<K, MetricSummary>>
where
    P: AsRef<[f64]>,
    T: AsRef<[f64]>,
    K: Ord + Clone,
{
    if keys.len() != target.len() {
        return Err(MetricsError::CountMismatch {
            what: "group keys",
            expected: target.len(),
            got: keys.len(),
        });
    }
    let errors = per_crystal_errors(pred, target)?;
    let mut groups: BTreeMap<K, Vec<CrystalErrors>> = BTreeMap::new();
    for (k, e) in keys.iter().zip(errors) {
        groups.entry(k.clone()).or_default().push(e);
    }
    groups
        .into_iter()
        .map(|(k, v)| Ok((k, MetricSummary::from_crystals(&v)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn data() -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let p = vec![
            vec![0.1, 0.4, 0.35, 0.8],
            vec![0.5, 0.5, 0.6, 0.2],
            vec![0.3, 0.3, 0.3, 0.3],
        ];
        let t = vec![
            vec![0.0, 0.5, 0.3, 1.0],
            vec![0.4, 0.7, 0.6, 0.1],
            vec![0.3, 0.3, 0.3, 0.3],
        ];
        (p, t)
    }

    #[test]
    fn matches_numpy_per_crystal_then_mean() {
        // python3: for each row mse=np.mean((p-t)**2), mae=np.mean(abs(p-t)), rmse=sqrt(mse),
        //   r2=1-ssr/sst (sst=0: 1 if ssr==0 else 0); then np.mean over rows.
        let (p, t) = data();
        let rows = per_crystal_errors(&p, &t).unwrap();
        let expected = [
            (
                0.015624999999999993,
                0.11249999999999999,
                0.12499999999999997,
                0.8820754716981133,
            ),
            (
                0.014999999999999994,
                0.09999999999999998,
                0.12247448713915889,
                0.7142857142857144,
            ),
            (0.0, 0.0, 0.0, 1.0),
        ];
        for (r, e) in rows.iter().zip(expected) {
            assert!((r.mse - e.0).abs() < 1e-15 && (r.mae - e.1).abs() < 1e-15);
            assert!((r.rmse - e.2).abs() < 1e-15 && (r.r2 - e.3).abs() < 1e-14);
        }
        let s = evaluate(&p, &t).unwrap();
        assert_eq!(s.n_crystals, 3);
        assert!((s.mse - 0.010208333333333328).abs() < 1e-15);
        assert!((s.mae - 0.07083333333333332).abs() < 1e-15);
        assert!((s.rmse - 0.08249149571305296).abs() < 1e-15);
        assert!((s.r2 - 0.8654537286612759).abs() < 1e-14);
        assert!((s.mse_x10() - 0.10208333333333328).abs() < 1e-14);
        // Tensors give the same numbers.
        let dev = Device::Cpu;
        let tp = Tensor::new(p.clone(), &dev)
            .unwrap()
            .to_dtype(DType::F32)
            .unwrap();
        let tt = Tensor::new(t.clone(), &dev)
            .unwrap()
            .to_dtype(DType::F32)
            .unwrap();
        let st = evaluate_tensors(&tp, &tt).unwrap();
        assert!((st.mse - s.mse).abs() < 1e-7 && (st.r2 - s.r2).abs() < 1e-6);
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"mse\"") && json.contains("\"n_crystals\":3"));
    }

    #[test]
    fn constant_target_r2_convention() {
        let t = [0.5; 4];
        assert_eq!(crystal_errors(&t, &t).unwrap().r2, 1.0);
        assert_eq!(crystal_errors(&[0.4, 0.5, 0.5, 0.5], &t).unwrap().r2, 0.0);
    }

    #[test]
    fn grouped_summaries_average_within_groups() {
        let (p, t) = data();
        let g = evaluate_grouped(&p, &t, &["cubic", "hexagonal", "cubic"]).unwrap();
        assert_eq!(g.len(), 2);
        let cubic = evaluate(&[&p[0], &p[2]], &[&t[0], &t[2]]).unwrap();
        assert_eq!(g["cubic"], cubic);
        assert_eq!(g["hexagonal"].n_crystals, 1);
        let by_species = evaluate_grouped(&p, &t, &[2usize, 2, 3]).unwrap();
        assert_eq!(by_species.keys().copied().collect::<Vec<_>>(), vec![2, 3]);
    }

    #[test]
    fn mismatches_name_the_crystal() {
        let (p, mut t) = data();
        t[1].pop();
        match evaluate(&p, &t) {
            Err(MetricsError::LengthMismatch {
                index,
                expected,
                got,
                ..
            }) => {
                assert_eq!((index, expected, got), (1, 3, 4));
            }
            other => panic!("expected a length mismatch, got {other:?}"),
        }
        let (p, t) = data();
        assert!(matches!(
            evaluate(&p[..2], &t),
            Err(MetricsError::CountMismatch { .. })
        ));
        assert!(matches!(
            evaluate::<Vec<f64>, Vec<f64>>(&[], &[]),
            Err(MetricsError::Empty { .. })
        ));
        let mut bad = p.clone();
        bad[2][1] = f64::NAN;
        assert!(matches!(
            evaluate(&bad, &t),
            Err(MetricsError::NonFinite {
                index: 2,
                position: 1,
                ..
            })
        ));
        assert!(evaluate_grouped(&p, &t, &[1, 2]).is_err());
    }
}
