//! 4-bit residual decoding for the exact stage: `centroid + weights(codes)` and its norm
//! in one pass, with an AVX2 kernel picked at run time (the portable loop elsewhere).
//! Both compute each element as the same single `f32` addition.

/// `out = centroid + weights[j][nibble_j]` for 4-bit codes (high nibble first), read
/// from `lut`, the codec's byte table (per byte of codes and each of its 256 values,
/// the two dimensions' weights); returns the norm.
pub(crate) fn decode_4bit(lut: &[f32], centroid: &[f32], packed: &[u8], out: &mut [f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if out.len().is_multiple_of(8)
            && lut.len() == out.len() * 256
            && centroid.len() == out.len()
            && packed.len() * 2 == out.len()
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            #[allow(unsafe_code)]
            // SAFETY: AVX2 and FMA were detected just above; the lengths were checked.
            return unsafe { avx2::decode(lut, centroid, packed, out) };
        }
    }
    decode_portable(lut, centroid, packed, out)
}

/// The portable loop: one 256-entry table lookup per packed byte.
pub(crate) fn decode_portable(
    lut: &[f32],
    centroid: &[f32],
    packed: &[u8],
    out: &mut [f32],
) -> f32 {
    let mut acc = [0f32; 2];
    for (((&b, o), c), p) in packed
        .iter()
        .zip(out.chunks_exact_mut(2))
        .zip(centroid.chunks_exact(2))
        .zip(0usize..)
    {
        let base = (p * 256 + b as usize) * 2;
        let w: &[f32; 2] = lut[base..base + 2]
            .try_into()
            .unwrap_or_else(|_| unreachable!("the table has 2 entries per byte value"));
        let (x, y) = (c[0] + w[0], c[1] + w[1]);
        o[0] = x;
        o[1] = y;
        acc[0] += x * x;
        acc[1] += y * y;
    }
    (acc[0] + acc[1]).sqrt()
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    use std::arch::x86_64::*;

    /// Eight dimensions per step: each of their four code bytes picks its two
    /// dimensions' weights from the byte table (one 8-byte load each), the four pairs
    /// joined into one register. On a Zen 3 EPYC this is 1.4x faster than gathering
    /// each dimension's weight from `weights` by its nibble (`vgatherdps` is slow there;
    /// 180 against 260 ns per 384-dimension vector).
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA; `out.len()` is a multiple of 8, `centroid`
    /// as long as `out`, `packed` half as long, `lut` 256 times as long.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn decode(
        lut: &[f32],
        centroid: &[f32],
        packed: &[u8],
        out: &mut [f32],
    ) -> f32 {
        let table = lut.as_ptr();
        // The two weights of byte `p` of the codes, as one 8-byte load.
        let pair = |p: usize| -> i64 {
            // SAFETY: p < packed.len(), so the two floats at (p * 256 + byte) * 2 are
            // inside `lut`; read unaligned, as the table is only aligned for f32.
            unsafe {
                table
                    .add((p * 256 + packed[p] as usize) * 2)
                    .cast::<i64>()
                    .read_unaligned()
            }
        };
        let mut acc = _mm256_setzero_ps();
        for g in 0..out.len() / 8 {
            let p = 4 * g;
            let w = _mm256_castsi256_ps(_mm256_set_epi64x(
                pair(p + 3),
                pair(p + 2),
                pair(p + 1),
                pair(p),
            ));
            // SAFETY: 8g + 8 <= out.len() == centroid.len().
            let c = unsafe { _mm256_loadu_ps(centroid.as_ptr().add(8 * g)) };
            let x = _mm256_add_ps(c, w);
            unsafe { _mm256_storeu_ps(out.as_mut_ptr().add(8 * g), x) };
            acc = _mm256_fmadd_ps(x, x, acc);
        }
        let mut lanes_out = [0f32; 8];
        // SAFETY: eight floats into an eight-float array.
        unsafe { _mm256_storeu_ps(lanes_out.as_mut_ptr(), acc) };
        lanes_out.iter().sum::<f32>().sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The byte table of `weights` as the codec builds it (two dimensions per byte).
    fn byte_lut(weights: &[f32], dim: usize) -> Vec<f32> {
        let mut lut = vec![0f32; dim / 2 * 256 * 2];
        for p in 0..dim / 2 {
            for v in 0..256usize {
                lut[(p * 256 + v) * 2] = weights[2 * p * 16 + (v >> 4)];
                lut[(p * 256 + v) * 2 + 1] = weights[(2 * p + 1) * 16 + (v & 15)];
            }
        }
        lut
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// The dispatched kernel writes exactly the portable loop's values, and a norm
        /// equal up to summation order.
        #[test]
        fn kernels_agree(
            groups in 1usize..20,
            seed in 0u64..100_000,
        ) {
            let dim = groups * 8;
            let mut rng = super::super::rng::SplitMix64::new(seed);
            let mut f = || rng.below(20_001) as f32 / 10_000.0 - 1.0;
            let weights: Vec<f32> = (0..dim * 16).map(|_| f()).collect();
            let centroid: Vec<f32> = (0..dim).map(|_| f()).collect();
            let packed: Vec<u8> = (0..dim / 2).map(|_| (f().abs() * 255.0) as u8).collect();
            let lut = byte_lut(&weights, dim);
            let (mut a, mut b) = (vec![0f32; dim], vec![0f32; dim]);
            let na = decode_4bit(&lut, &centroid, &packed, &mut a);
            let nb = decode_portable(&lut, &centroid, &packed, &mut b);
            prop_assert_eq!(&a, &b);
            for j in 0..dim {
                let nib = if j % 2 == 0 { packed[j / 2] >> 4 } else { packed[j / 2] & 15 };
                prop_assert_eq!(b[j], centroid[j] + weights[j * 16 + nib as usize]);
            }
            prop_assert!((na - nb).abs() <= 1e-5 * nb.max(1.0), "{na} vs {nb}");
        }
    }
}
