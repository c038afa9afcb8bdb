//! Attention-stack benchmark (CPU): the two-layer cross-attention stack (energy tokens over
//! atoms, with a key mask) and the two-layer self-attention stack (energy tokens), forward
//! and forward + backward, released block (single head, no projections), f32; each through
//! candle's graph (`forward`, `forward_backward`) and written by hand (`host_forward`,
//! `host_forward_backward`: `HostStack`, what training and prediction use on the CPU).
//!
//! Grid: M in {51, 201} energy tokens (phonon, electron), d in {64, 128, 256}, atoms per
//! crystal in {8, 40, 200} (cross-attention only), batch in {1, 8}. Samples are few and
//! short so that the whole grid runs in a few minutes:
//! `cargo bench --bench attention` (or a filter, e.g. `-- cross_attention/forward/M201`).

use std::hint::black_box;
use std::time::Duration;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion};
use dos::attn::{
    AttentionConfig, CrossAttentionStack, EnergyEmbedding, HostDims, HostKeys, SelfAttentionStack,
};
use dos::config::Check;
use dos::nn::host::HostGrads;

/// The `dos` binary's allocator (it keeps freed pages for reuse; with the system allocator
/// every large tensor is a fresh mapping that the kernel zeroes on first touch).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LAYERS: usize = 2;

/// A tensor's values, row-major.
fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all()
        .and_then(|v| v.to_vec1::<f32>())
        .expect("f32 values")
}

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(800));
}

fn cross_attention(c: &mut Criterion) {
    let dev = Device::Cpu;
    let mut group = c.benchmark_group("cross_attention");
    configure(&mut group);
    for m in [51, 201] {
        for d in [64, 128, 256] {
            for n in [8, 40, 200] {
                for b in [1, 8] {
                    let vm = VarMap::new();
                    let vb = VarBuilder::from_varmap(&vm, DType::F32, &dev);
                    let emb = EnergyEmbedding::new(m, d, vb.pp("energy")).expect("embedding");
                    let stack = CrossAttentionStack::new(
                        &AttentionConfig::released(d).check().expect("valid"),
                        LAYERS,
                        vb.pp("x"),
                    )
                    .expect("stack");
                    let keys = Tensor::randn(0f32, 1., (b, n, d), &dev).expect("keys");
                    let mask = Tensor::ones((b, n), DType::F32, &dev).expect("mask");
                    let id = format!("M{m}_d{d}_N{n}_B{b}");
                    group.bench_function(BenchmarkId::new("forward", &id), |bch| {
                        bch.iter(|| {
                            let q = emb.forward_batch(b).expect("queries");
                            black_box(stack.forward(&q, &keys, &mask).expect("forward"))
                        })
                    });
                    group.bench_function(BenchmarkId::new("forward_backward", &id), |bch| {
                        bch.iter(|| {
                            let q = emb.forward_batch(b).expect("queries");
                            let out = stack.forward(&q, &keys, &mask).expect("forward");
                            black_box(out.sum_all().and_then(|l| l.backward()).expect("backward"))
                        })
                    });
                    let host = stack.host::<f32>().expect("weights").expect("released");
                    let (kv, mv) = (values(&keys), values(&mask));
                    let hk = HostKeys {
                        h: &kv,
                        mask: &mv,
                        n,
                    };
                    let dims = HostDims { b, m, d };
                    let q = values(&emb.forward_batch(b).expect("queries"));
                    group.bench_function(BenchmarkId::new("host_forward", &id), |bch| {
                        bch.iter(|| {
                            black_box(host.forward(&q, dims, Some(hk), false).expect("fwd"))
                        })
                    });
                    group.bench_function(BenchmarkId::new("host_forward_backward", &id), |bch| {
                        bch.iter(|| {
                            let (y, tape) = host.forward(&q, dims, Some(hk), true).expect("fwd");
                            let mut grads = HostGrads::default();
                            let tape = tape.expect("tape");
                            black_box(host.backward(&tape, &y, dims, &mut grads).expect("bwd"))
                        })
                    });
                }
            }
        }
    }
    group.finish();
}

fn self_attention(c: &mut Criterion) {
    let dev = Device::Cpu;
    let mut group = c.benchmark_group("self_attention");
    configure(&mut group);
    for m in [51, 201] {
        for d in [64, 128, 256] {
            for b in [1, 8] {
                let vm = VarMap::new();
                let vb = VarBuilder::from_varmap(&vm, DType::F32, &dev);
                let emb = EnergyEmbedding::new(m, d, vb.pp("energy")).expect("embedding");
                let stack = SelfAttentionStack::new(
                    &AttentionConfig::released(d).check().expect("valid"),
                    LAYERS,
                    vb.pp("s"),
                )
                .expect("stack");
                let id = format!("M{m}_d{d}_B{b}");
                group.bench_function(BenchmarkId::new("forward", &id), |bch| {
                    bch.iter(|| {
                        let x = emb.forward_batch(b).expect("tokens");
                        black_box(stack.forward(&x).expect("forward"))
                    })
                });
                group.bench_function(BenchmarkId::new("forward_backward", &id), |bch| {
                    bch.iter(|| {
                        let x = emb.forward_batch(b).expect("tokens");
                        let out = stack.forward(&x).expect("forward");
                        black_box(out.sum_all().and_then(|l| l.backward()).expect("backward"))
                    })
                });
                let host = stack.host::<f32>().expect("weights").expect("released");
                let dims = HostDims { b, m, d };
                let x = values(&emb.forward_batch(b).expect("tokens"));
                group.bench_function(BenchmarkId::new("host_forward", &id), |bch| {
                    bch.iter(|| black_box(host.forward(&x, dims, None, false).expect("fwd")))
                });
                group.bench_function(BenchmarkId::new("host_forward_backward", &id), |bch| {
                    bch.iter(|| {
                        let (y, tape) = host.forward(&x, dims, None, true).expect("fwd");
                        let mut grads = HostGrads::default();
                        let tape = tape.expect("tape");
                        black_box(host.backward(&tape, &y, dims, &mut grads).expect("bwd"))
                    })
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, cross_attention, self_attention);
criterion_main!(benches);
