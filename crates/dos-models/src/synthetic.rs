//! Synthetic crystals and batches for tests, benchmarks and smoke runs.
//!
//! A [`SyntheticCrystal`] is a random periodic structure (slightly sheared cubic cell, random
//! fractional positions, random per-atom features) whose graph is built by a brute-force
//! periodic radius search, so edge vectors are physical (`r_j + n·L - r_i`). Rotating or
//! translating the crystal ([`SyntheticCrystal::transformed`]) rotates the edge vectors and
//! leaves their order unchanged, which is what equivariance tests need.
//! [`batch_from_graphs`] assembles graphs into a [`CrystalBatch`] without the data pipeline.

use candle_core::{DType, Device, Result, Tensor};
use dos_data::symmetry::CrystalSystem;
use dos_data::CrystalBatch;

/// Deterministic SplitMix64 generator (no external dependency; reproducible across platforms).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next raw 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
}

/// One crystal's graph in plain vectors, local node indices.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticGraph {
    /// Per-atom features, n × F.
    pub node_features: Vec<Vec<f64>>,
    /// Per-edge features, E × F_e.
    pub edge_features: Vec<Vec<f64>>,
    /// Edge vectors r_j + shift - r_i, E × 3.
    pub edge_vectors: Vec<[f64; 3]>,
    /// Sender (neighbour j) of each edge, local index.
    pub senders: Vec<u32>,
    /// Receiver (centre i) of each edge, local index.
    pub receivers: Vec<u32>,
    /// Crystal system (its prompt row).
    pub crystal_system: CrystalSystem,
    /// Target DOS (M values), if any.
    pub target: Option<Vec<f64>>,
}

/// A random periodic crystal.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticCrystal {
    /// Lattice vectors as rows (Å).
    pub lattice: [[f64; 3]; 3],
    /// Cartesian positions (Å).
    pub positions: Vec<[f64; 3]>,
    /// Per-atom features (n × F).
    pub node_features: Vec<Vec<f64>>,
    /// Crystal system (its prompt row).
    pub crystal_system: CrystalSystem,
    /// Target DOS (M values), if any.
    pub target: Option<Vec<f64>>,
}

/// What [`SyntheticCrystal::random`] builds.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticSpec {
    /// Number of atoms.
    pub atoms: usize,
    /// Atoms per Å³ (sets the cell volume; 40 neighbours within 4 Å need about 0.15).
    pub density: f64,
    /// Node feature width F.
    pub node_in: usize,
    /// Number of energies M of the random target (0: no target).
    pub n_energies: usize,
    /// Crystal system.
    pub crystal_system: CrystalSystem,
}

fn mat_vec_rows(lattice: &[[f64; 3]; 3], f: [f64; 3]) -> [f64; 3] {
    let mut r = [0.0; 3];
    for (k, row) in lattice.iter().enumerate() {
        for c in 0..3 {
            r[c] += f[k] * row[c];
        }
    }
    r
}

fn rotate(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    let mut r = [0.0; 3];
    for (i, row) in m.iter().enumerate() {
        r[i] = row[0] * v[0] + row[1] * v[1] + row[2] * v[2];
    }
    r
}

impl SyntheticCrystal {
    /// A random crystal: sheared cubic cell of volume `atoms / density`, random fractional
    /// positions, features uniform in [0, 1), target a smooth positive random curve.
    pub fn random(spec: &SyntheticSpec, rng: &mut SplitMix64) -> Self {
        let a = (spec.atoms as f64 / spec.density).cbrt();
        let mut lattice = [[0.0; 3]; 3];
        for (i, row) in lattice.iter_mut().enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = if i == j { a } else { a * rng.range(-0.1, 0.1) };
            }
        }
        let positions = (0..spec.atoms)
            .map(|_| mat_vec_rows(&lattice, [rng.uniform(), rng.uniform(), rng.uniform()]))
            .collect();
        let node_features = (0..spec.atoms)
            .map(|_| (0..spec.node_in).map(|_| rng.uniform()).collect())
            .collect();
        let target = (spec.n_energies > 0).then(|| {
            let (c, w, h) = (
                rng.range(0.2, 0.8),
                rng.range(0.1, 0.3),
                rng.range(0.5, 1.0),
            );
            (0..spec.n_energies)
                .map(|m| {
                    let x = m as f64 / (spec.n_energies.max(2) - 1) as f64;
                    h * (-((x - c) / w).powi(2)).exp()
                })
                .collect()
        });
        Self {
            lattice,
            positions,
            node_features,
            crystal_system: spec.crystal_system,
            target,
        }
    }

    /// The crystal mapped by `x -> R x + t` (lattice vectors rotated, positions moved).
    pub fn transformed(&self, rotation: &[[f64; 3]; 3], translation: [f64; 3]) -> Self {
        let mut out = self.clone();
        for row in out.lattice.iter_mut() {
            *row = rotate(rotation, *row);
        }
        for p in out.positions.iter_mut() {
            let r = rotate(rotation, *p);
            *p = [
                r[0] + translation[0],
                r[1] + translation[1],
                r[2] + translation[2],
            ];
        }
        out
    }

    /// Periodic radius graph with cutoff `cutoff` (Å), brute force over lattice images.
    /// Edge features (width `edge_in`) are a deterministic smooth function of the distance
    /// only (Gaussians centred on `[0, cutoff]`), so they are rotation invariant.
    pub fn graph(&self, cutoff: f64, edge_in: usize) -> SyntheticGraph {
        // Enough images for a slightly sheared cell: the shortest lattice vector bounds the
        // perpendicular widths well enough at |shear| <= 0.1.
        let min_len = self
            .lattice
            .iter()
            .map(|r| (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt())
            .fold(f64::INFINITY, f64::min);
        let k = (cutoff / (0.8 * min_len)).ceil() as i64 + 1;
        let mut g = SyntheticGraph {
            node_features: self.node_features.clone(),
            edge_features: Vec::new(),
            edge_vectors: Vec::new(),
            senders: Vec::new(),
            receivers: Vec::new(),
            crystal_system: self.crystal_system,
            target: self.target.clone(),
        };
        let n = self.positions.len();
        for i in 0..n {
            for j in 0..n {
                for n1 in -k..=k {
                    for n2 in -k..=k {
                        for n3 in -k..=k {
                            let s = mat_vec_rows(&self.lattice, [n1 as f64, n2 as f64, n3 as f64]);
                            let (pi, pj) = (self.positions[i], self.positions[j]);
                            let r = [
                                pj[0] + s[0] - pi[0],
                                pj[1] + s[1] - pi[1],
                                pj[2] + s[2] - pi[2],
                            ];
                            let d = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
                            if d > 1e-8 && d <= cutoff {
                                g.edge_vectors.push(r);
                                g.senders.push(j as u32);
                                g.receivers.push(i as u32);
                                g.edge_features.push(
                                    (0..edge_in)
                                        .map(|q| {
                                            let c = cutoff * q as f64 / edge_in.max(2) as f64;
                                            (-((d - c) / (0.5 * cutoff)).powi(2)).exp()
                                        })
                                        .collect(),
                                );
                            }
                        }
                    }
                }
            }
        }
        g
    }
}

/// A random orthogonal 3x3 matrix (Gram-Schmidt of a random matrix) with determinant
/// `+1` (`reflect == false`) or `-1` (`reflect == true`).
pub fn random_orthogonal(rng: &mut SplitMix64, reflect: bool) -> [[f64; 3]; 3] {
    let mut rows = [[0.0; 3]; 3];
    for i in 0..3 {
        let mut v = [
            rng.range(-1.0, 1.0),
            rng.range(-1.0, 1.0),
            rng.range(-1.0, 1.0),
        ];
        for prev in rows.iter().take(i) {
            let dot: f64 = (0..3).map(|c| v[c] * prev[c]).sum();
            for c in 0..3 {
                v[c] -= dot * prev[c];
            }
        }
        let norm = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        rows[i] = [v[0] / norm, v[1] / norm, v[2] / norm];
    }
    let det = dos_data::mat3::det3(&rows);
    if (det < 0.0) != reflect {
        rows[2] = [-rows[2][0], -rows[2][1], -rows[2][2]];
    }
    rows
}

fn flat(rows: &[Vec<f64>], width: usize) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(rows.len() * width);
    for r in rows {
        if r.len() != width {
            candle_core::bail!(
                "synthetic batch: feature row of width {} != {width}",
                r.len()
            );
        }
        out.extend_from_slice(r);
    }
    Ok(out)
}

/// Assembles graphs into one [`CrystalBatch`] (concatenated graph + padded atom layout), in
/// `dtype` on `device`. Crystals are named `synthetic-0`, `synthetic-1`, ...
pub fn batch_from_graphs(
    graphs: &[SyntheticGraph],
    device: &Device,
    dtype: DType,
) -> Result<CrystalBatch> {
    if graphs.is_empty() {
        candle_core::bail!("synthetic batch: no graph");
    }
    let f = graphs[0].node_features.first().map_or(0, Vec::len);
    let fe = graphs
        .iter()
        .find_map(|g| g.edge_features.first().map(Vec::len))
        .unwrap_or(0);
    let atoms: Vec<usize> = graphs.iter().map(|g| g.node_features.len()).collect();
    let n_max = atoms.iter().copied().max().unwrap_or(0);
    let (mut nf, mut ef, mut ev) = (Vec::new(), Vec::new(), Vec::new());
    let (mut snd, mut rcv, mut crystal, mut padded, mut mask) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut systems = Vec::new();
    let mut targets = Vec::new();
    let mut offset = 0u32;
    for (b, g) in graphs.iter().enumerate() {
        let n = g.node_features.len();
        nf.extend(flat(&g.node_features, f)?);
        ef.extend(flat(&g.edge_features, fe)?);
        ev.extend(g.edge_vectors.iter().flatten().copied());
        snd.extend(g.senders.iter().map(|s| s + offset));
        rcv.extend(g.receivers.iter().map(|r| r + offset));
        crystal.extend(std::iter::repeat_n(b as u32, n));
        for slot in 0..n_max {
            padded.push(if slot < n { offset + slot as u32 } else { 0 });
            mask.push(if slot < n { 1.0 } else { 0.0 });
        }
        systems.push(g.crystal_system.index() as u32);
        if let Some(t) = &g.target {
            targets.push(t.clone());
        }
        offset += n as u32;
    }
    let n_total = offset as usize;
    let e_total = snd.len();
    let b = graphs.len();
    let targets = if targets.len() == b {
        let m = targets[0].len();
        Some(Tensor::from_vec(flat(&targets, m)?, (b, m), device)?.to_dtype(dtype)?)
    } else {
        None
    };
    Ok(CrystalBatch {
        node_features: Tensor::from_vec(nf, (n_total, f), device)?.to_dtype(dtype)?,
        edge_features: Tensor::from_vec(ef, (e_total, fe), device)?.to_dtype(dtype)?,
        edge_vectors: Tensor::from_vec(ev, (e_total, 3), device)?.to_dtype(dtype)?,
        senders: Tensor::from_vec(snd, e_total, device)?,
        receivers: Tensor::from_vec(rcv, e_total, device)?,
        node_crystal: Tensor::from_vec(crystal, n_total, device)?,
        padded_index: Tensor::from_vec(padded, b * n_max, device)?,
        atom_mask: Tensor::from_vec(mask, (b, n_max), device)?.to_dtype(dtype)?,
        crystal_system: Tensor::from_vec(systems, b, device)?,
        targets,
        atoms_per_crystal: atoms,
        n_max,
        ids: (0..b).map(|i| format!("synthetic-{i}")).collect(),
    })
}

/// A batch of `b` phonon-like synthetic crystals for benchmarks: 7 atoms each at a density
/// giving about 40 neighbours within 4 Å (≈ 268 edges per crystal), 118 node features, 4 edge
/// features, M = 51 targets, crystal systems cycling 0..7, fixed seed 2023.
///
/// # Shapes
/// node features (7b, 118), edge features (E, 4), targets (b, 51)
pub fn phonon_like_batch(b: usize, device: &Device, dtype: DType) -> Result<CrystalBatch> {
    let mut rng = SplitMix64::new(2023);
    let graphs: Vec<_> = (0..b)
        .map(|k| {
            let spec = SyntheticSpec {
                atoms: 7,
                // 40 neighbours within 4 Å: density = 40 / (4/3 π 4³) ≈ 0.149 atoms/Å³.
                density: 0.149,
                node_in: 118,
                n_energies: 51,
                crystal_system: CrystalSystem::ALL[k % CrystalSystem::ALL.len()],
            };
            SyntheticCrystal::random(&spec, &mut rng).graph(4.0, 4)
        })
        .collect();
    batch_from_graphs(&graphs, device, dtype)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_graph_is_symmetric_and_within_cutoff() {
        let mut rng = SplitMix64::new(1);
        let spec = SyntheticSpec {
            atoms: 3,
            density: 0.1,
            node_in: 2,
            n_energies: 4,
            crystal_system: CrystalSystem::Cubic,
        };
        let c = SyntheticCrystal::random(&spec, &mut rng);
        let g = c.graph(4.0, 3);
        assert!(!g.senders.is_empty());
        // every edge j->i with vector r has a reverse edge i->j with vector -r
        for e in 0..g.senders.len() {
            let r = g.edge_vectors[e];
            let found = (0..g.senders.len()).any(|f| {
                g.senders[f] == g.receivers[e]
                    && g.receivers[f] == g.senders[e]
                    && (0..3).all(|c| (g.edge_vectors[f][c] + r[c]).abs() < 1e-9)
            });
            assert!(found, "edge {e} has no reverse");
            let d = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt();
            assert!(d <= 4.0 && d > 0.0);
        }
    }

    #[test]
    fn random_orthogonal_has_requested_determinant() {
        let mut rng = SplitMix64::new(7);
        for reflect in [false, true] {
            let q = random_orthogonal(&mut rng, reflect);
            let det = dos_data::mat3::det3(&q);
            assert!((det - if reflect { -1.0 } else { 1.0 }).abs() < 1e-12);
            for i in 0..3 {
                for j in 0..3 {
                    let dot: f64 = (0..3).map(|c| q[i][c] * q[j][c]).sum();
                    assert!((dot - f64::from(u8::from(i == j))).abs() < 1e-12);
                }
            }
        }
    }
}
