//! Reductions of rows by segment index (message aggregation, pooling).

use candle_core::{DType, Result, Tensor};

/// Segment sum, `out[s] = sum_{e: index[e] = s} values[e]`.
///
/// Built on `index_add` (its backward is an `index_select`); `scatter_add` is avoided because
/// its backward is wrong in candle 0.11.
///
/// # Shapes
/// - `values`: `(E, d)`
/// - `index`: `(E,)` u32, entries `< n_segments`
/// - output: `(n_segments, d)`
pub fn segment_sum(values: &Tensor, index: &Tensor, n_segments: usize) -> Result<Tensor> {
    let (e, d) = values.dims2()?;
    let zeros = Tensor::zeros((n_segments, d), values.dtype(), values.device())?;
    if e == 0 {
        return Ok(zeros);
    }
    zeros.index_add(index, values, 0)
}

/// Number of rows per segment, clamped to at least 1 so that it can divide a sum.
///
/// # Shapes
/// - `index`: `(E,)` u32
/// - output: `(n_segments, 1)` in `dtype`
pub fn segment_counts(index: &Tensor, n_segments: usize, dtype: DType) -> Result<Tensor> {
    let e = index.dims1()?;
    let ones = Tensor::ones((e, 1), dtype, index.device())?;
    segment_sum(&ones, index, n_segments)?.maximum(1.0)
}

/// Segment mean, `out[s] = mean_{e: index[e] = s} values[e]`, 0 for an empty segment.
///
/// # Shapes
/// - `values`: `(E, d)`
/// - `index`: `(E,)` u32, entries `< n_segments`
/// - output: `(n_segments, d)`
pub fn segment_mean(values: &Tensor, index: &Tensor, n_segments: usize) -> Result<Tensor> {
    let counts = segment_counts(index, n_segments, values.dtype())?;
    segment_sum(values, index, n_segments)?.broadcast_div(&counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn sum_and_mean_by_hand() -> Result<()> {
        let dev = Device::Cpu;
        let v = Tensor::new(&[[1f64, 2.], [3., 4.], [5., 6.]], &dev)?;
        let idx = Tensor::new(&[2u32, 0, 2], &dev)?;
        let s = segment_sum(&v, &idx, 4)?.to_vec2::<f64>()?;
        assert_eq!(s, [[3., 4.], [0., 0.], [6., 8.], [0., 0.]]);
        let m = segment_mean(&v, &idx, 4)?.to_vec2::<f64>()?;
        assert_eq!(m, [[3., 4.], [0., 0.], [3., 4.], [0., 0.]]);
        Ok(())
    }

    #[test]
    fn empty_input_gives_zeros() -> Result<()> {
        let dev = Device::Cpu;
        let v = Tensor::zeros((0, 3), DType::F32, &dev)?;
        let idx = Tensor::zeros(0, DType::U32, &dev)?;
        let m = segment_mean(&v, &idx, 2)?.to_vec2::<f32>()?;
        assert_eq!(m, [[0.; 3]; 2]);
        Ok(())
    }

    #[test]
    fn backward_is_a_gather() -> Result<()> {
        // d/dv_e sum_s c_s out_s = c_{index[e]} / count_{index[e]} for the mean.
        let dev = Device::Cpu;
        let v = Var::new(&[[1f64], [3.], [5.]], &dev)?;
        let idx = Tensor::new(&[1u32, 0, 1], &dev)?;
        let c = Tensor::new(&[[10f64], [20.]], &dev)?;
        let g = (segment_mean(v.as_tensor(), &idx, 2)? * c)?
            .sum_all()?
            .backward()?;
        let gv = g.get(&v).expect("gradient").to_vec2::<f64>()?;
        assert_eq!(gv, [[10.], [10.], [10.]]);
        Ok(())
    }
}
