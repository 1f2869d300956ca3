//! The refine stage: residual-aware approximate MaxSim without decoding to `f32`.
//!
//! A decompressed token is `centroid + weights(codes)`, so its dot product with a query
//! token is `<q, centroid>` (the centroid scores the search already has) plus
//! `<q, weights(codes)>`. Here the second term is an integer dot product: each
//! dimension's bucket weights quantised to 5 bits on that dimension's own step (stored
//! offset by 16, so they are small unsigned bytes, looked up per packed byte), the query
//! token times those steps quantised to `i8` with one scale per token. With AVX2 one
//! `maddubs` multiplies 32 dimensions, so a candidate costs a fraction of the exact
//! stage's decode and `f32` product, and only the best of them go on to exact MaxSim.
//! The decompressed norm is not divided out (it is within a few percent of 1): these
//! scores only choose candidates.

/// Largest magnitude of a quantised bucket weight; the stored byte is `w + OFFSET`, at
/// most 31, so four `maddubs` results add up in 16 bits without saturating
/// (4 · 2 · 31 · 127 < 2^15).
const WEIGHT_MAX: f32 = 15.0;
const OFFSET: i32 = 16;
/// Largest magnitude of a quantised query element.
const QUERY_MAX: f32 = 127.0;
/// Query tokens per step of the AVX2 kernel (padding rows are zero).
const GROUP: usize = 8;

/// The codec side: per packed byte position and byte value, the offset 7-bit weights of
/// the dimensions that byte holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct RefineTable {
    /// `(p * 256 + v) * per_byte + i`: dimension `p * per_byte + i`, byte value `v`.
    table: Vec<u8>,
    per_byte: usize,
    /// Per dimension, the weight of one quantisation step (each dimension's weights
    /// use the whole 5-bit range; the query side is multiplied by these).
    scales: Vec<f32>,
}

impl RefineTable {
    /// Built from the codec's `dim × 2^nbits` bucket weights (first dimension of a byte
    /// in its high bits, as the codec packs them).
    pub(crate) fn new(weights: &[f32], dim: usize, nbits: u8) -> Self {
        let nbits = usize::from(nbits);
        let per_byte = 8 / nbits;
        let buckets = 1usize << nbits;
        let scales: Vec<f32> = weights
            .chunks_exact(buckets)
            .map(|row| {
                let amax = row.iter().fold(0f32, |m, &w| m.max(w.abs()));
                if amax > 0.0 {
                    amax / WEIGHT_MAX
                } else {
                    1.0
                }
            })
            .collect();
        let positions = dim / per_byte;
        let mut table = vec![0u8; positions * 256 * per_byte];
        for p in 0..positions {
            for v in 0..256usize {
                for i in 0..per_byte {
                    let j = p * per_byte + i;
                    let bucket = (v >> (nbits * (per_byte - 1 - i))) & (buckets - 1);
                    let w = (weights[j * buckets + bucket] / scales[j])
                        .round()
                        .clamp(-WEIGHT_MAX, WEIGHT_MAX);
                    table[(p * 256 + v) * per_byte + i] = (w as i32 + OFFSET) as u8;
                }
            }
        }
        Self {
            table,
            per_byte,
            scales,
        }
    }

    /// The offset weights of one packed residual into `out` (`dim` bytes).
    fn expand(&self, packed: &[u8], out: &mut [u8]) {
        match self.per_byte {
            2 => self.expand_n::<2>(packed, out),
            4 => self.expand_n::<4>(packed, out),
            8 => self.expand_n::<8>(packed, out),
            _ => self.expand_n::<1>(packed, out),
        }
    }

    /// [`RefineTable::expand`] for `PB` dimensions per byte (fixed-size copies).
    #[inline]
    fn expand_n<const PB: usize>(&self, packed: &[u8], out: &mut [u8]) {
        for ((p, &b), o) in packed.iter().enumerate().zip(out.chunks_exact_mut(PB)) {
            let at = (p * 256 + b as usize) * PB;
            let w: &[u8; PB] = self.table[at..at + PB]
                .try_into()
                .unwrap_or_else(|_| unreachable!("the table has PB entries per byte value"));
            let o: &mut [u8; PB] = o
                .try_into()
                .unwrap_or_else(|_| unreachable!("chunks hold PB bytes"));
            *o = *w;
        }
    }
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
    /// Per token, `OFFSET · Σ q8`: removes the weights' offset from a dot product.
    offsets: Vec<i32>,
    /// Per token, the score of one unit of the integer dot product.
    scales: Vec<f32>,
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
        let mut scaled = vec![0f32; dim];
        for (row, out) in query.chunks_exact(dim).zip(self.q8.chunks_exact_mut(dim)) {
            // The query element times its dimension's weight step, then one scale per
            // token for the whole row.
            for ((x, &q), &w) in scaled.iter_mut().zip(row).zip(&table.scales) {
                *x = q * w;
            }
            let amax = scaled.iter().fold(0f32, |m, &x| m.max(x.abs()));
            let s = if amax > 0.0 { amax / QUERY_MAX } else { 1.0 };
            let mut sum = 0i32;
            for (o, &x) in out.iter_mut().zip(&scaled) {
                let v = (x / s).round().clamp(-QUERY_MAX, QUERY_MAX) as i8;
                *o = v;
                sum += i32::from(v);
            }
            self.offsets.push(OFFSET * sum);
            self.scales.push(s);
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
        dots(&self.expanded, &self.q8, dim, padded, &mut self.dots);
        self.best.clear();
        self.best.resize(nq, f32::NEG_INFINITY);
        for (c, row) in codes.zip(self.dots.chunks_exact(padded)) {
            let cs = &scores[c as usize * nq..(c as usize + 1) * nq];
            combine(cs, &row[..nq], &self.offsets, &self.scales, &mut self.best);
        }
        self.best.iter().sum()
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

    /// Per token: its weights in `dim / 32` registers, then eight query rows at a
    /// time, each a sum of `maddubs` (32 products into 16 pairs; four of them added in
    /// 16 bits) widened by `madd`, the eight sums reduced together by two rounds of
    /// `hadd`.
    ///
    /// # Safety
    /// The CPU must support AVX2; `dim` is a multiple of 32, `padded` of 8,
    /// `q8.len() == padded * dim`, `out.len() * dim == u.len() * padded`, and every
    /// byte of `u` is at most 31 (so four `maddubs` results fit in 16 bits).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn dots(u: &[u8], q8: &[i8], dim: usize, padded: usize, out: &mut [i32]) {
        let ones = _mm256_set1_epi16(1);
        let regs = dim / 32;
        let mut tok = [_mm256_setzero_si256(); 4];
        for (t, o) in out.chunks_exact_mut(padded).enumerate() {
            let base = u.as_ptr().add(t * dim);
            let mut g = 0;
            while g < padded {
                let mut acc = [_mm256_setzero_si256(); 8];
                // Dimensions in passes of four registers: their pairs add up in 16 bits.
                let mut k0 = 0;
                while k0 < regs {
                    let kn = (regs - k0).min(4);
                    for (k, r) in tok.iter_mut().enumerate().take(kn) {
                        // SAFETY: t * dim + 32 (k0 + k) + 32 <= (t + 1) * dim <= u.len().
                        *r = _mm256_loadu_si256(base.add(32 * (k0 + k)) as *const __m256i);
                    }
                    for (r, a) in acc.iter_mut().enumerate() {
                        let row = q8.as_ptr().add((g + r) * dim + 32 * k0);
                        let mut pairs = _mm256_setzero_si256();
                        for (k, &tr) in tok.iter().enumerate().take(kn) {
                            // SAFETY: (g + r) * dim + 32 (k0 + k) + 32 <= padded * dim.
                            let q = _mm256_loadu_si256(row.add(32 * k) as *const __m256i);
                            pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(tr, q));
                        }
                        *a = _mm256_add_epi32(*a, _mm256_madd_epi16(pairs, ones));
                    }
                    k0 += kn;
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

        /// The refine score tracks the exact dot products of centroid plus decoded
        /// residual (no norm), within the quantisation error of both sides.
        #[test]
        fn score_tracks_f32(
            nbits in prop::sample::select(vec![2u8, 4]),
            nq in 1usize..20,
            n in 1usize..30,
            seed in 0u64..10_000,
        ) {
            let dim = 64usize;
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
            // The reference in f32: decoded residual dot plus centroid score.
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
                        dot += q[j] * weights[j * buckets + bucket];
                    }
                    best = best.max(scores[c as usize * nq + i] + dot);
                }
                want += best;
                // Half a step on each side of every product, summed over dimensions.
                let qs = q.iter().zip(&table.scales).fold(0f32, |m, (&x, &w)| m.max((x * w).abs())) / QUERY_MAX;
                for (j, &x) in q.iter().enumerate() {
                    let ws = table.scales[j];
                    bound += 0.5 * ws * x.abs() + 0.5 * qs * WEIGHT_MAX + 0.25 * qs;
                }
            }
            prop_assert!((got - want).abs() <= bound + 1e-4, "got {got} want {want} bound {bound}");
        }
    }
}
