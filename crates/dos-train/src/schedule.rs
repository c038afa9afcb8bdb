//! [`LrScheduler`]: the learning rate of each epoch under an [`LrSchedule`].

use serde::{Deserialize, Serialize};

use crate::config::{LrSchedule, TrainConfig};
use dos_config::Checked;

/// Learning-rate state: the rate of the next epoch, plus the plateau counters. Serialisable so
/// that a resumed run continues the same schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrScheduler {
    schedule: LrSchedule,
    base_lr: f64,
    epochs: usize,
    /// Current learning rate (plateau schedule).
    current: f64,
    /// Best validation loss seen (plateau schedule).
    best: Option<f64>,
    /// Evaluations since `best` improved (plateau schedule).
    bad_evals: usize,
}

impl LrScheduler {
    /// Scheduler for a checked config.
    pub fn new(cfg: &Checked<TrainConfig>) -> Self {
        Self {
            schedule: cfg.schedule,
            base_lr: cfg.lr,
            epochs: cfg.epochs,
            current: cfg.lr,
            best: None,
            bad_evals: 0,
        }
    }

    /// Learning rate for `epoch` (1-based).
    pub fn lr_for_epoch(&self, epoch: usize) -> f64 {
        match self.schedule {
            LrSchedule::Constant => self.base_lr,
            LrSchedule::Cosine { min_lr } => {
                let t = (epoch.saturating_sub(1)) as f64 / self.epochs.max(1) as f64;
                min_lr + (self.base_lr - min_lr) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
            LrSchedule::Plateau { .. } => self.current,
        }
    }

    /// Tells the scheduler a validation loss; the plateau schedule may decay the rate.
    pub fn observe(&mut self, valid_loss: f64) {
        if let LrSchedule::Plateau {
            factor,
            patience,
            min_lr,
        } = self.schedule
        {
            match self.best {
                Some(b) if valid_loss >= b => {
                    self.bad_evals += 1;
                    if self.bad_evals > patience {
                        self.current = (self.current * factor).max(min_lr);
                        self.bad_evals = 0;
                    }
                }
                _ => {
                    self.best = Some(valid_loss);
                    self.bad_evals = 0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TrainConfig;
    use dos_config::Check;

    #[test]
    fn cosine_starts_at_lr_and_ends_near_min() {
        let cfg = TrainConfig {
            epochs: 10,
            lr: 1e-3,
            schedule: LrSchedule::Cosine { min_lr: 1e-5 },
            ..Default::default()
        }
        .check()
        .unwrap();
        let s = LrScheduler::new(&cfg);
        assert_eq!(s.lr_for_epoch(1), 1e-3);
        // Epoch 6 is half way: (lr + min_lr) / 2.
        assert!((s.lr_for_epoch(6) - (1e-3 + 1e-5) / 2.0).abs() < 1e-15);
        let mut prev = f64::INFINITY;
        for e in 1..=10 {
            let lr = s.lr_for_epoch(e);
            assert!(lr < prev && lr >= 1e-5);
            prev = lr;
        }
    }

    #[test]
    fn plateau_decays_after_patience_bad_evaluations() {
        let cfg = TrainConfig {
            lr: 1.0,
            schedule: LrSchedule::Plateau {
                factor: 0.5,
                patience: 2,
                min_lr: 0.2,
            },
            ..Default::default()
        }
        .check()
        .unwrap();
        let mut s = LrScheduler::new(&cfg);
        let mut lrs = vec![];
        for v in [
            1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95,
        ] {
            s.observe(v);
            lrs.push(s.lr_for_epoch(1));
        }
        // Same rule as torch ReduceLROnPlateau(mode="min", factor=0.5, patience=2,
        // threshold=0, min_lr=0.2): decay on the 3rd bad evaluation in a row.
        assert_eq!(
            lrs,
            vec![1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]
        );
    }
}
