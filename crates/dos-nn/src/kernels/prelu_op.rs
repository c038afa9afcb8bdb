//! Parametric ReLU with one slope, forward and backward kernels.

use candle_core::{Result, Shape, Tensor};

use super::fused::{Fused, Kernel};
use super::uses_cpu_kernel;
use crate::host::HostFloat;

/// Parametric ReLU `y = max(0, x) + a min(0, x)` with a one-element slope `a`, fused on the
/// CPU, with a backward pass for `x` and `a`.
///
/// # Shapes
/// - `x`: any; `a`: `(1,)`
/// - output: as `x`
pub fn prelu(x: &Tensor, a: &Tensor) -> Result<Tensor> {
    if !(uses_cpu_kernel(x) && a.elem_count() == 1 && a.dtype() == x.dtype()) {
        let neg = x.neg()?.relu()?; // = -min(0, x)
        return x.relu()? - neg.broadcast_mul(a)?;
    }
    x.contiguous()?.apply_op2(&a.contiguous()?, Fused(PReluOp))
}

struct PReluOp;

impl Kernel<2> for PReluOp {
    const NAME: &'static str = "dos-prelu";

    fn run<T: HostFloat>(
        &self,
        [x, a]: [&[T]; 2],
        [shape, _]: [&Shape; 2],
    ) -> Result<(Vec<T>, Shape)> {
        let a = a[0];
        let y = x.iter().map(|&v| if v > T::ZERO { v } else { a * v });
        Ok((y.collect(), shape.clone()))
    }

    fn bwd(&self, [x, a]: [&Tensor; 2], grad: &Tensor) -> Result<[Option<Tensor>; 2]> {
        let numel = x.elem_count();
        let packed = x.apply_op3_no_bwd(a, &grad.contiguous()?, &Fused(PReluBwdOp))?;
        let dx = packed.narrow(0, 0, numel)?.reshape(x.shape())?;
        let da = packed.narrow(0, numel, 1)?.reshape(a.shape())?;
        Ok([Some(dx), Some(da)])
    }
}

/// Backward from `(x, a, grad)`, packed: `[dx (numel values), da]`.
struct PReluBwdOp;

impl Kernel<3> for PReluBwdOp {
    const NAME: &'static str = "dos-prelu-bwd";

    fn run<T: HostFloat>(&self, [x, a, g]: [&[T]; 3], _: [&Shape; 3]) -> Result<(Vec<T>, Shape)> {
        let a = a[0];
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
        let len = out.len();
        Ok((out, Shape::from(len)))
    }
}
