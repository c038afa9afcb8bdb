//! [`ArchOverrides`]: change the size of any model config (hidden width d, layer counts L',
//! L1, L2, L3) from the command line, a sweep or an example.

use dos_models::ModelConfig;
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
    /// Writes the overrides into `cfg` (check `cfg` afterwards).
    pub fn apply(&self, cfg: &mut ModelConfig) {
        let half = |d: usize| (d / 2).max(1);
        match cfg {
            ModelConfig::DosTransformer(c) => {
                if let Some(d) = self.hidden {
                    c.hidden = d;
                    c.prompt_dim = half(d);
                }
                if let Some(l) = self.gnn_layers {
                    c.gnn_layers = l;
                }
                if let Some(l) = self.cross_layers {
                    c.cross_layers = l;
                }
                if let Some(l) = self.self_layers {
                    c.self_layers = l;
                }
                if let Some(l) = self.branch_cross_layers {
                    c.branch_cross_layers = l;
                }
            }
            ModelConfig::Mlp(c) => {
                if let Some(d) = self.hidden {
                    c.hidden = d;
                    c.head.head_hidden = d;
                    c.head.prompt_dim = half(d);
                }
            }
            ModelConfig::GraphNetwork(c) => {
                if let Some(d) = self.hidden {
                    c.hidden = d;
                    c.head.head_hidden = d;
                    c.head.prompt_dim = half(d);
                }
                if let Some(l) = self.gnn_layers {
                    c.gnn_layers = l;
                }
            }
            ModelConfig::E3nnLite(c) => {
                if let Some(d) = self.hidden {
                    c.encoder.out_dim = d;
                    c.encoder.channels = (d / 8).max(1);
                    c.encoder.radial_hidden = (d / 4).max(1);
                    c.head.head_hidden = d;
                    c.head.prompt_dim = half(d);
                }
                if let Some(l) = self.gnn_layers {
                    c.encoder.layers = l;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dos_config::Check;
    use dos_models::{ModelKind, Task};

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
