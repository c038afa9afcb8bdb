//! [`SummedGrads`]: the gradients of one loss, given as a sum of several parts.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, TensorId};

/// The gradients of a loss, `dL/dθ = Σ_k part_k[θ]`, as several [`GradStore`]s (and maps
/// from parameter id to gradient, the output of a hand-written backward pass,
/// [`crate::host::HostGrads`]) that are never added together in memory.
///
/// A loss whose graph splits into parts that are back-propagated separately (for example two
/// branches on two threads, each from its own copy of the shared activations, and the shared
/// trunk from the sum of the copies' gradients) yields one store per part; a variable used by
/// several parts has a gradient in each. [`crate::FusedAdamW`] and its gradient norm read the
/// parts directly and add them element by element, so no summed copy is ever built. A plain
/// `loss.backward()` is the one-part case (`SummedGrads::from(store)`).
#[derive(Debug)]
pub struct SummedGrads {
    parts: Vec<GradStore>,
    maps: Vec<HashMap<TensorId, Tensor>>,
}

impl SummedGrads {
    /// Gradients given as the sum of `parts`.
    pub fn new(parts: Vec<GradStore>) -> Self {
        Self {
            parts,
            maps: Vec::new(),
        }
    }

    /// Adds a part given as gradients keyed by the parameter's id.
    pub fn push_map(&mut self, map: HashMap<TensorId, Tensor>) {
        self.maps.push(map);
    }

    /// The number of parts (stores and maps).
    pub fn len(&self) -> usize {
        self.parts.len() + self.maps.len()
    }

    /// Whether there is no part at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The [`GradStore`] parts, in the order given (not the maps).
    pub fn parts(&self) -> &[GradStore] {
        &self.parts
    }

    /// The gradient terms of `var`, one per part that has one (empty: no gradient).
    pub fn terms(&self, var: &Tensor) -> Vec<&Tensor> {
        let id = var.id();
        self.parts
            .iter()
            .filter_map(|p| p.get(var))
            .chain(self.maps.iter().filter_map(|m| m.get(&id)))
            .collect()
    }

    /// The gradient of `var` as one tensor (the terms added up), or `None` when no part has
    /// one. Allocates when there are several terms; the optimiser does not need this.
    pub fn sum(&self, var: &Tensor) -> Result<Option<Tensor>> {
        let terms = self.terms(var);
        if terms.is_empty() {
            return Ok(None);
        }
        sum_terms(&terms).map(Some)
    }
}

/// `terms` added up (at least one term).
pub(crate) fn sum_terms(terms: &[&Tensor]) -> Result<Tensor> {
    let Some((first, rest)) = terms.split_first() else {
        candle_core::bail!("sum of no gradient terms")
    };
    rest.iter().try_fold((*first).clone(), |acc, t| acc + *t)
}

impl From<GradStore> for SummedGrads {
    fn from(store: GradStore) -> Self {
        Self::new(vec![store])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn terms_and_sum_follow_the_parts() -> Result<()> {
        let dev = Device::Cpu;
        let a = Var::new(&[1.0f64, 2.0], &dev)?;
        let b = Var::new(&[3.0f64], &dev)?;
        // Part 1 sees a and b, part 2 only a.
        let p1 =
            ((a.as_tensor() * 2.0)?.sum_all()? + b.as_tensor().sqr()?.sum_all()?)?.backward()?;
        let p2 = (a.as_tensor() * 5.0)?.sum_all()?.backward()?;
        let g = SummedGrads::new(vec![p1, p2]);
        assert_eq!(g.parts().len(), 2);
        assert_eq!(g.terms(&a).len(), 2);
        assert_eq!(g.terms(&b).len(), 1);
        let ga = g.sum(&a)?.expect("gradient of a").to_vec1::<f64>()?;
        assert_eq!(ga, [7.0, 7.0]);
        let gb = g.sum(&b)?.expect("gradient of b").to_vec1::<f64>()?;
        assert_eq!(gb, [6.0]);
        let c = Var::new(&[0.0f64], &dev)?;
        assert!(g.terms(&c).is_empty());
        // A map part adds one more term.
        let mut g = g;
        g.push_map([(b.id(), Tensor::new(&[1.0f64], &dev)?)].into());
        assert_eq!(g.len(), 3);
        assert_eq!(g.sum(&b)?.expect("gradient of b").to_vec1::<f64>()?, [7.0]);
        assert!(g.sum(&c)?.is_none());
        Ok(())
    }
}
