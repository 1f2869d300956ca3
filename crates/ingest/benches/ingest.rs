//! Ingest benchmark on a real corpus: chunking alone per language (files/s, share of
//! chunks with a symbol), end-to-end chunks/s against the bare encoder on the same chunks
//! (side by side in one run), a no-change re-ingest, and a no-change re-ingest of 1,000
//! files.
//!
//! `scripts/bench-ingest [pypdf|polyglot]` lays out the corpus (the pypdf 7.1.0 sdist, or
//! a multi-language tree of registry sources) and runs this; by hand:
//! `cargo bench -p plait-ingest --bench ingest -- CORPUS_DIR` with `PLAIT_HOME` pointing
//! at the setup directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use plait_colbert::{Encoder, OnnxEncoder, OnnxEncoderBuilder, OnnxRuntime, TokenEmbeddings};
use plait_ingest::{ChunkBudget, DiscoverConfig, IngestConfig, IngestReport, Ingester};

#[path = "support/lang_table.rs"]
mod lang_table;

/// Wraps the real encoder, recording every batch it is given and the time spent in it.
struct Recording<'a> {
    inner: &'a OnnxEncoder,
    batches: Mutex<Vec<Vec<String>>>,
    busy: Mutex<Duration>,
}

impl Encoder for Recording<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn encode_queries(&self, q: &[&str]) -> plait_colbert::Result<Vec<TokenEmbeddings>> {
        self.inner.encode_queries(q)
    }
    fn encode_documents(&self, d: &[&str]) -> plait_colbert::Result<Vec<TokenEmbeddings>> {
        let started = Instant::now();
        let out = self.inner.encode_documents(d);
        *self.busy.lock().unwrap() += started.elapsed();
        self.batches
            .lock()
            .unwrap()
            .push(d.iter().map(|s| (*s).to_string()).collect());
        out
    }
    fn count_tokens(&self, text: &str) -> usize {
        self.inner.count_tokens(text)
    }
    fn model_name(&self) -> String {
        self.inner.model_name()
    }
}

fn home() -> PathBuf {
    std::env::var_os("PLAIT_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/plait")))
        .expect("set PLAIT_HOME to the directory scripts/setup filled")
}

fn asset(rel: &str) -> PathBuf {
    let p = home().join(rel);
    assert!(p.exists(), "missing {}: run scripts/setup", p.display());
    p
}

fn config(index_root: &Path) -> IngestConfig {
    IngestConfig {
        index_root: index_root.to_path_buf(),
        discover: DiscoverConfig::default(),
        budget: ChunkBudget::default(),
        index: plait_colbert::IndexConfig::default(),
    }
}

fn ingest(
    root: &Path,
    corpus: &Path,
    enc: &dyn Encoder,
    pdf: &dyn plait_ingest::PdfText,
) -> (IngestReport, Duration) {
    let ingester = Ingester::new(config(root), enc, enc, Some(pdf));
    let started = Instant::now();
    let report = ingester.run(&[corpus.to_path_buf()], &|_| {}).unwrap();
    (report, started.elapsed())
}

fn copy_tree(from: &Path, to: &Path) -> usize {
    let mut n = 0;
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            n += copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
            n += 1;
        }
    }
    n
}

fn main() {
    let corpus = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .expect("usage: cargo bench -p plait-ingest --bench ingest -- CORPUS_DIR");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = OnnxRuntime::load(&plait_testkit::onnxruntime()).unwrap();
    let encoder = OnnxEncoderBuilder::new(asset("models/encoder/minilm-l6-int8"))
        .threads(threads)
        .build(&runtime)
        .unwrap();
    // The same PDF path as `plait ingest`: text layer, OCR where it is missing.
    let pdfium = plait_ocr::Pdfium::load(&plait_testkit::pdfium()).unwrap();
    let engine = plait_ocr::OcrEngineBuilder::new(asset("models/ocr/ppocrv4-int8"))
        .threads(threads)
        .build(&runtime)
        .unwrap();
    let pdf = plait_ingest::OcrPdf {
        pdfium,
        engine: &engine,
        dpi: 300.0,
    };
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("corpus");
    let files = copy_tree(&corpus, &work);
    println!(
        "corpus: {} ({files} files), encoder {} threads",
        corpus.display(),
        threads
    );

    // Warm-up: first session run and page cache.
    encoder.encode_documents(&["warm up the session"]).unwrap();
    lang_table::print(std::slice::from_ref(&work), &encoder, false);

    let rec = Recording {
        inner: &encoder,
        batches: Mutex::new(Vec::new()),
        busy: Mutex::new(Duration::ZERO),
    };
    let (report, e2e) = ingest(&tmp.path().join("idx"), &work, &rec, &pdf);
    let inside = *rec.busy.lock().unwrap();
    let batches = rec.batches.into_inner().unwrap();

    // The bare encoder on exactly the same batches, right after.
    let started = Instant::now();
    for b in &batches {
        let texts: Vec<&str> = b.iter().map(String::as_str).collect();
        encoder.encode_documents(&texts).unwrap();
    }
    let bare = started.elapsed();
    print_full_ingest(&report, e2e, inside, bare);

    let (again, t) = ingest(&tmp.path().join("idx"), &work, &encoder, &pdf);
    assert_eq!(again.chunks_encoded, 0);
    println!(
        "no-change re-ingest of {} files: {:.3} s, 0 chunks encoded",
        again.files_unchanged,
        t.as_secs_f64()
    );

    thousand_files(tmp.path(), &work, &encoder, &pdf);
}

/// The full ingest's figures: end to end against the bare encoder on the same batches
/// (`inside`: time spent inside the encoder during the ingest).
fn print_full_ingest(report: &IngestReport, e2e: Duration, inside: Duration, bare: Duration) {
    let chunks = report.chunks_encoded;
    let rate = |d: Duration| chunks as f64 / d.as_secs_f64();
    println!(
        "full ingest: {} files added, {} skipped, {} errors; {chunks} chunks encoded, {} reused",
        report.files_added,
        report.skipped.len(),
        report.errors.len(),
        report.chunks_reused
    );
    for (path, reason) in report.errors.iter().take(20) {
        println!(
            "  error (reported, run went on): {}: {reason}",
            path.display()
        );
    }
    println!(
        "end to end:   {:8.1} chunks/s ({:.2} s; of which {:.2} s inside the encoder)",
        rate(e2e),
        e2e.as_secs_f64(),
        inside.as_secs_f64()
    );
    println!(
        "bare encoder: {:8.1} chunks/s ({:.2} s, same batches)",
        rate(bare),
        bare.as_secs_f64()
    );
    println!(
        "end-to-end / bare = {:.3} (goal >= 0.80)",
        bare.as_secs_f64() / e2e.as_secs_f64()
    );
}

/// 1,000 files: copies of the corpus's text files into the same index root under `tmp`
/// (their contents are indexed already, so nothing is encoded), then no-change
/// re-ingests.
fn thousand_files(tmp: &Path, work: &Path, encoder: &dyn Encoder, pdf: &dyn plait_ingest::PdfText) {
    let sources: Vec<PathBuf> = walk(work)
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "py" || e == "md" || e == "txt")
        })
        .collect();
    let many = tmp.join("many");
    for i in 0..1000 {
        let src = &sources[i % sources.len()];
        let dest = many.join(format!("d{:02}", i / 50)).join(format!(
            "f{i:04}_{}",
            src.file_name().unwrap().to_string_lossy()
        ));
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(src, dest).unwrap();
    }
    let (first, t_first) = ingest(&tmp.join("idx"), &many, encoder, pdf);
    let mut times = Vec::new();
    for _ in 0..5 {
        let (r, t) = ingest(&tmp.join("idx"), &many, encoder, pdf);
        assert_eq!(r.chunks_encoded, 0);
        assert_eq!(r.files_unchanged, 1000);
        times.push(t.as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "1,000 files: first ingest {:.2} s ({} chunks encoded, {} reused); no-change re-ingest median {:.3} s, max {:.3} s over 5 runs (goal < 1 s)",
        t_first.as_secs_f64(),
        first.chunks_encoded,
        first.chunks_reused,
        times[2],
        times[4]
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out.sort();
    out
}
