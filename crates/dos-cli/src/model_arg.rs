//! The model a command predicts with: the `--model` folder (a package or a run), or the bundled
//! phonon model.

use std::path::Path;

use anyhow::{Context, Result};
use dos_predict::Predictor;

/// Loads the model `--model` names, or the bundled one.
pub fn load_predictor(model: Option<&Path>, device: &candle_core::Device) -> Result<Predictor> {
    match model {
        Some(path) => Predictor::load(path, device)
            .with_context(|| format!("loading model {}", path.display())),
        None => Predictor::bundled(device).context("loading the bundled model"),
    }
}
