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

    /// The disk holding the manifest filled up; the transaction was rolled back.
    #[error("the disk is full (writing {path}): this commit was abandoned and everything committed before it is intact; free some space and run the same command again")]
    DiskFull { path: PathBuf },

    /// A path given as a file is a FIFO, socket, device or folder.
    #[error("{path} is {what}, not a regular file: plait reads only regular files")]
    NotRegular { path: PathBuf, what: &'static str },

    /// A file's text is not UTF-8.
    #[error("{path}: not valid UTF-8 text (byte {offset})")]
    NotUtf8 { path: PathBuf, offset: usize },

    /// A folder searched as an index root holds no index.
    #[error("no index in {path}: run `plait ingest DIR --index-dir {path}` first (or give the right --index-dir)")]
    NoIndex { path: PathBuf },

    /// A file a client named is not in the index (only indexed files can be viewed or
    /// summarized through the servers).
    #[error("{path} is not an indexed file: only files listed by the indexes can be opened here (ingest its folder first, or check the path)")]
    NotIndexed { path: PathBuf },

    /// A search request that cannot be answered as asked (k, language).
    #[error("{reason}")]
    BadQuery { reason: String },

    /// A file's text does not decode in the encoding its byte-order mark or coding
    /// line names.
    #[error("{path}: not valid {encoding} text (as its byte-order mark or coding line says)")]
    Encoding {
        path: PathBuf,
        encoding: &'static str,
    },

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

impl IngestError {
    /// Another writer (a `plait ingest`, another watch) holds an index: the same run
    /// succeeds once it is done.
    pub fn is_locked(&self) -> bool {
        matches!(
            self,
            Self::Index {
                source: plait_colbert::ColbertError::Locked { .. },
                ..
            }
        )
    }
}
