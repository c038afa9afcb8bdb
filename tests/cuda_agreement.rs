//! CPU and CUDA agree: the same DOSTransformer weights give the same predictions and loss on
//! both devices. Built only with `--features cuda` (CI has no GPU); run on a GPU machine with
//! `scripts/cuda/build.sh` and `bash .gpu/run-on-device.sh tests`.
#![cfg(feature = "cuda")]

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use dos::config::Check;
use dos::models::synthetic::{batch_from_graphs, SplitMix64, SyntheticCrystal, SyntheticSpec};
use dos::models::{AnyModel, DosModel, ModelConfig, ModelKind, Task};

fn graphs(n: usize) -> Vec<dos::models::synthetic::SyntheticGraph> {
    let mut rng = SplitMix64::new(7);
    (0..n)
        .map(|k| {
            let spec = SyntheticSpec {
                atoms: 3 + 2 * k,
                density: 0.149,
                node_in: 118,
                n_energies: 51,
                crystal_system: (k % 7) as u32,
            };
            SyntheticCrystal::random(&spec, &mut rng).graph(4.0, 4)
        })
        .collect()
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    let a = a.to_device(&Device::Cpu).unwrap();
    let b = b.to_device(&Device::Cpu).unwrap();
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

#[test]
fn cpu_and_cuda_predictions_agree_to_1e_4() {
    let gpu = Device::new_cuda(0).expect("a CUDA device");
    for kind in ModelKind::ALL {
        let cfg = ModelConfig::preset(kind, Task::Phonon, true)
            .check()
            .unwrap();
        let (cpu_model, cpu_vars) = AnyModel::build(&cfg, &Device::Cpu).unwrap();
        // The same weights on the GPU: copy every CPU variable into the GPU VarMap.
        let gpu_vars = VarMap::new();
        let gpu_model =
            AnyModel::new(&cfg, VarBuilder::from_varmap(&gpu_vars, DType::F32, &gpu)).unwrap();
        let gpu_data = gpu_vars.data().lock().unwrap();
        for (name, var) in cpu_vars.data().lock().unwrap().iter() {
            gpu_data[name]
                .set(&var.as_tensor().to_device(&gpu).unwrap())
                .unwrap();
        }
        drop(gpu_data);
        let g = graphs(4);
        let cpu_batch = batch_from_graphs(&g, &Device::Cpu, DType::F32).unwrap();
        let gpu_batch = batch_from_graphs(&g, &gpu, DType::F32).unwrap();
        let diff = max_abs_diff(
            &cpu_model.predict(&cpu_batch).unwrap(),
            &gpu_model.predict(&gpu_batch).unwrap(),
        );
        assert!(diff < 1e-4, "{}: |cpu - cuda| = {diff}", kind.name());
        let loss = max_abs_diff(
            &cpu_model.loss(&cpu_batch).unwrap(),
            &gpu_model.loss(&gpu_batch).unwrap(),
        );
        assert!(loss < 1e-4, "{}: loss |cpu - cuda| = {loss}", kind.name());
        println!(
            "{}: max |cpu - cuda| prediction {diff:.2e}, loss {loss:.2e}",
            kind.name()
        );
    }
}
