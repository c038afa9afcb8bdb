//! Softmax over keys with masked keys given exactly zero weight.

use candle_core::{DType, Result, Tensor, D};

/// Masked softmax over the last dimension,
/// `w_k = mask_k exp(s_k) / sum_l mask_l exp(s_l)` (a row whose keys are all masked gives 0).
///
/// `mask` holds 1 for a key to keep and 0 for a key to drop, in any float dtype (it is cast
/// to the dtype of `scores`) and broadcastable to `scores`. Masked keys get exactly zero
/// weight, and an entirely masked row gives zeros rather than NaN.
///
/// Built on `candle_nn::ops::softmax`, which has a backward pass (`softmax_last_dim` does
/// not).
///
/// # Shapes
/// - `scores`: `(*, M, N)`, e.g. `(B, M, N)` or `(B, heads, M, N)`
/// - `mask`: broadcastable to `scores`, e.g. `(B, 1, N)` or `(B, 1, 1, N)`
/// - output: same as `scores`
///
/// ```
/// use candle_core::{Device, Tensor};
/// # fn main() -> candle_core::Result<()> {
/// let s = Tensor::new(&[[[0f32, 0., 5.]]], &Device::Cpu)?;
/// let m = Tensor::new(&[[[1f32, 1., 0.]]], &Device::Cpu)?;
/// let w = dos_nn::masked_softmax(&s, &m)?;
/// assert_eq!(w.to_vec3::<f32>()?, vec![vec![vec![0.5, 0.5, 0.0]]]);
/// # Ok(()) }
/// ```
pub fn masked_softmax(scores: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let mask = mask.to_dtype(scores.dtype())?;
    // A large finite negative rather than -inf: exp underflows to exactly 0 for kept rows, and
    // an all-masked row stays finite (uniform) before the final multiplication by the mask.
    let fill = match scores.dtype() {
        DType::F16 => -6.0e4,
        _ => -1.0e30,
    };
    // bias = (1 - mask) * fill, exactly 0 where mask = 1.
    let bias = mask.affine(-fill, fill)?;
    let w = candle_nn::ops::softmax(&scores.broadcast_add(&bias)?, D::Minus1)?;
    w.broadcast_mul(&mask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn equals_softmax_over_kept_keys() -> Result<()> {
        let dev = Device::Cpu;
        let s = Tensor::new(&[[[0.3f64, -1.2, 2.0, 0.7], [1.0, 2.0, 3.0, 4.0]]], &dev)?;
        let m = Tensor::new(&[[[1f64, 0., 1., 1.]]], &dev)?;
        let w = masked_softmax(&s, &m)?.to_vec3::<f64>()?;
        for (row, srow) in w[0].iter().zip(s.to_vec3::<f64>()?[0].iter()) {
            let kept = [0usize, 2, 3];
            let z: f64 = kept.iter().map(|&k| srow[k].exp()).sum();
            assert_eq!(row[1], 0.0);
            for &k in &kept {
                assert!((row[k] - srow[k].exp() / z).abs() < 1e-14);
            }
        }
        Ok(())
    }

    #[test]
    fn all_masked_row_is_zero_not_nan() -> Result<()> {
        let dev = Device::Cpu;
        let s = Var::new(&[[[0.3f32, -1.2], [4.0, 1.0]]], &dev)?;
        let m = Tensor::new(&[[[0f32, 0.]]], &dev)?;
        let w = masked_softmax(s.as_tensor(), &m)?;
        assert_eq!(w.to_vec3::<f32>()?, vec![vec![vec![0.0, 0.0]; 2]]);
        let g = w.sum_all()?.backward()?;
        let gs = g.get(&s).expect("gradient").to_vec3::<f32>()?;
        assert!(gs.iter().flatten().flatten().all(|v| v.is_finite()));
        Ok(())
    }

    #[test]
    fn masked_keys_get_no_gradient_and_kept_keys_do() -> Result<()> {
        let dev = Device::Cpu;
        let s = Var::new(&[[[0.3f64, -1.2, 2.0]]], &dev)?;
        let m = Tensor::new(&[[[1f64, 1., 0.]]], &dev)?;
        let c = Tensor::new(&[[[1f64, 3., 7.]]], &dev)?;
        let g = (masked_softmax(s.as_tensor(), &m)? * c)?
            .sum_all()?
            .backward()?;
        let gs = g.get(&s).expect("gradient").to_vec3::<f64>()?;
        // d/ds_k sum_l c_l w_l = w_k (c_k - sum_l c_l w_l), over kept keys only.
        let (a, b) = (0.3f64.exp(), (-1.2f64).exp());
        let (w0, w1) = (a / (a + b), b / (a + b));
        let mean = w0 * 1.0 + w1 * 3.0;
        assert!((gs[0][0][0] - w0 * (1.0 - mean)).abs() < 1e-14);
        assert!((gs[0][0][1] - w1 * (3.0 - mean)).abs() < 1e-14);
        assert_eq!(gs[0][0][2], 0.0);
        Ok(())
    }
}
