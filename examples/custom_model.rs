//! A model of your own, trained, packaged and used through `Predictor` like the built-in ones.
//!
//! ```text
//! cargo run --release --example custom_model          # about 20 s
//! ```
//!
//! The model (`MeanLinear`: the mean of a crystal's atom features through one linear layer to
//! the M energies) implements one trait, `DosModel`; one call registers its family under a name.
//! It then trains with the `Training` builder on the shipped phonon benchmark, its run folder
//! holds a model package with its weights, and `Predictor` loads that package and predicts a
//! CIF file. A program that loads such a package must register the family first.

use anyhow::Result;
use candle_core::{Module, Tensor};
use candle_nn::{linear, Linear, VarBuilder};
use dos::data::CrystalBatch;
use dos::models::{batch_rmse, loss::targets, register_family, CustomConfig};
use dos::prelude::*;

/// Mean of the atoms' features, then one linear layer to the M energies.
struct MeanLinear {
    out: Linear,
    m: usize,
}

impl MeanLinear {
    fn new(cfg: &CustomConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            out: linear(cfg.node_in, cfg.n_energies, vb.pp("out"))?,
            m: cfg.n_energies,
        })
    }
}

impl DosModel for MeanLinear {
    fn n_energies(&self) -> usize {
        self.m
    }

    fn predict(&self, b: &CrystalBatch) -> candle_core::Result<Tensor> {
        let x = &b.node_features;
        let sums = Tensor::zeros((b.len(), x.dim(1)?), x.dtype(), x.device())?.index_add(
            &b.node_crystal,
            x,
            0,
        )?;
        let counts: Vec<f32> = b.atoms_per_crystal.iter().map(|&n| n as f32).collect();
        let counts = Tensor::new(counts, x.device())?
            .to_dtype(x.dtype())?
            .unsqueeze(1)?;
        self.out.forward(&sums.broadcast_div(&counts)?)
    }

    fn loss(&self, b: &CrystalBatch) -> candle_core::Result<Tensor> {
        batch_rmse(&self.predict(b)?, &targets(b, self.m)?)
    }
}

fn main() -> Result<()> {
    register_family("mean-linear", |cfg: &CustomConfig, vb: VarBuilder| {
        Ok(Box::new(MeanLinear::new(cfg, vb)?) as Box<dyn DosModel>)
    });

    let data = TrainingData::benchmark()?;
    let out = std::path::Path::new("target/custom_model/run");
    if out.exists() {
        std::fs::remove_dir_all(out)?; // a fresh run each time
    }
    let run = Training::from_config(ModelConfig::Custom(CustomConfig::new("mean-linear", 1)))
        .epochs(200)
        .batch_size(32)
        .lr(3e-2)
        .cosine_schedule()
        .fit(&data, out)?;
    let test = run
        .metrics
        .test
        .as_ref()
        .expect("the benchmark's test split");
    println!(
        "{} ({} parameters), {} epochs: test MSE x10 {:.3}, MAE {:.3}",
        run.metrics.model,
        run.metrics.parameters,
        run.metrics.epochs,
        test.mse_x10,
        test.overall.mae
    );

    let predictor = Predictor::load(run.dir.join("package"), &Device::Cpu)?;
    let p = predictor.predict_file("crates/dos-predict/models/examples/NaCl.cif")?;
    println!(
        "{} ({}): {} energies from the packaged custom model",
        p.formula,
        p.crystal_system_name(),
        p.mean.len()
    );
    Ok(())
}
