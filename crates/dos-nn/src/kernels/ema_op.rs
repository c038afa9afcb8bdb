//! Exponential moving average of weights, updated in place.

use candle_core::{bail, CpuStorage, InplaceOp2, Layout, Result, Tensor};

use super::{uses_cpu_kernel, Real};

/// `avg <- decay avg + (1 - decay) w`, without autograd history.
///
/// On the CPU (f32 / f64, both contiguous, one dtype) `avg` is updated in place, one pass
/// and no temporaries, so every tensor sharing `avg`'s storage sees the update; elsewhere
/// `avg` is replaced by the composed `avg.affine(decay, 0) + w.affine(1 - decay, 0)`,
/// detached (a tracked result would keep every earlier average alive through its history).
/// Both paths round alike.
///
/// # Shapes
/// - `avg`, `w`: the same shape
pub fn ema_update(avg: &mut Tensor, w: &Tensor, decay: f64) -> Result<()> {
    let w = w.detach();
    if uses_cpu_kernel(avg)
        && avg.is_contiguous()
        && w.is_contiguous()
        && avg.dtype() == w.dtype()
        && w.device().is_cpu()
    {
        return avg.inplace_op2(&w, &EmaStep { decay });
    }
    *avg = (avg.affine(decay, 0.0)? + w.affine(1.0 - decay, 0.0)?)?.detach();
    Ok(())
}

/// `avg <- decay avg + (1 - decay) w`, in place on `avg` (the op's destination).
struct EmaStep {
    decay: f64,
}

fn ema<T: Real>(avg: &mut [T], w: &[T], decay: f64) {
    let (d, c) = (T::of(decay), T::of(1.0 - decay));
    avg.iter_mut()
        .zip(w)
        .for_each(|(a, &w)| *a = *a * d + w * c);
}

impl InplaceOp2 for EmaStep {
    fn name(&self) -> &'static str {
        "ema-step"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<()> {
        let (Some((a1, b1)), Some((a2, b2))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            bail!("ema-step: operands are not contiguous")
        };
        if b1 - a1 != b2 - a2 {
            bail!("ema-step: {} averages for {} weights", b1 - a1, b2 - a2);
        }
        match (s1, s2) {
            (CpuStorage::F32(avg), CpuStorage::F32(w)) => {
                ema(&mut avg[a1..b1], &w[a2..b2], self.decay)
            }
            (CpuStorage::F64(avg), CpuStorage::F64(w)) => {
                ema(&mut avg[a1..b1], &w[a2..b2], self.decay)
            }
            _ => bail!("ema-step: f32 or f64 operands of one dtype expected"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeded_randn;
    use candle_core::{DType, Device};

    /// The in-place CPU update equals the composed expression bit for bit, and an f16
    /// average (composed path) follows the same recursion.
    #[test]
    fn in_place_equals_composed() -> Result<()> {
        let dev = Device::Cpu;
        for dtype in [DType::F32, DType::F64, DType::F16] {
            let mut avg = seeded_randn(1, 0f32, 1., (3, 70), &dev)?.to_dtype(dtype)?;
            let mut want = avg.copy()?;
            for step in 0..4 {
                let w = (seeded_randn(2 + step as u64, 0f32, 1., (3, 70), &dev)? * step as f64)?
                    .to_dtype(dtype)?;
                let d = 0.5 + 0.1 * step as f64;
                ema_update(&mut avg, &w, d)?;
                want = (want.affine(d, 0.0)? + w.affine(1.0 - d, 0.0)?)?;
            }
            let (a, b) = (
                avg.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?,
                want.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?,
            );
            assert_eq!(a, b, "{dtype:?}");
        }
        Ok(())
    }
}
