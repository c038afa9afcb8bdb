//! Fused gather-and-sum of the edge MLP's first layer (CPU kernel with a backward pass).

use candle_core::{bail, Result, Shape, Tensor};

use super::fused::{Fused, Kernel};
use super::uses_cpu_kernel;
use crate::host::HostFloat;

/// `z_e = hw[r_e, :, 0] + hw[s_e, :, 1] + c_e + bias` for every edge e (r receiver, s sender).
///
/// `hw` holds the per-atom products of the first two weight blocks interleaved along its last
/// axis (block k at index k; a third slot, if any, is ignored), `c` the per-edge product of the
/// third block. On the CPU this is one kernel instead of two gathers and three additions
/// (each of which candle's backward pass would zero-fill and accumulate); elsewhere it is
/// composed from `index_select` and additions.
///
/// # Shapes
/// - `hw`: `(N, h, K)` with K >= 2; `c`: `(E, h)`; `bias`: `(h,)`
/// - `senders`, `receivers`: `(E,)` u32 in `0..N`
/// - output: `(E, h)`
pub fn edge_sum(
    hw: &Tensor,
    c: &Tensor,
    bias: Option<&Tensor>,
    senders: &Tensor,
    receivers: &Tensor,
) -> Result<Tensor> {
    let (n, h, k) = hw.dims3()?;
    let (e, hc) = c.dims2()?;
    if hc != h || k < 2 {
        bail!(
            "edge_sum: hw {:?} and c {:?} do not match",
            hw.dims(),
            c.dims()
        );
    }
    let bias = match bias {
        Some(b) if uses_cpu_kernel(hw) => b,
        _ => {
            let p = hw.narrow(2, 0, 1)?.squeeze(2)?.contiguous()?;
            let q = hw.narrow(2, 1, 1)?.squeeze(2)?.contiguous()?;
            let z = ((p.index_select(receivers, 0)? + q.index_select(senders, 0)?)? + c)?;
            return match bias {
                Some(b) => z.broadcast_add(b),
                None => Ok(z),
            };
        }
    };
    let recv = receivers.to_vec1::<u32>()?;
    let send = senders.to_vec1::<u32>()?;
    if recv.len() != e || send.len() != e {
        bail!(
            "edge_sum: {e} edges but {} senders, {} receivers",
            send.len(),
            recv.len()
        );
    }
    if let Some(bad) = recv.iter().chain(&send).find(|&&i| i as usize >= n) {
        bail!("edge_sum: atom index {bad} out of range for {n} atoms");
    }
    hw.contiguous()?.apply_op3(
        &c.contiguous()?,
        &bias.contiguous()?,
        Fused(EdgeSumOp {
            recv,
            send,
            n,
            h,
            k,
        }),
    )
}

struct EdgeSumOp {
    recv: Vec<u32>,
    send: Vec<u32>,
    n: usize,
    h: usize,
    k: usize,
}

impl Kernel<3> for EdgeSumOp {
    const NAME: &'static str = "dos-edge-sum";

    fn run<T: HostFloat>(&self, [hw, c, b]: [&[T]; 3], _: [&Shape; 3]) -> Result<(Vec<T>, Shape)> {
        let (h, k) = (self.h, self.k);
        let mut z = Vec::with_capacity(c.len());
        for ((&r, &s), crow) in self.recv.iter().zip(&self.send).zip(c.chunks_exact(h)) {
            let (pr, qs) = (r as usize * h * k, s as usize * h * k);
            z.extend((0..h).map(|o| hw[pr + o * k] + hw[qs + o * k + 1] + crow[o] + b[o]));
        }
        Ok((z, Shape::from((self.recv.len(), h))))
    }

    fn bwd(&self, [hw, _, bias]: [&Tensor; 3], grad: &Tensor) -> Result<[Option<Tensor>; 3]> {
        let packed = grad
            .contiguous()?
            .apply_op1_no_bwd(&Fused(EdgeSumBwdOp(self)))?;
        let nhk = self.n * self.h * self.k;
        let dhw = packed.narrow(0, 0, nhk)?.reshape(hw.shape())?;
        let db = packed.narrow(0, nhk, self.h)?.reshape(bias.shape())?;
        Ok([Some(dhw), Some(grad.clone()), Some(db)])
    }
}

/// The backward kernel of [`EdgeSumOp`]: packed `[d hw (N h K values), d bias (h values)]`
/// from the output gradient.
struct EdgeSumBwdOp<'a>(&'a EdgeSumOp);

impl Kernel<1> for EdgeSumBwdOp<'_> {
    const NAME: &'static str = "dos-edge-sum-bwd";

    fn run<T: HostFloat>(&self, [g]: [&[T]; 1], _: [&Shape; 1]) -> Result<(Vec<T>, Shape)> {
        let EdgeSumOp {
            recv,
            send,
            n,
            h,
            k,
        } = self.0;
        let (h, k) = (*h, *k);
        let db = n * h * k;
        let mut out = vec![T::ZERO; db + h];
        for ((&r, &s), grow) in recv.iter().zip(send).zip(g.chunks_exact(h)) {
            let (pr, qs) = (r as usize * h * k, s as usize * h * k);
            for (o, &gv) in grow.iter().enumerate() {
                out[pr + o * k] += gv;
                out[qs + o * k + 1] += gv;
                out[db + o] += gv;
            }
        }
        let len = out.len();
        Ok((out, Shape::from(len)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeded_randn;
    use candle_core::{DType, Device, Var};

    #[test]
    fn equals_gathers_and_sums_with_gradients() -> Result<()> {
        let dev = Device::Cpu;
        let hw = Var::from_tensor(&seeded_randn(1, 0f64, 1., (4, 5, 3), &dev)?)?;
        let c = Var::from_tensor(&seeded_randn(2, 0f64, 1., (6, 5), &dev)?)?;
        let b = Var::from_tensor(&seeded_randn(3, 0f64, 1., 5, &dev)?)?;
        let s = Tensor::new(&[0u32, 1, 2, 3, 3, 1], &dev)?;
        let r = Tensor::new(&[1u32, 0, 3, 2, 1, 1], &dev)?;
        let w = seeded_randn(4, 0f64, 1., (6, 5), &dev)?;
        let fused = edge_sum(&hw, &c, Some(&b), &s, &r)?;
        // Reference: the composed expression written out directly.
        let p = hw
            .narrow(2, 0, 1)?
            .squeeze(2)?
            .contiguous()?
            .index_select(&r, 0)?;
        let q = hw
            .narrow(2, 1, 1)?
            .squeeze(2)?
            .contiguous()?
            .index_select(&s, 0)?;
        let plain = ((p + q)? + c.as_tensor())?.broadcast_add(&b)?;
        let diff = (&fused - &plain)?.abs()?.max_all()?.to_scalar::<f64>()?;
        assert!(diff < 1e-14, "{diff}");
        let gf = (fused * &w)?.sum_all()?.backward()?;
        let gp = (plain * &w)?.sum_all()?.backward()?;
        for v in [&hw, &c, &b] {
            let (a, e) = (gf.get(v).expect("fused"), gp.get(v).expect("plain"));
            let diff = (a - e)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f64>()?;
            assert!(diff < 1e-13, "{diff}");
        }
        Ok(())
    }

    #[test]
    fn out_of_range_index_is_an_error() -> Result<()> {
        let dev = Device::Cpu;
        let hw = Tensor::zeros((2, 3, 3), DType::F32, &dev)?;
        let c = Tensor::zeros((1, 3), DType::F32, &dev)?;
        let b = Tensor::zeros(3, DType::F32, &dev)?;
        let s = Tensor::new(&[0u32], &dev)?;
        let r = Tensor::new(&[2u32], &dev)?;
        assert!(edge_sum(&hw, &c, Some(&b), &s, &r).is_err());
        Ok(())
    }
}
