//! Layer normalisation over the last dimension, forward and backward kernels.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

use super::{dispatch, last_dim, slice, uses_cpu_kernel, Real};

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

/// Per-row mean and 1/std of `x` (rows of length d).
fn row_stats<T: Real>(row: &[T], eps: f64) -> (T, T) {
    let n = T::of(row.len() as f64);
    let mut s = T::ZERO;
    row.iter().for_each(|&v| s += v);
    let mean = s / n;
    let mut q = T::ZERO;
    row.iter().for_each(|&v| q += (v - mean) * (v - mean));
    (mean, T::ONE / (q / n + T::of(eps)).sqrt())
}

fn ln_fwd<T: Real>(x: &[T], w: &[T], b: &[T], eps: f64) -> Vec<T> {
    let d = w.len();
    let mut y = Vec::with_capacity(x.len());
    for row in x.chunks_exact(d) {
        let (mean, rstd) = row_stats(row, eps);
        y.extend(
            row.iter()
                .zip(w.iter().zip(b))
                .map(|(&v, (&w, &b))| (v - mean) * rstd * w + b),
        );
    }
    y
}

/// Backward, packed: rows `0..n` are dx, row n is dweight, row n + 1 is dbias.
fn ln_bwd<T: Real>(x: &[T], w: &[T], g: &[T], eps: f64) -> Vec<T> {
    let d = w.len();
    let mut out = Vec::with_capacity(x.len() + 2 * d);
    let mut dw = vec![T::ZERO; d];
    let mut db = vec![T::ZERO; d];
    let n = T::of(d as f64);
    for (row, grow) in x.chunks_exact(d).zip(g.chunks_exact(d)) {
        let (mean, rstd) = row_stats(row, eps);
        // gy = g w; dx = rstd (gy - mean(gy) - xhat mean(gy xhat)).
        let (mut s1, mut s2) = (T::ZERO, T::ZERO);
        for k in 0..d {
            let xhat = (row[k] - mean) * rstd;
            let gy = grow[k] * w[k];
            s1 += gy;
            s2 += gy * xhat;
            dw[k] += grow[k] * xhat;
            db[k] += grow[k];
        }
        let (m1, m2) = (s1 / n, s2 / n);
        out.extend((0..d).map(|k| {
            let xhat = (row[k] - mean) * rstd;
            rstd * (grow[k] * w[k] - m1 - xhat * m2)
        }));
    }
    out.extend(dw);
    out.extend(db);
    out
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
            )
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
            )
        });
        Ok((out, Shape::from((rows + 2, d))))
    }
}
