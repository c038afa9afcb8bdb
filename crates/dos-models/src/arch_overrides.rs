//! [`ArchOverrides`]: change the size of any model config (hidden width d, layer counts L',
//! L1, L2, L3) from the command line, a sweep or an example.

use crate::ModelConfig;
use serde::{Deserialize, Serialize};

/// Size settings applied on top of a preset; `None` keeps the preset's value.
///
/// `hidden = d` sets every width that the paper ties to d: DOSTransformer `hidden` and prompt
/// width d/2; the baselines' encoder width, head width d and prompt width d/2 (E3NN-lite:
/// pooled width d, d/8 channels per irrep kind, radial MLP d/4). `gnn_layers` (L') sets the
/// message-passing depth of DOSTransformer, the graph network and E3NN-lite (the MLP has none).
/// `cross_layers` (L1), `self_layers` (L2), `branch_cross_layers` (L3) only concern
/// DOSTransformer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchOverrides {
    /// Hidden width d.
    pub hidden: Option<usize>,
    /// GNN processor layers L'.
    pub gnn_layers: Option<usize>,
    /// Energy-to-atom cross-attention layers L1.
    pub cross_layers: Option<usize>,
    /// Self-attention layers L2 of each branch.
    pub self_layers: Option<usize>,
    /// Second cross-attention layers L3 of each branch.
    pub branch_cross_layers: Option<usize>,
}

impl ArchOverrides {
    /// Writes the overrides into `cfg` (check `cfg` afterwards); each family applies them in
    /// its [`crate::ModelSettings::apply_arch`].
    pub fn apply(&self, cfg: &mut ModelConfig) {
        cfg.settings_mut().apply_arch(self)
    }

    /// The prompt width the paper ties to a hidden width d: d/2, at least 1.
    pub fn prompt_width(d: usize) -> usize {
        (d / 2).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Check, ModelKind, Task};

    #[test]
    fn every_kind_stays_valid_and_takes_the_width() {
        for kind in ModelKind::ALL {
            for d in [8, 64, 256] {
                let mut cfg = ModelConfig::preset(kind, Task::Phonon, true);
                ArchOverrides {
                    hidden: Some(d),
                    gnn_layers: Some(2),
                    cross_layers: Some(3),
                    self_layers: Some(4),
                    branch_cross_layers: Some(2),
                }
                .apply(&mut cfg);
                cfg.check()
                    .unwrap_or_else(|e| panic!("{kind} with d = {d}: {e}"));
                let json = serde_json::to_value(&cfg).unwrap();
                let text = json.to_string();
                assert!(text.contains(&format!(":{d}")), "{kind}: {text}");
            }
        }
    }
}
