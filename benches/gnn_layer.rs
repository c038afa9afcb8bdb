//! GNN benchmark (CPU, f32) at the paper phonon config (d 256, mean aggregation): one
//! processor layer (paper eq. 5: edge MLP on `[h_i, h_j, b_ij]`, then node MLP on
//! `[h_i, mean_j b_ij]`) and the whole encoder + 3-layer GNN, forward and forward + backward,
//! on the synthetic phonon-like crystals of `train_step` (7 atoms, about 268 edges each) at
//! batch 1 and 8. The whole GNN also written by hand (`gnn3_host_forward`,
//! `gnn3_host_forward_backward`: `HostGnn`, what training and prediction use on the CPU).
//!
//! Run: `cargo bench --bench gnn_layer` (or a filter, e.g. `-- gnn_layer/forward`).

use std::hint::black_box;
use std::time::Duration;

use candle_core::{DType, Device, Var};
use candle_nn::VarMap;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use dos::config::Check;
use dos::graph::{Aggregation, Gnn, GnnConfig, GraphInput, HostGraph, ProcessorLayer};
use dos::models::synthetic::phonon_like_batch;
use dos::nn::host::HostGrads;
use dos::nn::SeededVarMap;

/// The `dos` binary's allocator (it keeps freed pages for reuse; with the system allocator
/// every large tensor is a fresh mapping that the kernel zeroes on first touch).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const D: usize = 256;

fn bench(c: &mut Criterion) {
    // Before any tensor exists: candle reads CANDLE_NUM_THREADS once (see docs/performance.md).
    dos::nn::prefer_serial_elementwise();
    dos::nn::fix_matmul_thread_count();
    let dev = Device::Cpu;
    let mut group = c.benchmark_group("gnn");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for b in [1, 8] {
        let batch = phonon_like_batch(b, &dev, DType::F32).expect("synthetic batch");
        let (n, e) = (
            batch.node_features.dim(0).expect("n"),
            batch.senders.dim(0).expect("e"),
        );
        let id = format!("B{b}_N{n}_E{e}");

        let vm = VarMap::new();
        let layer = ProcessorLayer::new(
            D,
            Aggregation::Mean,
            SeededVarMap::var_builder(&vm, 0, DType::F32, &dev),
        )
        .expect("layer");
        // Leaf inputs tracked like the activations a layer sees inside the model.
        let h = Var::randn(0f32, 1., (n, D), &dev).expect("h");
        let edges = Var::randn(0f32, 1., (e, D), &dev).expect("b");
        let layer_forward = || {
            layer
                .forward(&h, &edges, &batch.senders, &batch.receivers)
                .expect("forward")
        };
        group.bench_function(BenchmarkId::new("layer_forward", &id), |bch| {
            bch.iter(|| black_box(layer_forward()))
        });
        group.bench_function(BenchmarkId::new("layer_forward_backward", &id), |bch| {
            bch.iter(|| {
                let (h2, b2) = layer_forward();
                let loss = (h2.sum_all().expect("sum") + b2.sum_all().expect("sum")).expect("add");
                black_box(loss.backward().expect("backward"))
            })
        });

        let vm = VarMap::new();
        let gnn = Gnn::new(
            &GnnConfig {
                node_in: 118,
                edge_in: 4,
                hidden: D,
                layers: 3,
                aggregation: Aggregation::Mean,
            }
            .check()
            .expect("valid"),
            SeededVarMap::var_builder(&vm, 0, DType::F32, &dev),
        )
        .expect("gnn");
        let input = GraphInput {
            node_features: &batch.node_features,
            edge_features: &batch.edge_features,
            senders: &batch.senders,
            receivers: &batch.receivers,
        };
        group.bench_function(BenchmarkId::new("gnn3_forward", &id), |bch| {
            bch.iter(|| black_box(gnn.forward(&input).expect("forward")))
        });
        group.bench_function(BenchmarkId::new("gnn3_forward_backward", &id), |bch| {
            bch.iter(|| {
                let out = gnn.forward(&input).expect("forward");
                black_box(out.sum_all().and_then(|l| l.backward()).expect("backward"))
            })
        });
        let host = gnn.host::<f32>().expect("weights").expect("biases");
        let values = |t: &candle_core::Tensor| -> Vec<f32> {
            t.flatten_all().and_then(|v| v.to_vec1()).expect("f32")
        };
        let index = |t: &candle_core::Tensor| -> Vec<u32> { t.to_vec1().expect("u32") };
        let (x, ef) = (values(&batch.node_features), values(&batch.edge_features));
        let (senders, receivers) = (index(&batch.senders), index(&batch.receivers));
        let graph = HostGraph {
            x: &x,
            e: &ef,
            senders: &senders,
            receivers: &receivers,
            n,
        };
        group.bench_function(BenchmarkId::new("gnn3_host_forward", &id), |bch| {
            bch.iter(|| black_box(host.forward(&graph, false).expect("forward")))
        });
        group.bench_function(BenchmarkId::new("gnn3_host_forward_backward", &id), |bch| {
            bch.iter(|| {
                let (h, tape) = host.forward(&graph, true).expect("forward");
                let mut grads = HostGrads::default();
                let tape = tape.expect("tape");
                host.backward(&tape, &graph, h, &mut grads)
                    .expect("backward");
                black_box(grads)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
