//! Savitzky-Golay smoothing with scipy's default edge mode (`mode="interp"`).

use crate::error::{DataError, Result};

/// Savitzky-Golay filter, equal to `scipy.signal.savgol_filter(x, window, polyorder)` (defaults
/// `deriv=0`, `mode="interp"`).
///
/// Interior points: `y_i = sum_k c_k x_{i+k}`, `k = -h..=h`, `h = window / 2`, with `c` the
/// least-squares coefficients of a degree-`polyorder` polynomial fitted to the window and
/// evaluated at its centre. Edges (`mode="interp"`): a degree-`polyorder` polynomial is fitted to
/// the first (last) `window` samples and evaluated at the first (last) `h` positions.
///
/// Delegates to the `savgol-rs` crate: its source (0.1.0, `src/lib.rs`) computes the same
/// coefficients (`savgol_coeffs`: least squares on `x = h - i`), convolves, and then its
/// `fit_edges_polyfit` does exactly scipy's `_fit_edges_polyfit` (polyfit on `x[0..window]`
/// resp. `x[n-window..n]`, evaluated at `0..h` resp. `n-h..n`), i.e. scipy's `mode="interp"`.
/// The unit test below checks this against scipy's numbers.
///
/// # Shapes
/// `x: (n,)` -> `(n,)`, requires `window` odd, `polyorder < window <= n`.
pub fn savgol_filter_interp(x: &[f64], window: usize, polyorder: usize) -> Result<Vec<f64>> {
    let invalid = |message: String| DataError::Invalid {
        field: "savgol".into(),
        message,
    };
    if window % 2 == 0 {
        return Err(invalid(format!("window {window} must be odd")));
    }
    if polyorder >= window {
        return Err(invalid(format!(
            "polyorder {polyorder} must be less than window {window}"
        )));
    }
    if window > x.len() {
        return Err(invalid(format!(
            "window {window} longer than the signal ({} points)",
            x.len()
        )));
    }
    if window == 1 {
        // A one-point window is the identity (and savgol-rs' polyfit needs >= 2 points).
        return Ok(x.to_vec());
    }
    savgol_rs::savgol_filter(&savgol_rs::SavGolInput {
        data: x,
        window_length: window,
        poly_order: polyorder,
        derivative: 0,
    })
    .map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_interp_mode() {
        // python3 -c "import numpy as np; from scipy.signal import savgol_filter;
        //   i=np.arange(30); print(savgol_filter(np.sin(0.3*i)+0.05*i, 17, 1).tolist())"
        // (numpy 2.4.6, scipy 1.17.1)
        let expected = [
            1.0094296402057663,
            0.9517857949821812,
            0.8941419497585961,
            0.8364981045350111,
            0.7788542593114259,
            0.7212104140878408,
            0.6635665688642558,
            0.6059227236406707,
            0.5482788784170858,
            0.5438191912213368,
            0.5309789150909058,
            0.5153713847383956,
            0.5028571254544892,
            0.4990203498378494,
            0.5086701367148684,
            0.5354108504507511,
            0.5813201738154733,
            0.6467635147698021,
            0.730361365660436,
            0.8291125305301547,
            0.9386622130143623,
            1.0536910173306584,
            1.2496491751396408,
            1.4456073329486234,
            1.6415654907576063,
            1.8375236485665891,
            2.0334818063755717,
            2.2294399641845546,
            2.4253981219935365,
            2.6213562798025194,
        ];
        let x: Vec<f64> = (0..30)
            .map(|i| (0.3 * i as f64).sin() + 0.05 * i as f64)
            .collect();
        let y = savgol_filter_interp(&x, 17, 1).unwrap();
        for (i, (a, b)) in y.iter().zip(expected).enumerate() {
            assert!((a - b).abs() < 1e-12, "i={i}: {a} vs scipy {b}");
        }
    }

    #[test]
    fn rejects_bad_windows() {
        let x = vec![0.0; 10];
        assert!(savgol_filter_interp(&x, 4, 1).is_err());
        assert!(savgol_filter_interp(&x, 3, 3).is_err());
        assert!(savgol_filter_interp(&x, 11, 1).is_err());
        assert_eq!(savgol_filter_interp(&x, 1, 0).unwrap(), x);
    }
}
