//! Layer normalisation over the last dimension, forward and backward kernels.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

use super::{dispatch, last_dim, slice, uses_cpu_kernel};
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
        LayerNormOp { eps },
    )
}

struct LayerNormOp {
    eps: f64,
}

/// The forward values ([`crate::host::layer_norm_forward`], the one LayerNorm of the crate).
fn ln_fwd<T: HostFloat>(x: &[T], w: &[T], b: &[T], eps: f64) -> Result<Vec<T>> {
    Ok(layer_norm_forward(x, w, b, eps)?.0)
}

/// Backward, packed: rows `0..n` are dx, row n is dweight, row n + 1 is dbias
/// ([`crate::host::layer_norm_backward`] after recomputing the normalised rows).
fn ln_bwd<T: HostFloat>(x: &[T], w: &[T], g: &[T], eps: f64) -> Result<Vec<T>> {
    let d = w.len();
    let (_, xhat, rstd) = layer_norm_forward(x, w, &vec![T::ZERO; d], eps)?;
    let mut out = vec![T::ZERO; x.len() + 2 * d];
    let (dx, rest) = out.split_at_mut(x.len());
    let (dw, db) = rest.split_at_mut(d);
    layer_norm_backward(&xhat, &rstd, w, g, dx, dw, db)?;
    Ok(out)
}

impl CustomOp3 for LayerNormOp {
    fn name(&self) -> &'static str {
        "dos-layer-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let n = self.name();
        let out = dispatch!(n, (s1, s2, s3), |x, w, b| {
            ln_fwd(
                slice(n, x, l1)?,
                slice(n, w, l2)?,
                slice(n, b, l3)?,
                self.eps,
            )?
        });
        Ok((out, l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let d = w.dim(0)?;
        let rows = x.elem_count() / d.max(1);
        let packed =
            x.apply_op3_no_bwd(w, &grad.contiguous()?, &LayerNormBwdOp { eps: self.eps })?;
        let dx = packed.narrow(0, 0, rows)?.reshape(x.shape())?;
        let dw = packed.narrow(0, rows, 1)?.reshape(d)?;
        let db = packed.narrow(0, rows + 1, 1)?.reshape(d)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

struct LayerNormBwdOp {
    eps: f64,
}

impl CustomOp3 for LayerNormBwdOp {
    fn name(&self) -> &'static str {
        "dos-layer-norm-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let n = self.name();
        let d = l2.shape().elem_count();
        let rows = l1.shape().elem_count() / d.max(1);
        let out = dispatch!(n, (s1, s2, s3), |x, w, g| {
            ln_bwd(
                slice(n, x, l1)?,
                slice(n, w, l2)?,
                slice(n, g, l3)?,
                self.eps,
            )?
        });
        Ok((out, Shape::from((rows + 2, d))))
    }
}
