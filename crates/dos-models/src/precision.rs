//! [`Precision`]: the float dtype a model is built in.

use candle_core::DType;
use serde::{Deserialize, Serialize};

/// Float precision of a model's parameters and activations (f32 by default; f64 for
/// gradient checks and reference runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats.
    #[default]
    F32,
    /// 64-bit floats.
    F64,
}

impl Precision {
    /// The candle dtype.
    pub fn dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::F64 => DType::F64,
        }
    }
}
