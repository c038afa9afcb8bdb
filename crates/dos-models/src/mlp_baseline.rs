//! [`Mlp`]: the atom-wise MLP baseline (no message passing).
//!
//! `h_i = EncoderMlp(x_i)` (`Linear(F, d) - PReLU - Linear(d, d)`), plus the crystal-system
//! prompt at position 1; `g = Σ_i h_i` over the crystal's atoms; `ŷ = head(g)` (see
//! [`crate::baseline`]).

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;
use dos_config::{Check, Checked};
use dos_data::CrystalBatch;
use dos_nn::EncoderMlp;
use serde::{Deserialize, Serialize};

use crate::baseline::{sum_pool, BaselineHeadConfig, BaselineTail};
use crate::loss::{batch_rmse, targets};
use crate::{DosModel, Precision};

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
    fn check_fields(&self) -> crate::Result<()> {
        use crate::size_limits::{check_range, MAX_WIDTH};
        check_range("node_in", self.node_in, 1, MAX_WIDTH)?;
        check_range("hidden", self.hidden, 1, MAX_WIDTH)?;
        self.head.check_fields("head")?;
        Ok(())
    }
}

impl Check for MlpConfig {
    type Checked = Checked<MlpConfig>;
    type Error = crate::ModelError;

    /// Checks every field once, then the parameter count of the model it describes (see
    /// [`crate::size_limits`]); models are built from the returned [`Checked`] config.
    fn check(&self) -> crate::Result<Checked<MlpConfig>> {
        let checked = Checked::after(self, Self::check_fields)?;
        crate::size_limits::check_parameter_count(|vb| Mlp::new(&checked, vb).map(|_| ()))?;
        Ok(checked)
    }
}

impl crate::ModelSettings for MlpConfig {
    fn precision(&self) -> Precision {
        self.precision
    }
    fn set_precision(&mut self, precision: Precision) {
        self.precision = precision;
    }
    fn n_energies(&self) -> usize {
        self.head.n_energies
    }
    fn input_widths(&self) -> (usize, Option<usize>) {
        (self.node_in, None)
    }
    fn set_input_widths(&mut self, node_in: usize, _edge_in: usize) {
        self.node_in = node_in;
    }
    fn prompts(&self) -> &crate::PromptConfig {
        &self.head.prompts
    }
    fn prompts_mut(&mut self) -> &mut crate::PromptConfig {
        &mut self.head.prompts
    }
    fn uses_energy(&self) -> bool {
        self.head.energy
    }
    fn apply_arch(&mut self, o: &crate::ArchOverrides) {
        if let Some(d) = o.hidden {
            self.hidden = d;
        }
        if let Some(d) = o.hidden {
            self.head.head_hidden = d;
            self.head.prompt_dim = crate::ArchOverrides::prompt_width(d);
        }
    }
}

/// Atom-wise MLP baseline.
///
/// Parameter names: `encoder.*`, `prompts.*`, `head.*`.
///
/// # Shapes
/// batch -> (B, M)
#[derive(Debug, Clone)]
pub struct Mlp {
    encoder: EncoderMlp,
    tail: BaselineTail,
    n_energies: usize,
}

impl Mlp {
    /// Builds (or loads) the model under `vb`.
    pub fn new(cfg: &Checked<MlpConfig>, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            encoder: EncoderMlp::new(cfg.node_in, cfg.hidden, vb.pp("encoder"))?,
            tail: BaselineTail::new(cfg.hidden, cfg.hidden, &cfg.head, vb.clone())?,
            n_energies: cfg.head.n_energies,
        })
    }
}

impl DosModel for Mlp {
    fn n_energies(&self) -> usize {
        self.n_energies
    }

    fn predict(&self, batch: &CrystalBatch) -> Result<Tensor> {
        let mut h = self.encoder.forward(&batch.node_features)?;
        if let Some(p) = self.tail.atom_prompts(batch)? {
            h = (h + p)?;
        }
        self.tail.forward(&sum_pool(&h, batch)?, batch)
    }

    fn loss(&self, batch: &CrystalBatch) -> Result<Tensor> {
        batch_rmse(&self.predict(batch)?, &targets(batch, self.n_energies)?)
    }
}
