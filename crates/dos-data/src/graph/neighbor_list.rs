//! Periodic neighbour lists: every directed pair of atoms (with its lattice image) closer than
//! a cutoff, optionally capped to the k nearest neighbours of each centre.

use crate::crystal::Crystal;
use crate::mat3::{inverse3, norm3};
use dos_config::{Check, CheckFields};

use crate::error::{DataError, Result};

/// Largest number of periodic images searched along one lattice direction (either side).
///
/// A cutoff that needs more than this (a cutoff over 10,000 cell heights) is rejected instead of
/// allocating an unbounded list.
pub const MAX_IMAGES_PER_DIRECTION: i64 = 10_000;

/// Default [`NeighborOptions::max_neighbors_per_atom`]: 2048 atoms within the cutoff of one
/// centre. Real crystals stay far below (diamond, the densest common solid at 0.18 atoms/A^3,
/// has about 380 within 8 A; the phonon benchmark at most a few hundred edges per crystal at
/// 4 A); only overlapping atoms or a cutoff far beyond the cell reach it.
pub const DEFAULT_MAX_NEIGHBORS_PER_ATOM: usize = 2048;

/// Default [`NeighborOptions::max_edges`]: 2^20 edges in one list (about 50 MiB as a
/// [`NeighborList`]), e.g. 2048 atoms with 512 neighbours each.
pub const DEFAULT_MAX_EDGES: usize = 1 << 20;

/// Most image-search steps (atom pairs times image rows along the first two lattice vectors)
/// one list may take; a search that would need more (a cutoff many times the cell height on a
/// large cell) is rejected up front instead of running for minutes.
pub const MAX_SEARCH_STEPS: f64 = (1u64 << 28) as f64;

/// How to build a [`NeighborList`].
///
/// - `cutoff`: radius in Angstrom; pairs with `0 < |d| < cutoff` are kept (`d` defined on
///   [`NeighborList`]), the convention of ASE's `neighbor_list` (strict `<`).
/// - `k_nearest`: keep only the `k` nearest neighbours of each centre (within the cutoff); ties
///   broken by distance, then neighbour index `j`, then the image shift (lexicographic).
/// - `max_neighbors_per_atom`, `max_edges`: limits; a structure that needs more is an error
///   ([`DataError::LimitExceeded`]), found before the list is allocated where the cell volume
///   proves it and otherwise while building, so memory stays bounded.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NeighborOptions {
    /// Cutoff radius in Angstrom, finite and > 0.
    pub cutoff: f64,
    /// Keep at most this many neighbours per centre (nearest first); `None` keeps all.
    pub k_nearest: Option<usize>,
    /// Most atoms (periodic images included) within the cutoff of any one centre, before a
    /// `k_nearest` cap; >= 1. [`DEFAULT_MAX_NEIGHBORS_PER_ATOM`] by default.
    #[serde(default = "default_max_neighbors_per_atom")]
    pub max_neighbors_per_atom: usize,
    /// Most edges in the list (after a `k_nearest` cap); >= 1. [`DEFAULT_MAX_EDGES`] by
    /// default.
    #[serde(default = "default_max_edges")]
    pub max_edges: usize,
}

fn default_max_neighbors_per_atom() -> usize {
    DEFAULT_MAX_NEIGHBORS_PER_ATOM
}

fn default_max_edges() -> usize {
    DEFAULT_MAX_EDGES
}

impl NeighborOptions {
    /// All neighbours within `cutoff`, default limits.
    pub fn radius(cutoff: f64) -> Self {
        Self {
            cutoff,
            k_nearest: None,
            max_neighbors_per_atom: DEFAULT_MAX_NEIGHBORS_PER_ATOM,
            max_edges: DEFAULT_MAX_EDGES,
        }
    }

    /// The `k` nearest neighbours within `cutoff`, default limits.
    pub fn k_nearest(cutoff: f64, k: usize) -> Self {
        Self {
            k_nearest: Some(k),
            ..Self::radius(cutoff)
        }
    }
}

impl CheckFields for NeighborOptions {
    type Error = DataError;

    /// Check the options: `cutoff` finite and > 0, `k_nearest` (when set) > 0.
    ///
    /// # Errors
    /// [`DataError::Invalid`] naming the field.
    fn check_fields(&self) -> Result<()> {
        if !(self.cutoff.is_finite() && self.cutoff > 0.0) {
            return Err(DataError::Invalid {
                field: "cutoff".into(),
                message: format!("{} must be finite and > 0 Angstrom", self.cutoff),
            });
        }
        if self.k_nearest == Some(0) {
            return Err(DataError::Invalid {
                field: "k_nearest".into(),
                message: "must be >= 1 when set".into(),
            });
        }
        for (field, v) in [
            ("max_neighbors_per_atom", self.max_neighbors_per_atom),
            ("max_edges", self.max_edges),
        ] {
            if v == 0 {
                return Err(DataError::Invalid {
                    field: field.into(),
                    message: "must be >= 1".into(),
                });
            }
        }
        Ok(())
    }
}

/// Directed periodic edges of a crystal, as a struct of arrays (one entry per edge `e`).
///
/// Edge `e` goes from neighbour `j = neighbors[e]` to centre `i = centers[e]`, through the
/// lattice image `S = shifts[e]`:
///
/// `d_e = r_j + S · lattice - r_i`, `vectors[e] = d_e`, `distances[e] = |d_e|`,
///
/// with `r` the Cartesian positions exactly as stored in the [`Crystal`] (not wrapped into the
/// cell), the convention of ASE's `neighbor_list("ijSDd", ...)`. The list holds every pair with
/// `0 < |d| < cutoff` (an atom meets its own images, not itself), so for each edge `(i, j, S)`
/// the reverse edge `(j, i, -S)` is present too (unless a `k_nearest` cap drops it).
///
/// Edges are ordered by centre, then by distance, then `j`, then `S` (lexicographic).
///
/// # Shapes
/// - `centers`, `neighbors`: (E,)
/// - `shifts`: (E, 3) integer image shifts
/// - `vectors`: (E, 3) Angstrom
/// - `distances`: (E,) Angstrom
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NeighborList {
    /// Centre atom `i` of each edge (the receiver).
    pub centers: Vec<u32>,
    /// Neighbour atom `j` of each edge (the sender).
    pub neighbors: Vec<u32>,
    /// Integer lattice image of the neighbour, `S` in `r_j + S · lattice - r_i`.
    pub shifts: Vec<[i32; 3]>,
    /// Edge vectors `r_j + S · lattice - r_i`, Angstrom.
    pub vectors: Vec<[f64; 3]>,
    /// Edge lengths `|vectors[e]|`, Angstrom.
    pub distances: Vec<f64>,
}

impl NeighborList {
    /// Number of edges E.
    pub fn len(&self) -> usize {
        self.centers.len()
    }

    /// True when there is no edge.
    pub fn is_empty(&self) -> bool {
        self.centers.is_empty()
    }

    /// Number of edges whose centre is each atom, length `n_atoms`.
    pub fn degrees(&self, n_atoms: usize) -> Vec<usize> {
        let mut deg = vec![0; n_atoms];
        for &i in &self.centers {
            if let Some(d) = deg.get_mut(i as usize) {
                *d += 1;
            }
        }
        deg
    }
}

/// All directed periodic pairs with `0 < |r_j + S · lattice - r_i| < cutoff`.
///
/// Shorthand for [`neighbor_list_with`] and [`NeighborOptions::radius`].
///
/// # Errors
/// [`DataError::Invalid`] when `cutoff` is not finite and > 0, or needs more than
/// [`MAX_IMAGES_PER_DIRECTION`] images.
///
/// # Example
/// ```
/// use dos_data::{graph::neighbor_list, Crystal};
/// // simple cubic, a = 3 A: 6 nearest images at 3 A, 12 at 4.24 A
/// let l = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]];
/// let c = Crystal::new(l, vec![29], vec![[0.0; 3]]).unwrap();
/// assert_eq!(neighbor_list(&c, 3.5).unwrap().len(), 6);
/// assert_eq!(neighbor_list(&c, 4.5).unwrap().len(), 18);
/// ```
pub fn neighbor_list(crystal: &Crystal, cutoff: f64) -> Result<NeighborList> {
    neighbor_list_with(crystal, &NeighborOptions::radius(cutoff))
}

/// Periodic neighbour list with options (cutoff, optional k-nearest cap); see [`NeighborList`].
///
/// Exact for any cell shape and any cutoff, including cutoffs larger than the cell: for each
/// pair `(i, j)` with fractional difference `δ = f_j - f_i`, the images searched along lattice
/// direction `k` are the integers `S_k` with `|δ_k + S_k| <= cutoff / h_k`, where
/// `h_k = V / |a_l × a_m|` is the perpendicular height of the cell along `k` (a point within
/// `cutoff` of the origin has `|f_k| <= cutoff / h_k`); along the third vector the range is
/// narrowed further to the chord of the cutoff sphere. Cost O(N² · images).
///
/// # Errors
/// [`DataError::Invalid`] when the options are invalid (see [`Check::check`] of [`NeighborOptions`]) or
/// the cutoff needs more than [`MAX_IMAGES_PER_DIRECTION`] images along a direction;
/// [`DataError::LimitExceeded`] naming the crystal, the count and the limit when an atom has
/// more than `max_neighbors_per_atom` atoms within the cutoff, the list would exceed
/// `max_edges`, or the search more than [`MAX_SEARCH_STEPS`] (checked from the cell volume
/// before allocating where possible, otherwise while building).
pub fn neighbor_list_with(crystal: &Crystal, options: &NeighborOptions) -> Result<NeighborList> {
    options.check()?;
    let cutoff = options.cutoff;
    let lattice = crystal.lattice();
    let inv = inverse3(lattice);
    // cutoff / h_k = cutoff * |b_k|, b_k = k-th column of lattice^-1 (reciprocal vector / 2π).
    let mut reach = [0.0; 3];
    for (k, r) in reach.iter_mut().enumerate() {
        let b = [inv[0][k], inv[1][k], inv[2][k]];
        // Tiny margin: the box only prunes, the exact distance test below decides.
        *r = cutoff * norm3(&b) * (1.0 + 1e-12) + 1e-12;
        if *r > MAX_IMAGES_PER_DIRECTION as f64 {
            return Err(DataError::Invalid {
                field: "cutoff".into(),
                message: format!(
                    "{cutoff} A needs {r:.0} cell images along lattice vector {k}; at most \
                     {MAX_IMAGES_PER_DIRECTION} are searched"
                ),
            });
        }
    }
    let n = crystal.n_atoms();
    check_size_up_front(crystal, options, &reach)?;
    let positions = crystal.positions();
    let frac = crystal.fractional_positions();
    let cutoff2 = cutoff * cutoff;
    let c = lattice[2];
    let c2 = c[0] * c[0] + c[1] * c[1] + c[2] * c[2];
    let too_many =
        |what: String, count: usize, limit: usize, limit_name: &str| DataError::LimitExceeded {
            structure: describe(crystal),
            what,
            count,
            limit,
            limit_name: limit_name.into(),
        };

    let mut edges: Vec<Edge> = Vec::new();
    let mut per_centre: Vec<Edge> = Vec::new();
    for i in 0..n {
        per_centre.clear();
        for j in 0..n {
            let delta = [
                frac[j][0] - frac[i][0],
                frac[j][1] - frac[i][1],
                frac[j][2] - frac[i][2],
            ];
            let base = [
                positions[j][0] - positions[i][0],
                positions[j][1] - positions[i][1],
                positions[j][2] - positions[i][2],
            ];
            // The range is bounded by MAX_IMAGES_PER_DIRECTION plus the (finite) position
            // offset, so the casts are in range for any crystal that fits in memory.
            let lo = |k: usize| (-reach[k] - delta[k]).ceil() as i64;
            let hi = |k: usize| (reach[k] - delta[k]).floor() as i64;
            for s0 in lo(0)..=hi(0) {
                let v0 = [
                    base[0] + s0 as f64 * lattice[0][0],
                    base[1] + s0 as f64 * lattice[0][1],
                    base[2] + s0 as f64 * lattice[0][2],
                ];
                for s1 in lo(1)..=hi(1) {
                    let v1 = [
                        v0[0] + s1 as f64 * lattice[1][0],
                        v0[1] + s1 as f64 * lattice[1][1],
                        v0[2] + s1 as f64 * lattice[1][2],
                    ];
                    // Exact range of s2 along the line v1 + s2 · c inside the sphere:
                    // |c|² s² + 2 (v1·c) s + |v1|² - cutoff² < 0. Widened slightly; the
                    // distance test below decides.
                    let b = v1[0] * c[0] + v1[1] * c[1] + v1[2] * c[2];
                    let v1n = v1[0] * v1[0] + v1[1] * v1[1] + v1[2] * v1[2];
                    let disc = b * b - c2 * (v1n - cutoff2);
                    if disc < 0.0 {
                        continue;
                    }
                    let root = disc.sqrt();
                    let s2_lo = lo(2).max(((-b - root) / c2 - 1e-9).ceil() as i64);
                    let s2_hi = hi(2).min(((-b + root) / c2 + 1e-9).floor() as i64);
                    for s2 in s2_lo..=s2_hi {
                        if i == j && s0 == 0 && s1 == 0 && s2 == 0 {
                            continue;
                        }
                        let v = [
                            v1[0] + s2 as f64 * lattice[2][0],
                            v1[1] + s2 as f64 * lattice[2][1],
                            v1[2] + s2 as f64 * lattice[2][2],
                        ];
                        let d2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
                        if d2 < cutoff2 {
                            if per_centre.len() == options.max_neighbors_per_atom {
                                return Err(too_many(
                                    format!("atoms within {cutoff} A of atom {i}"),
                                    per_centre.len() + 1,
                                    options.max_neighbors_per_atom,
                                    "max_neighbors_per_atom",
                                ));
                            }
                            let shift = [s0, s1, s2].map(|s| {
                                i32::try_from(s).unwrap_or(if s < 0 { i32::MIN } else { i32::MAX })
                            });
                            per_centre.push(Edge {
                                i: i as u32,
                                j: j as u32,
                                shift,
                                vector: v,
                                distance: d2.sqrt(),
                            });
                        }
                    }
                }
            }
        }
        // A total order (no two edges share j and shift), so the result is deterministic.
        let order = |a: &Edge, b: &Edge| {
            a.distance
                .total_cmp(&b.distance)
                .then(a.j.cmp(&b.j))
                .then(a.shift.cmp(&b.shift))
        };
        if let Some(k) = options.k_nearest {
            if k < per_centre.len() {
                // O(n) partition around the k-th nearest, then sort only the kept k.
                per_centre.select_nth_unstable_by(k - 1, order);
                per_centre.truncate(k);
            }
        }
        per_centre.sort_unstable_by(order);
        if edges.len() + per_centre.len() > options.max_edges {
            return Err(too_many(
                format!("edges within {cutoff} A (counted up to atom {i})"),
                edges.len() + per_centre.len(),
                options.max_edges,
                "max_edges",
            ));
        }
        edges.extend_from_slice(&per_centre);
    }

    let mut out = NeighborList {
        centers: Vec::with_capacity(edges.len()),
        neighbors: Vec::with_capacity(edges.len()),
        shifts: Vec::with_capacity(edges.len()),
        vectors: Vec::with_capacity(edges.len()),
        distances: Vec::with_capacity(edges.len()),
    };
    for e in edges {
        out.centers.push(e.i);
        out.neighbors.push(e.j);
        out.shifts.push(e.shift);
        out.vectors.push(e.vector);
        out.distances.push(e.distance);
    }
    Ok(out)
}

/// `Fe2O3 (10 atoms)`: how a limit error names the structure.
fn describe(crystal: &Crystal) -> String {
    format!(
        "crystal {} ({} atoms)",
        crystal.reduced_formula(),
        crystal.n_atoms()
    )
}

/// Reject, before any list is allocated, a structure whose cell volume proves that it needs
/// more than the limits allow, or whose search would take more than [`MAX_SEARCH_STEPS`].
///
/// Lower bound: the cells of the lattice anchored at the images of atom j tile space, so at
/// least `vol(ball(cutoff - D)) / V` images of j lie within the cutoff of any centre, with
/// `D = |a| + |b| + |c|` bounding the cell diameter and `V` the cell volume (minus one for the
/// centre itself). Summed over the N atoms this never exceeds the true count.
fn check_size_up_front(
    crystal: &Crystal,
    options: &NeighborOptions,
    reach: &[f64; 3],
) -> Result<()> {
    let n = crystal.n_atoms() as f64;
    let steps = n * n * (2.0 * reach[0] + 1.0) * (2.0 * reach[1] + 1.0);
    let err = |what: String, count: f64, limit: usize, limit_name: &str| {
        Err(DataError::LimitExceeded {
            structure: describe(crystal),
            what,
            // saturating: counts past usize::MAX are reported as usize::MAX
            count: count as usize,
            limit,
            limit_name: limit_name.into(),
        })
    };
    if steps > MAX_SEARCH_STEPS {
        return err(
            format!(
                "image-search steps for a {} A cutoff (cutoff / cell height {:.1}, {:.1}, {:.1})",
                options.cutoff, reach[0], reach[1], reach[2]
            ),
            steps,
            MAX_SEARCH_STEPS as usize,
            "MAX_SEARCH_STEPS",
        );
    }
    let diameter: f64 = crystal.lattice().iter().map(norm3).sum();
    let inner = (options.cutoff - diameter).max(0.0);
    let per_atom =
        (n * 4.0 / 3.0 * std::f64::consts::PI * inner.powi(3) / crystal.volume() - 1.0).max(0.0);
    if per_atom > options.max_neighbors_per_atom as f64 {
        return err(
            format!(
                "atoms within {} A of each atom (at least, from the cell volume)",
                options.cutoff
            ),
            per_atom.floor(),
            options.max_neighbors_per_atom,
            "max_neighbors_per_atom",
        );
    }
    let kept = options
        .k_nearest
        .map_or(per_atom, |k| per_atom.min(k as f64))
        .floor();
    if n * kept > options.max_edges as f64 {
        return err(
            format!(
                "edges within {} A (at least, from the cell volume)",
                options.cutoff
            ),
            n * kept,
            options.max_edges,
            "max_edges",
        );
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, Default)]
struct Edge {
    i: u32,
    j: u32,
    shift: [i32; 3],
    vector: [f64; 3],
    distance: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{rocksalt, skewed};
    use crate::mat3::vec_mat;

    /// Brute force over a fixed, generous image box.
    fn brute(c: &Crystal, cutoff: f64, range: i32) -> Vec<(u32, u32, [i32; 3])> {
        let mut out = Vec::new();
        let p = c.positions();
        for i in 0..c.n_atoms() {
            for j in 0..c.n_atoms() {
                for a in -range..=range {
                    for b in -range..=range {
                        for cc in -range..=range {
                            let s = [f64::from(a), f64::from(b), f64::from(cc)];
                            let t = vec_mat(&s, c.lattice());
                            let d = [
                                p[j][0] + t[0] - p[i][0],
                                p[j][1] + t[1] - p[i][1],
                                p[j][2] + t[2] - p[i][2],
                            ];
                            let r = norm3(&d);
                            if r > 0.0 && r < cutoff {
                                out.push((i as u32, j as u32, [a, b, cc]));
                            }
                        }
                    }
                }
            }
        }
        out.sort();
        out
    }

    fn triples(nl: &NeighborList) -> Vec<(u32, u32, [i32; 3])> {
        let mut t: Vec<_> = (0..nl.len())
            .map(|e| (nl.centers[e], nl.neighbors[e], nl.shifts[e]))
            .collect();
        t.sort();
        t
    }

    #[test]
    fn equals_brute_force_on_skewed_cell_with_large_cutoff() {
        let c = skewed();
        for cutoff in [1.0, 2.5, 4.0, 6.5] {
            let nl = neighbor_list(&c, cutoff).unwrap();
            assert_eq!(triples(&nl), brute(&c, cutoff, 12), "cutoff {cutoff}");
        }
    }

    #[test]
    fn equals_brute_force_on_flat_needle_and_sheared_cells() {
        let cells = [
            // flat plate: c much longer than a, b
            [[1.3, 0.0, 0.0], [0.4, 1.2, 0.0], [0.3, 0.2, 7.0]],
            // needle: one short vector
            [[0.9, 0.0, 0.0], [0.0, 4.5, 0.0], [0.0, 1.0, 5.0]],
            // strongly sheared, left-handed
            [[2.0, 0.0, 0.0], [3.7, 0.9, 0.0], [-2.9, 1.4, -1.6]],
        ];
        for (k, l) in cells.into_iter().enumerate() {
            let c =
                Crystal::from_fractional(l, vec![14, 8], &[[0.05, -0.3, 0.2], [0.55, 0.35, 1.7]])
                    .unwrap();
            for cutoff in [2.0, 5.5] {
                let nl = neighbor_list(&c, cutoff).unwrap();
                // the brute-force box must be larger than any shift it finds
                let found = brute(&c, cutoff, 24);
                assert!(found.iter().flat_map(|t| t.2).all(|s| s.abs() < 24));
                assert_eq!(triples(&nl), found, "cell {k}, cutoff {cutoff}");
            }
        }
    }

    #[test]
    fn vectors_distances_and_reverse_edges_are_consistent() {
        let c = skewed();
        let nl = neighbor_list(&c, 4.0).unwrap();
        let p = c.positions();
        let set: std::collections::HashSet<_> = triples(&nl).into_iter().collect();
        for e in 0..nl.len() {
            let (i, j, s) = (
                nl.centers[e] as usize,
                nl.neighbors[e] as usize,
                nl.shifts[e],
            );
            let t = vec_mat(&s.map(f64::from), c.lattice());
            for k in 0..3 {
                assert!((nl.vectors[e][k] - (p[j][k] + t[k] - p[i][k])).abs() < 1e-12);
            }
            assert!((nl.distances[e] - norm3(&nl.vectors[e])).abs() < 1e-12);
            assert!(nl.distances[e] > 0.0 && nl.distances[e] < 4.0);
            assert!(set.contains(&(j as u32, i as u32, s.map(|x| -x))));
        }
        // sorted by centre, then distance
        for e in 1..nl.len() {
            assert!(
                nl.centers[e - 1] < nl.centers[e]
                    || (nl.centers[e - 1] == nl.centers[e]
                        && nl.distances[e - 1] <= nl.distances[e])
            );
        }
    }

    #[test]
    fn matches_ase_edge_counts() {
        // python3 -c "from ase import Atoms; from ase.neighborlist import neighbor_list
        //   as nl; import numpy as np; a=5.64; L=[[0,a/2,a/2],[a/2,0,a/2],[a/2,a/2,0]];
        //   at=Atoms([11,17],scaled_positions=[[0,0,0],[.5,.5,.5]],cell=L,pbc=True);
        //   print([len(nl('i',at,r,self_interaction=False)) for r in (3,4,5,6)])"
        // -> [12, 36, 52, 64]  (ASE 3.29.0)
        let c = rocksalt();
        let counts: Vec<usize> = [3.0, 4.0, 5.0, 6.0]
            .iter()
            .map(|&r| neighbor_list(&c, r).unwrap().len())
            .collect();
        assert_eq!(counts, ASE_ROCKSALT);
        // python3 -c "from ase import Atoms; from ase.neighborlist import neighbor_list as nl;
        //   L=[[2.1,0,0],[1.7,1.9,0],[-1.3,0.8,2.3]];
        //   at=Atoms([6,8,1],scaled_positions=[[.1,.2,.3],[.6,.45,.9],[1.3,-.7,.55]],cell=L,
        //   pbc=True,); print([len(nl('i',at,r,self_interaction=False)) for r in (1,2.5,4,6.5)])"
        // -> [4, 62, 256, 1134]  (ASE 3.29.0; scaled_positions are kept unwrapped)
        let c = skewed();
        let counts: Vec<usize> = [1.0, 2.5, 4.0, 6.5]
            .iter()
            .map(|&r| neighbor_list(&c, r).unwrap().len())
            .collect();
        assert_eq!(counts, ASE_SKEWED);
    }

    const ASE_ROCKSALT: [usize; 4] = [12, 36, 52, 64];
    const ASE_SKEWED: [usize; 4] = [4, 62, 256, 1134];

    #[test]
    fn k_nearest_keeps_the_nearest_with_deterministic_ties() {
        let c = rocksalt();
        let full = neighbor_list(&c, 6.0).unwrap();
        let k = neighbor_list_with(&c, &NeighborOptions::k_nearest(6.0, 8)).unwrap();
        assert_eq!(k.degrees(2), vec![8, 8]);
        for i in 0..2u32 {
            let all: Vec<usize> = (0..full.len()).filter(|&e| full.centers[e] == i).collect();
            let kept: Vec<usize> = (0..k.len()).filter(|&e| k.centers[e] == i).collect();
            // the first 6 are the nearest shell (2.82 A), then 2 of the 12 second-shell atoms
            // (3.99 A) chosen by j then shift: the same as the first 8 of the full sorted list
            for (a, b) in all.iter().zip(&kept) {
                assert_eq!(
                    (full.neighbors[*a], full.shifts[*a]),
                    (k.neighbors[*b], k.shifts[*b])
                );
            }
            let d_max = kept.iter().map(|&e| k.distances[e]).fold(0.0, f64::max);
            let d_next = full.distances[all[8]];
            assert!(d_max <= d_next);
        }
        // fewer candidates than k: everything within the cutoff is kept
        let k = neighbor_list_with(&c, &NeighborOptions::k_nearest(3.0, 100)).unwrap();
        assert_eq!(k, neighbor_list(&c, 3.0).unwrap());
    }

    #[test]
    fn invalid_options_are_errors() {
        let c = rocksalt();
        for cutoff in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                neighbor_list(&c, cutoff),
                Err(DataError::Invalid { .. })
            ));
        }
        assert!(neighbor_list_with(&c, &NeighborOptions::k_nearest(4.0, 0)).is_err());
        assert!(neighbor_list(&c, 1e6).is_err());
    }

    /// `m`³ atoms on a cubic grid `spacing` apart, filling a cubic cell (so the atoms and their
    /// images are exactly `spacing` apart).
    fn dense_grid(m: usize, spacing: f64) -> Crystal {
        let a = spacing * m as f64;
        let l = [[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]];
        let f: Vec<[f64; 3]> = (0..m * m * m)
            .map(|k| [k % m, (k / m) % m, k / (m * m)].map(|x| x as f64 / m as f64))
            .collect();
        Crystal::from_fractional(l, vec![1; f.len()], &f).unwrap()
    }

    /// The cases of the hardening issue: 27 and 512 atoms 0.1 A apart in a tiny cell with a
    /// large cutoff (4.5 GB and an abort before) are errors naming the crystal, the count and
    /// the limit, found from the cell volume before any list is allocated.
    #[test]
    fn dense_tiny_cells_with_large_cutoffs_are_rejected_up_front() {
        for (m, cutoff) in [(3, 8.0), (8, 8.0), (3, 30.0)] {
            let c = dense_grid(m, 0.101);
            for options in [
                NeighborOptions::radius(cutoff),
                NeighborOptions::k_nearest(cutoff, 12),
            ] {
                let start = std::time::Instant::now();
                let err = neighbor_list_with(&c, &options).unwrap_err();
                assert!(start.elapsed().as_secs_f64() < 0.5, "{:?}", start.elapsed());
                let msg = err.to_string();
                let DataError::LimitExceeded { count, limit, .. } = err else {
                    panic!("{msg}");
                };
                assert!(count > limit, "{msg}");
                assert!(
                    msg.starts_with(&format!("crystal H ({} atoms)", m * m * m))
                        && msg.contains(&format!("exceeds the limit of {limit}")),
                    "{msg}"
                );
            }
        }
    }

    /// A dense cluster in a large cell passes the volume bound and is stopped while building,
    /// at the first centre over the limit; custom limits apply; within the limits the list is
    /// unchanged.
    #[test]
    fn limits_are_enforced_while_building() {
        let mut f = Vec::new();
        for k in 0..343 {
            let g = [k % 7, (k / 7) % 7, k / 49].map(|x| 0.2 + x as f64 * 0.15 / 30.0);
            f.push(g);
        }
        let l = [[30.0, 0.0, 0.0], [0.0, 30.0, 0.0], [0.0, 0.0, 30.0]];
        let c = Crystal::from_fractional(l, vec![6; f.len()], &f).unwrap();
        let options = NeighborOptions {
            max_neighbors_per_atom: 100,
            ..NeighborOptions::radius(4.0)
        };
        let msg = neighbor_list_with(&c, &options).unwrap_err().to_string();
        assert_eq!(
            msg,
            "crystal C (343 atoms): atoms within 4 A of atom 0: 101 exceeds the limit of 100 \
             (max_neighbors_per_atom)"
        );
        assert_eq!(neighbor_list(&c, 4.0).unwrap().len(), 343 * 342);
        let nacl = rocksalt();
        let tight = NeighborOptions {
            max_edges: 20,
            ..NeighborOptions::radius(4.0)
        };
        let msg = neighbor_list_with(&nacl, &tight).unwrap_err().to_string();
        assert!(
            msg.starts_with("crystal NaCl (2 atoms): edges within 4 A")
                && msg.ends_with("36 exceeds the limit of 20 (max_edges)"),
            "{msg}"
        );
        let within = NeighborOptions {
            max_edges: 36,
            max_neighbors_per_atom: 18,
            ..NeighborOptions::radius(4.0)
        };
        assert_eq!(
            neighbor_list_with(&nacl, &within).unwrap(),
            neighbor_list(&nacl, 4.0).unwrap()
        );
        for bad in [
            NeighborOptions {
                max_edges: 0,
                ..NeighborOptions::radius(4.0)
            },
            NeighborOptions {
                max_neighbors_per_atom: 0,
                ..NeighborOptions::radius(4.0)
            },
        ] {
            assert!(matches!(bad.check(), Err(DataError::Invalid { .. })));
        }
    }

    /// Options saved before the limits existed still load, with the default limits.
    #[test]
    fn options_without_limits_deserialize_with_defaults() {
        let o: NeighborOptions =
            serde_json::from_str(r#"{"cutoff": 8.0, "k_nearest": 12}"#).unwrap();
        assert_eq!(o, NeighborOptions::k_nearest(8.0, 12));
    }

    #[test]
    fn phonon_benchmark_counts_match_ase() {
        // Generated with ASE 3.29.0 over $DOS_DATA_DIR/phonon/phonon_dos.csv:
        //   python3 -c "import csv,ast,sys; from ase import Atoms; from ase.neighborlist import
        //   neighbor_list as nl; csv.field_size_limit(10**9); rows=list(csv.DictReader(open(
        //   sys.argv[1]))); c=[len(nl('i',Atoms(numbers=s['numbers'],positions=s['positions'],
        //   cell=s['cell'],pbc=True),4.0,self_interaction=False)) for s in (ast.literal_eval(
        //   r['structure']) for r in rows)]; print(sum(c)); print([(i,rows[i]['mp_id'],c[i])
        //   for i in (0,1,150,300,451,600,777,900,1200,1521)])" phonon_dos.csv
        const TOTAL: usize = 165_534;
        const PINNED: [(usize, &str, usize); 11] = [
            (0, "mp-1000", 12),
            (1, "mp-1002124", 32),
            (150, "mp-13056", 170),
            (300, "mp-2064", 28),
            (451, "mp-24341", 104),
            (600, "mp-3042", 130),
            (777, "mp-5380", 96),
            (880, "mp-567841", 696), // the row with the most edges
            (900, "mp-569571", 254),
            (1200, "mp-8161", 192),
            (1521, "mp-569018", 46),
        ];
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/phonon/phonon_dos.csv.gz");
        let rows = crate::io::phonon_csv::read_phonon_csv(path).unwrap();
        assert_eq!(rows.len(), 1522);
        let counts: Vec<usize> = rows
            .iter()
            .map(|r| neighbor_list(&r.crystal, 4.0).unwrap().len())
            .collect();
        for (i, id, n) in PINNED {
            assert_eq!((rows[i].id.as_str(), counts[i]), (id, n), "row {i}");
        }
        assert_eq!(counts.iter().sum::<usize>(), TOTAL);
    }
}
