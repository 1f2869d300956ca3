//! Searching an ingested folder in every mode (deterministic fake encoder), filters, and
//! the upgrade of a version 1 manifest (no full-text index) kept frozen in `tests/data`.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;

use plait_colbert::testing::HashEncoder;
use plait_colbert::{Index, SearchParams};
use plait_ingest::manifest::Manifest;
use plait_ingest::{
    search_index, ChunkBudget, DiscoverConfig, IngestConfig, Ingester, Query, SearchMode, CODE,
    DOCS,
};

fn ingest(corpus: &Path, idx: &Path, enc: &HashEncoder) {
    std::fs::create_dir_all(corpus.join("src")).unwrap();
    std::fs::write(
        corpus.join("src/ranges.py"),
        "def get_page_range(text):\n    \"\"\"Split a range such as 1:3.\"\"\"\n    return text.split(':')\n\n\nclass PageRangeError(Exception):\n    \"\"\"Raised for a malformed range.\"\"\"\n",
    )
    .unwrap();
    std::fs::write(
        corpus.join("src/colours.py"),
        "def mix_colours(a, b):\n    \"\"\"Blend two colours half and half.\"\"\"\n    return (a + b) / 2\n",
    )
    .unwrap();
    std::fs::write(
        corpus.join("notes.md"),
        "# Vicksburg\n\nThe siege of Vicksburg lasted forty-seven days.\n",
    )
    .unwrap();
    let config = IngestConfig {
        index_root: idx.to_path_buf(),
        discover: DiscoverConfig::default(),
        budget: ChunkBudget::default(),
        index: plait_colbert::IndexConfig::default(),
    };
    let report = Ingester::new(config, enc, enc, None)
        .run(&[corpus.to_path_buf()], &|_| {})
        .unwrap();
    assert_eq!(report.files_added, 3);
}

fn query(text: &str, mode: SearchMode) -> Query<'_> {
    Query {
        text,
        k: 5,
        path_glob: None,
        language: None,
        mode,
        params: SearchParams::default(),
    }
}

#[test]
fn an_exact_identifier_is_found_lexically_and_in_hybrid_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    let enc = HashEncoder::new(16);
    ingest(&corpus, &idx, &enc);
    let m = Manifest::open(&idx).unwrap();
    let index = Index::open(&idx.join(CODE)).unwrap();
    for mode in [SearchMode::Lexical, SearchMode::Hybrid] {
        for ident in ["get_page_range", "PageRangeError"] {
            let hits = search_index(&m, CODE, Some(&index), &enc, &query(ident, mode)).unwrap();
            let top = &hits[0].chunk;
            assert!(
                top.path.ends_with("src/ranges.py"),
                "{mode} {ident}: {top:?}"
            );
            assert!(
                top.text.contains(ident),
                "{mode} {ident}: the top chunk lacks it"
            );
            if mode == SearchMode::Lexical {
                assert_eq!(hits[0].lexical_rank, Some(1));
                assert_eq!(hits[0].semantic_rank, None);
            }
        }
    }
    // Words the corpus lacks find nothing lexically.
    let none = search_index(
        &m,
        CODE,
        Some(&index),
        &enc,
        &query("zeppelin", SearchMode::Lexical),
    )
    .unwrap();
    assert!(none.is_empty());
}

#[test]
fn filters_and_indexes_are_respected_in_every_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    let enc = HashEncoder::new(16);
    ingest(&corpus, &idx, &enc);
    let m = Manifest::open(&idx).unwrap();
    let code = Index::open(&idx.join(CODE)).unwrap();
    let docs = Index::open(&idx.join(DOCS)).unwrap();
    for mode in [
        SearchMode::Semantic,
        SearchMode::Lexical,
        SearchMode::Hybrid,
    ] {
        let q = Query {
            path_glob: Some("*colours*"),
            ..query("range colours blend", mode)
        };
        let hits = search_index(&m, CODE, Some(&code), &enc, &q).unwrap();
        assert!(!hits.is_empty(), "{mode}");
        assert!(
            hits.iter()
                .all(|h| h.chunk.path.ends_with("src/colours.py")),
            "{mode}"
        );
        let q = Query {
            language: Some("rust"),
            ..query("range", mode)
        };
        assert!(search_index(&m, CODE, Some(&code), &enc, &q)
            .unwrap()
            .is_empty());
        let hits = search_index(&m, DOCS, Some(&docs), &enc, &query("siege", mode)).unwrap();
        assert!(hits[0].chunk.path.ends_with("notes.md"), "{mode}");
        assert!(hits.iter().all(|h| h.index == DOCS));
    }
}

#[test]
fn a_version_1_manifest_is_upgraded_with_a_full_text_index() {
    let tmp = tempfile::tempdir().unwrap();
    let frozen = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/manifest-v1");
    std::fs::copy(
        frozen.join("manifest.sqlite"),
        tmp.path().join("manifest.sqlite"),
    )
    .unwrap();
    let m = Manifest::open(tmp.path()).unwrap();
    assert_eq!(m.files().unwrap().len(), 2);
    let docs = m.lexical(DOCS, "forty-seven days", 5).unwrap();
    assert_eq!(docs.len(), 1);
    let chunks = m.chunks_of(DOCS, docs[0].0).unwrap();
    assert!(chunks[0].path.ends_with("notes.md"));
    let code = m.lexical(CODE, "parse_page_range", 5).unwrap();
    assert_eq!(code.len(), 1);
    // Reopening does not rebuild or duplicate anything.
    drop(m);
    let m = Manifest::open(tmp.path()).unwrap();
    assert_eq!(m.lexical(DOCS, "siege", 5).unwrap().len(), 1);
}
