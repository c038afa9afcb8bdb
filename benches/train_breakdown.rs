//! Where the time of one DOSTransformer training step goes (paper phonon config, f32, CPU):
//! medians of forward and forward + backward of the GNN, the cross- and self-attention
//! stacks at the model's shapes, the whole loss, its backward, the AdamW update and inference.
//!
//! Run: `RAYON_NUM_THREADS=2 cargo bench --bench train_breakdown` (add `-- 31` for 31
//! repetitions per row; default 15). Plain `std::time::Instant` timings, no criterion.

use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use dos::attn::{AttentionConfig, CrossAttentionStack, SelfAttentionStack};
use dos::graph::{Aggregation, Gnn, GnnConfig, GraphInput};
use dos::models::synthetic::phonon_like_batch;
use dos::models::{AnyModel, DosModel, ModelConfig, ModelKind, Task};
use dos::nn::FusedAdamW;

/// The `dos` binary's allocator (it keeps freed pages for reuse; with the system allocator
/// every large tensor is a fresh mapping that the kernel zeroes on first touch).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type R<T> = candle_core::Result<T>;

fn phonon_batch(b: usize, device: &Device) -> dos::data::CrystalBatch {
    phonon_like_batch(b, device, DType::F32).expect("synthetic batch")
}

/// Median over `reps` runs after two warm-up runs.
fn median(reps: usize, mut f: impl FnMut() -> R<()>) -> Duration {
    for _ in 0..2 {
        f().expect("warm-up");
    }
    let mut t: Vec<Duration> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f().expect("run");
            s.elapsed()
        })
        .collect();
    t.sort();
    t[reps / 2]
}

/// Times `f` and prints a row, unless `BREAKDOWN_ONLY` is set and not part of `name`.
fn timed(name: &str, reps: usize, f: impl FnMut() -> R<()>) {
    if let Ok(only) = std::env::var("BREAKDOWN_ONLY") {
        if !name.contains(&only) {
            return;
        }
    }
    let d = median(reps, f);
    println!("{name:<62} {:>9.2} ms", d.as_secs_f64() * 1e3);
}

fn main() -> R<()> {
    // Unless CANDLE_NUM_THREADS is set: candle's spinning element-wise pool off.
    let serial = dos::nn::prefer_serial_elementwise();
    dos::nn::fix_matmul_thread_count();
    let reps: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(15);
    let dev = Device::Cpu;
    let d = 256;
    println!(
        "threads: rayon {}, CANDLE_NUM_THREADS {:?}{}, reps {reps}",
        candle_core::utils::get_num_threads(),
        std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
        if serial {
            " (set by prefer_serial_elementwise)"
        } else {
            ""
        }
    );

    // GNN alone (L' = 3, d = 256, mean aggregation) on the batch-1 graph.
    let batch = phonon_batch(1, &dev);
    {
        let vm = VarMap::new();
        let gnn = Gnn::new(
            &GnnConfig {
                node_in: 118,
                edge_in: 4,
                hidden: d,
                layers: 3,
                aggregation: Aggregation::Mean,
            },
            VarBuilder::from_varmap(&vm, DType::F32, &dev),
        )?;
        let input = GraphInput {
            node_features: &batch.node_features,
            edge_features: &batch.edge_features,
            senders: &batch.senders,
            receivers: &batch.receivers,
        };
        let c = Tensor::randn(0f32, 1., (batch.node_features.dim(0)?, d), &dev)?;
        timed("gnn forward (7 atoms, 268 edges)", reps, || {
            gnn.forward(&input).map(|_| ())
        });
        timed("gnn forward + backward", reps, || {
            (gnn.forward(&input)? * &c)?
                .sum_all()?
                .backward()
                .map(|_| ())
        });
    }

    // Attention stacks at the model's shapes: 51 energy tokens, 7 atoms.
    let att = AttentionConfig::released(d);
    let q = Tensor::randn(0f32, 1., (1, 51, d), &dev)?;
    let k = Tensor::randn(0f32, 1., (1, 7, d), &dev)?;
    let mask = Tensor::ones((1, 7), DType::F32, &dev)?;
    let c = Tensor::randn(0f32, 1., (1, 51, d), &dev)?;
    {
        let vm = VarMap::new();
        let stack =
            CrossAttentionStack::new(&att, 2, VarBuilder::from_varmap(&vm, DType::F32, &dev))?;
        timed("cross-attention stack x2 forward", reps, || {
            stack.forward(&q, &k, &mask).map(|_| ())
        });
        timed("cross-attention stack x2 forward + backward", reps, || {
            (stack.forward(&q, &k, &mask)? * &c)?
                .sum_all()?
                .backward()
                .map(|_| ())
        });
    }
    {
        let vm = VarMap::new();
        let stack =
            SelfAttentionStack::new(&att, 2, VarBuilder::from_varmap(&vm, DType::F32, &dev))?;
        timed("self-attention stack x2 forward", reps, || {
            stack.forward(&q).map(|_| ())
        });
        timed("self-attention stack x2 forward + backward", reps, || {
            (stack.forward(&q)? * &c)?.sum_all()?.backward().map(|_| ())
        });
    }

    // The whole model.
    let cfg = ModelConfig::preset(ModelKind::DosTransformer, Task::Phonon, true)
        .validate()
        .expect("paper config is valid");
    let (model, varmap) = AnyModel::build(&cfg, &dev).expect("model");
    timed("model loss forward (both branches), B=1", reps, || {
        model.loss(&batch).map(|_| ())
    });
    timed("model loss forward + backward, B=1", reps, || {
        model.loss(&batch)?.backward().map(|_| ())
    });
    let grads = model.loss(&batch)?.backward()?;
    let mut opt = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: 1e-4,
            weight_decay: 0.01,
            ..ParamsAdamW::default()
        },
    )?;
    timed("candle_nn::AdamW step (6.47M parameters)", reps, || {
        opt.step(&grads)
    });
    timed("train step (loss + backward + AdamW), B=1", reps, || {
        opt.backward_step(&model.loss(&batch)?)
    });
    let mut fused = FusedAdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: 1e-4,
            weight_decay: 0.01,
            ..ParamsAdamW::default()
        },
    )?;
    timed("dos_nn::FusedAdamW step", reps, || fused.step(&grads));
    timed("train step with FusedAdamW, B=1", reps, || {
        fused.backward_step(&model.loss(&batch)?)
    });
    timed(
        "loss_and_grads (branches on two threads), B=1",
        reps,
        || model.loss_and_grads(&batch).map(|_| ()),
    );
    timed(
        "train step as the trainer (loss_and_grads + FusedAdamW), B=1",
        reps,
        || {
            let (_, g) = model.loss_and_grads(&batch)?;
            fused.step_scaled(&g, 1.0)
        },
    );
    timed("inference (system branch), B=1", reps, || {
        model.predict(&batch).map(|_| ())
    });
    let batch8 = phonon_batch(8, &dev);
    timed("inference (system branch), B=8", reps, || {
        model.predict(&batch8).map(|_| ())
    });
    timed("train step with FusedAdamW, B=8", reps.min(7), || {
        fused.backward_step(&model.loss(&batch8)?)
    });
    timed("train step as the trainer, B=8", reps.min(7), || {
        let (_, g) = model.loss_and_grads(&batch8)?;
        fused.step_scaled(&g, 1.0)
    });
    Ok(())
}
