//! The two MLP shapes of the DOSTransformer GNN (paper eq. 4-5).

use candle_core::{Module, Result, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

use crate::kernels::linear as fused_linear;
use crate::{LayerNorm, PRelu};

/// LayerNorm epsilon of [`NormMlp::new`], PyTorch's default.
pub const DEFAULT_EPS: f64 = 1e-5;

/// Encoder MLP, `y = fc2(PReLU(fc1(x)))` with `fc1: Linear(in, d)`, `fc2: Linear(d, d)`.
///
/// The node and edge encoders `phi_node`, `phi_edge` of the GNN. Parameter names: `fc1`,
/// `act`, `fc2`.
///
/// # Shapes
/// - input: `(*, in_dim)`
/// - output: `(*, d)`
#[derive(Debug, Clone)]
pub struct EncoderMlp {
    fc1: Linear,
    act: PRelu,
    fc2: Linear,
}

impl EncoderMlp {
    /// Creates (or loads) the encoder `in_dim -> d -> d` under `vb`.
    pub fn new(in_dim: usize, d: usize, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            fc1: linear(in_dim, d, vb.pp("fc1"))?,
            act: PRelu::new(vb.pp("act"))?,
            fc2: linear(d, d, vb.pp("fc2"))?,
        })
    }
}

impl EncoderMlp {
    /// The layers `(fc1, act, fc2)`.
    pub fn parts(&self) -> (&Linear, &PRelu, &Linear) {
        (&self.fc1, &self.act, &self.fc2)
    }
}

impl Module for EncoderMlp {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        fused_linear(&self.fc2, &self.act.forward(&fused_linear(&self.fc1, x)?)?)
    }
}

/// Update MLP, `y = fc2(PReLU(LayerNorm(fc1(x))))` with `fc1: Linear(in, hidden)`,
/// `fc2: Linear(hidden, out)`.
///
/// The edge and node update MLPs of the GNN processor layers. Parameter names: `fc1`, `norm`,
/// `act`, `fc2`.
///
/// # Shapes
/// - input: `(*, in_dim)`
/// - output: `(*, out_dim)`
#[derive(Debug, Clone)]
pub struct NormMlp {
    fc1: Linear,
    norm: LayerNorm,
    act: PRelu,
    fc2: Linear,
}

impl NormMlp {
    /// Creates (or loads) the MLP `in_dim -> hidden -> out_dim` with LayerNorm eps 1e-5.
    pub fn new(in_dim: usize, hidden: usize, out_dim: usize, vb: VarBuilder) -> Result<Self> {
        Self::new_with_eps(in_dim, hidden, out_dim, DEFAULT_EPS, vb)
    }

    /// As [`NormMlp::new`] with a chosen LayerNorm epsilon.
    pub fn new_with_eps(
        in_dim: usize,
        hidden: usize,
        out_dim: usize,
        eps: f64,
        vb: VarBuilder,
    ) -> Result<Self> {
        Ok(Self {
            fc1: linear(in_dim, hidden, vb.pp("fc1"))?,
            norm: LayerNorm::new(hidden, eps, vb.pp("norm"))?,
            act: PRelu::new(vb.pp("act"))?,
            fc2: linear(hidden, out_dim, vb.pp("fc2"))?,
        })
    }

    /// The first linear layer (weight `(hidden, in_dim)`), e.g. to split it by input blocks.
    pub fn fc1(&self) -> &Linear {
        &self.fc1
    }

    /// The layers `(fc1, norm, act, fc2)`.
    pub fn parts(&self) -> (&Linear, &LayerNorm, &PRelu, &Linear) {
        (&self.fc1, &self.norm, &self.act, &self.fc2)
    }

    /// The part after `fc1`: `y = fc2(PReLU(LayerNorm(z)))`.
    ///
    /// # Shapes
    /// - `z`: `(*, hidden)`
    /// - output: `(*, out_dim)`
    pub fn forward_after_fc1(&self, z: &Tensor) -> Result<Tensor> {
        fused_linear(&self.fc2, &self.act.forward(&self.norm.forward(z)?)?)
    }
}

impl Module for NormMlp {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_after_fc1(&fused_linear(&self.fc1, x)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{assert_gradients_ok, check_gradients, GradCheckOptions};
    use crate::seeded_randn;
    use candle_core::{DType, Device};

    #[test]
    fn shapes_and_names() -> Result<()> {
        let dev = Device::Cpu;
        let (vm, vb) = crate::SeededVarMap::fresh(0, DType::F32, &dev);
        let enc = EncoderMlp::new(7, 4, vb.pp("enc"))?;
        let upd = NormMlp::new(12, 8, 4, vb.pp("upd"))?;
        let x = Tensor::zeros((2, 3, 7), DType::F32, &dev)?;
        assert_eq!(enc.forward(&x)?.dims(), &[2, 3, 4]);
        let x = Tensor::zeros((5, 12), DType::F32, &dev)?;
        assert_eq!(upd.forward(&x)?.dims(), &[5, 4]);
        let mut names: Vec<String> = vm.data().lock().unwrap().keys().cloned().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "enc.act.weight",
                "enc.fc1.bias",
                "enc.fc1.weight",
                "enc.fc2.bias",
                "enc.fc2.weight",
                "upd.act.weight",
                "upd.fc1.bias",
                "upd.fc1.weight",
                "upd.fc2.bias",
                "upd.fc2.weight",
                "upd.norm.bias",
                "upd.norm.weight",
            ]
        );
        Ok(())
    }

    #[test]
    fn gradients_match_finite_differences() -> Result<()> {
        let dev = Device::Cpu;
        let (vm, vb) = crate::SeededVarMap::fresh(0, DType::F64, &dev);
        let enc = EncoderMlp::new(3, 4, vb.pp("enc"))?;
        let upd = NormMlp::new(4, 6, 2, vb.pp("upd"))?;
        let x = seeded_randn(1, 0f64, 1., (5, 3), &dev)?;
        let report = check_gradients(
            &vm,
            || upd.forward(&enc.forward(&x)?)?.sin()?.sum_all(),
            &GradCheckOptions::default(),
        )?;
        assert_gradients_ok(&report, 1e-5);
        assert_eq!(report.variables.len(), 12);
        Ok(())
    }
}
