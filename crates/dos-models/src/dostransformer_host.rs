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
//! Same maths as [`DosModel::loss`](crate::DosModel::loss) followed by `backward()` (tested to 1e-10 in f64 in this
//! file); used for the released attention block (one head, no projections) on f32 / f64
//! CPU tensors, and `None` otherwise.

use candle_core::{DType, Result, Tensor};
use dos_attn::{HostDims, HostKeys, HostStack, HostStackTape};
use dos_data::CrystalBatch;
use dos_graph::{HostGnn, HostGnnTape, HostGraph};
use dos_nn::host::{tensor_of, HostFloat, HostGrads, HostLinear, HostTensor, Real};
use dos_nn::SummedGrads;

use crate::dostransformer::{Branch, DosTransformer, LEAKY_SLOPE};
use crate::loss::targets;

/// The weights of the hand-written step, borrowed.
struct HostHalf<'a, T> {
    gnn: HostGnn<'a, T>,
    pool_linear: HostLinear<'a, T>,
    cross: HostStack<'a, T>,
    self_attn: HostStack<'a, T>,
    branch_cross: HostStack<'a, T>,
    phi_global: HostLinear<'a, T>,
    phi_system: HostLinear<'a, T>,
    phi_pred: HostLinear<'a, T>,
}

/// A batch converted for the hand-written step.
struct BatchValues {
    x: Tensor,
    e: Tensor,
    mask: Tensor,
    /// Prompt rows `P_s` with their candle graph, and their values in `T`.
    prompts: Tensor,
    p: Tensor,
    targets: Option<Tensor>,
    senders: Vec<u32>,
    receivers: Vec<u32>,
    node_crystal: Vec<u32>,
    padded_index: Vec<u32>,
    b: usize,
    n_max: usize,
}

impl BatchValues {
    fn graph<'a, T>(&'a self, x: &'a [T], e: &'a [T]) -> HostGraph<'a, T> {
        HostGraph {
            x,
            e,
            senders: &self.senders,
            receivers: &self.receivers,
            n: self.node_crystal.len(),
        }
    }
}

/// The trunk's outputs (steps 1-4) with what its backward pass needs.
struct HostTrunk<T> {
    dims: HostDims,
    gnn_tape: Option<HostGnnTape<T>>,
    atoms: Vec<T>,
    pooled: Vec<T>,
    g: Vec<T>,
    e1: Vec<T>,
    cross_tape: Option<HostStackTape<T>>,
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
    /// The training loss ([`DosModel::loss`](crate::DosModel::loss)) and its gradients for every variable, with the
    /// attention half written by hand (see the module docs). `None` when that path does not
    /// apply: a device other than the CPU, a dtype other than f32 / f64, or attention blocks
    /// with projections.
    #[doc(hidden)]
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
        let (Some(cross), Some(self_attn), Some(branch_cross), Some(gnn)) = (
            self.cross.host::<T>()?,
            self.self_attn.host::<T>()?,
            self.branch_cross.host::<T>()?,
            self.gnn.host::<T>()?,
        ) else {
            return Ok(None);
        };
        let (Some(phi_global), Some(phi_system), Some(phi_pred), Some(pool_linear)) = (
            HostLinear::with_bias(&self.phi_global)?,
            HostLinear::with_bias(&self.phi_system)?,
            HostLinear::with_bias(&self.phi_pred)?,
            HostLinear::with_bias(&self.pool_linear)?,
        ) else {
            return Ok(None);
        };
        Ok(Some(HostHalf {
            gnn,
            pool_linear,
            cross,
            self_attn,
            branch_cross,
            phi_global,
            phi_system,
            phi_pred,
        }))
    }

    /// The batch's values in `T` (and the prompt rows with their candle graph).
    fn host_batch<T: HostFloat>(
        &self,
        batch: &CrystalBatch,
        with_targets: bool,
    ) -> Result<BatchValues> {
        let host = |x: &Tensor| -> Result<Tensor> { x.detach().to_dtype(T::DTYPE)?.contiguous() };
        let prompts = self
            .prompts
            .forward(&batch.crystal_system, &self.prompt_cfg.unseen_systems())?;
        let targets = match with_targets {
            true => Some(host(&targets(batch, self.n_energies)?)?),
            false => None,
        };
        let v = BatchValues {
            x: host(&batch.node_features)?,
            e: host(&batch.edge_features)?,
            mask: host(&batch.atom_mask)?,
            p: host(&prompts)?,
            prompts,
            targets,
            senders: batch.senders.to_vec1::<u32>()?,
            receivers: batch.receivers.to_vec1::<u32>()?,
            node_crystal: batch.node_crystal.to_vec1::<u32>()?,
            padded_index: batch.padded_index.to_vec1::<u32>()?,
            b: batch.len(),
            n_max: batch.n_max,
        };
        let (n, bn) = (v.node_crystal.len(), v.b * v.n_max);
        if v.padded_index.len() != bn
            || v.mask.elem_count() != bn
            || v.padded_index.iter().any(|&i| i as usize >= n.max(1))
            || v.node_crystal.iter().any(|&c| c as usize >= v.b)
        {
            candle_core::bail!("host step: batch index arrays do not match the batch");
        }
        Ok(v)
    }

    /// Steps 1-4 by hand: GNN, padded atoms `Ĥ`, pooled `g`, `E¹ = CrossAttn_{L1}(E, Ĥ)`.
    fn host_trunk<T: HostFloat>(
        &self,
        half: &HostHalf<'_, T>,
        v: &BatchValues,
        graph: &HostGraph<'_, T>,
        mask: &[T],
        record: bool,
    ) -> Result<HostTrunk<T>> {
        let (b, n_max, n) = (v.b, v.n_max, graph.n);
        let e = HostTensor::<T>::new(self.energy.weight())?;
        let (m, d) = self.energy.weight().dims2()?;
        let (h, gnn_tape) = half.gnn.forward(graph, record)?;
        let mut atoms = vec![T::ZERO; b * n_max * d];
        if n > 0 {
            for (slot, (&i, &w)) in v.padded_index.iter().zip(mask).enumerate() {
                let i = i as usize;
                atoms[slot * d..(slot + 1) * d]
                    .iter_mut()
                    .zip(&h[i * d..(i + 1) * d])
                    .for_each(|(a, &x)| *a = x * w);
            }
        }
        let mut pooled = vec![T::ZERO; b * d];
        for (i, &c) in v.node_crystal.iter().enumerate() {
            let c = c as usize;
            pooled[c * d..(c + 1) * d]
                .iter_mut()
                .zip(&h[i * d..(i + 1) * d])
                .for_each(|(a, &x)| *a += x);
        }
        let g = half.pool_linear.forward(&pooled, b)?;
        let dims = HostDims { b, m, d };
        let q0: Vec<T> = e.as_slice().repeat(b);
        let keys = HostKeys {
            h: &atoms,
            mask,
            n: n_max,
        };
        let (e1, cross_tape) = half.cross.forward(&q0, dims, Some(keys), record)?;
        Ok(HostTrunk {
            dims,
            gnn_tape,
            atoms,
            pooled,
            g,
            e1,
            cross_tape,
        })
    }

    /// [`DosModel::predict`](crate::DosModel::predict) by hand (the system branch, forward only), or `None` where the
    /// hand-written path does not apply (as [`DosTransformer::host_loss_and_grads`]).
    #[doc(hidden)]
    pub fn host_predict(&self, batch: &CrystalBatch) -> Result<Option<Tensor>> {
        let x = &batch.node_features;
        if !x.device().is_cpu() {
            return Ok(None);
        }
        match x.dtype() {
            DType::F32 => self.host_predict_in::<f32>(batch),
            DType::F64 => self.host_predict_in::<f64>(batch),
            _ => Ok(None),
        }
    }

    fn host_predict_in<T: HostFloat>(&self, batch: &CrystalBatch) -> Result<Option<Tensor>> {
        let Some(half) = self.host_half::<T>()? else {
            return Ok(None);
        };
        let v = self.host_batch::<T>(batch, false)?;
        let (x, e, mask, p) = (
            HostTensor::<T>::new(&v.x)?,
            HostTensor::<T>::new(&v.e)?,
            HostTensor::<T>::new(&v.mask)?,
            HostTensor::<T>::new(&v.p)?,
        );
        let graph = v.graph(x.as_slice(), e.as_slice());
        let trunk = self.host_trunk(&half, &v, &graph, mask.as_slice(), false)?;
        let inputs = HalfInputs {
            dims: trunk.dims,
            keys: HostKeys {
                h: &trunk.atoms,
                mask: mask.as_slice(),
                n: v.n_max,
            },
            g: &trunk.g,
            p: p.as_slice(),
            t: &[],
        };
        let xin = branch_input(&inputs, &trunk.e1, Branch::System);
        let y = self
            .branch_forward(&half, &inputs, &xin, Branch::System, false)?
            .y;
        let (b, m) = (trunk.dims.b, trunk.dims.m);
        Ok(Some(
            tensor_of(y, &[b, m])?.to_dtype(batch.node_features.dtype())?,
        ))
    }

    fn host_step<T: HostFloat>(
        &self,
        batch: &CrystalBatch,
    ) -> Result<Option<(Tensor, SummedGrads)>> {
        let Some(half) = self.host_half::<T>()? else {
            return Ok(None);
        };
        let v = self.host_batch::<T>(batch, true)?;
        let Some(t_v) = &v.targets else {
            candle_core::bail!("host step: no targets");
        };
        let (x, e, mask, p, t) = (
            HostTensor::<T>::new(&v.x)?,
            HostTensor::<T>::new(&v.e)?,
            HostTensor::<T>::new(&v.mask)?,
            HostTensor::<T>::new(&v.p)?,
            HostTensor::<T>::new(t_v)?,
        );
        let mask = mask.as_slice();
        let graph = v.graph(x.as_slice(), e.as_slice());
        let trunk = self.host_trunk(&half, &v, &graph, mask, true)?;
        let HostDims { b, m, d } = trunk.dims;
        let n = graph.n;
        let inputs = HalfInputs {
            dims: trunk.dims,
            keys: HostKeys {
                h: &trunk.atoms,
                mask,
                n: v.n_max,
            },
            g: &trunk.g,
            p: p.as_slice(),
            t: t.as_slice(),
        };
        // Both branches on two threads (one after the other when rayon has one).
        let (global, system) = dos_nn::join_if_parallel(
            || self.host_branch(&half, &inputs, &trunk.e1, Branch::Global),
            || self.host_branch(&half, &inputs, &trunk.e1, Branch::System),
        );
        let (global, system) = (global?, system?);
        let de1: Vec<T> = global
            .de1
            .iter()
            .zip(&system.de1)
            .map(|(&a, &b)| a + b)
            .collect();
        let mut trunk_grads = HostGrads::default();
        let Some(cross_tape) = &trunk.cross_tape else {
            candle_core::bail!("host step: no tape recorded");
        };
        let (dq0, dkeys) = half
            .cross
            .backward(cross_tape, &de1, trunk.dims, &mut trunk_grads)?;
        let mut de = vec![T::ZERO; m * d];
        for chunk in dq0.chunks_exact(m * d) {
            de.iter_mut().zip(chunk).for_each(|(a, &v)| *a += v);
        }
        trunk_grads.add(self.energy.weight(), &de)?;
        let mut datoms = dkeys.unwrap_or_else(|| vec![T::ZERO; trunk.atoms.len()]);
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
        let dpooled = half
            .pool_linear
            .backward(&trunk.pooled, &dg, b, &mut trunk_grads)?;
        let mut dh = vec![T::ZERO; n * d];
        for (i, &c) in v.node_crystal.iter().enumerate() {
            let c = c as usize;
            dh[i * d..(i + 1) * d]
                .iter_mut()
                .zip(&dpooled[c * d..(c + 1) * d])
                .for_each(|(a, &x)| *a += x);
        }
        if n > 0 {
            for (slot, (&i, &w)) in v.padded_index.iter().zip(mask).enumerate() {
                let i = i as usize;
                dh[i * d..(i + 1) * d]
                    .iter_mut()
                    .zip(&datoms[slot * d..(slot + 1) * d])
                    .for_each(|(a, &x)| *a += x * w);
            }
        }
        let Some(gnn_tape) = &trunk.gnn_tape else {
            candle_core::bail!("host step: no tape recorded");
        };
        half.gnn.backward(gnn_tape, &graph, dh, &mut trunk_grads)?;
        let loss = global.loss + system.loss;
        let dtype = batch.node_features.dtype();
        let mut grads = SummedGrads::new(Vec::new());
        // The prompts' gradient through candle's graph: Σ P ⊙ dP, dP held constant.
        if let Some(dp) = system.dp {
            let dp = tensor_of(dp, v.prompts.dims())?.to_dtype(v.prompts.dtype())?;
            grads = SummedGrads::new(vec![v.prompts.mul(&dp)?.sum_all()?.backward()?]);
        }
        for part in [trunk_grads, global.grads, system.grads] {
            grads.push_map(part.into_map()?);
        }
        let loss = Tensor::new(loss, batch.node_features.device())?.to_dtype(dtype)?;
        Ok(Some((loss, grads)))
    }

    /// `φ`, LeakyReLU, the shared self- and cross-attention stacks and `φ_pred` of one
    /// branch on its input `[E¹ | g (| P_s)]`.
    fn branch_forward<T: HostFloat>(
        &self,
        half: &HostHalf<'_, T>,
        inp: &HalfInputs<'_, T>,
        xin: &[T],
        branch: Branch,
        record: bool,
    ) -> Result<BranchForward<T>> {
        let rows = inp.dims.b * inp.dims.m;
        let phi = match branch {
            Branch::Global => &half.phi_global,
            Branch::System => &half.phi_system,
        };
        if xin.len() != rows * phi.inp {
            candle_core::bail!("host branch: inputs do not match the model");
        }
        let z = phi.forward(xin, rows)?;
        let slope = T::of(LEAKY_SLOPE);
        let x0: Vec<T> = z
            .iter()
            .map(|&v| if v > T::ZERO { v } else { v * slope })
            .collect();
        let (x1, t_self) = half.self_attn.forward(&x0, inp.dims, None, record)?;
        let (x2, t_cross) = half
            .branch_cross
            .forward(&x1, inp.dims, Some(inp.keys), record)?;
        let y = half.phi_pred.forward(&x2, rows)?;
        Ok(BranchForward {
            z,
            t_self,
            x2,
            t_cross,
            y,
        })
    }

    /// One branch forward and backward: its term of the loss, the gradients of its inputs
    /// and of its weights.
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
        if inp.t.len() != rows {
            candle_core::bail!("host branch: targets do not match the model");
        }
        let xin = branch_input(inp, e1, branch);
        let BranchForward {
            z,
            t_self,
            x2,
            t_cross,
            y,
        } = self.branch_forward(half, inp, &xin, branch, true)?;
        let slope = T::of(LEAKY_SLOPE);
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

/// A branch's input rows `[E¹ | g | P_s]` (the prompt only for the system branch).
fn branch_input<T: HostFloat>(inp: &HalfInputs<'_, T>, e1: &[T], branch: Branch) -> Vec<T> {
    let HostDims { b, m, d } = inp.dims;
    let pd = match branch {
        Branch::Global => 0,
        Branch::System => inp.p.len() / b.max(1),
    };
    let mut xin = Vec::with_capacity(b * m * (2 * d + pd));
    for (r, e1_row) in e1.chunks_exact(d).enumerate() {
        let c = r / m;
        xin.extend_from_slice(e1_row);
        xin.extend_from_slice(&inp.g[c * d..(c + 1) * d]);
        xin.extend_from_slice(&inp.p[c * pd..(c + 1) * pd]);
    }
    xin
}

/// A branch's forward values with its tapes (when recorded).
struct BranchForward<T> {
    z: Vec<T>,
    t_self: Option<HostStackTape<T>>,
    x2: Vec<T>,
    t_cross: Option<HostStackTape<T>>,
    y: Vec<T>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{batch, tiny_dostransformer};
    use crate::{DosModel, DosTransformerConfig, UnseenRule};
    use candle_core::{DType, Device};
    use candle_nn::VarMap;
    use dos_config::Check;
    use dos_data::symmetry::CrystalSystem;
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
        cfg.prompts.trained_systems = CrystalSystem::ALL.to_vec();
        cfg.prompts
            .trained_systems
            .remove(CrystalSystem::Hexagonal.index());
        cfg.prompts.unseen_rule = UnseenRule::MeanOfTrained;
        // Crystal systems 0, 1, 2: system 1 is unseen and gets the mean of trained rows.
        equals_one_backward(&cfg, &[2, 3, 1])
    }

    #[test]
    fn host_predict_equals_the_composed_prediction() -> Result<()> {
        let mut cfg = tiny_dostransformer();
        cfg.separate_kv_norm = true;
        let vm = VarMap::new();
        let vb = dos_nn::SeededVarMap::var_builder(&vm, 5, DType::F64, &Device::Cpu);
        let model = DosTransformer::new(&cfg.check().map_err(candle_core::Error::wrap)?, vb)?;
        let b = batch(&[3, 1, 4], 9, DType::F64)?;
        let host = model.host_predict(&b)?.expect("host path applies");
        let diff = max_abs_diff(&host, &model.composed_predict(&b)?)?;
        assert!(diff < 1e-12, "{diff}");
        // A crystal predicts the same alone as padded in the batch.
        let alone = model
            .host_predict(&batch(&[3], 9, DType::F64)?)?
            .expect("host");
        let diff = max_abs_diff(&alone.get(0)?, &host.get(0)?)?;
        assert!(diff < 1e-12, "{diff}");
        Ok(())
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
