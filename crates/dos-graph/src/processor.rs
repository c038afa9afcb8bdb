//! One residual message-passing layer (paper eq. 5).

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;
use dos_nn::NormMlp;

use crate::{segment_mean, segment_sum, Aggregation};

/// Processor layer: edge update `b_ij += MLP_e([h_i, h_j, b_ij])`, then node update
/// `h_i += MLP_n([h_i, AGG_{j: j -> i} b_ij])` with the updated `b_ij` (i = receiver).
///
/// `MLP_e = NormMlp(3d -> 2d -> d)` (`edge_mlp`), `MLP_n = NormMlp(2d -> 2d -> d)`
/// (`node_mlp`).
///
/// # Shapes
/// - `h`: `(N, d)`, `b`: `(E, d)`, `senders`, `receivers`: `(E,)` u32
/// - output: `(h', b')` with the same shapes
#[derive(Debug, Clone)]
pub struct ProcessorLayer {
    pub(crate) edge_mlp: NormMlp,
    pub(crate) node_mlp: NormMlp,
    pub(crate) hidden: usize,
    pub(crate) aggregation: Aggregation,
}

impl ProcessorLayer {
    /// Creates (or loads) `edge_mlp` and `node_mlp` for width `hidden` under `vb`.
    pub fn new(hidden: usize, aggregation: Aggregation, vb: VarBuilder) -> Result<Self> {
        let d = hidden;
        Ok(Self {
            edge_mlp: NormMlp::new(3 * d, 2 * d, d, vb.pp("edge_mlp"))?,
            node_mlp: NormMlp::new(2 * d, 2 * d, d, vb.pp("node_mlp"))?,
            hidden,
            aggregation,
        })
    }

    /// Edge-MLP pre-activation `fc1([h_i, h_j, b_ij])`, computed as
    /// `(h W_a^T)[i] + (h W_b^T)[j] + b_ij W_c^T + bias` with `W = [W_a | W_b | W_c]`.
    ///
    /// Same algebra as the concatenation, but the two node products cost `N` rows instead of
    /// `E` (E is 10 to 50 times N in crystal graphs). Parameters stay those of one
    /// `Linear(3d, 2d)` named `fc1`, so checkpoints do not depend on this choice.
    fn edge_fc1(
        &self,
        h: &Tensor,
        b: &Tensor,
        senders: &Tensor,
        receivers: &Tensor,
    ) -> Result<Tensor> {
        let d = self.hidden;
        let fc1 = self.edge_mlp.fc1();
        let w = fc1.weight(); // (2d, 3d): column blocks act on h_i, h_j and b_ij.
        let n = h.dim(0)?;
        // Row o of W is [W_i[o] | W_j[o] | W_b[o]], so W viewed (free) as (6d, d) has row
        // 3o + k = block k of row o: one product h (6d, d)^T gives all three blocks' h terms
        // (the b block's column is unused; N is small) without copying or splitting W, and its
        // weight gradient is one matrix product.
        let hw = h
            .matmul(&w.reshape((6 * d, d))?.t()?)?
            .reshape((n, 2 * d, 3))?;
        // The b block as a strided view of W, multiplied without a copy where the device allows.
        let c = dos_nn::kernels::matmul_strided(b, &w.narrow(1, 2 * d, d)?.t()?)?;
        dos_nn::kernels::edge_sum(&hw, &c, fc1.bias(), senders, receivers)
    }

    /// Applies the layer; see the type docs.
    pub fn forward(
        &self,
        h: &Tensor,
        b: &Tensor,
        senders: &Tensor,
        receivers: &Tensor,
    ) -> Result<(Tensor, Tensor)> {
        let n = h.dim(0)?;
        let b = if b.dim(0)? == 0 {
            b.clone()
        } else {
            let z = self.edge_fc1(h, b, senders, receivers)?;
            (b + self.edge_mlp.forward_after_fc1(&z)?)?
        };
        let agg = match self.aggregation {
            Aggregation::Sum => segment_sum(&b, receivers, n)?,
            Aggregation::Mean => segment_mean(&b, receivers, n)?,
        };
        let h = (h + self.node_mlp.forward(&Tensor::cat(&[h, &agg], 1)?)?)?;
        Ok((h, b))
    }

    /// The edge MLP (`NormMlp(3d -> 2d -> d)`).
    pub fn edge_mlp(&self) -> &NormMlp {
        &self.edge_mlp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use dos_nn::seeded_randn;

    #[test]
    fn split_edge_fc1_equals_linear_on_concatenation() -> Result<()> {
        let dev = Device::Cpu;
        let (_, vb) = dos_nn::SeededVarMap::fresh(0, DType::F64, &dev);
        let layer = ProcessorLayer::new(3, Aggregation::Sum, vb)?;
        let h = seeded_randn(1, 0f64, 1., (4, 3), &dev)?;
        let b = seeded_randn(2, 0f64, 1., (5, 3), &dev)?;
        let s = Tensor::new(&[0u32, 1, 2, 3, 3], &dev)?;
        let r = Tensor::new(&[1u32, 0, 3, 2, 1], &dev)?;
        let fast = layer.edge_fc1(&h, &b, &s, &r)?;
        let x = Tensor::cat(&[&h.index_select(&r, 0)?, &h.index_select(&s, 0)?, &b], 1)?;
        let plain = layer.edge_mlp.fc1().forward(&x)?;
        let diff = (fast - plain)?.abs()?.max_all()?.to_scalar::<f64>()?;
        assert!(diff < 1e-12, "{diff}");
        Ok(())
    }
}
