//! [`phonon_property_errors`]: how well predicted phonon DOS curves give the properties people
//! derive from them: the heat capacity and vibrational entropy at a temperature, and the mean
//! frequency, each computed from the predicted and from the true DOS of every crystal (both
//! clamped at 0 and scaled to `3N` modes, [`PhononDos::new`]) and compared as MAE, RMSE and
//! R^2, over all crystals and by group (crystal system).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{MetricsError, Result};
use crate::phonon::PhononDos;
use crate::property_model::{scalar_errors, ScalarErrors};

/// Errors of three derived properties over a set of crystals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhononPropertyErrors {
    /// Crystals scored.
    pub n_crystals: usize,
    /// Temperature of the heat capacity and entropy, K.
    pub temperature_k: f64,
    /// Heat capacity C_v, J/(K mol of atoms).
    pub heat_capacity_j_per_mol_k: ScalarErrors,
    /// Vibrational entropy S, J/(K mol of atoms).
    pub entropy_j_per_mol_k: ScalarErrors,
    /// Mean frequency, cm^-1.
    pub mean_frequency_cm: ScalarErrors,
}

/// The errors of [`PhononPropertyErrors`] over all crystals and by group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupedPhononPropertyErrors {
    /// Over all crystals.
    pub overall: PhononPropertyErrors,
    /// By group name (e.g. crystal system).
    pub by_group: BTreeMap<String, PhononPropertyErrors>,
    /// Crystals left out because their predicted DOS has no properties (no positive weight,
    /// as an untrained model may predict).
    pub n_unscored: usize,
}

/// The three properties of one DOS curve: `(C_v, S, mean frequency)`.
fn properties(frequencies: &[f64], dos: &[f64], n_atoms: usize, t: f64) -> Result<[f64; 3]> {
    let d = PhononDos::new(frequencies, dos, n_atoms)?;
    let th = d.thermal(t)?;
    Ok([
        th.heat_capacity_j_per_mol_k(),
        th.entropy_j_per_mol_k(),
        d.mean_frequency(),
    ])
}

fn errors(pred: &[[f64; 3]], truth: &[[f64; 3]], t: f64) -> Result<PhononPropertyErrors> {
    let col = |v: &[[f64; 3]], k: usize| v.iter().map(|x| x[k]).collect::<Vec<f64>>();
    Ok(PhononPropertyErrors {
        n_crystals: pred.len(),
        temperature_k: t,
        heat_capacity_j_per_mol_k: scalar_errors(&col(pred, 0), &col(truth, 0))?,
        entropy_j_per_mol_k: scalar_errors(&col(pred, 1), &col(truth, 1))?,
        mean_frequency_cm: scalar_errors(&col(pred, 2), &col(truth, 2))?,
    })
}

/// Scores the properties of `predicted` against those of `target` at temperature `t` (K).
///
/// # Shapes
/// `frequencies: (M,)` in cm^-1; `predicted`, `target`: `(B, M)`; `n_atoms`, `groups`: `(B,)`.
///
/// A crystal whose predicted DOS [`PhononDos::new`] refuses (no positive weight) is left out
/// and counted in [`GroupedPhononPropertyErrors::n_unscored`].
///
/// # Errors
/// Lengths that disagree, an empty set, no crystal left to score, or a true DOS
/// [`PhononDos::new`] refuses (naming the crystal's index): no weight, non-finite values.
pub fn phonon_property_errors<G: ToString>(
    frequencies: &[f64],
    predicted: &[Vec<f64>],
    target: &[Vec<f64>],
    n_atoms: &[usize],
    groups: &[G],
    t: f64,
) -> Result<GroupedPhononPropertyErrors> {
    let b = predicted.len();
    for (what, n) in [
        ("target", target.len()),
        ("n_atoms", n_atoms.len()),
        ("groups", groups.len()),
    ] {
        if n != b {
            return Err(MetricsError::LengthMismatch {
                index: 0,
                what,
                expected: b,
                got: n,
            });
        }
    }
    if b == 0 {
        return Err(MetricsError::Empty { what: "crystals" });
    }
    let at = |k: usize, e: MetricsError| MetricsError::Invalid {
        field: "crystal",
        message: format!("{k}: {e}"),
    };
    let mut pred = Vec::with_capacity(b);
    let mut truth = Vec::with_capacity(b);
    // Per group: the predicted and the true properties.
    type Pair = (Vec<[f64; 3]>, Vec<[f64; 3]>);
    let mut by: BTreeMap<String, Pair> = BTreeMap::new();
    let mut n_unscored = 0;
    for k in 0..b {
        let y = properties(frequencies, &target[k], n_atoms[k], t).map_err(|e| at(k, e))?;
        let Ok(p) = properties(frequencies, &predicted[k], n_atoms[k], t) else {
            n_unscored += 1;
            continue;
        };
        pred.push(p);
        truth.push(y);
        let e = by.entry(groups[k].to_string()).or_default();
        e.0.push(p);
        e.1.push(y);
    }
    if pred.is_empty() {
        return Err(MetricsError::Empty {
            what: "crystals whose predicted DOS has properties",
        });
    }
    Ok(GroupedPhononPropertyErrors {
        n_unscored,
        overall: errors(&pred, &truth, t)?,
        by_group: by
            .into_iter()
            .map(|(g, (p, q))| Ok((g, errors(&p, &q, t)?)))
            .collect::<Result<_>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Identical curves score zero; a curve moved up in frequency has a lower heat capacity
    /// and a higher mean frequency than the truth, by the amounts the properties of each
    /// curve give on their own.
    #[test]
    fn errors_are_the_differences_of_each_curves_properties() {
        let f: Vec<f64> = (0..51).map(|i| 20.0 * i as f64).collect();
        let peak = |c: f64| -> Vec<f64> {
            f.iter()
                .map(|x| (-(x - c) * (x - c) / 2000.0).exp())
                .collect()
        };
        let (low, high) = (peak(200.0), peak(500.0));
        let one = std::slice::from_ref(&low);
        let same = phonon_property_errors(&f, one, one, &[2], &["cubic"], 300.0).unwrap();
        assert_eq!(same.overall.heat_capacity_j_per_mol_k.mae, 0.0);
        assert_eq!(same.overall.mean_frequency_cm.mae, 0.0);
        let moved = phonon_property_errors(
            &f,
            &[high.clone(), low.clone()],
            &[low.clone(), low.clone()],
            &[2, 2],
            &["cubic", "hexagonal"],
            300.0,
        )
        .unwrap();
        let p = |d: &[f64]| properties(&f, d, 2, 300.0).unwrap();
        let (ph, pl) = (p(&high), p(&low));
        assert!(ph[0] < pl[0] && ph[2] > pl[2]);
        let cv = &moved.by_group["cubic"].heat_capacity_j_per_mol_k;
        assert!((cv.mae - (pl[0] - ph[0])).abs() < 1e-12);
        assert_eq!(moved.by_group["hexagonal"].entropy_j_per_mol_k.mae, 0.0);
        assert!((moved.overall.mean_frequency_cm.mae - (ph[2] - pl[2]) / 2.0).abs() < 1e-9);
        assert_eq!(moved.overall.n_crystals, 2);
        assert_eq!(moved.n_unscored, 0);
        // A predicted curve with no positive weight is left out and counted.
        let flat = vec![-0.1; f.len()];
        let partly = phonon_property_errors(
            &f,
            &[flat.clone(), low.clone()],
            &[low.clone(), low.clone()],
            &[2, 2],
            &["cubic", "cubic"],
            300.0,
        )
        .unwrap();
        assert_eq!((partly.overall.n_crystals, partly.n_unscored), (1, 1));
        assert_eq!(partly.overall.heat_capacity_j_per_mol_k.mae, 0.0);
        let none = std::slice::from_ref(&flat);
        assert!(phonon_property_errors(&f, none, one, &[2], &["cubic"], 300.0).is_err());
    }

    #[test]
    fn mismatched_lengths_and_empty_sets_are_refused() {
        let f = [0.0, 1.0];
        let d = vec![vec![1.0, 1.0]];
        assert!(phonon_property_errors(&f, &d, &d, &[1, 1], &["a"], 300.0).is_err());
        assert!(phonon_property_errors::<&str>(&f, &[], &[], &[], &[], 300.0).is_err());
    }
}
