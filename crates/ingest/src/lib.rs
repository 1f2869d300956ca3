//! Folder ingest: discovery, classification, text extraction, chunking, and keeping the
//! code and docs indexes in step with the folders.
//!
//! Extraction of PDFs and images goes through `plait-ocr`; encoding and indexing through
//! `plait-colbert`. Configuration is passed in; the library never reads environment
//! variables.

pub mod chunk;
mod classify;
mod discover;
mod error;
pub mod eval;
pub mod manifest;
mod pipeline;
pub mod search;
mod watch;

pub use chunk::{
    ApproxTokenCounter, Chunk, ChunkBudget, ChunkKind, Chunker, LineChunker, MarkdownChunker,
    PythonChunker, TokenCounter,
};
pub use classify::{classify, DocFormat, FileKind, Language};
pub use discover::{discover, discover_within, DiscoverConfig, FoundFile, Skipped};
pub use error::IngestError;
pub use pipeline::{
    IngestConfig, IngestReport, Ingester, OcrPdf, PageContent, PdfText, Progress, CHUNKER_VERSION,
    CODE, DOCS,
};
pub use search::{search_index, Hit, Query, SearchMode};
pub use watch::{watch, Trigger, WatchConfig, WatchEvent};

/// Result alias of this crate.
pub type Result<T, E = IngestError> = std::result::Result<T, E>;
