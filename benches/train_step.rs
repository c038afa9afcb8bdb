//! One DOSTransformer training step and its parts at the paper phonon config (d 256, L' 3,
//! L1 = L2 = L3 = 2, M 51), f32, on the CPU (or CUDA device 0 when built with
//! `--features cuda`), batch sizes 1 and 8 of synthetic phonon-like crystals (7 atoms, 4 Å
//! cutoff, about 40 neighbours per atom, 118 node and 4 edge features):
//!
//! - `loss`: the loss of both branches, forward only;
//! - `loss_and_grads`: the loss with its gradients as the trainer takes them (on the CPU the
//!   hand-written step, `DosTransformer::host_loss_and_grads`);
//! - `loss_and_grads_composed`: the same from candle's graph (the two branches
//!   back-propagated on two threads), the reference the hand-written step is tested against;
//! - `train_step`: `loss_and_grads` then the fused AdamW update, as the trainer runs it;
//! - `inference`: the system branch (`DosModel::predict`, by hand on the CPU), and
//!   `inference_composed`: the same from candle operations;
//! - `adamw/fused` and `adamw/candle_nn`: one AdamW update of the 6.47 M parameters, by
//!   `dos_nn::FusedAdamW` (in place) and by `candle_nn::AdamW` (the same update, composed).
//!
//! - `peak/matmul_512`: one 512 x 512 x 512 f32 product through `dos_nn::host::matmul` on
//!   the calling thread (2 x 512^3 FLOP / time is the rate);
//! - `peak/ffn_b1` and `peak/ffn_b8`: the product that dominates a step, the attention
//!   block's first FFN layer at d 256 (51 or 408 energy rows times a 256 x 1024 weight), on
//!   the calling thread with warm caches: the attainable rate that
//!   `scripts/speed/step_flops.py --peak-gflops` turns into a floor for an epoch.
//!
//! The GNN and the attention stacks alone are the `gnn_layer` and `attention` benches.
//!
//! Run: `cargo bench --bench train_step`.

use std::hint::black_box;

use candle_core::{DType, Device};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use criterion::{criterion_group, criterion_main, Criterion};
use dos::config::Check;
use dos::models::dostransformer_backward::branch_parallel_loss_and_grads;
use dos::models::synthetic::phonon_like_batch;
use dos::models::{AnyModel, DosModel, ModelConfig, ModelKind, Task};
use dos::nn::host::{matmul, MatView};
use dos::nn::FusedAdamW;

/// The `dos` binary's allocator (it keeps freed pages for reuse; with the system allocator
/// every large tensor is a fresh mapping that the kernel zeroes on first touch).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn params() -> ParamsAdamW {
    ParamsAdamW {
        lr: 1e-4,
        weight_decay: 0.01,
        ..ParamsAdamW::default()
    }
}

fn bench(c: &mut Criterion) {
    // Before any tensor exists: candle reads CANDLE_NUM_THREADS once (see docs/performance.md).
    dos::nn::prefer_serial_elementwise();
    dos::nn::fix_matmul_thread_count();
    let device = Device::cuda_if_available(0).expect("device");
    let cfg = ModelConfig::preset(ModelKind::DosTransformer, Task::Phonon, true)
        .check()
        .expect("paper config is valid");
    let (model, varmap) = AnyModel::build(&cfg, &device).expect("model");
    let mut fused = FusedAdamW::new(varmap.all_vars(), params()).expect("optimiser");
    let mut group = c.benchmark_group("dostransformer_phonon");
    for b in [1usize, 8] {
        let batch = phonon_like_batch(b, &device, DType::F32).expect("synthetic batch");
        eprintln!(
            "batch {b}: {} atoms, {} edges",
            batch.node_features.dim(0).expect("atoms"),
            batch.senders.dim(0).expect("edges")
        );
        group.bench_function(format!("loss/b{b}"), |bench| {
            bench.iter(|| black_box(model.loss(&batch).expect("loss")))
        });
        group.bench_function(format!("loss_and_grads/b{b}"), |bench| {
            bench.iter(|| black_box(model.loss_and_grads(&batch).expect("loss")))
        });
        if let AnyModel::DosTransformer(dt) = &model {
            group.bench_function(format!("loss_and_grads_composed/b{b}"), |bench| {
                bench.iter(|| black_box(branch_parallel_loss_and_grads(dt, &batch).expect("loss")))
            });
            group.bench_function(format!("inference_composed/b{b}"), |bench| {
                bench.iter(|| {
                    let y = dt.composed_predict(&batch).expect("predict");
                    black_box(y.sum_all().and_then(|s| s.to_scalar::<f32>()).expect("sum"))
                })
            });
        }
        group.bench_function(format!("train_step/b{b}"), |bench| {
            bench.iter(|| {
                let (loss, grads) = model.loss_and_grads(&batch).expect("loss");
                fused.step_scaled(&grads, 1.0).expect("step");
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
    let batch = phonon_like_batch(1, &device, DType::F32).expect("synthetic batch");
    let grads = model
        .loss(&batch)
        .and_then(|l| l.backward())
        .expect("gradients");
    group.bench_function("adamw/fused", |bench| {
        bench.iter(|| fused.step(&grads).expect("step"))
    });
    let mut composed = AdamW::new(varmap.all_vars(), params()).expect("optimiser");
    group.bench_function("adamw/candle_nn", |bench| {
        bench.iter(|| composed.step(&grads).expect("step"))
    });
    let (a, b) = (vec![0.5f32; 512 * 512], vec![0.25f32; 512 * 512]);
    let mut out = vec![0f32; 512 * 512];
    group.bench_function("peak/matmul_512", |bench| {
        bench.iter(|| {
            let (av, bv) = (
                MatView::new(&a, 512, 512).expect("a"),
                MatView::new(&b, 512, 512).expect("b"),
            );
            matmul(&mut out, av, bv, false, 1).expect("product");
            black_box(out[0])
        })
    });
    for (name, rows) in [("peak/ffn_b1", 51usize), ("peak/ffn_b8", 408)] {
        let (x, w) = (vec![0.5f32; rows * 256], vec![0.25f32; 256 * 1024]);
        let mut h = vec![0f32; rows * 1024];
        group.bench_function(name, |bench| {
            bench.iter(|| {
                let (xv, wv) = (
                    MatView::new(&x, rows, 256).expect("x"),
                    MatView::new(&w, 256, 1024).expect("w"),
                );
                matmul(&mut h, xv, wv, false, 1).expect("product");
                black_box(h[0])
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
