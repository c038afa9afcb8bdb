//! The paper's property protocol: an MLP trained on true DOS -> property, then fed predicted DOS.
//!
//! A model's DOS is judged by how well a property can be read from it: fit
//! [`PropertyRegressor`] on the training crystals' *true* DOS and their property (band gap,
//! Fermi energy, bulk modulus, ... any scalar column), then compare
//! `regressor.predict(true_dos_test)` and `regressor.predict(predicted_dos_test)` with the true
//! property ([`scalar_errors`]).
//!
//! Network: `x (M) -> [Linear -> ReLU] x len(hidden) -> Linear -> 1`, trained with
//! `candle_nn::AdamW` on the mean squared error of the standardised target
//! `z = (y - mean y) / std y` (predictions are mapped back). Inputs are standardised per grid
//! point with the training set's mean and standard deviation (1 where it is 0). The paper does not give the MLP's
//! size; [`PropertyRegressorConfig::paper`] is our choice, stated there.

use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::{Linear, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{check_finite, MetricsError, Result};
use dos_data::{CheckFields, Checked};

/// Settings of [`PropertyRegressor::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyRegressorConfig {
    /// Hidden layer widths (each followed by ReLU). Default `[128, 64]`.
    pub hidden: Vec<usize>,
    /// Passes over the training set. Default 300.
    pub epochs: usize,
    /// Mini-batch size. Default 32.
    pub batch_size: usize,
    /// AdamW learning rate. Default 1e-3.
    pub learning_rate: f64,
    /// AdamW decoupled weight decay. Default 0.01 (the paper's value for its models).
    pub weight_decay: f64,
    /// Seed of the weight initialisation and of the mini-batch shuffling.
    pub seed: u64,
}

impl PropertyRegressorConfig {
    /// Our preset for the paper's protocol (the paper does not state the MLP's size):
    /// hidden `[128, 64]`, 300 epochs, batch 32, lr 1e-3, weight decay 0.01, seed 0.
    pub fn paper() -> Self {
        Self {
            hidden: vec![128, 64],
            epochs: 300,
            batch_size: 32,
            learning_rate: 1e-3,
            weight_decay: 0.01,
            seed: 0,
        }
    }
}

impl CheckFields for PropertyRegressorConfig {
    type Error = MetricsError;

    /// Every field.
    fn check_fields(&self) -> Result<()> {
        let bad = |field, message: String| Err(MetricsError::Invalid { field, message });
        if self.hidden.contains(&0) {
            return bad(
                "hidden",
                format!("widths must be >= 1, got {:?}", self.hidden),
            );
        }
        if self.epochs == 0 {
            return bad("epochs", "must be >= 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be >= 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(
                "learning_rate",
                format!("must be > 0, got {}", self.learning_rate),
            );
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(
                "weight_decay",
                format!("must be >= 0, got {}", self.weight_decay),
            );
        }
        Ok(())
    }
}

impl Default for PropertyRegressorConfig {
    fn default() -> Self {
        Self::paper()
    }
}

/// An MLP from a DOS (`M` values) to one scalar property (see the [module docs](self)).
pub struct PropertyRegressor {
    layers: Vec<Linear>,
    varmap: VarMap,
    in_dim: usize,
    x_mean: Tensor,
    x_std: Tensor,
    y_mean: f64,
    y_std: f64,
    device: Device,
}

/// Rows as a `(B, M)` f64 tensor, checking lengths and finiteness.
fn to_matrix(rows: &[Vec<f64>], m: usize, device: &Device) -> Result<Tensor> {
    let mut flat = Vec::with_capacity(rows.len() * m);
    for (i, r) in rows.iter().enumerate() {
        if r.len() != m {
            return Err(MetricsError::LengthMismatch {
                index: i,
                what: "dos",
                expected: m,
                got: r.len(),
            });
        }
        check_finite(r, i, "dos")?;
        flat.extend_from_slice(r);
    }
    Ok(Tensor::from_vec(flat, (rows.len(), m), device)?)
}

impl PropertyRegressor {
    /// Builds an untrained network (seeded PyTorch-style init: `U(-1/sqrt(fan_in),
    /// 1/sqrt(fan_in))` for weights and biases). Its parameters live in a [`VarMap`] with keys
    /// `layers.{i}.weight` / `layers.{i}.bias`.
    pub fn new(
        in_dim: usize,
        cfg: &Checked<PropertyRegressorConfig>,
        device: &Device,
    ) -> Result<Self> {
        if in_dim == 0 {
            return Err(MetricsError::Empty { what: "dos grid" });
        }
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F64, device);
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let mut dims = vec![in_dim];
        dims.extend(&cfg.hidden);
        dims.push(1);
        let mut layers = Vec::new();
        for (i, w) in dims.windows(2).enumerate() {
            let layer = candle_nn::linear(w[0], w[1], vb.pp(format!("layers.{i}")))?;
            let bound = 1.0 / (w[0] as f64).sqrt();
            let mut uniform = |n: usize| -> Vec<f64> {
                (0..n).map(|_| rng.random_range(-bound..bound)).collect()
            };
            let weight = Tensor::from_vec(uniform(w[0] * w[1]), (w[1], w[0]), device)?;
            let bias = Tensor::from_vec(uniform(w[1]), w[1], device)?;
            let data = varmap.data().lock().map_err(|_| MetricsError::Invalid {
                field: "varmap",
                message: "poisoned lock".into(),
            })?;
            data[&format!("layers.{i}.weight")].set(&weight)?;
            data[&format!("layers.{i}.bias")].set(&bias)?;
            drop(data);
            layers.push(layer);
        }
        Ok(Self {
            layers,
            varmap,
            in_dim,
            x_mean: Tensor::zeros((1, in_dim), DType::F64, device)?,
            x_std: Tensor::ones((1, in_dim), DType::F64, device)?,
            y_mean: 0.0,
            y_std: 1.0,
            device: device.clone(),
        })
    }

    /// Trains on true DOS rows and property values (on the CPU).
    ///
    /// # Shapes
    /// `true_dos: (B, M)`, `y: (B,)`.
    pub fn fit(
        true_dos: &[Vec<f64>],
        y: &[f64],
        cfg: &Checked<PropertyRegressorConfig>,
    ) -> Result<Self> {
        if true_dos.is_empty() {
            return Err(MetricsError::Empty {
                what: "training dos",
            });
        }
        if y.len() != true_dos.len() {
            return Err(MetricsError::CountMismatch {
                what: "property values",
                expected: true_dos.len(),
                got: y.len(),
            });
        }
        check_finite(y, 0, "property values")?;
        let device = Device::Cpu;
        let m = true_dos[0].len();
        let mut model = Self::new(m, cfg, &device)?;
        let x = to_matrix(true_dos, m, &device)?;
        model.x_mean = x.mean_keepdim(0)?;
        let x_var = x.broadcast_sub(&model.x_mean)?.sqr()?.mean_keepdim(0)?;
        let x_std: Vec<f64> = x_var.flatten_all()?.to_vec1::<f64>()?;
        let x_std: Vec<f64> = x_std
            .into_iter()
            .map(|v| if v > 0.0 { v.sqrt() } else { 1.0 })
            .collect();
        model.x_std = Tensor::from_vec(x_std, (1, m), &device)?;
        let x = model.standardize(&x)?;
        let n = y.len() as f64;
        model.y_mean = y.iter().sum::<f64>() / n;
        let var = y.iter().map(|v| (v - model.y_mean).powi(2)).sum::<f64>() / n;
        model.y_std = if var > 0.0 { var.sqrt() } else { 1.0 };
        let z: Vec<f64> = y.iter().map(|v| (v - model.y_mean) / model.y_std).collect();
        let z = Tensor::from_vec(z, (y.len(), 1), &device)?;

        let params = ParamsAdamW {
            lr: cfg.learning_rate,
            weight_decay: cfg.weight_decay,
            ..Default::default()
        };
        let mut opt = candle_nn::AdamW::new(model.varmap.all_vars(), params)?;
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_add(1));
        let mut order: Vec<u32> = (0..y.len() as u32).collect();
        for _ in 0..cfg.epochs {
            order.shuffle(&mut rng);
            for chunk in order.chunks(cfg.batch_size) {
                let idx = Tensor::new(chunk, &device)?;
                let xb = x.index_select(&idx, 0)?;
                let zb = z.index_select(&idx, 0)?;
                let loss = model.forward(&xb)?.sub(&zb)?.sqr()?.mean_all()?;
                opt.backward_step(&loss)?;
            }
        }
        Ok(model)
    }

    /// `(x - mean) / std` per grid point with the training statistics.
    fn standardize(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.broadcast_sub(&self.x_mean)?.broadcast_div(&self.x_std)?)
    }

    /// The network on a batch of standardised inputs, in standardised target units.
    ///
    /// # Shapes
    /// `x: (B, M)` f64 -> `(B, 1)`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h)?;
            if i + 1 < self.layers.len() {
                h = h.relu()?;
            }
        }
        Ok(h)
    }

    /// Predicted property for each DOS row (true or model-predicted DOS).
    ///
    /// # Shapes
    /// `dos: (B, M)` -> `(B,)`.
    pub fn predict(&self, dos: &[Vec<f64>]) -> Result<Vec<f64>> {
        if dos.is_empty() {
            return Ok(Vec::new());
        }
        let x = self.standardize(&to_matrix(dos, self.in_dim, &self.device)?)?;
        let z = self.forward(&x)?.flatten_all()?.to_vec1::<f64>()?;
        Ok(z.into_iter()
            .map(|v| v * self.y_std + self.y_mean)
            .collect())
    }

    /// The parameters (`layers.{i}.weight`, `layers.{i}.bias`).
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// All trainable variables.
    pub fn vars(&self) -> Vec<Var> {
        self.varmap.all_vars()
    }
}

impl std::fmt::Debug for PropertyRegressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PropertyRegressor")
            .field("layers", &self.layers.len())
            .field("in_dim", &self.in_dim)
            .field("y_mean", &self.y_mean)
            .field("y_std", &self.y_std)
            .finish()
    }
}

/// Errors of a scalar property: MAE, RMSE and R^2 (`SS_tot = 0`: as in
/// [`crate::accuracy`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScalarErrors {
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Coefficient of determination.
    pub r2: f64,
}

/// MAE, RMSE and R^2 of predicted against true property values.
///
/// # Shapes
/// `pred: (B,)`, `target: (B,)`.
pub fn scalar_errors(pred: &[f64], target: &[f64]) -> Result<ScalarErrors> {
    let e = crate::accuracy::crystal_errors(pred, target)?;
    Ok(ScalarErrors {
        mae: e.mae,
        rmse: e.rmse,
        r2: e.r2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_data::Check;
    use dos_nn::gradcheck::{assert_gradients_ok, check_gradients, GradCheckOptions};

    fn synthetic(n: usize, m: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..m).map(|_| rng.random_range(0.0..1.0)).collect())
            .collect();
        let y = x.iter().map(|r| r.iter().sum::<f64>() / m as f64).collect();
        (x, y)
    }

    #[test]
    fn learns_the_mean_of_the_dos() {
        let (x, y) = synthetic(512, 51, 1);
        let cfg = PropertyRegressorConfig {
            hidden: vec![64],
            epochs: 60,
            ..PropertyRegressorConfig::paper()
        };
        let model = PropertyRegressor::fit(&x, &y, &cfg.check().unwrap()).unwrap();
        let (xt, yt) = synthetic(200, 51, 2);
        let pred = model.predict(&xt).unwrap();
        let err = scalar_errors(&pred, &yt).unwrap();
        eprintln!("mean-of-DOS test errors: {err:?}");
        // The target's spread is std(mean of 51 U(0,1)) = 0.040; a useful fit is far below it.
        assert!(err.mae < 0.01, "{err:?}");
        assert!(err.r2 > 0.9, "{err:?}");
        // Same seed, same model.
        let again = PropertyRegressor::fit(&x, &y, &cfg.check().unwrap())
            .unwrap()
            .predict(&xt)
            .unwrap();
        assert_eq!(pred, again);
    }

    #[test]
    fn gradients_match_finite_differences() {
        let cfg = PropertyRegressorConfig {
            hidden: vec![5, 4],
            ..PropertyRegressorConfig::paper()
        };
        let model = PropertyRegressor::new(6, &cfg.check().unwrap(), &Device::Cpu).unwrap();
        let (x, y) = synthetic(3, 6, 3);
        let x = to_matrix(&x, 6, &Device::Cpu).unwrap();
        let y = Tensor::from_vec(y, (3, 1), &Device::Cpu).unwrap();
        let report = check_gradients(
            model.varmap(),
            || {
                model
                    .forward(&x)
                    .map_err(|e| candle_core::Error::Msg(e.to_string()))?
                    .sub(&y)?
                    .sqr()?
                    .mean_all()
            },
            &GradCheckOptions::default(),
        )
        .unwrap();
        assert_eq!(report.variables.len(), 6);
        assert_gradients_ok(&report, 1e-5);
    }

    #[test]
    fn shapes_and_errors() {
        let cfg = PropertyRegressorConfig::paper();
        let model = PropertyRegressor::new(4, &cfg.check().unwrap(), &Device::Cpu).unwrap();
        let x = Tensor::zeros((7, 4), DType::F64, &Device::Cpu).unwrap();
        assert_eq!(model.forward(&x).unwrap().dims(), &[7, 1]);
        assert_eq!(model.predict(&vec![vec![0.0; 4]; 3]).unwrap().len(), 3);
        assert!(matches!(
            model.predict(&[vec![0.0; 4], vec![0.0; 3]]),
            Err(MetricsError::LengthMismatch { index: 1, .. })
        ));
        assert!(
            PropertyRegressor::fit(&[vec![0.0; 4]], &[1.0, 2.0], &cfg.check().unwrap()).is_err()
        );
        let bad = PropertyRegressorConfig { epochs: 0, ..cfg };
        let e = bad.check().expect_err("0 epochs are refused").to_string();
        assert!(e.contains("epochs"), "{e}");
    }
}
