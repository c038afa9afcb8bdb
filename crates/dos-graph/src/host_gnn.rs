//! Hand-written forward and backward passes of the [`Gnn`] on the CPU.
//!
//! [`Gnn::host`] borrows the GNN's weights as a [`HostGnn`], which runs the same maths as
//! [`Gnn::forward`] over plain slices (encoders, then per processor layer the edge update
//! `b += MLP_e([h_r | h_s | b])` with its first layer split as `(h W_r)[r] + (h W_s)[s] +
//! b W_b`, the mean or sum over incoming edges, and the node update `h += MLP_n([h | agg])`),
//! and its exact backward pass, with no autograd graph. Tested against [`Gnn::forward`] and
//! `backward()` (values and every gradient, f64) below.

use candle_core::{bail, Result};
use dos_nn::host::{
    add_row_sums, matmul, HostFloat, HostGrads, HostLinear, HostNorm, HostPrelu, MatView, NormTape,
};
use dos_nn::{EncoderMlp, NormMlp};

use crate::{Aggregation, Gnn};

/// A graph as host values: `n` nodes with features `x` `(N, F)`, edges with features `e`
/// `(E, F_e)`, senders and receivers in `0..N`.
#[derive(Debug, Clone, Copy)]
pub struct HostGraph<'a, T> {
    /// Node features `(N, F)`.
    pub x: &'a [T],
    /// Edge features `(E, F_e)`.
    pub e: &'a [T],
    /// Sender of each edge.
    pub senders: &'a [u32],
    /// Receiver of each edge.
    pub receivers: &'a [u32],
    /// Node count N.
    pub n: usize,
}

struct HostEncoder<'a, T> {
    fc1: HostLinear<'a, T>,
    act: HostPrelu<'a, T>,
    fc2: HostLinear<'a, T>,
}

struct EncoderTape<T> {
    a: Vec<T>,
    y: Vec<T>,
}

impl<'a, T: HostFloat> HostEncoder<'a, T> {
    fn new(mlp: &'a EncoderMlp) -> Result<Option<Self>> {
        let (fc1, act, fc2) = mlp.parts();
        let (Some(fc1), Some(fc2)) = (HostLinear::with_bias(fc1)?, HostLinear::with_bias(fc2)?)
        else {
            return Ok(None);
        };
        Ok(Some(Self {
            fc1,
            act: HostPrelu::new(act)?,
            fc2,
        }))
    }

    fn forward(&self, x: &[T], rows: usize) -> Result<(Vec<T>, EncoderTape<T>)> {
        let a = self.fc1.forward(x, rows)?;
        let y = self.act.forward(&a);
        Ok((self.fc2.forward(&y, rows)?, EncoderTape { a, y }))
    }

    fn backward(
        &self,
        t: &EncoderTape<T>,
        x: &[T],
        dout: &[T],
        rows: usize,
        grads: &mut HostGrads<T>,
    ) -> Result<()> {
        let mut dy = self.fc2.backward(&t.y, dout, rows, grads)?;
        self.act.backward(&t.a, &mut dy, grads);
        self.fc1.backward(x, &dy, rows, grads).map(|_| ())
    }
}

/// `fc2(PReLU(LN(z)))` of a [`NormMlp`], `z = fc1(x)` computed by the caller.
struct HostNormMlp<'a, T> {
    fc1: HostLinear<'a, T>,
    norm: HostNorm<'a, T>,
    act: HostPrelu<'a, T>,
    fc2: HostLinear<'a, T>,
}

struct NormMlpTape<T> {
    ln: NormTape<T>,
    y: Vec<T>,
}

impl<'a, T: HostFloat> HostNormMlp<'a, T> {
    fn new(mlp: &'a NormMlp) -> Result<Option<Self>> {
        let (fc1, norm, act, fc2) = mlp.parts();
        let (Some(fc1), Some(fc2)) = (HostLinear::with_bias(fc1)?, HostLinear::with_bias(fc2)?)
        else {
            return Ok(None);
        };
        Ok(Some(Self {
            fc1,
            norm: HostNorm::new(norm)?,
            act: HostPrelu::new(act)?,
            fc2,
        }))
    }

    fn after_fc1(&self, z: &[T], rows: usize) -> Result<(Vec<T>, NormMlpTape<T>)> {
        let ln = self.norm.forward(z)?;
        let y = self.act.forward(&ln.y);
        Ok((self.fc2.forward(&y, rows)?, NormMlpTape { ln, y }))
    }

    /// The gradient of `z` for the output gradient `dout`.
    fn after_fc1_backward(
        &self,
        t: &NormMlpTape<T>,
        dout: &[T],
        rows: usize,
        grads: &mut HostGrads<T>,
    ) -> Result<Vec<T>> {
        let mut dy = self.fc2.backward(&t.y, dout, rows, grads)?;
        self.act.backward(&t.ln.y, &mut dy, grads);
        let mut dz = vec![T::ZERO; t.ln.y.len()];
        self.norm.backward(&t.ln, &dy, &mut dz, grads)?;
        Ok(dz)
    }
}

struct HostLayer<'a, T> {
    edge: HostNormMlp<'a, T>,
    node: HostNormMlp<'a, T>,
}

struct LayerTape<T> {
    h: Vec<T>,
    b: Vec<T>,
    edge: Option<NormMlpTape<T>>,
    xin: Vec<T>,
    node: NormMlpTape<T>,
}

/// The GNN's weights borrowed for a hand-written pass; see the module docs.
pub struct HostGnn<'a, T> {
    node_encoder: HostEncoder<'a, T>,
    edge_encoder: HostEncoder<'a, T>,
    layers: Vec<HostLayer<'a, T>>,
    d: usize,
    mean: bool,
}

/// What [`HostGnn::backward`] needs from [`HostGnn::forward`].
pub struct HostGnnTape<T> {
    node_encoder: EncoderTape<T>,
    edge_encoder: Option<EncoderTape<T>>,
    layers: Vec<LayerTape<T>>,
    /// `1 / max(1, in-degree)` per node (mean) or 1 (sum).
    inv_count: Vec<T>,
}

impl Gnn {
    /// The GNN's weights for a hand-written CPU pass in `T`, or `None` when a layer has no
    /// bias; an error when the weights are not contiguous CPU tensors of dtype `T`.
    pub fn host<T: HostFloat>(&self) -> Result<Option<HostGnn<'_, T>>> {
        let (Some(node_encoder), Some(edge_encoder)) = (
            HostEncoder::new(&self.node_encoder)?,
            HostEncoder::new(&self.edge_encoder)?,
        ) else {
            return Ok(None);
        };
        let mut layers = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            let (Some(edge), Some(node)) = (
                HostNormMlp::new(&l.edge_mlp)?,
                HostNormMlp::new(&l.node_mlp)?,
            ) else {
                return Ok(None);
            };
            layers.push(HostLayer { edge, node });
        }
        Ok(Some(HostGnn {
            node_encoder,
            edge_encoder,
            layers,
            d: self.cfg.hidden,
            mean: self.cfg.aggregation == Aggregation::Mean,
        }))
    }
}

impl<T: HostFloat> HostGnn<'_, T> {
    fn check(&self, g: &HostGraph<'_, T>) -> Result<usize> {
        let e = g.senders.len();
        if g.receivers.len() != e
            || g.x.len() != g.n * self.node_encoder.fc1.inp
            || g.e.len() != e * self.edge_encoder.fc1.inp
        {
            bail!("host gnn: graph arrays do not match (N = {}, E = {e})", g.n);
        }
        if let Some(&i) = g
            .senders
            .iter()
            .chain(g.receivers)
            .find(|&&i| i as usize >= g.n)
        {
            bail!("host gnn: edge endpoint {i} is not a node (N = {})", g.n);
        }
        Ok(e)
    }

    /// Node states H `(N, d)` and, when `record`, the tape for [`HostGnn::backward`]
    /// (without it every layer's intermediates are freed as soon as the layer is done).
    pub fn forward(
        &self,
        g: &HostGraph<'_, T>,
        record: bool,
    ) -> Result<(Vec<T>, Option<HostGnnTape<T>>)> {
        let (n, d) = (g.n, self.d);
        let e = self.check(g)?;
        let (mut h, node_encoder) = self.node_encoder.forward(g.x, n)?;
        let (mut b, edge_encoder) = if e == 0 {
            (Vec::new(), None)
        } else {
            let (b, t) = self.edge_encoder.forward(g.e, e)?;
            (b, Some(t))
        };
        let mut inv_count = vec![T::ZERO; n];
        g.receivers
            .iter()
            .for_each(|&r| inv_count[r as usize] += T::ONE);
        inv_count.iter_mut().for_each(|c| {
            *c = if self.mean && *c > T::ONE {
                T::ONE / *c
            } else {
                T::ONE
            }
        });
        let mut tapes = Vec::with_capacity(if record { self.layers.len() } else { 0 });
        for l in &self.layers {
            // Edge update: z = (h W_r)[r] + (h W_s)[s] + b W_b + bias.
            let edge = if e == 0 {
                None
            } else {
                let z = self.edge_fc1(&l.edge.fc1, &h, &b, g)?;
                let (m, t) = l.edge.after_fc1(&z, e)?;
                let b_old = std::mem::replace(&mut b, m);
                b.iter_mut().zip(&b_old).for_each(|(v, &o)| *v += o);
                Some((b_old, t))
            };
            // Aggregate the updated edges into their receivers, then the node update.
            let mut xin = vec![T::ZERO; n * 2 * d];
            for (row, hrow) in xin.chunks_exact_mut(2 * d).zip(h.chunks_exact(d)) {
                row[..d].copy_from_slice(hrow);
            }
            for (k, &r) in g.receivers.iter().enumerate() {
                let r = r as usize;
                let c = inv_count[r];
                xin[r * 2 * d + d..(r + 1) * 2 * d]
                    .iter_mut()
                    .zip(&b[k * d..(k + 1) * d])
                    .for_each(|(a, &v)| *a += v * c);
            }
            let z = l.node.fc1.forward(&xin, n)?;
            let (u, node) = l.node.after_fc1(&z, n)?;
            let h_old = std::mem::replace(&mut h, u);
            h.iter_mut().zip(&h_old).for_each(|(v, &o)| *v += o);
            if record {
                let (b_in, edge) = match edge {
                    Some((b_old, t)) => (b_old, Some(t)),
                    None => (Vec::new(), None),
                };
                tapes.push(LayerTape {
                    h: h_old,
                    b: b_in,
                    edge,
                    xin,
                    node,
                });
            }
        }
        let tape = record.then_some(HostGnnTape {
            node_encoder,
            edge_encoder,
            layers: tapes,
            inv_count,
        });
        Ok((h, tape))
    }

    /// The edge MLP's first layer on `[h_r | h_s | b]`, split by weight column blocks.
    fn edge_fc1(
        &self,
        fc1: &HostLinear<'_, T>,
        h: &[T],
        b: &[T],
        g: &HostGraph<'_, T>,
    ) -> Result<Vec<T>> {
        let (n, d, e) = (g.n, self.d, g.senders.len());
        let o = fc1.out;
        let w = fc1.w()?;
        let hv = MatView::new(h, n, d)?;
        let mut hr = vec![T::ZERO; n * o];
        let mut hs = vec![T::ZERO; n * o];
        matmul(&mut hr, hv, w.cols_block(0, d)?.t(), false, 0)?;
        matmul(&mut hs, hv, w.cols_block(d, d)?.t(), false, 0)?;
        let mut z = vec![T::ZERO; e * o];
        matmul(
            &mut z,
            MatView::new(b, e, d)?,
            w.cols_block(2 * d, d)?.t(),
            false,
            0,
        )?;
        let bias = fc1.bias();
        for (k, zrow) in z.chunks_exact_mut(o).enumerate() {
            let (r, s) = (g.receivers[k] as usize, g.senders[k] as usize);
            let (a, c) = (&hr[r * o..(r + 1) * o], &hs[s * o..(s + 1) * o]);
            for j in 0..o {
                zrow[j] += a[j] + c[j] + bias[j];
            }
        }
        Ok(z)
    }

    /// Backward of [`HostGnn::edge_fc1`]: weight gradients into `grads`, input gradients
    /// added into `dh` and `db`.
    #[allow(clippy::too_many_arguments)]
    fn edge_fc1_backward(
        &self,
        fc1: &HostLinear<'_, T>,
        h: &[T],
        b: &[T],
        dz: &[T],
        g: &HostGraph<'_, T>,
        dh: &mut [T],
        db: &mut [T],
        grads: &mut HostGrads<T>,
    ) -> Result<()> {
        let (n, d, e) = (g.n, self.d, g.senders.len());
        let o = fc1.out;
        let w = fc1.w()?;
        add_row_sums(dz, grads.slot(fc1.bias_param()));
        let mut dhr = vec![T::ZERO; n * o];
        let mut dhs = vec![T::ZERO; n * o];
        for (k, row) in dz.chunks_exact(o).enumerate() {
            let (r, s) = (g.receivers[k] as usize, g.senders[k] as usize);
            dhr[r * o..(r + 1) * o]
                .iter_mut()
                .zip(row)
                .for_each(|(a, &v)| *a += v);
            dhs[s * o..(s + 1) * o]
                .iter_mut()
                .zip(row)
                .for_each(|(a, &v)| *a += v);
        }
        // Weight blocks: dW_r = dhrᵀ h, dW_s = dhsᵀ h, dW_b = dzᵀ b, each (o, d).
        let hv = MatView::new(h, n, d)?;
        let mut block = vec![T::ZERO; o * d];
        for (k, (dsrc, src)) in [
            (MatView::new(&dhr, n, o)?, hv),
            (MatView::new(&dhs, n, o)?, hv),
            (MatView::new(dz, e, o)?, MatView::new(b, e, d)?),
        ]
        .into_iter()
        .enumerate()
        {
            matmul(&mut block, dsrc.t(), src, false, 0)?;
            let slot = grads.slot(fc1.weight_param());
            for (srow, brow) in slot.chunks_exact_mut(3 * d).zip(block.chunks_exact(d)) {
                srow[k * d..(k + 1) * d]
                    .iter_mut()
                    .zip(brow)
                    .for_each(|(a, &v)| *a += v);
            }
        }
        matmul(dh, MatView::new(&dhr, n, o)?, w.cols_block(0, d)?, true, 0)?;
        matmul(dh, MatView::new(&dhs, n, o)?, w.cols_block(d, d)?, true, 0)?;
        matmul(
            db,
            MatView::new(dz, e, o)?,
            w.cols_block(2 * d, d)?,
            true,
            0,
        )
    }

    /// Backward pass for the gradient `dh` of the node states: every weight gradient into
    /// `grads` (edge weights only when the graph has edges, as candle's graph).
    pub fn backward(
        &self,
        tape: &HostGnnTape<T>,
        g: &HostGraph<'_, T>,
        dh: Vec<T>,
        grads: &mut HostGrads<T>,
    ) -> Result<()> {
        let (n, d) = (g.n, self.d);
        let e = self.check(g)?;
        if dh.len() != n * d || tape.layers.len() != self.layers.len() {
            bail!("host gnn backward: a tape of another shape");
        }
        let mut dh = dh;
        let mut db = vec![T::ZERO; e * d];
        for (l, t) in self.layers.iter().zip(&tape.layers).rev() {
            // Node update h' = h + MLP_n([h | agg]).
            let dz = l.node.after_fc1_backward(&t.node, &dh, n, grads)?;
            let dxin = l.node.fc1.backward(&t.xin, &dz, n, grads)?;
            for (dst, src) in dh.chunks_exact_mut(d).zip(dxin.chunks_exact(2 * d)) {
                dst.iter_mut().zip(&src[..d]).for_each(|(a, &v)| *a += v);
            }
            let Some(edge_tape) = &t.edge else {
                continue;
            };
            // agg: db' += dagg[r] / count[r]; then b' = b + MLP_e(...).
            for (k, &r) in g.receivers.iter().enumerate() {
                let r = r as usize;
                let c = tape.inv_count[r];
                db[k * d..(k + 1) * d]
                    .iter_mut()
                    .zip(&dxin[r * 2 * d + d..(r + 1) * 2 * d])
                    .for_each(|(a, &v)| *a += v * c);
            }
            let dz = l.edge.after_fc1_backward(edge_tape, &db, e, grads)?;
            self.edge_fc1_backward(&l.edge.fc1, &t.h, &t.b, &dz, g, &mut dh, &mut db, grads)?;
        }
        self.node_encoder
            .backward(&tape.node_encoder, g.x, &dh, n, grads)?;
        if let Some(t) = &tape.edge_encoder {
            self.edge_encoder.backward(t, g.e, &db, e, grads)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GnnConfig, GraphInput};
    use candle_core::{DType, Device, Tensor};
    use candle_nn::VarMap;
    use dos_config::Check;
    use dos_nn::gradcheck::max_abs_diff;
    use dos_nn::seeded_randn;

    fn compare(aggregation: Aggregation, senders: &[u32], receivers: &[u32]) -> Result<()> {
        let dev = Device::Cpu;
        let (n, f, fe, d) = (5, 6, 3, 4);
        let cfg = GnnConfig {
            node_in: f,
            edge_in: fe,
            hidden: d,
            layers: 2,
            aggregation,
        }
        .check()
        .map_err(candle_core::Error::wrap)?;
        let vm = VarMap::new();
        let gnn = Gnn::new(
            &cfg,
            dos_nn::SeededVarMap::var_builder(&vm, 2, DType::F64, &dev),
        )?;
        let e = senders.len();
        let x = seeded_randn(1, 0f64, 1., (n, f), &dev)?;
        let ef = seeded_randn(2, 0f64, 1., (e, fe), &dev)?;
        let (s, r) = (Tensor::new(senders, &dev)?, Tensor::new(receivers, &dev)?);
        let h = gnn.forward(&GraphInput {
            node_features: &x,
            edge_features: &ef,
            senders: &s,
            receivers: &r,
        })?;
        let c = seeded_randn(3, 0f64, 1., (n, d), &dev)?;
        let reference = (&h * &c)?.sum_all()?.backward()?;
        let (xs, es) = (x.flatten_all()?.to_vec1()?, ef.flatten_all()?.to_vec1()?);
        let g = HostGraph {
            x: &xs,
            e: &es,
            senders,
            receivers,
            n,
        };
        let host = gnn.host::<f64>()?.expect("host gnn");
        let (hh, tape) = host.forward(&g, true)?;
        let tape = tape.expect("tape recorded");
        let (unrecorded, none) = host.forward(&g, false)?;
        assert!(none.is_none());
        assert_eq!(unrecorded, hh);
        let diff = max_abs_diff(&Tensor::from_vec(hh, (n, d), &dev)?, &h)?;
        assert!(diff < 1e-10, "values {diff}");
        let mut grads = HostGrads::default();
        host.backward(&tape, &g, c.flatten_all()?.to_vec1()?, &mut grads)?;
        let map = grads.into_map()?;
        let mut compared = 0;
        for v in vm.all_vars() {
            match (reference.get(&v), map.get(&v.id())) {
                (Some(want), Some(got)) => {
                    let diff = max_abs_diff(got, want)?;
                    assert!(diff < 1e-10, "{:?}: {diff}", v.dims());
                    compared += 1;
                }
                (None, None) => {}
                (w, g) => panic!("gradient in one only: {} {}", w.is_some(), g.is_some()),
            }
        }
        assert!(compared >= if e == 0 { 6 } else { 30 });
        Ok(())
    }

    #[test]
    fn host_gnn_matches_candle_values_and_gradients() -> Result<()> {
        // Node 4 has no incoming edge; node 1 has three.
        let s = [0u32, 2, 3, 1, 4, 0, 2];
        let r = [1u32, 1, 1, 0, 2, 3, 3];
        compare(Aggregation::Mean, &s, &r)?;
        compare(Aggregation::Sum, &s, &r)
    }

    #[test]
    fn graph_without_edges_and_bad_indices() -> Result<()> {
        compare(Aggregation::Mean, &[], &[])?;
        let cfg = GnnConfig {
            node_in: 2,
            edge_in: 1,
            hidden: 4,
            layers: 1,
            aggregation: Aggregation::Mean,
        }
        .check()
        .map_err(candle_core::Error::wrap)?;
        let vm = VarMap::new();
        let gnn = Gnn::new(
            &cfg,
            dos_nn::SeededVarMap::var_builder(&vm, 2, DType::F64, &Device::Cpu),
        )?;
        let host = gnn.host::<f64>()?.expect("host gnn");
        let (x, e) = ([0.5; 6], [1.0; 2]);
        let bad = HostGraph {
            x: &x,
            e: &e,
            senders: &[0, 9],
            receivers: &[1, 2],
            n: 3,
        };
        assert!(host.forward(&bad, false).is_err());
        let short = HostGraph {
            x: &x[..4],
            e: &e,
            senders: &[0, 1],
            receivers: &[1, 2],
            n: 3,
        };
        assert!(host.forward(&short, true).is_err());
        Ok(())
    }
}
