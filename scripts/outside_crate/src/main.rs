//! A crate outside the workspace that depends on `dos` alone and runs the library's three paths.
use anyhow::Result;
use dos::candle::Tensor;
use dos::candle_nn::{linear, Linear, Module, VarBuilder};
use dos::data::CrystalBatch;
use dos::models::{batch_rmse, loss::targets, register_family, CustomConfig};
use dos::prelude::*;

struct MeanLinear(Linear, usize);
impl DosModel for MeanLinear {
    fn n_energies(&self) -> usize {
        self.1
    }
    fn predict(&self, b: &CrystalBatch) -> dos::candle::Result<Tensor> {
        let x = &b.node_features;
        let sums = Tensor::zeros((b.len(), x.dim(1)?), x.dtype(), x.device())?.index_add(
            &b.node_crystal,
            x,
            0,
        )?;
        self.0.forward(&sums)
    }
    fn loss(&self, b: &CrystalBatch) -> dos::candle::Result<Tensor> {
        batch_rmse(&self.predict(b)?, &targets(b, self.1)?)
    }
}

fn main() -> Result<()> {
    let tmp = std::env::temp_dir().join("dos-outside");
    let _ = std::fs::remove_dir_all(&tmp);
    // 1. Own data: 40 structures and a DOS table on a 26-point grid.
    let bench = TrainingData::benchmark()?;
    std::fs::create_dir_all(tmp.join("s"))?;
    let mut csv = String::from("id");
    for k in 0..26 {
        csv.push_str(&format!(",{}", 40 * k));
    }
    csv.push('\n');
    for s in bench.dataset.samples.iter().take(40) {
        dos::data::io::write_structure(tmp.join("s").join(format!("{}.cif", s.id)), &s.crystal)?;
        let t = s.target.as_ref().unwrap();
        csv.push_str(&s.id);
        for k in 0..26 {
            csv.push_str(&format!(",{}", t[2 * k]));
        }
        csv.push('\n');
    }
    std::fs::write(tmp.join("dos.csv"), csv)?;
    let data = TrainingData::from_structures(Task::Phonon, tmp.join("s"), tmp.join("dos.csv"))?;
    let run = Training::new(ModelKind::DosTransformer)
        .hidden(16)
        .epochs(2)
        .batch_size(8)
        .fit(&data, tmp.join("own"))?;
    let p = run.predictor(&Device::Cpu)?.predict_file(
        tmp.join("s")
            .join(format!("{}.cif", data.dataset.samples[0].id)),
    )?;
    println!(
        "own data: {} energies, valid MSE x10 {:.3}",
        p.mean.len(),
        run.metrics.valid.as_ref().unwrap().mse_x10
    );
    // 2. A custom model.
    register_family("mean-linear", |c: &CustomConfig, vb: VarBuilder| {
        Ok(Box::new(MeanLinear(
            linear(c.node_in, c.n_energies, vb.pp("out"))?,
            c.n_energies,
        )) as Box<dyn DosModel>)
    });
    let run = Training::from_config(ModelConfig::Custom(CustomConfig::new("mean-linear", 1)))
        .epochs(3)
        .batch_size(32)
        .lr(1e-2)
        .fit(&bench, tmp.join("custom"))?;
    let p = Predictor::load(run.dir.join("package"), &Device::Cpu)?.predict_one(
        "Cu",
        bench.dataset.samples[0].crystal.clone(),
        &Default::default(),
    )?;
    println!(
        "custom model: {} energies, test MSE x10 {:.3}",
        p.mean.len(),
        run.metrics.test.as_ref().unwrap().mse_x10
    );
    // 3. Fine-tune the bundled model's member 0 on 16 crystals.
    let member = dos::predict::bundled::package()?.member(0)?;
    let few = bench.clone().with_split(dos::data::split::Split {
        train: (0..16).collect(),
        valid: (16..32).collect(),
        test: vec![],
    })?;
    let run = Training::new(ModelKind::DosTransformer)
        .fine_tune_member(member, 0)
        .epochs(1)
        .batch_size(8)
        .lr(1e-4)
        .fit(&few, tmp.join("ft"))?;
    println!(
        "fine-tuned: valid MSE x10 {:.3}",
        run.metrics.valid.as_ref().unwrap().mse_x10
    );
    Ok(())
}
