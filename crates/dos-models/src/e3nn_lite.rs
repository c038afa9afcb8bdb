//! [`E3nnLite`]: a small E(3)-equivariant message-passing baseline (scalars, vectors and
//! axial vectors, i.e. irreps `0e + 1o + 1e`), in the spirit of e3nn / NequIP / the E3NN
//! phonon-DOS model of Chen et al. (2021), written directly with Cartesian tensors.
//!
//! # Features
//! Each atom carries `C` channels of each kind: scalars `s` (N, C) (`0e`), polar vectors
//! `v` (N, C, 3) (`1o`), axial vectors `a` (N, C, 3) (`1e`). Real spherical harmonics of
//! degree 1 are proportional to the Cartesian components, so `Y1(r̂) = √3 r̂` (component
//! normalisation) and `Y0 = 1`.
//!
//! # One layer
//! For an edge `j -> i` with vector `r` (length `ρ`), radial weights
//! `w = MLP(basis(ρ)) · u(ρ)` (one weight per path and channel; `basis` is a Gaussian or a
//! Bessel expansion of `ρ`, `u(ρ) = (cos(πρ/r_c) + 1)/2` for `ρ < r_c`, else 0), and the
//! channel-wise tensor-product paths
//! - `0e ⊗ 0e -> 0e`: `w₀ s_j`
//! - `0e ⊗ 1o -> 1o`: `w₁ s_j Y1`
//! - `1o ⊗ 0e -> 1o`: `w₂ v_j`
//! - `1o ⊗ 1o -> 0e`: `w₃ (v_j · Y1)`
//! - `1o ⊗ 1o -> 1e`: `w₄ (v_j × Y1)` (the cross product of two polar vectors is axial)
//! - `1e ⊗ 0e -> 1e`: `w₅ a_j`
//! - `1e ⊗ 1o -> 1o`: `w₆ (a_j × Y1)`
//!
//! Messages are averaged over the incoming edges of each atom, concatenated with the atom's
//! own features and mixed across channels (`Linear` with bias for scalars; without bias for
//! vectors, which keeps equivariance). Gated nonlinearity and residual:
//! `s += SiLU(s')`, `v += σ(g_v) ⊙ v'`, `a += σ(g_a) ⊙ a'`, the gates `g` being extra scalar
//! outputs of the scalar mixing. Tracking parity (`1o` vs `1e`) makes the model invariant
//! under all of O(3), reflections included.
//!
//! The first layer sees only scalars (`v = a = 0` at the input), so it has the paths 0 and
//! 1 and produces `s, v`; the second adds `v`-paths and produces `a`; later layers use all
//! seven paths. Irreps of degree 2 are not implemented.
//!
//! # Readout
//! Per-atom invariants `[s, |v_c|², |a_c|²]` -> `Linear(·, d)` -> sum over the atoms of a
//! crystal -> (B, d), then the shared baseline output head ([`crate::baseline`]).

use candle_core::{Module, Result, Tensor, D};
use candle_nn::{linear, linear_no_bias, Linear, VarBuilder};
use dos_config::Checked;
use dos_data::CrystalBatch;
use serde::{Deserialize, Serialize};

use crate::baseline::{AtomEncoder, Baseline, BaselineHeadConfig};
use crate::Precision;

/// Radial basis expansion of an edge length ρ on `[0, r_c]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RadialBasis {
    /// `exp(-((ρ - μ_k)/σ)² / 2)`, centres `μ_k = k r_c / (K - 1)`, `σ = r_c / (K - 1)`.
    #[default]
    Gaussian,
    /// `sqrt(2 / r_c) sin(k π ρ / r_c) / ρ`, `k = 1..=K` (DimeNet / NequIP).
    Bessel,
}

/// Configuration of the equivariant encoder of [`E3nnLite`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct E3nnEncoderConfig {
    /// Node feature width F.
    pub node_in: usize,
    /// Channels C of each irrep kind (scalars, vectors, axial vectors).
    pub channels: usize,
    /// Number of message-passing layers.
    pub layers: usize,
    /// Radial cutoff r_c in Å (should equal the graph cutoff; longer edges get weight 0).
    pub cutoff: f64,
    /// Radial basis kind.
    pub radial_basis: RadialBasis,
    /// Number of radial basis functions K.
    pub n_basis: usize,
    /// Hidden width of the radial MLP.
    pub radial_hidden: usize,
    /// Width d of the pooled invariant output.
    pub out_dim: usize,
}

impl E3nnEncoderConfig {
    /// Defaults for the phonon benchmark: 118 inputs, C = 32, 3 layers, r_c = 4 Å,
    /// 10 Gaussians, radial MLP width 64, d = 256.
    pub fn paper_phonon() -> Self {
        Self {
            node_in: 118,
            channels: 32,
            layers: 3,
            cutoff: 4.0,
            radial_basis: RadialBasis::Gaussian,
            n_basis: 10,
            radial_hidden: 64,
            out_dim: 256,
        }
    }

    pub(crate) fn check_fields(&self, prefix: &str) -> crate::Result<()> {
        use crate::size_limits::{check_range, MAX_LAYERS, MAX_WIDTH};
        let f = |name: &str| format!("{prefix}.{name}");
        for (name, v, max) in [
            ("node_in", self.node_in, MAX_WIDTH),
            ("channels", self.channels, MAX_WIDTH),
            ("layers", self.layers, MAX_LAYERS),
            ("n_basis", self.n_basis, MAX_WIDTH),
            ("radial_hidden", self.radial_hidden, MAX_WIDTH),
            ("out_dim", self.out_dim, MAX_WIDTH),
        ] {
            check_range(&f(name), v, 1, max)?;
        }
        if self.n_basis < 2 && self.radial_basis == RadialBasis::Gaussian {
            return Err(crate::error::invalid(
                &f("n_basis"),
                "the Gaussian basis needs >= 2 functions",
            ));
        }
        if !(self.cutoff.is_finite() && self.cutoff > 0.0) {
            return Err(crate::error::invalid(
                &f("cutoff"),
                "must be finite and > 0 Å",
            ));
        }
        Ok(())
    }
}

/// Cross product along the last axis; `a`: (E, C, 3), `b`: (E, 1, 3) -> (E, C, 3).
fn cross(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let c = |t: &Tensor, k: usize| t.narrow(D::Minus1, k, 1);
    let (ax, ay, az) = (c(a, 0)?, c(a, 1)?, c(a, 2)?);
    let (bx, by, bz) = (c(b, 0)?, c(b, 1)?, c(b, 2)?);
    let x = (ay.broadcast_mul(&bz)? - az.broadcast_mul(&by)?)?;
    let y = (az.broadcast_mul(&bx)? - ax.broadcast_mul(&bz)?)?;
    let z = (ax.broadcast_mul(&by)? - ay.broadcast_mul(&bx)?)?;
    Tensor::cat(&[x, y, z], D::Minus1)
}

/// Mixes channels of a vector feature: (N, C_in, 3) -> (N, C_out, 3), no bias.
fn mix_vectors(lin: &Linear, x: &Tensor) -> Result<Tensor> {
    lin.forward(&x.transpose(1, 2)?.contiguous()?)?
        .transpose(1, 2)?
        .contiguous()
}

/// Per-edge geometry shared by all layers.
struct EdgeGeometry {
    /// √3 r̂, (E, 1, 3).
    y1: Tensor,
    /// Radial basis times cutoff envelope, (E, K); envelope (E, 1).
    basis: Tensor,
    envelope: Tensor,
    /// 1 / max(1, in-degree), (N, 1).
    inv_degree: Tensor,
}

/// One equivariant layer.
#[derive(Debug, Clone)]
struct E3nnLayer {
    radial1: Linear,
    radial2: Linear,
    scalar_mix: Linear,
    vector_mix: Linear,
    axial_mix: Option<Linear>,
    channels: usize,
    has_v: bool,
    has_a: bool,
    n_paths: usize,
}

impl E3nnLayer {
    fn new(cfg: &E3nnEncoderConfig, index: usize, vb: VarBuilder) -> Result<Self> {
        let c = cfg.channels;
        let (has_v, has_a, out_a) = (index >= 1, index >= 2, index >= 1);
        let n_paths = 2 + if has_v { 3 } else { 0 } + if has_a { 2 } else { 0 };
        let n_gates = c + if out_a { c } else { 0 };
        let v_in = if has_v { 2 * c } else { c };
        let a_in = if has_a { 2 * c } else { c };
        Ok(Self {
            radial1: linear(cfg.n_basis, cfg.radial_hidden, vb.pp("radial.fc1"))?,
            radial2: linear(cfg.radial_hidden, n_paths * c, vb.pp("radial.fc2"))?,
            scalar_mix: linear(2 * c, c + n_gates, vb.pp("scalar_mix"))?,
            vector_mix: linear_no_bias(v_in, c, vb.pp("vector_mix"))?,
            axial_mix: if out_a {
                Some(linear_no_bias(a_in, c, vb.pp("axial_mix"))?)
            } else {
                None
            },
            channels: c,
            has_v,
            has_a,
            n_paths,
        })
    }

    /// (s, v, a) -> (s, v, a); `v`, `a` are `None` where this layer's input has none.
    fn forward(
        &self,
        s: &Tensor,
        v: Option<&Tensor>,
        a: Option<&Tensor>,
        geo: &EdgeGeometry,
        senders: &Tensor,
        receivers: &Tensor,
    ) -> Result<(Tensor, Tensor, Option<Tensor>)> {
        let c = self.channels;
        let n = s.dim(0)?;
        let e = senders.dim(0)?;
        let w = self
            .radial2
            .forward(&candle_nn::ops::silu(&self.radial1.forward(&geo.basis)?)?)?
            .broadcast_mul(&geo.envelope)?
            .reshape((e, self.n_paths, c))?;
        let wp = |p: usize| w.narrow(1, p, 1)?.squeeze(1); // (E, C)
        let wv = |p: usize| -> Result<Tensor> { wp(p)?.unsqueeze(2) }; // (E, C, 1)
        let y1 = &geo.y1;

        let s_j = s.index_select(senders, 0)?;
        let mut m_s = (wp(0)? * &s_j)?;
        let mut m_v = wv(1)?
            .broadcast_mul(&s_j.unsqueeze(2)?)?
            .broadcast_mul(y1)?;
        let mut m_a: Option<Tensor> = None;
        let mut p = 2;
        if self.has_v {
            let v = v.ok_or_else(|| candle_core::Error::Msg("e3nn layer: missing v".into()))?;
            let v_j = v.index_select(senders, 0)?;
            m_v = (m_v + wv(p)?.broadcast_mul(&v_j)?)?;
            m_s = (m_s + (wp(p + 1)? * v_j.broadcast_mul(y1)?.sum(2)?)?)?;
            m_a = Some(wv(p + 2)?.broadcast_mul(&cross(&v_j, y1)?)?);
            p += 3;
        }
        if self.has_a {
            let a = a.ok_or_else(|| candle_core::Error::Msg("e3nn layer: missing a".into()))?;
            let a_j = a.index_select(senders, 0)?;
            let from_a = wv(p)?.broadcast_mul(&a_j)?;
            m_a = Some(match m_a {
                Some(m) => (m + from_a)?,
                None => from_a,
            });
            m_v = (m_v + wv(p + 1)?.broadcast_mul(&cross(&a_j, y1)?)?)?;
        }
        // Mean over incoming edges (index_add: scatter_add has no reliable backward).
        let agg = |m: &Tensor| -> Result<Tensor> {
            let mut shape = m.dims().to_vec();
            shape[0] = n;
            let z = Tensor::zeros(shape, m.dtype(), m.device())?;
            let summed = z.index_add(receivers, m, 0)?;
            match summed.rank() {
                2 => summed.broadcast_mul(&geo.inv_degree),
                _ => summed.broadcast_mul(&geo.inv_degree.unsqueeze(2)?),
            }
        };
        let m_s = agg(&m_s)?;
        let m_v = agg(&m_v)?;

        let s_out = self.scalar_mix.forward(&Tensor::cat(&[s, &m_s], 1)?)?;
        let s_new = (s + candle_nn::ops::silu(&s_out.narrow(1, 0, c)?)?)?;
        let gate_v = candle_nn::ops::sigmoid(&s_out.narrow(1, c, c)?)?.unsqueeze(2)?;
        let v_cat = match v {
            Some(v) if self.has_v => Tensor::cat(&[v, &m_v], 1)?,
            _ => m_v,
        };
        let v_upd = mix_vectors(&self.vector_mix, &v_cat)?.broadcast_mul(&gate_v)?;
        let v_new = match v {
            Some(v) => (v + v_upd)?,
            None => v_upd,
        };
        let a_new = match (&self.axial_mix, m_a) {
            (Some(mix), Some(m_a)) => {
                let m_a = agg(&m_a)?;
                let gate_a = candle_nn::ops::sigmoid(&s_out.narrow(1, 2 * c, c)?)?.unsqueeze(2)?;
                let a_cat = match a {
                    Some(a) if self.has_a => Tensor::cat(&[a, &m_a], 1)?,
                    _ => m_a,
                };
                let a_upd = mix_vectors(mix, &a_cat)?.broadcast_mul(&gate_a)?;
                Some(match a {
                    Some(a) => (a + a_upd)?,
                    None => a_upd,
                })
            }
            _ => None,
        };
        Ok((s_new, v_new, a_new))
    }
}

/// The equivariant encoder: atoms -> per-atom invariants -> `Linear(·, d)`, (N, d).
///
/// Parameter names: `embed`, `layers.{k}.radial.fc{1,2}`, `layers.{k}.scalar_mix`,
/// `layers.{k}.vector_mix`, `layers.{k}.axial_mix`, `readout`.
#[derive(Debug, Clone)]
pub struct E3nnEncoder {
    embed: Linear,
    layers: Vec<E3nnLayer>,
    readout: Linear,
    cfg: E3nnEncoderConfig,
}

/// Inputs of [`E3nnEncoder::forward`].
///
/// # Shapes
/// - `node_features`: (N, F)
/// - `edge_vectors`: (E, 3)
/// - `senders`, `receivers`: (E,) u32
/// - `scalar_shift`: (N, C) added to the embedded scalars (crystal-system prompt), optional
#[derive(Debug, Clone, Copy)]
pub struct E3nnInput<'a> {
    /// Node features (N, F).
    pub node_features: &'a Tensor,
    /// Edge vectors r_j + shift - r_i (E, 3).
    pub edge_vectors: &'a Tensor,
    /// Sending atom j of each edge (E,) u32.
    pub senders: &'a Tensor,
    /// Receiving atom i of each edge (E,) u32.
    pub receivers: &'a Tensor,
    /// Added to the embedded scalars before the first layer (N, C), e.g. a prompt.
    pub scalar_shift: Option<&'a Tensor>,
}

impl E3nnEncoder {
    /// Builds (or loads) the encoder under `vb`.
    pub fn new(cfg: &E3nnEncoderConfig, vb: VarBuilder) -> Result<Self> {
        let layers = (0..cfg.layers)
            .map(|k| E3nnLayer::new(cfg, k, vb.pp(format!("layers.{k}"))))
            .collect::<Result<Vec<_>>>()?;
        let c = cfg.channels;
        let n_inv = c + c + if cfg.layers >= 2 { c } else { 0 };
        Ok(Self {
            embed: linear(cfg.node_in, c, vb.pp("embed"))?,
            layers,
            readout: linear(n_inv, cfg.out_dim, vb.pp("readout"))?,
            cfg: cfg.clone(),
        })
    }

    fn geometry(&self, input: &E3nnInput, n: usize) -> Result<EdgeGeometry> {
        let r = input.edge_vectors;
        let dtype = r.dtype();
        let dev = r.device();
        let rho = r.sqr()?.sum_keepdim(1)?.sqrt()?; // (E, 1)
                                                    // Edges of zero length carry no direction; guard the division only.
        let y1 =
            (r.broadcast_div(&rho.clamp(1e-9, f64::INFINITY)?)? * 3f64.sqrt())?.unsqueeze(1)?;
        let rc = self.cfg.cutoff;
        let k = self.cfg.n_basis;
        let basis = match self.cfg.radial_basis {
            RadialBasis::Gaussian => {
                let step = rc / (k - 1) as f64;
                let centres: Vec<f64> = (0..k).map(|i| i as f64 * step).collect();
                let mu = Tensor::from_vec(centres, (1, k), dev)?.to_dtype(dtype)?;
                let z = (rho.broadcast_sub(&mu)? / step)?;
                (z.sqr()? * -0.5)?.exp()?
            }
            RadialBasis::Bessel => {
                let freqs: Vec<f64> = (1..=k)
                    .map(|i| i as f64 * std::f64::consts::PI / rc)
                    .collect();
                let f = Tensor::from_vec(freqs, (1, k), dev)?.to_dtype(dtype)?;
                let rho_safe = rho.clamp(1e-9, f64::INFINITY)?;
                (rho.broadcast_mul(&f)?.sin()?.broadcast_div(&rho_safe)? * (2.0 / rc).sqrt())?
            }
        };
        let inside = rho.lt(rc)?.to_dtype(dtype)?;
        let envelope = ((((rho * (std::f64::consts::PI / rc))?.cos()? + 1.0)? * 0.5)? * inside)?;
        let ones = Tensor::ones((input.receivers.dim(0)?, 1), dtype, dev)?;
        let degree = Tensor::zeros((n, 1), dtype, dev)?.index_add(input.receivers, &ones, 0)?;
        let inv_degree = degree.clamp(1.0, f64::INFINITY)?.recip()?;
        Ok(EdgeGeometry {
            y1,
            basis,
            envelope,
            inv_degree,
        })
    }

    /// Per-atom invariant features after the readout.
    ///
    /// # Shapes
    /// returns (N, d)
    pub fn forward(&self, input: &E3nnInput) -> Result<Tensor> {
        let n = input.node_features.dim(0)?;
        let geo = self.geometry(input, n)?;
        let mut s = self.embed.forward(input.node_features)?;
        if let Some(shift) = input.scalar_shift {
            s = (s + shift)?;
        }
        let (mut v, mut a): (Option<Tensor>, Option<Tensor>) = (None, None);
        for layer in &self.layers {
            let (s2, v2, a2) = layer.forward(
                &s,
                v.as_ref(),
                a.as_ref(),
                &geo,
                input.senders,
                input.receivers,
            )?;
            s = s2;
            v = Some(v2);
            a = a2;
        }
        let mut inv = vec![s];
        for x in [v, a].into_iter().flatten() {
            inv.push(x.sqr()?.sum(D::Minus1)?);
        }
        self.readout.forward(&Tensor::cat(&inv, 1)?)
    }

    /// The configuration.
    pub fn config(&self) -> &E3nnEncoderConfig {
        &self.cfg
    }
}

/// Configuration of [`E3nnLite`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct E3nnLiteConfig {
    /// The equivariant encoder.
    pub encoder: E3nnEncoderConfig,
    /// Output head and prompt injection (position-1 prompts have width `channels`).
    pub head: BaselineHeadConfig,
    /// Float precision.
    #[serde(default)]
    pub precision: Precision,
}

impl E3nnLiteConfig {
    /// Phonon preset (M = 51), energy embeddings on.
    pub fn paper_phonon() -> Self {
        Self {
            encoder: E3nnEncoderConfig::paper_phonon(),
            head: BaselineHeadConfig::paper(51),
            precision: Precision::F32,
        }
    }

    /// Electron preset (M = 201, 200-wide element embeddings, 8 Å graph cutoff).
    pub fn paper_electron() -> Self {
        Self {
            encoder: E3nnEncoderConfig {
                node_in: 200,
                cutoff: 8.0,
                ..E3nnEncoderConfig::paper_phonon()
            },
            head: BaselineHeadConfig::paper(201),
            precision: Precision::F32,
        }
    }

    /// Every field; the parameter count is checked by [`Check::check`] on the built model.
    fn check_each_field(&self) -> crate::Result<()> {
        self.encoder.check_fields("encoder")?;
        self.head.check_fields("head")?;
        Ok(())
    }
}

crate::size_limits::check_fields_then_size!(E3nnLiteConfig, E3nnLite);

impl crate::ModelSettings for E3nnLiteConfig {
    crate::baseline::baseline_head_settings!();
    fn input_widths(&self) -> (usize, Option<usize>) {
        (self.encoder.node_in, None)
    }
    fn set_input_widths(&mut self, node_in: usize, _edge_in: usize) {
        self.encoder.node_in = node_in;
    }
    /// d sets the pooled width d, d/8 channels per irrep kind and a radial MLP of width d/4.
    fn apply_arch(&mut self, o: &crate::ArchOverrides) {
        if let Some(d) = o.hidden {
            self.encoder.out_dim = d;
            self.encoder.channels = (d / 8).max(1);
            self.encoder.radial_hidden = (d / 4).max(1);
            self.head.set_width(d);
        }
        if let Some(l) = o.gnn_layers {
            self.encoder.layers = l;
        }
    }
}

/// E(3)-equivariant baseline: [`E3nnEncoder`] as the [`AtomEncoder`] of a [`Baseline`]
/// (sum pooling, then [`crate::baseline::OutputHead`]).
///
/// Parameter names: `encoder.*`, `prompts.*`, `head.*`.
///
/// # Shapes
/// batch -> (B, M)
pub type E3nnLite = Baseline<E3nnEncoder>;

impl E3nnLite {
    /// Builds (or loads) the model under `vb`.
    pub fn new(cfg: &Checked<E3nnLiteConfig>, vb: VarBuilder) -> Result<Self> {
        let encoder = E3nnEncoder::new(&cfg.encoder, vb.pp("encoder"))?;
        let (atom_dim, pooled_dim) = (cfg.encoder.channels, cfg.encoder.out_dim);
        Baseline::with_encoder(encoder, atom_dim, pooled_dim, &cfg.head, vb)
    }
}

/// The position-1 prompt shifts the embedded scalars before the first equivariant layer.
impl AtomEncoder for E3nnEncoder {
    fn encode(&self, batch: &CrystalBatch, shift: Option<&Tensor>) -> Result<Tensor> {
        self.forward(&E3nnInput {
            node_features: &batch.node_features,
            edge_vectors: &batch.edge_vectors,
            senders: &batch.senders,
            receivers: &batch.receivers,
            scalar_shift: shift,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{
        batch_from_graphs, random_orthogonal, SplitMix64, SyntheticCrystal, SyntheticSpec,
    };
    use crate::testing::{tiny_e3nn, CUTOFF, EDGE_IN, M, NODE_IN};
    use crate::DosModel;
    use crate::SystemInjection;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;
    use dos_config::Check;

    fn model(basis: RadialBasis) -> Result<E3nnLite> {
        let mut cfg = tiny_e3nn(true, SystemInjection::Position2);
        cfg.encoder.radial_basis = basis;
        let vm = VarMap::new();
        let vb = dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F64, &Device::Cpu);
        E3nnLite::new(&cfg.check().map_err(candle_core::Error::wrap)?, vb)
    }

    fn predict(m: &E3nnLite, c: &SyntheticCrystal) -> Result<Vec<f64>> {
        let b = batch_from_graphs(&[c.graph(CUTOFF, EDGE_IN)], &Device::Cpu, DType::F64)?;
        m.predict(&b)?.flatten_all()?.to_vec1::<f64>()
    }

    fn max_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn output_is_invariant_under_rotation_reflection_and_translation() -> Result<()> {
        let mut rng = SplitMix64::new(42);
        let spec = SyntheticSpec {
            atoms: 5,
            density: 0.06,
            node_in: NODE_IN,
            n_energies: M,
            crystal_system: dos_data::symmetry::CrystalSystem::Tetragonal,
        };
        let crystal = SyntheticCrystal::random(&spec, &mut rng);
        for basis in [RadialBasis::Gaussian, RadialBasis::Bessel] {
            let m = model(basis)?;
            let y0 = predict(&m, &crystal)?;
            for reflect in [false, true] {
                let q = random_orthogonal(&mut rng, reflect);
                let t = [
                    rng.range(-5.0, 5.0),
                    rng.range(-5.0, 5.0),
                    rng.range(-5.0, 5.0),
                ];
                let moved = crystal.transformed(&q, t);
                // Same edges in the same order, vectors rotated.
                let (g0, g1) = (crystal.graph(CUTOFF, EDGE_IN), moved.graph(CUTOFF, EDGE_IN));
                assert_eq!(g0.senders, g1.senders);
                assert_eq!(g0.receivers, g1.receivers);
                let y1 = predict(&m, &moved)?;
                assert!(
                    max_diff(&y0, &y1) < 1e-5,
                    "{basis:?} reflect={reflect}: max |Δ| = {:e}",
                    max_diff(&y0, &y1)
                );
            }
            // Not trivially invariant: a shear (not an isometry) changes the output.
            let shear = [[1.0, 0.3, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
            let sheared = crystal.transformed(&shear, [0.0; 3]);
            let mut g = sheared.graph(CUTOFF, EDGE_IN);
            // Keep the original edge list so only the geometry differs.
            let g0 = crystal.graph(CUTOFF, EDGE_IN);
            g.senders = g0.senders.clone();
            g.receivers = g0.receivers.clone();
            g.edge_features = g0.edge_features.clone();
            g.edge_vectors = g0
                .edge_vectors
                .iter()
                .map(|r| {
                    let mut out = [0.0; 3];
                    for (i, row) in shear.iter().enumerate() {
                        out[i] = row[0] * r[0] + row[1] * r[1] + row[2] * r[2];
                    }
                    out
                })
                .collect();
            let b = batch_from_graphs(&[g], &Device::Cpu, DType::F64)?;
            let y2 = m.predict(&b)?.flatten_all()?.to_vec1::<f64>()?;
            assert!(
                max_diff(&y0, &y2) > 1e-6,
                "{basis:?}: shear left the output unchanged"
            );
        }
        Ok(())
    }

    #[test]
    fn cross_product_matches_definition() -> Result<()> {
        let dev = Device::Cpu;
        let a = Tensor::new(&[[[1f64, 2., 3.], [0., 0., 1.]]], &dev)?; // (1, 2, 3)
        let b = Tensor::new(&[[[4f64, 5., 6.]]], &dev)?; // (1, 1, 3)
        let c = cross(&a, &b)?.to_vec3::<f64>()?;
        // (1,2,3) x (4,5,6) = (-3, 6, -3); (0,0,1) x (4,5,6) = (-5, 4, 0)
        assert_eq!(c[0], vec![vec![-3.0, 6.0, -3.0], vec![-5.0, 4.0, 0.0]]);
        Ok(())
    }

    #[test]
    fn parameter_names_follow_the_module_tree() -> Result<()> {
        let cfg = tiny_e3nn(false, SystemInjection::None);
        let vm = VarMap::new();
        let vb = dos_nn::SeededVarMap::var_builder(&vm, 0, DType::F32, &Device::Cpu);
        let _m = E3nnLite::new(&cfg.check().map_err(candle_core::Error::wrap)?, vb)?;
        let names: Vec<String> = vm.data().lock().unwrap().keys().cloned().collect();
        assert!(names
            .iter()
            .any(|n| n == "encoder.layers.0.radial.fc1.weight"));
        assert!(names
            .iter()
            .any(|n| n == "encoder.layers.2.axial_mix.weight"));
        assert!(!names
            .iter()
            .any(|n| n == "encoder.layers.0.axial_mix.weight"));
        assert!(names.iter().any(|n| n == "head.fc2.weight"));
        assert!(names
            .iter()
            .all(|n| n.starts_with("encoder.") || n.starts_with("head.")));
        Ok(())
    }

    #[test]
    fn check_rejects_bad_fields() {
        let mut cfg = tiny_e3nn(true, SystemInjection::None);
        cfg.encoder.cutoff = -1.0;
        assert!(cfg.check().is_err());
        let mut cfg = tiny_e3nn(true, SystemInjection::None);
        cfg.encoder.channels = 0;
        assert!(cfg.check().is_err());
    }
}
