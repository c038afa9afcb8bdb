//! Collating [`Sample`]s into a [`CrystalBatch`].

use candle_core::{DType, Device, Tensor};

use crate::batch::CrystalBatch;
use crate::error::{DataError, Result};
use crate::graph::crystal_graph::Sample;

impl CrystalBatch {
    /// Concatenate the samples' graphs into one batch on `device`, floats in `dtype`.
    ///
    /// Node `a` of crystal `b` becomes node `o_b + a`, `o_b = Σ_{c<b} N_c`; edge endpoints are
    /// shifted by the same offset. `padded_index[b * n_max + a] = o_b + a` for `a < N_b` and 0
    /// for padding; `atom_mask[b, a] = [a < N_b]`. `targets` is present when every sample has a
    /// target (all of one length M).
    ///
    /// # Shapes
    /// See [`CrystalBatch`]: node_features (N, F), edge_features (E, F_e), edge_vectors (E, 3),
    /// senders / receivers (E,), node_crystal (N,), padded_index (B * n_max,),
    /// atom_mask (B, n_max), crystal_system (B,), targets (B, M).
    ///
    /// # Errors
    /// [`DataError::Invalid`] for an empty slice, samples with different feature widths, a
    /// mix of samples with and without targets or targets of different lengths, a non-float
    /// `dtype`, or a batch over `u32::MAX` nodes; [`DataError::Tensor`] from candle.
    ///
    /// # Example
    /// ```
    /// use dos_data::Check;
    /// use candle_core::{DType, Device};
    /// use dos_data::{graph::{GraphConfig, Sample}, Crystal, CrystalBatch};
    /// let cfg = GraphConfig::phonon().check().unwrap();
    /// let l = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]];
    /// let cu = Crystal::new(l, vec![29], vec![[0.0; 3]]).unwrap();
    /// let cubic = Some(dos_data::symmetry::CrystalSystem::Cubic);
    /// let s = Sample::new("cu", cu, &cfg, cubic, Some(vec![0.0; 51])).unwrap();
    /// let b = CrystalBatch::from_samples(&[&s, &s], &Device::Cpu, DType::F32).unwrap();
    /// assert_eq!(b.node_features.dims(), &[2, 118]);
    /// assert_eq!(b.targets.unwrap().dims(), &[2, 51]);
    /// ```
    pub fn from_samples(samples: &[&Sample], device: &Device, dtype: DType) -> Result<Self> {
        let invalid = |message: String| DataError::Invalid {
            field: "samples".into(),
            message,
        };
        let first = samples
            .first()
            .ok_or_else(|| invalid("cannot batch zero samples".into()))?;
        if !dtype.is_float() {
            return Err(DataError::Invalid {
                field: "dtype".into(),
                message: format!("{dtype:?} is not a float dtype"),
            });
        }
        let (f_node, f_edge) = (first.graph.node_dim, first.graph.edge_dim);
        let target_len = first.target.as_ref().map(Vec::len);
        let n_total: usize = samples.iter().map(|s| s.graph.n_atoms).sum();
        let e_total: usize = samples.iter().map(|s| s.graph.n_edges()).sum();
        if u32::try_from(n_total).is_err() {
            return Err(invalid(format!("{n_total} nodes do not fit u32 indices")));
        }
        let n_max = samples.iter().map(|s| s.graph.n_atoms).max().unwrap_or(0);
        let b = samples.len();

        let mut node_features = Vec::with_capacity(n_total * f_node);
        let mut edge_features = Vec::with_capacity(e_total * f_edge);
        let mut edge_vectors = Vec::with_capacity(e_total * 3);
        let mut senders = Vec::with_capacity(e_total);
        let mut receivers = Vec::with_capacity(e_total);
        let mut node_crystal = Vec::with_capacity(n_total);
        let mut padded_index = vec![0u32; b * n_max];
        let mut atom_mask = vec![0f64; b * n_max];
        let mut crystal_system = Vec::with_capacity(b);
        let mut targets = Vec::with_capacity(b * target_len.unwrap_or(0));
        let mut atoms_per_crystal = Vec::with_capacity(b);
        let mut ids = Vec::with_capacity(b);

        let mut offset = 0u32;
        for (k, s) in samples.iter().enumerate() {
            let g = &s.graph;
            if (g.node_dim, g.edge_dim) != (f_node, f_edge) {
                return Err(invalid(format!(
                    "sample {k} ({}) has feature widths ({}, {}), sample 0 ({f_node}, {f_edge})",
                    s.id, g.node_dim, g.edge_dim
                )));
            }
            if s.target.as_ref().map(Vec::len) != target_len {
                return Err(invalid(format!(
                    "sample {k} ({}) has target length {:?}, sample 0 {target_len:?}",
                    s.id,
                    s.target.as_ref().map(Vec::len)
                )));
            }
            node_features.extend_from_slice(&g.node_features);
            edge_features.extend_from_slice(&g.edge_features);
            edge_vectors.extend(g.edge_vectors.iter().flatten());
            senders.extend(g.senders.iter().map(|&j| j + offset));
            receivers.extend(g.receivers.iter().map(|&i| i + offset));
            node_crystal.extend(std::iter::repeat_n(k as u32, g.n_atoms));
            for a in 0..g.n_atoms {
                padded_index[k * n_max + a] = offset + a as u32;
                atom_mask[k * n_max + a] = 1.0;
            }
            crystal_system.push(s.prompt_index());
            if let Some(t) = &s.target {
                targets.extend_from_slice(t);
            }
            atoms_per_crystal.push(g.n_atoms);
            ids.push(s.id.clone());
            offset += g.n_atoms as u32;
        }

        let float = |v: Vec<f64>, shape: (usize, usize)| -> Result<Tensor> {
            Ok(Tensor::from_vec(v, shape, &Device::Cpu)?
                .to_dtype(dtype)?
                .to_device(device)?)
        };
        let index = |v: Vec<u32>| -> Result<Tensor> {
            let n = v.len();
            Ok(Tensor::from_vec(v, n, device)?)
        };
        Ok(Self {
            node_features: float(node_features, (n_total, f_node))?,
            edge_features: float(edge_features, (e_total, f_edge))?,
            edge_vectors: float(edge_vectors, (e_total, 3))?,
            senders: index(senders)?,
            receivers: index(receivers)?,
            node_crystal: index(node_crystal)?,
            padded_index: index(padded_index)?,
            atom_mask: float(atom_mask, (b, n_max))?,
            crystal_system: index(crystal_system)?,
            targets: match target_len {
                Some(m) => Some(float(targets, (b, m))?),
                None => None,
            },
            atoms_per_crystal,
            n_max,
            ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crystal::Crystal;
    use crate::graph::config::GraphConfig;
    use crate::symmetry::CrystalSystem;
    use crate::Check;

    fn samples() -> Vec<Sample> {
        let cfg = GraphConfig::phonon().check().unwrap();
        let nacl = crate::fixtures::rocksalt();
        let cu = Crystal::new(
            [[2.6, 0.0, 0.0], [0.0, 2.6, 0.0], [0.0, 0.0, 2.6]],
            vec![29],
            vec![[0.0; 3]],
        )
        .unwrap();
        let skew = Crystal::from_fractional(
            [[2.1, 0.0, 0.0], [1.7, 1.9, 0.0], [-1.3, 0.8, 2.3]],
            vec![6, 8, 1],
            &[[0.1, 0.2, 0.3], [0.6, 0.45, 0.9], [1.3, -0.7, 0.55]],
        )
        .unwrap();
        let target = |k: usize| Some((0..51).map(|i| ((i * (k + 1)) % 7) as f64 / 7.0).collect());
        vec![
            Sample::new("nacl", nacl, &cfg, Some(CrystalSystem::Cubic), target(0)).unwrap(),
            // unknown symmetry: prompt index UNKNOWN_CRYSTAL_SYSTEM
            Sample::new("cu", cu, &cfg, None, target(1)).unwrap(),
            Sample::new(
                "skew",
                skew,
                &cfg,
                Some(CrystalSystem::Triclinic),
                target(2),
            )
            .unwrap(),
        ]
    }

    fn f64s(t: &Tensor) -> Vec<f64> {
        t.flatten_all()
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    fn u32s(t: &Tensor) -> Vec<u32> {
        t.to_vec1().unwrap()
    }

    #[test]
    fn offsets_padding_and_mask_are_correct() {
        let s = samples();
        let refs: Vec<&Sample> = s.iter().collect();
        let b = CrystalBatch::from_samples(&refs, &Device::Cpu, DType::F64).unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(b.atoms_per_crystal, vec![2, 1, 3]);
        assert_eq!(b.n_max, 3);
        assert_eq!(b.ids, vec!["nacl", "cu", "skew"]);
        assert_eq!(u32s(&b.node_crystal), vec![0, 0, 1, 2, 2, 2]);
        assert_eq!(u32s(&b.padded_index), vec![0, 1, 0, 2, 0, 0, 3, 4, 5]);
        assert_eq!(f64s(&b.atom_mask), vec![1., 1., 0., 1., 0., 0., 1., 1., 1.]);
        assert_eq!(b.atom_mask.dims(), &[3, 3]);
        assert_eq!(u32s(&b.crystal_system), vec![0, 7, 6]);
        // every edge stays inside its crystal's node range
        let (snd, rcv, nc) = (u32s(&b.senders), u32s(&b.receivers), u32s(&b.node_crystal));
        let e0 = s[0].graph.n_edges();
        let e1 = s[1].graph.n_edges();
        for e in 0..snd.len() {
            let crystal = if e < e0 {
                0
            } else if e < e0 + e1 {
                1
            } else {
                2
            };
            assert_eq!(nc[snd[e] as usize], crystal);
            assert_eq!(nc[rcv[e] as usize], crystal);
        }
        // the padded gather reproduces each crystal's node features
        let gathered = b.node_features.index_select(&b.padded_index, 0).unwrap();
        let g = f64s(&gathered);
        assert_eq!(&g[3 * 118..4 * 118], &s[1].graph.node_features[..]);
        assert_eq!(&g[6 * 118..], &s[2].graph.node_features[..]);
    }

    #[test]
    fn batch_of_three_equals_the_three_single_batches() {
        let s = samples();
        let refs: Vec<&Sample> = s.iter().collect();
        let all = CrystalBatch::from_samples(&refs, &Device::Cpu, DType::F32).unwrap();
        let singles: Vec<CrystalBatch> = refs
            .iter()
            .map(|r| CrystalBatch::from_samples(&[*r], &Device::Cpu, DType::F32).unwrap())
            .collect();
        let cat = |f: &dyn Fn(&CrystalBatch) -> &Tensor| {
            let ts: Vec<&Tensor> = singles.iter().map(f).collect();
            f64s(&Tensor::cat(&ts, 0).unwrap())
        };
        assert_eq!(f64s(&all.node_features), cat(&|b| &b.node_features));
        assert_eq!(f64s(&all.edge_features), cat(&|b| &b.edge_features));
        assert_eq!(f64s(&all.edge_vectors), cat(&|b| &b.edge_vectors));
        assert_eq!(f64s(all.targets.as_ref().unwrap()), {
            let ts: Vec<&Tensor> = singles
                .iter()
                .map(|b| b.targets.as_ref().unwrap())
                .collect();
            f64s(&Tensor::cat(&ts, 0).unwrap())
        });
        // indices: the singles' indices plus the node offsets
        let mut off = 0u32;
        let (mut snd, mut rcv) = (vec![], vec![]);
        for (k, b) in singles.iter().enumerate() {
            snd.extend(u32s(&b.senders).iter().map(|x| x + off));
            rcv.extend(u32s(&b.receivers).iter().map(|x| x + off));
            assert_eq!(b.n_max, s[k].graph.n_atoms);
            assert_eq!(f64s(&b.atom_mask), vec![1.0; s[k].graph.n_atoms]);
            off += s[k].graph.n_atoms as u32;
        }
        assert_eq!(u32s(&all.senders), snd);
        assert_eq!(u32s(&all.receivers), rcv);
        assert_eq!(all.node_features.dtype(), DType::F32);
    }

    #[test]
    fn bad_batches_are_errors() {
        let s = samples();
        assert!(CrystalBatch::from_samples(&[], &Device::Cpu, DType::F32).is_err());
        assert!(CrystalBatch::from_samples(&[&s[0]], &Device::Cpu, DType::U32).is_err());
        let mut no_target = s[1].clone();
        no_target.target = None;
        assert!(
            CrystalBatch::from_samples(&[&s[0], &no_target], &Device::Cpu, DType::F32).is_err()
        );
        let b = CrystalBatch::from_samples(&[&no_target], &Device::Cpu, DType::F32).unwrap();
        assert!(b.targets.is_none());
        let cfg = GraphConfig::electron().check().unwrap();
        let other =
            Sample::new("e", s[0].crystal.clone(), &cfg, None, s[0].target.clone()).unwrap();
        assert!(CrystalBatch::from_samples(&[&s[0], &other], &Device::Cpu, DType::F32).is_err());
    }
}
