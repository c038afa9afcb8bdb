//! Pre-check of a cell before moyo's symmetry search, so that the search cannot run away.
//!
//! moyo 0.22 closes the set of candidate lattice automorphisms under multiplication with an
//! unbounded breadth-first search (`base::operation::traverse`). A candidate is an integer
//! matrix `R` (columns in `{-1, 0, 1}^3`) whose columns `B R e_i` have the lengths of the
//! Minkowski-reduced basis `B` within `symprec` and the angles within the angle tolerance. When
//! the tolerances admit a shear (an `R` of infinite order), the closure never ends and memory
//! grows until the process is killed (upstream spglib/moyo#89). moyo raises both tolerances
//! geometrically (x2 per failed trial, up to 64 trials) while a search fails, so a
//! nearly-symmetric cell that fails at the requested tolerance can reach such a level.
//!
//! [`check`] replays moyo's candidate test on the reduced lattice. When the candidates at the
//! requested tolerance form a finite group, moyo passes that step, and any lower tolerance it
//! tries later keeps a subset of that group: safe. When they have an infinite closure, moyo
//! hangs at once: refused. Otherwise moyo retries at other tolerances, so every level it can
//! reach (2^16 times lower up to 4 times higher, and below `b1 / 4`, where moyo gives up with
//! "tolerance too large") must be safe. Cheap geometric limits, which no real crystal comes
//! near, come first.
//!
//! Not covered: a cell whose candidates form a group at the requested tolerance but whose
//! pure-translation search fails there (moyo then raises the tolerance). None is known to
//! hang: of 366 benchmark cells with the first lattice vector stretched to 30..150 A (every
//! 25th crystal, six lengths; about 40 did not return within 1.5 s before), the guard refuses 52
//! and moyo returns on all the others within 1.5 s; no benchmark crystal is refused.

use nalgebra::{Matrix3, Vector3};

/// Largest ratio `b3 / b1` of the longest to the shortest Minkowski-reduced lattice vector.
///
/// The 1,522 benchmark crystals reach 5.3; a single atom in a 600 x 3 x 4 A cell, which hangs
/// moyo, has 200. Slabs with 30 A of vacuum on a 3 A in-plane cell have about 12.
pub const MAX_ASPECT_RATIO: f64 = 50.0;

/// Largest volume per atom in A^3 (benchmark: 5.6 to 55.7; gases at STP are ~ 37,000).
pub const MAX_VOLUME_PER_ATOM: f64 = 2_000.0;

/// Smallest volume per atom in A^3 (benchmark: 5.6; solid hydrogen under 300 GPa ~ 1.2).
pub const MIN_VOLUME_PER_ATOM: f64 = 0.5;

/// Tolerance levels scanned per doubling of the tolerance (moyo's strides are 2, 2^(1/2),
/// 2^(1/4), ..., so levels between powers of two are reachable).
const LEVELS_PER_DOUBLING: i32 = 8;

/// Tolerance levels scanned below the requested one (moyo lowers the tolerance at most 16
/// times per restart with strides of at most 2, and the candidate set only shrinks downwards).
const LEVELS_BELOW: i32 = 16 * LEVELS_PER_DOUBLING;

/// Tolerance levels scanned above the requested one when moyo rejects the candidates there: two
/// doublings. moyo lowers the tolerance after that rejection and raises it again only when a
/// later step finds too few translations; scanning up to `b1 / 4` would refuse two benchmark
/// crystals (mp-13055 and mp-553281, runaway level at 6.2 x symprec) on which moyo returns.
const LEVELS_ABOVE: i32 = 2 * LEVELS_PER_DOUBLING;

/// Order of the largest finite subgroup of GL(3, Z) (the holohedry m-3m): a closure with more
/// elements is infinite.
const MAX_POINT_GROUP_ORDER: usize = 48;

/// Why moyo must not be run on a cell: the text of
/// [`crate::DataError::SymmetryUnsupported`], or `None` when the cell is safe.
///
/// `lattice` holds the basis vectors as rows (A), `n_atoms >= 1`; `symprec` (A) and
/// `angle_rad` (radians, `None` for moyo's symprec-driven criterion) are the tolerances the
/// search starts from.
pub(crate) fn check(
    lattice: &[[f64; 3]; 3],
    n_atoms: usize,
    symprec: f64,
    angle_rad: Option<f64>,
) -> Option<String> {
    let volume_per_atom = crate::crystal::det3(lattice).abs() / n_atoms.max(1) as f64;
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
    let angle_at = |scale: f64| angle_rad.map(|a| a * scale);
    match closure_at(&reduced, symprec, angle_at(1.0)) {
        // moyo accepts these candidates at the first level; any lower level it may try (when a
        // later stage fails and it lowers both tolerances) keeps a subset of a finite group.
        Closure::Group => return None,
        Closure::Infinite => {
            return Some(runaway_reason(symprec, symprec, &lengths));
        }
        Closure::Rejected => {}
    }
    // moyo rejects the candidates and retries at other tolerances, first lower, then up or
    // down as later steps fail: every level it can reach must be safe.
    let ceiling = lengths[0] / 4.0;
    for level in -LEVELS_BELOW..=LEVELS_ABOVE {
        let scale = 2f64.powf(f64::from(level) / f64::from(LEVELS_PER_DOUBLING));
        let t = symprec * scale;
        if t > ceiling {
            return None;
        }
        if closure_at(&reduced, t, angle_at(scale)) == Closure::Infinite {
            return Some(runaway_reason(symprec, t, &lengths));
        }
    }
    None
}

/// Text of a refusal for a tolerance level at which the closure is infinite.
fn runaway_reason(symprec: f64, t: f64, lengths: &[f64; 3]) -> String {
    format!(
        "moyo's lattice-automorphism search would not terminate at symprec {t:.4} A \
         (reachable from {symprec} A; reduced lattice vectors {:.3}, {:.3}, {:.3} A)",
        lengths[0], lengths[1], lengths[2]
    )
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

/// What moyo's lattice-automorphism step does with its candidates at one tolerance level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closure {
    /// The candidates form a finite group: moyo goes on.
    Group,
    /// moyo rejects them (none, a count not dividing 48, or a finite closure larger than the
    /// set) and retries at another tolerance.
    Rejected,
    /// Their closure is infinite: moyo's `traverse` never returns.
    Infinite,
}

/// Replays moyo's `search_bravais_group` and `traverse` on the reduced basis `b` (vectors as
/// columns) at tolerances (`symprec`, `angle`), with the closure bounded by 48 elements.
fn closure_at(b: &Matrix3<f64>, symprec: f64, angle: Option<f64>) -> Closure {
    let lengths = [0, 1, 2].map(|i| b.column(i).norm());
    let mut candidates: [Vec<Vector3<i32>>; 3] = Default::default();
    for c in coefficient_vectors() {
        let v = b * c.map(f64::from);
        for (i, &len) in lengths.iter().enumerate() {
            if (v.norm() - len).abs() < symprec {
                candidates[i].push(c);
            }
        }
    }
    let close = |i: usize, j: usize, u: &Vector3<f64>, v: &Vector3<f64>| {
        let dtheta = u.angle(v) - b.column(i).angle(&b.column(j));
        match angle {
            Some(r) => dtheta.abs() <= r,
            None => {
                let lu = (b.column(i).norm() + u.norm()) / 2.0;
                let lv = (b.column(j).norm() + v.norm()) / 2.0;
                dtheta.sin().powi(2) * lu * lv < symprec * symprec
            }
        }
    };
    let mut rotations = vec![];
    for c0 in &candidates[0] {
        let v0 = b * c0.map(f64::from);
        for c1 in &candidates[1] {
            let v1 = b * c1.map(f64::from);
            if !close(0, 1, &v0, &v1) {
                continue;
            }
            for c2 in &candidates[2] {
                let r = Matrix3::from_columns(&[*c0, *c1, *c2]);
                if (r.map(f64::from).determinant().abs() - 1.0).abs() > 1e-8 {
                    continue;
                }
                let v2 = b * c2.map(f64::from);
                if close(1, 2, &v1, &v2) && close(2, 0, &v2, &v0) {
                    rotations.push(r);
                }
            }
        }
    }
    // moyo returns an error before closing the set unless the count divides 48.
    if rotations.is_empty() || MAX_POINT_GROUP_ORDER % rotations.len() != 0 {
        return Closure::Rejected;
    }
    match closure_size(&rotations, MAX_POINT_GROUP_ORDER) {
        None => Closure::Infinite,
        Some(n) if n == rotations.len() => Closure::Group,
        Some(_) => Closure::Rejected,
    }
}

/// The 27 vectors of `{-1, 0, 1}^3`.
fn coefficient_vectors() -> impl Iterator<Item = Vector3<i32>> {
    (0..27).map(|k| Vector3::new(k / 9 - 1, (k / 3) % 3 - 1, k % 3 - 1))
}

/// Order of the group generated by `generators`, or `None` when it exceeds `limit` (the search
/// stops there, so it always terminates).
fn closure_size(generators: &[Matrix3<i32>], limit: usize) -> Option<usize> {
    let mut group = vec![Matrix3::<i32>::identity()];
    let mut next = 0;
    while next < group.len() {
        let element = group[next];
        next += 1;
        for g in generators {
            let product = element * g;
            if !group.contains(&product) {
                if group.len() == limit {
                    return None;
                }
                group.push(product);
            }
        }
    }
    Some(group.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_of_finite_and_infinite_generators() {
        // A 4-fold rotation about z generates 4 elements; a shear generates infinitely many.
        let c4 = Matrix3::new(0, -1, 0, 1, 0, 0, 0, 0, 1);
        let shear = Matrix3::new(1, 1, 0, 0, 1, 0, 0, 0, 1);
        assert_eq!(closure_size(&[c4], 4), Some(4));
        assert_eq!(closure_size(&[c4], 3), None);
        assert_eq!(closure_size(&[shear], 48), None);
        assert_eq!(closure_size(&[c4, shear], 48), None);
    }

    fn box_lattice(a: f64, b: f64, c: f64) -> Matrix3<f64> {
        reduce(&[[a, 0.0, 0.0], [0.0, b, 0.0], [0.0, 0.0, c]]).unwrap()
    }

    /// moyo 0.22 returns space group 47 for one atom in a 300 x 3 x 4 A box and never returns
    /// for 600 x 3 x 4 A: there |b3 + b1| - |b3| = 9 / 1200 A < symprec = 0.01 A, so the shear
    /// b3 -> b3 + b1 is a candidate. At 300 A the gap is 0.015 A.
    #[test]
    fn shear_candidate_appears_exactly_where_moyo_hangs() {
        let five = Some(5f64.to_radians());
        assert_eq!(
            closure_at(&box_lattice(300.0, 3.0, 4.0), 0.01, five),
            Closure::Group
        );
        assert_eq!(
            closure_at(&box_lattice(600.0, 3.0, 4.0), 0.01, five),
            Closure::Infinite
        );
        // The boundary 3^2 / (2 L) = 0.01 A is at L = 450 A.
        assert_eq!(
            closure_at(&box_lattice(440.0, 3.0, 4.0), 0.01, five),
            Closure::Group
        );
        assert_eq!(
            closure_at(&box_lattice(460.0, 3.0, 4.0), 0.01, five),
            Closure::Infinite
        );
        // Ordinary boxes: their holohedries (mmm, m-3m) are finite groups.
        for l in [box_lattice(3.0, 4.0, 5.0), box_lattice(4.0, 4.0, 4.0)] {
            assert_eq!(closure_at(&l, 0.01, five), Closure::Group);
        }
    }

    #[test]
    fn geometric_limits_name_the_value() {
        let one = |l: [[f64; 3]; 3], n| check(&l, n, 0.01, Some(0.087));
        let slab = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 160.0]];
        assert!(one(slab, 1).unwrap().contains("aspect ratio 53.3"));
        assert!(one(slab, 10).unwrap().contains("aspect ratio"));
        let sparse = [[14.0, 0.0, 0.0], [0.0, 14.0, 0.0], [0.0, 0.0, 14.0]];
        assert!(one(sparse, 1).unwrap().contains("volume per atom 2744.000"));
        assert_eq!(one(sparse, 2), None);
        let dense = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        assert!(one(dense, 4).unwrap().contains("volume per atom 0.250"));
    }

    #[test]
    fn coefficient_vectors_cover_the_cube() {
        let v: Vec<_> = coefficient_vectors().collect();
        assert_eq!(v.len(), 27);
        for c in &v {
            assert!(c.iter().all(|x| (-1..=1).contains(x)));
        }
        let mut dedup = v.clone();
        dedup.sort_by_key(|c| (c.x, c.y, c.z));
        dedup.dedup();
        assert_eq!(dedup.len(), 27);
    }
}
