//! [`ServeState`]: what every request shares: the loaded [`Predictor`], the model summary and
//! card, the limits and the two semaphores that bound the work.

use std::sync::Arc;
use std::time::Duration;

use dos_predict::Predictor;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use crate::config::ServeConfig;

/// Shared state of the router: one [`Predictor`] loaded once, and the work bounds.
pub struct ServeState {
    pub(crate) predictor: Arc<Predictor>,
    pub(crate) summary: Value,
    pub(crate) model_card: Option<String>,
    pub(crate) max_body: usize,
    pub(crate) max_files: usize,
    pub(crate) queue: usize,
    pub(crate) timeout: Duration,
    /// Requests admitted (running or waiting): `queue` permits, taken without waiting.
    pub(crate) admitted: Arc<Semaphore>,
    /// Predictions running on the blocking pool: `workers` permits.
    pub(crate) workers: Arc<Semaphore>,
}

impl ServeState {
    /// State over `predictor` with the limits of `config` (assumed validated) and an optional
    /// model card (markdown) served at `/model-card`.
    pub fn new(
        predictor: Arc<Predictor>,
        config: &ServeConfig,
        model_card: Option<String>,
    ) -> Self {
        let summary = model_summary(&predictor, model_card.as_deref(), config);
        Self {
            predictor,
            summary,
            model_card,
            max_body: config.max_body,
            max_files: config.max_files,
            queue: config.queue,
            timeout: config.timeout,
            admitted: Arc::new(Semaphore::new(config.queue)),
            workers: Arc::new(Semaphore::new(config.workers)),
        }
    }

    /// Prediction requests admitted now, running or waiting for a worker.
    pub fn in_flight(&self) -> usize {
        self.queue - self.admitted.available_permits()
    }

    /// The `GET /api/model` document.
    pub fn model_summary(&self) -> &Value {
        &self.summary
    }
}

/// Name and version from a model card's first heading, `# Model card: NAME VERSION ...`
/// (`phonon-dostransformer`, `v2`).
fn card_name_version(card: &str) -> Option<(String, Option<String>)> {
    let title = card.lines().find(|l| l.starts_with("# "))?;
    let rest = title.trim_start_matches("# ").trim();
    let rest = rest.strip_prefix("Model card:").unwrap_or(rest).trim();
    let mut words = rest.split_whitespace();
    let name = words.next()?.to_string();
    let version = words
        .next()
        .filter(|v| v.starts_with('v') && v[1..].starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string);
    Some((name, version))
}

/// The manifest summary: name, version, members, task, energy grid and unit, test and
/// validation scores, calibration, data and split, and the server's limits.
fn model_summary(p: &Predictor, card: Option<&str>, config: &ServeConfig) -> Value {
    let m = p.manifest();
    let (name, version) = card
        .and_then(card_name_version)
        .unwrap_or_else(|| (p.source().to_string(), None));
    json!({
        "name": name,
        "version": version,
        "source": p.source(),
        "format_version": m.format_version,
        "written_by": m.provenance.written_by,
        "task": m.task,
        "members": m.members.len(),
        "energy_grid": {
            "values": m.energy_grid.values,
            "unit": m.energy_grid.unit.symbol(),
        },
        "target_scale": m.target_scale,
        "test": m.provenance.test,
        "valid": m.provenance.valid,
        "calibration": m.calibration,
        "data": m.provenance.data,
        "split": m.provenance.split,
        "model_card": card.map(|_| "/model-card"),
        "limits": {
            "max_body_bytes": config.max_body,
            "max_files": config.max_files,
            "queue": config.queue,
            "workers": config.workers,
            "timeout_s": config.timeout.as_secs_f64(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_heading_gives_name_and_version() {
        let card = "# Model card: phonon-dostransformer v2 (bundled)\n\ntext";
        assert_eq!(
            card_name_version(card),
            Some(("phonon-dostransformer".into(), Some("v2".into())))
        );
        assert_eq!(
            card_name_version("# my-model\n"),
            Some(("my-model".into(), None))
        );
        assert_eq!(card_name_version("no heading"), None);
    }
}
