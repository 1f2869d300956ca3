//! The error type of the `colbert` crate.

use std::path::PathBuf;

/// Everything that can go wrong while loading or running an encoder.
#[derive(Debug, thiserror::Error)]
pub enum ColbertError {
    /// ONNX Runtime or the model's session could not be loaded.
    #[error(transparent)]
    Onnx(#[from] plait_onnx::OnnxError),

    /// A file the model directory must contain is missing.
    #[error("model directory {dir} has no {file}")]
    MissingModelFile { dir: PathBuf, file: &'static str },

    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// `onnx_config.json` does not parse or is inconsistent.
    #[error("invalid model config {path}: {reason}")]
    Config { path: PathBuf, reason: String },

    /// `tokenizer.json` could not be loaded or used.
    #[error("tokenizer {path}: {reason}")]
    Tokenizer { path: PathBuf, reason: String },

    /// ONNX Runtime refused to build a session for the model.
    #[error("cannot load ONNX model {path}: {source}")]
    Session { path: PathBuf, source: ort::Error },

    /// Running the model failed.
    #[error("inference failed for model {path}: {source}")]
    Inference { path: PathBuf, source: ort::Error },

    /// The model produced vectors of an unexpected shape.
    #[error("model {path} output has dimension {got}, config says embedding_dim = {expected}")]
    Dims {
        path: PathBuf,
        expected: usize,
        got: usize,
    },

    /// There is no committed index in the directory.
    #[error("no index in {path} (no CURRENT file): build one first")]
    NoIndex { path: PathBuf },

    /// An index file is damaged or inconsistent.
    #[error("index file {path} is corrupt: {reason}")]
    CorruptIndex { path: PathBuf, reason: String },

    /// The index was written by an incompatible version.
    #[error("index {path} has format_version {found}; this plait reads version {supported}")]
    UnsupportedFormat {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    /// Input vectors have the wrong dimension.
    #[error("document {key} has vectors of dimension {got}, the index uses {expected}")]
    DocumentDims {
        key: u64,
        expected: usize,
        got: usize,
    },

    /// A key was added twice.
    #[error("document key {key} is already in the index")]
    DuplicateKey { key: u64 },

    /// Index settings that cannot work.
    #[error("invalid index configuration: {reason}")]
    InvalidConfig { reason: String },

    /// A batched query encode failed for every query in the batch (the batch's error,
    /// as text, since each caller gets its own copy).
    #[error("encoding a batch of queries failed: {reason}")]
    Batch { reason: String },

    /// The disk filled up (or a quota was reached) while writing `path`. Nothing of this
    /// commit is visible: `CURRENT` still names the last complete state.
    #[error("the disk is full (writing {path}): this commit was abandoned and everything committed before it is intact; free some space and run the same command again")]
    DiskFull { path: PathBuf },

    /// Another writer holds the index.
    #[error("index {path} is locked by another writer (another plait ingest or watch is running)")]
    Locked { path: PathBuf },
}
