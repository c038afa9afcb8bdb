//! DOSTransformer's training step (its [`DosModel::loss_and_grads`]):
//! on the CPU its hand-written step ([`DosTransformer::host_loss_and_grads`], the released
//! attention block in f32 / f64), and otherwise its two output branches back-propagated in
//! parallel ([`branch_parallel_loss_and_grads`], which needs only [`DosTransformer::trunk`]
//! and [`DosTransformer::branch_loss`]); the gradients are then a sum of parts
//! ([`SummedGrads`]), equal to the one-part ones up to rounding. Elsewhere one
//! `loss.backward()`.

use crate::loss::targets;
use crate::{Branch, DosModel, DosTransformer, Trunk};
use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use dos_data::CrystalBatch;
use dos_nn::SummedGrads;

/// DOSTransformer's training step: the hand-written one on the CPU when it applies, else the
/// two branches in parallel on the CPU, else one `backward()`.
pub(crate) fn loss_and_grads(
    model: &DosTransformer,
    batch: &CrystalBatch,
) -> Result<(Tensor, SummedGrads)> {
    if batch.node_features.device().is_cpu() {
        if let Some(step) = model.host_loss_and_grads(batch)? {
            return Ok(step);
        }
        return branch_parallel_loss_and_grads(model, batch);
    }
    let loss = model.loss(batch)?;
    let grads = loss.backward()?;
    Ok((loss, grads.into()))
}

/// DOSTransformer's training loss and its gradients with the two branches back-propagated
/// in parallel (`rayon::join`), as three parts:
///
/// 1. the shared trunk ([`DosTransformer::trunk`]: GNN, energy embeddings, `CrossAttn_{L1}`,
///    pooling) runs forward once, giving `Ĥ` and `[E¹ | g]`;
/// 2. each branch starts from its own leaf copy of `Ĥ` and `[E¹ | g]`, computes its term
///    of the loss ([`DosTransformer::branch_loss`]: `RMSE_glob`, `β RMSE_sys`) and
///    back-propagates it on its own thread;
/// 3. the trunk is back-propagated from the sum of the two copies' gradients, through
///    the surrogate `Σ Ĥ ⊙ dĤ + Σ [E¹ | g] ⊙ d[E¹ | g]` (gradients held constant).
///
/// By the chain rule the parts add up to the gradient of the whole loss (the shared
/// `SelfAttn_{L2}`, `CrossAttn_{L3}` and `φ_pred` get one term per branch). The two
/// branches are 4 of the 10 attention blocks each, so on two cores the attention half of
/// a training step runs about twice as fast.
pub fn branch_parallel_loss_and_grads(
    model: &DosTransformer,
    batch: &CrystalBatch,
) -> Result<(Tensor, SummedGrads)> {
    let t = targets(batch, model.n_energies())?;
    let s = model.trunk(batch)?;
    // A branch on its own copies of the trunk's outputs: its loss term, its gradients and
    // the two leaves (to read their gradients).
    let run_branch = |branch: Branch| -> Result<(Tensor, GradStore, Var, Var)> {
        let atoms = Var::from_tensor(&s.atoms.detach())?;
        let e1_g = Var::from_tensor(&s.e1_g.detach())?;
        let own = Trunk {
            atoms: atoms.as_tensor().clone(),
            mask: s.mask.clone(),
            e1_g: e1_g.as_tensor().clone(),
        };
        let loss = model.branch_loss(&own, batch, &t, branch)?;
        let grads = loss.backward()?;
        Ok((loss, grads, atoms, e1_g))
    };
    let (global, system) =
        dos_nn::join_if_parallel(|| run_branch(Branch::Global), || run_branch(Branch::System));
    let (loss_glob, grads_glob, atoms_glob, e1g_glob) = global?;
    let (loss_sys, grads_sys, atoms_sys, e1g_sys) = system?;
    // `Σ x ⊙ (dx_glob + dx_sys)`, skipping a copy neither branch used.
    let mut trunk: Option<Tensor> = None;
    for (x, a, b) in [
        (&s.atoms, &atoms_glob, &atoms_sys),
        (&s.e1_g, &e1g_glob, &e1g_sys),
    ] {
        let dx = match (grads_glob.get(a), grads_sys.get(b)) {
            (Some(ga), Some(gs)) => (ga + gs)?,
            (Some(g), None) | (None, Some(g)) => g.clone(),
            (None, None) => continue,
        };
        let term = (x * dx.detach())?.sum_all()?;
        trunk = Some(match trunk {
            Some(acc) => (acc + term)?,
            None => term,
        });
    }
    let mut parts = Vec::with_capacity(3);
    if let Some(trunk) = trunk {
        parts.push(trunk.backward()?);
    }
    parts.push(grads_glob);
    parts.push(grads_sys);
    let loss = (loss_glob.detach() + loss_sys.detach())?;
    Ok((loss, SummedGrads::new(parts)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Check, DosTransformerConfig};
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    /// The branch-parallel gradients (three parts) add up to those of one `backward()` of
    /// the whole loss, for every variable, and the loss values agree.
    #[test]
    fn branch_parallel_gradients_equal_one_backward() -> Result<()> {
        let cfg = DosTransformerConfig {
            beta: 0.7,
            ..crate::testing::tiny_dostransformer()
        };
        let vm = VarMap::new();
        let vb = dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F64, &Device::Cpu);
        let model = DosTransformer::new(&cfg.check().map_err(candle_core::Error::wrap)?, vb)?;
        let b = crate::testing::batch(&[3, 2, 4], 5, DType::F64)?;
        let whole = model.loss(&b)?;
        let reference = whole.backward()?;
        let (loss, parts) = branch_parallel_loss_and_grads(&model, &b)?;
        assert_eq!(parts.parts().len(), 3);
        let (l1, l2) = (whole.to_scalar::<f64>()?, loss.to_scalar::<f64>()?);
        assert!((l1 - l2).abs() < 1e-13, "{l1} vs {l2}");
        let vars = vm.all_vars();
        assert!(vars.len() > 20);
        let mut shared_terms = 0;
        for var in &vars {
            match (reference.get(var), parts.sum(var)?) {
                (Some(w), Some(g)) => {
                    let scale = w.abs()?.max_all()?.to_scalar::<f64>()?.max(1e-12);
                    let diff = (w - g)?.abs()?.max_all()?.to_scalar::<f64>()?;
                    assert!(diff <= 1e-12 * scale.max(1.0), "{:?}: {diff}", var.shape());
                }
                (None, None) => {}
                (w, g) => panic!(
                    "gradient present in one result only: {:?} {:?}",
                    w.is_some(),
                    g.is_some()
                ),
            }
            if parts.terms(var).len() == 2 {
                shared_terms += 1;
            }
        }
        // SelfAttn_{L2}, CrossAttn_{L3} and φ_pred serve both branches.
        assert!(shared_terms > 5, "{shared_terms}");
        Ok(())
    }
}
