//! DOSTransformer at the paper phonon config (d 256, L' 3, L1 = L2 = L3 = 2, M 51):
//! one training step as the trainer takes it (`DosModel::loss_and_grads`: the loss with its
//! gradients, the two branches back-propagated on two threads on the CPU; then the AdamW
//! update of `dos_nn::FusedAdamW`, the same update as `candle_nn::AdamW`) and one inference
//! batch, on
//! synthetic phonon-like crystals (7 atoms, 4 Å cutoff, about 40 neighbours per atom, 118
//! node features, 4 edge features), batch sizes 1 and 8, f32, on the CPU (or CUDA device 0
//! when built with `--features cuda`).
//!
//! Run: `cargo bench --bench train_step`.

use std::hint::black_box;

use candle_core::{DType, Device};
use candle_nn::{Optimizer, ParamsAdamW};
use criterion::{criterion_group, criterion_main, Criterion};
use dos::models::synthetic::phonon_like_batch;
use dos::models::{AnyModel, DosModel, ModelConfig, ModelKind, Task};
use dos::nn::FusedAdamW;

/// The `dos` binary's allocator (it keeps freed pages for reuse; with the system allocator
/// every large tensor is a fresh mapping that the kernel zeroes on first touch).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn phonon_batch(b: usize, device: &Device) -> dos::data::CrystalBatch {
    phonon_like_batch(b, device, DType::F32).expect("synthetic batch")
}

fn bench(c: &mut Criterion) {
    // Before any tensor exists: candle reads CANDLE_NUM_THREADS once (see docs/performance.md).
    dos::nn::prefer_serial_elementwise();
    dos::nn::fix_matmul_thread_count();
    let device = Device::cuda_if_available(0).expect("device");
    let cfg = ModelConfig::preset(ModelKind::DosTransformer, Task::Phonon, true)
        .validate()
        .expect("paper config is valid");
    let (model, varmap) = AnyModel::build(&cfg, &device).expect("model");
    let mut opt = FusedAdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: 1e-4,
            weight_decay: 0.01,
            ..ParamsAdamW::default()
        },
    )
    .expect("optimiser");
    let mut group = c.benchmark_group("dostransformer_phonon");
    for b in [1usize, 8] {
        let batch = phonon_batch(b, &device);
        let edges = batch.senders.dim(0).expect("edges");
        eprintln!(
            "batch {b}: {} atoms, {edges} edges",
            batch.node_features.dim(0).unwrap()
        );
        group.bench_function(format!("train_step/b{b}"), |bench| {
            bench.iter(|| {
                let (loss, grads) = model.loss_and_grads(&batch).expect("loss");
                opt.step_scaled(&grads, 1.0).expect("step");
                black_box(loss);
            })
        });
        group.bench_function(format!("inference/b{b}"), |bench| {
            bench.iter(|| {
                let y = model.predict(&batch).expect("predict");
                // Force the computation (and a device sync on GPU).
                black_box(y.sum_all().and_then(|s| s.to_scalar::<f32>()).expect("sum"));
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
