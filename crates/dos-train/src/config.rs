//! [`TrainConfig`]: optimiser, schedule and stopping settings, checked once into a
//! `Checked<TrainConfig>` ([`Check::check`](dos_config::Check::check)).

use dos_config::CheckFields;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// How the learning rate changes over epochs.
///
/// The paper trains with a constant rate; a decaying schedule usually helps accuracy on the small
/// phonon benchmark, so both are offered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// lr stays at [`TrainConfig::lr`] (the paper's setting).
    #[default]
    Constant,
    /// Cosine annealing over the epoch budget:
    /// `lr_e = min_lr + (lr - min_lr) * (1 + cos(pi * (e - 1) / epochs)) / 2` for epoch e (1-based).
    Cosine {
        /// Final learning rate.
        min_lr: f64,
    },
    /// Multiply lr by `factor` after `patience` evaluations without validation improvement,
    /// never going below `min_lr` (PyTorch's ReduceLROnPlateau in "min" mode, threshold 0).
    Plateau {
        /// Multiplier in (0, 1).
        factor: f64,
        /// Evaluations without improvement before a decay.
        patience: usize,
        /// Lower bound of the learning rate.
        min_lr: f64,
    },
}

/// Which variables the optimiser updates.
///
/// The paper's fine-tuning study (Table 3) adapts a trained model to out-of-distribution
/// crystals either through the crystal-system prompts alone or through every parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Trainable {
    /// Every variable of the model.
    #[default]
    All,
    /// Only the crystal-system prompt tables (variables under a `prompts` path segment, e.g.
    /// `prompts.weight`); all other weights stay frozen.
    Prompts,
}

impl Trainable {
    /// Whether the variable called `name` is trained.
    pub fn includes(self, name: &str) -> bool {
        match self {
            Trainable::All => true,
            Trainable::Prompts => name.split('.').any(|seg| seg == "prompts"),
        }
    }
}

/// Training hyperparameters. Defaults are the paper's phonon settings
/// ([`TrainConfig::paper_phonon`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Maximum number of epochs (paper: up to 1000).
    pub epochs: usize,
    /// Crystals per mini-batch (paper: 1 for phonon, 8 for electron DOS). Any size >= 1; the
    /// last batch of an epoch may be smaller.
    pub batch_size: usize,
    /// AdamW learning rate (paper: 1e-4).
    pub lr: f64,
    /// AdamW decoupled weight decay lambda: `theta <- theta (1 - lr lambda) - lr m_hat / (sqrt(v_hat) + eps)`
    /// (paper: 0.01).
    pub weight_decay: f64,
    /// AdamW first-moment decay beta1.
    pub beta1: f64,
    /// AdamW second-moment decay beta2.
    pub beta2: f64,
    /// AdamW epsilon.
    pub eps: f64,
    /// Evaluate on the validation split every this many epochs (and always after the last one).
    pub eval_every: usize,
    /// Early stopping: stop after this many epochs without a validation improvement (paper: 50).
    /// 0 disables early stopping.
    pub patience: usize,
    /// Seed of the mini-batch shuffling (the model's initial weights are seeded by the caller).
    pub seed: u64,
    /// Shuffle the training crystals every epoch.
    pub shuffle: bool,
    /// Learning-rate schedule.
    pub schedule: LrSchedule,
    /// Clip the global L2 norm of all gradients to this value before each step (off when None).
    pub grad_clip: Option<f64>,
    /// Which variables are trained (default: all).
    pub trainable: Trainable,
    /// Keep an exponential moving average of the weights with this decay per optimiser step
    /// ([`crate::WeightAverage`]); validation, early stopping, the best weights and the final
    /// model then use the average. Off when None (the paper).
    pub ema_decay: Option<f64>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self::paper_phonon()
    }
}

impl TrainConfig {
    /// The paper's phonon DOS settings: batch 1, lr 1e-4, weight decay 0.01, up to 1000
    /// epochs, patience 50, constant learning rate.
    pub fn paper_phonon() -> Self {
        Self {
            epochs: 1000,
            batch_size: 1,
            lr: 1e-4,
            weight_decay: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            eval_every: 1,
            patience: 50,
            seed: 0,
            shuffle: true,
            schedule: LrSchedule::Constant,
            grad_clip: None,
            trainable: Trainable::All,
            ema_decay: None,
        }
    }

    /// The paper's electron DOS settings: as [`TrainConfig::paper_phonon`] with batch 8.
    pub fn paper_electron() -> Self {
        Self {
            batch_size: 8,
            ..Self::paper_phonon()
        }
    }

    /// The AdamW hyperparameters (`lr`, `beta1`, `beta2`, `eps`, `weight_decay`).
    pub fn adamw(&self) -> candle_nn::ParamsAdamW {
        candle_nn::ParamsAdamW {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            weight_decay: self.weight_decay,
        }
    }
}

impl CheckFields for TrainConfig {
    type Error = TrainError;

    /// Every field's range.
    fn check_fields(&self) -> Result<()> {
        fn bad(field: &'static str, message: impl Into<String>) -> TrainError {
            TrainError::Config {
                field,
                message: message.into(),
            }
        }
        let pos = |v: f64| v.is_finite() && v > 0.0;
        if self.epochs == 0 {
            return Err(bad("epochs", "must be >= 1"));
        }
        if self.batch_size == 0 {
            return Err(bad("batch_size", "must be >= 1"));
        }
        if !pos(self.lr) {
            return Err(bad(
                "lr",
                format!("must be finite and > 0, got {}", self.lr),
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(bad(
                "weight_decay",
                format!("must be finite and >= 0, got {}", self.weight_decay),
            ));
        }
        for (field, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(bad(field, format!("must be in [0, 1), got {b}")));
            }
        }
        if !pos(self.eps) {
            return Err(bad(
                "eps",
                format!("must be finite and > 0, got {}", self.eps),
            ));
        }
        if self.eval_every == 0 {
            return Err(bad("eval_every", "must be >= 1"));
        }
        if let Some(c) = self.grad_clip {
            if !pos(c) {
                return Err(bad("grad_clip", format!("must be finite and > 0, got {c}")));
            }
        }
        if let Some(d) = self.ema_decay {
            if !(d > 0.0 && d < 1.0) {
                return Err(bad("ema_decay", format!("must be in (0, 1), got {d}")));
            }
        }
        match self.schedule {
            LrSchedule::Constant => {}
            LrSchedule::Cosine { min_lr } => {
                if !(min_lr.is_finite() && min_lr >= 0.0 && min_lr <= self.lr) {
                    return Err(bad(
                        "schedule.min_lr",
                        format!("must be in [0, lr = {}], got {min_lr}", self.lr),
                    ));
                }
            }
            LrSchedule::Plateau {
                factor,
                patience: _,
                min_lr,
            } => {
                if !(factor > 0.0 && factor < 1.0) {
                    return Err(bad(
                        "schedule.factor",
                        format!("must be in (0, 1), got {factor}"),
                    ));
                }
                if !(min_lr.is_finite() && min_lr >= 0.0 && min_lr <= self.lr) {
                    return Err(bad(
                        "schedule.min_lr",
                        format!("must be in [0, lr = {}], got {min_lr}", self.lr),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_config::Check;

    #[test]
    fn paper_presets_validate() {
        assert!(TrainConfig::paper_phonon().check().is_ok());
        let e = TrainConfig::paper_electron();
        assert_eq!(e.batch_size, 8);
        assert!(e.check().is_ok());
    }

    #[test]
    fn out_of_range_fields_are_named() {
        let cases: Vec<(TrainConfig, &str)> = vec![
            (
                TrainConfig {
                    epochs: 0,
                    ..Default::default()
                },
                "epochs",
            ),
            (
                TrainConfig {
                    batch_size: 0,
                    ..Default::default()
                },
                "batch_size",
            ),
            (
                TrainConfig {
                    lr: -1.0,
                    ..Default::default()
                },
                "lr",
            ),
            (
                TrainConfig {
                    lr: f64::NAN,
                    ..Default::default()
                },
                "lr",
            ),
            (
                TrainConfig {
                    beta2: 1.0,
                    ..Default::default()
                },
                "beta2",
            ),
            (
                TrainConfig {
                    eval_every: 0,
                    ..Default::default()
                },
                "eval_every",
            ),
            (
                TrainConfig {
                    grad_clip: Some(0.0),
                    ..Default::default()
                },
                "grad_clip",
            ),
            (
                TrainConfig {
                    ema_decay: Some(1.0),
                    ..Default::default()
                },
                "ema_decay",
            ),
            (
                TrainConfig {
                    schedule: LrSchedule::Plateau {
                        factor: 1.5,
                        patience: 3,
                        min_lr: 0.0,
                    },
                    ..Default::default()
                },
                "schedule.factor",
            ),
            (
                TrainConfig {
                    schedule: LrSchedule::Cosine { min_lr: 1.0 },
                    ..Default::default()
                },
                "schedule.min_lr",
            ),
        ];
        for (cfg, want) in cases {
            match cfg.check() {
                Err(TrainError::Config { field, .. }) => assert_eq!(field, want),
                other => panic!("expected a config error on {want}, got {other:?}"),
            }
        }
    }

    #[test]
    fn serde_round_trip_and_defaults() {
        let cfg = TrainConfig {
            schedule: LrSchedule::Cosine { min_lr: 1e-6 },
            grad_clip: Some(1.0),
            ..TrainConfig::paper_electron()
        };
        let s = serde_json::to_string(&cfg).unwrap();
        let back: TrainConfig = serde_json::from_str(&s).unwrap();
        assert_eq!(back, cfg);
        // Missing fields take the paper defaults.
        let partial: TrainConfig = serde_json::from_str(r#"{"epochs": 3}"#).unwrap();
        assert_eq!(partial.epochs, 3);
        assert_eq!(partial.lr, 1e-4);
        assert_eq!(partial.patience, 50);
    }
}
