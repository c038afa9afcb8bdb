//! Node rows to the padded per-crystal layout used by attention.

use candle_core::{Result, Tensor};

/// Gathers node rows into `(B, n_max, d)`, `out[b, k] = atom_mask[b, k] * h[padded_index[b * n_max + k]]`.
///
/// Padding slots (mask 0) are exactly zero.
///
/// # Shapes
/// - `h`: `(N, d)`
/// - `padded_index`: `(B * n_max,)` u32
/// - `atom_mask`: `(B, n_max)`, 1 for a real atom and 0 for padding
/// - output: `(B, n_max, d)`
pub fn to_padded(
    h: &Tensor,
    padded_index: &Tensor,
    atom_mask: &Tensor,
    b: usize,
    n_max: usize,
) -> Result<Tensor> {
    let (_, d) = h.dims2()?;
    if b * n_max == 0 {
        return Tensor::zeros((b, n_max, d), h.dtype(), h.device());
    }
    let mask = atom_mask.to_dtype(h.dtype())?.reshape((b, n_max, 1))?;
    h.index_select(padded_index, 0)?
        .reshape((b, n_max, d))?
        .broadcast_mul(&mask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn gathers_and_zeroes_padding() -> Result<()> {
        let dev = Device::Cpu;
        let h = Tensor::new(&[[1f32, 1.], [2., 2.], [3., 3.]], &dev)?;
        // Crystal 0 has nodes 0, 1; crystal 1 has node 2 and one padding slot (-> node 0).
        let idx = Tensor::new(&[0u32, 1, 2, 0], &dev)?;
        let mask = Tensor::new(&[[1f32, 1.], [1., 0.]], &dev)?;
        let p = to_padded(&h, &idx, &mask, 2, 2)?.to_vec3::<f32>()?;
        assert_eq!(p, [[[1., 1.], [2., 2.]], [[3., 3.], [0., 0.]]]);
        Ok(())
    }
}
