//! The candle plumbing of every kernel, written once: a [`Kernel`] computes on plain slices,
//! and [`Fused`] makes it a candle custom op (storages and layouts in, a storage out).

use candle_core::backend::BackendStorage;
use candle_core::{
    bail, CpuStorage, CustomOp1, CustomOp2, CustomOp3, DType, Layout, Result, Shape, Tensor,
    WithDType,
};

use crate::host::HostFloat;

/// A CPU kernel over the contiguous values of `N` f32 / f64 operands of one dtype.
pub(crate) trait Kernel<const N: usize>: Send + Sync {
    /// The op's name in candle's graph and errors.
    const NAME: &'static str;

    /// The output's values and shape from the operands' values and shapes.
    fn run<T: HostFloat>(&self, xs: [&[T]; N], shapes: [&Shape; N]) -> Result<(Vec<T>, Shape)>;

    /// The operands' gradients from the output's gradient `grad`; by default there is no
    /// backward pass (a backward kernel is applied with `apply_op*_no_bwd`).
    fn bwd(&self, args: [&Tensor; N], grad: &Tensor) -> Result<[Option<Tensor>; N]> {
        let _ = (args, grad);
        bail!("{}: no backward pass", Self::NAME)
    }
}

/// A [`Kernel`] as a candle `CustomOp1` / `CustomOp2` / `CustomOp3`.
pub(crate) struct Fused<K>(pub K);

/// The contiguous values of a layout in `values`.
pub(crate) fn slice<'a, T>(op: &str, values: &'a [T], l: &Layout) -> Result<&'a [T]> {
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&values[a..b]),
        None => bail!("{op}: operand is not contiguous"),
    }
}

/// Runs `k` on the operands' storages: the float type is the first operand's, and every
/// operand must have it.
fn run_cpu<K: Kernel<N>, const N: usize>(
    k: &K,
    ops: [(&CpuStorage, &Layout); N],
) -> Result<(CpuStorage, Shape)> {
    match ops.first().map(|(s, _)| s.dtype()) {
        Some(DType::F32) => run_as::<f32, K, N>(k, ops),
        Some(DType::F64) => run_as::<f64, K, N>(k, ops),
        _ => bail!("{}: f32 or f64 operands expected", K::NAME),
    }
}

fn run_as<T: HostFloat, K: Kernel<N>, const N: usize>(
    k: &K,
    ops: [(&CpuStorage, &Layout); N],
) -> Result<(CpuStorage, Shape)> {
    let mut xs: [&[T]; N] = [&[]; N];
    for (x, (s, l)) in xs.iter_mut().zip(ops) {
        if s.dtype() != <T as WithDType>::DTYPE {
            bail!("{}: operands of one dtype expected", K::NAME);
        }
        *x = slice(K::NAME, s.as_slice::<T>()?, l)?;
    }
    let (values, shape) = k.run(xs, ops.map(|(_, l)| l.shape()))?;
    Ok((T::to_cpu_storage_owned(values), shape))
}

/// `impl CustomOpN for Fused<K>`: the arguments' storages and layouts go to [`run_cpu`], the
/// backward pass to [`Kernel::bwd`].
macro_rules! custom_op {
    ($op:ident, $n:literal, [$(($s:ident, $l:ident, $a:ident)),+], $grads:ty, $out:expr) => {
        impl<K: Kernel<$n>> $op for Fused<K> {
            fn name(&self) -> &'static str {
                K::NAME
            }

            fn cpu_fwd(&self, $($s: &CpuStorage, $l: &Layout),+) -> Result<(CpuStorage, Shape)> {
                run_cpu(&self.0, [$(($s, $l)),+])
            }

            fn bwd(&self, $($a: &Tensor,)+ _res: &Tensor, grad: &Tensor) -> Result<$grads> {
                self.0.bwd([$($a),+], grad).map($out)
            }
        }
    };
}

custom_op!(CustomOp1, 1, [(s1, l1, a1)], Option<Tensor>, |[g1]| g1);
custom_op!(
    CustomOp2,
    2,
    [(s1, l1, a1), (s2, l2, a2)],
    (Option<Tensor>, Option<Tensor>),
    |[g1, g2]| (g1, g2)
);
custom_op!(
    CustomOp3,
    3,
    [(s1, l1, a1), (s2, l2, a2), (s3, l3, a3)],
    (Option<Tensor>, Option<Tensor>, Option<Tensor>),
    |[g1, g2, g3]| (g1, g2, g3)
);
