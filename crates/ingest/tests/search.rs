//! Searching an ingested folder in every mode (deterministic fake encoder), filters, and
//! the upgrade of a version 1 manifest (no full-text index) kept frozen in `tests/data`.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;
use std::sync::Arc;

use plait_colbert::testing::HashEncoder;
use plait_ingest::manifest::Manifest;
use plait_ingest::{
    ChunkBudget, DiscoverConfig, IndexName, IngestConfig, IngestError, Ingester, Query, SearchMode,
    SearchService, CODE, DOCS,
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
    assert_eq!(reingest(corpus, idx, enc).files_added, 3);
}

/// Ingests `corpus` into `idx` (again) with the default settings.
fn reingest(corpus: &Path, idx: &Path, enc: &HashEncoder) -> plait_ingest::IngestReport {
    let config = IngestConfig {
        index_root: idx.to_path_buf(),
        discover: DiscoverConfig::default(),
        budget: ChunkBudget::default(),
        index: plait_colbert::IndexConfig::default(),
    };
    Ingester::new(config, enc, enc, None)
        .run(&[corpus.to_path_buf()], &|_| {})
        .unwrap()
}

fn query(text: &str, mode: SearchMode) -> Query {
    Query {
        k: 5,
        mode,
        ..Query::new(text)
    }
}

fn service(idx: &Path, enc: &HashEncoder) -> SearchService {
    let enc = Arc::new(enc.clone());
    SearchService::new(idx, enc.clone(), enc)
}

#[test]
fn an_exact_identifier_is_found_lexically_and_in_hybrid_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    let enc = HashEncoder::new(16);
    ingest(&corpus, &idx, &enc);
    let s = service(&idx, &enc);
    for mode in [SearchMode::Lexical, SearchMode::Hybrid] {
        for ident in ["get_page_range", "PageRangeError"] {
            let hits = s.search(IndexName::Code, &query(ident, mode)).unwrap();
            let top = &hits[0];
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
    let none = s
        .search(IndexName::Code, &query("zeppelin", SearchMode::Lexical))
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn filters_and_indexes_are_respected_in_every_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    let enc = HashEncoder::new(16);
    ingest(&corpus, &idx, &enc);
    let s = service(&idx, &enc);
    for mode in [
        SearchMode::Semantic,
        SearchMode::Lexical,
        SearchMode::Hybrid,
    ] {
        let q = Query {
            path_glob: Some("*colours*".into()),
            ..query("range colours blend", mode)
        };
        let hits = s.search(IndexName::Code, &q).unwrap();
        assert!(!hits.is_empty(), "{mode}");
        assert!(
            hits.iter().all(|h| h.path.ends_with("src/colours.py")),
            "{mode}"
        );
        let q = Query {
            language: Some("rust".into()),
            ..query("range", mode)
        };
        assert!(s.search(IndexName::Code, &q).unwrap().is_empty());
        let hits = s.search(IndexName::Docs, &query("siege", mode)).unwrap();
        assert!(hits[0].path.ends_with("notes.md"), "{mode}");
        assert!(hits.iter().all(|h| h.index == IndexName::Docs));
        let both = s
            .search_all(&IndexName::ALL, &query("siege colours", mode))
            .unwrap();
        assert!(both.iter().any(|h| h.index == IndexName::Docs), "{mode}");
        assert!(both.iter().any(|h| h.index == IndexName::Code), "{mode}");
        // Merged by score relative to each index's best (which a merge always keeps).
        let best = |name: IndexName| {
            both.iter()
                .filter(|h| h.index == name)
                .map(|h| h.score)
                .fold(f64::MIN, f64::max)
        };
        let relative: Vec<f64> = both.iter().map(|h| h.score / best(h.index)).collect();
        assert!(
            relative.windows(2).all(|w| w[0] >= w[1]),
            "{mode}: {relative:?}"
        );
        // An index whose first hits hold none of the query's words counts half: the code
        // never says "siege", so its best hit ranks below the docs' better half.
        let siege = s
            .search_all(&IndexName::ALL, &query("siege", mode))
            .unwrap();
        assert_eq!(siege[0].index, IndexName::Docs, "{mode}");
        let docs_best = siege[0].score;
        let first_code = siege.iter().position(|h| h.index == IndexName::Code);
        if let Some(at) = first_code {
            let code_best = siege[at].score;
            let scale = siege
                .iter()
                .filter(|h| h.index == IndexName::Code)
                .map(|h| h.score)
                .fold(f64::MIN, f64::max);
            assert_eq!(code_best, scale, "{mode}");
            assert!(
                siege[..at]
                    .iter()
                    .all(|h| h.index == IndexName::Docs && h.score / docs_best >= 0.5),
                "{mode}: {siege:?}"
            );
            assert!(
                siege[at..]
                    .iter()
                    .filter(|h| h.index == IndexName::Docs)
                    .all(|h| h.score / docs_best <= 0.5),
                "{mode}: {siege:?}"
            );
        }
    }
}

#[test]
fn searching_never_writes_and_a_missing_root_is_no_index() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    let enc = HashEncoder::new(16);
    let missing = tmp.path().join("missing");
    let err = service(&missing, &enc)
        .search_all(&IndexName::ALL, &query("siege", SearchMode::Hybrid))
        .unwrap_err();
    assert!(matches!(err, IngestError::NoIndex { .. }), "{err}");
    assert!(!missing.exists());
    ingest(&corpus, &idx, &enc);
    // Read-only files: a search that tried to write (schema, WAL mode, upgrade) fails.
    let db = idx.join("manifest.sqlite");
    let before = std::fs::read(&db).unwrap();
    let mut perms = std::fs::metadata(&db).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&db, perms.clone()).unwrap();
    let s = service(&idx, &enc);
    for mode in SearchMode::ALL {
        let hits = s.search(IndexName::Docs, &query("siege", mode)).unwrap();
        assert!(hits[0].path.ends_with("notes.md"), "{mode}");
    }
    assert_eq!(s.status(IndexName::Code).unwrap().files, 2);
    drop(s);
    assert_eq!(std::fs::read(&db).unwrap(), before);
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&db, perms).unwrap();
}

#[test]
fn the_reader_reopens_only_after_a_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    let enc = HashEncoder::new(16);
    ingest(&corpus, &idx, &enc);
    let s = service(&idx, &enc);
    let q = query("zebra okapi", SearchMode::Lexical);
    assert!(s.search(IndexName::Docs, &q).unwrap().is_empty());
    let first = s.status(IndexName::Docs).unwrap();
    assert_eq!(s.status(IndexName::Docs).unwrap(), first);
    std::fs::write(
        corpus.join("okapi.md"),
        "# Okapi\n\nThe okapi is a forest giraffe with zebra legs.\n",
    )
    .unwrap();
    reingest(&corpus, &idx, &enc);
    let hits = s
        .search(IndexName::Docs, &query("zebra okapi", SearchMode::Semantic))
        .unwrap();
    assert!(hits[0].path.ends_with("okapi.md"));
    let second = s.status(IndexName::Docs).unwrap();
    assert_ne!(second.last_commit, first.last_commit);
    assert_eq!(second.documents, first.documents + 1);
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

/// [`HashEncoder`] with a vocabulary: a listed word is one token, any other two.
struct Vocab(HashEncoder, &'static [&'static str]);

impl plait_colbert::Encoder for Vocab {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn encode_queries(
        &self,
        q: &[&str],
    ) -> plait_colbert::Result<Vec<plait_colbert::TokenEmbeddings>> {
        self.0.encode_queries(q)
    }
    fn encode_documents(
        &self,
        d: &[&str],
    ) -> plait_colbert::Result<Vec<plait_colbert::TokenEmbeddings>> {
        self.0.encode_documents(d)
    }
    fn count_tokens(&self, text: &str) -> usize {
        if self.1.contains(&text) {
            1
        } else {
            2
        }
    }
    fn model_name(&self) -> String {
        self.0.model_name()
    }
}

#[test]
fn unknown_words_are_rare_words_no_searched_index_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    let enc = HashEncoder::new(16);
    ingest(&corpus, &idx, &enc);
    let vocab: Arc<dyn plait_colbert::Encoder> = Arc::new(Vocab(
        enc.clone(),
        &["how", "does", "the", "siege", "handle", "zeppelin", "days"],
    ));
    let q = "How does the siege of Vicksburg handle QUIC in get_page_range and zeppelin days?";
    for s in [
        SearchService::new(&idx, vocab.clone(), vocab.clone()),
        SearchService::new(&idx, vocab.clone(), vocab.clone()).resident_lexical(),
    ] {
        s.load_lexical();
        // QUIC: in no chunk and not a word of the vocabulary. Zeppelin is in no chunk
        // either, but an everyday word; Vicksburg and get_page_range are indexed.
        assert_eq!(s.unknown_words(&IndexName::ALL, q).unwrap(), ["QUIC"]);
        // Vicksburg is only in the docs index.
        assert_eq!(
            s.unknown_words(&[IndexName::Code], q).unwrap(),
            ["Vicksburg", "QUIC"]
        );
    }
    // An encoder without a vocabulary knows every word.
    let s = service(&idx, &enc);
    assert!(s.unknown_words(&IndexName::ALL, q).unwrap().is_empty());
    // Names: capitalised mid-sentence, held only as written (`Blending` shares its stem
    // with "Blend" but is not written anywhere; `Ranges` is "range" plural).
    let q = "Does Vicksburg use Blending or Ranges with Microsoft?";
    assert_eq!(
        s.unknown_names(&IndexName::ALL, q).unwrap(),
        ["Blending", "Microsoft"]
    );
    assert_eq!(
        s.unknown_names(&[IndexName::Code], q).unwrap(),
        ["Vicksburg", "Blending", "Microsoft"]
    );
    // A name of several words is held only where they stand together: `PageRangeError`
    // and "forty-seven days" write two of these, nothing writes "Vicksburg Days".
    let q = "Does the Page Range code mention Vicksburg Days or Forty Seven Days?";
    assert_eq!(
        s.unknown_names(&IndexName::ALL, q).unwrap(),
        ["Vicksburg Days"]
    );
    assert_eq!(
        s.unknown_names(&[IndexName::Code], q).unwrap(),
        ["Vicksburg", "Days", "Forty", "Seven"]
    );
}

#[test]
fn a_cut_function_s_next_piece_is_its_continuation() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    let enc = HashEncoder::new(16);
    ingest(&corpus, &idx, &enc);
    let body: Vec<String> = (0..150)
        .map(|i| format!("    total = total + {i}  # step{i}"))
        .collect();
    std::fs::write(
        corpus.join("src/long.py"),
        format!(
            "def long_sum(total):\n{}\n    return total\n",
            body.join("\n")
        ),
    )
    .unwrap();
    reingest(&corpus, &idx, &enc);
    let s = service(&idx, &enc);
    let first = s
        .search(IndexName::Code, &query("step0", SearchMode::Lexical))
        .unwrap();
    let first = first.iter().find(|h| h.path.ends_with("long.py")).unwrap();
    assert_eq!(first.start_line, Some(1));
    let next = s
        .continuation(first)
        .unwrap()
        .expect("the function was cut");
    assert_eq!(next.symbol, first.symbol);
    assert_eq!(next.start_line, first.end_line.map(|e| e + 1));
    let joined = first.joined(&next);
    assert_eq!(
        (joined.start_line, joined.end_line),
        (Some(1), next.end_line)
    );
    assert_eq!(joined.text.lines().count(), next.end_line.unwrap());
    // The last piece goes on nowhere; neither does a whole function.
    let mut last = next;
    while let Some(n) = s.continuation(&last).unwrap() {
        last = n;
    }
    assert_eq!(last.end_line, Some(152));
    let whole = s
        .search(IndexName::Code, &query("mix_colours", SearchMode::Lexical))
        .unwrap();
    assert!(s.continuation(&whole[0]).unwrap().is_none());
}
