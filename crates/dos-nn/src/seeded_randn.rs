//! Seeded normal draws: [`seeded_randn`], the reproducible counterpart of `Tensor::randn`.
//!
//! candle 0.11 cannot seed its CPU generator, so `Tensor::randn` gives new values on every
//! run; a test built on it passes or fails by chance when a tolerance is close. The values
//! here come from a ChaCha8 stream keyed by the seed (Box-Muller), the same on every run and
//! platform.
//!
//! ```
//! use candle_core::Device;
//! use dos_nn::seeded_randn;
//!
//! let a = seeded_randn(3, 0f64, 1., (2, 4), &Device::Cpu)?;
//! let b = seeded_randn(3, 0f64, 1., (2, 4), &Device::Cpu)?;
//! assert_eq!(a.to_vec2::<f64>()?, b.to_vec2::<f64>()?);
//! # Ok::<(), candle_core::Error>(())
//! ```

use candle_core::{Device, Shape, Tensor, WithDType};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n` draws of `N(mean, std^2)` from `rng` (Box-Muller).
pub(crate) fn normal_draws(rng: &mut ChaCha8Rng, n: usize, mean: f64, std: f64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let u1: f64 = 1.0 - rng.random::<f64>();
            let u2: f64 = rng.random::<f64>();
            mean + std * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        })
        .collect()
}

/// A tensor of `shape` with entries drawn from `N(mean, std^2)`, a function of `seed` alone;
/// its dtype is that of `mean` and `std`, as with `Tensor::randn(mean, std, shape, device)`.
///
/// # Errors
/// When the tensor cannot be made on `device`.
pub fn seeded_randn<T: WithDType, S: Into<Shape>>(
    seed: u64,
    mean: T,
    std: T,
    shape: S,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let shape = shape.into();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let values = normal_draws(&mut rng, shape.elem_count(), mean.to_f64(), std.to_f64());
    Tensor::from_vec(values, shape, device)?.to_dtype(T::DTYPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_seeded_and_have_the_asked_moments() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let a = seeded_randn(5, 2f32, 0.5, 20_000, &dev)?;
        assert_eq!(a.dtype(), candle_core::DType::F32);
        let same = seeded_randn(5, 2f32, 0.5, 20_000, &dev)?;
        let other = seeded_randn(6, 2f32, 0.5, 20_000, &dev)?;
        let v: Vec<f32> = a.to_vec1()?;
        assert_eq!(v, same.to_vec1::<f32>()?);
        assert_ne!(v, other.to_vec1::<f32>()?);
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = v
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        // Standard errors: 0.5 / sqrt(n) = 0.0035 for the mean, about 0.0025 for the variance.
        assert!((mean - 2.0).abs() < 0.02, "mean {mean}");
        assert!((var - 0.25).abs() < 0.015, "variance {var}");
        Ok(())
    }
}
