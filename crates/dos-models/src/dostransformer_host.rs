//! [`DosTransformer::host_loss_and_grads`]: the training loss and its gradients with the
//! attention half written by hand on the CPU.
//!
//! The whole step runs over plain slices, forward and backward, with no autograd graph: the
//! GNN ([`dos_graph::HostGnn`]), the padded atoms `Ĥ` and the pooled crystal vector `g`, the
//! three attention stacks ([`HostStack`]), `φ₁`, `φ₂`, `φ_pred` ([`HostLinear`]) and the
//! loss. The two output branches run on two threads (`rayon::join`). Only the prompt rows
//! `P_s` (with the rule for unseen crystal systems) come from candle: their gradient is pushed
//! through its graph with one `backward()` of the surrogate `Σ P ⊙ dP` (dP held constant).
//!
//! Same maths as [`DosModel::loss`] followed by `backward()` (tested to 1e-10 in f64 in this
//! file); used for the released attention block (one head, no projections) on f32 / f64
//! CPU tensors, and `None` otherwise.

use candle_core::{DType, Result, Tensor};
use dos_attn::{HostDims, HostKeys, HostStack};
use dos_data::CrystalBatch;
use dos_graph::HostGraph;
use dos_nn::host::{tensor_of, HostFloat, HostGrads, HostLinear, HostTensor, Real};
use dos_nn::SummedGrads;

use crate::dostransformer::{Branch, DosTransformer, LEAKY_SLOPE};
use crate::loss::targets;

/// The hand-written half's borrowed weights.
struct HostHalf<'a, T> {
    cross: HostStack<'a, T>,
    self_attn: HostStack<'a, T>,
    branch_cross: HostStack<'a, T>,
    phi_global: HostLinear<'a, T>,
    phi_system: HostLinear<'a, T>,
    phi_pred: HostLinear<'a, T>,
}

/// Inputs of the hand-written half, as host values.
struct HalfInputs<'a, T> {
    dims: HostDims,
    keys: HostKeys<'a, T>,
    /// Pooled crystal vectors `g`, `(B, d)`.
    g: &'a [T],
    /// Prompt rows `P_s`, `(B, d_p)`.
    p: &'a [T],
    /// Targets, `(B, M)`.
    t: &'a [T],
}

/// What one branch returns: its loss term, the gradients of its inputs and its weights.
struct BranchGrads<T> {
    loss: f64,
    de1: Vec<T>,
    dkeys: Vec<T>,
    dg: Vec<T>,
    dp: Option<Vec<T>>,
    grads: HostGrads<T>,
}

impl DosTransformer {
    /// The training loss ([`DosModel::loss`]) and its gradients for every variable, with the
    /// attention half written by hand (see the module docs). `None` when that path does not
    /// apply: a device other than the CPU, a dtype other than f32 / f64, or attention blocks
    /// with projections.
    pub fn host_loss_and_grads(
        &self,
        batch: &CrystalBatch,
    ) -> Result<Option<(Tensor, SummedGrads)>> {
        let x = &batch.node_features;
        if !x.device().is_cpu() {
            return Ok(None);
        }
        match x.dtype() {
            DType::F32 => self.host_step::<f32>(batch),
            DType::F64 => self.host_step::<f64>(batch),
            _ => Ok(None),
        }
    }

    fn host_half<T: HostFloat>(&self) -> Result<Option<HostHalf<'_, T>>> {
        let (Some(cross), Some(self_attn), Some(branch_cross)) = (
            self.cross.host::<T>()?,
            self.self_attn.host::<T>()?,
            self.branch_cross.host::<T>()?,
        ) else {
            return Ok(None);
        };
        let (Some(phi_global), Some(phi_system), Some(phi_pred)) = (
            HostLinear::with_bias(&self.phi_global)?,
            HostLinear::with_bias(&self.phi_system)?,
            HostLinear::with_bias(&self.phi_pred)?,
        ) else {
            return Ok(None);
        };
        Ok(Some(HostHalf {
            cross,
            self_attn,
            branch_cross,
            phi_global,
            phi_system,
            phi_pred,
        }))
    }

    fn host_step<T: HostFloat>(
        &self,
        batch: &CrystalBatch,
    ) -> Result<Option<(Tensor, SummedGrads)>> {
        let (Some(half), Some(gnn), Some(pool_linear)) = (
            self.host_half::<T>()?,
            self.gnn.host::<T>()?,
            HostLinear::with_bias(&self.pool_linear)?,
        ) else {
            return Ok(None);
        };
        let b = batch.len();
        let n_max = batch.n_max;
        // Candle's part: the prompt rows (with their graph, for the unseen-system rule).
        let p = self
            .prompts
            .forward(&batch.crystal_system, &self.prompt_cfg.unseen_systems())?;
        let e = self.energy.forward()?;
        let (m, d) = e.dims2()?;
        // Host values of the inputs.
        let host = |x: &Tensor| -> Result<Tensor> { x.detach().to_dtype(T::DTYPE)?.contiguous() };
        let t = targets(batch, self.n_energies)?;
        let (x_v, ef_v, mask_v, p_v, t_v) = (
            host(&batch.node_features)?,
            host(&batch.edge_features)?,
            host(&batch.atom_mask)?,
            host(&p)?,
            host(&t)?,
        );
        let (x_h, ef_h, mask_h, e_h, p_h, t_h) = (
            HostTensor::<T>::new(&x_v)?,
            HostTensor::<T>::new(&ef_v)?,
            HostTensor::<T>::new(&mask_v)?,
            HostTensor::<T>::new(&e)?,
            HostTensor::<T>::new(&p_v)?,
            HostTensor::<T>::new(&t_v)?,
        );
        let senders = batch.senders.to_vec1::<u32>()?;
        let receivers = batch.receivers.to_vec1::<u32>()?;
        let node_crystal = batch.node_crystal.to_vec1::<u32>()?;
        let padded_index = batch.padded_index.to_vec1::<u32>()?;
        let n = node_crystal.len();
        let mask = mask_h.as_slice();
        if padded_index.len() != b * n_max
            || mask.len() != b * n_max
            || padded_index.iter().any(|&i| i as usize >= n.max(1))
            || node_crystal.iter().any(|&c| c as usize >= b)
        {
            candle_core::bail!("host step: batch index arrays do not match the batch");
        }
        let graph = HostGraph {
            x: x_h.as_slice(),
            e: ef_h.as_slice(),
            senders: &senders,
            receivers: &receivers,
            n,
        };
        // GNN, padded atoms Ĥ, pooled crystal vector g.
        let (h, gnn_tape) = gnn.forward(&graph)?;
        let mut atoms = vec![T::ZERO; b * n_max * d];
        for (slot, (&i, &w)) in padded_index.iter().zip(mask).enumerate() {
            let i = i as usize;
            if n > 0 {
                atoms[slot * d..(slot + 1) * d]
                    .iter_mut()
                    .zip(&h[i * d..(i + 1) * d])
                    .for_each(|(a, &v)| *a = v * w);
            }
        }
        let mut pooled = vec![T::ZERO; b * d];
        for (i, &c) in node_crystal.iter().enumerate() {
            let c = c as usize;
            pooled[c * d..(c + 1) * d]
                .iter_mut()
                .zip(&h[i * d..(i + 1) * d])
                .for_each(|(a, &v)| *a += v);
        }
        let g = pool_linear.forward(&pooled, b)?;
        let dims = HostDims { b, m, d };
        let inputs = HalfInputs {
            dims,
            keys: HostKeys {
                h: &atoms,
                mask,
                n: n_max,
            },
            g: &g,
            p: p_h.as_slice(),
            t: t_h.as_slice(),
        };
        // CrossAttn_{L1}, then both branches on two threads.
        let q0: Vec<T> = e_h.as_slice().repeat(b);
        let (e1, tape) = half.cross.forward(&q0, dims, Some(inputs.keys), true)?;
        let tape = tape.ok_or_else(|| candle_core::Error::Msg("no tape recorded".into()))?;
        let (global, system) = rayon::join(
            || self.host_branch(&half, &inputs, &e1, Branch::Global),
            || self.host_branch(&half, &inputs, &e1, Branch::System),
        );
        let (global, system) = (global?, system?);
        let de1: Vec<T> = global
            .de1
            .iter()
            .zip(&system.de1)
            .map(|(&a, &b)| a + b)
            .collect();
        let mut trunk_grads = HostGrads::default();
        let (dq0, dkeys) = half.cross.backward(&tape, &de1, dims, &mut trunk_grads)?;
        let mut de = vec![T::ZERO; m * d];
        for chunk in dq0.chunks_exact(m * d) {
            de.iter_mut().zip(chunk).for_each(|(a, &v)| *a += v);
        }
        trunk_grads.add(&e, &de)?;
        let mut datoms = dkeys.unwrap_or_else(|| vec![T::ZERO; atoms.len()]);
        for part in [&global.dkeys, &system.dkeys] {
            datoms.iter_mut().zip(part).for_each(|(a, &v)| *a += v);
        }
        let dg: Vec<T> = global
            .dg
            .iter()
            .zip(&system.dg)
            .map(|(&a, &b)| a + b)
            .collect();
        // Back through g = pool_linear(Σ h), Ĥ = mask ⊙ h[index], then the GNN.
        let dpooled = pool_linear.backward(&pooled, &dg, b, &mut trunk_grads)?;
        let mut dh = vec![T::ZERO; n * d];
        for (i, &c) in node_crystal.iter().enumerate() {
            let c = c as usize;
            dh[i * d..(i + 1) * d]
                .iter_mut()
                .zip(&dpooled[c * d..(c + 1) * d])
                .for_each(|(a, &v)| *a += v);
        }
        for (slot, (&i, &w)) in padded_index.iter().zip(mask).enumerate() {
            let i = i as usize;
            if n > 0 {
                dh[i * d..(i + 1) * d]
                    .iter_mut()
                    .zip(&datoms[slot * d..(slot + 1) * d])
                    .for_each(|(a, &v)| *a += v * w);
            }
        }
        gnn.backward(&gnn_tape, &graph, dh, &mut trunk_grads)?;
        let loss = global.loss + system.loss;
        let dtype = batch.node_features.dtype();
        let mut grads = SummedGrads::new(Vec::new());
        // The prompts' gradient through candle's graph: Σ P ⊙ dP, dP held constant.
        if let Some(dp) = system.dp {
            let dp = tensor_of(dp, p.dims())?.to_dtype(p.dtype())?;
            grads = SummedGrads::new(vec![p.mul(&dp)?.sum_all()?.backward()?]);
        }
        for part in [trunk_grads, global.grads, system.grads] {
            grads.push_map(part.into_map()?);
        }
        let loss = Tensor::new(loss, batch.node_features.device())?.to_dtype(dtype)?;
        Ok(Some((loss, grads)))
    }

    /// One branch forward and backward: `φ` on `[E¹ | g (| P_s)]`, LeakyReLU, the shared
    /// self- and cross-attention stacks, `φ_pred`, and its term of the loss.
    fn host_branch<T: HostFloat>(
        &self,
        half: &HostHalf<'_, T>,
        inp: &HalfInputs<'_, T>,
        e1: &[T],
        branch: Branch,
    ) -> Result<BranchGrads<T>> {
        let HostDims { b, m, d } = inp.dims;
        let rows = b * m;
        let (phi, scale, pd) = match branch {
            Branch::Global => (&half.phi_global, 1.0, 0),
            Branch::System => (&half.phi_system, self.beta, inp.p.len() / b.max(1)),
        };
        let k = 2 * d + pd;
        if phi.inp != k || inp.g.len() != b * d || inp.t.len() != rows {
            candle_core::bail!("host branch: inputs do not match the model");
        }
        // [E¹ | g | P_s] per energy row.
        let mut xin = Vec::with_capacity(rows * k);
        for (r, e1_row) in e1.chunks_exact(d).enumerate() {
            let c = r / m;
            xin.extend_from_slice(e1_row);
            xin.extend_from_slice(&inp.g[c * d..(c + 1) * d]);
            if pd > 0 {
                xin.extend_from_slice(&inp.p[c * pd..(c + 1) * pd]);
            }
        }
        let z = phi.forward(&xin, rows)?;
        let slope = T::of(LEAKY_SLOPE);
        let x0: Vec<T> = z
            .iter()
            .map(|&v| if v > T::ZERO { v } else { v * slope })
            .collect();
        let (x1, t_self) = half.self_attn.forward(&x0, inp.dims, None, true)?;
        let (x2, t_cross) = half
            .branch_cross
            .forward(&x1, inp.dims, Some(inp.keys), true)?;
        let y = half.phi_pred.forward(&x2, rows)?;
        // loss = scale · mean_b sqrt(mean_m (y - t)²).
        let mut dy = vec![T::ZERO; rows];
        let mut loss = 0.0;
        for c in 0..b {
            let (yc, tc) = (&y[c * m..(c + 1) * m], &inp.t[c * m..(c + 1) * m]);
            let mse = yc
                .iter()
                .zip(tc)
                .map(|(&a, &t)| Real::to_f64(a - t).powi(2))
                .sum::<f64>()
                / m as f64;
            let rmse = mse.sqrt();
            loss += scale * rmse / b as f64;
            if rmse > 0.0 {
                let f = scale / (b as f64 * m as f64 * rmse);
                for ((g, &a), &t) in dy[c * m..(c + 1) * m].iter_mut().zip(yc).zip(tc) {
                    *g = T::of(f * Real::to_f64(a - t));
                }
            }
        }
        let mut grads = HostGrads::default();
        let (Some(t_self), Some(t_cross)) = (t_self, t_cross) else {
            candle_core::bail!("host branch: no tape recorded");
        };
        let dx2 = half.phi_pred.backward(&x2, &dy, rows, &mut grads)?;
        let (dx1, dkeys) = half
            .branch_cross
            .backward(&t_cross, &dx2, inp.dims, &mut grads)?;
        let (mut dz, _) = half
            .self_attn
            .backward(&t_self, &dx1, inp.dims, &mut grads)?;
        dz.iter_mut().zip(&z).for_each(|(g, &v)| {
            if v <= T::ZERO {
                *g *= slope
            }
        });
        let dxin = phi.backward(&xin, &dz, rows, &mut grads)?;
        let mut de1 = Vec::with_capacity(rows * d);
        let mut dg = vec![T::ZERO; b * d];
        let mut dp = vec![T::ZERO; b * pd];
        for (r, row) in dxin.chunks_exact(k).enumerate() {
            let c = r / m;
            de1.extend_from_slice(&row[..d]);
            dg[c * d..(c + 1) * d]
                .iter_mut()
                .zip(&row[d..2 * d])
                .for_each(|(a, &v)| *a += v);
            dp[c * pd..(c + 1) * pd]
                .iter_mut()
                .zip(&row[2 * d..])
                .for_each(|(a, &v)| *a += v);
        }
        Ok(BranchGrads {
            loss,
            de1,
            dkeys: dkeys.unwrap_or_default(),
            dg,
            dp: (pd > 0).then_some(dp),
            grads,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{batch, tiny_dostransformer};
    use crate::{DosModel, DosTransformerConfig, UnseenRule};
    use candle_core::{DType, Device};
    use candle_nn::VarMap;
    use dos_config::Check;
    use dos_nn::gradcheck::max_abs_diff;

    /// The hand-written step equals `loss()` then one `backward()`: the loss and the
    /// gradient of every variable, to 1e-10 in f64, on a padded batch.
    fn equals_one_backward(cfg: &DosTransformerConfig, atoms: &[usize]) -> Result<()> {
        let vm = VarMap::new();
        let vb = dos_nn::SeededVarMap::var_builder(&vm, 5, DType::F64, &Device::Cpu);
        let model = DosTransformer::new(&cfg.check().map_err(candle_core::Error::wrap)?, vb)?;
        let b = batch(atoms, 17, DType::F64)?;
        let loss = model.loss(&b)?;
        let reference = loss.backward()?;
        let (host_loss, grads) = model.host_loss_and_grads(&b)?.expect("host path applies");
        let dl = (loss.to_scalar::<f64>()? - host_loss.to_scalar::<f64>()?).abs();
        assert!(dl < 1e-12, "loss differs by {dl}");
        let vars = vm.all_vars();
        assert!(vars.len() > 30);
        for v in &vars {
            let want = reference.get(v).expect("every variable has a gradient");
            let got = grads.sum(v)?.expect("host gradient");
            let diff = max_abs_diff(&got, want)?;
            assert!(diff < 1e-10, "{:?}: {diff}", v.dims());
        }
        Ok(())
    }

    #[test]
    fn host_step_equals_one_backward() -> Result<()> {
        let mut cfg = tiny_dostransformer();
        cfg.beta = 0.7;
        cfg.cross_layers = 2;
        cfg.self_layers = 2;
        cfg.branch_cross_layers = 2;
        equals_one_backward(&cfg, &[3, 1, 4])?;
        equals_one_backward(&cfg, &[2])
    }

    #[test]
    fn host_step_with_separate_kv_norm_and_unseen_systems() -> Result<()> {
        let mut cfg = tiny_dostransformer();
        cfg.separate_kv_norm = true;
        cfg.prompts.trained_systems = vec![0, 2, 3, 4, 5, 6];
        cfg.prompts.unseen_rule = UnseenRule::MeanOfTrained;
        // Crystal systems 0, 1, 2: system 1 is unseen and gets the mean of trained rows.
        equals_one_backward(&cfg, &[2, 3, 1])
    }

    #[test]
    fn projections_fall_back() -> Result<()> {
        let mut cfg = tiny_dostransformer();
        cfg.projections = true;
        cfg.heads = 2;
        let vm = VarMap::new();
        let vb = dos_nn::SeededVarMap::var_builder(&vm, 5, DType::F64, &Device::Cpu);
        let model = DosTransformer::new(&cfg.check().map_err(candle_core::Error::wrap)?, vb)?;
        assert!(model
            .host_loss_and_grads(&batch(&[2], 1, DType::F64)?)?
            .is_none());
        Ok(())
    }
}
