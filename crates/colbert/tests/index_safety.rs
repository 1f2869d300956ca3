//! PLAID index safety: one writer at a time, bad input and unknown versions refused,
//! readers that see whole commits, a killed writer, and a frozen version 1 index.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use plait_colbert::{ColbertError, Index, IndexConfig, IndexWriter, SearchParams};

mod common;
use common::*;

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
    // A child process another test spawns in these same moments holds a copy of every
    // open descriptor, the lock's included, from its fork until its exec closes them:
    // the lock may outlive the writer by that long, never longer.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while IndexWriter::open(tmp.path()).is_err() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        IndexWriter::open(tmp.path()).is_ok(),
        "the lock goes with the writer"
    );
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
    w.rebuild(c.range(0..30).docs(), &small_config()).unwrap();
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
        w.add(c.range(start..start + 10).docs()).unwrap();
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
        w.add(c.range(s..s + 10).docs()).unwrap();
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
        .rebuild(c.range(0..10).docs(), &small_config())
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
        let want: Vec<u64> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(frozen_top3(&index, &c, d), want, "query {d}");
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
    w.rebuild(c.range(0..30).docs(), &cfg).unwrap();
    w.add(c.range(30..40).docs()).unwrap();
    let (index, _) = w.delete(&[101, 135]).unwrap();
    drop(w);
    std::fs::remove_file(dir.join("index/LOCK")).unwrap();
    let top3: Vec<Vec<u64>> = (0..5).map(|d| frozen_top3(&index, &c, d)).collect();
    let expected = serde_json::json!({ "num_documents": index.num_documents(), "top3": top3 });
    std::fs::write(
        dir.join("expected.json"),
        serde_json::to_string_pretty(&expected).unwrap(),
    )
    .unwrap();
}

/// The top 3 keys of query `d` of the frozen index's corpus: what the fixture's writer
/// records and its reader expects.
fn frozen_top3(index: &Index, c: &Corpus, d: usize) -> Vec<u64> {
    let params = SearchParams {
        k: 3,
        ..SearchParams::default()
    };
    let hits = index
        .search(&c.query(d, 40 + d as u64), &params, None)
        .unwrap();
    keys_of(&hits)
}
