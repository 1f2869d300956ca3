//! Residual compression (ColBERTv2/PLAID): a vector is stored as its nearest centroid
//! plus its residual quantised to `nbits` per dimension.
//!
//! Unlike ColBERTv2, which uses one set of bucket cutoffs for all dimensions, the
//! buckets here are per dimension and refined by Lloyd-Max iterations on a held-out
//! sample, so each dimension's quantiser fits that dimension's residual distribution.
//! The cost is `dim × 2^nbits` floats of codec state, nothing per token.

use std::sync::Arc;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

use super::assign::CalibratedAssigner;
use super::decode::decode_4bit;
use super::refine::RefineTable;

/// Tokens per parallel task when packing residuals.
const PACK_BLOCK: usize = 1024;

/// Lloyd-Max refinement rounds of the per-dimension quantisers.
const LLOYD_ROUNDS: usize = 10;

/// Quantile of centroid distances used as `cluster_threshold`: a token farther than
/// this from its centroid is an outlier for the update policy.
const CLUSTER_THRESHOLD_QUANTILE: f64 = 0.75;

/// Centroids plus per-dimension residual quantisers.
#[derive(Debug, Clone)]
pub struct ResidualCodec {
    nbits: u8,
    centroids: Array2<f32>,
    /// `dim × (2^nbits - 1)`, increasing along each row.
    cutoffs: Array2<f32>,
    /// `dim × 2^nbits`: the reconstruction value of each bucket.
    weights: Array2<f32>,
    /// Mean absolute residual per dimension (reported, and used by update policies).
    avg_residual: Array1<f32>,
    /// Distance from a token to its centroid beyond which it counts as an outlier.
    cluster_threshold: f32,
    /// Decode table: for byte position `p` and byte value `v`, the weights of the
    /// `8 / nbits` dimensions that byte holds.
    lut: Vec<f32>,
    /// The quantised weights the refine stage reads.
    refine: RefineTable,
    /// How compression assigns tokens to centroids (decided on first use; shared by
    /// clones, which hold the same centroids).
    assigner: Arc<CalibratedAssigner>,
}

impl ResidualCodec {
    /// Fits quantisers to the residuals of `sample` against `centroids`.
    ///
    /// # Panics
    /// If `nbits` is not 1, 2, 4 or 8, if `dim * nbits` is not a multiple of 8, or if
    /// `sample` is empty: programming errors checked by the index builder.
    pub fn train(centroids: Array2<f32>, sample: ArrayView2<'_, f32>, nbits: u8) -> Self {
        assert!(matches!(nbits, 1 | 2 | 4 | 8), "nbits must be 1, 2, 4 or 8");
        let dim = centroids.ncols();
        assert!(
            (dim * nbits as usize).is_multiple_of(8),
            "dim * nbits must fill whole bytes"
        );
        assert!(sample.nrows() > 0, "codec training needs a sample");
        let assigner = Arc::new(CalibratedAssigner::default());
        let labels = assigner.assign(sample, centroids.view());
        let mut residuals = sample.to_owned();
        let mut distances = Vec::with_capacity(sample.nrows());
        for (mut r, &l) in residuals.outer_iter_mut().zip(&labels) {
            r -= &centroids.row(l as usize);
            distances.push(r.dot(&r).sqrt());
        }
        let buckets = 1usize << nbits;
        let mut cutoffs = Array2::<f32>::zeros((dim, buckets - 1));
        let mut weights = Array2::<f32>::zeros((dim, buckets));
        let mut avg_residual = Array1::<f32>::zeros(dim);
        for j in 0..dim {
            let mut col: Vec<f32> = residuals.column(j).to_vec();
            col.sort_unstable_by(f32::total_cmp);
            avg_residual[j] = col.iter().map(|x| x.abs()).sum::<f32>() / col.len() as f32;
            let (c, w) = fit_quantiser(&col, buckets);
            cutoffs.row_mut(j).assign(&Array1::from(c));
            weights.row_mut(j).assign(&Array1::from(w));
        }
        distances.sort_unstable_by(f32::total_cmp);
        let q = ((distances.len() - 1) as f64 * CLUSTER_THRESHOLD_QUANTILE) as usize;
        // The same centroids: compression keeps what training's calibration decided.
        Self {
            assigner,
            ..Self::from_parts(
                centroids,
                cutoffs,
                weights,
                avg_residual,
                distances[q],
                nbits,
            )
        }
    }

    /// Rebuilds a codec from its stored arrays.
    pub fn from_parts(
        centroids: Array2<f32>,
        cutoffs: Array2<f32>,
        weights: Array2<f32>,
        avg_residual: Array1<f32>,
        cluster_threshold: f32,
        nbits: u8,
    ) -> Self {
        // Row-major, so that search can read the centroids as one slice.
        let centroids = if centroids.is_standard_layout() {
            centroids
        } else {
            centroids.as_standard_layout().into_owned()
        };
        let lut = build_lut(weights.view(), nbits);
        let refine = RefineTable::new(
            weights.as_standard_layout().as_slice().unwrap_or(&[]),
            centroids.ncols(),
            nbits,
        );
        Self {
            nbits,
            centroids,
            cutoffs,
            weights,
            avg_residual,
            cluster_threshold,
            lut,
            refine,
            assigner: Arc::new(CalibratedAssigner::default()),
        }
    }

    /// The same codec assigning through `assigner` (one kept by an index writer across
    /// the batches it adds with these centroids, so it calibrates once).
    pub(crate) fn with_assigner(mut self, assigner: Arc<CalibratedAssigner>) -> Self {
        self.assigner = assigner;
        self
    }

    /// How this codec assigns tokens to centroids.
    pub(crate) fn assigner(&self) -> &Arc<CalibratedAssigner> {
        &self.assigner
    }

    /// The best centroid of every row of `vectors` (the codes compression stores).
    pub fn assign(&self, vectors: ArrayView2<'_, f32>) -> Vec<u32> {
        self.assigner.assign(vectors, self.centroids.view())
    }

    /// Bits per dimension of a residual.
    pub fn nbits(&self) -> u8 {
        self.nbits
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.centroids.ncols()
    }

    /// Number of centroids.
    pub fn num_centroids(&self) -> usize {
        self.centroids.nrows()
    }

    /// Bytes of one packed residual.
    pub fn packed_len(&self) -> usize {
        self.dim() * self.nbits as usize / 8
    }

    /// The centroid matrix (`num_centroids × dim`, unit rows).
    pub fn centroids(&self) -> ArrayView2<'_, f32> {
        self.centroids.view()
    }

    /// The centroid matrix as one row-major slice.
    pub(crate) fn centroid_slice(&self) -> &[f32] {
        self.centroids
            .as_slice()
            .unwrap_or_else(|| unreachable!("from_parts stores the centroids row-major"))
    }

    /// The refine stage's table of quantised weights.
    pub(crate) fn refine_table(&self) -> &RefineTable {
        &self.refine
    }

    /// Per-dimension bucket cutoffs.
    pub fn cutoffs(&self) -> ArrayView2<'_, f32> {
        self.cutoffs.view()
    }

    /// Per-dimension bucket reconstruction values.
    pub fn weights(&self) -> ArrayView2<'_, f32> {
        self.weights.view()
    }

    /// Mean absolute residual per dimension.
    pub fn avg_residual(&self) -> ArrayView1<'_, f32> {
        self.avg_residual.view()
    }

    /// Outlier distance for the update policy.
    pub fn cluster_threshold(&self) -> f32 {
        self.cluster_threshold
    }

    /// A codec with `extra` centroids appended (unit rows). Existing centroid ids keep
    /// their meaning, so segments compressed before stay valid; quantisers are kept.
    pub fn with_added_centroids(&self, extra: ArrayView2<'_, f32>) -> Self {
        let mut centroids = self.centroids.clone();
        for row in extra.outer_iter() {
            // Shapes match: `extra` comes from k-means over vectors of this dimension.
            let _ = centroids.push_row(row);
        }
        Self::from_parts(
            centroids,
            self.cutoffs.clone(),
            self.weights.clone(),
            self.avg_residual.clone(),
            self.cluster_threshold,
            self.nbits,
        )
    }

    /// Rows of `vectors` farther than `factor × cluster_threshold` from their nearest
    /// centroid (`codes`, from [`Self::assign`]).
    pub fn outliers_of(
        &self,
        vectors: ArrayView2<'_, f32>,
        codes: &[u32],
        factor: f32,
    ) -> Vec<usize> {
        let limit = factor * self.cluster_threshold;
        vectors
            .outer_iter()
            .zip(codes)
            .enumerate()
            .filter(|(_, (v, &c))| {
                let d2: f32 = v
                    .iter()
                    .zip(self.centroids.row(c as usize).iter())
                    .map(|(x, m)| (x - m) * (x - m))
                    .sum();
                d2.sqrt() > limit
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Compresses `vectors` (rows): their centroid ids and packed residuals.
    pub fn compress(&self, vectors: ArrayView2<'_, f32>) -> (Vec<u32>, Vec<u8>) {
        let codes = self.assign(vectors);
        let packed = self.pack(vectors, &codes);
        (codes, packed)
    }

    /// The packed residuals of `vectors` against their centroids `codes` (from
    /// [`Self::assign`]).
    pub fn pack(&self, vectors: ArrayView2<'_, f32>, codes: &[u32]) -> Vec<u8> {
        let plen = self.packed_len();
        let mut packed = vec![0u8; vectors.nrows() * plen];
        packed
            .par_chunks_mut(plen * PACK_BLOCK)
            .enumerate()
            .for_each(|(b, block)| {
                let mut residual = vec![0f32; self.dim()];
                for (i, out) in block.chunks_exact_mut(plen).enumerate() {
                    let row = b * PACK_BLOCK + i;
                    let centroid = self.centroids.row(codes[row] as usize);
                    for ((r, &x), &m) in residual
                        .iter_mut()
                        .zip(vectors.row(row).iter())
                        .zip(centroid.iter())
                    {
                        *r = x - m;
                    }
                    self.pack_residual(&residual, out);
                }
            });
        packed
    }

    fn pack_residual(&self, residual: &[f32], out: &mut [u8]) {
        let per_byte = 8 / self.nbits as usize;
        for (p, byte) in out.iter_mut().enumerate() {
            let mut b = 0u8;
            for i in 0..per_byte {
                let j = p * per_byte + i;
                let r = residual[j];
                let bucket = self
                    .cutoffs
                    .row(j)
                    .iter()
                    .map(|&c| u8::from(r > c))
                    .sum::<u8>();
                b = (b << self.nbits) | bucket;
            }
            *byte = b;
        }
    }

    /// Reconstructs one vector (unit norm) into `out` from its centroid and residual.
    pub fn decompress_into(&self, code: u32, packed: &[u8], out: &mut [f32]) {
        let norm = self.decompress_raw_into(code, packed, out);
        if norm > 0.0 {
            let inv = 1.0 / norm;
            out.iter_mut().for_each(|x| *x *= inv);
        }
    }

    /// Writes centroid + residual into `out` without normalising it; returns its norm.
    /// Callers that only need dot products scale the products instead of the vector.
    pub fn decompress_raw_into(&self, code: u32, packed: &[u8], out: &mut [f32]) -> f32 {
        let centroid = self.centroids.row(code as usize);
        let centroid = centroid.as_slice().unwrap_or(&[]);
        if self.nbits == 4 {
            // One pass: centroid plus both dimensions of each byte, and the norm.
            return decode_4bit(&self.lut, centroid, packed, out);
        }
        out.copy_from_slice(centroid);
        match self.nbits {
            2 => add_lut::<4>(&self.lut, packed, out),
            8 => add_lut::<1>(&self.lut, packed, out),
            _ => add_lut::<8>(&self.lut, packed, out),
        }
        norm(out)
    }

    /// Reconstructs many vectors (rows of the result).
    pub fn decompress(&self, codes: &[u32], packed: &[u8]) -> Array2<f32> {
        let dim = self.dim();
        let plen = self.packed_len();
        let mut out = Array2::<f32>::zeros((codes.len(), dim));
        for ((mut row, &c), p) in out
            .axis_iter_mut(Axis(0))
            .zip(codes)
            .zip(packed.chunks_exact(plen))
        {
            if let Some(slice) = row.as_slice_mut() {
                self.decompress_into(c, p, slice);
            }
        }
        out
    }
}

/// Euclidean norm, compiled for AVX2/FMA too and picked at run time.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn norm(v: &[f32]) -> f32 {
    // Eight partial sums so the loop vectorises without reassociation flags.
    let mut acc = [0f32; 8];
    let chunks = v.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().map(|x| x * x).sum();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x * x;
        }
    }
    (acc.iter().sum::<f32>() + tail).sqrt()
}

/// Adds the bucket weights of each packed byte (`PER_BYTE` dimensions per byte).
#[inline]
fn add_lut<const PER_BYTE: usize>(lut: &[f32], packed: &[u8], out: &mut [f32]) {
    for ((&b, o), p) in packed
        .iter()
        .zip(out.chunks_exact_mut(PER_BYTE))
        .zip(0usize..)
    {
        let base = (p * 256 + b as usize) * PER_BYTE;
        let w: &[f32; PER_BYTE] = lut[base..base + PER_BYTE]
            .try_into()
            .unwrap_or_else(|_| unreachable!("the table has PER_BYTE entries per byte value"));
        for (x, &y) in o.iter_mut().zip(w) {
            *x += y;
        }
    }
}

/// Lloyd-Max quantiser of sorted values into `buckets` levels: (cutoffs, weights).
fn fit_quantiser(sorted: &[f32], buckets: usize) -> (Vec<f32>, Vec<f32>) {
    let n = sorted.len();
    // prefix[i] = sum of sorted[..i], for O(1) bucket means.
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0f64);
    for &x in sorted {
        prefix.push(prefix[prefix.len() - 1] + f64::from(x));
    }
    let mean_between = |lo: usize, hi: usize, fallback: f32| {
        if hi > lo {
            ((prefix[hi] - prefix[lo]) / (hi - lo) as f64) as f32
        } else {
            fallback
        }
    };
    // Start from equal-population buckets.
    let mut cutoffs: Vec<f32> = (1..buckets)
        .map(|i| sorted[(i * n / buckets).min(n - 1)])
        .collect();
    let mut weights = vec![0f32; buckets];
    for round in 0..=LLOYD_ROUNDS {
        let mut lo = 0;
        for (b, w) in weights.iter_mut().enumerate() {
            let hi = if b + 1 < buckets {
                sorted.partition_point(|&x| x <= cutoffs[b])
            } else {
                n
            };
            let fallback = if b + 1 < buckets {
                cutoffs[b]
            } else {
                sorted[n - 1]
            };
            *w = mean_between(lo, hi, fallback);
            lo = hi;
        }
        if round == LLOYD_ROUNDS {
            break;
        }
        for (b, c) in cutoffs.iter_mut().enumerate() {
            *c = 0.5 * (weights[b] + weights[b + 1]);
        }
    }
    (cutoffs, weights)
}

fn build_lut(weights: ArrayView2<'_, f32>, nbits: u8) -> Vec<f32> {
    let dim = weights.nrows();
    let per_byte = 8 / nbits as usize;
    let bytes = dim / per_byte;
    let mask = (1usize << nbits) - 1;
    let mut lut = vec![0f32; bytes * 256 * per_byte];
    for p in 0..bytes {
        for v in 0..256usize {
            for i in 0..per_byte {
                let shift = (per_byte - 1 - i) * nbits as usize;
                let bucket = (v >> shift) & mask;
                lut[(p * 256 + v) * per_byte + i] = weights[[p * per_byte + i, bucket]];
            }
        }
    }
    lut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::kmeans::{kmeans, KMeansConfig};
    use crate::index::rng::SplitMix64;
    use proptest::prelude::*;

    fn random_unit_rows(n: usize, dim: usize, seed: u64) -> Array2<f32> {
        let mut rng = SplitMix64::new(seed);
        let mut m = Array2::from_shape_fn((n, dim), |_| rng.below(20001) as f32 / 10000.0 - 1.0);
        for mut r in m.outer_iter_mut() {
            let norm = r.dot(&r).sqrt();
            r /= norm;
        }
        m
    }

    fn codec(nbits: u8) -> (ResidualCodec, Array2<f32>) {
        let data = random_unit_rows(4000, 16, 11);
        let centroids = kmeans(
            data.view(),
            &KMeansConfig {
                k: 32,
                iterations: 5,
                max_points_per_centroid: 256,
                seed: 5,
            },
        );
        (ResidualCodec::train(centroids, data.view(), nbits), data)
    }

    #[test]
    fn quantiser_is_ordered_and_reconstructs_the_mean() {
        let sorted: Vec<f32> = (0..1000).map(|i| i as f32 / 1000.0).collect();
        let (c, w) = fit_quantiser(&sorted, 4);
        assert!(c.windows(2).all(|p| p[0] < p[1]));
        assert!(w.windows(2).all(|p| p[0] < p[1]));
        // Uniform data: Lloyd-Max levels sit at bucket centres.
        assert!(
            (w[0] - 0.125).abs() < 0.01 && (w[3] - 0.875).abs() < 0.01,
            "{w:?}"
        );
    }

    #[test]
    fn more_bits_reconstruct_better() {
        let mse = |nbits| {
            let (codec, data) = codec(nbits);
            let (codes, packed) = codec.compress(data.view());
            let back = codec.decompress(&codes, &packed);
            (&back - &data).mapv(|x| x * x).sum() / data.len() as f32
        };
        let (m2, m4) = (mse(2), mse(4));
        assert!(m4 < m2 * 0.5, "4-bit mse {m4} vs 2-bit {m2}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any vector whose residual stays inside the trained range comes back within
        /// the widest bucket of each dimension (before renormalisation, which for unit
        /// vectors changes little).
        #[test]
        fn round_trip_error_is_bounded_by_the_bucket_width(
            seed in 0u64..10_000, nbits in prop::sample::select(vec![2u8, 4u8])
        ) {
            let (codec, _) = codec(nbits);
            let v = random_unit_rows(1, 16, seed);
            let (codes, packed) = codec.compress(v.view());
            let c = codec.centroids().row(codes[0] as usize).to_owned();
            let residual = &v.row(0) - &c;
            // Unnormalised reconstruction, so the bound is exact per dimension.
            let mut recon = c.clone();
            let per_byte = 8 / nbits as usize;
            for j in 0..16 {
                let b = packed[j / per_byte];
                let shift = (per_byte - 1 - j % per_byte) * nbits as usize;
                let bucket = (b as usize >> shift) & ((1 << nbits) - 1);
                recon[j] += codec.weights()[[j, bucket]];
            }
            let weights = codec.weights();
            for j in 0..16 {
                let w = weights.row(j);
                let lo = w[0];
                let hi = w[w.len() - 1];
                let r = residual[j];
                let err = (recon[j] - v[[0, j]]).abs();
                if r >= lo && r <= hi {
                    let widest = w.to_vec().windows(2).map(|p| p[1] - p[0]).fold(0f32, f32::max);
                    prop_assert!(err <= widest + 1e-5, "dim {j}: err {err} > widest {widest}");
                } else {
                    // Outside the trained range the error is the overshoot.
                    let overshoot = if r < lo { lo - r } else { r - hi };
                    prop_assert!(err <= overshoot + 1e-5);
                }
            }
            let back = codec.decompress(&codes, &packed);
            let cos: f32 = back.row(0).dot(&v.row(0));
            // Random 16-d vectors are far from 32 centroids: a hard case for the codec.
            let min_cos = if nbits == 4 { 0.95 } else { 0.75 };
            prop_assert!(cos > min_cos, "{nbits}-bit cosine {cos}");
        }
    }
}
