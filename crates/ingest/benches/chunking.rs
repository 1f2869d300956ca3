//! Chunking benchmark over a multi-language tree: files/s of discovery-free chunking
//! (the production path: `code_chunker` then `chunk_bounded`, tokens counted by the
//! encoder's tokenizer) and, per language, files, chunks and the share of chunks that
//! carry a symbol.
//!
//! `scripts/bench-chunking` assembles the tree and runs this; by hand:
//! `cargo bench -p plait-ingest --bench chunking -- DIR...` with `PLAIT_HOME` pointing at
//! the setup directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use plait_colbert::{Encoder, OnnxEncoderBuilder, OnnxRuntime};
use plait_ingest::{
    chunk_bounded, code_chunker, decode_text, discover, ChunkBudget, DiscoverConfig, FileKind,
    TokenCounter,
};

struct Tokens<'a>(&'a dyn Encoder);

impl TokenCounter for Tokens<'_> {
    fn count(&self, text: &str) -> usize {
        self.0.count_tokens(text)
    }
}

fn home() -> PathBuf {
    std::env::var_os("PLAIT_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/plait")))
        .expect("set PLAIT_HOME to the directory scripts/setup filled")
}

#[derive(Default)]
struct Tally {
    files: usize,
    bytes: usize,
    chunks: usize,
    named: usize,
    time: Duration,
}

fn main() {
    let roots: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .collect();
    assert!(
        !roots.is_empty(),
        "usage: cargo bench -p plait-ingest --bench chunking -- DIR..."
    );
    let runtime = OnnxRuntime::load(&plait_testkit::onnxruntime()).unwrap();
    let encoder = OnnxEncoderBuilder::new(home().join("models/encoder/minilm-l6-int8"))
        .threads(1)
        .build(&runtime)
        .unwrap();
    let counter = Tokens(&encoder);
    let budget = ChunkBudget::default();
    let (found, _) = discover(&roots, &DiscoverConfig::default());
    let mut by_lang: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for f in &found {
        let FileKind::Code(lang) = f.kind else {
            continue;
        };
        let bytes = std::fs::read(&f.path).unwrap();
        let Ok(text) = decode_text(&f.path, &bytes) else {
            continue;
        };
        let started = Instant::now();
        let chunker = code_chunker(lang.name());
        let chunks = chunk_bounded(&*chunker, &text, &counter, &budget).chunks;
        let t = by_lang.entry(lang.name()).or_default();
        t.time += started.elapsed();
        t.files += 1;
        t.bytes += bytes.len();
        t.chunks += chunks.len();
        t.named += chunks.iter().filter(|c| c.symbol.is_some()).count();
    }
    println!("language      files    MB  chunks  with symbol  files/s");
    let mut all = Tally::default();
    for (lang, t) in &by_lang {
        println!(
            "{lang:<12} {:>6} {:>5.1} {:>7}  {:>10.1}%  {:>7.0}",
            t.files,
            t.bytes as f64 / 1e6,
            t.chunks,
            100.0 * t.named as f64 / t.chunks.max(1) as f64,
            t.files as f64 / t.time.as_secs_f64().max(1e-9)
        );
        all.files += t.files;
        all.bytes += t.bytes;
        all.chunks += t.chunks;
        all.named += t.named;
        all.time += t.time;
    }
    println!(
        "{:<12} {:>6} {:>5.1} {:>7}  {:>10.1}%  {:>7.0}   (one thread, {:.1} s chunking)",
        "all",
        all.files,
        all.bytes as f64 / 1e6,
        all.chunks,
        100.0 * all.named as f64 / all.chunks.max(1) as f64,
        all.files as f64 / all.time.as_secs_f64().max(1e-9),
        all.time.as_secs_f64()
    );
}
