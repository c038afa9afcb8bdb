//! Fused CPU kernels with backward passes: layer normalisation, PReLU and the bias addition
//! of a linear layer.
//!
//! candle composes these from broadcast operations: `layer_norm_slow` records about ten
//! tensor ops forward (each allocating a tensor of the input's size), and every broadcast of a
//! per-feature vector (LayerNorm weight and bias, linear bias) is reduced over the rows in the
//! backward pass by candle's strided reduction, which dominated the DOSTransformer backward.
//! Here each is one `CustomOp` whose backward is one more kernel. On other devices, or for
//! dtypes other than f32 / f64, the functions fall back to the composed candle expressions, so
//! the results are the same everywhere up to rounding.
//!
//! Second derivatives are not supported (the backward kernels have no backward).

use candle_core::{
    bail, CpuStorage, CustomOp1, CustomOp2, CustomOp3, DType, Layout, Module, Result, Shape, Tensor,
};
use candle_nn::Linear;

/// f32 / f64 arithmetic for the kernels.
trait Real:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::AddAssign
{
    const ZERO: Self;
    const ONE: Self;
    fn of(v: f64) -> Self;
    fn sqrt(self) -> Self;
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn of(v: f64) -> Self {
        v as f32
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn of(v: f64) -> Self {
        v
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}

/// The contiguous slice of a layout.
fn slice<'a, T>(op: &str, v: &'a [T], l: &Layout) -> Result<&'a [T]> {
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&v[a..b]),
        None => bail!("{op}: operand is not contiguous"),
    }
}

/// Whether the fused CPU kernels apply to `x`.
fn fusable(x: &Tensor) -> bool {
    x.device().is_cpu() && matches!(x.dtype(), DType::F32 | DType::F64)
}

fn last_dim(x: &Tensor) -> Result<usize> {
    x.dims().last().copied().ok_or_else(|| {
        candle_core::Error::Msg("fused op: a tensor of rank >= 1 is expected".into())
    })
}

/// Dispatches a kernel over f32 / f64 storages of one dtype.
macro_rules! dispatch {
    ($name:expr, ($($s:expr),+), |$($v:ident),+| $body:expr) => {
        match ($($s),+) {
            ($(CpuStorage::F32($v)),+) => { let r: Vec<f32> = $body; CpuStorage::F32(r) }
            ($(CpuStorage::F64($v)),+) => { let r: Vec<f64> = $body; CpuStorage::F64(r) }
            _ => bail!("{}: f32 or f64 operands of one dtype expected", $name),
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Layer normalisation

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
    if !(fusable(x) && weight.dims() == [d] && bias.dims() == [d]) {
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

// ---------------------------------------------------------------------------------------------
// PReLU

/// Parametric ReLU `y = max(0, x) + a min(0, x)` with a one-element slope `a`, fused on the
/// CPU, with a backward pass for `x` and `a`.
///
/// # Shapes
/// - `x`: any; `a`: `(1,)`
/// - output: as `x`
pub fn prelu(x: &Tensor, a: &Tensor) -> Result<Tensor> {
    if !(fusable(x) && a.elem_count() == 1 && a.dtype() == x.dtype()) {
        let neg = x.neg()?.relu()?; // = -min(0, x)
        return x.relu()? - neg.broadcast_mul(a)?;
    }
    x.contiguous()?.apply_op2(&a.contiguous()?, PReluOp)
}

struct PReluOp;

impl CustomOp2 for PReluOp {
    fn name(&self) -> &'static str {
        "dos-prelu"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let n = self.name();
        fn run<T: Real>(x: &[T], a: T) -> Vec<T> {
            x.iter()
                .map(|&v| if v > T::ZERO { v } else { a * v })
                .collect()
        }
        let out = dispatch!(n, (s1, s2), |x, a| run(
            slice(n, x, l1)?,
            slice(n, a, l2)?[0]
        ));
        Ok((out, l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        a: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let numel = x.elem_count();
        let packed = x.apply_op3_no_bwd(a, &grad.contiguous()?, &PReluBwdOp)?;
        let dx = packed.narrow(0, 0, numel)?.reshape(x.shape())?;
        let da = packed.narrow(0, numel, 1)?.reshape(a.shape())?;
        Ok((Some(dx), Some(da)))
    }
}

/// Packed backward: `[dx (numel values), da]`.
struct PReluBwdOp;

impl CustomOp3 for PReluBwdOp {
    fn name(&self) -> &'static str {
        "dos-prelu-bwd"
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
        fn run<T: Real>(x: &[T], a: T, g: &[T]) -> Vec<T> {
            let mut out = Vec::with_capacity(x.len() + 1);
            let mut da = T::ZERO;
            for (&v, &g) in x.iter().zip(g) {
                if v > T::ZERO {
                    out.push(g);
                } else {
                    out.push(a * g);
                    da += g * v;
                }
            }
            out.push(da);
            out
        }
        let out = dispatch!(n, (s1, s2, s3), |x, a, g| run(
            slice(n, x, l1)?,
            slice(n, a, l2)?[0],
            slice(n, g, l3)?
        ));
        Ok((out, Shape::from(l1.shape().elem_count() + 1)))
    }
}

// ---------------------------------------------------------------------------------------------
// Linear layers

/// `x + bias` with `bias` broadcast over the rows, fused on the CPU; the backward pass sums
/// the gradient over the rows with a contiguous kernel.
///
/// # Shapes
/// - `x`: `(*, d)`; `bias`: `(d,)`
/// - output: `(*, d)`
pub fn add_bias(x: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let d = last_dim(x)?;
    if !(fusable(x) && bias.dims() == [d] && bias.dtype() == x.dtype()) {
        return x.broadcast_add(bias);
    }
    x.contiguous()?.apply_op2(&bias.contiguous()?, AddBiasOp)
}

struct AddBiasOp;

impl CustomOp2 for AddBiasOp {
    fn name(&self) -> &'static str {
        "dos-add-bias"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let n = self.name();
        fn run<T: Real>(x: &[T], b: &[T]) -> Vec<T> {
            let mut y = Vec::with_capacity(x.len());
            for row in x.chunks_exact(b.len().max(1)) {
                y.extend(row.iter().zip(b).map(|(&v, &b)| v + b));
            }
            y
        }
        let out = dispatch!(n, (s1, s2), |x, b| run(slice(n, x, l1)?, slice(n, b, l2)?));
        Ok((out, l1.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let db = grad.contiguous()?.apply_op1_no_bwd(&SumRowsOp)?;
        Ok((Some(grad.clone()), Some(db)))
    }
}

/// `(*, d) -> (d,)`, the sum over every row.
struct SumRowsOp;

impl CustomOp1 for SumRowsOp {
    fn name(&self) -> &'static str {
        "dos-sum-rows"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let n = self.name();
        let d = l.shape().dims().last().copied().unwrap_or(1).max(1);
        fn run<T: Real>(g: &[T], d: usize) -> Vec<T> {
            let mut acc = vec![T::ZERO; d];
            for row in g.chunks_exact(d) {
                acc.iter_mut().zip(row).for_each(|(a, &v)| *a += v);
            }
            acc
        }
        let out = match s {
            CpuStorage::F32(g) => CpuStorage::F32(run(slice(n, g, l)?, d)),
            CpuStorage::F64(g) => CpuStorage::F64(run(slice(n, g, l)?, d)),
            _ => bail!("{n}: f32 or f64 operand expected"),
        };
        Ok((out, Shape::from(d)))
    }
}

/// `y = x W^T + b` for a `candle_nn::Linear`, with the rows of `x` flattened into one matrix
/// product (same value as `Linear::forward`).
///
/// On the CPU (f32 / f64, with a bias) the product and the bias form one graph node whose
/// backward computes `dx = g W`, `dW = g^T x` and `db = Σ_rows g` directly. Through
/// `x.matmul(&w.t())` candle would hand back `dW` as a transposed view and accumulate it into
/// the weight's zero-initialised gradient with a strided element-wise add, which cost about a
/// fifth of the DOSTransformer backward pass (6.5 M weights per step).
///
/// # Shapes
/// - `x`: `(*, in)`; weight `(out, in)`, bias `(out,)`
/// - output: `(*, out)`
pub fn linear(lin: &Linear, x: &Tensor) -> Result<Tensor> {
    if !fusable(x) {
        return lin.forward(x);
    }
    let w = lin.weight();
    let (out, k) = w.dims2()?;
    let dims = x.dims().to_vec();
    let rows = x.elem_count() / k.max(1);
    let x2 = x.contiguous()?.reshape((rows, k))?;
    let y = match lin.bias() {
        Some(b) if b.dims() == [out] && b.dtype() == x.dtype() && w.dtype() == x.dtype() => {
            // The product is computed outside the graph; LinearOp records it as one node.
            let y = x2.detach().matmul(&w.detach().t()?)?;
            x2.apply_op3(w, &b.contiguous()?, LinearOp { y })?
        }
        Some(b) => add_bias(&x2.matmul(&w.t()?)?, b)?,
        None => x2.matmul(&w.t()?)?,
    };
    let mut out_dims = dims;
    match out_dims.last_mut() {
        Some(last) => *last = out,
        None => bail!("linear: input of rank >= 1 expected"),
    }
    y.reshape(out_dims)
}

/// `y + b` for the precomputed (untracked) product `y = x W^T`, recorded with arguments
/// `(x, W, b)` so that the backward pass returns their gradients contiguously.
struct LinearOp {
    y: Tensor,
}

impl CustomOp3 for LinearOp {
    fn name(&self) -> &'static str {
        "dos-linear"
    }

    fn cpu_fwd(
        &self,
        _s1: &CpuStorage,
        _l1: &Layout,
        _s2: &CpuStorage,
        _l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let n = self.name();
        let (ys, yl) = self.y.storage_and_layout();
        let ys = match &*ys {
            candle_core::Storage::Cpu(s) => s,
            _ => bail!("{n}: the product is not on the CPU"),
        };
        fn run<T: Real>(y: &[T], b: &[T]) -> Vec<T> {
            let mut out = Vec::with_capacity(y.len());
            for row in y.chunks_exact(b.len().max(1)) {
                out.extend(row.iter().zip(b).map(|(&v, &b)| v + b));
            }
            out
        }
        let out = dispatch!(n, (ys, s3), |y, b| run(slice(n, y, yl)?, slice(n, b, l3)?));
        Ok((out, yl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let g = grad.contiguous()?;
        let dx = g.matmul(&w.detach())?;
        let dw = g.t()?.matmul(&x.detach())?;
        let db = g.apply_op1_no_bwd(&SumRowsOp)?;
        Ok((Some(dx), Some(dw), Some(db)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::max_abs_diff;
    use candle_core::{Device, Var};

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
        let c = Tensor::randn(0f64, 1., yf.shape(), yf.device())?.to_dtype(yf.dtype())?;
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
            let x = Var::from_tensor(&Tensor::randn(0f64, 2., (2, 3, 7), &dev)?.to_dtype(dtype)?)?;
            let w = Var::from_tensor(&Tensor::randn(1f64, 0.5, 7, &dev)?.to_dtype(dtype)?)?;
            let b = Var::from_tensor(&Tensor::randn(0f64, 0.5, 7, &dev)?.to_dtype(dtype)?)?;
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
        let x = Tensor::randn(0f64, 1., (5, 4), &dev)?.t()?;
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
        let x = Tensor::randn(0f64, 1., (4, 6), &dev)?;
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

    #[test]
    fn linear_and_bias_match_candle_linear() -> Result<()> {
        let dev = Device::Cpu;
        let w = Var::from_tensor(&Tensor::randn(0f64, 1., (3, 5), &dev)?)?;
        let b = Var::from_tensor(&Tensor::randn(0f64, 1., 3, &dev)?)?;
        let x = Var::from_tensor(&Tensor::randn(0f64, 1., (2, 4, 5), &dev)?)?;
        same_values_and_grads(
            &[w, b, x],
            |t| linear(&Linear::new(t[0].clone(), Some(t[1].clone())), t[2]),
            |t| Linear::new(t[0].clone(), Some(t[1].clone())).forward(t[2]),
            1e-12,
        )
    }
}
