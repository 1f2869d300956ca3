//! Chunking benchmark over a multi-language tree: files/s of discovery-free chunking
//! (the production path: `code_chunker` then `chunk_bounded`, tokens counted by the
//! encoder's tokenizer) and, per language, files, chunks and the share of chunks that
//! carry a symbol (`--why`: what the chunks without one start with).
//!
//! `scripts/bench-chunking` assembles the tree and runs this; by hand:
//! `cargo bench -p plait-ingest --bench chunking -- DIR...` with `PLAIT_HOME` pointing at
//! the setup directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::PathBuf;

use plait_colbert::{OnnxEncoderBuilder, OnnxRuntime};

#[path = "support/lang_table.rs"]
mod lang_table;

fn home() -> PathBuf {
    std::env::var_os("PLAIT_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/plait")))
        .expect("set PLAIT_HOME to the directory scripts/setup filled")
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
    lang_table::print(&roots, &encoder, std::env::args().any(|a| a == "--why"));
}
