//! [`EpochRecord`]: one line of the JSON-lines training log (`log.jsonl`).

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// What happened in one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (weighted by crystals per batch).
    pub train_loss: f64,
    /// Validation loss (mean per-crystal RMSE of `predict`), on evaluation epochs.
    pub valid_loss: Option<f64>,
    /// Validation metrics (per-crystal MSE, MAE, RMSE, R^2 averaged over crystals), on
    /// evaluation epochs.
    pub valid_metrics: Option<serde_json::Value>,
    /// Learning rate used in this epoch.
    pub lr: f64,
    /// Seconds of the training pass.
    pub train_seconds: f64,
    /// Seconds of the validation inference pass.
    pub eval_seconds: Option<f64>,
    /// True when this epoch gave a new best validation loss (and wrote the best weights).
    pub improved: bool,
}

/// Appends one record as a JSON line to `path`.
pub fn append_record(path: &Path, record: &EpochRecord) -> Result<()> {
    let line = serde_json::to_string(record).map_err(|e| TrainError::json(path, e))?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| TrainError::io(path, e))?;
    writeln!(f, "{line}").map_err(|e| TrainError::io(path, e))
}

/// Reads every record of a log (a missing file is an empty log).
///
/// # Errors
/// [`TrainError::Json`] on a malformed line.
pub fn read_log(path: &Path) -> Result<Vec<EpochRecord>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(TrainError::io(path, e)),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| TrainError::json(path, e)))
        .collect()
}

/// Drops records after `epoch` (those written after the checkpoint a run resumes from).
pub fn truncate_log(path: &Path, epoch: usize) -> Result<()> {
    let kept: Vec<String> = read_log(path)?
        .into_iter()
        .filter(|r| r.epoch <= epoch)
        .map(|r| serde_json::to_string(&r).map_err(|e| TrainError::json(path, e)))
        .collect::<Result<_>>()?;
    let mut body = kept.join("\n");
    if !body.is_empty() {
        body.push('\n');
    }
    Ok(dos_data::io::atomic_write::write_bytes(
        path,
        body.as_bytes(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(epoch: usize) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss: 0.5 / epoch as f64,
            valid_loss: Some(0.4),
            valid_metrics: Some(serde_json::json!({"mse": 0.1})),
            lr: 1e-4,
            train_seconds: 1.0,
            eval_seconds: Some(0.1),
            improved: epoch == 1,
        }
    }

    #[test]
    fn append_read_truncate() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log.jsonl");
        assert!(read_log(&p).unwrap().is_empty());
        for e in 1..=4 {
            append_record(&p, &rec(e)).unwrap();
        }
        assert_eq!(read_log(&p).unwrap(), (1..=4).map(rec).collect::<Vec<_>>());
        truncate_log(&p, 2).unwrap();
        assert_eq!(read_log(&p).unwrap(), vec![rec(1), rec(2)]);
    }
}
