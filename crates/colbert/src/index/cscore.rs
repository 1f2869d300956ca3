//! Query-centroid scores, centroid-major: `out[c * nq + i] = <centroid_c, q_i>`.
//!
//! A general matrix product repacks the whole centroid matrix on every call, which on
//! one thread cost as much as the product itself. Here the query is transposed once
//! (`dim × nq`, padded to whole registers, small enough for L1) and the centroids are
//! read in place, a few at a time, each dimension's broadcast values multiplied into the
//! query registers with FMA (an AVX-512 kernel, else an AVX2 one, when the CPU has it).
//! Every score is the same sequence of operations over dimensions `0..dim` whatever the
//! kernel and the number of query tokens, so a batch of queries gets exactly the scores
//! each query gets alone, on any of these CPUs.

/// Query tokens per register.
const LANES: usize = 8;

/// Reused scratch: the transposed, padded query.
#[derive(Debug, Default)]
pub(crate) struct CentroidScorer {
    qt: Vec<f32>,
}

impl CentroidScorer {
    /// `out[c * nq + i] = Σ_j centroids[c * dim + j] · query[i * dim + j]` for the
    /// `centroids.len() / dim` centroids and `nq` query rows.
    pub(crate) fn score(
        &mut self,
        centroids: &[f32],
        dim: usize,
        query: &[f32],
        nq: usize,
        out: &mut [f32],
    ) {
        let k = centroids.len() / dim.max(1);
        #[cfg(target_arch = "x86_64")]
        let wide = std::arch::is_x86_feature_detected!("avx512f");
        #[cfg(not(target_arch = "x86_64"))]
        let wide = false;
        let lanes = if wide { avx512::LANES } else { LANES };
        let stride = nq.div_ceil(lanes) * lanes;
        self.qt.clear();
        self.qt.resize(dim * stride, 0.0);
        for (i, row) in query.chunks_exact(dim).take(nq).enumerate() {
            for (j, &x) in row.iter().enumerate() {
                self.qt[j * stride + i] = x;
            }
        }
        let out = &mut out[..k * nq];
        #[cfg(target_arch = "x86_64")]
        {
            if wide {
                #[allow(unsafe_code)]
                // SAFETY: AVX-512F was detected above; `qt` is `dim × stride` with
                // `stride` a multiple of 16, `centroids` `k × dim`, `out` `k × nq`.
                unsafe {
                    avx512::scores(centroids, dim, &self.qt, stride, nq, out)
                };
                return;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                #[allow(unsafe_code)]
                // SAFETY: AVX2 and FMA were detected just above; `qt` is `dim × stride`,
                // `centroids` `k × dim`, `out` `k × nq` with `nq <= stride`.
                unsafe {
                    avx2::scores(centroids, dim, &self.qt, stride, nq, out)
                };
                return;
            }
        }
        scores_portable(centroids, dim, &self.qt, stride, nq, out);
    }
}

/// The portable loop: per centroid and query token, products added over dimensions
/// in order, each a fused multiply-add like the AVX2 kernel's.
fn scores_portable(
    centroids: &[f32],
    dim: usize,
    qt: &[f32],
    stride: usize,
    nq: usize,
    out: &mut [f32],
) {
    for (c, o) in centroids.chunks_exact(dim).zip(out.chunks_exact_mut(nq)) {
        for (i, o) in o.iter_mut().enumerate() {
            let mut acc = 0f32;
            for (j, &x) in c.iter().enumerate() {
                acc = x.mul_add(qt[j * stride + i], acc);
            }
            *o = acc;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    use super::LANES;
    use std::arch::x86_64::*;

    /// The operands every call shares.
    #[derive(Clone, Copy)]
    struct Job<'a> {
        centroids: &'a [f32],
        dim: usize,
        qt: &'a [f32],
        stride: usize,
        nq: usize,
    }

    /// Up to `R` registers of query tokens (columns `col..`) against centroids `c`
    /// and `c + 1`, written to `out` (only the `nq` real columns).
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; centroids `c` and `c + 1` exist, columns
    /// `col..col + 8 R` are inside `stride`, and `out` holds both rows.
    #[inline(always)]
    unsafe fn pair<const R: usize>(job: Job<'_>, c: usize, col: usize, out: &mut [f32]) {
        let Job {
            centroids,
            dim,
            qt,
            stride,
            nq,
        } = job;
        let (a, b) = (
            centroids.as_ptr().add(c * dim),
            centroids.as_ptr().add((c + 1) * dim),
        );
        let mut acc0 = [_mm256_setzero_ps(); 4];
        let mut acc1 = [_mm256_setzero_ps(); 4];
        for j in 0..dim {
            let x0 = _mm256_broadcast_ss(&*a.add(j));
            let x1 = _mm256_broadcast_ss(&*b.add(j));
            let q = qt.as_ptr().add(j * stride + col);
            for r in 0..R {
                let v = _mm256_loadu_ps(q.add(LANES * r));
                acc0[r] = _mm256_fmadd_ps(x0, v, acc0[r]);
                acc1[r] = _mm256_fmadd_ps(x1, v, acc1[r]);
            }
        }
        store::<R>(&acc0, nq, col, &mut out[c * nq..(c + 1) * nq]);
        store::<R>(&acc1, nq, col, &mut out[(c + 1) * nq..(c + 2) * nq]);
    }

    /// [`pair`] for a last, unpaired centroid.
    ///
    /// # Safety
    /// As [`pair`], for centroid `c` alone.
    #[inline(always)]
    unsafe fn single<const R: usize>(job: Job<'_>, c: usize, col: usize, out: &mut [f32]) {
        let Job {
            centroids,
            dim,
            qt,
            stride,
            nq,
        } = job;
        let a = centroids.as_ptr().add(c * dim);
        let mut acc = [_mm256_setzero_ps(); 4];
        for j in 0..dim {
            let x = _mm256_broadcast_ss(&*a.add(j));
            let q = qt.as_ptr().add(j * stride + col);
            for (r, acc) in acc.iter_mut().enumerate().take(R) {
                *acc = _mm256_fmadd_ps(x, _mm256_loadu_ps(q.add(LANES * r)), *acc);
            }
        }
        store::<R>(&acc, nq, col, &mut out[c * nq..(c + 1) * nq]);
    }

    /// The real columns of `R` registers into one centroid's row.
    #[inline(always)]
    unsafe fn store<const R: usize>(acc: &[__m256; 4], nq: usize, col: usize, row: &mut [f32]) {
        let mut lanes = [0f32; 4 * LANES];
        for (r, &a) in acc.iter().enumerate().take(R) {
            _mm256_storeu_ps(lanes.as_mut_ptr().add(LANES * r), a);
        }
        let n = (nq - col).min(R * LANES);
        row[col..col + n].copy_from_slice(&lanes[..n]);
    }

    /// The scores of every centroid, in column chunks of four registers.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; `qt` is `dim × stride` with
    /// `stride >= nq` a multiple of 8, `centroids` a whole number of `dim` rows and
    /// `out` one row of `nq` per centroid.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn scores(
        centroids: &[f32],
        dim: usize,
        qt: &[f32],
        stride: usize,
        nq: usize,
        out: &mut [f32],
    ) {
        let k = centroids.len() / dim;
        let job = Job {
            centroids,
            dim,
            qt,
            stride,
            nq,
        };
        // Centroids outermost: each pair is read once, for every column chunk, while
        // the transposed query stays in cache.
        let mut c = 0;
        while c + 2 <= k {
            let mut col = 0;
            while col < stride {
                let regs = ((stride - col) / LANES).min(4);
                match regs {
                    4 => pair::<4>(job, c, col, out),
                    3 => pair::<3>(job, c, col, out),
                    2 => pair::<2>(job, c, col, out),
                    _ => pair::<1>(job, c, col, out),
                }
                col += regs * LANES;
            }
            c += 2;
        }
        if c < k {
            let mut col = 0;
            while col < stride {
                let regs = ((stride - col) / LANES).min(4);
                match regs {
                    4 => single::<4>(job, c, col, out),
                    3 => single::<3>(job, c, col, out),
                    2 => single::<2>(job, c, col, out),
                    _ => single::<1>(job, c, col, out),
                }
                col += regs * LANES;
            }
        }
    }
}

/// The AVX-512 kernel: sixteen query tokens per register, four centroids at a time.
/// Every score is the AVX2 kernel's sequence of fused multiply-adds, so the results are
/// the same to the bit.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx512 {
    use std::arch::x86_64::*;

    /// Query tokens per register.
    pub(super) const LANES: usize = 16;
    /// Centroids per step.
    const CENTROIDS: usize = 4;

    /// Up to `R` registers of query tokens (columns `col..`) against the `C`
    /// centroids from `c`, written to `out` (only the `nq` real columns).
    ///
    /// # Safety
    /// AVX-512F; centroids `c..c + C` exist, columns `col..col + 16 R` are inside
    /// `stride`, `qt` is `dim × stride` and `out` holds the `C` rows.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block<const C: usize, const R: usize>(
        centroids: &[f32],
        dim: usize,
        qt: &[f32],
        stride: usize,
        nq: usize,
        c: usize,
        col: usize,
        out: &mut [f32],
    ) {
        let mut acc = [[_mm512_setzero_ps(); R]; C];
        let base = centroids.as_ptr().add(c * dim);
        for j in 0..dim {
            let q = qt.as_ptr().add(j * stride + col);
            let mut v = [_mm512_setzero_ps(); R];
            for (r, v) in v.iter_mut().enumerate() {
                *v = _mm512_loadu_ps(q.add(LANES * r));
            }
            for (n, acc) in acc.iter_mut().enumerate() {
                let x = _mm512_set1_ps(*base.add(n * dim + j));
                for (a, &v) in acc.iter_mut().zip(&v) {
                    *a = _mm512_fmadd_ps(x, v, *a);
                }
            }
        }
        let n = (nq - col).min(R * LANES);
        for (i, acc) in acc.iter().enumerate() {
            let mut lanes = [0f32; 2 * LANES];
            for (r, &a) in acc.iter().enumerate() {
                _mm512_storeu_ps(lanes.as_mut_ptr().add(LANES * r), a);
            }
            let row = (c + i) * nq + col;
            out[row..row + n].copy_from_slice(&lanes[..n]);
        }
    }

    /// The scores of every centroid, in column chunks of two registers.
    ///
    /// # Safety
    /// AVX-512F; `qt` is `dim × stride` with `stride >= nq` a multiple of 16,
    /// `centroids` a whole number of `dim` rows and `out` one row of `nq` per centroid.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn scores(
        centroids: &[f32],
        dim: usize,
        qt: &[f32],
        stride: usize,
        nq: usize,
        out: &mut [f32],
    ) {
        let k = centroids.len() / dim;
        let mut c = 0;
        while c < k {
            let left = k - c;
            let mut col = 0;
            while col < stride {
                let regs = ((stride - col) / LANES).min(2);
                match (left.min(CENTROIDS), regs) {
                    (4, 2) => block::<4, 2>(centroids, dim, qt, stride, nq, c, col, out),
                    (4, _) => block::<4, 1>(centroids, dim, qt, stride, nq, c, col, out),
                    (3, 2) => block::<3, 2>(centroids, dim, qt, stride, nq, c, col, out),
                    (3, _) => block::<3, 1>(centroids, dim, qt, stride, nq, c, col, out),
                    (2, 2) => block::<2, 2>(centroids, dim, qt, stride, nq, c, col, out),
                    (2, _) => block::<2, 1>(centroids, dim, qt, stride, nq, c, col, out),
                    (_, 2) => block::<1, 2>(centroids, dim, qt, stride, nq, c, col, out),
                    _ => block::<1, 1>(centroids, dim, qt, stride, nq, c, col, out),
                }
                col += regs * LANES;
            }
            c += left.min(CENTROIDS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The dispatched kernel gives the portable loop's scores exactly, and both
        /// are the dot products up to rounding.
        #[test]
        fn kernels_agree(
            k in 1usize..9,
            dim in 1usize..40,
            nq in 1usize..70,
            seed in 0u64..100_000,
        ) {
            let mut rng = super::super::rng::SplitMix64::new(seed);
            let mut f = || rng.below(20_001) as f32 / 10_000.0 - 1.0;
            let centroids: Vec<f32> = (0..k * dim).map(|_| f()).collect();
            let query: Vec<f32> = (0..nq * dim).map(|_| f()).collect();
            let mut got = vec![0f32; k * nq];
            CentroidScorer::default().score(&centroids, dim, &query, nq, &mut got);
            let stride = nq.div_ceil(LANES) * LANES;
            let mut qt = vec![0f32; dim * stride];
            for i in 0..nq {
                for j in 0..dim {
                    qt[j * stride + i] = query[i * dim + j];
                }
            }
            let mut want = vec![0f32; k * nq];
            scores_portable(&centroids, dim, &qt, stride, nq, &mut want);
            prop_assert_eq!(&got, &want);
            for c in 0..k {
                for i in 0..nq {
                    let dot: f32 = (0..dim).map(|j| centroids[c * dim + j] * query[i * dim + j]).sum();
                    prop_assert!((got[c * nq + i] - dot).abs() <= 1e-4 * dim as f32);
                }
            }
        }
    }
}
