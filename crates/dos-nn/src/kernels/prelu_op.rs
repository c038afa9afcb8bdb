//! Parametric ReLU with one slope, forward and backward kernels.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

use super::{dispatch, slice, uses_cpu_kernel, Real};

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
