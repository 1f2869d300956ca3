//! Incremental ingest with a deterministic fake encoder: nothing unchanged is encoded
//! again, renames and copies reuse contents, deletions leave the index.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use plait_colbert::testing::HashEncoder;
use plait_colbert::{Encoder, Index, TokenEmbeddings};
use plait_ingest::manifest::Manifest;
use plait_ingest::{ChunkBudget, DiscoverConfig, IngestConfig, IngestReport, Ingester, CODE, DOCS};

/// Counts the texts it is asked to encode.
struct Counting {
    inner: HashEncoder,
    encoded: AtomicUsize,
    name: &'static str,
}

impl Encoder for Counting {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn encode_queries(&self, q: &[&str]) -> plait_colbert::Result<Vec<TokenEmbeddings>> {
        self.inner.encode_queries(q)
    }
    fn encode_documents(&self, d: &[&str]) -> plait_colbert::Result<Vec<TokenEmbeddings>> {
        self.encoded.fetch_add(d.len(), Ordering::SeqCst);
        self.inner.encode_documents(d)
    }
    fn model_name(&self) -> String {
        self.name.to_string()
    }
}

fn encoder() -> Counting {
    Counting {
        inner: HashEncoder::new(16),
        encoded: AtomicUsize::new(0),
        name: "hash-16",
    }
}

const GEOMETRY: &str = "import math\n\n\ndef area(r):\n    \"\"\"Area of a circle of radius r.\"\"\"\n    return math.pi * r * r\n\n\ndef perimeter(r):\n    \"\"\"Perimeter of a circle of radius r.\"\"\"\n    return 2 * math.pi * r\n\n\nclass Shape:\n    \"\"\"A shape with a name and a colour attribute for drawing.\"\"\"\n\n    def describe(self):\n        return f\"a shape called {self.name} painted in {self.colour}\"\n";

fn setup(root: &Path) {
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/geometry.py"), GEOMETRY).unwrap();
    std::fs::write(
        root.join("README.md"),
        "# Shapes\n\nCompute areas and perimeters of circles.\n\n## Usage\n\nCall area with a radius and read the result back.\n",
    )
    .unwrap();
    std::fs::write(
        root.join("notes.txt"),
        "Remember to test the perimeter function with zero.\n",
    )
    .unwrap();
}

fn run(index_root: &Path, corpus: &Path, enc: &Counting) -> IngestReport {
    enc.encoded.store(0, Ordering::SeqCst);
    Ingester::new(config(index_root), enc, enc, None)
        .run(&[corpus.to_path_buf()], &|_| {})
        .unwrap()
}

fn config(index_root: &Path) -> IngestConfig {
    IngestConfig {
        index_root: index_root.to_path_buf(),
        discover: DiscoverConfig::default(),
        budget: ChunkBudget {
            max_tokens: 40,
            min_tokens: 4,
            max_chars: 2_000,
        },
        index: plait_colbert::IndexConfig::default(),
    }
}

fn paths_in_index(index_root: &Path) -> Vec<PathBuf> {
    let m = Manifest::open(index_root).unwrap();
    let mut out = Vec::new();
    for name in [CODE, DOCS] {
        let Ok(index) = Index::open(&index_root.join(name)) else {
            continue;
        };
        for k in index.keys() {
            for c in m.chunks_of(name, k).unwrap() {
                out.push(c.path);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn unchanged_files_are_never_encoded_again() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    setup(&corpus);
    let enc = encoder();
    let first = run(&idx, &corpus, &enc);
    assert_eq!(first.files_added, 3);
    assert!(first.chunks_encoded >= 4, "{first:?}");
    assert_eq!(enc.encoded.load(Ordering::SeqCst), first.chunks_encoded);
    assert!(first.errors.is_empty());

    let second = run(&idx, &corpus, &enc);
    assert_eq!(second.files_unchanged, 3);
    assert_eq!(second.chunks_encoded, 0);
    assert_eq!(enc.encoded.load(Ordering::SeqCst), 0);

    // A touch without a change: hashed, not chunked, not encoded.
    let f = std::fs::File::options()
        .append(true)
        .open(corpus.join("notes.txt"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    let third = run(&idx, &corpus, &enc);
    assert_eq!(third.files_unchanged, 3);
    assert_eq!(enc.encoded.load(Ordering::SeqCst), 0);
}

#[test]
fn editing_one_function_re_encodes_only_that_function() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    setup(&corpus);
    let enc = encoder();
    run(&idx, &corpus, &enc);
    let edited = GEOMETRY.replace("return 2 * math.pi * r", "return math.tau * r");
    std::fs::write(corpus.join("src/geometry.py"), edited).unwrap();
    let report = run(&idx, &corpus, &enc);
    assert_eq!(report.files_changed, 1);
    assert_eq!(report.chunks_encoded, 1, "{report:?}");
    assert!(report.chunks_reused >= 2);
    let m = Manifest::open(&idx).unwrap();
    let (locations, contents) = m.counts(CODE).unwrap();
    assert_eq!(
        locations, contents,
        "the old version of the function left the index"
    );
    let index = Index::open(&idx.join(CODE)).unwrap();
    assert_eq!(index.num_documents(), contents);
}

#[test]
fn renamed_and_copied_files_reuse_their_contents_and_deleted_ones_leave() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    setup(&corpus);
    let enc = encoder();
    run(&idx, &corpus, &enc);
    let docs_before = Index::open(&idx.join(CODE)).unwrap().num_documents();

    std::fs::rename(
        corpus.join("src/geometry.py"),
        corpus.join("src/circles.py"),
    )
    .unwrap();
    std::fs::copy(corpus.join("src/circles.py"), corpus.join("copy.py")).unwrap();
    let report = run(&idx, &corpus, &enc);
    assert_eq!(report.chunks_encoded, 0, "{report:?}");
    assert_eq!(report.files_removed, 1);
    let paths = paths_in_index(&idx);
    let canon = std::fs::canonicalize(&corpus).unwrap();
    assert!(paths.contains(&canon.join("src/circles.py")));
    assert!(paths.contains(&canon.join("copy.py")));
    assert!(!paths.contains(&canon.join("src/geometry.py")));
    assert_eq!(
        Index::open(&idx.join(CODE)).unwrap().num_documents(),
        docs_before
    );

    std::fs::remove_file(corpus.join("src/circles.py")).unwrap();
    std::fs::remove_file(corpus.join("copy.py")).unwrap();
    let report = run(&idx, &corpus, &enc);
    assert_eq!(report.files_removed, 2);
    assert_eq!(Index::open(&idx.join(CODE)).unwrap().num_documents(), 0);
    assert!(paths_in_index(&idx)
        .iter()
        .all(|p| !p.ends_with("circles.py")));
}

#[test]
fn a_bad_file_is_reported_and_the_rest_is_ingested() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    setup(&corpus);
    std::fs::write(corpus.join("latin1.py"), b"name = 'caf\xe9'\n").unwrap();
    let enc = encoder();
    let report = run(&idx, &corpus, &enc);
    assert_eq!(report.files_added, 3);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].0.ends_with("latin1.py"));
    assert!(report.errors[0].1.contains("UTF-8"), "{:?}", report.errors);
}

#[test]
fn an_index_ahead_of_the_manifest_is_repaired() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    setup(&corpus);
    let enc = encoder();
    run(&idx, &corpus, &enc);
    let clean = paths_in_index(&idx);
    let counts = Manifest::open(&idx).unwrap().counts(CODE).unwrap();
    // Simulate a crash after an index commit whose manifest transaction never landed:
    // forget everything in the manifest about one file's contents.
    {
        let conn = rusqlite_free_delete(&idx);
        drop(conn);
    }
    let report = run(&idx, &corpus, &enc);
    assert!(
        report.chunks_encoded > 0,
        "the forgotten file is ingested again"
    );
    assert_eq!(paths_in_index(&idx), clean);
    assert_eq!(Manifest::open(&idx).unwrap().counts(CODE).unwrap(), counts);
    let index = Index::open(&idx.join(CODE)).unwrap();
    assert_eq!(
        index.num_documents(),
        counts.1,
        "no duplicate and no missing document"
    );
}

/// Deletes the manifest rows of geometry.py (contents, chunks, file) with the sqlite3
/// API the manifest itself uses, as a crash between index and manifest commits would.
fn rusqlite_free_delete(idx: &Path) -> Manifest {
    let mut m = Manifest::open(idx).unwrap();
    let keys: Vec<u64> = m
        .content_keys(CODE)
        .unwrap()
        .into_iter()
        .filter(|&k| {
            m.chunks_of(CODE, k)
                .unwrap()
                .iter()
                .any(|c| c.path.ends_with("geometry.py"))
        })
        .collect();
    assert!(!keys.is_empty());
    m.transaction(|tx| tx.drop_contents(CODE, &keys)).unwrap();
    m
}

#[test]
fn an_index_built_by_another_model_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    setup(&corpus);
    run(&idx, &corpus, &encoder());
    let other = Counting {
        name: "another-model",
        ..encoder()
    };
    let err = Ingester::new(config(&idx), &other, &other, None)
        .run(std::slice::from_ref(&corpus), &|_| {})
        .unwrap_err();
    assert!(
        matches!(&err, plait_ingest::IngestError::ModelMismatch { built_with, configured, .. }
            if built_with == "hash-16" && configured == "another-model"),
        "{err}"
    );
    assert_eq!(other.encoded.load(Ordering::SeqCst), 0);
}

#[test]
fn a_cancelled_run_keeps_nothing_half_done_and_the_next_run_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    setup(&corpus);
    let enc = encoder();
    let stop = std::sync::atomic::AtomicBool::new(true);
    let report = Ingester::new(config(&idx), &enc, &enc, None)
        .with_cancel(&stop)
        .run(std::slice::from_ref(&corpus), &|_| {})
        .unwrap();
    assert!(report.cancelled);
    assert!(Manifest::open(&idx).unwrap().files().unwrap().is_empty());
    let again = run(&idx, &corpus, &enc);
    assert!(!again.cancelled);
    assert_eq!(again.files_added, 3);
    assert_eq!(paths_in_index(&idx).len(), 3);
}

#[test]
fn a_scoped_run_touches_only_its_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    setup(&corpus);
    let enc = encoder();
    run(&idx, &corpus, &enc);
    let corpus = std::fs::canonicalize(&corpus).unwrap();
    // Outside the scope: a deletion the scoped run must not notice.
    std::fs::remove_file(corpus.join("notes.txt")).unwrap();
    // Inside: the whole src/ folder moves away.
    std::fs::rename(corpus.join("src"), tmp.path().join("moved")).unwrap();
    let ingester = Ingester::new(config(&idx), &enc, &enc, None);
    let report = ingester
        .run_paths(
            std::slice::from_ref(&corpus),
            &[corpus.join("src")],
            &|_| {},
        )
        .unwrap();
    assert_eq!(report.files_removed, 1, "{report:?}");
    let left = paths_in_index(&idx);
    assert_eq!(
        left,
        [corpus.join("README.md"), corpus.join("notes.txt")],
        "a scoped run only drops what is under its paths"
    );
    // Moved back under another name: its contents are still indexed (orphans are kept
    // by scoped runs), so nothing is encoded.
    std::fs::rename(tmp.path().join("moved"), corpus.join("lib")).unwrap();
    enc.encoded.store(0, Ordering::SeqCst);
    let report = ingester
        .run_paths(
            std::slice::from_ref(&corpus),
            &[corpus.join("lib")],
            &|_| {},
        )
        .unwrap();
    assert_eq!(
        (report.files_added, report.chunks_encoded),
        (1, 0),
        "{report:?}"
    );
    assert_eq!(enc.encoded.load(Ordering::SeqCst), 0);
    // A full run then drops notes.txt and collects nothing still in use.
    let full = run(&idx, &corpus, &enc);
    assert_eq!(full.files_removed, 1);
    assert_eq!(
        paths_in_index(&idx),
        [corpus.join("README.md"), corpus.join("lib/geometry.py")]
    );
}

#[test]
fn a_new_chunker_version_chunks_every_file_again_and_encodes_only_new_contents() {
    let tmp = tempfile::tempdir().unwrap();
    let (corpus, idx) = (tmp.path().join("corpus"), tmp.path().join("idx"));
    setup(&corpus);
    let enc = encoder();
    run(&idx, &corpus, &enc);
    assert_eq!(
        Manifest::open(&idx)
            .unwrap()
            .meta("chunker_version")
            .unwrap()
            .as_deref(),
        Some(plait_ingest::CHUNKER_VERSION)
    );
    // As if the index had been made by an older plait.
    Manifest::open(&idx)
        .unwrap()
        .transaction(|tx| tx.set_meta("chunker_version", "0"))
        .unwrap();
    let again = run(&idx, &corpus, &enc);
    assert_eq!(again.files_changed, 3, "{again:?}");
    assert_eq!(
        again.chunks_encoded, 0,
        "same chunks come out: nothing to encode"
    );
    assert_eq!(paths_in_index(&idx).len(), 3);
    let third = run(&idx, &corpus, &enc);
    assert_eq!(third.files_unchanged, 3, "{third:?}");
}
