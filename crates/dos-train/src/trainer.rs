//! [`Trainer`]: mini-batch AdamW training with validation, early stopping, best-weight saving,
//! a JSON-lines log and exact resume.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Tensor, Var};
use candle_nn::{Optimizer, ParamsAdamW, VarMap};
use dos_models::DosModel;
use dos_nn::FusedAdamW;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::cache::BatchCache;
use crate::config::TrainConfig;
use crate::error::{Result, TrainError};
use crate::log::{append_record, truncate_log, EpochRecord};
use crate::memory::peak_rss_bytes;
use crate::named_tensors::{load_into_varmap, load_tensors, save_tensors_atomic, varmap_snapshot};
use crate::predictions::{predict_all, Predictions};
use crate::schedule::LrScheduler;
use crate::shuffle::epoch_order;
use crate::source::BatchSource;
use crate::training_state::{load_checkpoint, save_checkpoint, TrainState};
use crate::weight_average::WeightAverage;
use dos_config::Checked;

/// File names inside a run folder written by the trainer.
pub mod files {
    /// Best weights (lowest validation loss; the last weights without a validation split),
    /// inside the `model/` folder so that it is a `dos_models` checkpoint together with
    /// `model/config.json`.
    pub const BEST_WEIGHTS: &str = "model/model.safetensors";
    /// Resumable checkpoint of the last completed epoch.
    pub const CHECKPOINT: &str = "checkpoint.safetensors";
    /// JSON-lines log, one [`crate::EpochRecord`] per epoch.
    pub const LOG: &str = "log.jsonl";
}

/// Validation metrics for the log, computed from a split's predictions (e.g. a
/// `dos_metrics` summary serialised to JSON).
pub type MetricsFn<'a> = Box<dyn Fn(&Predictions) -> serde_json::Value + 'a>;

/// Summary of one call to [`Trainer::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Epochs trained in this call (0 when a resumed run was already complete).
    pub epochs_run: usize,
    /// Last completed epoch (counting earlier sessions of a resumed run).
    pub last_epoch: usize,
    /// Epoch with the best validation loss.
    pub best_epoch: Option<usize>,
    /// Best validation loss (mean per-crystal RMSE).
    pub best_valid_loss: Option<f64>,
    /// True when early stopping ended the run.
    pub stopped_early: bool,
    /// Mean seconds of a training epoch in this call.
    pub seconds_per_epoch: Option<f64>,
    /// Mean seconds of a validation inference pass in this call.
    pub seconds_per_eval: Option<f64>,
    /// Peak resident memory of the process in bytes (Linux), after training.
    pub peak_rss_bytes: Option<u64>,
    /// The epochs of this call.
    pub records: Vec<EpochRecord>,
}

/// Trains a [`DosModel`] whose variables live in a `VarMap`.
///
/// Each epoch visits the training crystals in the order [`epoch_order`] gives (seeded by
/// `(seed, epoch)`), cuts it into `batch_size` chunks, and for each takes one AdamW step on
/// `model.loss(batch)` (gradients from [`DosModel::loss_and_grads`], optionally clipped to a
/// global L2 norm). Every `eval_every` epochs (and at the last) it predicts the validation
/// split; a lower mean per-crystal RMSE saves the best weights. Training stops after `patience` epochs without improvement.
/// Afterwards the `VarMap` holds the best weights. With
/// [`TrainConfig::ema_decay`](crate::TrainConfig::ema_decay) set, a [`WeightAverage`] follows
/// every step and stands in for the weights at validation: the best weights are averages.
///
/// With a run folder ([`Trainer::with_run_dir`]) it writes `model.safetensors` (best weights),
/// `log.jsonl` (one line per epoch) and `checkpoint.safetensors` after every epoch.
/// [`Trainer::resume`] restores from that checkpoint: weights, AdamW moments and step count,
/// epoch, best score and epoch, early-stopping counter and LR-scheduler state; the batch order
/// is a function of (seed, epoch), so a resumed run repeats an uninterrupted one exactly
/// (up to floating-point nondeterminism of the device).
pub struct Trainer<'a> {
    cfg: Checked<TrainConfig>,
    model: &'a dyn DosModel,
    /// The model validated on: the trained one, or [`Trainer::with_inference_model`]'s.
    eval_model: &'a dyn DosModel,
    varmap: &'a VarMap,
    opt: FusedAdamW,
    state: TrainState,
    run_dir: Option<PathBuf>,
    progress: bool,
    eval_batch_size: usize,
    metrics_fn: Option<MetricsFn<'a>>,
    best: Option<HashMap<String, Tensor>>,
    average: Option<WeightAverage>,
}

/// A [`FusedAdamW`] over the float variables of `varmap` whose name passes `keep`, sorted by
/// name (a fixed order makes runs reproducible; e.g. only the prompt tables for prompt
/// fine-tuning).
///
/// # Errors
/// [`TrainError::Config`] (field `trainable`) when `varmap` has variables but none passes
/// `keep`.
pub fn optimiser_for(
    varmap: &VarMap,
    params: ParamsAdamW,
    keep: impl Fn(&str) -> bool,
) -> Result<FusedAdamW> {
    let mut named: Vec<(String, Var)> = varmap
        .data()
        .lock()
        .map_err(|_| TrainError::Data("VarMap lock poisoned".into()))?
        .iter()
        .filter(|(k, _)| keep(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if named.is_empty() && !varmap.all_vars().is_empty() {
        return Err(TrainError::Config {
            field: "trainable",
            message: "no variable of the model is selected for training".into(),
        });
    }
    named.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(FusedAdamW::from_named(named, params)?)
}

impl<'a> Trainer<'a> {
    /// A trainer for `model`, whose trainable variables are those of `varmap` that
    /// [`TrainConfig::trainable`](crate::TrainConfig::trainable) selects.
    pub fn new<M: DosModel>(
        cfg: Checked<TrainConfig>,
        model: &'a M,
        varmap: &'a VarMap,
    ) -> Result<Self> {
        let trainable = cfg.trainable;
        let opt = optimiser_for(varmap, cfg.adamw(), |name| trainable.includes(name))?;
        let state = TrainState {
            epoch: 0,
            best_valid: None,
            best_epoch: None,
            epochs_since_best: 0,
            optimizer_steps: 0,
            scheduler: LrScheduler::new(&cfg),
            stopped_early: false,
            train_seconds: 0.0,
            config: cfg.get().clone(),
        };
        let average = cfg
            .ema_decay
            .map(|d| WeightAverage::new(varmap, d))
            .transpose()?;
        Ok(Self {
            cfg,
            model,
            eval_model: model,
            varmap,
            opt,
            state,
            run_dir: None,
            progress: false,
            eval_batch_size: 32,
            metrics_fn: None,
            best: None,
            average,
        })
    }

    /// Validates with `model` instead of the trained one: the same model on detached weights
    /// ([`dos_models::AnyModel::detached`]), which records no autograd graph and so needs far
    /// less memory for inference.
    pub fn with_inference_model(mut self, model: &'a dyn DosModel) -> Self {
        self.eval_model = model;
        self
    }

    /// Writes best weights, checkpoint and log into `dir` (created if needed).
    pub fn with_run_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.run_dir = Some(dir.into());
        self
    }

    /// Shows a progress bar (loss, validation score, ETA) on stderr when it is a terminal.
    pub fn with_progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// Crystals per inference batch for validation (default 32; results do not depend on it).
    pub fn with_eval_batch_size(mut self, n: usize) -> Self {
        self.eval_batch_size = n.max(1);
        self
    }

    /// Computes the `valid_metrics` of each evaluation for the log.
    pub fn with_metrics(mut self, f: MetricsFn<'a>) -> Self {
        self.metrics_fn = Some(f);
        self
    }

    /// Current training state (epoch, best score, ...).
    pub fn state(&self) -> &TrainState {
        &self.state
    }

    fn path(&self, name: &str) -> Option<PathBuf> {
        self.run_dir.as_ref().map(|d| d.join(name))
    }

    /// Continues from `checkpoint.safetensors` of the run folder when it exists. Returns whether
    /// a checkpoint was loaded. The settings given to [`Trainer::new`] apply from now on; only
    /// `epochs`, `patience` and `eval_every` may differ from the checkpoint's (e.g. to extend a run).
    ///
    /// # Errors
    /// [`TrainError::Checkpoint`] when the checkpoint does not fit the model;
    /// [`TrainError::Config`] when other settings differ.
    pub fn resume(&mut self) -> Result<bool> {
        let Some(path) = self.path(files::CHECKPOINT) else {
            return Ok(false);
        };
        if !path.exists() {
            return Ok(false);
        }
        let saved = load_checkpoint(&path, self.varmap, &mut self.opt, self.average.as_mut())?;
        let mut a = saved.config.clone();
        let b = self.cfg.get();
        a.epochs = b.epochs;
        a.patience = b.patience;
        a.eval_every = b.eval_every;
        if &a != b {
            return Err(TrainError::Config {
                field: "resume",
                message: format!(
                    "settings differ from the checkpoint {} (only epochs, patience and eval_every may change)",
                    path.display()
                ),
            });
        }
        if saved.stopped_early && b.patience != saved.config.patience {
            // A larger patience lets a stopped run continue.
            self.state.stopped_early = false;
        }
        self.state = TrainState {
            config: b.clone(),
            stopped_early: saved.stopped_early && b.patience == saved.config.patience,
            ..saved
        };
        if let Some(best_path) = self.path(files::BEST_WEIGHTS) {
            if best_path.exists() {
                let device = self
                    .varmap
                    .all_vars()
                    .first()
                    .map(|v| v.device().clone())
                    .unwrap_or(candle_core::Device::Cpu);
                self.best = Some(load_tensors(&best_path, &device)?);
            }
        }
        if let Some(log) = self.path(files::LOG) {
            truncate_log(&log, self.state.epoch)?;
        }
        Ok(true)
    }

    fn save_best(&mut self) -> Result<()> {
        let snap = varmap_snapshot(self.varmap)?;
        if let Some(p) = self.path(files::BEST_WEIGHTS) {
            save_tensors_atomic(&p, &snap)?;
        }
        self.best = Some(snap);
        Ok(())
    }

    /// Loads the best weights seen so far back into the `VarMap` (no-op before any epoch).
    pub fn restore_best(&self) -> Result<()> {
        if let Some(best) = &self.best {
            load_into_varmap(self.varmap, best, "", Path::new("<best weights>"))?;
        }
        Ok(())
    }

    /// Trains on `train`, validating on `valid` when given (without it: no early stopping, and
    /// the last weights count as best). Leaves the best weights in the `VarMap`.
    ///
    /// # Errors
    /// Empty training split, batch or model errors, a non-finite loss, file errors.
    pub fn fit(
        &mut self,
        train: &dyn BatchSource,
        valid: Option<&dyn BatchSource>,
    ) -> Result<FitReport> {
        let n = train.len();
        if n == 0 {
            return Err(TrainError::Data("the training split is empty".into()));
        }
        let valid = valid.filter(|v| !v.is_empty());
        if let Some(dir) = &self.run_dir {
            std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
        }
        let bs = self.cfg.batch_size;
        let n_batches = n.div_ceil(bs);
        // Batches repeat across epochs only when the order is fixed or singletons.
        let cache_train = bs == 1 || !self.cfg.shuffle;
        let mut train_cache = BatchCache::new();
        let mut valid_cache = BatchCache::new();

        let first = self.state.epoch + 1;
        let last = self.cfg.epochs;
        let todo = if self.state.stopped_early || first > last {
            0
        } else {
            last - first + 1
        };
        let bar = if self.progress && todo > 0 {
            let pb = ProgressBar::with_draw_target(
                Some((todo * n_batches) as u64),
                ProgressDrawTarget::stderr(),
            );
            pb.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} batches, ETA {eta} | {msg}",
                )
                .map_err(|e| TrainError::Data(e.to_string()))?
                .progress_chars("=> "),
            );
            pb
        } else {
            ProgressBar::hidden()
        };

        let mut records = Vec::new();
        let mut eval_secs = Vec::new();
        for epoch in first..first + todo {
            let lr = self.state.scheduler.lr_for_epoch(epoch);
            self.opt.set_learning_rate(lr);
            let order = epoch_order(n, self.cfg.seed, epoch, self.cfg.shuffle);
            let t0 = Instant::now();
            let mut loss_sum = 0.0;
            for (bi, chunk) in order.chunks(bs).enumerate() {
                let owned;
                let batch = if cache_train {
                    train_cache.get_or_build(train, chunk)?
                } else {
                    owned = train.batch(chunk)?;
                    &owned
                };
                let (loss, grads) = self.model.loss_and_grads(batch)?;
                let value = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
                if !value.is_finite() {
                    return Err(TrainError::NonFiniteLoss {
                        epoch,
                        batch: bi,
                        value,
                    });
                }
                let scale = match self.cfg.grad_clip {
                    Some(c) => {
                        let norm = self.opt.grad_norm(&grads)?;
                        if norm > c {
                            c / norm
                        } else {
                            1.0
                        }
                    }
                    None => 1.0,
                };
                self.opt.step_scaled(&grads, scale)?;
                if let Some(a) = self.average.as_mut() {
                    a.update(self.varmap, self.opt.step_count())?;
                }
                loss_sum += value * chunk.len() as f64;
                bar.inc(1);
                if bi % 16 == 0 {
                    bar.set_message(format!(
                        "epoch {epoch}/{last} loss {:.4}{}",
                        loss_sum / ((bi * bs + chunk.len()) as f64),
                        self.best_msg()
                    ));
                }
            }
            let train_seconds = t0.elapsed().as_secs_f64();
            self.state.train_seconds += train_seconds;
            let train_loss = loss_sum / n as f64;

            let mut record = EpochRecord {
                epoch,
                train_loss,
                valid_loss: None,
                valid_metrics: None,
                lr,
                train_seconds,
                eval_seconds: None,
                improved: false,
            };
            let is_eval = epoch % self.cfg.eval_every == 0 || epoch == last;
            // Validation and the best weights use the weight average when there is one.
            let training_weights = match (&self.average, valid.is_none() || is_eval) {
                (Some(a), true) => Some(a.swap_into(self.varmap)?),
                _ => None,
            };
            match valid {
                Some(v) if is_eval => {
                    let preds = predict_all(
                        self.eval_model,
                        v,
                        self.eval_batch_size,
                        Some(&mut valid_cache),
                    )?;
                    let vloss = preds.mean_rmse().ok_or_else(|| {
                        TrainError::Data("the validation split has no targets".into())
                    })?;
                    eval_secs.push(preds.seconds);
                    record.valid_loss = Some(vloss);
                    record.eval_seconds = Some(preds.seconds);
                    record.valid_metrics = self.metrics_fn.as_ref().map(|f| f(&preds));
                    if self.state.best_valid.is_none_or(|b| vloss < b) {
                        self.state.best_valid = Some(vloss);
                        self.state.best_epoch = Some(epoch);
                        record.improved = true;
                        self.save_best()?;
                    }
                    self.state.scheduler.observe(vloss);
                }
                Some(_) => {}
                None => {
                    self.state.best_epoch = Some(epoch);
                    record.improved = true;
                    self.save_best()?;
                }
            }
            if let Some(w) = training_weights {
                WeightAverage::restore(self.varmap, &w)?;
            }
            self.state.epochs_since_best = epoch - self.state.best_epoch.unwrap_or(0);
            self.state.epoch = epoch;
            self.state.optimizer_steps = self.opt.step_count();
            if valid.is_some()
                && self.cfg.patience > 0
                && self.state.epochs_since_best >= self.cfg.patience
            {
                self.state.stopped_early = true;
            }
            if let Some(p) = self.path(files::LOG) {
                append_record(&p, &record)?;
            }
            if let Some(p) = self.path(files::CHECKPOINT) {
                save_checkpoint(
                    &p,
                    self.varmap,
                    &self.opt,
                    self.average.as_ref(),
                    &self.state,
                )?;
            }
            if self.progress {
                bar.println(format!(
                    "epoch {epoch:>4}  train {train_loss:.5}  valid {}  lr {lr:.2e}  {train_seconds:.2}s{}",
                    record
                        .valid_loss
                        .map_or("-".to_string(), |v| format!("{v:.5}")),
                    if record.improved { "  *" } else { "" }
                ));
            }
            records.push(record);
            if self.state.stopped_early {
                break;
            }
        }
        bar.finish_and_clear();
        self.restore_best()?;

        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let train_secs: Vec<f64> = records.iter().map(|r| r.train_seconds).collect();
        Ok(FitReport {
            epochs_run: records.len(),
            last_epoch: self.state.epoch,
            best_epoch: self.state.best_epoch,
            best_valid_loss: self.state.best_valid,
            stopped_early: self.state.stopped_early,
            seconds_per_epoch: mean(&train_secs),
            seconds_per_eval: mean(&eval_secs),
            peak_rss_bytes: peak_rss_bytes(),
            records,
        })
    }

    fn best_msg(&self) -> String {
        match (self.state.best_valid, self.state.best_epoch) {
            (Some(v), Some(e)) => format!(", best valid {v:.4} @ {e}"),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrainConfig;
    use candle_core::{Device, Module};
    use candle_nn::Init;
    use dos_config::Check;
    use dos_data::CrystalBatch;

    /// Toy data: crystal i has one atom with feature vector x_i (F = 3) and target y_i (M = 4).
    struct Toy {
        x: Vec<[f64; 3]>,
        y: Vec<[f64; 4]>,
        dev: Device,
    }

    impl Toy {
        fn new(n: usize, offset: f64, y_scale: f64) -> Self {
            let x: Vec<[f64; 3]> = (0..n)
                .map(|i| {
                    let t = i as f64 + offset;
                    [t.sin(), (0.7 * t).cos(), 1.0]
                })
                .collect();
            let y = x
                .iter()
                .map(|v| {
                    let base = [0.5 * v[0] + 0.2, v[1] - 0.1, 0.3 * v[0] * 0.0 + 0.4, -v[1]];
                    base.map(|b| b * y_scale)
                })
                .collect();
            Self {
                x,
                y,
                dev: Device::Cpu,
            }
        }
    }

    impl BatchSource for Toy {
        fn len(&self) -> usize {
            self.x.len()
        }
        fn batch(&self, idx: &[usize]) -> Result<CrystalBatch> {
            let b = idx.len();
            let d = &self.dev;
            let xs: Vec<f64> = idx.iter().flat_map(|&i| self.x[i]).collect();
            let ys: Vec<f64> = idx.iter().flat_map(|&i| self.y[i]).collect();
            let nodes: Vec<u32> = (0..b as u32).collect();
            Ok(CrystalBatch {
                node_features: Tensor::from_vec(xs, (b, 3), d)?,
                edge_features: Tensor::zeros((0, 1), DType::F64, d)?,
                edge_vectors: Tensor::zeros((0, 3), DType::F64, d)?,
                senders: Tensor::zeros(0, DType::U32, d)?,
                receivers: Tensor::zeros(0, DType::U32, d)?,
                node_crystal: Tensor::new(nodes.as_slice(), d)?,
                padded_index: Tensor::new(nodes.as_slice(), d)?,
                atom_mask: Tensor::ones((b, 1), DType::F64, d)?,
                crystal_system: Tensor::zeros(b, DType::U32, d)?,
                targets: Some(Tensor::from_vec(ys, (b, 4), d)?),
                atoms_per_crystal: vec![1; b],
                n_max: 1,
                ids: idx.iter().map(|i| format!("toy-{i}")).collect(),
            })
        }
        fn device(&self) -> &Device {
            &self.dev
        }
        fn dtype(&self) -> DType {
            DType::F64
        }
    }

    /// Linear model: prediction = x W + b; loss = mean per-crystal RMSE.
    struct Linear(candle_nn::Linear);

    impl DosModel for Linear {
        fn n_energies(&self) -> usize {
            4
        }
        fn predict(&self, batch: &CrystalBatch) -> candle_core::Result<Tensor> {
            self.0.forward(&batch.node_features)
        }
        fn loss(&self, batch: &CrystalBatch) -> candle_core::Result<Tensor> {
            let y = batch.targets.as_ref().expect("toy has targets");
            let p = self.predict(batch)?;
            (p - y)?.sqr()?.mean(1)?.sqrt()?.mean_all()
        }
    }

    fn linear(vm: &VarMap) -> Linear {
        let vb = dos_nn::SeededVarMap::var_builder(vm, 0, DType::F64, &Device::Cpu);
        let w = vb.get_with_hints((4, 3), "w", Init::Const(0.0)).unwrap();
        let b = vb.get_with_hints(4, "b", Init::Const(0.0)).unwrap();
        Linear(candle_nn::Linear::new(w, Some(b)))
    }

    fn weights(vm: &VarMap) -> Vec<(String, Vec<f64>)> {
        let mut v: Vec<_> = vm
            .data()
            .lock()
            .unwrap()
            .iter()
            .map(|(k, t)| {
                (
                    k.clone(),
                    t.flatten_all().unwrap().to_vec1::<f64>().unwrap(),
                )
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    fn cfg(epochs: usize, batch_size: usize) -> Checked<TrainConfig> {
        TrainConfig {
            epochs,
            batch_size,
            lr: 0.05,
            weight_decay: 0.0,
            patience: 0,
            seed: 3,
            grad_clip: Some(10.0),
            ..Default::default()
        }
        .check()
        .unwrap()
    }

    #[test]
    fn learns_and_keeps_best_weights() {
        let train = Toy::new(24, 0.0, 1.0);
        let valid = Toy::new(8, 100.0, 1.0);
        let vm = VarMap::new();
        let model = linear(&vm);
        let mut t = Trainer::new(cfg(30, 5), &model, &vm).unwrap();
        let rep = t.fit(&train, Some(&valid)).unwrap();
        assert_eq!(rep.epochs_run, 30);
        let first = rep.records[0].train_loss;
        let last = rep.records.last().unwrap().train_loss;
        assert!(last < 0.3 * first, "train loss {first} -> {last}");
        // The VarMap holds the best weights: re-evaluating gives the best validation loss.
        let again = predict_all(&model, &valid, 3, None)
            .unwrap()
            .mean_rmse()
            .unwrap();
        assert!((again - rep.best_valid_loss.unwrap()).abs() < 1e-12);
        let best = rep.best_epoch.unwrap();
        assert!(rep.records[best - 1].improved);
    }

    #[test]
    fn early_stopping_after_patience() {
        // Valid targets are zero, train targets are not: validation only gets worse after the
        // first epoch, so the best epoch is 1 and training stops at 1 + patience.
        let train = Toy::new(12, 0.0, 1.0);
        let valid = Toy::new(6, 50.0, 0.0);
        let vm = VarMap::new();
        let model = linear(&vm);
        let c = TrainConfig {
            patience: 3,
            ..cfg(100, 4).get().clone()
        }
        .check()
        .unwrap();
        let mut t = Trainer::new(c, &model, &vm).unwrap();
        let rep = t.fit(&train, Some(&valid)).unwrap();
        assert!(rep.stopped_early);
        assert_eq!(rep.best_epoch, Some(1));
        assert_eq!(rep.last_epoch, 4);
    }

    fn with_ema(c: Checked<TrainConfig>, ema_decay: Option<f64>) -> Checked<TrainConfig> {
        TrainConfig {
            ema_decay,
            ..c.get().clone()
        }
        .check()
        .unwrap()
    }

    /// Two epochs, a fresh process-like trainer resuming from the run folder, two more epochs:
    /// same weights and same log as four uninterrupted epochs (moments restored, same order).
    #[test]
    fn resume_repeats_an_uninterrupted_run() {
        check_resume(None);
    }

    /// The same with a weight average, which the checkpoint carries too.
    #[test]
    fn resume_with_weight_average_repeats_an_uninterrupted_run() {
        check_resume(Some(0.7));
    }

    fn check_resume(ema: Option<f64>) {
        let cfg = |e, b| with_ema(cfg(e, b), ema);
        let train = Toy::new(20, 0.0, 1.0);
        let valid = Toy::new(6, 40.0, 1.0);
        let full_dir = tempfile::tempdir().unwrap();
        let vm = VarMap::new();
        let model = linear(&vm);
        let mut t = Trainer::new(cfg(4, 3), &model, &vm)
            .unwrap()
            .with_run_dir(full_dir.path());
        t.fit(&train, Some(&valid)).unwrap();
        let full_log = crate::log::read_log(&full_dir.path().join(files::LOG)).unwrap();
        // Compare the last weights, not the best: read them from the checkpoint.
        let full_last =
            load_tensors(&full_dir.path().join(files::CHECKPOINT), &Device::Cpu).unwrap();

        let dir = tempfile::tempdir().unwrap();
        {
            let vm = VarMap::new();
            let model = linear(&vm);
            let mut t = Trainer::new(cfg(2, 3), &model, &vm)
                .unwrap()
                .with_run_dir(dir.path());
            let rep = t.fit(&train, Some(&valid)).unwrap();
            assert_eq!(rep.last_epoch, 2);
        }
        let vm2 = VarMap::new();
        let model2 = linear(&vm2);
        let mut t2 = Trainer::new(cfg(4, 3), &model2, &vm2)
            .unwrap()
            .with_run_dir(dir.path());
        assert!(t2.resume().unwrap());
        let rep = t2.fit(&train, Some(&valid)).unwrap();
        assert_eq!(rep.epochs_run, 2);
        let log = crate::log::read_log(&dir.path().join(files::LOG)).unwrap();
        let strip = |l: &[EpochRecord]| -> Vec<(usize, f64, Option<f64>, bool)> {
            l.iter()
                .map(|r| (r.epoch, r.train_loss, r.valid_loss, r.improved))
                .collect()
        };
        assert_eq!(strip(&log), strip(&full_log));
        let last = load_tensors(&dir.path().join(files::CHECKPOINT), &Device::Cpu).unwrap();
        let mut keys = vec!["model.w", "model.b", "adam_m.w", "adam_v.b"];
        if ema.is_some() {
            keys.extend(["ema.w", "ema.b"]);
        }
        for key in keys {
            assert_eq!(
                last[key].flatten_all().unwrap().to_vec1::<f64>().unwrap(),
                full_last[key]
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f64>()
                    .unwrap(),
                "{key}"
            );
        }
        // And the resumed trainer ends holding the same best weights.
        let vm3 = VarMap::new();
        let _m3 = linear(&vm3);
        let best = load_tensors(&full_dir.path().join(files::BEST_WEIGHTS), &Device::Cpu).unwrap();
        load_into_varmap(&vm3, &best, "", Path::new("best")).unwrap();
        assert_eq!(weights(&vm2), weights(&vm3));
    }

    /// With a weight average, the best weights (here: the last, no validation split) are the
    /// average, not the optimiser's weights, and the `VarMap` ends holding them.
    #[test]
    fn weight_average_is_what_gets_saved() {
        let train = Toy::new(10, 0.0, 1.0);
        let dir = tempfile::tempdir().unwrap();
        let vm = VarMap::new();
        let model = linear(&vm);
        Trainer::new(with_ema(cfg(3, 2), Some(0.9)), &model, &vm)
            .unwrap()
            .with_run_dir(dir.path())
            .fit(&train, None)
            .unwrap();
        let ckpt = load_tensors(&dir.path().join(files::CHECKPOINT), &Device::Cpu).unwrap();
        let best = load_tensors(&dir.path().join(files::BEST_WEIGHTS), &Device::Cpu).unwrap();
        let v = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f64>().unwrap();
        assert_eq!(v(&best["w"]), v(&ckpt["ema.w"]));
        assert_ne!(v(&best["w"]), v(&ckpt["model.w"]));
        let held: HashMap<_, _> = weights(&vm).into_iter().collect();
        assert_eq!(held["w"], v(&ckpt["ema.w"]));
    }

    #[test]
    fn resume_refuses_changed_settings() {
        let train = Toy::new(6, 0.0, 1.0);
        let dir = tempfile::tempdir().unwrap();
        let vm = VarMap::new();
        let model = linear(&vm);
        Trainer::new(cfg(1, 2), &model, &vm)
            .unwrap()
            .with_run_dir(dir.path())
            .fit(&train, None)
            .unwrap();
        let other = TrainConfig {
            lr: 0.1,
            ..cfg(3, 2).get().clone()
        }
        .check()
        .unwrap();
        let mut t = Trainer::new(other, &model, &vm)
            .unwrap()
            .with_run_dir(dir.path());
        assert!(matches!(
            t.resume(),
            Err(TrainError::Config {
                field: "resume",
                ..
            })
        ));
    }

    #[test]
    fn batch_size_one_and_full_batch_both_train() {
        let train = Toy::new(7, 0.0, 1.0);
        for bs in [1, 7, 100] {
            let vm = VarMap::new();
            let model = linear(&vm);
            let rep = Trainer::new(cfg(3, bs), &model, &vm)
                .unwrap()
                .fit(&train, None)
                .unwrap();
            assert_eq!(rep.epochs_run, 3);
            assert!(rep.records.iter().all(|r| r.train_loss.is_finite()));
        }
    }
}
