//! Learned crystal-system prompts.

use candle_core::{Result, Tensor};
use candle_nn::{Init, VarBuilder};
use serde::{Deserialize, Serialize};

use crate::AttnError;

/// What to do with the prompt of a crystal system absent from training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnseenRule {
    /// Replace its row by the mean of the trained rows (the paper's rule).
    MeanOfTrained,
    /// Use its (untrained) row as is (the released code).
    AsIs,
}

/// The crystal systems absent from training and the rule applied to their prompts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnseenSystems {
    /// Prompt indices (0..n_systems) of the systems absent from training.
    pub unseen: Vec<usize>,
    /// Rule for their prompts.
    pub rule: UnseenRule,
}

impl UnseenSystems {
    /// Every system was seen in training: rows are used as is.
    pub fn none() -> Self {
        Self {
            unseen: Vec::new(),
            rule: UnseenRule::AsIs,
        }
    }

    /// `unseen` systems get the mean of the trained rows (the paper's rule).
    pub fn mean_of_trained(unseen: impl Into<Vec<usize>>) -> Self {
        Self {
            unseen: unseen.into(),
            rule: UnseenRule::MeanOfTrained,
        }
    }

    /// `unseen` systems keep their own rows (the released code).
    pub fn as_is(unseen: impl Into<Vec<usize>>) -> Self {
        Self {
            unseen: unseen.into(),
            rule: UnseenRule::AsIs,
        }
    }
}

impl Default for UnseenSystems {
    fn default() -> Self {
        Self::none()
    }
}

/// Crystal-system prompts P, a learned table `(n_systems, d_prompt)`; `P_b = T[s_b]` where `T`
/// is the table with the rows of unseen systems replaced per [`UnseenSystems`].
///
/// Parameter `weight`, initialised N(0, 1) like `torch.nn.Embedding`. Index order (7 systems):
/// 0 cubic, 1 hexagonal, 2 tetragonal, 3 trigonal, 4 orthorhombic, 5 monoclinic, 6 triclinic.
///
/// An entry equal to `n_systems` marks a crystal whose system is unknown (symmetry analysis
/// failed): its prompt is the mean of the trained rows.
///
/// # Shapes
/// - `systems`: `(B,)` u32, entries `<= n_systems`
/// - output: `(B, d_prompt)`
#[derive(Debug, Clone)]
pub struct CrystalSystemPrompts {
    weight: Tensor,
    n_systems: usize,
}

impl CrystalSystemPrompts {
    /// Creates (or loads) the `(n_systems, d_prompt)` table `weight` under `vb`.
    pub fn new(n_systems: usize, d_prompt: usize, vb: VarBuilder) -> Result<Self> {
        let weight = vb.get_with_hints(
            (n_systems, d_prompt),
            "weight",
            Init::Randn {
                mean: 0.,
                stdev: 1.,
            },
        )?;
        Ok(Self { weight, n_systems })
    }

    /// The raw table, `(n_systems, d_prompt)`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The table after the unseen rule, `(n_systems, d_prompt)`:
    /// `T = A W` with `A[s] = e_s` for a trained (or as-is) system and
    /// `A[s] = 1/|trained| sum_{t trained} e_t` for an unseen one under the mean rule.
    pub fn table(&self, unseen: &UnseenSystems) -> Result<Tensor> {
        let n = self.n_systems;
        for &s in &unseen.unseen {
            if s >= n {
                return Err(AttnError::InvalidInput {
                    name: "unseen",
                    expected: format!("system indices < {n}"),
                    got: s.to_string(),
                }
                .into());
            }
        }
        if unseen.rule == UnseenRule::AsIs || unseen.unseen.is_empty() {
            return Ok(self.weight.clone());
        }
        let is_unseen = |s: usize| unseen.unseen.contains(&s);
        let trained: Vec<usize> = (0..n).filter(|&s| !is_unseen(s)).collect();
        if trained.is_empty() {
            return Err(AttnError::InvalidInput {
                name: "unseen",
                expected: "at least one trained system for the mean rule".into(),
                got: format!("{:?}", unseen.unseen),
            }
            .into());
        }
        let mut a = vec![0f64; n * n];
        for s in 0..n {
            if is_unseen(s) {
                for &t in &trained {
                    a[s * n + t] = 1.0 / trained.len() as f64;
                }
            } else {
                a[s * n + s] = 1.0;
            }
        }
        // A matrix product keeps the rule differentiable: the trained rows receive the
        // gradient of the unseen systems' prompts (useful when fine-tuning prompts).
        let a = Tensor::from_vec(a, (n, n), self.weight.device())?.to_dtype(self.weight.dtype())?;
        a.matmul(&self.weight)
    }

    /// Prompts of a batch; see the type docs.
    pub fn forward(&self, systems: &Tensor, unseen: &UnseenSystems) -> Result<Tensor> {
        let bad = |got: String| -> candle_core::Error {
            AttnError::InvalidInput {
                name: "systems",
                expected: format!("(B,) u32 with entries <= {}", self.n_systems),
                got,
            }
            .into()
        };
        if systems.rank() != 1 || systems.dtype() != candle_core::DType::U32 {
            return Err(bad(format!("{:?} {:?}", systems.dims(), systems.dtype())));
        }
        // B values copied to the host: an out-of-range index must be an error, not a panic.
        let host = systems.to_vec1::<u32>()?;
        if let Some(s) = host.iter().find(|&&s| s as usize > self.n_systems) {
            return Err(bad(format!("entry {s}")));
        }
        let table = self.table(unseen)?;
        if host.iter().all(|&s| (s as usize) < self.n_systems) {
            return table.index_select(systems, 0);
        }
        // Row n_systems: a crystal of unknown system gets the mean of the trained rows.
        let trained: Vec<u32> = (0..self.n_systems as u32)
            .filter(|s| !unseen.unseen.contains(&(*s as usize)))
            .collect();
        if trained.is_empty() {
            return Err(bad("an unknown system with no trained system".into()));
        }
        let trained = Tensor::new(trained.as_slice(), self.weight.device())?;
        let mean = self.weight.index_select(&trained, 0)?.mean_keepdim(0)?;
        Tensor::cat(&[&table, &mean], 0)?.index_select(systems, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;
    use dos_nn::gradcheck::{assert_gradients_ok, check_gradients, GradCheckOptions};

    fn prompts(vm: &VarMap) -> Result<CrystalSystemPrompts> {
        CrystalSystemPrompts::new(
            7,
            3,
            dos_nn::SeededVarMap::var_builder(vm, 0, DType::F64, &Device::Cpu),
        )
    }

    #[test]
    fn unknown_system_gets_the_mean_of_trained_rows() -> Result<()> {
        let vm = VarMap::new();
        let p = prompts(&vm)?;
        let w = p.weight().to_vec2::<f64>()?;
        let systems = Tensor::new(&[7u32, 2], &Device::Cpu)?;
        for (unseen, trained) in [
            (UnseenSystems::none(), (0..7).collect::<Vec<usize>>()),
            (UnseenSystems::mean_of_trained([5, 6]), (0..5).collect()),
        ] {
            let out = p.forward(&systems, &unseen)?.to_vec2::<f64>()?;
            for c in 0..3 {
                let mean = trained.iter().map(|&s| w[s][c]).sum::<f64>() / trained.len() as f64;
                assert!((out[0][c] - mean).abs() < 1e-15);
                assert_eq!(out[1][c], w[2][c]);
            }
        }
        assert!(p
            .forward(&Tensor::new(&[8u32], &Device::Cpu)?, &UnseenSystems::none())
            .is_err());
        Ok(())
    }

    #[test]
    fn mean_rule_replaces_unseen_rows_by_mean_of_trained() -> Result<()> {
        let vm = VarMap::new();
        let p = prompts(&vm)?;
        let w = p.weight().to_vec2::<f64>()?;
        let systems = Tensor::new(&[5u32, 0, 6, 3], &Device::Cpu)?;
        let out = p
            .forward(&systems, &UnseenSystems::mean_of_trained([5, 6]))?
            .to_vec2::<f64>()?;
        // Trained rows: 0..=4.
        let mean: Vec<f64> = (0..3)
            .map(|c| (0..5).map(|s| w[s][c]).sum::<f64>() / 5.0)
            .collect();
        for c in 0..3 {
            assert!((out[0][c] - mean[c]).abs() < 1e-15);
            assert!((out[2][c] - mean[c]).abs() < 1e-15);
            assert_eq!(out[1][c], w[0][c]);
            assert_eq!(out[3][c], w[3][c]);
        }
        // The released behaviour: rows as they are.
        let raw = p
            .forward(&systems, &UnseenSystems::as_is([5, 6]))?
            .to_vec2::<f64>()?;
        assert_eq!(raw[0], w[5]);
        assert_eq!(raw[2], w[6]);
        Ok(())
    }

    #[test]
    fn rejects_bad_indices() -> Result<()> {
        let vm = VarMap::new();
        let p = prompts(&vm)?;
        let dev = Device::Cpu;
        let err = p
            .forward(&Tensor::new(&[8u32], &dev)?, &UnseenSystems::none())
            .unwrap_err()
            .to_string();
        assert!(err.contains("systems"), "{err}");
        let all: Vec<usize> = (0..7).collect();
        assert!(p
            .forward(
                &Tensor::new(&[0u32], &dev)?,
                &UnseenSystems::mean_of_trained(all)
            )
            .is_err());
        assert!(p
            .forward(
                &Tensor::new(&[0u32], &dev)?,
                &UnseenSystems::mean_of_trained([9])
            )
            .is_err());
        Ok(())
    }

    #[test]
    fn gradients_match_finite_differences() -> Result<()> {
        let dev = Device::Cpu;
        for unseen in [
            UnseenSystems::none(),
            UnseenSystems::mean_of_trained([5, 6]),
        ] {
            let vm = VarMap::new();
            let p = prompts(&vm)?;
            let systems = Tensor::new(&[5u32, 0, 6, 3, 1], &dev)?;
            // Fixed weights in [-1.2, 1.2] (random ones made the check flaky at 1e-6).
            let c = Tensor::arange(0f64, 15., &dev)?
                .reshape((5, 3))?
                .affine(0.17, -1.2)?;
            let report = check_gradients(
                &vm,
                || (p.forward(&systems, &unseen)?.sin()? * &c)?.sum_all(),
                &GradCheckOptions {
                    entries_per_variable: 21,
                    ..GradCheckOptions::default()
                },
            )?;
            assert_gradients_ok(&report, 1e-6);
        }
        Ok(())
    }
}
