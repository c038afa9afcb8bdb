//! Linear layers: the bias addition and the whole `x W^T + b` as one graph node with a
//! contiguous backward pass.

use candle_core::{bail, Module, Result, Shape, Storage, Tensor};
use candle_nn::Linear;

use super::fused::{slice, Fused, Kernel};
use super::{last_dim, uses_cpu_kernel};
use crate::host::{add_row_sums, HostFloat};

/// `x + bias` with `bias` broadcast over the rows, fused on the CPU; the backward pass sums
/// the gradient over the rows with a contiguous kernel.
///
/// # Shapes
/// - `x`: `(*, d)`; `bias`: `(d,)`
/// - output: `(*, d)`
pub fn add_bias(x: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let d = last_dim(x)?;
    if !(uses_cpu_kernel(x) && bias.dims() == [d] && bias.dtype() == x.dtype()) {
        return x.broadcast_add(bias);
    }
    x.contiguous()?
        .apply_op2(&bias.contiguous()?, Fused(AddBiasOp))
}

struct AddBiasOp;

impl Kernel<2> for AddBiasOp {
    const NAME: &'static str = "dos-add-bias";

    fn run<T: HostFloat>(
        &self,
        [x, b]: [&[T]; 2],
        [shape, _]: [&Shape; 2],
    ) -> Result<(Vec<T>, Shape)> {
        Ok((rows_plus(x, b), shape.clone()))
    }

    fn bwd(&self, _: [&Tensor; 2], grad: &Tensor) -> Result<[Option<Tensor>; 2]> {
        let db = grad.contiguous()?.apply_op1_no_bwd(&Fused(SumRowsOp))?;
        Ok([Some(grad.clone()), Some(db)])
    }
}

/// Every row of `x` (rows as long as `b`) plus `b`.
fn rows_plus<T: HostFloat>(x: &[T], b: &[T]) -> Vec<T> {
    let mut y = Vec::with_capacity(x.len());
    for row in x.chunks_exact(b.len().max(1)) {
        y.extend(row.iter().zip(b).map(|(&v, &b)| v + b));
    }
    y
}

/// `(*, d) -> (d,)`, the sum over every row.
struct SumRowsOp;

impl Kernel<1> for SumRowsOp {
    const NAME: &'static str = "dos-sum-rows";

    fn run<T: HostFloat>(&self, [g]: [&[T]; 1], [shape]: [&Shape; 1]) -> Result<(Vec<T>, Shape)> {
        let d = shape.dims().last().copied().unwrap_or(1).max(1);
        let mut acc = vec![T::ZERO; d];
        add_row_sums(g, &mut acc);
        Ok((acc, Shape::from(d)))
    }
}

/// `x w` for a right operand `w` that may be a strided view (a transposed or narrowed block
/// of a weight): on the CPU the matrix product takes the strides as they are (no copy);
/// other devices' products need a contiguous operand, so `w` is copied there.
///
/// # Shapes
/// - `x`: `(n, k)`; `w`: `(k, m)`
/// - output: `(n, m)`
pub fn matmul_strided(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    if w.device().is_cpu() {
        x.matmul(w)
    } else {
        x.matmul(&w.contiguous()?)
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
    if !uses_cpu_kernel(x) {
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
            x2.apply_op3(&w.contiguous()?, &b.contiguous()?, Fused(LinearOp { y }))?
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

impl Kernel<3> for LinearOp {
    const NAME: &'static str = "dos-linear";

    fn run<T: HostFloat>(&self, [_, _, b]: [&[T]; 3], _: [&Shape; 3]) -> Result<(Vec<T>, Shape)> {
        let (ys, yl) = self.y.storage_and_layout();
        let Storage::Cpu(ys) = &*ys else {
            bail!("{}: the product is not on the CPU", Self::NAME)
        };
        let y = slice(Self::NAME, ys.as_slice::<T>()?, yl)?;
        Ok((rows_plus(y, b), yl.shape().clone()))
    }

    fn bwd(&self, [x, w, _]: [&Tensor; 3], grad: &Tensor) -> Result<[Option<Tensor>; 3]> {
        let g = grad.contiguous()?;
        let dx = g.matmul(&w.detach())?;
        let dw = g.t()?.matmul(&x.detach())?;
        let db = g.apply_op1_no_bwd(&Fused(SumRowsOp))?;
        Ok([Some(dx), Some(dw), Some(db)])
    }
}
