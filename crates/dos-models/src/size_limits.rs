//! Size limits of model configurations, checked by every `check()` before anything is
//! allocated: a config read from a run folder may say `hidden = 10^9` or `gnn_layers = 10^6`.
//!
//! Each width, layer count, head count and energy count has a range, and the total parameter
//! count is bounded by [`MAX_PARAMETERS`]. The total is counted exactly, without allocating, by
//! running the model's own constructor against a [`VarBuilder`] whose backend records each
//! requested shape (checked products and sums) and hands back a broadcast scalar.

use std::collections::HashSet;
use std::sync::Mutex;

use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::VarBuilder;

use crate::error::invalid;

/// Largest width of any feature or hidden layer (paper models: 512 at most).
pub const MAX_WIDTH: usize = 8_192;

/// Largest number of layers of any stack (paper models: 4 at most).
pub const MAX_LAYERS: usize = 64;

/// Largest number of attention heads (paper: 1).
pub const MAX_HEADS: usize = 256;

/// Largest feed-forward expansion factor (paper: 4).
pub const MAX_FFN_MULT: usize = 16;

/// Largest number of energies M (paper: 51 phonon, 201 electron).
pub const MAX_ENERGIES: usize = 100_000;

/// Largest total parameter count: 200 M parameters, 800 MB of f32 weights and about 3.2 GB
/// with AdamW's two moments and the gradients; the paper's largest model has 6.5 M.
pub const MAX_PARAMETERS: u64 = 200_000_000;

/// `value` must lie in `min..=max`.
///
/// # Errors
/// [`crate::ModelError::InvalidConfig`] naming `field`, the value and the range.
pub(crate) fn check_range(field: &str, value: usize, min: usize, max: usize) -> crate::Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(invalid(field, format!("{value} is outside {min}..={max}")))
    }
}

/// Total parameter count of the model that `build` constructs, refused above
/// [`MAX_PARAMETERS`]. Call after the per-field ranges are checked.
///
/// # Errors
/// [`crate::ModelError::InvalidConfig`] on field `parameters` above the limit (or on
/// overflow), or naming the failure when `build` fails.
pub(crate) fn check_parameter_count(
    build: impl FnOnce(VarBuilder) -> candle_core::Result<()>,
) -> crate::Result<u64> {
    let counter = ParameterCounter::new();
    let vb = VarBuilder::from_backend(Box::new(&counter), DType::F32, Device::Cpu);
    build(vb).map_err(|e| invalid("parameters", format!("building the model failed: {e}")))?;
    let total = counter.total();
    match total {
        Some(n) if n <= MAX_PARAMETERS => Ok(n),
        Some(n) => Err(invalid(
            "parameters",
            format!("the config describes {n} parameters, above the limit {MAX_PARAMETERS}"),
        )),
        None => Err(invalid(
            "parameters",
            format!("the parameter count overflows (limit {MAX_PARAMETERS})"),
        )),
    }
}

/// `impl CheckFields for $config`: every field once (`$config::check_each_field`), then the
/// parameter count of the `$model` built from the checked config.
macro_rules! check_fields_then_size {
    ($config:ty, $model:ty) => {
        impl dos_config::CheckFields for $config {
            type Error = crate::ModelError;

            fn check_fields(&self) -> crate::Result<()> {
                self.check_each_field()
            }

            /// The parameter count of the model the checked config describes (see
            /// [`crate::size_limits`]); models are built from the checked config.
            fn check_whole(checked: &dos_config::Checked<$config>) -> crate::Result<()> {
                crate::size_limits::check_parameter_count(|vb| {
                    <$model>::new(checked, vb).map(|_| ())
                })
                .map(|_| ())
            }
        }
    };
}
pub(crate) use check_fields_then_size;

/// A [`SimpleBackend`] that counts the elements of every distinct variable requested.
struct ParameterCounter {
    /// Names seen, and the running total (`None` once it overflowed).
    state: Mutex<(HashSet<String>, Option<u64>)>,
}

impl ParameterCounter {
    fn new() -> Self {
        Self {
            state: Mutex::new((HashSet::new(), Some(0))),
        }
    }

    fn total(&self) -> Option<u64> {
        self.state.lock().ok().and_then(|s| s.1)
    }
}

impl SimpleBackend for &ParameterCounter {
    fn get(
        &self,
        s: Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let n = s
            .dims()
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
        let mut state = self
            .state
            .lock()
            .map_err(|_| candle_core::Error::Msg("parameter counter poisoned".into()))?;
        if state.0.insert(name.to_string()) {
            state.1 = state.1.zip(n).and_then(|(t, n)| t.checked_add(n));
        }
        // A stride-0 view of one scalar: the constructor gets the shape it asked for, and
        // nothing of that size is allocated.
        Tensor::zeros((), dtype, dev)?.broadcast_as(s)
    }

    fn get_unchecked(&self, name: &str, _: DType, _: &Device) -> candle_core::Result<Tensor> {
        Err(candle_core::Error::Msg(format!(
            "parameter counting needs the shape of `{name}`"
        )))
    }

    fn contains_tensor(&self, _: &str) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_variables_with_checked_arithmetic() {
        let n = check_parameter_count(|vb| {
            vb.get((3, 4), "a")?;
            vb.pp("b").get(5, "c")?;
            vb.get((3, 4), "a")?; // shared: counted once
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 17);
        let huge = check_parameter_count(|vb| vb.get((20_000, 20_000), "w").map(|_| ()));
        assert!(
            matches!(huge, Err(crate::ModelError::InvalidConfig { field, message })
                if field == "parameters" && message.contains("400000000 parameters"))
        );
    }

    #[test]
    fn ranges_name_field_value_and_bounds() {
        assert!(check_range("hidden", 256, 1, MAX_WIDTH).is_ok());
        let e = check_range("hidden", 1_000_000_000, 1, MAX_WIDTH).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid model config: field `hidden`: 1000000000 is outside 1..=8192"
        );
    }
}
