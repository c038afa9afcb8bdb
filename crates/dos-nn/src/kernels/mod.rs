//! The CPU kernels of dos-rs, each with its dispatch: one fused pass on the CPU for f32 / f64
//! tensors, the composed candle expression (same values up to rounding) everywhere else.
//!
//! candle composes these operations from broadcast operations: `layer_norm_slow` records
//! about ten tensor ops forward (each allocating a tensor of the input's size), every
//! broadcast of a per-feature vector (LayerNorm weight and bias, linear bias) is reduced over
//! the rows in the backward pass by candle's strided reduction, a gather-and-sum of edge
//! messages is two `index_select`s and three additions (each zero-filled and accumulated in
//! the backward pass), and an optimiser or weight-average update builds a dozen temporaries
//! the size of every variable. Here each is one `CustomOp` (or one in-place op) whose
//! backward, where it has one, is one more kernel.
//!
//! - [`layer_norm`], [`prelu`], [`add_bias`], [`linear`]: forward and backward kernels;
//! - [`matmul_strided`]: a product with a strided (e.g. transposed, narrowed) right operand;
//! - [`edge_sum`]: the gather-and-sum of the GNN edge MLP's first layer;
//! - [`ema_update`]: an exponential moving average of weights, in place;
//! - the AdamW update and gradient norm of [`crate::FusedAdamW`] (crate-private).
//!
//! Each kernel computes on plain slices; one adapter (`fused.rs`) makes it a candle custom op.
//! [`uses_cpu_kernel`] is the one test of which path a tensor takes. Second derivatives are
//! not supported (the backward kernels have no backward).

mod adamw_op;
mod edge_sum_op;
mod ema_op;
mod fused;
mod layer_norm_op;
mod linear_op;
mod prelu_op;

pub(crate) use adamw_op::{adamw_update, grad_sum_of_squares, AdamWConsts, AdamWMoments};
#[cfg(test)]
pub(crate) use adamw_op::{CHUNK, PARALLEL_MIN};
pub use edge_sum_op::edge_sum;
pub use ema_op::ema_update;
pub use layer_norm_op::layer_norm;
pub use linear_op::{add_bias, linear, matmul_strided};
pub use prelu_op::prelu;

use candle_core::{DType, Result, Tensor};

/// Whether the fused CPU kernels apply to `x`: a CPU tensor of dtype f32 or f64. Every
/// kernel of this module takes its CPU path exactly when this holds for its main operand
/// (and the other operands match it), and the composed candle expression otherwise.
pub fn uses_cpu_kernel(x: &Tensor) -> bool {
    x.device().is_cpu() && matches!(x.dtype(), DType::F32 | DType::F64)
}

/// f32 / f64 arithmetic for the kernels (implemented for exactly those two types).
pub trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::AddAssign
    + std::ops::MulAssign
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// `x` rounded to this type.
    fn of(x: f64) -> Self;
    /// The value as f64 (exact).
    fn to_f64(self) -> f64;
    /// The square root.
    fn sqrt(self) -> Self;
}

macro_rules! real {
    ($t:ty) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            fn of(x: f64) -> Self {
                x as $t
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
        }
    };
}
real!(f32);
real!(f64);

/// Width of the last dimension.
pub(crate) fn last_dim(x: &Tensor) -> Result<usize> {
    x.dims().last().copied().ok_or_else(|| {
        candle_core::Error::Msg("fused op: a tensor of rank >= 1 is expected".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::max_abs_diff;
    use crate::seeded_randn;
    use candle_core::{Device, Module, Var};
    use candle_nn::Linear;

    /// Values and gradients of `f_fused` and `f_ref` agree for every input.
    fn same_values_and_grads(
        inputs: &[Var],
        f_fused: impl Fn(&[&Tensor]) -> Result<Tensor>,
        f_ref: impl Fn(&[&Tensor]) -> Result<Tensor>,
        tol: f64,
    ) -> Result<()> {
        let ts: Vec<&Tensor> = inputs.iter().map(|v| v.as_tensor()).collect();
        let (yf, yr) = (f_fused(&ts)?, f_ref(&ts)?);
        let diff = max_abs_diff(&yf, &yr)?;
        assert!(diff < tol, "values {diff}");
        let c = seeded_randn(1, 0f64, 1., yf.shape(), yf.device())?.to_dtype(yf.dtype())?;
        let gf = (yf * &c)?.sum_all()?.backward()?;
        let gr = (yr * &c)?.sum_all()?.backward()?;
        for (k, v) in inputs.iter().enumerate() {
            let (a, b) = (gf.get(v).expect("fused grad"), gr.get(v).expect("ref grad"));
            let diff = max_abs_diff(a, b)?;
            assert!(diff < tol, "input {k}: grad diff {diff}");
        }
        Ok(())
    }

    #[test]
    fn layer_norm_matches_layer_norm_slow_values_and_gradients() -> Result<()> {
        let dev = Device::Cpu;
        for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 1e-4)] {
            let x =
                Var::from_tensor(&seeded_randn(2, 0f64, 2., (2, 3, 7), &dev)?.to_dtype(dtype)?)?;
            let w = Var::from_tensor(&seeded_randn(3, 1f64, 0.5, 7, &dev)?.to_dtype(dtype)?)?;
            let b = Var::from_tensor(&seeded_randn(4, 0f64, 0.5, 7, &dev)?.to_dtype(dtype)?)?;
            same_values_and_grads(
                &[x, w, b],
                |t| layer_norm(t[0], t[1], t[2], 1e-5f32 as f64),
                |t| candle_nn::ops::layer_norm_slow(t[0], t[1], t[2], 1e-5),
                tol,
            )?;
        }
        Ok(())
    }

    #[test]
    fn layer_norm_on_a_transposed_input() -> Result<()> {
        let dev = Device::Cpu;
        let x = seeded_randn(5, 0f64, 1., (5, 4), &dev)?.t()?;
        let (w, b) = (
            Tensor::ones(5, DType::F64, &dev)?,
            Tensor::zeros(5, DType::F64, &dev)?,
        );
        let diff = max_abs_diff(
            // layer_norm_slow takes eps as f32: give both the same value.
            &layer_norm(&x, &w, &b, 1e-5f32 as f64)?,
            &candle_nn::ops::layer_norm_slow(&x, &w, &b, 1e-5)?,
        )?;
        assert!(diff < 1e-12, "{diff}");
        Ok(())
    }

    #[test]
    fn prelu_matches_definition_values_and_gradients() -> Result<()> {
        let dev = Device::Cpu;
        // Away from 0, where the derivative jumps.
        let x = seeded_randn(6, 0f64, 1., (4, 6), &dev)?;
        let x = (x.sign()? * (x.abs()? + 0.1)?)?;
        let x = Var::from_tensor(&x)?;
        let a = Var::new(&[0.3f64], &dev)?;
        same_values_and_grads(
            &[x, a],
            |t| prelu(t[0], t[1]),
            |t| t[0].relu()? - t[0].neg()?.relu()?.broadcast_mul(t[1])?,
            1e-12,
        )
    }

    /// A narrowed, transposed right operand gives the product of its contiguous copy.
    #[test]
    fn matmul_strided_equals_contiguous_product() -> Result<()> {
        let dev = Device::Cpu;
        let x = seeded_randn(7, 0f64, 1., (5, 3), &dev)?;
        let w = seeded_randn(8, 0f64, 1., (4, 9), &dev)?;
        let block = w.narrow(1, 6, 3)?.t()?;
        assert!(!block.is_contiguous());
        let diff = max_abs_diff(
            &matmul_strided(&x, &block)?,
            &x.matmul(&block.contiguous()?)?,
        )?;
        assert!(diff < 1e-12, "{diff}");
        Ok(())
    }

    #[test]
    fn linear_and_bias_match_candle_linear() -> Result<()> {
        let dev = Device::Cpu;
        let w = Var::from_tensor(&seeded_randn(9, 0f64, 1., (3, 5), &dev)?)?;
        let b = Var::from_tensor(&seeded_randn(10, 0f64, 1., 3, &dev)?)?;
        let x = Var::from_tensor(&seeded_randn(11, 0f64, 1., (2, 4, 5), &dev)?)?;
        same_values_and_grads(
            &[w, b, x],
            |t| linear(&Linear::new(t[0].clone(), Some(t[1].clone())), t[2]),
            |t| Linear::new(t[0].clone(), Some(t[1].clone())).forward(t[2]),
            1e-12,
        )
    }
}
