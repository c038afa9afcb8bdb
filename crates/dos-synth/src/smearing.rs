//! Gaussian-smeared densities of states.

/// Density of states `g(x) = sum_n w_n exp(-(x - e_n)^2 / (2 sigma^2)) / (sigma sqrt(2 pi))`
/// evaluated on `grid`, so that `∫ g = sum_n w_n`. Terms farther than `6 sigma` are skipped
/// (relative error below 1e-8).
///
/// # Shapes
/// - `levels`, `weights`: (L,) (weights must have the same length)
/// - `grid`: (M,) -> returns (M,)
pub fn gaussian_dos(levels: &[f64], weights: &[f64], grid: &[f64], sigma: f64) -> Vec<f64> {
    debug_assert_eq!(levels.len(), weights.len());
    let mut out = vec![0.0; grid.len()];
    let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
    let reach = 6.0 * sigma;
    let sorted = grid.windows(2).all(|w| w[0] <= w[1]);
    for (&e, &w) in levels.iter().zip(weights) {
        let (lo, hi) = if sorted {
            (
                grid.partition_point(|&x| x < e - reach),
                grid.partition_point(|&x| x <= e + reach),
            )
        } else {
            (0, grid.len())
        };
        for (o, &x) in out[lo..hi].iter_mut().zip(&grid[lo..hi]) {
            let t = (x - e) / sigma;
            if t.abs() <= 6.0 {
                *o += w * norm * (-0.5 * t * t).exp();
            }
        }
    }
    out
}

/// Scale `values` so that the maximum is 1 (left unchanged when the maximum is not > 0).
pub fn max_normalise(values: &mut [f64]) {
    let max = values.iter().copied().fold(0.0f64, f64::max);
    if max > 0.0 {
        values.iter_mut().for_each(|v| *v /= max);
    }
}

/// Evenly spaced grid `start, start + step, ...` with `len` points.
pub fn linear_grid(start: f64, step: f64, len: usize) -> Vec<f64> {
    (0..len).map(|i| start + step * i as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_and_peak() {
        let grid = linear_grid(-10.0, 0.01, 2001);
        let g = gaussian_dos(&[0.0, 1.0], &[1.0, 2.0], &grid, 0.2);
        let integral: f64 = g.iter().sum::<f64>() * 0.01;
        assert!((integral - 3.0).abs() < 1e-6, "{integral}");
        // Peak of a single unit-weight Gaussian: 1 / (sigma sqrt(2 pi)).
        let g1 = gaussian_dos(&[0.0], &[1.0], &[0.0], 0.2);
        assert!((g1[0] - 1.0 / (0.2 * (2.0 * std::f64::consts::PI).sqrt())).abs() < 1e-12);
        let mut v = g.clone();
        max_normalise(&mut v);
        assert!((v.iter().copied().fold(0.0, f64::max) - 1.0).abs() < 1e-12);
    }
}
