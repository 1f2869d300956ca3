//! PLAID index behaviour on small synthetic corpora: persistence, updates, filters,
//! crash safety and concurrent readers.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ndarray::{Array2, Axis};
use plait_colbert::{
    ColbertError, Documents, Index, IndexConfig, IndexWriter, SearchParams, SearchStages,
    StreamedDocuments, TokenEmbeddings, VectorSource,
};

const DIM: usize = 32;

/// xorshift64*, deterministic test data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.next() + 1.0) / 2.0 * n as f32) as usize % n
    }
}

fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
}

/// A clustered corpus: each document mixes 3 of `topics` topic directions.
struct Corpus {
    keys: Vec<u64>,
    doclens: Vec<usize>,
    vectors: Array2<f32>,
    centers: Vec<Vec<f32>>,
    doc_topics: Vec<[usize; 3]>,
}

fn corpus(ndocs: usize, seed: u64, key_of: impl Fn(usize) -> u64) -> Corpus {
    let mut rng = Rng(seed | 1);
    let topics = 64;
    let centers: Vec<Vec<f32>> = (0..topics)
        .map(|_| {
            let mut c: Vec<f32> = (0..DIM).map(|_| rng.next()).collect();
            normalise(&mut c);
            c
        })
        .collect();
    let mut data = Vec::new();
    let mut doclens = Vec::new();
    let mut doc_topics = Vec::new();
    for _ in 0..ndocs {
        let t = [rng.below(topics), rng.below(topics), rng.below(topics)];
        let n = 10 + rng.below(20);
        for _ in 0..n {
            let c = &centers[t[rng.below(3)]];
            let mut v: Vec<f32> = c.iter().map(|x| x + 0.25 * rng.next()).collect();
            normalise(&mut v);
            data.extend(v);
        }
        doclens.push(n);
        doc_topics.push(t);
    }
    let rows = data.len() / DIM;
    Corpus {
        keys: (0..ndocs).map(key_of).collect(),
        doclens,
        vectors: Array2::from_shape_vec((rows, DIM), data).unwrap(),
        centers,
        doc_topics,
    }
}

impl Corpus {
    fn docs(&self) -> Documents<'_> {
        Documents {
            keys: &self.keys,
            doclens: &self.doclens,
            vectors: self.vectors.view(),
        }
    }

    /// A query built from document `d`'s topics.
    fn query(&self, d: usize, seed: u64) -> TokenEmbeddings {
        let mut rng = Rng(seed | 1);
        let mut data = Vec::new();
        for i in 0..8 {
            let c = &self.centers[self.doc_topics[d][i % 3]];
            let mut v: Vec<f32> = c.iter().map(|x| x + 0.3 * rng.next()).collect();
            normalise(&mut v);
            data.extend(v);
        }
        TokenEmbeddings::new(DIM, data)
    }

    /// The subset of documents `idx`, as a new batch.
    fn subset(&self, idx: &[usize]) -> Corpus {
        let mut offsets = vec![0];
        for l in &self.doclens {
            offsets.push(offsets.last().unwrap() + l);
        }
        let rows: Vec<usize> = idx
            .iter()
            .flat_map(|&i| offsets[i]..offsets[i + 1])
            .collect();
        Corpus {
            keys: idx.iter().map(|&i| self.keys[i]).collect(),
            doclens: idx.iter().map(|&i| self.doclens[i]).collect(),
            vectors: self.vectors.select(Axis(0), &rows),
            centers: self.centers.clone(),
            doc_topics: idx.iter().map(|&i| self.doc_topics[i]).collect(),
        }
    }
}

fn small_config() -> IndexConfig {
    IndexConfig {
        num_centroids: Some(64),
        ..IndexConfig::default()
    }
}

/// A fresh index of `c` under `dir` with [`small_config`].
fn built(dir: &Path, c: &Corpus) -> Index {
    IndexWriter::open(dir)
        .unwrap()
        .rebuild(c.docs(), &small_config())
        .unwrap()
}

fn keys_of(hits: &[plait_colbert::SearchHit]) -> Vec<u64> {
    hits.iter().map(|h| h.key).collect()
}

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
fn updates_and_deletes_keep_keys_stable() {
    let tmp = tempfile::tempdir().unwrap();
    let all = corpus(200, 4, |i| 1_000_000 + i as u64 * 3);
    let first: Vec<usize> = (0..150).collect();
    let later: Vec<usize> = (150..200).collect();
    let writer = IndexWriter::open(tmp.path()).unwrap();
    let index = writer
        .rebuild(all.subset(&first).docs(), &small_config())
        .unwrap();
    let survivor = all.keys[149];
    let before = index.document(survivor).unwrap();

    let doomed: Vec<u64> = (0..150).step_by(5).map(|i| all.keys[i]).collect();
    let (index, removed) = writer.delete(&doomed).unwrap();
    assert_eq!(removed, doomed.len());
    assert_eq!(index.num_documents(), 150 - doomed.len());
    // Deleting again, or unknown keys, removes nothing.
    let (_, again) = writer.delete(&[doomed[0], 42]).unwrap();
    assert_eq!(again, 0);

    let index = writer.add(all.subset(&later).docs()).unwrap();
    assert_eq!(index.num_documents(), 200 - doomed.len());
    let expected: HashSet<u64> = all
        .keys
        .iter()
        .copied()
        .filter(|k| !doomed.contains(k))
        .collect();
    assert_eq!(index.keys().into_iter().collect::<HashSet<_>>(), expected);
    assert_eq!(
        index.document(survivor).unwrap(),
        before,
        "other changes never move a document"
    );
    assert!(index.document(doomed[0]).is_none());

    // A deleted document never comes back from search, even for its own query.
    for (n, &k) in doomed.iter().enumerate().take(10) {
        let d = all.keys.iter().position(|&x| x == k).unwrap();
        let hits = index
            .search(
                &all.query(d, 900 + n as u64),
                &SearchParams::default(),
                None,
            )
            .unwrap();
        assert!(!keys_of(&hits).contains(&k));
    }
    // New documents are found.
    let hits = index
        .search(&all.query(170, 77), &SearchParams::default(), None)
        .unwrap();
    assert!(keys_of(&hits).contains(&all.keys[170]), "{hits:?}");

    // A key can come back after its deletion, but never twice.
    let index = writer.add(all.subset(&[0]).docs()).unwrap();
    assert!(index.contains(all.keys[0]));
    assert!(matches!(
        writer.add(all.subset(&[0]).docs()).unwrap_err(),
        ColbertError::DuplicateKey { .. }
    ));
}

#[test]
fn documents_on_new_topics_get_new_centroids() {
    let tmp = tempfile::tempdir().unwrap();
    let old = corpus(200, 13, |i| i as u64);
    let new = corpus(100, 14, |i| 10_000 + i as u64); // other topic directions
    let w = IndexWriter::open(tmp.path()).unwrap();
    let before = w.rebuild(old.docs(), &small_config()).unwrap();
    let k0 = before.codec().num_centroids();
    // More of the same topics: no new centroids.
    let same = corpus(260, 13, |i| 20_000 + i as u64).subset(&(200..260).collect::<Vec<_>>());
    let index = w.add(same.docs()).unwrap();
    assert_eq!(index.codec().num_centroids(), k0);
    let index = w.add(new.docs()).unwrap();
    let k1 = index.codec().num_centroids();
    assert!(k1 > k0, "centroids {k0} -> {k1}");
    // The new documents compress well and are found by their own queries.
    let mut found = 0;
    for d in 0..20 {
        let hits = index
            .search(
                &new.query(d, 700 + d as u64),
                &SearchParams::default(),
                None,
            )
            .unwrap();
        found += usize::from(keys_of(&hits).contains(&new.keys[d]));
    }
    assert!(found >= 18, "found {found}/20 new documents");
    // Old documents are unaffected.
    assert_eq!(index.document(5).unwrap(), before.document(5).unwrap());
}

#[test]
fn many_small_commits_are_merged_without_changing_any_document() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(200, 15, |i| 5_000 + i as u64);
    let w = IndexWriter::open(tmp.path()).unwrap();
    let first = w
        .rebuild(
            c.subset(&(0..50).collect::<Vec<_>>()).docs(),
            &small_config(),
        )
        .unwrap();
    let original = first.document(5_011).unwrap();
    let mut max_segments = 0;
    for s in (50..200).step_by(5) {
        let index = w
            .add(c.subset(&(s..s + 5).collect::<Vec<_>>()).docs())
            .unwrap();
        max_segments = max_segments.max(index.meta().segments.len());
    }
    assert!(max_segments <= 8, "segments grew to {max_segments}");
    let (index, _) = w
        .delete(&(5_000..5_100).step_by(2).collect::<Vec<_>>())
        .unwrap();
    assert_eq!(index.num_documents(), 150);
    let tokens_before = index.num_tokens();
    let snapshot: Vec<(u64, Array2<f32>)> = index
        .keys()
        .into_iter()
        .map(|k| (k, index.document(k).unwrap()))
        .collect();
    let q = c.query(151, 3);
    let hits_before = index.search(&q, &SearchParams::default(), None).unwrap();

    let compacted = w.compact().unwrap();
    assert_eq!(compacted.meta().segments.len(), 1);
    assert!(
        compacted.num_tokens() < tokens_before,
        "deleted documents' tokens are dropped"
    );
    assert_eq!(compacted.num_documents(), 150);
    for (k, v) in &snapshot {
        assert_eq!(
            &compacted.document(*k).unwrap(),
            v,
            "document {k} changed in the merge"
        );
    }
    assert_eq!(compacted.document(5_011).unwrap(), original);
    assert_eq!(
        compacted
            .search(&q, &SearchParams::default(), None)
            .unwrap(),
        hits_before
    );
}

#[test]
fn a_small_index_grows_its_centroids_with_few_rebuilds() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(400, 16, |i| i as u64);
    let w = IndexWriter::open(tmp.path()).unwrap();
    let mut index = w
        .rebuild(c.subset(&[0, 1, 2]).docs(), &IndexConfig::default())
        .unwrap();
    let k0 = index.codec().num_centroids();
    let mut codecs = HashSet::new();
    for s in (3..400).step_by(20) {
        let end = (s + 20).min(400);
        index = w
            .add(c.subset(&(s..end).collect::<Vec<_>>()).docs())
            .unwrap();
        codecs.insert(index.meta().codec.clone());
    }
    let k1 = index.codec().num_centroids();
    assert!(k1 >= 4 * k0, "centroids {k0} -> {k1}");
    assert!(codecs.len() <= 6, "{} codecs for 20 adds", codecs.len());
    assert_eq!(index.num_documents(), 400);
    // The first documents went through every rebuild and still match their originals.
    let mut offset = 0;
    let mut sum = 0.0;
    let mut n = 0;
    for d in 0..3 {
        let back = index.document(d as u64).unwrap();
        for t in 0..c.doclens[d] {
            sum += back.row(t).dot(&c.vectors.row(offset + t));
            n += 1;
        }
        offset += c.doclens[d];
    }
    let mean = sum / n as f32;
    assert!(mean > 0.97, "mean cosine after rebuilds {mean}");
    let hits = index
        .search(&c.query(1, 5), &SearchParams::default(), None)
        .unwrap();
    assert!(keys_of(&hits).contains(&1));
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
fn only_one_writer_at_a_time_and_bad_input_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let w = IndexWriter::open(tmp.path()).unwrap();
    assert!(matches!(
        IndexWriter::open(tmp.path()).unwrap_err(),
        ColbertError::Locked { .. }
    ));
    assert!(matches!(
        Index::open(tmp.path()).unwrap_err(),
        ColbertError::NoIndex { .. }
    ));
    let c = corpus(10, 6, |_| 5);
    assert!(matches!(
        w.rebuild(c.docs(), &small_config()).unwrap_err(),
        ColbertError::DuplicateKey { key: 5 }
    ));
    let c = corpus(10, 6, |i| i as u64);
    let bad = IndexConfig {
        nbits: 3,
        ..small_config()
    };
    assert!(matches!(
        w.rebuild(c.docs(), &bad).unwrap_err(),
        ColbertError::InvalidConfig { .. }
    ));
    drop(w);
    assert!(
        IndexWriter::open(tmp.path()).is_ok(),
        "the lock goes with the writer"
    );
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
fn old_files_are_collected_after_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(60, 8, |i| i as u64);
    let w = IndexWriter::open(tmp.path()).unwrap();
    w.rebuild(
        c.subset(&(0..30).collect::<Vec<_>>()).docs(),
        &small_config(),
    )
    .unwrap();
    w.rebuild(
        c.subset(&(0..30).collect::<Vec<_>>()).docs(),
        &small_config(),
    )
    .unwrap();
    w.add(c.subset(&(30..60).collect::<Vec<_>>()).docs())
        .unwrap();
    w.delete(&[1, 2]).unwrap();
    w.delete(&[3]).unwrap();
    let index = Index::open(tmp.path()).unwrap();
    let names: HashSet<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut expected: HashSet<String> = ["CURRENT", "LOCK"].iter().map(|s| s.to_string()).collect();
    expected.insert(format!("metadata-{:06}.json", index.meta().generation));
    expected.insert(index.meta().codec.clone());
    for s in &index.meta().segments {
        expected.insert(s.dir.clone());
    }
    assert_eq!(names, expected);
    let first = tmp.path().join(&index.meta().segments[0].dir);
    let deleted_files = std::fs::read_dir(first)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("deleted-")
        })
        .count();
    assert_eq!(deleted_files, 1, "only the current deletion list is kept");
    assert_eq!(index.num_documents(), 57);
}

#[test]
fn an_unknown_format_version_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(20, 9, |i| i as u64);
    let index = built(tmp.path(), &c);
    let meta = tmp
        .path()
        .join(format!("metadata-{:06}.json", index.meta().generation));
    let text = std::fs::read_to_string(&meta)
        .unwrap()
        .replace("\"format_version\": 2", "\"format_version\": 999");
    std::fs::write(&meta, text).unwrap();
    // A CURRENT without a checksum (as format 1 wrote it), so the version is what fails.
    std::fs::write(
        tmp.path().join("CURRENT"),
        format!("{}\n", meta.file_name().unwrap().to_string_lossy()),
    )
    .unwrap();
    let err = Index::open(tmp.path()).unwrap_err();
    assert!(
        matches!(err, ColbertError::UnsupportedFormat { found: 999, .. }),
        "{err}"
    );
}

#[test]
fn readers_see_whole_commits_while_a_writer_adds() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(130, 10, |i| i as u64);
    let w = IndexWriter::open(tmp.path()).unwrap();
    w.rebuild(
        c.subset(&(0..30).collect::<Vec<_>>()).docs(),
        &small_config(),
    )
    .unwrap();
    let dir = tmp.path().to_path_buf();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        let q = c.query(0, 1);
        std::thread::spawn(move || {
            let mut seen = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let index = Index::open(&dir).unwrap();
                let n = index.num_documents();
                assert_eq!(n % 10, 0, "a snapshot with half a commit: {n} documents");
                assert_eq!(index.keys().len(), n);
                index.search(&q, &SearchParams::default(), None).unwrap();
                seen += 1;
            }
            seen
        })
    };
    for start in (30..130).step_by(10) {
        w.add(c.subset(&(start..start + 10).collect::<Vec<_>>()).docs())
            .unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    assert_eq!(Index::open(tmp.path()).unwrap().num_documents(), 130);
}

/// Not a test: the writer process that `a_killed_writer_leaves_the_last_commit_intact`
/// starts and kills. It adds batches of 10 documents (keys `10b..10b+10`) and, after
/// every fifth batch, deletes a whole older batch, until killed.
#[test]
#[ignore = "helper process for the crash test"]
fn child_writer_process() {
    let Some(dir) = std::env::var_os("PLAIT_TEST_CHILD_DIR") else {
        return;
    };
    let c = corpus(3000, 11, |i| i as u64);
    let w = IndexWriter::open(Path::new(&dir)).unwrap();
    let start = Index::open(Path::new(&dir))
        .unwrap()
        .keys()
        .into_iter()
        .max()
        .map_or(0, |k| k as usize + 1);
    for s in (start..3000).step_by(10) {
        w.add(c.subset(&(s..s + 10).collect::<Vec<_>>()).docs())
            .unwrap();
        if (s / 10) % 5 == 4 {
            let old: Vec<u64> = (s as u64 - 40..s as u64 - 30).collect();
            w.delete(&old).unwrap();
        }
    }
}

#[test]
fn a_killed_writer_leaves_the_last_commit_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(3000, 11, |i| i as u64);
    IndexWriter::open(tmp.path())
        .unwrap()
        .rebuild(
            c.subset(&(0..10).collect::<Vec<_>>()).docs(),
            &small_config(),
        )
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut last_max = 9;
    for round in 0..6u64 {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "child_writer_process",
                "--nocapture",
            ])
            .env("PLAIT_TEST_CHILD_DIR", tmp.path())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(150 + 97 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let index = Index::open(tmp.path()).unwrap();
        let keys: HashSet<u64> = index.keys().into_iter().collect();
        assert_eq!(keys.len(), index.num_documents());
        let max = keys.iter().copied().max().unwrap();
        assert!(
            max >= last_max,
            "round {round}: newest key went from {last_max} to {max}"
        );
        // Every batch is wholly present or wholly absent: no half commit survives.
        for batch in 0..=max / 10 {
            let present = (batch * 10..batch * 10 + 10)
                .filter(|k| keys.contains(k))
                .count();
            assert!(
                present == 0 || present == 10,
                "round {round}: batch {batch} has {present} of 10"
            );
        }
        for &k in keys.iter().step_by(7) {
            assert!(index.document(k).is_some());
        }
        eprintln!("round {round}: {} documents, newest key {max}", keys.len());
        last_max = max;
    }
    assert!(last_max > 9, "the child never committed anything");
}

/// The frozen version-1 index in tests/data must keep opening and answering the same.
#[test]
fn a_frozen_version_1_index_still_opens() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/frozen-v1");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let index = Index::open(&dir.join("index")).unwrap();
    assert_eq!(index.meta().format_version, 1);
    assert_eq!(
        index.num_documents() as u64,
        expected["num_documents"].as_u64().unwrap()
    );
    let c = corpus(40, 12, |i| 100 + i as u64);
    for (d, want) in expected["top3"].as_array().unwrap().iter().enumerate() {
        let hits = index
            .search(
                &c.query(d, 40 + d as u64),
                &SearchParams {
                    k: 3,
                    ..SearchParams::default()
                },
                None,
            )
            .unwrap();
        let want: Vec<u64> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(keys_of(&hits), want, "query {d}");
    }
}

/// Regenerates tests/data/frozen-v1 (run by hand when the format version changes, and
/// then keep the old directory as it was).
#[test]
#[ignore = "writes the frozen fixture"]
fn write_frozen_version_1_index() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/frozen-v1");
    let _ = std::fs::remove_dir_all(&dir);
    let c = corpus(40, 12, |i| 100 + i as u64);
    let cfg = IndexConfig {
        num_centroids: Some(16),
        ..IndexConfig::default()
    };
    let w = IndexWriter::open(&dir.join("index")).unwrap();
    w.rebuild(c.subset(&(0..30).collect::<Vec<_>>()).docs(), &cfg)
        .unwrap();
    w.add(c.subset(&(30..40).collect::<Vec<_>>()).docs())
        .unwrap();
    let (index, _) = w.delete(&[101, 135]).unwrap();
    drop(w);
    std::fs::remove_file(dir.join("index/LOCK")).unwrap();
    let top3: Vec<Vec<u64>> = (0..5)
        .map(|d| {
            let hits = index
                .search(
                    &c.query(d, 40 + d as u64),
                    &SearchParams {
                        k: 3,
                        ..SearchParams::default()
                    },
                    None,
                )
                .unwrap();
            keys_of(&hits)
        })
        .collect();
    let expected = serde_json::json!({ "num_documents": index.num_documents(), "top3": top3 });
    std::fs::write(
        dir.join("expected.json"),
        serde_json::to_string_pretty(&expected).unwrap(),
    )
    .unwrap();
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
