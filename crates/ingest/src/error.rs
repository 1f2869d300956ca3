//! The error type of the `ingest` crate.

use std::path::PathBuf;

/// Everything that can go wrong ingesting one file or folder.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// Text extraction from a PDF or image failed (the source names the file).
    #[error("{source}")]
    Extract {
        path: PathBuf,
        source: plait_ocr::OcrError,
    },

    /// Encoding chunks failed.
    #[error("cannot encode chunks of {path}: {source}")]
    Encode {
        path: PathBuf,
        source: plait_colbert::ColbertError,
    },

    /// The manifest database failed.
    #[error("manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },

    /// The index failed.
    #[error("index {path}: {source}")]
    Index {
        path: PathBuf,
        source: plait_colbert::ColbertError,
    },

    /// A file's text is not UTF-8.
    #[error("{path}: not valid UTF-8 text (byte {offset})")]
    NotUtf8 { path: PathBuf, offset: usize },

    /// Watching a folder for changes failed.
    #[error("cannot watch {path}: {reason}")]
    Watch { path: PathBuf, reason: String },

    /// The index was built by another encoder than the one configured for it; mixing
    /// vectors of two models would make its search meaningless.
    #[error("{path} was built with the encoder `{built_with}`, but `{configured}` is configured for it: pass that model (--code-model/--docs-model DIR), or ingest into another --index-dir")]
    ModelMismatch {
        path: PathBuf,
        built_with: String,
        configured: String,
    },
}
