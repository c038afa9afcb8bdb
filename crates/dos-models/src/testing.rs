//! Test helpers: tiny batches and tiny configs of every model.

use candle_core::{DType, Device, Result};
use candle_nn::VarMap;
use dos_data::symmetry::CrystalSystem;
use dos_data::CrystalBatch;
use dos_graph::Aggregation;
use dos_nn::SeededVarMap;

use crate::synthetic::{
    batch_from_graphs, SplitMix64, SyntheticCrystal, SyntheticGraph, SyntheticSpec,
};
use crate::Check;
use crate::{
    AnyModel, BaselineHeadConfig, DosTransformerConfig, E3nnEncoderConfig, E3nnLiteConfig,
    GraphNetworkConfig, MlpConfig, ModelConfig, Precision, PromptConfig, RadialBasis,
    SystemInjection,
};

pub(crate) const NODE_IN: usize = 5;
pub(crate) const EDGE_IN: usize = 4;
pub(crate) const M: usize = 6;
pub(crate) const CUTOFF: f64 = 3.5;

/// Random crystals with `atoms[k]` atoms and crystal system `k % 7`.
pub(crate) fn crystals(atoms: &[usize], seed: u64) -> Vec<SyntheticCrystal> {
    let mut rng = SplitMix64::new(seed);
    atoms
        .iter()
        .enumerate()
        .map(|(k, &n)| {
            let spec = SyntheticSpec {
                atoms: n,
                density: 0.06,
                node_in: NODE_IN,
                n_energies: M,
                crystal_system: CrystalSystem::ALL[k % CrystalSystem::ALL.len()],
            };
            SyntheticCrystal::random(&spec, &mut rng)
        })
        .collect()
}

pub(crate) fn graphs(crystals: &[SyntheticCrystal]) -> Vec<SyntheticGraph> {
    crystals.iter().map(|c| c.graph(CUTOFF, EDGE_IN)).collect()
}

pub(crate) fn batch(atoms: &[usize], seed: u64, dtype: DType) -> Result<CrystalBatch> {
    batch_from_graphs(&graphs(&crystals(atoms, seed)), &Device::Cpu, dtype)
}

fn head(energy: bool, injection: SystemInjection) -> BaselineHeadConfig {
    BaselineHeadConfig {
        n_energies: M,
        energy,
        head_hidden: 8,
        injection,
        prompt_dim: 3,
        prompts: PromptConfig::default(),
    }
}

pub(crate) fn tiny_dostransformer() -> DosTransformerConfig {
    DosTransformerConfig {
        node_in: NODE_IN,
        edge_in: EDGE_IN,
        n_energies: M,
        hidden: 8,
        gnn_layers: 2,
        aggregation: Aggregation::Mean,
        cross_layers: 1,
        self_layers: 1,
        branch_cross_layers: 1,
        prompt_dim: 4,
        precision: Precision::F64,
        ..DosTransformerConfig::paper_phonon()
    }
}

pub(crate) fn tiny_mlp(energy: bool, injection: SystemInjection) -> MlpConfig {
    MlpConfig {
        node_in: NODE_IN,
        hidden: 8,
        head: head(energy, injection),
        precision: Precision::F64,
    }
}

pub(crate) fn tiny_graph_network(energy: bool, injection: SystemInjection) -> GraphNetworkConfig {
    GraphNetworkConfig {
        node_in: NODE_IN,
        edge_in: EDGE_IN,
        hidden: 8,
        gnn_layers: 2,
        aggregation: Aggregation::Sum,
        head: head(energy, injection),
        precision: Precision::F64,
    }
}

pub(crate) fn tiny_e3nn(energy: bool, injection: SystemInjection) -> E3nnLiteConfig {
    E3nnLiteConfig {
        encoder: E3nnEncoderConfig {
            node_in: NODE_IN,
            channels: 4,
            layers: 3,
            cutoff: CUTOFF,
            radial_basis: RadialBasis::Gaussian,
            n_basis: 4,
            radial_hidden: 8,
            out_dim: 8,
        },
        head: head(energy, injection),
        precision: Precision::F64,
    }
}

/// One tiny config of each model, with the variants the tests cover.
pub(crate) fn tiny_configs() -> Vec<(&'static str, ModelConfig)> {
    vec![
        (
            "dostransformer",
            ModelConfig::DosTransformer(tiny_dostransformer()),
        ),
        (
            "mlp energy position-2",
            ModelConfig::Mlp(tiny_mlp(true, SystemInjection::Position2)),
        ),
        (
            "mlp no-energy position-1",
            ModelConfig::Mlp(tiny_mlp(false, SystemInjection::Position1)),
        ),
        (
            "graph-network energy position-1",
            ModelConfig::GraphNetwork(tiny_graph_network(true, SystemInjection::Position1)),
        ),
        (
            "graph-network no-energy position-2",
            ModelConfig::GraphNetwork(tiny_graph_network(false, SystemInjection::Position2)),
        ),
        (
            "e3nn-lite energy position-2",
            ModelConfig::E3nnLite(tiny_e3nn(true, SystemInjection::Position2)),
        ),
        (
            "e3nn-lite no-energy position-1",
            ModelConfig::E3nnLite(tiny_e3nn(false, SystemInjection::Position1)),
        ),
    ]
}

/// Seed of the initial weights of [`build`]: tests see the same weights in every run
/// (candle's own CPU initialisation cannot be seeded).
pub(crate) const INIT_SEED: u64 = 0;

/// Builds `cfg` in `precision` on the CPU, weights drawn from [`INIT_SEED`].
pub(crate) fn build(cfg: &ModelConfig, precision: Precision) -> Result<(AnyModel, VarMap)> {
    let mut cfg = cfg.clone();
    cfg.set_precision(precision);
    let valid = cfg.check().map_err(candle_core::Error::wrap)?;
    let varmap = VarMap::new();
    let vb = SeededVarMap::var_builder(&varmap, INIT_SEED, precision.dtype(), &Device::Cpu);
    Ok((AnyModel::new(&valid, vb)?, varmap))
}
