//! The first PLAID stages for one query: centroid scores, the probed centroids, and the
//! centroid-interaction table (pruned, quantised to `u8`) that approximate scoring reads.

use super::codec::ResidualCodec;
use super::cscore::CentroidScorer;

/// Lanes of one step of the `u8` approximate scorer; the table's row stride is a
/// multiple of it (padding lanes hold 0, which neither `max` nor the sum notices).
pub(crate) const LANES: usize = 32;

/// Per-query centroid state, kept in thread-local scratch between searches so that no
/// search pays for fresh pages.
#[derive(Default)]
pub(crate) struct QueryCentroids {
    /// Query tokens.
    pub(crate) nq: usize,
    /// Centroid-major scores: `scores[c * nq + i] = <q_i, centroid_c>`.
    pub(crate) scores: Vec<f32>,
    /// Centroid-major quantised interaction table, `stride` bytes per centroid:
    /// `round(max(score, 0) / scale)`, all zero for pruned centroids.
    pub(crate) table: Vec<u8>,
    /// Bytes per centroid row of `table` (`nq` rounded up to [`LANES`]).
    pub(crate) stride: usize,
    /// Score of one quantisation step.
    pub(crate) scale: f32,
    /// Probed centroids, ascending.
    pub(crate) probed: Vec<u32>,
    top: Vec<(f32, u32)>,
    scorer: CentroidScorer,
    /// Per query token, the score of the last entry of its top list.
    last: Vec<f32>,
    /// Per centroid, its best score over the query tokens.
    row_max: Vec<f32>,
}

impl QueryCentroids {
    /// Stage 1: `scores` of the centroids and the query (`nq × dim`, row-major).
    pub(crate) fn score(&mut self, codec: &ResidualCodec, query: &[f32], nq: usize) {
        let k = codec.num_centroids();
        let dim = codec.dim();
        self.nq = nq;
        if self.scores.len() < k * nq {
            self.scores.resize(k * nq, 0.0);
        }
        self.scorer.score(
            codec.centroid_slice(),
            dim,
            query,
            nq,
            &mut self.scores[..k * nq],
        );
    }

    /// Stage 2: the top `probe` centroids of every query token, and the quantised
    /// interaction table with centroids whose best score is below `threshold` pruned.
    pub(crate) fn probe_and_prune(&mut self, k: usize, probe: usize, threshold: Option<f32>) {
        let nq = self.nq;
        let probe = probe.clamp(1, k.max(1));
        let scores = &self.scores[..k * nq];
        // Top `probe` centroids of every query token in one pass over the centroid-major
        // scores: a small sorted list per token (probe is a handful), entered only when a
        // row beats some token's current last entry (a vectorised test, rarely true).
        self.top.clear();
        self.top.resize(nq * probe, (f32::NEG_INFINITY, 0));
        self.last.clear();
        self.last.resize(nq, f32::NEG_INFINITY);
        let mut hi = 0f32;
        self.row_max.clear();
        self.row_max.reserve(k);
        for (c, row) in scores.chunks_exact(nq).enumerate() {
            let (beats, row_max) = beats_any(row, &self.last);
            hi = hi.max(row_max);
            self.row_max.push(row_max);
            if !beats {
                continue;
            }
            for (i, &score) in row.iter().enumerate() {
                let list = &mut self.top[i * probe..(i + 1) * probe];
                if score > list[probe - 1].0 {
                    let mut j = probe - 1;
                    while j > 0 && list[j - 1].0 < score {
                        list[j] = list[j - 1];
                        j -= 1;
                    }
                    list[j] = (score, c as u32);
                    self.last[i] = list[probe - 1].0;
                }
            }
        }
        self.probed.clear();
        self.probed.extend(
            self.top
                .iter()
                .filter(|(s, _)| *s > f32::NEG_INFINITY)
                .map(|&(_, c)| c),
        );
        self.probed.sort_unstable();
        self.probed.dedup();
        self.stride = nq.div_ceil(LANES).max(1) * LANES;
        let stride = self.stride;
        if self.table.len() < k * stride {
            self.table.resize(k * stride, 0);
        }
        self.scale = if hi > 0.0 { hi / 255.0 } else { 1.0 };
        quantise(
            scores,
            &self.row_max,
            &mut self.table[..k * stride],
            nq,
            stride,
            1.0 / self.scale,
            threshold.unwrap_or(f32::NEG_INFINITY),
        );
    }
}

/// Whether any `row[i] > last[i]`, and the row's maximum (both without branches).
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn beats_any(row: &[f32], last: &[f32]) -> (bool, f32) {
    let mut beats = false;
    let mut best = f32::NEG_INFINITY;
    for (&s, &l) in row.iter().zip(last) {
        beats |= s > l;
        best = best.max(s);
    }
    (beats, best)
}

/// Writes the quantised rows of `table` from `scores` (see [`QueryCentroids::table`]);
/// `row_max[c]` is centroid `c`'s best score.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn quantise(
    scores: &[f32],
    row_max: &[f32],
    table: &mut [u8],
    nq: usize,
    stride: usize,
    inv: f32,
    t: f32,
) {
    for ((row, out), &best) in scores
        .chunks_exact(nq)
        .zip(table.chunks_exact_mut(stride))
        .zip(row_max)
    {
        if best >= t {
            for (o, &s) in out.iter_mut().zip(row) {
                // Saturating cast; + 0.5 rounds to nearest.
                *o = (s.max(0.0) * inv + 0.5) as u8;
            }
        } else {
            out[..nq].fill(0);
        }
        out[nq..].fill(0);
    }
}

/// Approximate score of a document (in quantisation steps) from its centroid ids: per
/// query token, the best table entry among its centroids, summed over query tokens.
#[inline]
pub(crate) fn approx_score<C: Copy + Into<u32>>(codes: &[C], table: &[u8], stride: usize) -> u32 {
    let mut sum = 0u32;
    for c0 in (0..stride).step_by(LANES) {
        sum += approx_lanes(codes, table, stride, c0);
    }
    sum
}

/// [`approx_score`] over the lanes `c0..c0 + LANES`: one register-sized accumulator.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn approx_lanes<C: Copy + Into<u32>>(codes: &[C], table: &[u8], stride: usize, c0: usize) -> u32 {
    let mut m = [0u8; LANES];
    for &code in codes {
        let at = code.into() as usize * stride + c0;
        let row: &[u8; LANES] = table[at..at + LANES]
            .try_into()
            .unwrap_or_else(|_| unreachable!("rows hold LANES bytes from c0"));
        for (a, &b) in m.iter_mut().zip(row) {
            *a = (*a).max(b);
        }
    }
    m.iter().map(|&x| u32::from(x)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The quantised score tracks the f32 pruned centroid interaction within half a
        /// step per query token.
        #[test]
        fn quantised_approx_matches_f32(
            nq in 1usize..70,
            k in 1usize..40,
            seed in 0u64..1000,
            t in prop::option::of(-0.5f32..0.9),
            doc in prop::collection::vec(0usize..40, 1..50),
        ) {
            let mut rng = super::super::rng::SplitMix64::new(seed);
            let scores: Vec<f32> = (0..k * nq).map(|_| rng.below(2001) as f32 / 1000.0 - 1.0).collect();
            let mut qc = QueryCentroids { nq, scores: scores.clone(), ..Default::default() };
            qc.probe_and_prune(k, 2, t);
            let codes: Vec<u32> = doc.iter().map(|&c| (c % k) as u32).collect();
            let mut best = vec![0f32; nq];
            for &c in &codes {
                let row = &scores[c as usize * nq..(c as usize + 1) * nq];
                if row.iter().any(|&s| s >= t.unwrap_or(f32::NEG_INFINITY)) {
                    for (b, &s) in best.iter_mut().zip(row) { *b = b.max(s); }
                }
            }
            let exact: f32 = best.iter().sum();
            let approx = approx_score(&codes, &qc.table, qc.stride) as f32 * qc.scale;
            prop_assert!((exact - approx).abs() <= 0.5 * qc.scale * nq as f32 + 1e-4,
                "exact {exact} approx {approx}");
            // Probing: every token's best centroid is probed.
            for i in 0..nq {
                let bestc = (0..k).max_by(|&a, &b| scores[a * nq + i].total_cmp(&scores[b * nq + i])).unwrap();
                let bs = scores[bestc * nq + i];
                prop_assert!(qc.probed.iter().any(|&c| scores[c as usize * nq + i] >= bs));
            }
        }
    }
}
