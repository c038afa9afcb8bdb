//! What the three baselines share: [`Baseline`], an [`AtomEncoder`] followed by sum pooling,
//! the output head with or without energy embeddings, and crystal-system prompt injection
//! (paper Table 9). [`crate::Mlp`], [`crate::GraphNetwork`] and [`crate::E3nnLite`] differ
//! only in their encoder.
//!
//! Energy off: `ŷ = fc2(PReLU(fc1(LN([g | p]))))`, fc2 with M outputs.
//! Energy on: `ŷ_m = fc2(PReLU(fc1([E_m | LN([g | p])])))`, fc2 with one output, for each of the
//! M learned energy embeddings `E_m`. `LN` is a LayerNorm on the head input: sum pooling of
//! mass-valued one-hot inputs gives pooled vectors in the hundreds, which without it start
//! training from outputs far off the [0, 1] DOS scale.
//! `g` is the pooled crystal vector (B, d); `p` is the crystal-system prompt when injected
//! at position 2, otherwise absent.

use candle_core::{Module, Result, Tensor, D};
use candle_nn::{linear, Linear, VarBuilder};
use dos_attn::{CrystalSystemPrompts, EnergyEmbedding};
use dos_data::CrystalBatch;
use dos_nn::{LayerNorm, PRelu};
use serde::{Deserialize, Serialize};

use crate::loss::{batch_rmse, targets};
use crate::prompt_config::PromptConfig;
use crate::DosModel;

/// Where a baseline receives the crystal-system prompt (paper Table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SystemInjection {
    /// No prompt.
    #[default]
    None,
    /// The prompt (width = the atom embedding width) is added to every atom's embedding
    /// before pooling: after the atom encoder (MLP), after the GNN (graph network, whose
    /// encoder and processor run as one call), to the embedded scalars before the first
    /// equivariant layer (E3nnLite).
    Position1,
    /// The prompt (width `prompt_dim`) is concatenated to the pooled vector before the head.
    Position2,
}

/// Output-head settings shared by the baselines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineHeadConfig {
    /// Number of energies M (51 phonon, 201 electron).
    pub n_energies: usize,
    /// Use learned energy embeddings (one output per energy) instead of an M-wide head.
    pub energy: bool,
    /// Hidden width of the head MLP.
    pub head_hidden: usize,
    /// Crystal-system prompt injection.
    pub injection: SystemInjection,
    /// Prompt width for [`SystemInjection::Position2`] (position 1 uses the atom width).
    pub prompt_dim: usize,
    /// Trained systems and the rule for unseen ones.
    #[serde(default)]
    pub prompts: PromptConfig,
}

impl BaselineHeadConfig {
    /// Paper defaults: energy embeddings on, head width 256, no prompt (prompt width 128 if
    /// switched to position 2).
    pub fn paper(n_energies: usize) -> Self {
        Self {
            n_energies,
            energy: true,
            head_hidden: 256,
            injection: SystemInjection::None,
            prompt_dim: 128,
            prompts: PromptConfig::default(),
        }
    }

    /// Sets the widths the paper ties to a hidden width d: head width d, prompt width d/2.
    pub fn set_width(&mut self, d: usize) {
        self.head_hidden = d;
        self.prompt_dim = crate::ArchOverrides::prompt_width(d);
    }

    pub(crate) fn check_fields(&self, prefix: &str) -> crate::Result<()> {
        use crate::size_limits::{check_range, MAX_ENERGIES, MAX_WIDTH};
        let f = |name: &str| format!("{prefix}.{name}");
        check_range(&f("n_energies"), self.n_energies, 1, MAX_ENERGIES)?;
        check_range(&f("head_hidden"), self.head_hidden, 1, MAX_WIDTH)?;
        check_range(&f("prompt_dim"), self.prompt_dim, 0, MAX_WIDTH)?;
        if self.injection == SystemInjection::Position2 && self.prompt_dim == 0 {
            return Err(crate::error::invalid(
                &f("prompt_dim"),
                "must be >= 1 with injection position-2",
            ));
        }
        self.prompts.check_fields(&f("prompts"))
    }
}

/// The MLP head of a baseline.
///
/// Parameter names: `norm` (LayerNorm on the pooled input), `energy_embedding.*` (energy on),
/// `fc1`, `act`, `fc2`.
///
/// # Shapes
/// - input: (B, in_dim)
/// - output: (B, M)
#[derive(Debug, Clone)]
pub struct OutputHead {
    norm: LayerNorm,
    energy: Option<EnergyEmbedding>,
    fc1: Linear,
    act: PRelu,
    fc2: Linear,
    n_energies: usize,
}

impl OutputHead {
    /// Builds the head for pooled inputs of width `in_dim`; energy embeddings (if on) have
    /// width `in_dim` too.
    pub fn new(in_dim: usize, cfg: &BaselineHeadConfig, vb: VarBuilder) -> Result<Self> {
        let m = cfg.n_energies;
        let (energy, fc1_in, out) = if cfg.energy {
            (
                Some(EnergyEmbedding::new(m, in_dim, vb.pp("energy_embedding"))?),
                2 * in_dim,
                1,
            )
        } else {
            (None, in_dim, m)
        };
        Ok(Self {
            norm: LayerNorm::new(in_dim, 1e-5, vb.pp("norm"))?,
            energy,
            fc1: linear(fc1_in, cfg.head_hidden, vb.pp("fc1"))?,
            act: PRelu::new(vb.pp("act"))?,
            fc2: linear(cfg.head_hidden, out, vb.pp("fc2"))?,
            n_energies: m,
        })
    }

    /// `(B, in_dim) -> (B, M)`.
    pub fn forward(&self, g: &Tensor) -> Result<Tensor> {
        let (b, w) = g.dims2()?;
        let g = self.norm.forward(g)?;
        let x = match &self.energy {
            None => g.clone(),
            Some(e) => {
                let e = e.forward_batch(b)?; // (B, M, in_dim)
                let g = g.unsqueeze(1)?.broadcast_as((b, self.n_energies, w))?;
                Tensor::cat(&[&e, &g.contiguous()?], D::Minus1)?
            }
        };
        let y = self
            .fc2
            .forward(&self.act.forward(&self.fc1.forward(&x)?)?)?;
        match &self.energy {
            None => Ok(y),
            Some(_) => y.squeeze(D::Minus1),
        }
    }
}

/// Prompt table + head: the part after the atom encoder that every baseline shares.
#[derive(Debug, Clone)]
pub(crate) struct BaselineTail {
    prompts: Option<CrystalSystemPrompts>,
    injection: SystemInjection,
    prompt_cfg: PromptConfig,
    head: OutputHead,
}

impl BaselineTail {
    /// `atom_dim`: width of the atom embeddings (position-1 prompt width);
    /// `pooled_dim`: width of the pooled vector.
    pub(crate) fn new(
        atom_dim: usize,
        pooled_dim: usize,
        cfg: &BaselineHeadConfig,
        vb: VarBuilder,
    ) -> Result<Self> {
        let (prompts, head_in) = match cfg.injection {
            SystemInjection::None => (None, pooled_dim),
            SystemInjection::Position1 => (
                Some(CrystalSystemPrompts::new(7, atom_dim, vb.pp("prompts"))?),
                pooled_dim,
            ),
            SystemInjection::Position2 => (
                Some(CrystalSystemPrompts::new(
                    7,
                    cfg.prompt_dim,
                    vb.pp("prompts"),
                )?),
                pooled_dim + cfg.prompt_dim,
            ),
        };
        Ok(Self {
            prompts,
            injection: cfg.injection,
            prompt_cfg: cfg.prompts.clone(),
            head: OutputHead::new(head_in, cfg, vb.pp("head"))?,
        })
    }

    fn crystal_prompts(&self, batch: &CrystalBatch) -> Result<Option<Tensor>> {
        match &self.prompts {
            None => Ok(None),
            Some(p) => Ok(Some(
                p.forward(&batch.crystal_system, &self.prompt_cfg.unseen_systems())?,
            )),
        }
    }

    /// Position-1 prompt per atom (N, atom_dim), if injected there.
    pub(crate) fn atom_prompts(&self, batch: &CrystalBatch) -> Result<Option<Tensor>> {
        if self.injection != SystemInjection::Position1 {
            return Ok(None);
        }
        match self.crystal_prompts(batch)? {
            None => Ok(None),
            Some(p) => Ok(Some(p.index_select(&batch.node_crystal, 0)?)),
        }
    }

    /// Pooled (B, pooled_dim) -> prediction (B, M), concatenating a position-2 prompt.
    pub(crate) fn forward(&self, pooled: &Tensor, batch: &CrystalBatch) -> Result<Tensor> {
        let g = if self.injection == SystemInjection::Position2 {
            match self.crystal_prompts(batch)? {
                Some(p) => Tensor::cat(&[pooled, &p], D::Minus1)?,
                None => pooled.clone(),
            }
        } else {
            pooled.clone()
        };
        self.head.forward(&g)
    }
}

/// Sum of atom rows per crystal: (N, d) -> (B, d).
fn sum_pool(h: &Tensor, batch: &CrystalBatch) -> Result<Tensor> {
    dos_graph::pool(h, &batch.node_crystal, batch.len(), dos_graph::Pooling::Sum)
}

/// The atom encoder of a baseline, the one part in which the baselines differ.
pub trait AtomEncoder: Send + Sync {
    /// Atom embeddings `(N, d)` of `batch`. `shift` holds the position-1 prompt of each atom's
    /// crystal, `(N, d_prompt)`, when the baseline injects one; the encoder adds it where it
    /// takes it (to its output, or to its input scalars).
    fn encode(&self, batch: &CrystalBatch, shift: Option<&Tensor>) -> Result<Tensor>;
}

/// A baseline: `ŷ = head(Σ_i encoder(atoms)_i)` per crystal, with the crystal-system prompt
/// injected at position 1 (into the encoder) or 2 (beside the pooled vector).
///
/// Parameter names: the encoder's (`encoder.*` or `gnn.*`), `prompts.*`, `head.*`.
///
/// # Shapes
/// batch -> (B, M)
#[derive(Debug, Clone)]
pub struct Baseline<E> {
    encoder: E,
    tail: BaselineTail,
    n_energies: usize,
}

impl<E> Baseline<E> {
    /// The baseline of `encoder`, whose atom embeddings are `atom_dim` wide at the prompt's
    /// position 1 and `pooled_dim` wide at its output, under `vb` (prompts and head).
    pub(crate) fn with_encoder(
        encoder: E,
        atom_dim: usize,
        pooled_dim: usize,
        head: &BaselineHeadConfig,
        vb: VarBuilder,
    ) -> Result<Self> {
        Ok(Self {
            encoder,
            tail: BaselineTail::new(atom_dim, pooled_dim, head, vb)?,
            n_energies: head.n_energies,
        })
    }
}

impl<E: AtomEncoder> DosModel for Baseline<E> {
    fn n_energies(&self) -> usize {
        self.n_energies
    }

    fn predict(&self, batch: &CrystalBatch) -> Result<Tensor> {
        let shift = self.tail.atom_prompts(batch)?;
        let h = self.encoder.encode(batch, shift.as_ref())?;
        self.tail.forward(&sum_pool(&h, batch)?, batch)
    }

    fn loss(&self, batch: &CrystalBatch) -> Result<Tensor> {
        batch_rmse(&self.predict(batch)?, &targets(batch, self.n_energies)?)
    }
}

/// The [`crate::ModelSettings`] methods every baseline config answers from its `head:
/// BaselineHeadConfig` and `precision` fields; the config's impl adds `input_widths`,
/// `set_input_widths` and `apply_arch`.
macro_rules! baseline_head_settings {
    () => {
        crate::model_settings::own_settings!(head);
        fn uses_energy(&self) -> bool {
            self.head.energy
        }
    };
}
pub(crate) use baseline_head_settings;
