//! The in-memory full-text index ranks exactly as FTS5 does (same keys, same order, same
//! scores) on a real corpus, and a long-lived service never answers from terms older
//! than the manifest.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};
use std::sync::Arc;

use plait_colbert::testing::HashEncoder;
use plait_ingest::lexical::query_terms;
use plait_ingest::manifest::Manifest;
use plait_ingest::{
    ChunkBudget, DiscoverConfig, IndexName, IngestConfig, Ingester, Query, SearchMode,
    SearchService,
};

/// This repository's ingest crate and its documents: real Rust code with identifiers
/// of every shape, Markdown prose, and Python fixtures.
fn corpus(dir: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let copy = |from: PathBuf, to: PathBuf| {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    };
    for rel in ["README.md", "ARCHITECTURE.md"] {
        copy(repo.join(rel), dir.join(rel));
    }
    let src = repo.join("crates/ingest/src");
    let mut stack = vec![src.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                copy(
                    p.clone(),
                    dir.join("src").join(p.strip_prefix(&src).unwrap()),
                );
            }
        }
    }
}

fn ingest(corpus: &Path, idx: &Path, enc: &HashEncoder) {
    let config = IngestConfig {
        index_root: idx.to_path_buf(),
        discover: DiscoverConfig::default(),
        budget: ChunkBudget::default(),
        index: plait_colbert::IndexConfig::default(),
    };
    Ingester::new(config, enc, enc, None)
        .run(&[corpus.to_path_buf()], &|_| {})
        .unwrap();
}

const QUERIES: &[&str] = &[
    "how are page ranges split",
    "read every page and fail on the first bad one",
    "search_index",
    "SearchService",
    "the manifest's full-text index",
    "ChunkBudget tokens encoder",
    "watcher debounce changes",
    "PDF running headers and footers",
    "is_identifier snake_case camelCase",
    "std::path::Path",
    "the of and",
    "zzzunknownword",
    "format_version upgrade manifest",
    "plait ingest --json",
    "HTTPServer2Go parse_HTTP_response",
    "fts5 bm25 weights symbol path text",
];

#[test]
fn resident_terms_rank_exactly_as_fts5() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    corpus(&dir);
    let enc = HashEncoder::new(16);
    ingest(&dir, &idx, &enc);
    let manifest = Manifest::open_read_only(&idx).unwrap();
    let terms = manifest.resident_terms().unwrap().unwrap();
    let (rows, tokens) = terms.size();
    assert!(
        rows > 100 && tokens > 10_000,
        "{rows} rows, {tokens} tokens"
    );
    let mut compared = 0;
    for index in ["code", "docs"] {
        for q in QUERIES {
            for limit in [1, 10, 90] {
                let fts = manifest.lexical(index, q, limit).unwrap();
                let resident = terms.search(index, &query_terms(q), limit).unwrap();
                assert_eq!(resident, fts, "{index} {q:?} limit {limit}");
                compared += fts.len();
            }
        }
    }
    assert!(compared > 500, "only {compared} hits compared");
    // Beyond ASCII the tokenizer decides: left to FTS5.
    assert!(terms
        .search("docs", &query_terms("Schrödinger"), 10)
        .is_none());
}

#[test]
fn a_resident_service_answers_as_fts5_before_and_after_a_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    corpus(&dir);
    let enc = HashEncoder::new(16);
    ingest(&dir, &idx, &enc);
    let shared = Arc::new(enc.clone());
    let plain = SearchService::new(&idx, shared.clone(), shared.clone());
    let resident = SearchService::new(&idx, shared.clone(), shared).resident_lexical();
    let same = |label: &str| {
        for q in QUERIES {
            for mode in [SearchMode::Lexical, SearchMode::Hybrid] {
                let query = Query {
                    k: 10,
                    mode,
                    ..Query::new(*q)
                };
                let a = plain.search(IndexName::Code, &query).unwrap();
                let b = resident.search(IndexName::Code, &query).unwrap();
                let keys = |h: &[plait_ingest::Hit]| {
                    h.iter()
                        .map(|h| (h.path.clone(), h.start_line, h.score.to_bits()))
                        .collect::<Vec<_>>()
                };
                assert_eq!(keys(&b), keys(&a), "{label}: {mode} {q:?}");
            }
        }
    };
    same("before loading");
    resident.load_lexical();
    same("loaded");
    // A commit: a new file whose identifier only it holds. Until the terms are read
    // again, searches go through FTS5 and still find it.
    std::fs::write(
        dir.join("src/fresh.rs"),
        "/// Splits a freshly added range.\npub fn freshly_added_range_split() {}\n",
    )
    .unwrap();
    ingest(&dir, &idx, &enc);
    let query = Query {
        k: 3,
        mode: SearchMode::Lexical,
        ..Query::new("freshly_added_range_split")
    };
    let top = &resident.search(IndexName::Code, &query).unwrap()[0];
    assert!(top.path.ends_with("src/fresh.rs"), "{top:?}");
    same("after a commit");
    resident.load_lexical();
    same("reloaded");
    let top = &resident.search(IndexName::Code, &query).unwrap()[0];
    assert!(top.path.ends_with("src/fresh.rs"), "{top:?}");
}
