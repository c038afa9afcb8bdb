//! Layer normalisation over the last dimension, forward and backward kernels.

use candle_core::{Result, Shape, Tensor};

use super::fused::{Fused, Kernel};
use super::{last_dim, uses_cpu_kernel};
use crate::host::{layer_norm_backward, layer_norm_forward, HostFloat};

/// Layer normalisation over the last dimension,
/// `y = (x - mean) / sqrt(var + eps) * weight + bias` (biased variance), fused on the CPU.
///
/// Same values as `candle_nn::ops::layer_norm_slow` (to rounding), with a backward pass for
/// `x`, `weight` and `bias`.
///
/// # Shapes
/// - `x`: `(*, d)`; `weight`, `bias`: `(d,)`
/// - output: `(*, d)`
pub fn layer_norm(x: &Tensor, weight: &Tensor, bias: &Tensor, eps: f64) -> Result<Tensor> {
    let d = last_dim(x)?;
    if !(uses_cpu_kernel(x) && weight.dims() == [d] && bias.dims() == [d]) {
        return candle_nn::ops::layer_norm_slow(x, weight, bias, eps as f32);
    }
    x.contiguous()?.apply_op3(
        &weight.contiguous()?,
        &bias.contiguous()?,
        Fused(LayerNormOp { eps }),
    )
}

/// The forward values ([`crate::host::layer_norm_forward`], the one LayerNorm of the crate).
struct LayerNormOp {
    eps: f64,
}

impl Kernel<3> for LayerNormOp {
    const NAME: &'static str = "dos-layer-norm";

    fn run<T: HostFloat>(
        &self,
        [x, w, b]: [&[T]; 3],
        [shape, ..]: [&Shape; 3],
    ) -> Result<(Vec<T>, Shape)> {
        Ok((layer_norm_forward(x, w, b, self.eps)?.0, shape.clone()))
    }

    fn bwd(&self, [x, w, _]: [&Tensor; 3], grad: &Tensor) -> Result<[Option<Tensor>; 3]> {
        let d = w.dim(0)?;
        let rows = x.elem_count() / d.max(1);
        let packed = x.apply_op3_no_bwd(
            w,
            &grad.contiguous()?,
            &Fused(LayerNormBwdOp { eps: self.eps }),
        )?;
        let dx = packed.narrow(0, 0, rows)?.reshape(x.shape())?;
        let dw = packed.narrow(0, rows, 1)?.reshape(d)?;
        let db = packed.narrow(0, rows + 1, 1)?.reshape(d)?;
        Ok([Some(dx), Some(dw), Some(db)])
    }
}

/// Backward from `(x, weight, grad)`, packed: rows `0..n` are dx, row n is dweight, row
/// n + 1 is dbias ([`crate::host::layer_norm_backward`] after recomputing the normalised
/// rows).
struct LayerNormBwdOp {
    eps: f64,
}

impl Kernel<3> for LayerNormBwdOp {
    const NAME: &'static str = "dos-layer-norm-bwd";

    fn run<T: HostFloat>(&self, [x, w, g]: [&[T]; 3], _: [&Shape; 3]) -> Result<(Vec<T>, Shape)> {
        let d = w.len();
        let (_, xhat, rstd) = layer_norm_forward(x, w, &vec![T::ZERO; d], self.eps)?;
        let mut out = vec![T::ZERO; x.len() + 2 * d];
        let (dx, rest) = out.split_at_mut(x.len());
        let (dw, db) = rest.split_at_mut(d);
        layer_norm_backward(&xhat, &rstd, w, g, dx, dw, db)?;
        let rows = x.len() / d.max(1);
        Ok((out, Shape::from((rows + 2, d))))
    }
}
