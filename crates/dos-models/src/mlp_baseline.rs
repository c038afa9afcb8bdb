//! [`Mlp`]: the atom-wise MLP baseline (no message passing).
//!
//! `h_i = EncoderMlp(x_i)` (`Linear(F, d) - PReLU - Linear(d, d)`), plus the crystal-system
//! prompt at position 1; `g = Σ_i h_i` over the crystal's atoms; `ŷ = head(g)` (see
//! [`crate::baseline`]).

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;
use dos_config::Checked;
use dos_data::CrystalBatch;
use dos_nn::EncoderMlp;
use serde::{Deserialize, Serialize};

use crate::baseline::{AtomEncoder, Baseline, BaselineHeadConfig};
use crate::Precision;

/// Configuration of [`Mlp`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Node feature width F.
    pub node_in: usize,
    /// Atom embedding width d.
    pub hidden: usize,
    /// Output head and prompt injection.
    pub head: BaselineHeadConfig,
    /// Float precision.
    #[serde(default)]
    pub precision: Precision,
}

impl MlpConfig {
    /// Phonon preset: F = 118, d = 256, M = 51, energy embeddings on.
    pub fn paper_phonon() -> Self {
        Self {
            node_in: 118,
            hidden: 256,
            head: BaselineHeadConfig::paper(51),
            precision: Precision::F32,
        }
    }

    /// Electron preset: F = 200, d = 256, M = 201, energy embeddings on.
    pub fn paper_electron() -> Self {
        Self {
            node_in: 200,
            hidden: 256,
            head: BaselineHeadConfig::paper(201),
            precision: Precision::F32,
        }
    }

    /// Every field; the parameter count is checked by [`Check::check`] on the built model.
    fn check_each_field(&self) -> crate::Result<()> {
        use crate::size_limits::{check_range, MAX_WIDTH};
        check_range("node_in", self.node_in, 1, MAX_WIDTH)?;
        check_range("hidden", self.hidden, 1, MAX_WIDTH)?;
        self.head.check_fields("head")?;
        Ok(())
    }
}

crate::size_limits::check_fields_then_size!(MlpConfig, Mlp);

impl crate::ModelSettings for MlpConfig {
    crate::baseline::baseline_head_settings!();
    fn input_widths(&self) -> (usize, Option<usize>) {
        (self.node_in, None)
    }
    fn set_input_widths(&mut self, node_in: usize, _edge_in: usize) {
        self.node_in = node_in;
    }
    fn apply_arch(&mut self, o: &crate::ArchOverrides) {
        if let Some(d) = o.hidden {
            self.hidden = d;
            self.head.set_width(d);
        }
    }
}

/// Atom-wise MLP baseline: [`EncoderMlp`] as the [`AtomEncoder`] of a [`Baseline`].
///
/// Parameter names: `encoder.*`, `prompts.*`, `head.*`.
///
/// # Shapes
/// batch -> (B, M)
pub type Mlp = Baseline<EncoderMlp>;

impl Mlp {
    /// Builds (or loads) the model under `vb`.
    pub fn new(cfg: &Checked<MlpConfig>, vb: VarBuilder) -> Result<Self> {
        let encoder = EncoderMlp::new(cfg.node_in, cfg.hidden, vb.pp("encoder"))?;
        Baseline::with_encoder(encoder, cfg.hidden, cfg.hidden, &cfg.head, vb)
    }
}

/// The position-1 prompt is added to every atom's embedding.
impl AtomEncoder for EncoderMlp {
    fn encode(&self, batch: &CrystalBatch, shift: Option<&Tensor>) -> Result<Tensor> {
        let h = self.forward(&batch.node_features)?;
        match shift {
            Some(p) => h + p,
            None => Ok(h),
        }
    }
}
