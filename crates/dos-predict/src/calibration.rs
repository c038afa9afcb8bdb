//! Calibrated ensemble uncertainty: one scale `s` on the members' spread.
//!
//! For an ensemble of K members with predictions `p_k(e)` at an energy point, the mean is
//! `m = 1/K sum_k p_k` and the spread the sample standard deviation
//! `sd = sqrt(1/(K-1) sum_k (p_k - m)^2)`. A spread of K = 3-5 members is a rough and usually
//! too small error bar, so one factor `s` is fitted on the validation split: the smallest `s`
//! such that the interval `m +- z s sd`, `z = 1.645` (the two-sided 90 % normal quantile), holds
//! at least 90 % of the validation points (every crystal, every energy). Predictions then
//! report `s sd` as their standard deviation, and `m +- 1.645 s sd` as the 90 % interval.
//!
//! The same fit records how much the members disagree on the validation crystals: a crystal's
//! spread is `mean_e sd(e)`, and [`Calibration::spread_reference`] holds its percentiles
//! 0, 1, ..., 100 over the validation crystals. [`Calibration::spread_percentile`] places a new
//! crystal among them: the out-of-distribution signal of a prediction (the members agree on
//! what they were trained on and drift apart on what they were not).

use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};

/// Two-sided normal quantile of the 90 % interval.
pub const Z_90: f64 = 1.644_853_626_951_472_2;

/// The fitted scale and how it was fitted (stored in the package manifest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Factor `s` applied to the ensemble's standard deviation.
    pub scale: f64,
    /// Nominal coverage of `mean +- z * scale * std`: 0.9.
    pub target_coverage: f64,
    /// The normal quantile `z` used: 1.645.
    pub z: f64,
    /// The split the scale was fitted on (`valid`).
    pub fitted_on: String,
    /// Number of (crystal, energy) points it was fitted on.
    pub n_points: usize,
    /// Coverage reached on those points (at least `target_coverage`).
    pub coverage: f64,
    /// Percentiles 0, 1, ..., 100 of the raw per-crystal spread ([`crystal_spread`]) over the
    /// crystals the scale was fitted on; empty in packages written before it was recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spread_reference: Vec<f64>,
}

impl Calibration {
    /// Where the raw spread `std` of one crystal (one value per energy) falls among the
    /// fitting crystals: the percentage of them that spread less (0..=100, interpolated
    /// between recorded percentiles; 100 above the largest). `None` without a reference.
    pub fn spread_percentile(&self, std: &[f64]) -> Option<f64> {
        let r = &self.spread_reference;
        let x = crystal_spread(std);
        let last = r.len().checked_sub(1)?;
        if x.is_nan() {
            return None;
        }
        if x <= r[0] {
            return Some(0.0);
        }
        if x >= r[last] {
            return Some(100.0);
        }
        // First recorded percentile at or above x; interpolate inside its step.
        let k = r.partition_point(|&v| v < x);
        let (lo, hi) = (r[k - 1], r[k]);
        let frac = if hi > lo { (x - lo) / (hi - lo) } else { 1.0 };
        Some(100.0 * ((k - 1) as f64 + frac) / last as f64)
    }
}

/// A crystal's raw spread: the mean over energies of the members' standard deviation.
pub fn crystal_spread(std: &[f64]) -> f64 {
    std.iter().sum::<f64>() / std.len().max(1) as f64
}

/// Percentiles 0, 1, ..., 100 of `values` (linear interpolation between order statistics, as
/// `numpy.percentile`'s default); empty for no value.
pub fn percentiles(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    let n = v.len() - 1;
    (0..=100)
        .map(|p| {
            let pos = p as f64 / 100.0 * n as f64;
            let i = pos.floor() as usize;
            let j = (i + 1).min(n);
            v[i] + (pos - i as f64) * (v[j] - v[i])
        })
        .collect()
}

/// Values per crystal and energy point: `rows[i][j]` for crystal i, energy j.
pub type Rows = Vec<Vec<f64>>;

/// Per-point ensemble mean and sample standard deviation of `members[k][i][j]` (member k,
/// crystal i, energy j); `std` is `None` for a single member.
///
/// # Errors
/// No member, or members that differ in crystal count or grid length.
pub fn ensemble_stats(members: &[Rows]) -> Result<(Rows, Option<Rows>)> {
    let first = members
        .first()
        .ok_or_else(|| invalid("members", "an ensemble needs at least one member"))?;
    for (k, m) in members.iter().enumerate() {
        let same = m.len() == first.len() && m.iter().zip(first).all(|(a, b)| a.len() == b.len());
        if !same {
            return Err(invalid(
                "members",
                format!("member {k} predicts another number of crystals or energies than member 0"),
            ));
        }
    }
    let k = members.len() as f64;
    let mean: Vec<Vec<f64>> = (0..first.len())
        .map(|i| {
            (0..first[i].len())
                .map(|j| members.iter().map(|m| m[i][j]).sum::<f64>() / k)
                .collect()
        })
        .collect();
    if members.len() < 2 {
        return Ok((mean, None));
    }
    let std = mean
        .iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .map(|(j, m)| {
                    let ss: f64 = members.iter().map(|p| (p[i][j] - m).powi(2)).sum();
                    (ss / (k - 1.0)).sqrt()
                })
                .collect()
        })
        .collect();
    Ok((mean, Some(std)))
}

fn check_shapes(mean: &[Vec<f64>], std: &[Vec<f64>], target: &[Vec<f64>]) -> Result<usize> {
    if mean.len() != std.len() || mean.len() != target.len() || mean.is_empty() {
        return Err(invalid(
            "calibration data",
            format!(
                "{} means, {} spreads and {} targets (need the same, at least one)",
                mean.len(),
                std.len(),
                target.len()
            ),
        ));
    }
    let mut n = 0;
    for (i, ((m, s), y)) in mean.iter().zip(std).zip(target).enumerate() {
        if m.len() != s.len() || m.len() != y.len() {
            return Err(invalid(
                "calibration data",
                format!("crystal {i}: grids of different lengths"),
            ));
        }
        n += m.len();
    }
    Ok(n)
}

/// Fraction of points with `|y - m| <= z * scale * sd`.
///
/// # Errors
/// Shapes that differ, or no point.
pub fn coverage(
    mean: &[Vec<f64>],
    std: &[Vec<f64>],
    target: &[Vec<f64>],
    scale: f64,
) -> Result<f64> {
    let n = check_shapes(mean, std, target)?;
    let inside = mean
        .iter()
        .flatten()
        .zip(std.iter().flatten())
        .zip(target.iter().flatten())
        .filter(|((m, s), y)| (*y - *m).abs() <= Z_90 * scale * **s)
        .count();
    Ok(inside as f64 / n as f64)
}

/// Fits the scale on `(mean, std, target)` of a validation split (see the module docs).
///
/// # Errors
/// Shapes that differ, no point, or spreads so small that no finite scale reaches 90 % (more
/// than a tenth of the points miss with zero spread).
pub fn fit(
    mean: &[Vec<f64>],
    std: &[Vec<f64>],
    target: &[Vec<f64>],
    split: &str,
) -> Result<Calibration> {
    let n = check_shapes(mean, std, target)?;
    // z_i = |y - m| / sd: the scale that just covers point i (0 when exact, inf when sd = 0).
    let mut need: Vec<f64> = mean
        .iter()
        .flatten()
        .zip(std.iter().flatten())
        .zip(target.iter().flatten())
        .map(|((m, s), y)| {
            let r = (y - m).abs();
            if r == 0.0 {
                0.0
            } else if *s > 0.0 {
                r / s
            } else {
                f64::INFINITY
            }
        })
        .collect();
    need.sort_by(f64::total_cmp);
    // The smallest s covering at least ceil(0.9 n) points.
    let k = ((0.9 * n as f64).ceil() as usize).clamp(1, n);
    let ratio = need[k - 1];
    if !ratio.is_finite() {
        return Err(invalid(
            "calibration data",
            "more than 10 % of the points miss with zero ensemble spread: no finite scale covers 90 %",
        ));
    }
    // A relative 1e-12 above the ratio, so that rounding in `z * scale * sd` cannot drop the
    // boundary point.
    let scale = ratio / Z_90 * (1.0 + 1e-12);
    Ok(Calibration {
        scale,
        target_coverage: 0.9,
        z: Z_90,
        fitted_on: split.to_string(),
        n_points: n,
        coverage: coverage(mean, std, target, scale)?,
        spread_reference: percentiles(&std.iter().map(|s| crystal_spread(s)).collect::<Vec<_>>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ensemble_stats_are_mean_and_sample_std() {
        let members = vec![
            vec![vec![1.0, 0.0]],
            vec![vec![2.0, 0.0]],
            vec![vec![3.0, 0.0]],
        ];
        let (m, s) = ensemble_stats(&members).unwrap();
        assert_eq!(m, vec![vec![2.0, 0.0]]);
        // numpy.std([1, 2, 3], ddof=1) = 1
        assert_eq!(s.unwrap(), vec![vec![1.0, 0.0]]);
        let (_, none) = ensemble_stats(&members[..1]).unwrap();
        assert!(none.is_none());
        assert!(ensemble_stats(&[vec![vec![1.0]], vec![vec![1.0, 2.0]]]).is_err());
        assert!(ensemble_stats(&[]).is_err());
    }

    /// Residuals drawn as y - m = 2 sd * u with u spread evenly: the fitted scale reaches
    /// 90 % exactly where the 90th percentile of |u| lies, and coverage agrees.
    #[test]
    fn fitted_scale_covers_ninety_percent() {
        let n = 1000;
        let mean = vec![vec![0.0; n]];
        let std = vec![vec![0.5; n]];
        // |u| = (i + 1) / n for i in 0..n, signs alternating.
        let target = vec![(0..n)
            .map(|i| {
                let u = (i + 1) as f64 / n as f64;
                if i % 2 == 0 {
                    u
                } else {
                    -u
                }
            })
            .collect::<Vec<f64>>()];
        let c = fit(&mean, &std, &target, "valid").unwrap();
        // 900th smallest |r| / sd = 0.9 / 0.5 = 1.8
        assert!((c.scale * Z_90 - 1.8).abs() < 1e-9, "{}", c.scale);
        assert!((c.coverage - 0.9).abs() < 1e-12);
        assert_eq!(c.n_points, n);
        let wider = coverage(&mean, &std, &target, 2.0 * c.scale).unwrap();
        assert_eq!(wider, 1.0);
        let narrower = coverage(&mean, &std, &target, 0.5 * c.scale).unwrap();
        assert!((narrower - 0.45).abs() < 1e-12, "{narrower}");
    }

    #[test]
    fn zero_spread_points_count_only_when_exact() {
        // 10 points, 2 exact with zero spread, 8 with spread: the scale comes from the 8.
        let mean = vec![vec![0.0; 10]];
        let mut std = vec![vec![1.0; 10]];
        std[0][0] = 0.0;
        std[0][1] = 0.0;
        let target = vec![(0..10).map(|i| if i < 2 { 0.0 } else { 1.0 }).collect()];
        let c = fit(&mean, &std, &target, "valid").unwrap();
        assert!((c.scale * Z_90 - 1.0).abs() < 1e-9);
        // Two zero-spread misses out of ten cannot be covered at 90 %.
        let bad = vec![(0..10).map(|i| if i < 2 { 1.0 } else { 0.5 }).collect()];
        assert!(fit(&mean, &std, &bad, "valid").is_err());
        assert!(fit(&[], &[], &[], "valid").is_err());
    }

    #[test]
    fn percentiles_match_numpy() {
        // numpy.percentile([4, 1, 3, 2], [0, 25, 50, 100]) = [1, 1.75, 2.5, 4]
        let p = percentiles(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!(p.len(), 101);
        for (k, want) in [(0, 1.0), (25, 1.75), (50, 2.5), (100, 4.0)] {
            assert!((p[k] - want).abs() < 1e-12, "{k}: {} vs {want}", p[k]);
        }
        assert!(percentiles(&[]).is_empty());
    }

    #[test]
    fn spread_percentile_places_a_crystal_among_the_reference() {
        // Reference crystals with spreads 0, 1, ..., 100: percentile = spread.
        let spreads: Vec<Vec<f64>> = (0..=100).map(|k| vec![k as f64; 3]).collect();
        let c = Calibration {
            scale: 1.0,
            target_coverage: 0.9,
            z: Z_90,
            fitted_on: "valid".into(),
            n_points: 0,
            coverage: 1.0,
            spread_reference: percentiles(
                &spreads
                    .iter()
                    .map(|s| crystal_spread(s))
                    .collect::<Vec<_>>(),
            ),
        };
        assert_eq!(c.spread_percentile(&[37.5, 37.5]), Some(37.5));
        assert_eq!(c.spread_percentile(&[10.0, 30.0]), Some(20.0));
        assert_eq!(c.spread_percentile(&[-1.0]), Some(0.0));
        assert_eq!(c.spread_percentile(&[1e9]), Some(100.0));
        let old = Calibration {
            spread_reference: Vec::new(),
            ..c
        };
        assert_eq!(old.spread_percentile(&[1.0]), None);
    }
}
