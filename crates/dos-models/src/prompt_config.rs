//! [`PromptConfig`]: which crystal systems were seen in training and what an unseen system's
//! prompt is at inference.

use dos_attn::{UnseenRule, UnseenSystems};
use serde::{Deserialize, Serialize};

/// Number of crystal systems (prompt rows).
pub const N_SYSTEMS: usize = 7;

/// Crystal systems seen in training, and the rule for the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptConfig {
    /// Prompt indices (0 cubic .. 6 triclinic) present in the training set, sorted; the
    /// default is all seven (no substitution).
    pub trained_systems: Vec<u32>,
    /// What an unseen system gets at inference (default: mean of the trained rows).
    #[serde(default = "mean_of_trained")]
    pub unseen_rule: UnseenRule,
}

impl Default for PromptConfig {
    fn default() -> Self {
        Self {
            trained_systems: (0..N_SYSTEMS as u32).collect(),
            unseen_rule: UnseenRule::MeanOfTrained,
        }
    }
}

impl PromptConfig {
    pub(crate) fn check_fields(&self, field: &str) -> crate::Result<()> {
        if self.trained_systems.is_empty() {
            return Err(crate::error::invalid(
                &format!("{field}.trained_systems"),
                "must name at least one crystal system",
            ));
        }
        if let Some(s) = self
            .trained_systems
            .iter()
            .find(|&&s| s as usize >= N_SYSTEMS)
        {
            return Err(crate::error::invalid(
                &format!("{field}.trained_systems"),
                format!("system {s} out of range 0..7"),
            ));
        }
        Ok(())
    }
}

impl PromptConfig {
    /// The systems absent from training, with the rule, for
    /// [`dos_attn::CrystalSystemPrompts::forward`].
    pub fn unseen_systems(&self) -> UnseenSystems {
        UnseenSystems {
            unseen: (0..N_SYSTEMS)
                .filter(|s| !self.trained_systems.contains(&(*s as u32)))
                .collect(),
            rule: self.unseen_rule,
        }
    }
}

fn mean_of_trained() -> UnseenRule {
    UnseenRule::MeanOfTrained
}
