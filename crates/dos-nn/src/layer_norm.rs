//! Layer normalisation with a backward pass.

use candle_core::{Module, Result, Tensor};
use candle_nn::{Init, VarBuilder};

/// Layer normalisation over the last dimension, `y = (x - mean) / sqrt(var + eps) * weight + bias`.
///
/// Parameters `weight` (init 1) and `bias` (init 0), as in `torch.nn.LayerNorm(dim)`.
///
/// # Shapes
/// - input: `(*, dim)`
/// - output: `(*, dim)`
///
/// ```
/// use candle_core::{DType, Device, Module, Tensor};
/// use candle_nn::{VarBuilder, VarMap};
/// # fn main() -> candle_core::Result<()> {
/// let vm = VarMap::new();
/// let vb = VarBuilder::from_varmap(&vm, DType::F64, &Device::Cpu);
/// let ln = dos_nn::LayerNorm::new(3, 1e-5, vb)?;
/// let y = ln.forward(&Tensor::new(&[[1f64, 2., 3.]], &Device::Cpu)?)?;
/// assert!(y.sum_all()?.to_scalar::<f64>()?.abs() < 1e-12);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    /// Creates (or loads) `weight` and `bias` of size `dim` under `vb`.
    pub fn new(dim: usize, eps: f64, vb: VarBuilder) -> Result<Self> {
        let weight = vb.get_with_hints(dim, "weight", Init::Const(1.))?;
        let bias = vb.get_with_hints(dim, "bias", Init::Const(0.))?;
        Ok(Self { weight, bias, eps })
    }

    /// Scale `weight`, shape `(dim,)`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The epsilon added to the variance.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// Shift `bias`, shape `(dim,)`.
    pub fn bias(&self) -> &Tensor {
        &self.bias
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        // Not candle_nn::LayerNorm: on contiguous input it runs a fused op recorded without a
        // backward pass, so its parameters (and everything before it) would get no gradient.
        // crate::kernels::layer_norm has one (and falls back to layer_norm_slow off the CPU).
        crate::kernels::layer_norm(x, &self.weight, &self.bias, self.eps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{assert_gradients_ok, check_gradients, GradCheckOptions};
    use crate::seeded_randn;
    use candle_core::{DType, Device};

    #[test]
    fn normalises_to_zero_mean_unit_variance() -> Result<()> {
        let dev = Device::Cpu;
        let (_, vb) = crate::SeededVarMap::fresh(0, DType::F64, &dev);
        let ln = LayerNorm::new(4, 0.0, vb)?;
        let x = Tensor::new(&[[1f64, 2., 3., 10.], [-1., 0., 5., 2.]], &dev)?;
        let y = ln.forward(&x)?.to_vec2::<f64>()?;
        for row in y {
            let mean = row.iter().sum::<f64>() / 4.0;
            let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
            assert!(mean.abs() < 1e-12, "mean {mean}");
            assert!((var - 1.0).abs() < 1e-12, "var {var}");
        }
        Ok(())
    }

    #[test]
    fn gradients_match_finite_differences() -> Result<()> {
        let dev = Device::Cpu;
        let (vm, vb) = crate::SeededVarMap::fresh(0, DType::F64, &dev);
        let ln = LayerNorm::new(5, 1e-5, vb.pp("ln"))?;
        // Move weight/bias away from their (1, 0) init so every term matters.
        let w = vb.get_with_hints(
            5,
            "w_in",
            Init::Randn {
                mean: 0.,
                stdev: 1.,
            },
        )?;
        let x = seeded_randn(1, 0f64, 1., (3, 5), &dev)?;
        let target = seeded_randn(2, 0f64, 1., (3, 5), &dev)?;
        let report = check_gradients(
            &vm,
            || {
                let y = ln.forward(&x.broadcast_mul(&w)?)?;
                (y - &target)?.sqr()?.sum_all()
            },
            &GradCheckOptions::default(),
        )?;
        // The central difference itself carries a round-off error of about
        // eps |loss| / h = 2.2e-16 * 56 / 1e-6 = 1.2e-8, i.e. 2.6e-6 relative on the smallest
        // checked entries (~5e-3): 1e-5 is the tightest tolerance the check supports here
        // (1e-6 passed or failed with the summation order of the matrix kernels).
        assert_gradients_ok(&report, 1e-5);
        Ok(())
    }
}
