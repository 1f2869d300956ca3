//! PLAID search: centroid probing, pruned centroid interaction for candidates, exact
//! MaxSim on decompressed vectors for the best of them; and the exhaustive reference.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use ndarray::Array2;

use super::codec::ResidualCodec;
use super::cscore::CentroidScorer;
use super::probe::{approx_score, QueryCentroids};
use super::refine::RefineQuery;
use super::segment::{CodesRef, Segment};
use super::Index;
use crate::{Result, TokenEmbeddings};

/// Search settings; the defaults are tuned on the synthetic benchmark corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchParams {
    /// Results returned.
    pub k: usize,
    /// Centroids probed per query token.
    pub n_ivf_probe: usize,
    /// Centroids whose best query-token score is below this are ignored when
    /// approximating document scores (`None`: no pruning).
    pub centroid_score_threshold: Option<f32>,
    /// Candidates given the refine stage's residual-aware approximate score, best by
    /// centroid interaction first.
    pub n_full_scores: usize,
    /// Then more, `refine_step` at a time while each step still places a candidate
    /// among the best `n_exact` refined so far, up to this many in all (never fewer
    /// than `n_full_scores`; `refine_step` 0: no extension).
    pub max_full_scores: usize,
    /// Candidates refined per extension step (see `max_full_scores`).
    pub refine_step: usize,
    /// The best of those by refined score, re-scored exactly on decompressed vectors
    /// (at least `k`; `n_full_scores` or more skips the refine stage).
    pub n_exact: usize,
}

/// Defaults tuned on the shared synthetic benchmark (`cargo bench --workspace --bench
/// index -- --sweep` and `-- --refine-sweep`, 10k documents, 1M vectors), then checked
/// at 10x (100k documents, `scripts/bench-compare --scale10`). Pruning centroids below
/// 0.27 not only saves time, it ranks the candidates better than full centroid
/// interaction does (noise from weak centroids; 0.2 to 0.45 all rank worse). A fixed
/// 192 refined candidates gave top-10 overlap with exhaustive MaxSim over the same
/// compressed vectors of 0.994 at 1x but 0.967 at 10x, where many more documents score
/// alike; refining 128, then 64 more at a time while a step still reaches the best 16,
/// gives 0.994 at 1x (205 refined on average) and 0.992 at 10x (238), recall@10 at the
/// codec's ceiling at both. The refine stage ranks well enough that exact MaxSim of its
/// best 16 loses nothing (the same recall for every `n_exact` from 16 to 192).
impl Default for SearchParams {
    fn default() -> Self {
        Self {
            k: 10,
            n_ivf_probe: 2,
            centroid_score_threshold: Some(0.27),
            n_full_scores: 128,
            max_full_scores: 448,
            refine_step: 64,
            n_exact: 16,
        }
    }
}

/// One result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchHit {
    /// The document's key.
    pub key: u64,
    /// Exact MaxSim over the document's decompressed vectors.
    pub score: f32,
}

/// A key filter with at most this many times `n_full_scores` keys is searched by
/// scoring every member (no probing), which keeps full recall inside small subsets.
const SMALL_FILTER_FACTOR: usize = 8;

/// Token rows decompressed per matrix product when re-ranking: the block (256 KiB at
/// dim 128) stays in L2 between decompression and the product.
const RERANK_BLOCK_TOKENS: usize = 512;

/// Per-thread buffers of `rerank`, kept between searches so that no search pays for
/// fresh (kernel-zeroed) pages.
#[derive(Default)]
struct Scratch {
    block: Vec<f32>,
    sims: Vec<f32>,
    inv_norms: Vec<f32>,
    scorer: CentroidScorer,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
    static QUERY_CENTROIDS: std::cell::RefCell<QueryCentroids> =
        std::cell::RefCell::new(QueryCentroids::default());
    static REFINE: std::cell::RefCell<RefineQuery> = std::cell::RefCell::new(RefineQuery::default());
    /// Bitset of the documents of one segment already taken as candidates.
    static SEEN: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The `n` best candidates by approximate score.
fn best_candidates(mut candidates: Vec<Candidate>, n: usize) -> Vec<Candidate> {
    if candidates.len() > n {
        candidates.select_nth_unstable_by(n - 1, |a, b| b.score.total_cmp(&a.score));
        candidates.truncate(n);
    }
    candidates
}

/// A candidate: segment number, local document, score.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    seg: usize,
    doc: usize,
    score: f32,
}

/// Time spent in each search stage, summed over the searches it was passed to, and
/// how much work each did: the per-stage breakdown the index bench prints.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct SearchStages {
    /// Searches summed.
    pub searches: usize,
    /// Query-centroid scores (`cscore.rs`).
    pub centroid_scores: Duration,
    /// Probe selection, centroid pruning and the quantised interaction table.
    pub probe: Duration,
    /// Candidate generation: walking the probed lists and approximate scores.
    pub candidates: Duration,
    /// Choosing the best `n_full_scores` candidates.
    pub select: Duration,
    /// Refined approximate scores and choosing the best `n_exact` of them.
    pub refine: Duration,
    /// Decompressing the chosen candidates' vectors.
    pub decompress: Duration,
    /// Exact MaxSim of the chosen candidates and the final top `k`.
    pub exact: Duration,
    /// Candidates given an approximate score.
    pub approx_scored: usize,
    /// Candidates given a refined score.
    pub refined: usize,
    /// Candidates scored exactly.
    pub exact_scored: usize,
}

impl SearchStages {
    /// The time of all stages.
    pub fn total(&self) -> Duration {
        self.centroid_scores
            + self.probe
            + self.candidates
            + self.select
            + self.refine
            + self.decompress
            + self.exact
    }

    /// Adds another breakdown to this one.
    pub fn add(&mut self, other: &SearchStages) {
        self.searches += other.searches;
        self.centroid_scores += other.centroid_scores;
        self.probe += other.probe;
        self.candidates += other.candidates;
        self.select += other.select;
        self.refine += other.refine;
        self.refined += other.refined;
        self.decompress += other.decompress;
        self.exact += other.exact;
        self.approx_scored += other.approx_scored;
        self.exact_scored += other.exact_scored;
    }
}

/// Elapsed time since `*t`, restarting the clock.
fn lap(t: &mut Instant) -> Duration {
    let now = Instant::now();
    let d = now - *t;
    *t = now;
    d
}

pub(crate) fn decompress_doc(codec: &ResidualCodec, seg: &Segment, doc: usize) -> Array2<f32> {
    let (a, b) = (seg.doc_offsets[doc], seg.doc_offsets[doc + 1]);
    let plen = codec.packed_len();
    let residuals = &seg.residuals()[a * plen..b * plen];
    let codes: Vec<u32> = match seg.codes() {
        CodesRef::U16(c) => c[a..b].iter().map(|&x| u32::from(x)).collect(),
        CodesRef::U32(c) => c[a..b].to_vec(),
    };
    codec.decompress(&codes, residuals)
}

/// `best[i] = max(best[i], row[i] * scale)` over the rows of a row-major matrix.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn max_scaled_rows(rows: &[f32], scales: &[f32], best: &mut [f32]) {
    for (r, &inv) in rows.chunks_exact(best.len()).zip(scales) {
        for (b, &x) in best.iter_mut().zip(r) {
            let x = x * inv;
            if x > *b {
                *b = x;
            }
        }
    }
}

/// Asks the CPU to start loading `bytes` into cache (no effect elsewhere).
fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(64) {
        #[allow(unsafe_code)]
        // SAFETY: a prefetch reads nothing architecturally; the address is in `bytes`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr() as *const i8
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// Documents of an inverted list ahead of the one being scored whose codes are
/// prefetched.
const PREFETCH_AHEAD: usize = 4;

/// [`prefetch`] of local document `d`'s centroid codes.
fn prefetch_codes(seg: &Segment, d: usize) {
    let (a, b) = (seg.doc_offsets[d], seg.doc_offsets[d + 1]);
    match seg.codes() {
        CodesRef::U16(cs) => prefetch(as_bytes(&cs[a..b])),
        CodesRef::U32(cs) => prefetch(as_bytes(&cs[a..b])),
    }
}

/// The bytes of a slice of plain integers.
fn as_bytes<T: Copy>(s: &[T]) -> &[u8] {
    #[allow(unsafe_code)]
    // SAFETY: `T` is a plain integer type here (u16 or u32): every byte is initialised
    // and any alignment suits `u8`; the length covers exactly the slice.
    unsafe {
        std::slice::from_raw_parts(s.as_ptr().cast::<u8>(), size_of_val(s))
    }
}

/// Approximate score (quantisation steps) of local document `d` of `seg`.
fn doc_approx(seg: &Segment, d: usize, qc: &QueryCentroids) -> f32 {
    let (a, b) = (seg.doc_offsets[d], seg.doc_offsets[d + 1]);
    let steps = match seg.codes() {
        CodesRef::U16(cs) => approx_score(&cs[a..b], &qc.table, qc.stride),
        CodesRef::U32(cs) => approx_score(&cs[a..b], &qc.table, qc.stride),
    };
    steps as f32
}

impl Index {
    pub(crate) fn check_query(&self, query: &TokenEmbeddings) -> Result<()> {
        if query.dim() != self.manifest.dim {
            return Err(crate::ColbertError::DocumentDims {
                key: 0,
                expected: self.manifest.dim,
                got: query.dim(),
            });
        }
        Ok(())
    }

    /// PLAID search. With `filter`, only documents whose key is in it are returned.
    pub fn search(
        &self,
        query: &TokenEmbeddings,
        params: &SearchParams,
        filter: Option<&HashSet<u64>>,
    ) -> Result<Vec<SearchHit>> {
        self.search_staged(query, params, filter, &mut SearchStages::default())
    }

    /// [`Index::search`] that adds the time of each stage to `stages`.
    pub fn search_staged(
        &self,
        query: &TokenEmbeddings,
        params: &SearchParams,
        filter: Option<&HashSet<u64>>,
        stages: &mut SearchStages,
    ) -> Result<Vec<SearchHit>> {
        self.check_query(query)?;
        if query.is_empty() || params.k == 0 {
            return Ok(Vec::new());
        }
        stages.searches += 1;
        let n_full = params.n_full_scores.max(params.k);
        if self.num_documents() <= n_full {
            // No more documents than the exact stage would score anyway: score them all,
            // so a small index never misses a document to probing or pruning.
            let candidates = self.live_candidates(filter);
            return Ok(self.rerank(query, candidates, params.k, stages));
        }
        let mut t = Instant::now();
        QUERY_CENTROIDS.with(|cell| {
            let mut qc = cell.borrow_mut();
            qc.score(&self.codec, query.as_slice(), query.len());
            stages.centroid_scores += lap(&mut t);
            Ok(self.search_scored(query, &mut qc, params, filter, stages))
        })
    }

    /// The stages after centroid scoring, for a query whose `qc` holds its scores.
    pub(crate) fn search_scored(
        &self,
        query: &TokenEmbeddings,
        qc: &mut QueryCentroids,
        params: &SearchParams,
        filter: Option<&HashSet<u64>>,
        stages: &mut SearchStages,
    ) -> Vec<SearchHit> {
        let n_full = params.n_full_scores.max(params.k);
        let n_max = if params.refine_step == 0 {
            n_full
        } else {
            params.max_full_scores.max(n_full)
        };
        let mut t = Instant::now();
        qc.probe_and_prune(
            self.codec.num_centroids(),
            params.n_ivf_probe,
            params.centroid_score_threshold,
        );
        stages.probe += lap(&mut t);
        let candidates = self.candidates(qc, n_full, filter);
        stages.candidates += lap(&mut t);
        stages.approx_scored += candidates.len();
        let mut candidates = best_candidates(candidates, n_max);
        let n_exact = params.n_exact.max(params.k);
        if candidates.len() > n_exact {
            if candidates.len() > n_full {
                // Best by centroid interaction first: extension steps take the next ones.
                candidates.sort_unstable_by(|a, b| b.score.total_cmp(&a.score));
            }
            stages.select += lap(&mut t);
            let refined = self.refine_adaptive(query, qc, &mut candidates, n_full, n_exact, params);
            stages.refined += refined;
            candidates.truncate(refined);
            candidates = best_candidates(candidates, n_exact);
            candidates.sort_unstable_by_key(|c| (c.seg, c.doc));
            stages.refine += lap(&mut t);
        } else {
            candidates.sort_unstable_by_key(|c| (c.seg, c.doc));
            stages.select += lap(&mut t);
        }
        self.rerank(query, candidates, params.k, stages)
    }

    /// Refines the first `n_full` candidates (ordered best first by centroid
    /// interaction), then `params.refine_step` more at a time while a step places one of
    /// its candidates above the `n_exact`-th best refined score so far. Returns how many
    /// were refined (the first ones of `candidates`, their scores now refined).
    fn refine_adaptive(
        &self,
        query: &TokenEmbeddings,
        qc: &QueryCentroids,
        candidates: &mut [Candidate],
        n_full: usize,
        n_exact: usize,
        params: &SearchParams,
    ) -> usize {
        let mut done = n_full.min(candidates.len());
        self.refine_block(query, qc, &mut candidates[..done]);
        let step = params.refine_step;
        let mut bar: Vec<f32> = Vec::new();
        while step > 0 && done > 0 && done < candidates.len() {
            // The n_exact-th best refined score so far.
            bar.clear();
            bar.extend(candidates[..done].iter().map(|c| c.score));
            let nth = n_exact.min(bar.len()) - 1;
            let (_, &mut cut, _) = bar.select_nth_unstable_by(nth, |a, b| b.total_cmp(a));
            let end = (done + step).min(candidates.len());
            self.refine_block(query, qc, &mut candidates[done..end]);
            let placed = candidates[done..end].iter().any(|c| c.score > cut);
            done = end;
            if !placed {
                break;
            }
        }
        done
    }

    /// [`Self::refine`] in storage order: each segment's residuals read front to back.
    fn refine_block(&self, query: &TokenEmbeddings, qc: &QueryCentroids, block: &mut [Candidate]) {
        block.sort_unstable_by_key(|c| (c.seg, c.doc));
        self.refine(query, qc, block);
    }

    /// The refine stage: each candidate's residual-aware approximate score.
    fn refine(&self, query: &TokenEmbeddings, qc: &QueryCentroids, candidates: &mut [Candidate]) {
        let table = self.codec.refine_table();
        let plen = self.codec.packed_len();
        let nq = query.len();
        let scores = &qc.scores[..self.codec.num_centroids() * nq];
        REFINE.with(|cell| {
            let mut rq = cell.borrow_mut();
            rq.prepare(table, query.as_slice(), nq, query.dim());
            let residuals_of = |c: &Candidate| {
                let seg = &self.segments[c.seg];
                let (a, b) = (seg.doc_offsets[c.doc], seg.doc_offsets[c.doc + 1]);
                &seg.residuals()[a * plen..b * plen]
            };
            for i in 0..candidates.len() {
                // The next candidate's residuals are elsewhere in the segment: start
                // loading them while this one is scored.
                if let Some(next) = candidates.get(i + 1) {
                    prefetch(residuals_of(next));
                }
                let c = &mut candidates[i];
                let seg = &self.segments[c.seg];
                let (a, b) = (seg.doc_offsets[c.doc], seg.doc_offsets[c.doc + 1]);
                let packed = &seg.residuals()[a * plen..b * plen];
                c.score = match seg.codes() {
                    CodesRef::U16(cs) => rq.score_doc(
                        table,
                        scores,
                        cs[a..b].iter().map(|&x| u32::from(x)),
                        packed,
                    ),
                    CodesRef::U32(cs) => {
                        rq.score_doc(table, scores, cs[a..b].iter().copied(), packed)
                    }
                };
            }
        });
    }

    /// Every live document (passing `filter`), unscored.
    fn live_candidates(&self, filter: Option<&HashSet<u64>>) -> Vec<Candidate> {
        let mut candidates = Vec::new();
        for (si, seg) in self.segments.iter().enumerate() {
            for (d, key) in seg.keys().iter().enumerate().take(seg.num_docs()) {
                if !seg.is_deleted(d) && filter.is_none_or(|f| f.contains(key)) {
                    candidates.push(Candidate {
                        seg: si,
                        doc: d,
                        score: 0.0,
                    });
                }
            }
        }
        candidates
    }

    /// Candidate generation: the live documents of the probed lists (or every member
    /// of a small filter), each with its approximate score.
    fn candidates(
        &self,
        qc: &QueryCentroids,
        n_full: usize,
        filter: Option<&HashSet<u64>>,
    ) -> Vec<Candidate> {
        let mut candidates = Vec::new();
        if let Some(f) = filter {
            if f.len() <= n_full * SMALL_FILTER_FACTOR {
                // A small subset: score every member instead of relying on the probes,
                // so nothing inside the subset is missed.
                for key in f {
                    let Some(&(si, d)) = self.locations.get(key) else {
                        continue;
                    };
                    let (si, d) = (si as usize, d as usize);
                    let score = doc_approx(&self.segments[si], d, qc);
                    candidates.push(Candidate {
                        seg: si,
                        doc: d,
                        score,
                    });
                }
                return candidates;
            }
        }
        SEEN.with(|cell| {
            let mut seen = cell.borrow_mut();
            for (si, seg) in self.segments.iter().enumerate() {
                let ivf = seg.ivf();
                let keys = seg.keys();
                let words = seg.num_docs().div_ceil(64);
                if seen.len() < words {
                    seen.resize(words, 0);
                }
                let first = candidates.len();
                for &c in &qc.probed {
                    let list = seg.ivf_list(ivf, c as usize);
                    for (j, &d) in list.iter().enumerate() {
                        // The lists' documents lie anywhere in the codes: start loading
                        // a later one's while this one is scored.
                        if let Some(&ahead) = list.get(j + PREFETCH_AHEAD) {
                            prefetch_codes(seg, ahead as usize);
                        }
                        let d = d as usize;
                        let (w, bit) = (d / 64, 1u64 << (d % 64));
                        if seen[w] & bit != 0 {
                            continue;
                        }
                        seen[w] |= bit;
                        if seg.is_deleted(d) || filter.is_some_and(|f| !f.contains(&keys[d])) {
                            continue;
                        }
                        candidates.push(Candidate {
                            seg: si,
                            doc: d,
                            score: doc_approx(seg, d, qc),
                        });
                    }
                }
                // Clear only what was set: work proportional to the probed lists.
                for &c in &qc.probed {
                    for &d in seg.ivf_list(ivf, c as usize) {
                        seen[d as usize / 64] = 0;
                    }
                }
                debug_assert!(candidates[first..].iter().all(|c| c.seg == si));
            }
        });
        candidates
    }

    /// PLAID's fidelity for one query: the share of the exhaustive top `params.k`
    /// (exact MaxSim over the same compressed vectors) that [`Index::search`] returns.
    /// `None` for an empty index or query.
    pub fn top_k_overlap(
        &self,
        query: &TokenEmbeddings,
        params: &SearchParams,
    ) -> Result<Option<f64>> {
        let exact = self.search_exhaustive(query, params.k, None)?;
        if exact.is_empty() {
            return Ok(None);
        }
        let plaid: HashSet<u64> = self
            .search(query, params, None)?
            .iter()
            .map(|h| h.key)
            .collect();
        let shared = exact.iter().filter(|h| plaid.contains(&h.key)).count();
        Ok(Some(shared as f64 / exact.len() as f64))
    }

    /// Exact MaxSim over every live document's decompressed vectors (the reference).
    pub fn search_exhaustive(
        &self,
        query: &TokenEmbeddings,
        k: usize,
        filter: Option<&HashSet<u64>>,
    ) -> Result<Vec<SearchHit>> {
        self.check_query(query)?;
        let mut candidates = Vec::new();
        match filter {
            // A subset smaller than the index: its members' places, not a pass over
            // every document (hybrid search scores a few lexical hits this way).
            Some(f) if f.len() < self.locations.len() => {
                candidates.extend(f.iter().filter_map(|key| {
                    let &(si, d) = self.locations.get(key)?;
                    Some(Candidate {
                        seg: si as usize,
                        doc: d as usize,
                        score: 0.0,
                    })
                }));
                // Storage order, as the pass below gives, for the same results.
                candidates.sort_unstable_by_key(|c| (c.seg, c.doc));
            }
            _ => {
                for (si, seg) in self.segments.iter().enumerate() {
                    let keys = seg.keys();
                    for (d, key) in keys.iter().enumerate() {
                        if !seg.is_deleted(d) && filter.is_none_or(|f| f.contains(key)) {
                            candidates.push(Candidate {
                                seg: si,
                                doc: d,
                                score: 0.0,
                            });
                        }
                    }
                }
            }
        }
        Ok(self.rerank(query, candidates, k, &mut SearchStages::default()))
    }

    /// Exact MaxSim of the candidates on decompressed vectors; the best `k`.
    ///
    /// Candidates are decompressed in blocks into one matrix so that each block's
    /// scores come from a single large matrix product instead of one small one per
    /// document.
    fn rerank(
        &self,
        query: &TokenEmbeddings,
        mut candidates: Vec<Candidate>,
        k: usize,
        stages: &mut SearchStages,
    ) -> Vec<SearchHit> {
        stages.exact_scored += candidates.len();
        let mut t = Instant::now();
        let dim = self.codec.dim();
        let plen = self.codec.packed_len();
        let nq = query.len();
        let query = query.as_slice();
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let Scratch {
                block,
                sims,
                inv_norms,
                scorer,
            } = &mut *scratch;
            let mut start = 0;
            while start < candidates.len() {
                // Fill the block with as many whole documents as fit.
                let mut rows = 0;
                let mut end = start;
                while end < candidates.len() {
                    let c = candidates[end];
                    let seg = &self.segments[c.seg];
                    let (a, b) = (seg.doc_offsets[c.doc], seg.doc_offsets[c.doc + 1]);
                    let n = b - a;
                    let capacity = RERANK_BLOCK_TOKENS.max(n);
                    if rows + n > capacity {
                        break;
                    }
                    if block.len() < (rows + n) * dim {
                        block.resize(capacity * dim, 0.0);
                        inv_norms.resize(capacity, 0.0);
                    }
                    let residuals = seg.residuals();
                    for t in a..b {
                        let out = &mut block[rows * dim..(rows + 1) * dim];
                        let norm = self.codec.decompress_raw_into(
                            seg.code(t),
                            &residuals[t * plen..(t + 1) * plen],
                            out,
                        );
                        inv_norms[rows] = if norm > 0.0 { 1.0 / norm } else { 0.0 };
                        rows += 1;
                    }
                    end += 1;
                }
                stages.decompress += lap(&mut t);
                if sims.len() < rows * nq {
                    sims.resize(rows * nq, 0.0);
                }
                // The centroid kernel, the block's tokens in the centroids' place: the
                // same operations on every CPU, and no repacking per block.
                scorer.score(&block[..rows * dim], dim, query, nq, &mut sims[..rows * nq]);
                let mut row = 0;
                let mut best = vec![f32::NEG_INFINITY; nq];
                for c in &mut candidates[start..end] {
                    let seg = &self.segments[c.seg];
                    let n = seg.doc_offsets[c.doc + 1] - seg.doc_offsets[c.doc];
                    best.fill(f32::NEG_INFINITY);
                    max_scaled_rows(
                        &sims[row * nq..(row + n) * nq],
                        &inv_norms[row..row + n],
                        &mut best,
                    );
                    c.score = if n == 0 { 0.0 } else { best.iter().sum() };
                    row += n;
                }
                start = end;
                stages.exact += lap(&mut t);
            }
        });
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
        candidates.truncate(k);
        let hits = candidates
            .into_iter()
            .map(|c| SearchHit {
                key: self.segments[c.seg].keys()[c.doc],
                score: c.score,
            })
            .collect();
        stages.exact += lap(&mut t);
        hits
    }
}
