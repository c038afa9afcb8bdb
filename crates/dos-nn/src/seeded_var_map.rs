//! Seeded initial weights: [`SeededVarMap`], a `VarBuilder` backend.
//!
//! candle 0.11 cannot seed its CPU random generator (`Device::set_seed` fails on CPU), so the
//! weights a `VarBuilder::from_varmap` draws differ from run to run. [`SeededVarMap`] is a
//! `VarBuilder` backend that stores variables in a `VarMap` like candle's, but draws each new
//! variable from the same distribution candle would (`Init::Const`, `Randn`, `Uniform`,
//! `Kaiming` with PyTorch's fan and gain rules) using a ChaCha8 stream keyed by
//! `(seed, variable name)`. The initial weights are then a function of the seed alone, and
//! do not depend on the order in which layers are built.
//!
//! ```
//! use candle_core::{DType, Device};
//! use candle_nn::VarMap;
//! use dos_nn::SeededVarMap;
//!
//! let weights = |seed| -> candle_core::Result<Vec<f32>> {
//!     let vm = VarMap::new();
//!     let vb = SeededVarMap::var_builder(&vm, seed, DType::F32, &Device::Cpu);
//!     candle_nn::linear(4, 3, vb.pp("a"))?.weight().flatten_all()?.to_vec1()
//! };
//! assert_eq!(weights(7)?, weights(7)?);
//! assert_ne!(weights(7)?, weights(8)?);
//! # Ok::<(), candle_core::Error>(())
//! ```

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::init::NormalOrUniform;
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::seeded_randn::normal_draws;

/// A `VarMap`-backed `VarBuilder` backend with seeded initialisation.
#[derive(Clone)]
pub struct SeededVarMap {
    varmap: VarMap,
    seed: u64,
}

impl SeededVarMap {
    /// New variables go into `varmap`, drawn with `seed`.
    pub fn new(varmap: VarMap, seed: u64) -> Self {
        Self { varmap, seed }
    }

    /// A new, empty `VarMap` and a [`SeededVarMap::var_builder`] over it: what a block is
    /// built on in a unit test.
    pub fn fresh(seed: u64, dtype: DType, device: &Device) -> (VarMap, VarBuilder<'static>) {
        let varmap = VarMap::new();
        let vb = Self::var_builder(&varmap, seed, dtype, device);
        (varmap, vb)
    }

    /// A `VarBuilder` over `varmap` whose new variables are drawn with `seed`: the seeded
    /// counterpart of `VarBuilder::from_varmap(varmap, dtype, device)`.
    pub fn var_builder(
        varmap: &VarMap,
        seed: u64,
        dtype: DType,
        device: &Device,
    ) -> VarBuilder<'static> {
        VarBuilder::from_backend(
            Box::new(Self::new(varmap.clone(), seed)),
            dtype,
            device.clone(),
        )
    }

    fn rng(&self, name: &str) -> ChaCha8Rng {
        // FNV-1a of the name: stable across runs and platforms (unlike std's hasher).
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(h);
        rng
    }

    fn draw(&self, shape: &Shape, name: &str, init: Init) -> Vec<f64> {
        let n = shape.elem_count();
        let mut rng = self.rng(name);
        let mut uniform = |lo: f64, up: f64| -> Vec<f64> {
            (0..n)
                .map(|_| lo + (up - lo) * rng.random::<f64>())
                .collect()
        };
        match init {
            Init::Const(c) => vec![c; n],
            Init::Uniform { lo, up } => uniform(lo, up),
            Init::Randn { mean, stdev } => normal_draws(&mut self.rng(name), n, mean, stdev),
            Init::Kaiming {
                dist,
                fan,
                non_linearity,
            } => {
                let std = non_linearity.gain() / (fan.for_shape(shape) as f64).sqrt();
                match dist {
                    NormalOrUniform::Uniform => {
                        let bound = 3f64.sqrt() * std;
                        uniform(-bound, bound)
                    }
                    NormalOrUniform::Normal => normal_draws(&mut self.rng(name), n, 0.0, std),
                }
            }
        }
    }
}

impl SimpleBackend for SeededVarMap {
    fn get(
        &self,
        s: Shape,
        name: &str,
        h: Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let mut data = self
            .varmap
            .data()
            .lock()
            .map_err(|_| candle_core::Error::Msg("VarMap lock poisoned".into()))?;
        if let Some(v) = data.get(name) {
            if v.shape() != &s {
                candle_core::bail!("shape mismatch on {name}: {s:?} <> {:?}", v.shape());
            }
            return Ok(v.as_tensor().clone());
        }
        let values = self.draw(&s, name, h);
        let t = Tensor::from_vec(values, s, dev)?.to_dtype(dtype)?;
        let var = Var::from_tensor(&t)?;
        let out = var.as_tensor().clone();
        data.insert(name.to_string(), var);
        Ok(out)
    }

    fn get_unchecked(
        &self,
        name: &str,
        _dtype: DType,
        _dev: &Device,
    ) -> candle_core::Result<Tensor> {
        candle_core::bail!("`{name}`: get_unchecked is not supported by SeededVarMap, use get")
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.varmap
            .data()
            .lock()
            .map(|d| d.contains_key(name))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_nn::init::{FanInOut, NonLinearity};

    fn make(seed: u64) -> VarMap {
        let vm = VarMap::new();
        let vb = SeededVarMap::var_builder(&vm, seed, DType::F32, &Device::Cpu);
        candle_nn::linear(64, 32, vb.pp("a")).unwrap();
        vb.get_with_hints(
            (4000,),
            "n",
            Init::Randn {
                mean: 0.5,
                stdev: 2.0,
            },
        )
        .unwrap();
        vm
    }

    fn values(vm: &VarMap, name: &str) -> Vec<f32> {
        vm.data().lock().unwrap()[name]
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    #[test]
    fn same_seed_same_weights_with_candles_distributions() {
        let (a, b, c) = (make(7), make(7), make(8));
        for name in ["a.weight", "a.bias", "n"] {
            assert_eq!(values(&a, name), values(&b, name), "{name}");
            assert_ne!(values(&a, name), values(&c, name), "{name}");
        }
        // candle_nn::linear: weight Kaiming-normal, fan_in 64, ReLU gain: std sqrt(2) / 8;
        // bias uniform in +-1/sqrt(64).
        let std_w = NonLinearity::ReLU.gain() / 8.0;
        assert_eq!(FanInOut::FanIn.for_shape(&Shape::from((32, 64))), 64);
        let w = values(&a, "a.weight");
        assert_eq!(w.len(), 32 * 64);
        let sw = (w.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
        assert!((sw - std_w).abs() < 0.05 * std_w, "{sw} vs {std_w}");
        let bias = values(&a, "a.bias");
        assert!(bias.iter().all(|&x| x.abs() <= 0.125));
        assert!(bias.iter().fold(0f32, |m, x| m.max(x.abs())) > 0.08);
        // Normal: mean and std within ~4 standard errors for 4000 draws.
        let n = values(&a, "n");
        let mean = n.iter().sum::<f32>() / n.len() as f32;
        let std = (n.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n.len() as f32).sqrt();
        assert!((mean - 0.5).abs() < 0.13, "{mean}");
        assert!((std - 2.0).abs() < 0.1, "{std}");
    }
}
