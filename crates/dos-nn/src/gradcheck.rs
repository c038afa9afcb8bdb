//! Finite-difference gradient check over every variable of a `VarMap`.
//!
//! For each variable, a seeded sample of entries is perturbed by `±step` and the central
//! difference `(L(θ + h) - L(θ - h)) / 2h` is compared with the gradient from
//! `loss.backward()`. It catches the failures that train silently: an op recorded without a
//! backward pass (`candle_nn::LayerNorm`'s fused path, `softmax_last_dim`), a wrong backward
//! (`scatter_add`), or a parameter that never reaches the loss.
//!
//! ```
//! use candle_core::{DType, Device, Module, Tensor};
//! use candle_nn::{linear, VarBuilder, VarMap};
//! use dos_nn::gradcheck::{assert_gradients_ok, check_gradients, GradCheckOptions};
//! # fn main() -> candle_core::Result<()> {
//! let vm = VarMap::new();
//! let vb = VarBuilder::from_varmap(&vm, DType::F64, &Device::Cpu);
//! let lin = linear(3, 2, vb.pp("lin"))?;
//! let x = Tensor::new(&[[1f64, -2., 0.5]], &Device::Cpu)?;
//! let report = check_gradients(&vm, || lin.forward(&x)?.sqr()?.sum_all(), &GradCheckOptions::default())?;
//! assert_gradients_ok(&report, 1e-6);
//! # Ok(()) }
//! ```

use candle_core::{DType, Tensor, Var};
use candle_nn::VarMap;

use crate::NnError;

/// Largest absolute difference `max_i |a_i - b_i|` of two tensors of one shape, in f64 (any
/// float dtype in), for comparing two computations of the same values in tests.
///
/// # Errors
/// Shape or dtype mismatch between `a` and `b`.
pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> candle_core::Result<f64> {
    (a - b)?
        .abs()?
        .flatten_all()?
        .to_dtype(DType::F64)?
        .max(0)?
        .to_scalar::<f64>()
}

/// Settings of [`check_gradients`].
#[derive(Debug, Clone, PartialEq)]
pub struct GradCheckOptions {
    /// Perturbation `h` of the central difference (default 1e-6).
    pub step: f64,
    /// Entries checked per variable, chosen at random without repetition; all entries when
    /// the variable has fewer (default 8).
    pub entries_per_variable: usize,
    /// Seed of the entry choice (default 0).
    pub seed: u64,
    /// Floor of the denominator of the relative error, so entries with a (near) zero
    /// gradient are compared in absolute terms (default 1e-4).
    pub abs_floor: f64,
}

impl Default for GradCheckOptions {
    fn default() -> Self {
        Self {
            step: 1e-6,
            entries_per_variable: 8,
            seed: 0,
            abs_floor: 1e-4,
        }
    }
}

/// Result of the check for one variable.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableReport {
    /// Name in the `VarMap`.
    pub name: String,
    /// Shape of the variable.
    pub shape: Vec<usize>,
    /// Number of entries compared.
    pub checked: usize,
    /// Largest `|analytic - numeric| / max(|analytic|, |numeric|, abs_floor)` over the
    /// checked entries.
    pub max_rel_error: f64,
    /// Largest `|analytic - numeric|` over the checked entries.
    pub max_abs_error: f64,
    /// Whether `backward` gave this variable a gradient with a non-zero entry (anywhere).
    pub grad_nonzero: bool,
    /// Whether a checked finite difference was non-zero (the loss depends on it).
    pub numeric_nonzero: bool,
    /// The worst entry: (flat index, analytic, numeric).
    pub worst: Option<(usize, f64, f64)>,
}

/// Result of [`check_gradients`]: one [`VariableReport`] per variable, sorted by name.
#[derive(Debug, Clone, PartialEq)]
pub struct GradReport {
    /// Loss at the unperturbed parameters.
    pub loss: f64,
    /// Per-variable results, sorted by name.
    pub variables: Vec<VariableReport>,
}

impl GradReport {
    /// Ok when every variable has a non-zero analytic gradient and a relative error
    /// `<= tol`; otherwise the first failing variable, named.
    pub fn check(&self, tol: f64) -> Result<(), NnError> {
        for v in &self.variables {
            if !v.grad_nonzero {
                return Err(NnError::GradientMismatch {
                    name: v.name.clone(),
                    message: format!(
                        "backward gave no (or an all-zero) gradient{}",
                        if v.numeric_nonzero {
                            " although the loss depends on it"
                        } else {
                            ""
                        }
                    ),
                });
            }
            if v.max_rel_error.is_nan() || v.max_rel_error > tol {
                let (i, a, n) = v.worst.unwrap_or((0, f64::NAN, f64::NAN));
                return Err(NnError::GradientMismatch {
                    name: v.name.clone(),
                    message: format!(
                        "relative error {:.3e} > {tol:.1e} at flat index {i} \
                         (analytic {a:.6e}, finite difference {n:.6e})",
                        v.max_rel_error
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Panics with a message naming the variable unless `report.check(tol)` is Ok (for tests).
///
/// # Panics
/// When a variable has no gradient or a relative error above `tol`.
pub fn assert_gradients_ok(report: &GradReport, tol: f64) {
    if let Err(e) = report.check(tol) {
        panic!("{e}\nfull report: {report:#?}");
    }
}

/// Compares `loss.backward()` with central finite differences for every variable of
/// `varmap`; see the [module docs](self).
///
/// Use f64 variables for a real comparison. f32 variables are accepted only so that ops
/// without an f64 kernel can be checked for a *missing* gradient (`grad_nonzero`); with f32,
/// take `step` around 1e-2 and expect relative errors of 1e-2.
///
/// `loss` must rebuild the computation from the variables on every call and return a scalar
/// (any shape with one element). Variables are restored to their values before returning.
pub fn check_gradients(
    varmap: &VarMap,
    loss: impl Fn() -> candle_core::Result<Tensor>,
    opts: &GradCheckOptions,
) -> Result<GradReport, NnError> {
    let mut vars: Vec<(String, Var)> = {
        let data = varmap
            .data()
            .lock()
            .map_err(|e| candle_core::Error::msg(format!("VarMap lock poisoned: {e}")))?;
        data.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, var) in &vars {
        if !matches!(var.dtype(), DType::F64 | DType::F32) {
            return Err(NnError::UnsupportedDtype {
                name: name.clone(),
                dtype: var.dtype(),
            });
        }
    }
    let eval = || -> Result<f64, NnError> { scalar(&loss()?) };
    let l0 = loss()?;
    let loss0 = scalar(&l0)?;
    let grads = l0.backward()?;

    let mut rng = SplitMix64(opts.seed);
    let mut variables = Vec::with_capacity(vars.len());
    for (name, var) in &vars {
        let shape = var.dims().to_vec();
        let dtype = var.dtype();
        let original = var
            .as_tensor()
            .flatten_all()?
            .to_dtype(DType::F64)?
            .to_vec1::<f64>()?;
        let n = original.len();
        let analytic = match grads.get(var.as_tensor()) {
            Some(g) => g.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?,
            None => vec![0.0; n],
        };
        let grad_nonzero = analytic.iter().any(|&g| g != 0.0);
        let entries = rng.sample(n, opts.entries_per_variable);

        let mut report = VariableReport {
            name: name.clone(),
            shape: shape.clone(),
            checked: entries.len(),
            max_rel_error: 0.0,
            max_abs_error: 0.0,
            grad_nonzero,
            numeric_nonzero: false,
            worst: None,
        };
        let perturbed = |i: usize, delta: f64| -> Result<f64, NnError> {
            let mut v = original.clone();
            v[i] += delta;
            var.set(&Tensor::from_vec(v, shape.as_slice(), var.device())?.to_dtype(dtype)?)?;
            eval()
        };
        let mut result = Ok(());
        for &i in &entries {
            let fd = perturbed(i, opts.step)
                .and_then(|lp| Ok((lp - perturbed(i, -opts.step)?) / (2.0 * opts.step)));
            let numeric = match fd {
                Ok(v) => v,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            let a = analytic[i];
            let abs = (a - numeric).abs();
            let rel = abs / a.abs().max(numeric.abs()).max(opts.abs_floor);
            report.numeric_nonzero |= numeric != 0.0;
            report.max_abs_error = report.max_abs_error.max(abs);
            if rel > report.max_rel_error || rel.is_nan() || report.worst.is_none() {
                report.max_rel_error = if rel.is_nan() { f64::NAN } else { rel };
                report.worst = Some((i, a, numeric));
            }
        }
        // Restore even when a perturbed evaluation failed.
        var.set(&Tensor::from_vec(original, shape.as_slice(), var.device())?.to_dtype(dtype)?)?;
        result?;
        variables.push(report);
    }
    Ok(GradReport {
        loss: loss0,
        variables,
    })
}

fn scalar(t: &Tensor) -> Result<f64, NnError> {
    let v = t.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
    match v.as_slice() {
        [x] => Ok(*x),
        _ => Err(NnError::LossNotScalar {
            shape: t.dims().to_vec(),
        }),
    }
}

/// Small seeded generator for the entry choice (keeps dos-nn free of a `rand` dependency).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `k` distinct indices of `0..n` (all of them when `n <= k`), partial Fisher-Yates.
    fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n).collect();
        let k = k.min(n);
        for i in 0..k {
            let j = i + (self.next() % (n - i) as u64) as usize;
            idx.swap(i, j);
        }
        idx.truncate(k);
        idx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeded_randn;
    use candle_core::{Device, Module};
    use candle_nn::linear;

    #[test]
    fn linear_layer_passes() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let (vm, vb) = crate::SeededVarMap::fresh(0, DType::F64, &dev);
        let lin = linear(4, 3, vb.pp("lin"))?;
        let x = seeded_randn(1, 0f64, 1., (5, 4), &dev)?;
        let report = check_gradients(
            &vm,
            || lin.forward(&x)?.tanh()?.sum_all(),
            &GradCheckOptions::default(),
        )?;
        assert_eq!(report.variables.len(), 2);
        assert_eq!(report.variables[0].name, "lin.bias");
        assert_eq!(report.variables[0].checked, 3);
        assert_eq!(report.variables[1].checked, 8);
        assert_gradients_ok(&report, 1e-6);
        // Values are restored.
        let w = vm.data().lock().unwrap()["lin.weight"].as_tensor().clone();
        assert!(
            (w.to_vec2::<f64>()? == lin.weight().to_vec2::<f64>()?),
            "weight changed"
        );
        Ok(())
    }

    #[test]
    fn detects_wrong_gradient() -> candle_core::Result<()> {
        // `detach` hides the dependency of the loss on `w` from backward: the check must
        // name `w` even though the loss depends on it.
        let dev = Device::Cpu;
        let (vm, vb) = crate::SeededVarMap::fresh(0, DType::F64, &dev);
        let w = vb.get_with_hints(3, "w", candle_nn::Init::Const(0.5))?;
        let x = Tensor::new(&[1f64, 2., 3.], &dev)?;
        let report = check_gradients(
            &vm,
            || (w.detach() * &x)?.sqr()?.sum_all(),
            &GradCheckOptions::default(),
        )?;
        let err = report.check(1e-4).unwrap_err().to_string();
        assert!(err.contains("`w`"), "{err}");
        assert!(err.contains("depends on it"), "{err}");
        Ok(())
    }

    #[test]
    fn flags_candle_fused_layer_norm() -> candle_core::Result<()> {
        // The trap this module exists for: candle_nn::LayerNorm runs a fused op without a
        // backward on contiguous input, so its parameters get no gradient. That op has no
        // f64 kernel, hence f32 here (enough to see a missing gradient).
        let dev = Device::Cpu;
        let (vm, vb) = crate::SeededVarMap::fresh(0, DType::F32, &dev);
        let ln = candle_nn::layer_norm(4, 1e-5, vb.pp("ln"))?;
        let x32 = seeded_randn(2, 0f32, 1., (3, 4), &dev)?;
        let c32 = seeded_randn(3, 0f32, 1., (3, 4), &dev)?;
        let opts = GradCheckOptions {
            step: 1e-2,
            ..GradCheckOptions::default()
        };
        let report = check_gradients(&vm, || (ln.forward(&x32)? * &c32)?.sum_all(), &opts)?;
        let err = report.check(1e-1).unwrap_err().to_string();
        assert!(err.contains("`ln.bias`"), "{err}");
        assert!(err.contains("depends on it"), "{err}");
        assert!(report.variables.iter().all(|v| !v.grad_nonzero));

        let x = x32.to_dtype(DType::F64)?;
        let c = c32.to_dtype(DType::F64)?;

        // The same loss through our LayerNorm passes.
        let (vm, vb) = crate::SeededVarMap::fresh(0, DType::F64, &dev);
        let ln = crate::LayerNorm::new(4, 1e-5, vb.pp("ln"))?;
        let report = check_gradients(
            &vm,
            || (ln.forward(&x)? * &c)?.sum_all(),
            &GradCheckOptions::default(),
        )?;
        assert_gradients_ok(&report, 1e-6);
        Ok(())
    }

    #[test]
    fn rejects_non_f64_and_non_scalar() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let (vm, vb) = crate::SeededVarMap::fresh(0, DType::F16, &dev);
        let w = vb.get(2, "w")?;
        let r = check_gradients(&vm, || w.sum_all(), &GradCheckOptions::default());
        assert!(matches!(r, Err(NnError::UnsupportedDtype { .. })));
        let (vm, vb) = crate::SeededVarMap::fresh(0, DType::F64, &dev);
        let w = vb.get(2, "w")?;
        let r = check_gradients(&vm, || Ok(w.clone()), &GradCheckOptions::default());
        assert!(matches!(r, Err(NnError::LossNotScalar { .. })));
        Ok(())
    }

    #[test]
    fn sample_is_distinct_and_seeded() {
        let a = SplitMix64(7).sample(100, 8);
        let b = SplitMix64(7).sample(100, 8);
        assert_eq!(a, b);
        let mut s = a.clone();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), 8);
        assert!(a.iter().all(|&i| i < 100));
        assert_eq!(SplitMix64(1).sample(3, 8).len(), 3);
    }
}
