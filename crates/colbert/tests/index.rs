//! PLAID index search and build on small synthetic corpora: persistence, agreement
//! with exhaustive search, the refine stage, streamed builds, filters, 2-bit residuals
//! and batched queries.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::collections::HashSet;

use ndarray::{Array2, Axis};
use plait_colbert::{
    ColbertError, Index, IndexConfig, IndexWriter, SearchParams, SearchStages, StreamedDocuments,
    TokenEmbeddings, VectorSource,
};

mod common;
use common::*;

#[test]
fn a_reopened_index_gives_identical_results() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(300, 1, |i| i as u64 * 10 + 7);
    let built = built(tmp.path(), &c);
    let reopened = Index::open(tmp.path()).unwrap();
    assert_eq!(built.num_documents(), 300);
    assert_eq!(reopened.num_documents(), 300);
    assert_eq!(
        reopened.meta().format_version,
        plait_colbert::index::FORMAT_VERSION
    );
    for d in 0..20 {
        let q = c.query(d, 100 + d as u64);
        let a = built.search(&q, &SearchParams::default(), None).unwrap();
        let b = reopened.search(&q, &SearchParams::default(), None).unwrap();
        assert_eq!(a, b, "query {d}");
        assert_eq!(a.len(), 10);
    }
}

#[test]
fn plaid_search_agrees_with_exhaustive_search() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(500, 2, |i| i as u64);
    let index = built(tmp.path(), &c);
    let mut overlap = 0;
    let mut source_found = 0;
    for d in 0..40 {
        let q = c.query(d, 500 + d as u64);
        let plaid: HashSet<u64> =
            keys_of(&index.search(&q, &SearchParams::default(), None).unwrap())
                .into_iter()
                .collect();
        let exact = keys_of(&index.search_exhaustive(&q, 10, None).unwrap());
        overlap += exact.iter().filter(|k| plaid.contains(k)).count();
        source_found += usize::from(plaid.contains(&(d as u64)));
    }
    let recall = overlap as f64 / 400.0;
    assert!(recall >= 0.9, "recall@10 against exhaustive: {recall}");
    assert!(
        source_found >= 36,
        "the query's source document was found {source_found}/40 times"
    );
}

#[test]
fn the_refine_stage_keeps_plaid_close_to_exhaustive_search() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(500, 2, |i| i as u64);
    let index = built(tmp.path(), &c);
    // Only 16 of the 192 candidates reach the exact stage.
    let params = SearchParams {
        n_full_scores: 192,
        n_exact: 16,
        ..SearchParams::default()
    };
    let mut sum = 0.0;
    for d in 0..40 {
        let q = c.query(d, 500 + d as u64);
        let plaid: HashSet<u64> = keys_of(&index.search(&q, &params, None).unwrap())
            .into_iter()
            .collect();
        let exact = keys_of(&index.search_exhaustive(&q, 10, None).unwrap());
        let shared = exact.iter().filter(|k| plaid.contains(k)).count() as f64 / 10.0;
        assert_eq!(index.top_k_overlap(&q, &params).unwrap(), Some(shared));
        sum += shared;
    }
    let recall = sum / 40.0;
    assert!(recall >= 0.9, "recall@10 against exhaustive: {recall}");
}

#[test]
fn the_refine_stage_extends_only_while_a_step_reaches_the_best() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(500, 2, |i| i as u64);
    let index = built(tmp.path(), &c);
    let adaptive = SearchParams {
        n_full_scores: 32,
        refine_step: 16,
        max_full_scores: 96,
        n_exact: 16,
        ..SearchParams::default()
    };
    let fixed = SearchParams {
        refine_step: 0,
        ..adaptive.clone()
    };
    let (mut extended, mut stopped, mut sum) = (0, 0, 0.0);
    for d in 0..40 {
        let q = c.query(d, 700 + d as u64);
        let mut st = SearchStages::default();
        let hits = index.search_staged(&q, &adaptive, None, &mut st).unwrap();
        let refined = st.refined;
        // The first 32, then whole steps of 16 (or every candidate), never beyond 96.
        assert!(
            (32..=96).contains(&refined)
                && ((refined - 32) % 16 == 0 || refined == st.approx_scored),
            "query {d}: {refined} refined of {} candidates",
            st.approx_scored
        );
        extended += usize::from(refined > 32);
        stopped += usize::from(refined < 96.min(st.approx_scored));
        let mut st = SearchStages::default();
        index.search_staged(&q, &fixed, None, &mut st).unwrap();
        assert_eq!(
            st.refined,
            32.min(st.approx_scored),
            "query {d}, no extension"
        );
        let exact = keys_of(&index.search_exhaustive(&q, 10, None).unwrap());
        let got: HashSet<u64> = keys_of(&hits).into_iter().collect();
        sum += exact.iter().filter(|k| got.contains(k)).count() as f64 / 10.0;
    }
    assert!(extended > 0, "no query needed more than the first 32");
    assert!(stopped > 0, "no query stopped before the maximum");
    assert!(
        sum / 40.0 >= 0.9,
        "recall@10 against exhaustive: {}",
        sum / 40.0
    );
}

/// Rows in memory served through the streaming interface, recording the largest read.
struct CountingSource {
    rows: Array2<f32>,
    largest: std::sync::atomic::AtomicUsize,
}

impl VectorSource for CountingSource {
    fn num_rows(&self) -> usize {
        self.rows.nrows()
    }
    fn dim(&self) -> usize {
        self.rows.ncols()
    }
    fn read_rows(&self, start: usize, out: &mut [f32]) -> plait_colbert::Result<()> {
        let n = out.len() / DIM;
        self.largest
            .fetch_max(n, std::sync::atomic::Ordering::Relaxed);
        let src = self.rows.slice(ndarray::s![start..start + n, ..]);
        out.copy_from_slice(src.as_standard_layout().as_slice().unwrap());
        Ok(())
    }
}

#[test]
fn a_streamed_build_equals_the_in_memory_build() {
    let c = corpus(300, 21, |i| i as u64 * 5);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let in_memory = IndexWriter::open(a.path())
        .unwrap()
        .rebuild(c.docs(), &small_config())
        .unwrap();
    let source = CountingSource {
        rows: c.vectors.clone(),
        largest: Default::default(),
    };
    let streamed = IndexWriter::open(b.path())
        .unwrap()
        .rebuild_streamed(
            StreamedDocuments {
                keys: &c.keys,
                doclens: &c.doclens,
                vectors: &source,
            },
            &small_config(),
        )
        .unwrap();
    assert!(source.largest.load(std::sync::atomic::Ordering::Relaxed) <= 65_536);
    assert_eq!(in_memory.num_documents(), streamed.num_documents());
    for key in [0u64, 5, 700, 1495] {
        assert_eq!(in_memory.document(key), streamed.document(key), "key {key}");
    }
    for d in 0..10 {
        let q = c.query(d, 70 + d as u64);
        let p = SearchParams::default();
        assert_eq!(
            in_memory.search(&q, &p, None).unwrap(),
            streamed.search(&q, &p, None).unwrap()
        );
    }
    // A source whose rows disagree with the doclens is refused.
    let short = CountingSource {
        rows: c.vectors.slice(ndarray::s![..10, ..]).to_owned(),
        largest: Default::default(),
    };
    let err = IndexWriter::open(b.path())
        .unwrap()
        .rebuild_streamed(
            StreamedDocuments {
                keys: &c.keys,
                doclens: &c.doclens,
                vectors: &short,
            },
            &small_config(),
        )
        .unwrap_err();
    assert!(matches!(err, ColbertError::InvalidConfig { .. }), "{err}");
}

#[test]
fn a_small_index_loses_nothing_to_probing_or_pruning() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(40, 9, |i| i as u64);
    let index = built(tmp.path(), &c);
    // Settings that would drop almost every candidate on a large index.
    let harsh = SearchParams {
        n_ivf_probe: 1,
        centroid_score_threshold: Some(0.99),
        ..SearchParams::default()
    };
    for d in 0..10 {
        let q = c.query(d, 900 + d as u64);
        let plaid = index.search(&q, &harsh, None).unwrap();
        let exact = index.search_exhaustive(&q, 10, None).unwrap();
        assert_eq!(plaid.len(), 10);
        assert_eq!(keys_of(&plaid), keys_of(&exact), "query {d}");
    }
}

#[test]
fn decompressed_vectors_stay_close_to_the_originals() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(100, 3, |i| i as u64);
    let index = built(tmp.path(), &c);
    let mut offset = 0;
    let mut sum = 0.0;
    for (i, &len) in c.doclens.iter().enumerate() {
        let back = index.document(c.keys[i]).unwrap();
        assert_eq!(back.nrows(), len);
        for t in 0..len {
            let cos: f32 = back.row(t).dot(&c.vectors.row(offset + t));
            assert!(cos > 0.9, "doc {i} token {t}: cosine {cos}");
            sum += cos;
        }
        offset += len;
    }
    let mean = sum / offset as f32;
    assert!(mean > 0.98, "mean cosine {mean}");
}

#[test]
fn a_filter_returns_only_members_and_misses_none_of_them() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(400, 5, |i| i as u64);
    let index = built(tmp.path(), &c);
    let subset: HashSet<u64> = (0..400).step_by(13).map(|i| i as u64).collect();
    for d in 0..10 {
        let q = c.query(d * 7, 300 + d as u64);
        let hits = index
            .search(&q, &SearchParams::default(), Some(&subset))
            .unwrap();
        assert!(hits.iter().all(|h| subset.contains(&h.key)));
        let exact = index.search_exhaustive(&q, 10, Some(&subset)).unwrap();
        assert_eq!(keys_of(&hits), keys_of(&exact), "query {d}");
        // A filtered exhaustive search (members looked up, not a pass over the index)
        // scores exactly as the unfiltered one does, unknown keys ignored.
        let all = index.search_exhaustive(&q, 400, None).unwrap();
        let mut with_unknown = subset.clone();
        with_unknown.insert(10_000);
        let members = index
            .search_exhaustive(&q, 400, Some(&with_unknown))
            .unwrap();
        let want: Vec<(u64, u32)> = all
            .iter()
            .filter(|h| subset.contains(&h.key))
            .map(|h| (h.key, h.score.to_bits()))
            .collect();
        let got: Vec<(u64, u32)> = members.iter().map(|h| (h.key, h.score.to_bits())).collect();
        assert_eq!(got, want, "query {d}");
    }
}

#[test]
fn two_bit_indexes_work_too() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(200, 7, |i| i as u64);
    let cfg = IndexConfig {
        nbits: 2,
        ..small_config()
    };
    let index = IndexWriter::open(tmp.path())
        .unwrap()
        .rebuild(c.docs(), &cfg)
        .unwrap();
    assert_eq!(index.meta().nbits, 2);
    let hits = index
        .search(&c.query(3, 9), &SearchParams::default(), None)
        .unwrap();
    assert!(keys_of(&hits).contains(&3));
}

#[test]
fn a_batch_of_queries_gets_what_each_query_gets_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(600, 12, |i| i as u64 * 3 + 1);
    let index = built(tmp.path(), &c);
    let params = SearchParams {
        n_full_scores: 64,
        ..SearchParams::default()
    };
    // Queries of different lengths, and an empty one in the middle.
    let mut queries: Vec<TokenEmbeddings> =
        (0..8).map(|d| c.query(d * 11, 40 + d as u64)).collect();
    let short = queries[3].as_slice()[..5 * DIM].to_vec();
    queries[3] = TokenEmbeddings::new(DIM, short);
    queries.insert(4, TokenEmbeddings::new(DIM, Vec::new()));
    let mut stages = SearchStages::default();
    let batch = index
        .search_batch_staged(&queries, &params, None, &mut stages)
        .unwrap();
    assert_eq!(batch.len(), queries.len());
    assert!(batch[4].is_empty());
    for (q, hits) in queries.iter().zip(&batch) {
        assert_eq!(hits, &index.search(q, &params, None).unwrap());
    }
    assert_eq!(stages.searches, 8);
    assert!(stages.approx_scored >= stages.exact_scored && stages.exact_scored > 0);
    assert!(stages.exact_scored <= 8 * 64);
    // A wrong dimension anywhere in the batch is refused.
    queries.push(TokenEmbeddings::new(DIM / 2, vec![0.5; DIM]));
    assert!(index.search_batch(&queries, &params, None).is_err());
}

#[test]
fn pooled_similarity_is_the_cosine_of_the_mean_vectors() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(60, 9, |i| 1_000 + i as u64);
    let index = built(tmp.path(), &c);
    // A query made of the first document's first three token vectors.
    let q = TokenEmbeddings::new(
        DIM,
        c.vectors
            .slice(ndarray::s![0..3, ..])
            .iter()
            .copied()
            .collect(),
    );
    let unit_mean = |rows: &Array2<f32>| {
        let m = rows.mean_axis(Axis(0)).unwrap();
        let n = m.dot(&m).sqrt();
        m / n
    };
    let qm = unit_mean(&c.vectors.slice(ndarray::s![0..3, ..]).to_owned());
    let keys: Vec<u64> = c.keys.iter().copied().take(20).chain([7]).collect();
    let got = index.pooled_similarity(&q, &keys);
    assert_eq!(got.len(), keys.len());
    assert_eq!(got[20], None, "an unknown key has no similarity");
    for (key, sim) in keys.iter().zip(&got).take(20) {
        let want = qm.dot(&unit_mean(&index.document(*key).unwrap()));
        let sim = sim.unwrap();
        assert!((sim - want).abs() < 1e-4, "key {key}: {sim} vs {want}");
    }
    // The document the query was cut from is the most similar one.
    let best = got[..20]
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.unwrap().total_cmp(&b.1.unwrap()))
        .unwrap()
        .0;
    assert_eq!(best, 0, "{got:?}");
}
