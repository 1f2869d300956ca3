//! The refine stage: residual-aware approximate MaxSim without decoding to `f32`.
//!
//! A decompressed token is `centroid + weights(codes)`, so its dot product with a query
//! token is `<q, centroid>` (the centroid scores the search already has) plus
//! `<q, weights(codes)>`. Here the second term is an integer dot product. Every
//! dimension's bucket weights are fitted as `α_j + β_j · S[b]`: one 5-bit shape `S`
//! shared by all dimensions (stored offset by 16, so small unsigned bytes), a per-dimension
//! offset and step. The per-dimension quantiles have nearly the same shape, so the fit
//! is about as close as quantising each dimension on its own, and one shared table
//! expands a register of codes with a single `pshufb`. The query token times the steps
//! `β_j` is quantised to `i8` (one scale per token), its `Σ q_j α_j` added as a constant.
//! With AVX2 one `maddubs` multiplies 32 dimensions, so a candidate costs a fraction of
//! the exact stage's decode and `f32` product, and only the best of them go on to
//! exact MaxSim. The decompressed norm is not divided out (it is within a few percent
//! of 1): these scores only choose candidates.
//!
//! Codes expand in plane order when the packed residual is a whole number of 32-byte
//! registers: within each 32 bytes, first every byte's first dimension, then every
//! byte's second, and so on (what shifting and masking a register gives); the query
//! is permuted to match. Otherwise dimensions stay in their natural order.

use super::refine_vnni;

/// Largest magnitude of a quantised shape value; the stored byte is `w + OFFSET`, at
/// most 31, so four `maddubs` results add up in 16 bits without saturating
/// (4 · 2 · 31 · 127 < 2^15).
const WEIGHT_MAX: f32 = 15.0;
const OFFSET: i32 = 16;
/// Largest magnitude of a quantised query element.
const QUERY_MAX: f32 = 127.0;
/// Query tokens per step of the AVX2 kernel (padding rows are zero).
const GROUP: usize = 8;
/// Packed bytes per register of the plane-order expansion.
const BLOCK: usize = 32;

/// The codec side: the shared shape and every dimension's fit to it.
#[derive(Debug, Clone, Default)]
pub(crate) struct RefineTable {
    /// Per bucket, the offset shape value (`S[b] + OFFSET`, at most 31); at least 16
    /// entries (the `pshufb` table; buckets past `2^nbits` unused).
    shape: Vec<u8>,
    nbits: usize,
    /// Per dimension, `α_j` and `β_j`: bucket `b` weighs `α_j + β_j · S[b]`.
    alpha: Vec<f32>,
    beta: Vec<f32>,
    /// Whether codes expand in plane order (see the module documentation).
    planes: bool,
}

impl RefineTable {
    /// Fitted to the codec's `dim × 2^nbits` bucket weights (first dimension of a byte
    /// in its high bits, as the codec packs them).
    pub(crate) fn new(weights: &[f32], dim: usize, nbits: u8) -> Self {
        let nbits = usize::from(nbits);
        let buckets = 1usize << nbits;
        let shape = shared_shape(weights, buckets);
        let mean_s = shape.iter().sum::<f32>() / buckets as f32;
        let var_s: f32 = shape.iter().map(|&s| (s - mean_s) * (s - mean_s)).sum();
        let (mut alpha, mut beta) = (Vec::with_capacity(dim), Vec::with_capacity(dim));
        for row in weights.chunks_exact(buckets) {
            // Least squares of the row on the shape.
            let mean_w = row.iter().sum::<f32>() / buckets as f32;
            let cov: f32 = row
                .iter()
                .zip(&shape)
                .map(|(&w, &s)| (w - mean_w) * (s - mean_s))
                .sum();
            let b = if var_s > 0.0 { cov / var_s } else { 0.0 };
            alpha.push(mean_w - b * mean_s);
            beta.push(b);
        }
        let mut table: Vec<u8> = shape.iter().map(|&s| (s as i32 + OFFSET) as u8).collect();
        table.resize(table.len().max(16), 0);
        let plen = dim * nbits / 8;
        Self {
            shape: table,
            nbits,
            alpha,
            beta,
            planes: nbits <= 4 && plen.is_multiple_of(BLOCK),
        }
    }

    /// The weight the fit gives bucket `b` of dimension `j`.
    #[cfg(test)]
    fn fitted(&self, j: usize, b: usize) -> f32 {
        self.alpha[j] + self.beta[j] * (i32::from(self.shape[b]) - OFFSET) as f32
    }

    /// The position of dimension `j` in an expanded token.
    fn position(&self, j: usize) -> usize {
        if !self.planes {
            return j;
        }
        let per_byte = 8 / self.nbits;
        let (byte, k) = (j / per_byte, j % per_byte);
        let (blk, p) = (byte / BLOCK, byte % BLOCK);
        (blk * per_byte + k) * BLOCK + p
    }

    /// The offset shape values of one packed residual into `out` (`dim` bytes, in
    /// [`RefineTable::position`] order); the AVX2 `pshufb` kernel when it applies.
    pub(crate) fn expand(&self, packed: &[u8], out: &mut [u8]) {
        #[cfg(target_arch = "x86_64")]
        {
            if self.planes
                && packed.len().is_multiple_of(BLOCK)
                && out.len() * self.nbits == packed.len() * 8
                && std::arch::is_x86_feature_detected!("avx2")
            {
                #[allow(unsafe_code)]
                // SAFETY: AVX2 was detected just above; the shapes were checked.
                unsafe {
                    avx2::expand(&self.shape, self.nbits, packed, out)
                };
                return;
            }
        }
        self.expand_portable(packed, out);
    }

    /// The portable loop of [`RefineTable::expand`].
    pub(crate) fn expand_portable(&self, packed: &[u8], out: &mut [u8]) {
        let per_byte = 8 / self.nbits;
        let mask = (1usize << self.nbits) - 1;
        for (byte, &v) in packed.iter().enumerate() {
            for k in 0..per_byte {
                let bucket = (v as usize >> (self.nbits * (per_byte - 1 - k))) & mask;
                out[self.position(byte * per_byte + k)] = self.shape[bucket];
            }
        }
    }
}

/// The shape the dimensions share: the mean of their standardised bucket weights,
/// quantised to `±WEIGHT_MAX` (an even ramp when no dimension varies).
fn shared_shape(weights: &[f32], buckets: usize) -> Vec<f32> {
    let mut sum = vec![0f32; buckets];
    let mut rows = 0usize;
    for row in weights.chunks_exact(buckets) {
        let mean = row.iter().sum::<f32>() / buckets as f32;
        let sd =
            (row.iter().map(|&w| (w - mean) * (w - mean)).sum::<f32>() / buckets as f32).sqrt();
        if sd > 0.0 && sd.is_finite() {
            // Oriented to rise with the bucket number (quantiles always do), so that
            // a dimension fitted with a negative step does not cancel the others.
            let rise: f32 = row
                .iter()
                .enumerate()
                .map(|(b, &w)| b as f32 * (w - mean))
                .sum();
            let sign = if rise < 0.0 { -1.0 } else { 1.0 };
            for (s, &w) in sum.iter_mut().zip(row) {
                *s += sign * (w - mean) / sd;
            }
            rows += 1;
        }
    }
    if rows == 0 {
        sum = (0..buckets)
            .map(|b| b as f32 - (buckets - 1) as f32 / 2.0)
            .collect();
    }
    let amax = sum.iter().fold(0f32, |m, &s| m.max(s.abs()));
    let step = if amax > 0.0 { amax / WEIGHT_MAX } else { 1.0 };
    sum.iter()
        .map(|&s| (s / step).round().clamp(-WEIGHT_MAX, WEIGHT_MAX))
        .collect()
}

/// The query side, prepared once per search.
#[derive(Debug, Default)]
pub(crate) struct RefineQuery {
    nq: usize,
    /// Query tokens rounded up to [`GROUP`].
    padded: usize,
    dim: usize,
    /// `padded × dim` quantised query, zero padding rows.
    q8: Vec<i8>,
    /// `q8` in the VNNI kernel's layout when the CPU has it, else empty.
    qt: Vec<i8>,
    /// Per token, `OFFSET · Σ q8`: removes the weights' offset from a dot product.
    offsets: Vec<i32>,
    /// Per token, the score of one unit of the integer dot product.
    scales: Vec<f32>,
    /// Per token, `Σ_j q_j α_j`: the part of every residual dot that is not in the
    /// integers.
    consts: Vec<f32>,
    /// Scratch: expanded weights of a document's tokens, and their dot products.
    expanded: Vec<u8>,
    dots: Vec<i32>,
    best: Vec<f32>,
}

impl RefineQuery {
    /// Quantises `query` (`nq × dim`, row-major) for `table`.
    pub(crate) fn prepare(&mut self, table: &RefineTable, query: &[f32], nq: usize, dim: usize) {
        self.nq = nq;
        self.dim = dim;
        self.padded = nq.div_ceil(GROUP) * GROUP;
        self.q8.clear();
        self.q8.resize(self.padded * dim, 0);
        self.offsets.clear();
        self.scales.clear();
        self.consts.clear();
        let mut scaled = vec![0f32; dim];
        for (row, out) in query.chunks_exact(dim).zip(self.q8.chunks_exact_mut(dim)) {
            // The query element times its dimension's step, then one scale per token
            // for the whole row; the offsets' part in floats.
            for ((x, &q), &b) in scaled.iter_mut().zip(row).zip(&table.beta) {
                *x = q * b;
            }
            self.consts
                .push(row.iter().zip(&table.alpha).map(|(&q, &a)| q * a).sum());
            let amax = scaled.iter().fold(0f32, |m, &x| m.max(x.abs()));
            let s = if amax > 0.0 { amax / QUERY_MAX } else { 1.0 };
            let mut sum = 0i32;
            for (j, &x) in scaled.iter().enumerate() {
                let v = (x / s).round().clamp(-QUERY_MAX, QUERY_MAX) as i8;
                out[table.position(j)] = v;
                sum += i32::from(v);
            }
            self.offsets.push(OFFSET * sum);
            self.scales.push(s);
        }
        self.qt.clear();
        if dim.is_multiple_of(4) && refine_vnni::available() {
            refine_vnni::transpose(&self.q8, dim, &mut self.qt);
        }
    }

    /// Approximate MaxSim of one document: per query token the best over its tokens of
    /// `centroid score + quantised residual dot`, summed. `scores` are the centroid-major
    /// centroid scores of this query (`scores[c * nq + i]`).
    pub(crate) fn score_doc(
        &mut self,
        table: &RefineTable,
        scores: &[f32],
        codes: impl ExactSizeIterator<Item = u32>,
        packed: &[u8],
    ) -> f32 {
        let (nq, dim, padded) = (self.nq, self.dim, self.padded);
        let n = codes.len();
        if n == 0 {
            return 0.0;
        }
        let plen = packed.len() / n;
        self.expanded.resize(n * dim, 0);
        for (p, out) in packed
            .chunks_exact(plen)
            .zip(self.expanded.chunks_exact_mut(dim))
        {
            table.expand(p, out);
        }
        self.dots.resize(n * padded, 0);
        dots_with(
            &self.expanded,
            &self.q8,
            &self.qt,
            dim,
            padded,
            &mut self.dots,
        );
        self.best.clear();
        self.best.resize(nq, f32::NEG_INFINITY);
        for (c, row) in codes.zip(self.dots.chunks_exact(padded)) {
            let cs = &scores[c as usize * nq..(c as usize + 1) * nq];
            combine(cs, &row[..nq], &self.offsets, &self.scales, &mut self.best);
        }
        self.best
            .iter()
            .zip(&self.consts)
            .map(|(&b, &c)| b + c)
            .sum()
    }
}

/// `best[i] = max(best[i], cs[i] + (dot[i] - off[i]) · scale[i])`.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn combine(cs: &[f32], dot: &[i32], off: &[i32], scale: &[f32], best: &mut [f32]) {
    // A plain max (no conditional store), so the loop is one `vmaxps` per lane group.
    for ((((b, &c), &d), &o), &s) in best.iter_mut().zip(cs).zip(dot).zip(off).zip(scale) {
        *b = b.max(c + (d - o) as f32 * s);
    }
}

/// [`dots`], through the VNNI kernel when `qt` holds `q8` in its layout
/// ([`refine_vnni::transpose`], made only where the CPU has it).
pub(crate) fn dots_with(
    u: &[u8],
    q8: &[i8],
    qt: &[i8],
    dim: usize,
    padded: usize,
    out: &mut [i32],
) {
    if qt.is_empty() {
        dots(u, q8, dim, padded, out);
    } else {
        refine_vnni::dots(u, qt, dim, padded, out);
    }
}

/// `out[t * padded + i] = Σ_j q8[i * dim + j] · u[t * dim + j]` for every token `t`
/// of `u` and query row `i`; the AVX2 kernel when the CPU has it.
pub(crate) fn dots(u: &[u8], q8: &[i8], dim: usize, padded: usize, out: &mut [i32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if dim.is_multiple_of(32)
            && padded.is_multiple_of(GROUP)
            && q8.len() == padded * dim
            && out.len() * dim == u.len() * padded
            && std::arch::is_x86_feature_detected!("avx2")
        {
            #[allow(unsafe_code)]
            // SAFETY: AVX2 was detected just above; the shapes were checked.
            unsafe {
                avx2::dots(u, q8, dim, padded, out)
            };
            return;
        }
    }
    dots_portable(u, q8, dim, padded, out);
}

/// The portable loop of [`dots`].
pub(crate) fn dots_portable(u: &[u8], q8: &[i8], dim: usize, padded: usize, out: &mut [i32]) {
    for (tok, o) in u.chunks_exact(dim).zip(out.chunks_exact_mut(padded)) {
        for (row, d) in q8.chunks_exact(dim).zip(o.iter_mut()) {
            *d = tok
                .iter()
                .zip(row)
                .map(|(&a, &b)| i32::from(a) * i32::from(b))
                .sum();
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    use std::arch::x86_64::*;

    /// Plane-order expansion: per 32 packed bytes, each plane's codes shifted down and
    /// masked, then looked up in the shape with one `pshufb`.
    ///
    /// # Safety
    /// The CPU must support AVX2; `shape` holds at least 16 bytes, `nbits` is 1, 2 or
    /// 4, `packed.len()` a multiple of 32 and `out.len() * nbits == packed.len() * 8`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn expand(shape: &[u8], nbits: usize, packed: &[u8], out: &mut [u8]) {
        let per_byte = 8 / nbits;
        // SAFETY: 16 bytes read from the start of `shape`.
        let table = _mm256_broadcastsi128_si256(_mm_loadu_si128(shape.as_ptr() as *const __m128i));
        let mask = _mm256_set1_epi8(((1u16 << nbits) - 1) as i8);
        for (blk, src) in packed.chunks_exact(32).enumerate() {
            // SAFETY: `src` holds 32 bytes.
            let v = _mm256_loadu_si256(src.as_ptr() as *const __m256i);
            for k in 0..per_byte {
                let shift = _mm_cvtsi32_si128((nbits * (per_byte - 1 - k)) as i32);
                // Shifting 16-bit lanes moves the next byte's bits into this byte's
                // top, which the mask drops (shift + nbits <= 8).
                let idx = _mm256_and_si256(_mm256_srl_epi16(v, shift), mask);
                let w = _mm256_shuffle_epi8(table, idx);
                let at = (blk * per_byte + k) * 32;
                // SAFETY: at + 32 <= per_byte * packed.len() == out.len().
                _mm256_storeu_si256(out.as_mut_ptr().add(at) as *mut __m256i, w);
            }
        }
    }

    /// One query row against up to four registers of a token: the `maddubs` products
    /// added in 16 bits (at most four, which cannot saturate), widened by `madd`.
    ///
    /// # Safety
    /// The CPU must support AVX2; `row` points at `32 * N` readable bytes.
    #[inline(always)]
    unsafe fn row_dot<const N: usize>(tok: &[__m256i; 4], row: *const i8) -> __m256i {
        let mut pairs = _mm256_setzero_si256();
        for (k, &t) in tok.iter().enumerate().take(N) {
            // SAFETY: k < N, so the load stays inside the row's 32 * N bytes.
            let q = _mm256_loadu_si256(row.add(32 * k) as *const __m256i);
            pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(t, q));
        }
        _mm256_madd_epi16(pairs, _mm256_set1_epi16(1))
    }

    /// One pass of `N` registers (dimensions from `32 * k0`) of the token at `base`
    /// against the eight query rows from `g`, added to `acc`.
    ///
    /// # Safety
    /// The CPU must support AVX2; `32 * (k0 + N)` bytes from `base` and the rows
    /// `g..g + 8` of `q8` (`dim` bytes each) up to `32 * (k0 + N)` are readable.
    #[inline(always)]
    unsafe fn pass<const N: usize>(
        base: *const u8,
        q8: *const i8,
        dim: usize,
        g: usize,
        k0: usize,
        acc: &mut [__m256i; 8],
    ) {
        let mut tok = [_mm256_setzero_si256(); 4];
        for (k, t) in tok.iter_mut().enumerate().take(N) {
            // SAFETY: inside the token by the contract.
            *t = _mm256_loadu_si256(base.add(32 * (k0 + k)) as *const __m256i);
        }
        for (r, a) in acc.iter_mut().enumerate() {
            // SAFETY: row g + r from dimension 32 * k0, N registers: the contract.
            let d = row_dot::<N>(&tok, q8.add((g + r) * dim + 32 * k0));
            *a = _mm256_add_epi32(*a, d);
        }
    }

    /// Per token: eight query rows at a time, the token's dimensions in passes of
    /// four registers ([`pass`], unrolled), the eight sums reduced together by two
    /// rounds of `hadd`.
    ///
    /// # Safety
    /// The CPU must support AVX2; `dim` is a multiple of 32, `padded` of 8,
    /// `q8.len() == padded * dim`, `out.len() * dim == u.len() * padded`, and every
    /// byte of `u` is at most 31 (so four `maddubs` results fit in 16 bits).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn dots(u: &[u8], q8: &[i8], dim: usize, padded: usize, out: &mut [i32]) {
        let regs = dim / 32;
        let q = q8.as_ptr();
        for (t, o) in out.chunks_exact_mut(padded).enumerate() {
            // SAFETY (every pass): token t holds dim bytes from t * dim, and the rows
            // g..g + 8 <= padded of q8 hold dim bytes each.
            let base = u.as_ptr().add(t * dim);
            let mut g = 0;
            while g < padded {
                let mut acc = [_mm256_setzero_si256(); 8];
                let mut k0 = 0;
                while k0 + 4 <= regs {
                    pass::<4>(base, q, dim, g, k0, &mut acc);
                    k0 += 4;
                }
                match regs - k0 {
                    3 => pass::<3>(base, q, dim, g, k0, &mut acc),
                    2 => pass::<2>(base, q, dim, g, k0, &mut acc),
                    1 => pass::<1>(base, q, dim, g, k0, &mut acc),
                    _ => {}
                }
                let h01 = _mm256_hadd_epi32(acc[0], acc[1]);
                let h23 = _mm256_hadd_epi32(acc[2], acc[3]);
                let h45 = _mm256_hadd_epi32(acc[4], acc[5]);
                let h67 = _mm256_hadd_epi32(acc[6], acc[7]);
                let h03 = _mm256_hadd_epi32(h01, h23);
                let h47 = _mm256_hadd_epi32(h45, h67);
                let lo = _mm256_permute2x128_si256::<0x20>(h03, h47);
                let hi = _mm256_permute2x128_si256::<0x31>(h03, h47);
                let sums = _mm256_add_epi32(lo, hi);
                // SAFETY: g + 8 <= padded == o.len().
                _mm256_storeu_si256(o.as_mut_ptr().add(g) as *mut __m256i, sums);
                g += 8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        /// The dispatched kernel returns exactly the portable loop's integers.
        #[test]
        fn kernels_agree(
            regs in 1usize..10,
            groups in 1usize..5,
            tokens in 1usize..12,
            seed in 0u64..100_000,
        ) {
            let (dim, padded) = (regs * 32, groups * GROUP);
            let mut rng = super::super::rng::SplitMix64::new(seed);
            let u: Vec<u8> = (0..tokens * dim).map(|_| rng.below(32) as u8).collect();
            let q8: Vec<i8> = (0..padded * dim).map(|_| (rng.below(255) as i32 - 127) as i8).collect();
            let (mut a, mut b) = (vec![0i32; tokens * padded], vec![0i32; tokens * padded]);
            dots(&u, &q8, dim, padded, &mut a);
            dots_portable(&u, &q8, dim, padded, &mut b);
            prop_assert_eq!(a, b);
        }

        /// The `pshufb` expansion writes exactly the portable loop's bytes.
        #[test]
        fn expansions_agree(
            nbits in prop::sample::select(vec![2u8, 4]),
            blocks in 1usize..5,
            seed in 0u64..100_000,
        ) {
            let per_byte = 8 / nbits as usize;
            let dim = blocks * 32 * per_byte;
            let mut rng = super::super::rng::SplitMix64::new(seed);
            let mut f = || rng.below(20_001) as f32 / 10_000.0 - 1.0;
            let weights: Vec<f32> = (0..dim << nbits).map(|_| f()).collect();
            let table = RefineTable::new(&weights, dim, nbits);
            prop_assert!(table.planes);
            let packed: Vec<u8> = (0..blocks * 32).map(|_| (f().abs() * 255.0) as u8).collect();
            let (mut a, mut b) = (vec![0u8; dim], vec![0u8; dim]);
            table.expand(&packed, &mut a);
            table.expand_portable(&packed, &mut b);
            prop_assert_eq!(a, b);
        }

        /// Weights that are one shape scaled and shifted per dimension are fitted
        /// exactly, whatever the dimension's scale, offset or sign.
        #[test]
        fn shared_shapes_fit_exactly(
            nbits in prop::sample::select(vec![2u8, 4]),
            dim in prop::sample::select(vec![8usize, 64, 128]),
            seed in 0u64..10_000,
        ) {
            let buckets = 1usize << nbits;
            let mut rng = super::super::rng::SplitMix64::new(seed);
            let mut f = || rng.below(20_001) as f32 / 10_000.0 - 1.0;
            // Symmetric, with 15 the largest magnitude: the quantised shape itself.
            let mut shape: Vec<f32> = (0..buckets / 2).map(|_| (f() * 15.0).round()).collect();
            shape[0] = -15.0;
            let mirrored: Vec<f32> = shape.iter().rev().map(|&s| -s).collect();
            shape.extend(mirrored);
            // A shape without a rise or fall has no orientation to align dimensions by.
            prop_assume!(shape.iter().enumerate().map(|(b, &s)| b as f32 * s).sum::<f32>() != 0.0);
            let mut weights = Vec::new();
            for _ in 0..dim {
                let c = 0.02 * f();
                let (a, c) = (0.1 * f(), if c < 0.0 { c - 0.001 } else { c + 0.001 });
                weights.extend(shape.iter().map(|&s| a + c * s));
            }
            let table = RefineTable::new(&weights, dim, nbits);
            for j in 0..dim {
                for b in 0..buckets {
                    let (w, got) = (weights[j * buckets + b], table.fitted(j, b));
                    prop_assert!((w - got).abs() <= 1e-5, "dim {j} bucket {b}: {w} vs {got}");
                }
            }
        }

        /// The refine score tracks the exact dot products of centroid plus the fitted
        /// residual (no norm), within the quantisation error of the query.
        #[test]
        fn score_tracks_f32(
            nbits in prop::sample::select(vec![2u8, 4]),
            dim in prop::sample::select(vec![24usize, 64, 128]),
            nq in 1usize..20,
            n in 1usize..30,
            seed in 0u64..10_000,
        ) {
            let buckets = 1usize << nbits;
            let mut rng = super::super::rng::SplitMix64::new(seed);
            let mut f = || rng.below(20_001) as f32 / 10_000.0 - 1.0;
            let mut weights: Vec<f32> = (0..dim * buckets).map(|_| 0.2 * f()).collect();
            for row in weights.chunks_exact_mut(buckets) {
                row.sort_by(f32::total_cmp);
            }
            let query: Vec<f32> = (0..nq * dim).map(|_| f()).collect();
            let k = 5usize;
            let scores: Vec<f32> = (0..k * nq).map(|_| f()).collect();
            let codes: Vec<u32> = (0..n).map(|i| (i * 7 + seed as usize) as u32 % k as u32).collect();
            let per_byte = 8 / nbits as usize;
            let plen = dim / per_byte;
            let packed: Vec<u8> = (0..n * plen).map(|i| ((i as u64 * 2_654_435_761 + seed) >> 3) as u8).collect();
            let table = RefineTable::new(&weights, dim, nbits);
            let mut rq = RefineQuery::default();
            rq.prepare(&table, &query, nq, dim);
            let got = rq.score_doc(&table, &scores, codes.iter().copied(), &packed);
            // The reference in f32: the fitted residual's dot plus the centroid score.
            let mut want = 0f32;
            let mut bound = 0f32;
            for i in 0..nq {
                let q = &query[i * dim..(i + 1) * dim];
                let mut best = f32::NEG_INFINITY;
                for (t, &c) in codes.iter().enumerate() {
                    let mut dot = 0f32;
                    for j in 0..dim {
                        let b = packed[t * plen + j / per_byte];
                        let shift = nbits as usize * (per_byte - 1 - j % per_byte);
                        let bucket = (b as usize >> shift) & (buckets - 1);
                        dot += q[j] * table.fitted(j, bucket);
                    }
                    best = best.max(scores[c as usize * nq + i] + dot);
                }
                want += best;
                // Half a query step times the largest shape value, per dimension.
                let qs = q.iter().zip(&table.beta).fold(0f32, |m, (&x, &b)| m.max((x * b).abs())) / QUERY_MAX;
                bound += dim as f32 * 0.5 * qs * WEIGHT_MAX;
            }
            prop_assert!((got - want).abs() <= bound + 1e-3, "got {got} want {want} bound {bound}");
        }
    }
}
