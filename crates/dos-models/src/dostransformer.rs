//! [`DosTransformer`]: the prompt-guided multi-modal transformer of Lee, Noh et al.
//! (NeurIPS 2023), steps 1-8 of `shared/docs/dostransformer.md`.
//!
//! For a batch of B crystals with N atoms in all (padded to n_max per crystal) and M
//! energies:
//! 1. `H = GNN(atoms, edges)`, (N, d); padded copy `Ĥ`, (B, n_max, d), mask (B, n_max).
//! 2. `E`: learned energy embeddings (M, d), the same for every crystal.
//! 3. `E¹ = CrossAttn_{L1}(E, Ĥ)` (queries E, keys/values the crystal's atoms), (B, M, d).
//! 4. `g = W_g (Σ_i H_i) + b_g` broadcast over the M energies, (B, M, d).
//! 5. Global branch: `X = LeakyReLU(φ₁([E¹ | g]))`, `φ₁: Linear(2d, d)`.
//! 6. System branch: `X = LeakyReLU(φ₂([E¹ | g | P_s]))`, `φ₂: Linear(2d + d/2, d)`, `P`
//!    the (7, d/2) prompt table indexed by the crystal system `s`.
//!    Both branches then run the SHARED `SelfAttn_{L2}`, `CrossAttn_{L3}` over `Ĥ` and
//!    `φ_pred: Linear(d, 1)`: `Y = φ_pred(CrossAttn_{L3}(SelfAttn_{L2}(X), Ĥ))`, (B, M).
//! 7. `loss = mean_b RMSE(Y_glob, Y) + β mean_b RMSE(Y_sys, Y)`.
//! 8. Inference ([`DosModel::predict`]): the system branch only; the global branch is not
//!    computed. A system not in [`PromptConfig::trained_systems`] gets the mean of the trained
//!    prompt rows (by default).

use candle_core::{Module, Result, Tensor, D};
use candle_nn::{linear, Linear, VarBuilder};
use dos_attn::{
    AttentionConfig, CrossAttentionStack, CrystalSystemPrompts, EnergyEmbedding, SelfAttentionStack,
};
use dos_config::{Check, Checked};
use dos_data::CrystalBatch;
use dos_graph::{pool, to_padded, Aggregation, Gnn, GraphInput, Pooling};
use serde::{Deserialize, Serialize};

use crate::error::invalid;
use crate::loss::{batch_rmse, targets};
use crate::prompt_config::{PromptConfig, N_SYSTEMS};
use crate::{DosModel, Precision};

/// Negative slope of the branch LeakyReLUs (PyTorch's default).
pub const LEAKY_SLOPE: f64 = 0.01;

/// Configuration of [`DosTransformer`]. Defaults are the paper's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DosTransformerConfig {
    /// Node feature width F (118: mass at the element's one-hot slot, phonon inputs as
    /// released; 200: element embeddings, electron inputs).
    pub node_in: usize,
    /// Edge feature width F_e (4: cutoff times spherical harmonics l <= 1, phonon; 41:
    /// Gaussian distance expansion 0..8 Å step 0.2, electron).
    pub edge_in: usize,
    /// Number of energies M (51 phonon, 201 electron).
    pub n_energies: usize,
    /// Hidden width d (paper: 256).
    pub hidden: usize,
    /// GNN processor layers L' (paper: 3).
    pub gnn_layers: usize,
    /// Neighbour aggregation of the GNN: mean (phonon) or sum (electron).
    pub aggregation: Aggregation,
    /// Cross-attention layers L1 from energies to atoms (paper: 2).
    pub cross_layers: usize,
    /// Shared self-attention layers L2 over energies (paper: 2).
    pub self_layers: usize,
    /// Shared cross-attention layers L3 from energies to atoms (paper: 2).
    pub branch_cross_layers: usize,
    /// Attention heads (released code: 1).
    pub heads: usize,
    /// Learned Q/K/V/output projections in attention (released code: none).
    pub projections: bool,
    /// Feed-forward width multiplier of the attention blocks (released code: 4).
    pub ffn_mult: usize,
    /// LayerNorm epsilon.
    pub eps: f64,
    /// Cross-attention normalises atoms with their own LayerNorm instead of sharing the
    /// query LayerNorm (released code: shared, false). A missing field reads as the
    /// presets' `false`; checkpoints saved before the field existed (which had separate
    /// norms) are recognised by their weights ([`ModelConfig::match_legacy_weights`]).
    ///
    /// [`ModelConfig::match_legacy_weights`]: crate::ModelConfig::match_legacy_weights
    #[serde(default)]
    pub separate_kv_norm: bool,
    /// Prompt width (paper: d / 2).
    pub prompt_dim: usize,
    /// Weight β of the system-branch loss (paper: 1; swept 0.5..1.5).
    pub beta: f64,
    /// Trained crystal systems and the unseen-system rule.
    #[serde(default)]
    pub prompts: PromptConfig,
    /// Float precision.
    #[serde(default)]
    pub precision: Precision,
}

impl DosTransformerConfig {
    /// Phonon preset: F = 118, F_e = 4, M = 51, mean aggregation, d = 256, L' = 3,
    /// L1 = L2 = L3 = 2, one head, no projections, FFN 4d, prompt d/2, β = 1.
    pub fn paper_phonon() -> Self {
        Self {
            node_in: 118,
            edge_in: 4,
            n_energies: 51,
            hidden: 256,
            gnn_layers: 3,
            aggregation: Aggregation::Mean,
            cross_layers: 2,
            self_layers: 2,
            branch_cross_layers: 2,
            heads: 1,
            projections: false,
            ffn_mult: 4,
            eps: 1e-5,
            separate_kv_norm: false,
            prompt_dim: 128,
            beta: 1.0,
            prompts: PromptConfig::default(),
            precision: Precision::F32,
        }
    }

    /// Electron preset: F = 200, F_e = 41, M = 201, sum aggregation, otherwise as phonon.
    pub fn paper_electron() -> Self {
        Self {
            node_in: 200,
            edge_in: 41,
            n_energies: 201,
            aggregation: Aggregation::Sum,
            ..Self::paper_phonon()
        }
    }

    /// Attention settings shared by the three stacks.
    pub fn attention(&self) -> AttentionConfig {
        AttentionConfig {
            dim: self.hidden,
            heads: self.heads,
            projections: self.projections,
            ffn_mult: self.ffn_mult,
            eps: self.eps,
            separate_kv_norm: self.separate_kv_norm,
        }
    }

    crate::model_settings::gnn_settings!();

    /// Every field; the parameter count is checked by [`Check::check`] on the built model.
    fn check_each_field(&self) -> crate::Result<()> {
        use crate::size_limits::{
            check_range, MAX_ENERGIES, MAX_FFN_MULT, MAX_HEADS, MAX_LAYERS, MAX_WIDTH,
        };
        for (name, v, max) in [
            ("node_in", self.node_in, MAX_WIDTH),
            ("edge_in", self.edge_in, MAX_WIDTH),
            ("n_energies", self.n_energies, MAX_ENERGIES),
            ("hidden", self.hidden, MAX_WIDTH),
            ("heads", self.heads, MAX_HEADS),
            ("ffn_mult", self.ffn_mult, MAX_FFN_MULT),
            ("prompt_dim", self.prompt_dim, MAX_WIDTH),
        ] {
            check_range(name, v, 1, max)?;
        }
        for (name, v) in [
            ("gnn_layers", self.gnn_layers),
            ("cross_layers", self.cross_layers),
            ("self_layers", self.self_layers),
            ("branch_cross_layers", self.branch_cross_layers),
        ] {
            check_range(name, v, 0, MAX_LAYERS)?;
        }
        if self.hidden % self.heads != 0 {
            return Err(invalid(
                "heads",
                format!("must divide hidden = {}", self.hidden),
            ));
        }
        if self.heads > 1 && !self.projections {
            return Err(invalid(
                "heads",
                "several heads need learned projections (projections = true)",
            ));
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(invalid("eps", "must be finite and > 0"));
        }
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return Err(invalid("beta", "must be finite and >= 0"));
        }
        self.prompts.check_fields("prompts")?;
        self.attention()
            .check()
            .map_err(|e| invalid("attention", e.to_string()))?;
        self.gnn()
            .check()
            .map_err(|e| invalid("gnn", e.to_string()))?;
        Ok(())
    }
}

crate::size_limits::check_fields_then_size!(DosTransformerConfig, DosTransformer);

impl crate::ModelSettings for DosTransformerConfig {
    crate::model_settings::own_settings!();
    crate::model_settings::graph_input_widths!();
    fn uses_energy(&self) -> bool {
        true
    }
    fn apply_arch(&mut self, o: &crate::ArchOverrides) {
        if let Some(d) = o.hidden {
            self.hidden = d;
            self.prompt_dim = crate::ArchOverrides::prompt_width(d);
        }
        for (value, field) in [
            (o.gnn_layers, &mut self.gnn_layers),
            (o.cross_layers, &mut self.cross_layers),
            (o.self_layers, &mut self.self_layers),
            (o.branch_cross_layers, &mut self.branch_cross_layers),
        ] {
            if let Some(l) = value {
                *field = l;
            }
        }
    }
}

/// DOSTransformer.
///
/// Parameter names: `gnn.*`, `energy_embedding.*`, `cross_attention.*`, `pool_linear`,
/// `phi_global`, `phi_system`, `prompts.*`, `self_attention.*`, `branch_cross_attention.*`,
/// `phi_pred`.
///
/// # Shapes
/// - input: a [`CrystalBatch`] of B crystals
/// - [`DosModel::predict`], [`DosTransformer::forward_branches`]: (B, M)
#[derive(Debug, Clone)]
pub struct DosTransformer {
    pub(crate) gnn: Gnn,
    pub(crate) energy: EnergyEmbedding,
    pub(crate) cross: CrossAttentionStack,
    pub(crate) pool_linear: Linear,
    pub(crate) phi_global: Linear,
    pub(crate) phi_system: Linear,
    pub(crate) prompts: CrystalSystemPrompts,
    pub(crate) self_attn: SelfAttentionStack,
    pub(crate) branch_cross: CrossAttentionStack,
    pub(crate) phi_pred: Linear,
    pub(crate) prompt_cfg: PromptConfig,
    pub(crate) n_energies: usize,
    pub(crate) beta: f64,
}

/// What both branches start from: the output of steps 1-4 (the shared trunk).
///
/// # Shapes
/// - `atoms`: `Ĥ`, (B, n_max, d); `mask`: (B, n_max); `e1_g`: `[E¹ | g]`, (B, M, 2d)
#[derive(Debug, Clone)]
pub struct Trunk {
    /// Padded atom states `Ĥ`, (B, n_max, d).
    pub atoms: Tensor,
    /// Atom mask, (B, n_max): 1 for an atom, 0 for padding.
    pub mask: Tensor,
    /// Energy tokens after `CrossAttn_{L1}` beside the pooled crystal, `[E¹ | g]`, (B, M, 2d).
    pub e1_g: Tensor,
}

/// One of the two output branches (steps 5 and 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    /// The global branch, `Y_glob`.
    Global,
    /// The system branch with the crystal-system prompt, `Y_sys` (the one used to predict).
    System,
}

impl DosTransformer {
    /// Builds (or loads) the model under `vb`.
    pub fn new(cfg: &Checked<DosTransformerConfig>, vb: VarBuilder) -> Result<Self> {
        let d = cfg.hidden;
        let att = cfg.attention().check()?;
        Ok(Self {
            gnn: Gnn::new(&cfg.gnn().check()?, vb.pp("gnn"))?,
            energy: EnergyEmbedding::new(cfg.n_energies, d, vb.pp("energy_embedding"))?,
            cross: CrossAttentionStack::new(&att, cfg.cross_layers, vb.pp("cross_attention"))?,
            pool_linear: linear(d, d, vb.pp("pool_linear"))?,
            phi_global: linear(2 * d, d, vb.pp("phi_global"))?,
            phi_system: linear(2 * d + cfg.prompt_dim, d, vb.pp("phi_system"))?,
            prompts: CrystalSystemPrompts::new(N_SYSTEMS, cfg.prompt_dim, vb.pp("prompts"))?,
            self_attn: SelfAttentionStack::new(&att, cfg.self_layers, vb.pp("self_attention"))?,
            branch_cross: CrossAttentionStack::new(
                &att,
                cfg.branch_cross_layers,
                vb.pp("branch_cross_attention"),
            )?,
            phi_pred: linear(d, 1, vb.pp("phi_pred"))?,
            prompt_cfg: cfg.prompts.clone(),
            n_energies: cfg.n_energies,
            beta: cfg.beta,
        })
    }

    /// Steps 1-4, the trunk both branches share: atoms (B, n_max, d), mask (B, n_max),
    /// `[E¹ | g]` (B, M, 2d).
    pub fn trunk(&self, batch: &CrystalBatch) -> Result<Trunk> {
        let b = batch.len();
        let h = self.gnn.forward(&GraphInput {
            node_features: &batch.node_features,
            edge_features: &batch.edge_features,
            senders: &batch.senders,
            receivers: &batch.receivers,
        })?;
        let atoms = to_padded(&h, &batch.padded_index, &batch.atom_mask, b, batch.n_max)?;
        let mask = batch.atom_mask.clone();
        let e = self.energy.forward_batch(b)?;
        let e1 = self.cross.forward(&e, &atoms, &mask)?;
        let g = self
            .pool_linear
            .forward(&pool(&h, &batch.node_crystal, b, Pooling::Sum)?)?;
        let (_, m, d) = e1.dims3()?;
        let g = g.unsqueeze(1)?.broadcast_as((b, m, d))?.contiguous()?;
        Ok(Trunk {
            atoms,
            mask,
            e1_g: Tensor::cat(&[&e1, &g], D::Minus1)?,
        })
    }

    /// Shared tail of both branches: X (B, M, d) -> Y (B, M).
    fn branch(&self, x: &Tensor, s: &Trunk) -> Result<Tensor> {
        let x = self.self_attn.forward(x)?;
        let x = self.branch_cross.forward(&x, &s.atoms, &s.mask)?;
        self.phi_pred.forward(&x)?.squeeze(D::Minus1)
    }

    /// Global branch (step 5 and the shared tail): Y_glob (B, M).
    fn global_branch(&self, s: &Trunk) -> Result<Tensor> {
        let x = candle_nn::ops::leaky_relu(&self.phi_global.forward(&s.e1_g)?, LEAKY_SLOPE)?;
        self.branch(&x, s)
    }

    /// System branch (step 6 and the shared tail): Y_sys (B, M).
    fn system_branch(&self, s: &Trunk, batch: &CrystalBatch) -> Result<Tensor> {
        let p = self
            .prompts
            .forward(&batch.crystal_system, &self.prompt_cfg.unseen_systems())?;
        let (b, m, _) = s.e1_g.dims3()?;
        let p = p
            .unsqueeze(1)?
            .broadcast_as((b, m, p.dim(1)?))?
            .contiguous()?;
        let x = Tensor::cat(&[&s.e1_g, &p], D::Minus1)?;
        let x = candle_nn::ops::leaky_relu(&self.phi_system.forward(&x)?, LEAKY_SLOPE)?;
        self.branch(&x, s)
    }

    /// Both branches, `(Y_glob, Y_sys)`, each (B, M) (training).
    pub fn forward_branches(&self, batch: &CrystalBatch) -> Result<(Tensor, Tensor)> {
        let s = self.trunk(batch)?;
        let y_glob = self.global_branch(&s)?;
        let y_sys = self.system_branch(&s, batch)?;
        Ok((y_glob, y_sys))
    }

    /// [`DosModel::predict`] composed from candle operations (the reference of the
    /// hand-written path, and the path on other devices).
    pub fn composed_predict(&self, batch: &CrystalBatch) -> Result<Tensor> {
        let s = self.trunk(batch)?;
        self.system_branch(&s, batch)
    }

    /// Weight β of the system-branch loss.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// One branch's term of the training loss on `trunk`: `RMSE(Y_glob, Y)` for the global
    /// branch, `β RMSE(Y_sys, Y)` for the system branch (their sum is [`DosModel::loss`]).
    ///
    /// # Shapes
    /// - `targets`: (B, M); returns a scalar
    pub fn branch_loss(
        &self,
        trunk: &Trunk,
        batch: &CrystalBatch,
        targets: &Tensor,
        branch: Branch,
    ) -> Result<Tensor> {
        match branch {
            Branch::Global => batch_rmse(&self.global_branch(trunk)?, targets),
            Branch::System => batch_rmse(&self.system_branch(trunk, batch)?, targets)? * self.beta,
        }
    }
}

impl DosModel for DosTransformer {
    fn n_energies(&self) -> usize {
        self.n_energies
    }

    /// On the CPU in f32 / f64 by hand ([`DosTransformer::host_predict`], no autograd
    /// graph), elsewhere with candle.
    fn predict(&self, batch: &CrystalBatch) -> Result<Tensor> {
        if let Some(y) = self.host_predict(batch)? {
            return Ok(y);
        }
        self.composed_predict(batch)
    }

    fn loss(&self, batch: &CrystalBatch) -> Result<Tensor> {
        let t = targets(batch, self.n_energies)?;
        let (y_glob, y_sys) = self.forward_branches(batch)?;
        batch_rmse(&y_glob, &t)? + (batch_rmse(&y_sys, &t)? * self.beta)?
    }

    fn loss_and_grads(&self, batch: &CrystalBatch) -> Result<(Tensor, dos_nn::SummedGrads)> {
        crate::dostransformer_backward::loss_and_grads(self, batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{batch, tiny_dostransformer, M};
    use crate::{parameter_count, UnseenRule};
    use candle_core::{DType, Device, IndexOp};
    use candle_nn::VarMap;
    use dos_data::symmetry::CrystalSystem;

    fn build(cfg: &DosTransformerConfig, vm: &VarMap) -> Result<DosTransformer> {
        let vb = dos_nn::SeededVarMap::var_builder(vm, 0, cfg.precision.dtype(), &Device::Cpu);
        DosTransformer::new(&cfg.check().map_err(candle_core::Error::wrap)?, vb)
    }

    /// Parameter count derived layer by layer from the paper's shapes (independent of the
    /// module code): Linear(i, o) has i·o + o, LayerNorm(n) 2n, PReLU 1.
    fn expected_parameters(c: &DosTransformerConfig) -> usize {
        let lin = |i: usize, o: usize| i * o + o;
        let ln = |n: usize| 2 * n;
        let d = c.hidden;
        let encoder = |f: usize| lin(f, d) + 1 + lin(d, d);
        let edge_update = lin(3 * d, 2 * d) + ln(2 * d) + 1 + lin(2 * d, d);
        let node_update = lin(2 * d, 2 * d) + ln(2 * d) + 1 + lin(2 * d, d);
        let gnn =
            encoder(c.node_in) + encoder(c.edge_in) + c.gnn_layers * (edge_update + node_update);
        let ffn = lin(d, c.ffn_mult * d) + lin(c.ffn_mult * d, d);
        // cross block: LN(queries and atoms; atoms own one if separate), LN before the FFN;
        // self block: two LNs.
        let cross_norms = if c.separate_kv_norm { 3 } else { 2 };
        let cross = |l: usize| l * (cross_norms * ln(d) + ffn) + ln(d);
        let selfa = |l: usize| l * (2 * ln(d) + ffn) + ln(d);
        gnn + c.n_energies * d
            + cross(c.cross_layers)
            + lin(d, d)
            + lin(2 * d, d)
            + lin(2 * d + c.prompt_dim, d)
            + 7 * c.prompt_dim
            + selfa(c.self_layers)
            + cross(c.branch_cross_layers)
            + lin(d, 1)
    }

    #[test]
    fn paper_parameter_counts_match_the_layer_by_layer_formula() -> Result<()> {
        for cfg in [
            DosTransformerConfig::paper_phonon(),
            DosTransformerConfig::paper_electron(),
        ] {
            let vm = VarMap::new();
            let _m = build(&cfg, &vm)?;
            assert_eq!(parameter_count(&vm), expected_parameters(&cfg));
        }
        // The phonon number quoted in docs/models.md: the parameters the released model uses
        // in its forward pass (9,227,149 allocated, 2,764,036 of them never used).
        assert_eq!(
            expected_parameters(&DosTransformerConfig::paper_phonon()),
            6_463_113
        );
        Ok(())
    }

    #[test]
    fn predict_is_the_system_branch_and_loss_combines_both() -> Result<()> {
        let mut cfg = tiny_dostransformer();
        cfg.beta = 0.7;
        let vm = VarMap::new();
        let m = build(&cfg, &vm)?;
        let b = batch(&[3, 2], 21, DType::F64)?;
        let (y_glob, y_sys) = m.forward_branches(&b)?;
        assert_eq!(y_glob.dims(), &[2, M]);
        let pred = m.predict(&b)?;
        let diff = (&pred - &y_sys)?.abs()?.max_all()?.to_scalar::<f64>()?;
        assert!(diff < 1e-12);
        // The global branch differs (phi_1 and phi_2 are different layers).
        let gap = (&y_glob - &y_sys)?.abs()?.max_all()?.to_scalar::<f64>()?;
        assert!(gap > 1e-6);
        // loss = mean_b RMSE_glob + β mean_b RMSE_sys, computed here in plain Rust.
        let t = b.targets.as_ref().unwrap().to_vec2::<f64>()?;
        let rmse = |y: &Tensor| -> Result<f64> {
            let y = y.to_vec2::<f64>()?;
            let per: Vec<f64> = y
                .iter()
                .zip(&t)
                .map(|(p, q)| {
                    (p.iter().zip(q).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / M as f64).sqrt()
                })
                .collect();
            Ok(per.iter().sum::<f64>() / per.len() as f64)
        };
        let expected = rmse(&y_glob)? + 0.7 * rmse(&y_sys)?;
        let loss = m.loss(&b)?.to_scalar::<f64>()?;
        assert!((loss - expected).abs() < 1e-12, "{loss} vs {expected}");
        Ok(())
    }

    #[test]
    fn unseen_system_gets_the_mean_of_trained_prompts() -> Result<()> {
        let vm = VarMap::new();
        let mut cfg = tiny_dostransformer();
        cfg.prompts.trained_systems = vec![CrystalSystem::Cubic, CrystalSystem::Hexagonal];
        let with_mean = build(&cfg, &vm)?;
        // Crystal 5 of the batch has system 5 (never trained).
        let b = batch(&[2, 2, 2, 2, 2, 3], 9, DType::F64)?;
        let y_mean = with_mean.predict(&b)?;

        cfg.prompts.unseen_rule = UnseenRule::AsIs;
        let as_is = build(&cfg, &vm)?;
        let y_as_is = as_is.predict(&b)?;
        // Systems 0 and 1 are unaffected by the rule; system 5 is.
        let d01 = (y_mean.i(0..2)? - y_as_is.i(0..2)?)?
            .abs()?
            .max_all()?
            .to_scalar::<f64>()?;
        assert!(d01 < 1e-12);
        let d5 = (y_mean.i(5)? - y_as_is.i(5)?)?
            .abs()?
            .max_all()?
            .to_scalar::<f64>()?;
        assert!(d5 > 1e-6);

        // Write mean(row 0, row 1) into rows 2..7 by hand and use them as is: same output.
        let w = vm.data().lock().unwrap()["prompts.weight"]
            .as_tensor()
            .clone();
        let mean = ((w.i(0)? + w.i(1)?)? / 2.0)?;
        let rows: Vec<Tensor> = (0..7)
            .map(|s| if s >= 2 { Ok(mean.clone()) } else { w.i(s) })
            .collect::<Result<_>>()?;
        vm.data().lock().unwrap()["prompts.weight"].set(&Tensor::stack(&rows, 0)?)?;
        let y_manual = as_is.predict(&b)?;
        let d = (y_manual - y_mean)?.abs()?.max_all()?.to_scalar::<f64>()?;
        assert!(
            d < 1e-12,
            "mean rule differs from the hand-made mean prompt by {d}"
        );
        Ok(())
    }

    #[test]
    fn safetensors_keys_mirror_the_module_tree() -> Result<()> {
        let vm = VarMap::new();
        let _m = build(&tiny_dostransformer(), &vm)?;
        let names: Vec<String> = vm.data().lock().unwrap().keys().cloned().collect();
        for prefix in [
            "gnn.node_encoder.",
            "gnn.layers.1.",
            "energy_embedding.",
            "cross_attention.layers.0.",
            "self_attention.layers.0.",
            "branch_cross_attention.final_norm.",
            "pool_linear.",
            "phi_global.",
            "phi_system.",
            "prompts.",
            "phi_pred.",
        ] {
            assert!(
                names.iter().any(|n| n.starts_with(prefix)),
                "no key under {prefix}"
            );
        }
        Ok(())
    }

    /// Every defaulted field that a saved config lacks reads as the preset's value.
    #[test]
    fn serde_defaults_are_the_presets() {
        for preset in [
            DosTransformerConfig::paper_phonon(),
            DosTransformerConfig::paper_electron(),
        ] {
            assert!(!preset.separate_kv_norm);
            let full = serde_json::to_value(&preset).unwrap();
            assert_eq!(full["separate_kv_norm"], false);
            for field in ["separate_kv_norm", "prompts", "precision"] {
                let mut json = full.clone();
                json.as_object_mut().unwrap().remove(field);
                let back: DosTransformerConfig = serde_json::from_value(json).unwrap();
                assert_eq!(back, preset, "without `{field}`");
            }
        }
    }

    #[test]
    fn check_names_the_bad_field() {
        let bad = |f: &dyn Fn(&mut DosTransformerConfig), field: &str| {
            let mut c = tiny_dostransformer();
            f(&mut c);
            match c.check() {
                Err(crate::ModelError::InvalidConfig { field: got, .. }) => assert_eq!(got, field),
                other => panic!("expected an error on {field}, got {other:?}"),
            }
        };
        bad(&|c| c.hidden = 0, "hidden");
        bad(&|c| c.hidden = 1 << 40, "hidden");
        bad(&|c| c.gnn_layers = 1_000_000, "gnn_layers");
        bad(&|c| c.ffn_mult = 1_000, "ffn_mult");
        bad(&|c| c.beta = -1.0, "beta");
        bad(&|c| c.heads = 3, "heads");
        bad(
            &|c| c.prompts.trained_systems.clear(),
            "prompts.trained_systems",
        );
        assert!(DosTransformerConfig::paper_phonon().check().is_ok());
        assert!(DosTransformerConfig::paper_electron().check().is_ok());
    }
}
