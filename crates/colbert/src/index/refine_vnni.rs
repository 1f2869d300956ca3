//! The refine stage's integer dot products with AVX-512 VNNI, where the CPU has it.
//!
//! The AVX2 kernel in [`super::refine`] multiplies a token with one query row per step
//! and adds the row's lanes up at the end. Here the query is regrouped once per search
//! ([`transpose`]): for every four dimensions, the four bytes of each query row side by
//! side, sixteen rows to a register. A token's four bytes are broadcast to every lane and
//! one `vpdpbusd` adds their products with sixteen rows at once, so each lane ends up
//! holding one row's dot product and nothing is reduced across lanes. Four tokens share
//! every query load. The sums are integers, exact in any order, so the results are the
//! AVX2 and portable kernels' to the bit.

/// Query rows per register.
const LANES: usize = 16;
/// Query rows per pass: two registers.
pub(crate) const ROWS: usize = 2 * LANES;

/// Whether the CPU runs [`dots`].
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `q8` (`rows × dim`, row-major, `dim` a multiple of 4) regrouped for [`dots`]: per
/// four dimensions, every row's four bytes, rows padded with zeros to a multiple of
/// [`ROWS`].
pub(crate) fn transpose(q8: &[i8], dim: usize, out: &mut Vec<i8>) {
    let rows = q8.len() / dim.max(1);
    let padded = rows.div_ceil(ROWS) * ROWS;
    out.clear();
    out.resize(padded * dim, 0);
    for (r, row) in q8.chunks_exact(dim).enumerate() {
        for (quad, bytes) in row.chunks_exact(4).enumerate() {
            let at = (quad * padded + r) * 4;
            out[at..at + 4].copy_from_slice(bytes);
        }
    }
}

/// `out[t * padded + i] = Σ_j q[i][j] · u[t * dim + j]` for every token `t` of `u` and
/// query row `i < padded`, where `qt` is [`transpose`] of the `rows × dim` query.
///
/// # Panics
/// If the CPU lacks AVX-512 VNNI (check [`available`]) or the shapes disagree.
pub(crate) fn dots(u: &[u8], qt: &[i8], dim: usize, padded: usize, out: &mut [i32]) {
    assert!(available(), "dots needs AVX-512 VNNI");
    assert!(dim.is_multiple_of(4) && dim > 0);
    let rows = qt.len() / dim;
    assert!(rows.is_multiple_of(ROWS) && padded <= rows);
    assert_eq!(out.len() * dim, u.len() * padded);
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    // SAFETY: the features were checked by `available`, the shapes just above.
    unsafe {
        avx512::dots(u, qt, dim, rows, padded, out)
    };
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx512 {
    use super::{LANES, ROWS};
    use std::arch::x86_64::*;

    /// `N` tokens from `t0` against the query rows `r0..r0 + 32`.
    ///
    /// # Safety
    /// AVX-512F and VNNI; tokens `t0..t0 + N` hold `dim` bytes each in `u`, `qt` is
    /// `rows × dim` in [`super::transpose`] layout with `r0 + 32 <= rows`, and `out`
    /// holds `padded` entries for each of those tokens.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tokens<const N: usize>(
        u: &[u8],
        qt: &[i8],
        dim: usize,
        rows: usize,
        padded: usize,
        t0: usize,
        r0: usize,
        out: &mut [i32],
    ) {
        let mut acc = [[_mm512_setzero_si512(); 2]; N];
        for quad in 0..dim / 4 {
            let q = qt.as_ptr().add((quad * rows + r0) * 4);
            let q0 = _mm512_loadu_si512(q as *const __m512i);
            let q1 = _mm512_loadu_si512(q.add(4 * LANES) as *const __m512i);
            for (n, acc) in acc.iter_mut().enumerate() {
                let bytes = u.as_ptr().add((t0 + n) * dim + 4 * quad) as *const i32;
                let x = _mm512_set1_epi32(bytes.read_unaligned());
                acc[0] = _mm512_dpbusd_epi32(acc[0], x, q0);
                acc[1] = _mm512_dpbusd_epi32(acc[1], x, q1);
            }
        }
        for (n, acc) in acc.iter().enumerate() {
            let row = out.as_mut_ptr().add((t0 + n) * padded);
            for (h, &a) in acc.iter().enumerate() {
                let first = r0 + h * LANES;
                let n_lanes = padded.saturating_sub(first).min(LANES);
                let mask: __mmask16 = ((1u32 << n_lanes) - 1) as __mmask16;
                _mm512_mask_storeu_epi32(row.add(first.min(padded)), mask, a);
            }
        }
    }

    /// See [`super::dots`].
    ///
    /// # Safety
    /// AVX-512F and VNNI; the shapes [`super::dots`] asserts.
    #[target_feature(enable = "avx512f,avx512vnni")]
    pub(super) unsafe fn dots(
        u: &[u8],
        qt: &[i8],
        dim: usize,
        rows: usize,
        padded: usize,
        out: &mut [i32],
    ) {
        let n = u.len() / dim;
        let mut r0 = 0;
        while r0 < padded {
            let mut t = 0;
            while t + 4 <= n {
                tokens::<4>(u, qt, dim, rows, padded, t, r0, out);
                t += 4;
            }
            match n - t {
                3 => tokens::<3>(u, qt, dim, rows, padded, t, r0, out),
                2 => tokens::<2>(u, qt, dim, rows, padded, t, r0, out),
                1 => tokens::<1>(u, qt, dim, rows, padded, t, r0, out),
                _ => {}
            }
            r0 += ROWS;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::refine::{dots_portable, dots_with};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        /// The kernel the refine stage dispatches to (VNNI where the CPU has it, as
        /// here) returns exactly the portable loop's integers, for any number of tokens
        /// and of query rows (padded to 8, as the refine stage pads them).
        #[test]
        fn dispatched_dots_agree_with_the_portable_loop(
            quads in 1usize..40,
            groups in 1usize..7,
            tokens in 1usize..12,
            seed in 0u64..100_000,
        ) {
            let (dim, padded) = (quads * 4, groups * 8);
            let mut rng = super::super::rng::SplitMix64::new(seed);
            let u: Vec<u8> = (0..tokens * dim).map(|_| rng.below(32) as u8).collect();
            let q8: Vec<i8> = (0..padded * dim).map(|_| (rng.below(255) as i32 - 127) as i8).collect();
            let mut qt = Vec::new();
            if available() {
                transpose(&q8, dim, &mut qt);
            }
            let (mut a, mut b) = (vec![7i32; tokens * padded], vec![0i32; tokens * padded]);
            dots_with(&u, &q8, &qt, dim, padded, &mut a);
            dots_portable(&u, &q8, dim, padded, &mut b);
            prop_assert_eq!(a, b);
        }
    }
}
