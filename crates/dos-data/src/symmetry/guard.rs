//! Geometric limits checked before moyo's symmetry search.
//!
//! The search itself is bounded by construction: moyo 0.22 closed its candidate lattice
//! automorphisms with an unbounded breadth-first search, which never ended when the tolerances
//! admitted a shear (an integer matrix of infinite order; long or skewed cells let one through),
//! and the workspace builds moyo from `vendor/moyo`, whose closure stops after 48 elements
//! (the order of m-3m) and rejects the candidates like any other non-group, so moyo retries at
//! other tolerances, at most 64 times (see `vendor/moyo/PATCHED.md`). An earlier version of this
//! file replayed moyo's candidate test on the input lattice instead; it missed centred cells,
//! whose primitive lattice (the one moyo searches) differs.
//!
//! What is left here are limits no real crystal comes near, which keep the answers meaningful
//! (a cell of one atom per 2,000 A^3 or an aspect ratio of 50 is not a crystal the models were
//! trained on) and the search's cost small.

use nalgebra::Matrix3;

/// Largest ratio `b3 / b1` of the longest to the shortest Minkowski-reduced lattice vector.
///
/// The 1,522 benchmark crystals reach 5.3; a single atom in a 600 x 3 x 4 A cell has 200. Slabs
/// with 30 A of vacuum on a 3 A in-plane cell have about 12.
pub const MAX_ASPECT_RATIO: f64 = 50.0;

/// Largest volume per atom in A^3 (benchmark: 5.6 to 55.7; gases at STP are ~ 37,000).
pub const MAX_VOLUME_PER_ATOM: f64 = 2_000.0;

/// Smallest volume per atom in A^3 (benchmark: 5.6; solid hydrogen under 300 GPa ~ 1.2).
pub const MIN_VOLUME_PER_ATOM: f64 = 0.5;

/// Why the symmetry of a cell is not searched: the text of
/// [`crate::DataError::SymmetryUnsupported`], or `None` when the cell is within the limits.
///
/// `lattice` holds the basis vectors as rows (A), `n_atoms >= 1`.
pub(crate) fn check(lattice: &[[f64; 3]; 3], n_atoms: usize) -> Option<String> {
    let volume_per_atom = crate::mat3::det3(lattice).abs() / n_atoms.max(1) as f64;
    if !(MIN_VOLUME_PER_ATOM..=MAX_VOLUME_PER_ATOM).contains(&volume_per_atom) {
        return Some(format!(
            "volume per atom {volume_per_atom:.3} A^3 outside [{MIN_VOLUME_PER_ATOM}, \
             {MAX_VOLUME_PER_ATOM}]"
        ));
    }
    let reduced = match reduce(lattice) {
        Some(b) => b,
        None => return Some("Minkowski reduction of the lattice failed".into()),
    };
    let lengths = [0, 1, 2].map(|i| reduced.column(i).norm());
    let aspect = lengths[2] / lengths[0];
    if aspect.is_nan() || aspect > MAX_ASPECT_RATIO {
        return Some(format!(
            "reduced lattice vectors {:.3}, {:.3}, {:.3} A: aspect ratio {aspect:.1} above \
             {MAX_ASPECT_RATIO}",
            lengths[0], lengths[1], lengths[2]
        ));
    }
    None
}

/// Minkowski-reduced basis (vectors as columns) by moyo's own reduction, which is bounded by a
/// cycle check; `None` if it fails or panics.
fn reduce(lattice: &[[f64; 3]; 3]) -> Option<Matrix3<f64>> {
    let l = moyo::base::Lattice::from_basis(*lattice);
    std::panic::catch_unwind(|| l.minkowski_reduce())
        .ok()?
        .ok()
        .map(|(r, _)| r.basis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_limits_name_the_value() {
        let one = |l: [[f64; 3]; 3], n| check(&l, n);
        let slab = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 160.0]];
        assert!(one(slab, 1).unwrap().contains("aspect ratio 53.3"));
        assert!(one(slab, 10).unwrap().contains("aspect ratio"));
        let sparse = [[14.0, 0.0, 0.0], [0.0, 14.0, 0.0], [0.0, 0.0, 14.0]];
        assert!(one(sparse, 1).unwrap().contains("volume per atom 2744.000"));
        assert_eq!(one(sparse, 2), None);
        let dense = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        assert!(one(dense, 4).unwrap().contains("volume per atom 0.250"));
    }
}
