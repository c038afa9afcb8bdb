//! The DOSTransformer GNN (paper eq. 4-5).

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;
use dos_nn::EncoderMlp;

use dos_config::Checked;

use crate::{GnnConfig, GraphInput, ProcessorLayer};

/// Encoder-processor GNN: `h_i = phi_node(x_i)`, `b_ij = phi_edge(e_ij)`, then `layers`
/// residual [`ProcessorLayer`]s; returns the node states H.
///
/// Parameter tree: `node_encoder`, `edge_encoder` ([`EncoderMlp`]), `layers.{k}.edge_mlp`,
/// `layers.{k}.node_mlp`.
///
/// # Shapes
/// - input: see [`GraphInput`] (`node_features: (N, F)`, `edge_features: (E, F_e)`,
///   `senders`, `receivers: (E,)` u32)
/// - output: `(N, d)`
///
/// ```
/// use candle_core::{DType, Device, Tensor};
/// use candle_nn::{VarBuilder, VarMap};
/// use dos_graph::{Aggregation, Check, Gnn, GnnConfig, GraphInput};
/// # fn main() -> candle_core::Result<()> {
/// let dev = Device::Cpu;
/// let cfg = GnnConfig { node_in: 5, edge_in: 4, hidden: 16, layers: 3, aggregation: Aggregation::Mean };
/// let vm = VarMap::new();
/// let gnn = Gnn::new(&cfg.check()?, VarBuilder::from_varmap(&vm, DType::F32, &dev).pp("gnn"))?;
/// // Three atoms, four directed edges (atom 2 receives nothing).
/// let x = Tensor::randn(0f32, 1., (3, 5), &dev)?;
/// let e = Tensor::randn(0f32, 1., (4, 4), &dev)?;
/// let senders = Tensor::new(&[1u32, 0, 2, 2], &dev)?;
/// let receivers = Tensor::new(&[0u32, 1, 0, 1], &dev)?;
/// let input = GraphInput { node_features: &x, edge_features: &e, senders: &senders, receivers: &receivers };
/// let h = gnn.forward(&input)?;
/// assert_eq!(h.dims(), &[3, 16]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Gnn {
    pub(crate) node_encoder: EncoderMlp,
    pub(crate) edge_encoder: EncoderMlp,
    pub(crate) layers: Vec<ProcessorLayer>,
    pub(crate) cfg: GnnConfig,
}

impl Gnn {
    /// Creates (or loads) the parameters under `vb`.
    pub fn new(cfg: &Checked<GnnConfig>, vb: VarBuilder) -> Result<Self> {
        let d = cfg.hidden;
        let vl = vb.pp("layers");
        let layers = (0..cfg.layers)
            .map(|k| ProcessorLayer::new(d, cfg.aggregation, vl.pp(k)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            node_encoder: EncoderMlp::new(cfg.node_in, d, vb.pp("node_encoder"))?,
            edge_encoder: EncoderMlp::new(cfg.edge_in, d, vb.pp("edge_encoder"))?,
            layers,
            cfg: cfg.get().clone(),
        })
    }

    /// The configuration this GNN was built with.
    pub fn config(&self) -> &GnnConfig {
        &self.cfg
    }

    /// Node states H after the last processor layer; see the type docs.
    pub fn forward(&self, input: &GraphInput) -> Result<Tensor> {
        self.forward_with_edges(input).map(|(h, _)| h)
    }

    /// As [`Gnn::forward`], also returning the final edge states `(E, d)`.
    pub fn forward_with_edges(&self, input: &GraphInput) -> Result<(Tensor, Tensor)> {
        let (_n, e) = input
            .check_shapes(self.cfg.node_in, self.cfg.edge_in)
            .map_err(candle_core::Error::from)?;
        let mut h = self.node_encoder.forward(input.node_features)?;
        let mut b = if e == 0 {
            Tensor::zeros((0, self.cfg.hidden), h.dtype(), h.device())?
        } else {
            self.edge_encoder.forward(input.edge_features)?
        };
        for layer in &self.layers {
            (h, b) = layer.forward(&h, &b, input.senders, input.receivers)?;
        }
        Ok((h, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Aggregation;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;
    use dos_config::Check;
    use dos_nn::gradcheck::{assert_gradients_ok, check_gradients, max_abs_diff, GradCheckOptions};
    use dos_nn::seeded_randn;

    struct Graph {
        x: Tensor,
        e: Tensor,
        s: Tensor,
        r: Tensor,
    }

    impl Graph {
        fn new(x: Tensor, e: Tensor, s: &[u32], r: &[u32]) -> Result<Self> {
            let dev = x.device().clone();
            Ok(Self {
                x,
                e,
                s: Tensor::new(s, &dev)?,
                r: Tensor::new(r, &dev)?,
            })
        }
        fn random(n: usize, s: &[u32], r: &[u32], f: usize, fe: usize) -> Result<Self> {
            let dev = Device::Cpu;
            let x = seeded_randn(1, 0f64, 1., (n, f), &dev)?;
            let e = seeded_randn(2, 0f64, 1., (s.len(), fe), &dev)?;
            Self::new(x, e, s, r)
        }
        fn input(&self) -> GraphInput<'_> {
            GraphInput {
                node_features: &self.x,
                edge_features: &self.e,
                senders: &self.s,
                receivers: &self.r,
            }
        }
    }

    fn cfg(aggregation: Aggregation, layers: usize) -> Checked<GnnConfig> {
        GnnConfig {
            node_in: 3,
            edge_in: 2,
            hidden: 4,
            layers,
            aggregation,
        }
        .check()
        .expect("test config is valid")
    }

    #[test]
    fn shapes_and_parameter_names() -> Result<()> {
        let vm = VarMap::new();
        let gnn = Gnn::new(
            &cfg(Aggregation::Sum, 2),
            dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F64, &Device::Cpu),
        )?;
        let g = Graph::random(4, &[0, 1, 2, 3, 1], &[1, 0, 3, 2, 2], 3, 2)?;
        let (h, b) = gnn.forward_with_edges(&g.input())?;
        assert_eq!(h.dims(), &[4, 4]);
        assert_eq!(b.dims(), &[5, 4]);
        let names = vm.data().lock().unwrap();
        for n in [
            "node_encoder.fc1.weight",
            "edge_encoder.act.weight",
            "layers.0.edge_mlp.fc1.weight",
            "layers.1.node_mlp.norm.bias",
        ] {
            assert!(names.contains_key(n), "missing {n}");
        }
        assert_eq!(names["layers.0.edge_mlp.fc1.weight"].dims(), &[8, 12]);
        assert_eq!(names["layers.0.node_mlp.fc1.weight"].dims(), &[8, 8]);
        Ok(())
    }

    #[test]
    fn gradients_match_finite_differences_for_every_parameter() -> Result<()> {
        for aggregation in [Aggregation::Mean, Aggregation::Sum] {
            let vm = VarMap::new();
            let gnn = Gnn::new(
                &cfg(aggregation, 2),
                dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F64, &Device::Cpu),
            )?;
            // Atom 3 receives no edge.
            let g = Graph::random(4, &[0, 1, 2, 3, 1], &[1, 0, 0, 2, 2], 3, 2)?;
            let c = seeded_randn(3, 0f64, 1., (4, 4), &Device::Cpu)?;
            // Step 1e-5, not the default 1e-6: at 1e-6 the difference quotient's rounding
            // error (~1e-9 here) reached the 1e-5 tolerance on 1e-4-sized gradients in about
            // one run in ten (unseeded inputs); truncation error at 1e-5 is far smaller.
            let report = check_gradients(
                &vm,
                || (gnn.forward(&g.input())?.sin()? * &c)?.sum_all(),
                &GradCheckOptions {
                    step: 1e-5,
                    ..GradCheckOptions::default()
                },
            )?;
            assert_eq!(report.variables.len(), 2 * 5 + 2 * 2 * 7);
            assert_gradients_ok(&report, 1e-5);
        }
        Ok(())
    }

    #[test]
    fn permuting_atoms_permutes_output() -> Result<()> {
        let vm = VarMap::new();
        let gnn = Gnn::new(
            &cfg(Aggregation::Mean, 3),
            dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F64, &Device::Cpu),
        )?;
        let (s, r) = ([0u32, 1, 2, 3, 4, 4, 2], [1u32, 2, 3, 4, 0, 1, 0]);
        let g = Graph::random(5, &s, &r, 3, 2)?;
        let h = gnn.forward(&g.input())?;

        // New node k is old node perm[k]; edges are also listed in reverse order.
        let perm = [3u32, 0, 4, 1, 2];
        let mut inv = [0u32; 5];
        for (k, &p) in perm.iter().enumerate() {
            inv[p as usize] = k as u32;
        }
        let s2: Vec<u32> = s.iter().rev().map(|&i| inv[i as usize]).collect();
        let r2: Vec<u32> = r.iter().rev().map(|&i| inv[i as usize]).collect();
        let rev: Vec<u32> = (0..s.len() as u32).rev().collect();
        let dev = Device::Cpu;
        let x2 = g.x.index_select(&Tensor::new(&perm, &dev)?, 0)?;
        let e2 = g.e.index_select(&Tensor::new(rev.as_slice(), &dev)?, 0)?;
        let g2 = Graph::new(x2, e2, &s2, &r2)?;
        let h2 = gnn.forward(&g2.input())?;
        let expected = h.index_select(&Tensor::new(&perm, &dev)?, 0)?;
        assert!(max_abs_diff(&h2, &expected)? < 1e-12);
        Ok(())
    }

    #[test]
    fn concatenated_crystals_equal_each_alone() -> Result<()> {
        let vm = VarMap::new();
        let gnn = Gnn::new(
            &cfg(Aggregation::Sum, 2),
            dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F64, &Device::Cpu),
        )?;
        let a = Graph::random(3, &[0, 1, 2, 2], &[1, 2, 0, 1], 3, 2)?;
        let b = Graph::random(2, &[0, 1, 1], &[1, 0, 0], 3, 2)?;
        let both = Graph::new(
            Tensor::cat(&[&a.x, &b.x], 0)?,
            Tensor::cat(&[&a.e, &b.e], 0)?,
            &[0, 1, 2, 2, 3, 4, 4],
            &[1, 2, 0, 1, 4, 3, 3],
        )?;
        let h = gnn.forward(&both.input())?;
        assert!(max_abs_diff(&h.narrow(0, 0, 3)?, &gnn.forward(&a.input())?)? < 1e-12);
        assert!(max_abs_diff(&h.narrow(0, 3, 2)?, &gnn.forward(&b.input())?)? < 1e-12);
        Ok(())
    }

    #[test]
    fn isolated_atom_with_mean_is_finite_and_independent() -> Result<()> {
        let vm = VarMap::new();
        let gnn = Gnn::new(
            &cfg(Aggregation::Mean, 3),
            dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F64, &Device::Cpu),
        )?;
        // Atom 2 has no edge at all.
        let g = Graph::random(3, &[0, 1], &[1, 0], 3, 2)?;
        let h = gnn.forward(&g.input())?;
        assert!(h
            .flatten_all()?
            .to_vec1::<f64>()?
            .iter()
            .all(|v| v.is_finite()));
        // Same atom as a one-atom graph without edges.
        let alone = Graph::new(
            g.x.narrow(0, 2, 1)?,
            Tensor::zeros((0, 2), DType::F64, &Device::Cpu)?,
            &[],
            &[],
        )?;
        let h_alone = gnn.forward(&alone.input())?;
        assert!(max_abs_diff(&h.narrow(0, 2, 1)?, &h_alone)? < 1e-12);
        Ok(())
    }

    #[test]
    fn wrong_input_width_is_an_error_naming_the_tensor() -> Result<()> {
        let vm = VarMap::new();
        let gnn = Gnn::new(
            &cfg(Aggregation::Sum, 1),
            dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F64, &Device::Cpu),
        )?;
        let g = Graph::random(2, &[0], &[1], 5, 2)?;
        let err = gnn.forward(&g.input()).unwrap_err().to_string();
        assert!(err.contains("node_features"), "{err}");
        let bad = GnnConfig {
            node_in: 0,
            ..cfg(Aggregation::Sum, 1).into_inner()
        };
        assert!(bad.check().is_err());
        Ok(())
    }
}
