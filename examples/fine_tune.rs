//! Fine-tune the bundled model on a few crystals of your own.
//!
//! ```text
//! cargo run --release --example fine_tune          # about a minute on two cores
//! ```
//!
//! Member 0 of the bundled ensemble learned from the phonon benchmark alone. Here it is
//! fine-tuned on 48 crystals of phonondb (shipped in `data/phonondb/`, CC BY 4.0), a second
//! real phonon set it never saw, and scored before and after on 150 other phonondb crystals
//! (all from phonondb's training split; its validation and test splits are not touched).

use anyhow::Result;
use dos::data::graph::GraphConfig;
use dos::data::split::Split;
use dos::prelude::*;
use dos::train::evaluate_predictor;

fn main() -> Result<()> {
    let device = Device::Cpu;
    let bundled = dos::predict::bundled::package()?;
    let member = bundled.member(0)?;

    // A few crystals: 48 to learn from, 150 to judge by, from phonondb's training split.
    let db = TrainingData::load(Task::Phonon, "data/phonondb", &GraphConfig::phonon(), 0)?;
    let pool = &db.split.train;
    let split = Split {
        train: pool[..48].to_vec(),
        valid: pool[48..198].to_vec(),
        test: Vec::new(),
    };
    let data = db.with_split(split)?;

    let before = Predictor::from_package(member.clone(), &device)?;
    let b = evaluate_predictor(&before, &data.dataset, &data.split.valid, 32)?;

    let out = std::path::Path::new("target/fine_tune/run");
    if out.exists() {
        std::fs::remove_dir_all(out)?; // a fresh run each time
    }
    let run = Training::new(ModelKind::DosTransformer)
        .fine_tune_member(member, 0)
        .epochs(15)
        .batch_size(8)
        .lr(1e-4)
        .patience(5)
        .device(device.clone())
        .fit(&data, out)?;
    let after = run.metrics.valid.as_ref().expect("a validation split");
    println!(
        "member 0 on 150 held-out phonondb crystals: MSE x10 {:.3} -> {:.3}, MAE {:.3} -> {:.3} \
         (fine-tuned on 48 crystals, best epoch {} of {})",
        b.metrics.mse_x10,
        after.mse_x10,
        b.metrics.overall.mae,
        after.overall.mae,
        run.metrics.best_epoch.unwrap_or(0),
        run.metrics.epochs
    );
    let tuned = run.predictor(&device)?;
    let p = tuned.predict_file("crates/dos-predict/models/examples/NaCl.cif")?;
    println!(
        "fine-tuned model, {} ({}): heat capacity at 300 K {:.2} J/(mol K)",
        p.formula,
        p.crystal_system_name(),
        p.properties
            .map_or(f64::NAN, |x| x.heat_capacity_j_per_mol_k.mean)
    );
    Ok(())
}
