//! PLAID index updates on small synthetic corpora: stable keys through adds and
//! deletes, centroids for new topics, merged commits and collected old files.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::collections::HashSet;

use ndarray::Array2;
use plait_colbert::{ColbertError, Index, IndexConfig, IndexWriter, SearchParams};

mod common;
use common::*;

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
    let same = corpus(260, 13, |i| 20_000 + i as u64).range(200..260);
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
    let first = w.rebuild(c.range(0..50).docs(), &small_config()).unwrap();
    let original = first.document(5_011).unwrap();
    let mut max_segments = 0;
    for s in (50..200).step_by(5) {
        let index = w.add(c.range(s..s + 5).docs()).unwrap();
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
        index = w.add(c.range(s..end).docs()).unwrap();
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
fn old_files_are_collected_after_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus(60, 8, |i| i as u64);
    let w = IndexWriter::open(tmp.path()).unwrap();
    w.rebuild(c.range(0..30).docs(), &small_config()).unwrap();
    w.rebuild(c.range(0..30).docs(), &small_config()).unwrap();
    w.add(c.range(30..60).docs()).unwrap();
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
