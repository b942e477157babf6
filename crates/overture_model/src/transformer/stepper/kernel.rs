//! The stepper's weight matrices and the dot products over them.
//!
//! At one token per step the stepper reads every weight once per token, so
//! its speed is how fast the weights stream through the cache: the shipped
//! composer's 3.3 MB of f32 weights do not fit in a core's L2 cache, and
//! half of them do. A [`Matrix`] therefore keeps its values as f16 when
//! every one of them is exactly an f16 number (the shipped composer's
//! weights are stored so; see `examples/half_weights.rs`) and the processor
//! converts f16 in hardware (x86-64 with AVX2, FMA and F16C, checked at run
//! time). The products are then computed in f32 from exactly the values
//! candle computes with, so both give the same function to float rounding.
//! Elsewhere the values stay f32 and a portable loop computes the products.

use half::f16;

/// The instruction set the products run on, detected once per matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Simd {
    /// Plain Rust, vectorized by the compiler for the build's target.
    Portable,
    /// x86-64 AVX2 with fused multiply-add and f16 conversion.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Simd {
    /// The best instruction set this processor has.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
        {
            return Simd::Avx2;
        }
        Simd::Portable
    }

    /// `a · b` (equal lengths).
    pub(crate) fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Simd::Portable => dot(a, b),
            // SAFETY: `Avx2` is only made by `detect` after the processor
            // reported every feature the function enables.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { avx2::dot(a, b) },
        }
    }

    /// Replaces every value with its GELU (tanh approximation, as candle's
    /// `gelu`).
    pub(crate) fn gelu(self, xs: &mut [f32]) {
        match self {
            Simd::Portable => gelu(xs),
            // SAFETY: as in `dot`.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { avx2::gelu(xs) },
        }
    }

    /// One head's attention for one new position: `out` becomes the
    /// softmax-weighted sum of the cached values (see [`Head`]); `scores`
    /// holds at least `head.len` values of scratch.
    pub(crate) fn attend(self, head: &Head<'_>, scores: &mut [f32], out: &mut [f32]) {
        match self {
            Simd::Portable => attend(head, scores, out),
            // SAFETY: as in `dot`.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { avx2::attend(head, scores, out) },
        }
    }
}

/// One attention head over a key/value cache: channel `c` of the head's
/// keys is row `c` of `keys` (`q.len()` rows of equal length, position `j`
/// at column `j`); position `j`'s value is `values[j * stride +
/// offset..][..q.len()]`.
pub(crate) struct Head<'a> {
    /// The head's query for the new position.
    pub(crate) q: &'a [f32],
    /// The cached keys, transposed: one row per channel.
    pub(crate) keys: &'a [f32],
    /// The cached values, laid out as the keys.
    pub(crate) values: &'a [f32],
    /// Values per cached position.
    pub(crate) stride: usize,
    /// Where the head's slice starts within a position.
    pub(crate) offset: usize,
    /// Positions to attend to (the new one included).
    pub(crate) len: usize,
    /// The score scale, 1/√(head width).
    pub(crate) scale: f32,
}

#[inline(always)]
fn attend(head: &Head<'_>, scores: &mut [f32], out: &mut [f32]) {
    let hd = head.q.len();
    let at = |j: usize| j * head.stride + head.offset..j * head.stride + head.offset + hd;
    let scores = &mut scores[..head.len];
    scores.fill(0.0);
    let row = head.keys.len() / hd.max(1);
    for (c, q) in head.q.iter().enumerate() {
        let q = q * head.scale;
        for (s, k) in scores
            .iter_mut()
            .zip(&head.keys[c * row..c * row + head.len])
        {
            *s += q * k;
        }
    }
    let top = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
    // Two loops, so that the exponentials vectorize (a running sum would
    // keep them one at a time).
    for s in scores.iter_mut() {
        *s = exp(*s - top);
    }
    let sum = sum_inline::<8>(scores);
    out.fill(0.0);
    for (j, s) in scores.iter().enumerate() {
        let w = s / sum;
        for (o, v) in out.iter_mut().zip(&head.values[at(j)]) {
            *o += w * v;
        }
    }
}

/// GELU, tanh approximation, over a slice (see [`exp`] for the accuracy).
#[inline(always)]
fn gelu(xs: &mut [f32]) {
    const SQRT_2_OVER_PI: f32 = 0.797_884_6;
    for x in xs {
        let y = SQRT_2_OVER_PI * (*x + 0.044_715 * *x * *x * *x);
        // tanh(y) = 1 − 2 / (e^{2y} + 1); `exp` saturates far out.
        let tanh = 1.0 - 2.0 / (exp(2.0 * y) + 1.0);
        *x = 0.5 * *x * (1.0 + tanh);
    }
}

/// e^x to within 2 · 10⁻⁷ relative, in arithmetic the compiler vectorizes
/// (libm's `expf` is a call per value): x = n ln 2 + r with |r| ≤ ln 2 / 2,
/// e^r by its Taylor polynomial to r⁷, and 2ⁿ written into the exponent
/// bits. Arguments are clamped to ±87, where e^x stays a normal f32.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Adding and subtracting 1.5 · 2²³ rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 87.0);
    let n = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// The sum of `xs` in `LANES` independent accumulators.
#[inline(always)]
fn sum_inline<const LANES: usize>(xs: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (chunks, rest) = xs.as_chunks::<LANES>();
    for x in chunks {
        for l in 0..LANES {
            acc[l] += x[l];
        }
    }
    acc.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

/// `a · b` in `LANES` independent accumulators, inlined into its caller.
#[inline(always)]
fn dot_inline<const LANES: usize>(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let (a_chunks, a_rest) = a.as_chunks::<LANES>();
    let (b_chunks, b_rest) = b.as_chunks::<LANES>();
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in a_rest.iter().zip(b_rest) {
        sum += x * y;
    }
    sum
}

/// The values of a matrix: f32, or f16 bit patterns.
enum Values {
    F32(Vec<f32>),
    F16(Vec<u16>),
}

/// A row-major matrix of weights (see the module docs for how it is stored).
pub(crate) struct Matrix {
    values: Values,
    cols: usize,
    simd: Simd,
}

impl Matrix {
    /// A matrix of `cols` columns from row-major `values`; f16 when every
    /// value is exactly one and the processor converts f16 in hardware.
    pub(crate) fn new(values: Vec<f32>, cols: usize) -> Self {
        Self::with_simd(values, cols, Simd::detect())
    }

    /// [`new`](Self::new) on a chosen instruction set.
    pub(crate) fn with_simd(values: Vec<f32>, cols: usize, simd: Simd) -> Self {
        let exact = values
            .iter()
            .all(|&v| f16::from_f32(v).to_f32().to_bits() == v.to_bits());
        let values = if exact && simd != Simd::Portable {
            Values::F16(values.iter().map(|&v| f16::from_f32(v).to_bits()).collect())
        } else {
            Values::F32(values)
        };
        Self { values, cols, simd }
    }

    /// Number of columns.
    pub(crate) fn cols(&self) -> usize {
        self.cols
    }

    /// Number of rows.
    #[cfg(test)]
    pub(crate) fn rows(&self) -> usize {
        match &self.values {
            Values::F32(v) => v.len(),
            Values::F16(v) => v.len(),
        }
        .checked_div(self.cols)
        .unwrap_or(0)
    }

    /// Whether the values are stored as f16.
    #[cfg(test)]
    pub(crate) fn is_half(&self) -> bool {
        matches!(self.values, Values::F16(_))
    }

    /// Row `r` times `x` (`x.len()` is the number of columns).
    pub(crate) fn row_dot(&self, r: usize, x: &[f32]) -> f32 {
        let range = r * self.cols..(r + 1) * self.cols;
        match (&self.values, self.simd) {
            (Values::F32(v), simd) => simd.dot(&v[range], x),
            // SAFETY: f16 values are only stored on `Avx2`, which `detect`
            // makes after the processor reported every feature used.
            #[cfg(target_arch = "x86_64")]
            (Values::F16(v), Simd::Avx2) => unsafe { avx2::dot_f16(&v[range], x) },
            (Values::F16(v), _) => v[range]
                .iter()
                .zip(x)
                .map(|(&w, x)| f16::from_bits(w).to_f32() * x)
                .sum(),
        }
    }

    /// `out[r]` = row `r` times `x`, for every row (`out.len()` rows).
    pub(crate) fn product(&self, x: &[f32], out: &mut [f32]) {
        match (&self.values, self.simd) {
            // SAFETY: as in `row_dot`.
            #[cfg(target_arch = "x86_64")]
            (Values::F16(v), Simd::Avx2) => unsafe { avx2::product_f16(v, self.cols, x, out) },
            _ => {
                for (r, o) in out.iter_mut().enumerate() {
                    *o = self.row_dot(r, x);
                }
            }
        }
    }

    /// Adds row `r` to `x`.
    pub(crate) fn add_row_to(&self, r: usize, x: &mut [f32]) {
        let range = r * self.cols..(r + 1) * self.cols;
        match &self.values {
            Values::F32(v) => x.iter_mut().zip(&v[range]).for_each(|(x, w)| *x += w),
            Values::F16(v) => x
                .iter_mut()
                .zip(&v[range])
                .for_each(|(x, &w)| *x += f16::from_bits(w).to_f32()),
        }
    }
}

/// A dot product in sixteen independent lanes, so that it vectorizes.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot_inline::<16>(a, b)
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m128i, __m256, _mm_add_ps, _mm_loadu_si128, _mm_storeu_ps, _mm256_add_ps,
        _mm256_castps256_ps128, _mm256_cvtph_ps, _mm256_extractf128_ps, _mm256_fmadd_ps,
        _mm256_hadd_ps, _mm256_loadu_ps, _mm256_setzero_ps, _mm256_storeu_ps,
    };

    use super::Head;

    /// [`super::gelu`] compiled for AVX2.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn gelu(xs: &mut [f32]) {
        super::gelu(xs);
    }

    /// [`super::attend`] compiled for AVX2.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn attend(head: &Head<'_>, scores: &mut [f32], out: &mut [f32]) {
        super::attend(head, scores, out);
    }

    /// The sum of the eight lanes of `v`.
    #[target_feature(enable = "avx2")]
    fn sum(v: __m256) -> f32 {
        let mut lanes = [0f32; 8];
        // SAFETY: `lanes` holds the eight floats written.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), v) };
        lanes.iter().sum()
    }

    /// `a · b` in two eight-lane accumulators; the tail past a multiple of
    /// 16 in plain arithmetic.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let whole = n / 16 * 16;
        let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut i = 0;
        while i < whole {
            // SAFETY: `i + 16 <= whole <= n`, inside both slices.
            unsafe {
                let (pa, pb) = (a.as_ptr().add(i), b.as_ptr().add(i));
                acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa), _mm256_loadu_ps(pb), acc0);
                acc1 =
                    _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(8)), _mm256_loadu_ps(pb.add(8)), acc1);
            }
            i += 16;
        }
        let mut total = sum(_mm256_add_ps(acc0, acc1));
        for k in whole..n {
            total += a[k] * b[k];
        }
        total
    }

    /// `out[r]` = row `r` of the row-major f16 matrix `w` (`cols` columns)
    /// times `x`: four rows at a time, each in its own accumulator, so the
    /// loads of `x` and the final sums are shared.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) fn product_f16(w: &[u16], cols: usize, x: &[f32], out: &mut [f32]) {
        let rows = out.len().min(w.len() / cols.max(1));
        let whole = cols.min(x.len()) / 8 * 8;
        let mut r = 0;
        while r + 4 <= rows {
            let mut acc = [_mm256_setzero_ps(); 4];
            let mut i = 0;
            while i < whole {
                // SAFETY: `i + 8 <= whole <= cols`: the eight columns from
                // `i` of rows `r..r + 4 <= rows` lie inside `w`, and `x`
                // holds at least `whole` values.
                unsafe {
                    let xv = _mm256_loadu_ps(x.as_ptr().add(i));
                    for (k, a) in acc.iter_mut().enumerate() {
                        let p = w.as_ptr().add((r + k) * cols + i).cast::<__m128i>();
                        *a = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(p)), xv, *a);
                    }
                }
                i += 8;
            }
            // Pairwise sums: lane k of the low and high halves together hold
            // row k's total.
            let pairs = _mm256_hadd_ps(
                _mm256_hadd_ps(acc[0], acc[1]),
                _mm256_hadd_ps(acc[2], acc[3]),
            );
            let sums = _mm_add_ps(
                _mm256_castps256_ps128(pairs),
                _mm256_extractf128_ps::<1>(pairs),
            );
            let mut four = [0f32; 4];
            // SAFETY: `four` holds the four floats written.
            unsafe { _mm_storeu_ps(four.as_mut_ptr(), sums) };
            for (k, total) in four.iter_mut().enumerate() {
                let row = &w[(r + k) * cols..(r + k + 1) * cols];
                for c in whole..cols.min(x.len()) {
                    *total += half::f16::from_bits(row[c]).to_f32() * x[c];
                }
            }
            out[r..r + 4].copy_from_slice(&four);
            r += 4;
        }
        for (o, row) in out[r..rows]
            .iter_mut()
            .zip(w[r * cols..].chunks_exact(cols))
        {
            *o = dot_f16(row, x);
        }
    }

    /// `w · x` for f16 bit patterns `w`, converted eight at a time.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) fn dot_f16(w: &[u16], x: &[f32]) -> f32 {
        let n = w.len().min(x.len());
        let whole = n / 16 * 16;
        let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut i = 0;
        while i < whole {
            // SAFETY: `i + 16 <= whole <= n`, inside both slices; the
            // unaligned loads read 8 u16 (16 bytes) and 8 f32 each.
            unsafe {
                let (pw, px) = (w.as_ptr().add(i), x.as_ptr().add(i));
                let w0 = _mm256_cvtph_ps(_mm_loadu_si128(pw.cast::<__m128i>()));
                let w1 = _mm256_cvtph_ps(_mm_loadu_si128(pw.add(8).cast::<__m128i>()));
                acc0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(px), acc0);
                acc1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(px.add(8)), acc1);
            }
            i += 16;
        }
        let mut total = sum(_mm256_add_ps(acc0, acc1));
        for k in whole..n {
            total += half::f16::from_bits(w[k]).to_f32() * x[k];
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761) ^ seed) % 2001)
            .map(|v| v as f32 / 1000.0 - 1.0)
            .collect()
    }

    #[test]
    fn every_instruction_set_computes_the_same_products() {
        let simd = Simd::detect();
        // Lengths with and without a tail past a multiple of 16.
        for n in [0, 5, 16, 32, 37, 128, 512] {
            let (a, b) = (values(n, 1), values(n, 2));
            let exact: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(x * y)).sum();
            for s in [Simd::Portable, simd] {
                let got = f64::from(s.dot(&a, &b));
                assert!((got - exact).abs() < 1e-4, "{s:?} n={n}: {got} vs {exact}");
            }
        }
    }

    #[test]
    fn the_fast_exp_and_gelu_match_libm() {
        let mut worst_exp = 0f64;
        let mut worst_gelu = 0f32;
        for i in -20_000..=20_000 {
            let x = i as f32 / 1000.0;
            let e = f64::from(exp(x));
            let want = f64::from(x).exp();
            worst_exp = worst_exp.max(((e - want) / want).abs());
            let want_gelu = 0.5 * x * (1.0 + (0.797_884_6 * (x + 0.044_715 * x * x * x)).tanh());
            for s in [Simd::Portable, Simd::detect()] {
                let mut g = [x];
                s.gelu(&mut g);
                worst_gelu = worst_gelu.max((g[0] - want_gelu).abs());
            }
        }
        assert!(worst_exp < 3e-7, "exp: {worst_exp:e}");
        assert!(worst_gelu < 2e-6, "gelu: {worst_gelu:e}");
        assert_eq!(exp(-200.0), (-87f32).exp().max(exp(-87.0)));
        assert!(exp(200.0).is_finite());
    }

    #[test]
    fn attention_is_the_softmax_weighted_sum_of_the_values() {
        let (stride, hd, len) = (12, 4, 5);
        let keys = values(stride * len, 5);
        // The head's keys (channels 4..8 of each position), transposed into
        // rows of 7 positions' room.
        let mut transposed = vec![0.0; hd * 7];
        for j in 0..len {
            for c in 0..hd {
                transposed[c * 7 + j] = keys[j * stride + 4 + c];
            }
        }
        let vals = values(stride * len, 6);
        let q = values(hd, 7);
        let head = Head {
            q: &q,
            keys: &transposed,
            values: &vals,
            stride,
            offset: 4,
            len,
            scale: 0.5,
        };
        let scores: Vec<f64> = (0..len)
            .map(|j| {
                let k = &keys[j * stride + 4..j * stride + 8];
                0.5 * q.iter().zip(k).map(|(a, b)| f64::from(a * b)).sum::<f64>()
            })
            .collect();
        let total: f64 = scores.iter().map(|s| s.exp()).sum();
        for s in [Simd::Portable, Simd::detect()] {
            let (mut scratch, mut out) = (vec![0.0; 8], vec![9.0; hd]);
            s.attend(&head, &mut scratch, &mut out);
            for (c, o) in out.iter().enumerate() {
                let want: f64 = (0..len)
                    .map(|j| scores[j].exp() / total * f64::from(vals[j * stride + 4 + c]))
                    .sum();
                assert!(
                    (f64::from(*o) - want).abs() < 1e-5,
                    "{s:?} {c}: {o} vs {want}"
                );
            }
        }
    }

    #[test]
    fn values_that_are_f16_numbers_are_kept_as_f16_and_give_the_same_rows() {
        let rows = 3;
        let cols = 37;
        let halves: Vec<f32> = values(rows * cols, 3)
            .iter()
            .map(|&v| f16::from_f32(v).to_f32())
            .collect();
        let x = values(cols, 4);
        let half = Matrix::new(halves.clone(), cols);
        let full = Matrix::with_simd(halves.clone(), cols, Simd::Portable);
        assert_eq!(half.is_half(), Simd::detect() != Simd::Portable);
        assert!(!full.is_half());
        assert_eq!((half.rows(), half.cols()), (rows, cols));
        for r in 0..rows {
            let (a, b) = (half.row_dot(r, &x), full.row_dot(r, &x));
            assert!((a - b).abs() < 1e-5, "row {r}: {a} vs {b}");
            let (mut ya, mut yb) = (vec![0.5; cols], vec![0.5; cols]);
            half.add_row_to(r, &mut ya);
            full.add_row_to(r, &mut yb);
            assert_eq!(ya, yb);
        }
        // Whole products, four rows at a time and the rest one by one.
        for rows in [1, 4, 7, 9] {
            let values: Vec<f32> = values(rows * cols, 8)
                .iter()
                .map(|&v| f16::from_f32(v).to_f32())
                .collect();
            let half = Matrix::new(values.clone(), cols);
            let full = Matrix::with_simd(values, cols, Simd::Portable);
            let (mut a, mut b) = (vec![0.0; rows], vec![0.0; rows]);
            half.product(&x, &mut a);
            full.product(&x, &mut b);
            for (r, (a, b)) in a.iter().zip(&b).enumerate() {
                assert!((a - b).abs() < 1e-5, "{rows} rows, row {r}: {a} vs {b}");
            }
        }
        // One value that is not an f16 number keeps the whole matrix f32.
        let mut mixed = halves;
        mixed[7] += 1e-6;
        assert!(!Matrix::new(mixed, cols).is_half());
    }
}
