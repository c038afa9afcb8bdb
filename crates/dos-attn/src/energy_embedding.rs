//! Learned energy tokens.

use candle_core::{Result, Tensor};
use candle_nn::{Init, VarBuilder};

/// Learned energy embeddings E, a table `(M, d)` with one token per energy grid point,
/// shared by all crystals; `E_b = weight` for every crystal b.
///
/// Parameter `weight`, initialised N(0, 1) like `torch.nn.Embedding`.
///
/// # Shapes
/// - [`forward`](Self::forward): `(M, d)`
/// - [`forward_batch`](Self::forward_batch)`(B)`: `(B, M, d)`
#[derive(Debug, Clone)]
pub struct EnergyEmbedding {
    weight: Tensor,
}

impl EnergyEmbedding {
    /// Creates (or loads) the `(m, d)` table `weight` under `vb`.
    pub fn new(m: usize, d: usize, vb: VarBuilder) -> Result<Self> {
        let weight = vb.get_with_hints(
            (m, d),
            "weight",
            Init::Randn {
                mean: 0.,
                stdev: 1.,
            },
        )?;
        Ok(Self { weight })
    }

    /// The `(M, d)` table.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The table, `(M, d)`.
    pub fn forward(&self) -> Result<Tensor> {
        Ok(self.weight.clone())
    }

    /// The table repeated for a batch of `b` crystals, `(B, M, d)`.
    pub fn forward_batch(&self, b: usize) -> Result<Tensor> {
        let (m, d) = self.weight.dims2()?;
        // Materialised: the blocks after it expect contiguous input; backward sums over B.
        self.weight
            .unsqueeze(0)?
            .broadcast_as((b, m, d))?
            .contiguous()
    }

    /// Number of energy tokens M.
    pub fn len(&self) -> usize {
        self.weight.dims()[0]
    }

    /// True when M = 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;
    use dos_nn::gradcheck::{assert_gradients_ok, check_gradients, GradCheckOptions};
    use dos_nn::seeded_randn;

    #[test]
    fn batch_repeats_table_and_gradient_sums_over_batch() -> Result<()> {
        let dev = Device::Cpu;
        let vm = VarMap::new();
        let emb = EnergyEmbedding::new(
            5,
            3,
            dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F64, &dev),
        )?;
        assert_eq!(emb.len(), 5);
        let e = emb.forward_batch(2)?;
        assert_eq!(e.dims(), &[2, 5, 3]);
        assert_eq!(
            e.get(1)?.to_vec2::<f64>()?,
            emb.forward()?.to_vec2::<f64>()?
        );
        let c = seeded_randn(1, 0f64, 1., (2, 5, 3), &dev)?;
        let report = check_gradients(
            &vm,
            || (emb.forward_batch(2)?.sin()? * &c)?.sum_all(),
            &GradCheckOptions::default(),
        )?;
        assert_gradients_ok(&report, 1e-6);
        Ok(())
    }

    #[test]
    fn init_is_standard_normal() -> Result<()> {
        let vm = VarMap::new();
        let emb = EnergyEmbedding::new(
            200,
            50,
            dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F64, &Device::Cpu),
        )?;
        let v = emb.forward()?.flatten_all()?.to_vec1::<f64>()?;
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        // 10 000 samples: standard errors 0.01 (mean) and 0.014 (variance).
        assert!(mean.abs() < 0.05, "{mean}");
        assert!((var - 1.0).abs() < 0.07, "{var}");
        Ok(())
    }
}
