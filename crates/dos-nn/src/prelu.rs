//! Parametric ReLU with a single learnable slope.

use candle_core::{Module, Result, Tensor};
use candle_nn::{Init, VarBuilder};

/// Parametric ReLU, `y = max(0, x) + a * min(0, x)` with one learnable slope `a`.
///
/// Like `torch.nn.PReLU()` (one parameter `weight` of shape `(1,)`, init 0.25).
///
/// # Shapes
/// - input: any shape
/// - output: same shape
#[derive(Debug, Clone)]
pub struct PRelu {
    weight: Tensor,
}

impl PRelu {
    /// Creates (or loads) the slope `weight` (shape `(1,)`, init 0.25) under `vb`.
    pub fn new(vb: VarBuilder) -> Result<Self> {
        let weight = vb.get_with_hints(1, "weight", Init::Const(0.25))?;
        Ok(Self { weight })
    }

    /// The slope for negative inputs, shape `(1,)`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }
}

impl Module for PRelu {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        crate::kernels::prelu(x, &self.weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{assert_gradients_ok, check_gradients, GradCheckOptions};
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    #[test]
    fn matches_definition() -> Result<()> {
        let dev = Device::Cpu;
        let vm = VarMap::new();
        let p = PRelu::new(crate::SeededVarMap::var_builder(&vm, 0, DType::F64, &dev))?;
        let y = p
            .forward(&Tensor::new(&[-2f64, -0.5, 0., 1.5], &dev)?)?
            .to_vec1::<f64>()?;
        assert_eq!(y, vec![-0.5, -0.125, 0.0, 1.5]);
        Ok(())
    }

    #[test]
    fn slope_gradient() -> Result<()> {
        let dev = Device::Cpu;
        let vm = VarMap::new();
        let p = PRelu::new(crate::SeededVarMap::var_builder(&vm, 0, DType::F64, &dev))?;
        // Values kept away from 0, where the derivative jumps.
        let x = Tensor::new(&[-2f64, -0.7, 0.3, 1.5], &dev)?;
        let report = check_gradients(
            &vm,
            || p.forward(&x)?.sqr()?.sum_all(),
            &GradCheckOptions::default(),
        )?;
        assert_gradients_ok(&report, 1e-6);
        Ok(())
    }
}
