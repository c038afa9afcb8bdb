//! Slice kernels for hand-written forward and backward passes on the CPU.
//!
//! A candle graph records one node per operation, allocates every intermediate and every
//! gradient (zero-filled), and adds a parameter's gradient terms with element-wise passes.
//! A pass written by hand over plain slices avoids all of that: this module gives it
//!
//! - [`matmul`]: `C (+)= A B` where `A` and `B` are [`MatView`]s of row-major slices
//!   (transposed and column-block views cost nothing) and `C` may be accumulated into, so a
//!   weight gradient is summed over a batch in the product itself (faer's kernels);
//! - [`layer_norm_forward`] / [`layer_norm_backward`]: LayerNorm keeping the normalised rows
//!   and `1/std` for the backward pass;
//! - [`HostNorm`], [`HostLinear`], [`HostPrelu`]: a LayerNorm, a linear layer and a PReLU borrowed for such a pass;
//! - [`HostGrads`]: the gradients a hand-written backward pass accumulates, per parameter;
//! - [`HostTensor`]: read access to a CPU tensor's values without a copy;
//! - [`HostFloat`]: the float types (f32, f64) these kernels run on.
//!
//! Every function checks the shapes it is given against the slices' lengths and returns an
//! error rather than panicking.

use std::collections::HashMap;

use candle_core::{bail, DType, Device, Result, Storage, StorageRef, Tensor, TensorId, WithDType};

use crate::{LayerNorm, PRelu};

pub use crate::kernels::Real;

/// A float type of the hand-written passes: f32 or f64 (faer's products take both).
pub trait HostFloat: Real + WithDType + faer::traits::RealField {}

impl HostFloat for f32 {}
impl HostFloat for f64 {}

/// A matrix view of a row-major slice: `rows × cols` entries, consecutive rows `stride`
/// apart, optionally transposed. Built with [`MatView::new`], then [`MatView::cols_block`]
/// and [`MatView::t`].
#[derive(Debug, Clone, Copy)]
pub struct MatView<'a, T> {
    data: &'a [T],
    /// Rows and columns of the stored (untransposed) block.
    stored: (usize, usize),
    stride: usize,
    transposed: bool,
}

impl<'a, T: HostFloat> MatView<'a, T> {
    /// The `rows × cols` row-major matrix in `data` (which must hold exactly that many values).
    pub fn new(data: &'a [T], rows: usize, cols: usize) -> Result<Self> {
        if rows.checked_mul(cols) != Some(data.len()) {
            bail!(
                "host matrix: {} values do not form a {rows} x {cols} matrix",
                data.len()
            );
        }
        Ok(Self {
            data,
            stored: (rows, cols),
            stride: cols,
            transposed: false,
        })
    }

    /// Columns `start..start + n` of an untransposed view.
    pub fn cols_block(self, start: usize, n: usize) -> Result<Self> {
        let (rows, cols) = self.stored;
        if self.transposed || start + n > cols {
            bail!(
                "host matrix: columns {start}..{} of a {rows} x {cols} matrix",
                start + n
            );
        }
        let end = if rows == 0 || n == 0 {
            start
        } else {
            (rows - 1) * self.stride + start + n
        };
        Ok(Self {
            data: &self.data[start.min(self.data.len())..end.max(start).min(self.data.len())],
            stored: (rows, n),
            ..self
        })
    }

    /// The transpose (no copy).
    pub fn t(self) -> Self {
        Self {
            transposed: !self.transposed,
            ..self
        }
    }

    /// Rows of the matrix as seen (after any transpose).
    pub fn rows(&self) -> usize {
        if self.transposed {
            self.stored.1
        } else {
            self.stored.0
        }
    }

    /// Columns of the matrix as seen.
    pub fn cols(&self) -> usize {
        if self.transposed {
            self.stored.0
        } else {
            self.stored.1
        }
    }

    fn faer(&self) -> faer::MatRef<'a, T> {
        let (r, c) = self.stored;
        let m = faer::MatRef::from_row_major_slice_with_stride(self.data, r, c, self.stride);
        if self.transposed {
            m.transpose()
        } else {
            m
        }
    }
}

/// `dst = a b`, or `dst += a b` when `accumulate`; `dst` is the row-major
/// `a.rows() × b.cols()` result. `threads` > 1 splits the product over rayon's pool; 0 picks
/// rayon's pool for products of at least 4 M multiply-adds issued outside its workers, else 1.
pub fn matmul<T: HostFloat>(
    dst: &mut [T],
    a: MatView<T>,
    b: MatView<T>,
    accumulate: bool,
    threads: usize,
) -> Result<()> {
    if a.cols() != b.rows() || dst.len() != a.rows() * b.cols() {
        bail!(
            "host matmul: ({} x {}) times ({} x {}) into {} values",
            a.rows(),
            a.cols(),
            b.rows(),
            b.cols(),
            dst.len()
        );
    }
    // faer's views check their extent; an empty stored block has no extent to check.
    for v in [&a, &b] {
        let (r, c) = v.stored;
        let need = if r == 0 || c == 0 {
            0
        } else {
            (r - 1) * v.stride + c
        };
        if v.data.len() < need || (r > 0 && c > v.stride) {
            bail!(
                "host matmul: a view of {} values is too short",
                v.data.len()
            );
        }
    }
    if dst.is_empty() {
        return Ok(());
    }
    let threads = if threads == 0 {
        auto_threads(a.rows() * a.cols() * b.cols())
    } else {
        threads
    };
    let c = faer::MatMut::from_row_major_slice_mut(dst, a.rows(), b.cols());
    let accum = if accumulate {
        faer::Accum::Add
    } else {
        faer::Accum::Replace
    };
    let par = if threads > 1 {
        faer::Par::rayon(threads)
    } else {
        faer::Par::Seq
    };
    faer::linalg::matmul::matmul(c, accum, a.faer(), b.faer(), T::ONE, par);
    Ok(())
}

/// Products of at least this many multiply-adds use rayon's threads under `threads = 0`.
const PARALLEL_MIN_MACS: usize = 1 << 22;

/// The thread count for a product of `macs` multiply-adds under `threads = 0`: rayon's pool
/// for a large product issued outside the pool's workers (a worker is already one of
/// several parallel tasks), else 1.
fn auto_threads(macs: usize) -> usize {
    if macs >= PARALLEL_MIN_MACS && rayon::current_thread_index().is_none() {
        rayon::current_num_threads()
    } else {
        1
    }
}

/// LayerNorm over rows of width `d = weight.len()`,
/// `y = (x - mean) / sqrt(var + eps) * weight + bias` (biased variance). Returns `y`, the
/// normalised rows `x̂` and the per-row `1/sqrt(var + eps)` that [`layer_norm_backward`]
/// takes.
pub fn layer_norm_forward<T: HostFloat>(
    x: &[T],
    weight: &[T],
    bias: &[T],
    eps: f64,
) -> Result<(Vec<T>, Vec<T>, Vec<T>)> {
    let d = weight.len();
    if d == 0 || bias.len() != d || x.len() % d != 0 {
        bail!("host layer norm: {} values in rows of {d}", x.len());
    }
    let mut out = LayerNormForward {
        x,
        weight,
        bias,
        eps,
        y: vec![T::ZERO; x.len()],
        xhat: vec![T::ZERO; x.len()],
        rstd: vec![T::ZERO; x.len() / d],
    };
    pulp::Arch::new().dispatch(&mut out);
    Ok((out.y, out.xhat, out.rstd))
}

/// Sum of `v` over 16 interleaved accumulators (so that it vectorises).
#[inline(always)]
fn lane_sum<T: HostFloat>(v: &[T], f: impl Fn(T) -> T) -> T {
    let mut acc = [T::ZERO; 16];
    let chunks = v.chunks_exact(16);
    let rest = chunks.remainder();
    for ch in chunks {
        for i in 0..16 {
            acc[i] += f(ch[i]);
        }
    }
    let mut s = T::ZERO;
    rest.iter().for_each(|&x| s += f(x));
    acc.iter().for_each(|&a| s += a);
    s
}

struct LayerNormForward<'a, T> {
    x: &'a [T],
    weight: &'a [T],
    bias: &'a [T],
    eps: f64,
    y: Vec<T>,
    xhat: Vec<T>,
    rstd: Vec<T>,
}

impl<T: HostFloat> pulp::WithSimd for &mut LayerNormForward<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let d = self.weight.len();
        let n = T::of(d as f64);
        let (w, b) = (self.weight, self.bias);
        for (((row, y), h), r) in self
            .x
            .chunks_exact(d)
            .zip(self.y.chunks_exact_mut(d))
            .zip(self.xhat.chunks_exact_mut(d))
            .zip(self.rstd.iter_mut())
        {
            let mean = lane_sum(row, |v| v) / n;
            let var = lane_sum(row, |v| (v - mean) * (v - mean)) / n;
            *r = T::ONE / (var + T::of(self.eps)).sqrt();
            let rs = *r;
            for k in 0..d {
                h[k] = (row[k] - mean) * rs;
                y[k] = h[k] * w[k] + b[k];
            }
        }
    }
}

/// Backward pass of [`layer_norm_forward`] for the output gradient `dy`: adds
/// `dx = rstd (dy w - mean(dy w) - x̂ mean(dy w x̂))` into `dx`, and `Σ dy x̂`, `Σ dy` over the
/// rows into `dweight`, `dbias`.
pub fn layer_norm_backward<T: HostFloat>(
    xhat: &[T],
    rstd: &[T],
    weight: &[T],
    dy: &[T],
    dx: &mut [T],
    dweight: &mut [T],
    dbias: &mut [T],
) -> Result<()> {
    let d = weight.len();
    if d == 0
        || xhat.len() != rstd.len() * d
        || dy.len() != xhat.len()
        || dx.len() != xhat.len()
        || dweight.len() != d
        || dbias.len() != d
    {
        bail!("host layer norm backward: inconsistent lengths");
    }
    pulp::Arch::new().dispatch(LayerNormBackward {
        xhat,
        rstd,
        weight,
        dy,
        dx,
        dweight,
        dbias,
    });
    Ok(())
}

struct LayerNormBackward<'a, T> {
    xhat: &'a [T],
    rstd: &'a [T],
    weight: &'a [T],
    dy: &'a [T],
    dx: &'a mut [T],
    dweight: &'a mut [T],
    dbias: &'a mut [T],
}

impl<T: HostFloat> pulp::WithSimd for LayerNormBackward<'_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let d = self.weight.len();
        let n = T::of(d as f64);
        let w = self.weight;
        for (((h, g), out), &r) in self
            .xhat
            .chunks_exact(d)
            .zip(self.dy.chunks_exact(d))
            .zip(self.dx.chunks_exact_mut(d))
            .zip(self.rstd)
        {
            let mut gw = [T::ZERO; 16];
            let mut gwh = [T::ZERO; 16];
            let (mut s1, mut s2) = (T::ZERO, T::ZERO);
            for k in 0..d {
                let gy = g[k] * w[k];
                gw[k % 16] += gy;
                gwh[k % 16] += gy * h[k];
                self.dweight[k] += g[k] * h[k];
                self.dbias[k] += g[k];
            }
            gw.iter().for_each(|&v| s1 += v);
            gwh.iter().for_each(|&v| s2 += v);
            let (m1, m2) = (s1 / n, s2 / n);
            for k in 0..d {
                out[k] += r * (g[k] * w[k] - m1 - h[k] * m2);
            }
        }
    }
}

/// `Σ_rows x` into `acc` (rows of width `acc.len()`), the gradient of a broadcast bias.
pub fn add_row_sums<T: HostFloat>(x: &[T], acc: &mut [T]) {
    let d = acc.len().max(1);
    for row in x.chunks_exact(d) {
        acc.iter_mut().zip(row).for_each(|(a, &v)| *a += v);
    }
}

/// Read access to the values of a contiguous CPU tensor of dtype `T`, without a copy.
///
/// Holds the tensor's storage read lock while alive.
pub struct HostTensor<'a, T> {
    guard: StorageRef<'a>,
    range: (usize, usize),
    _t: std::marker::PhantomData<T>,
}

impl<'a, T: HostFloat> HostTensor<'a, T> {
    /// The values of `t`, or an error when it is not a contiguous CPU tensor of dtype `T`.
    pub fn new(t: &'a Tensor) -> Result<Self> {
        let (guard, layout) = t.storage_and_layout();
        let Some(range) = layout.contiguous_offsets() else {
            bail!("host tensor: not contiguous");
        };
        match &*guard {
            Storage::Cpu(s) if s.as_slice::<T>().is_ok() => {}
            _ => bail!("host tensor: a CPU tensor of dtype {:?} expected", T::DTYPE),
        }
        Ok(Self {
            guard,
            range,
            _t: std::marker::PhantomData,
        })
    }

    /// The values.
    pub fn as_slice(&self) -> &[T] {
        match &*self.guard {
            Storage::Cpu(s) => match s.as_slice::<T>() {
                Ok(v) => &v[self.range.0..self.range.1],
                Err(_) => &[],
            },
            _ => &[],
        }
    }
}

/// Gradients accumulated by a hand-written backward pass: one buffer per parameter
/// tensor, zero until first touched, turned into tensors keyed by the parameter's id
/// ([`HostGrads::into_map`]) for [`crate::SummedGrads`].
#[derive(Debug)]
pub struct HostGrads<T> {
    entries: Vec<(Tensor, Vec<T>)>,
    index: HashMap<TensorId, usize>,
}

impl<T: HostFloat> Default for HostGrads<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T: HostFloat> HostGrads<T> {
    /// The gradient buffer of `param` (its element count, zero the first time).
    pub fn slot(&mut self, param: &Tensor) -> &mut [T] {
        let k = *self.index.entry(param.id()).or_insert_with(|| {
            self.entries
                .push((param.clone(), vec![T::ZERO; param.elem_count()]));
            self.entries.len() - 1
        });
        &mut self.entries[k].1
    }

    /// Adds `g` into the gradient of `param`.
    pub fn add(&mut self, param: &Tensor, g: &[T]) -> Result<()> {
        let slot = self.slot(param);
        if slot.len() != g.len() {
            bail!(
                "host gradient: {} values for a tensor of {}",
                g.len(),
                slot.len()
            );
        }
        slot.iter_mut().zip(g).for_each(|(a, &v)| *a += v);
        Ok(())
    }

    /// The gradients as tensors shaped like their parameters, keyed by the parameter id.
    pub fn into_map(self) -> Result<HashMap<TensorId, Tensor>> {
        self.entries
            .into_iter()
            .map(|(p, g)| Ok((p.id(), Tensor::from_vec(g, p.shape(), &Device::Cpu)?)))
            .collect()
    }
}

/// A [`LayerNorm`]'s weights borrowed for a hand-written pass.
pub struct HostNorm<'a, T> {
    weight: HostTensor<'a, T>,
    bias: HostTensor<'a, T>,
    params: (&'a Tensor, &'a Tensor),
    eps: f64,
}

impl<'a, T: HostFloat> HostNorm<'a, T> {
    /// Borrows the weights of `ln` (contiguous CPU tensors of dtype `T`).
    pub fn new(ln: &'a LayerNorm) -> Result<Self> {
        Ok(Self {
            weight: HostTensor::new(ln.weight())?,
            bias: HostTensor::new(ln.bias())?,
            params: (ln.weight(), ln.bias()),
            eps: ln.eps(),
        })
    }

    /// Normalises the rows of `x`; the tape holds the output `y`.
    pub fn forward(&self, x: &[T]) -> Result<NormTape<T>> {
        let (y, xhat, rstd) =
            layer_norm_forward(x, self.weight.as_slice(), self.bias.as_slice(), self.eps)?;
        Ok(NormTape { y, xhat, rstd })
    }

    /// Adds the input gradient into `dx` and the weight gradients into `grads`.
    pub fn backward(
        &self,
        tape: &NormTape<T>,
        dy: &[T],
        dx: &mut [T],
        grads: &mut HostGrads<T>,
    ) -> Result<()> {
        let d = self.weight.as_slice().len();
        let (mut dw, mut db) = (vec![T::ZERO; d], vec![T::ZERO; d]);
        layer_norm_backward(
            &tape.xhat,
            &tape.rstd,
            self.weight.as_slice(),
            dy,
            dx,
            &mut dw,
            &mut db,
        )?;
        grads.add(self.params.0, &dw)?;
        grads.add(self.params.1, &db)
    }
}

/// A LayerNorm's output with what its backward pass needs.
#[derive(Debug)]
pub struct NormTape<T> {
    /// The output.
    pub y: Vec<T>,
    xhat: Vec<T>,
    rstd: Vec<T>,
}

/// A linear layer with bias borrowed for a hand-written pass, `y = x Wᵀ + b`, W `(out, in)`.
pub struct HostLinear<'a, T> {
    weight: HostTensor<'a, T>,
    bias: HostTensor<'a, T>,
    params: (&'a Tensor, &'a Tensor),
    /// Output width.
    pub out: usize,
    /// Input width.
    pub inp: usize,
}

impl<'a, T: HostFloat> HostLinear<'a, T> {
    /// Borrows `lin`'s weights, or `None` when it has no bias.
    pub fn with_bias(lin: &'a candle_nn::Linear) -> Result<Option<Self>> {
        let Some(b) = lin.bias() else {
            return Ok(None);
        };
        let (out, inp) = lin.weight().dims2()?;
        Ok(Some(Self {
            weight: HostTensor::new(lin.weight())?,
            bias: HostTensor::new(b)?,
            params: (lin.weight(), b),
            out,
            inp,
        }))
    }

    /// The bias values.
    pub fn bias(&self) -> &[T] {
        self.bias.as_slice()
    }

    /// The weight tensor (the key of its gradient).
    pub fn weight_param(&self) -> &Tensor {
        self.params.0
    }

    /// The bias tensor (the key of its gradient).
    pub fn bias_param(&self) -> &Tensor {
        self.params.1
    }

    /// The weight as a `(out, in)` view.
    pub fn w(&self) -> Result<MatView<'_, T>> {
        MatView::new(self.weight.as_slice(), self.out, self.inp)
    }

    /// `x Wᵀ + b` for `rows` rows.
    pub fn forward(&self, x: &[T], rows: usize) -> Result<Vec<T>> {
        let mut y = vec![T::ZERO; rows * self.out];
        matmul(
            &mut y,
            MatView::new(x, rows, self.inp)?,
            self.w()?.t(),
            false,
            0,
        )?;
        let b = self.bias.as_slice();
        y.chunks_exact_mut(self.out)
            .for_each(|r| r.iter_mut().zip(b).for_each(|(v, &b)| *v += b));
        Ok(y)
    }

    /// Weight gradients of `dy` for input `x` into `grads`; returns `dx = dy W`.
    pub fn backward(
        &self,
        x: &[T],
        dy: &[T],
        rows: usize,
        grads: &mut HostGrads<T>,
    ) -> Result<Vec<T>> {
        let dyv = MatView::new(dy, rows, self.out)?;
        matmul(
            grads.slot(self.params.0),
            dyv.t(),
            MatView::new(x, rows, self.inp)?,
            true,
            0,
        )?;
        add_row_sums(dy, grads.slot(self.params.1));
        let mut dx = vec![T::ZERO; rows * self.inp];
        matmul(&mut dx, dyv, self.w()?, false, 0)?;
        Ok(dx)
    }
}

/// A [`PRelu`]'s slope borrowed for a hand-written pass, `y = max(0, x) + a min(0, x)`.
pub struct HostPrelu<'a, T> {
    slope: T,
    param: &'a Tensor,
}

impl<'a, T: HostFloat> HostPrelu<'a, T> {
    /// Reads `act`'s one-element slope.
    pub fn new(act: &'a PRelu) -> Result<Self> {
        let w = HostTensor::<T>::new(act.weight())?;
        let [slope] = w.as_slice() else {
            bail!("host prelu: a one-element slope expected");
        };
        Ok(Self {
            slope: *slope,
            param: act.weight(),
        })
    }

    /// `PReLU(x)`.
    pub fn forward(&self, x: &[T]) -> Vec<T> {
        let a = self.slope;
        x.iter()
            .map(|&v| if v > T::ZERO { v } else { a * v })
            .collect()
    }

    /// For input `x` and output gradient `dy`: `dx` in place of `dy`, and `Σ_{x<0} dy x`
    /// into the slope's gradient.
    pub fn backward(&self, x: &[T], dy: &mut [T], grads: &mut HostGrads<T>) {
        let a = self.slope;
        let mut da = T::ZERO;
        for (g, &v) in dy.iter_mut().zip(x) {
            if v <= T::ZERO {
                da += *g * v;
                *g *= a;
            }
        }
        grads.slot(self.param)[0] += da;
    }
}

/// A CPU tensor of `shape` owning `values`.
pub fn tensor_of<T: HostFloat>(values: Vec<T>, shape: &[usize]) -> Result<Tensor> {
    Tensor::from_vec(values, shape, &Device::Cpu)
}

/// Whether hand-written passes run for tensors like `x`: on the CPU, in f32 or f64.
pub fn host_dtype(x: &Tensor) -> Option<DType> {
    (x.device().is_cpu() && matches!(x.dtype(), DType::F32 | DType::F64)).then(|| x.dtype())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeded_randn;

    fn naive(a: &[f64], ar: usize, ac: usize, b: &[f64], bc: usize) -> Vec<f64> {
        let mut c = vec![0.0; ar * bc];
        for i in 0..ar {
            for j in 0..bc {
                c[i * bc + j] = (0..ac).map(|k| a[i * ac + k] * b[k * bc + j]).sum();
            }
        }
        c
    }

    fn transpose(a: &[f64], r: usize, c: usize) -> Vec<f64> {
        (0..c)
            .flat_map(|j| (0..r).map(move |i| a[i * c + j]))
            .collect()
    }

    #[test]
    fn matmul_of_transposed_and_column_block_views_equals_naive() -> Result<()> {
        let a: Vec<f64> = (0..15).map(|v| (v as f64 * 0.37).sin()).collect(); // 3 x 5
        let w: Vec<f64> = (0..28).map(|v| (v as f64 * 0.11).cos()).collect(); // 4 x 7
        let wr = &w;
        let block: Vec<f64> = (0..4)
            .flat_map(|i| (2..7).map(move |j| wr[i * 7 + j]))
            .collect(); // w[:, 2..7], 4 x 5
                        // a (3 x 5) times the block transposed (5 x 4), written over and accumulated.
        let want = naive(&a, 3, 5, &transpose(&block, 4, 5), 4);
        let wt = MatView::new(&w, 4, 7)?.cols_block(2, 5)?.t();
        let mut c = vec![7.0; 12];
        matmul(&mut c, MatView::new(&a, 3, 5)?, wt, false, 0)?;
        assert!(c.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-12));
        let mut c = vec![1.0; 12];
        matmul(&mut c, MatView::new(&a, 3, 5)?, wt, true, 2)?;
        assert!(c
            .iter()
            .zip(&want)
            .all(|(x, y)| (x - 1.0 - y).abs() < 1e-12));
        // A transposed left operand: a^T (5 x 3) times b (3 x 2).
        let b: Vec<f64> = (0..6).map(|v| v as f64 - 2.5).collect();
        let mut c = vec![0.0; 10];
        matmul(
            &mut c,
            MatView::new(&a, 3, 5)?.t(),
            MatView::new(&b, 3, 2)?,
            false,
            0,
        )?;
        let want = naive(&transpose(&a, 3, 5), 5, 3, &b, 2);
        assert!(c.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-12));
        Ok(())
    }

    /// A product split over threads gives the same bits as on one thread (faer splits the
    /// output, not the sum), so results do not depend on the thread count.
    #[test]
    fn threaded_product_equals_serial_bit_for_bit() -> Result<()> {
        let (m, n, k) = (96, 512, 256);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..n * k).map(|i| (i as f32 * 0.11).cos()).collect();
        let bt = MatView::new(&b, n, k)?.t();
        let (mut serial, mut threaded) = (vec![0f32; m * n], vec![0f32; m * n]);
        matmul(&mut serial, MatView::new(&a, m, k)?, bt, false, 1)?;
        matmul(&mut threaded, MatView::new(&a, m, k)?, bt, false, 2)?;
        assert!(serial
            .iter()
            .zip(&threaded)
            .all(|(x, y)| x.to_bits() == y.to_bits()));
        Ok(())
    }

    #[test]
    fn mismatched_shapes_are_errors_not_panics() -> Result<()> {
        let a = vec![1.0f64; 6];
        assert!(MatView::new(&a, 4, 2).is_err());
        let v = MatView::new(&a, 2, 3)?;
        assert!(v.cols_block(2, 2).is_err());
        let mut c = vec![0.0; 4];
        assert!(matmul(&mut c, v, v, false, 1).is_err());
        assert!(matmul(&mut c[..3], v, v.t(), false, 1).is_err());
        Ok(())
    }

    #[test]
    /// Against candle's composed LayerNorm (the fused kernel calls these functions).
    fn layer_norm_matches_candle_values_and_gradients() -> Result<()> {
        use candle_core::Var;
        let dev = Device::Cpu;
        let x = Var::from_tensor(&seeded_randn(1, 0f64, 2., (5, 7), &dev)?)?;
        let w = Var::from_tensor(&seeded_randn(2, 1f64, 0.5, 7, &dev)?)?;
        let b = Var::from_tensor(&seeded_randn(3, 0f64, 0.5, 7, &dev)?)?;
        let c = seeded_randn(4, 0f64, 1., (5, 7), &dev)?;
        // layer_norm_slow takes eps as f32: give both the same value.
        let eps = 1e-5f32 as f64;
        let y = candle_nn::ops::layer_norm_slow(&x, &w, &b, 1e-5)?;
        let g = (&y * &c)?.sum_all()?.backward()?;
        let xs = x.flatten_all()?.to_vec1::<f64>()?;
        let (ws, bs) = (w.to_vec1::<f64>()?, b.to_vec1::<f64>()?);
        let (yh, xhat, rstd) = layer_norm_forward(&xs, &ws, &bs, eps)?;
        let close = |a: &[f64], t: &Tensor| -> Result<bool> {
            let t = t.flatten_all()?.to_vec1::<f64>()?;
            Ok(a.iter().zip(&t).all(|(p, q)| (p - q).abs() < 1e-12) && a.len() == t.len())
        };
        assert!(close(&yh, &y)?);
        let (mut dx, mut dw, mut db) = (vec![0.0; 35], vec![0.0; 7], vec![0.0; 7]);
        let cs = c.flatten_all()?.to_vec1::<f64>()?;
        layer_norm_backward(&xhat, &rstd, &ws, &cs, &mut dx, &mut dw, &mut db)?;
        assert!(close(&dx, g.get(x.as_tensor()).expect("dx"))?);
        assert!(close(&dw, g.get(w.as_tensor()).expect("dw"))?);
        assert!(close(&db, g.get(b.as_tensor()).expect("db"))?);
        Ok(())
    }

    #[test]
    fn host_tensor_reads_values_and_rejects_other_dtypes() -> Result<()> {
        let t = Tensor::new(&[[1f32, 2.], [3., 4.]], &Device::Cpu)?;
        assert_eq!(HostTensor::<f32>::new(&t)?.as_slice(), &[1., 2., 3., 4.]);
        assert!(HostTensor::<f64>::new(&t).is_err());
        assert!(HostTensor::<f32>::new(&t.t()?).is_err());
        let n = t.narrow(0, 1, 1)?;
        assert_eq!(HostTensor::<f32>::new(&n)?.as_slice(), &[3., 4.]);
        Ok(())
    }
}
