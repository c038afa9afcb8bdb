//! [`PromptConfig`]: which crystal systems were seen in training and what an unseen system's
//! prompt is at inference.

use dos_attn::{UnseenRule, UnseenSystems};
use dos_data::symmetry::CrystalSystem;
use serde::{Deserialize, Serialize};

/// Number of crystal systems (prompt rows): one per [`CrystalSystem`].
pub const N_SYSTEMS: usize = CrystalSystem::ALL.len();

/// Crystal systems seen in training, and the rule for the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptConfig {
    /// Crystal systems present in the training set, sorted; the default is all seven (no
    /// substitution). Files hold names; prompt indices (the older form) are read too.
    pub trained_systems: Vec<CrystalSystem>,
    /// What an unseen system gets at inference (default: mean of the trained rows).
    #[serde(default = "mean_of_trained")]
    pub unseen_rule: UnseenRule,
}

impl Default for PromptConfig {
    fn default() -> Self {
        Self {
            trained_systems: CrystalSystem::ALL.to_vec(),
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
        Ok(())
    }
}

impl PromptConfig {
    /// The systems absent from training, with the rule, for
    /// [`dos_attn::CrystalSystemPrompts::forward`].
    pub fn unseen_systems(&self) -> UnseenSystems {
        UnseenSystems {
            unseen: CrystalSystem::ALL
                .into_iter()
                .filter(|s| !self.trained_systems.contains(s))
                .map(CrystalSystem::index)
                .collect(),
            rule: self.unseen_rule,
        }
    }
}

fn mean_of_trained() -> UnseenRule {
    UnseenRule::MeanOfTrained
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systems_are_written_by_name_and_read_by_name_or_index() {
        let cfg = PromptConfig {
            trained_systems: vec![CrystalSystem::Cubic, CrystalSystem::Trigonal],
            unseen_rule: UnseenRule::MeanOfTrained,
        };
        let json = serde_json::to_value(&cfg).unwrap();
        assert_eq!(
            json["trained_systems"],
            serde_json::json!(["cubic", "trigonal"])
        );
        let back: PromptConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, cfg);
        // Packages written before the enum hold prompt indices.
        let old: PromptConfig = serde_json::from_str(
            r#"{"trained_systems": [0, 3], "unseen_rule": "mean_of_trained"}"#,
        )
        .unwrap();
        assert_eq!(old, cfg);
        let err = serde_json::from_str::<PromptConfig>(r#"{"trained_systems": [9]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("crystal system index 9 is outside 0..=6"),
            "{err}"
        );
        assert_eq!(old.unseen_systems().unseen, vec![1, 2, 4, 5, 6]);
    }
}
