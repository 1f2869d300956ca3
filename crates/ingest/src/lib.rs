//! Folder ingest: discovery, classification, text extraction, chunking, and keeping the
//! code and docs indexes in step with the folders.
//!
//! Extraction of PDFs and images goes through `plait-ocr`; encoding and indexing through
//! `plait-colbert`. Configuration is passed in; the library never reads environment
//! variables.

pub mod check;
pub mod chunk;
mod classify;
mod discover;
mod error;
pub mod eval;
mod extract;
pub mod lexical;
pub mod manifest;
mod pipeline;
pub mod search;
mod text;
pub mod view;
mod watch;

pub use chunk::CHUNKER_VERSION;
pub use chunk::{
    chunk_bounded, code_chunker, longest_line_chars, ApproxTokenCounter, BoundedChunks, Chunk,
    ChunkBudget, ChunkKind, Chunker, ConfigChunker, ConfigFormat, LanguageSpec, LineChunker,
    MarkdownChunker, NotebookChunker, PythonChunker, RstChunker, SyntaxChunker, TokenCounter,
    LONG_LINE_FILE_CHARS, MAX_CONTEXT_CHARS,
};
pub use classify::{classify, classify_shebang, classify_with_head, DocFormat, FileKind, Language};
pub use discover::{
    discover, discover_within, require_regular_file, special_file, DiscoverConfig, FoundFile,
    Skipped,
};
pub use error::IngestError;
pub use extract::{read_pages, OcrPdf, PageContent, PdfText};
pub use pipeline::{IngestConfig, IngestReport, Ingester, Progress, CODE, DOCS};
pub use search::{
    Hit, IndexName, IndexStatus, Query, SearchMode, SearchService, DEFAULT_K, MAX_K,
    MAX_QUERY_CHARS,
};
pub use text::decode_text;
pub use view::{LineBox, PageBoxes, PageImage, PageViewConfig, PageViewer};
pub use watch::{watch, Trigger, WatchConfig, WatchEvent};

/// Result alias of this crate.
pub type Result<T, E = IngestError> = std::result::Result<T, E>;
