//! [`WeightStorage`]: how a package stores its members' weights on disk (f32, f16, or int8
//! with one f32 scale per row), and the conversion both ways.
//!
//! Int8 storage keeps each large tensor `W` (at least [`MIN_COMPRESSED_ELEMENTS`] elements)
//! as two safetensors entries: `W.int8` (u8 codes, `W`'s shape) and `W.int8_scale` (f32, one
//! per row, i.e. per index of the first dimension). With `s_r = max_j |W_rj| / 127` and
//! `q_rj = round(W_rj / s_r)` in `-127..=127`, the codes are `q + 128` and reading gives back
//! `W_rj ~ (code_rj - 128) s_r` (absolute error at most `s_r / 2`). Small tensors (norms,
//! biases, prompts) stay f32 under every storage.

use std::collections::HashMap;

use candle_core::{DType, Tensor};

use crate::error::Result;

/// Tensors with fewer elements than this are stored in f32 whatever the storage.
pub const MIN_COMPRESSED_ELEMENTS: usize = 16_384;

/// Name suffix of an int8 tensor's codes.
pub const INT8_CODES: &str = ".int8";
/// Name suffix of an int8 tensor's per-row scales.
pub const INT8_SCALE: &str = ".int8_scale";

/// Storage type of a package's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightStorage {
    /// 32-bit floats.
    #[default]
    F32,
    /// 16-bit floats for the large tensors (half the size).
    F16,
    /// 8-bit codes with one f32 scale per row for the large tensors (a quarter of the size).
    Int8,
}

impl std::fmt::Display for WeightStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WeightStorage::F32 => "f32",
            WeightStorage::F16 => "f16",
            WeightStorage::Int8 => "int8",
        })
    }
}

impl WeightStorage {
    /// The tensors to save for `weights` (host tensors of any float type).
    ///
    /// # Errors
    /// Tensor errors (none expected for host float tensors).
    pub fn encode(self, weights: &HashMap<String, Tensor>) -> Result<HashMap<String, Tensor>> {
        let mut out = HashMap::with_capacity(weights.len());
        for (name, t) in weights {
            let small = t.elem_count() < MIN_COMPRESSED_ELEMENTS;
            match self {
                WeightStorage::F32 => {
                    out.insert(name.clone(), t.to_dtype(DType::F32)?);
                }
                _ if small => {
                    out.insert(name.clone(), t.to_dtype(DType::F32)?);
                }
                WeightStorage::F16 => {
                    out.insert(name.clone(), t.to_dtype(DType::F16)?);
                }
                WeightStorage::Int8 => {
                    let (codes, scale) = quantise(t)?;
                    out.insert(format!("{name}{INT8_CODES}"), codes);
                    out.insert(format!("{name}{INT8_SCALE}"), scale);
                }
            }
        }
        Ok(out)
    }

    /// Turns stored tensors back into weights: every `W.int8` / `W.int8_scale` pair becomes
    /// the f32 tensor `W`; other tensors pass through. Any storage reads with this.
    ///
    /// # Errors
    /// A message naming the tensor when codes lack their scales (or the reverse), the codes
    /// are not u8, or the scales do not hold one f32 per row.
    pub fn decode(
        mut stored: HashMap<String, Tensor>,
    ) -> std::result::Result<HashMap<String, Tensor>, String> {
        let coded: Vec<String> = stored
            .keys()
            .filter_map(|k| k.strip_suffix(INT8_CODES).map(str::to_string))
            .collect();
        for name in coded {
            let codes = stored
                .remove(&format!("{name}{INT8_CODES}"))
                .ok_or_else(|| format!("{name}{INT8_CODES}: missing"))?;
            let scale = stored
                .remove(&format!("{name}{INT8_SCALE}"))
                .ok_or_else(|| format!("{name}{INT8_CODES} has no {name}{INT8_SCALE}"))?;
            let w = dequantise(&codes, &scale).map_err(|e| format!("{name}{INT8_CODES}: {e}"))?;
            stored.insert(name, w);
        }
        if let Some(k) = stored.keys().find(|k| k.ends_with(INT8_SCALE)) {
            return Err(format!("{k} without its {INT8_CODES} codes"));
        }
        Ok(stored)
    }
}

/// Int8 codes (u8, `t`'s shape) and per-row f32 scales of `t` (see the module docs).
fn quantise(t: &Tensor) -> Result<(Tensor, Tensor)> {
    let dims = t.dims().to_vec();
    let rows = dims[0];
    let values = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
    let cols = values.len() / rows.max(1);
    let mut codes = Vec::with_capacity(values.len());
    let mut scales = Vec::with_capacity(rows);
    for row in values.chunks(cols.max(1)) {
        let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
        let s = if max > 0.0 { max / 127.0 } else { 1.0 };
        scales.push(s);
        codes.extend(
            row.iter()
                .map(|v| ((v / s).round().clamp(-127.0, 127.0) as i16 + 128) as u8),
        );
    }
    let device = t.device();
    Ok((
        Tensor::from_vec(codes, dims, device)?,
        Tensor::from_vec(scales, rows, device)?,
    ))
}

/// The f32 tensor that `codes` (u8) and `scale` (f32, one per row) stand for.
fn dequantise(codes: &Tensor, scale: &Tensor) -> std::result::Result<Tensor, String> {
    if codes.dtype() != DType::U8 {
        return Err(format!("codes are {}, expected u8", codes.dtype().as_str()));
    }
    let rows = codes.dims().first().copied().unwrap_or(0);
    if scale.dtype() != DType::F32 || scale.dims() != [rows] {
        return Err(format!(
            "scales must be {rows} f32 values (one per row), found {} of shape {:?}",
            scale.dtype().as_str(),
            scale.dims()
        ));
    }
    let run = || -> candle_core::Result<Tensor> {
        let mut shape = vec![rows];
        shape.extend(std::iter::repeat_n(1, codes.rank() - 1));
        let centred = (codes.to_dtype(DType::F32)? - 128.0)?;
        centred.broadcast_mul(&scale.reshape(shape)?)
    };
    run().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn weights() -> HashMap<String, Tensor> {
        let big: Vec<f32> = (0..128 * 160)
            .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        let mut w = HashMap::new();
        let t = Tensor::from_vec(big, (128, 160), &Device::Cpu).unwrap();
        // One row of zeros: its scale must not divide by zero.
        let t = t
            .slice_assign(
                &[0..1, 0..160],
                &Tensor::zeros((1, 160), DType::F32, &Device::Cpu).unwrap(),
            )
            .unwrap();
        w.insert("big".to_string(), t);
        w.insert(
            "small".to_string(),
            Tensor::new(&[0.1f32, -0.2, 0.3], &Device::Cpu).unwrap(),
        );
        w
    }

    /// Int8 storage: every weight within half a step of its row's scale, small tensors
    /// exact, the codes a quarter of the f32 bytes.
    #[test]
    fn int8_round_trip_is_within_half_a_step() {
        let w = weights();
        let stored = WeightStorage::Int8.encode(&w).unwrap();
        assert_eq!(stored["big.int8"].dtype(), DType::U8);
        assert_eq!(stored["big.int8_scale"].dims(), &[128]);
        assert_eq!(stored["small"].dtype(), DType::F32);
        let back = WeightStorage::decode(stored).unwrap();
        assert_eq!(back.len(), 2);
        let a = w["big"].to_vec2::<f32>().unwrap();
        let b = back["big"].to_vec2::<f32>().unwrap();
        for (ra, rb) in a.iter().zip(&b) {
            let step = ra.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0;
            for (x, y) in ra.iter().zip(rb) {
                assert!((x - y).abs() <= step / 2.0 + 1e-7, "{x} vs {y}");
            }
        }
        assert_eq!(b[0], vec![0.0; 160]);
        assert_eq!(
            back["small"].to_vec1::<f32>().unwrap(),
            w["small"].to_vec1::<f32>().unwrap()
        );
    }

    /// Codes without scales, scales without codes and scales of the wrong shape are refused
    /// with the tensor's name.
    #[test]
    fn broken_int8_pairs_are_refused_by_name() {
        let stored = WeightStorage::Int8.encode(&weights()).unwrap();
        let mut no_scale = stored.clone();
        no_scale.remove("big.int8_scale");
        assert!(WeightStorage::decode(no_scale)
            .unwrap_err()
            .contains("big.int8"));
        let mut no_codes = stored.clone();
        no_codes.remove("big.int8");
        assert!(WeightStorage::decode(no_codes)
            .unwrap_err()
            .contains("big.int8_scale"));
        let mut wrong = stored;
        wrong.insert(
            "big.int8_scale".into(),
            Tensor::ones(3, DType::F32, &Device::Cpu).unwrap(),
        );
        assert!(WeightStorage::decode(wrong)
            .unwrap_err()
            .contains("one per row"));
    }
}
