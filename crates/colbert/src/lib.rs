//! ColBERT late-interaction encoding and multi-vector search primitives.
//!
//! Text in, vectors out: [`OnnxEncoder`] runs a ColBERT ONNX export (or the embedded
//! MiniLM default packaged in the same directory format) through ONNX Runtime and
//! returns one L2-normalised vector per kept token. [`maxsim`] scores a query against a
//! document by late interaction. [`Index`] keeps token vectors in a PLAID index
//! (centroids + residuals quantised to `nbits`, an inverted file, immutable segments and
//! atomic commits) and answers staged late-interaction searches. This crate knows nothing of files, PDFs or chunking.
//!
//! ONNX Runtime is loaded at run time from a path the caller passes in
//! ([`OnnxRuntime::load`]); the library never reads environment variables.

mod batch;
mod config;
mod embeddings;
mod encoder;
mod error;
pub mod index;
mod onnx;
pub mod testing;

pub use batch::{BatchingSearcher, QueryHits};
pub use config::ModelConfig;
pub use embeddings::{maxsim, TokenEmbeddings};
pub use encoder::{approx_token_count, Encoder};
pub use error::ColbertError;
pub use index::{
    is_built, is_disk_full, verify, CommitInfo, Damage, Documents, Index, IndexConfig, IndexReader,
    IndexWriter, SearchHit, SearchParams, SearchStages, StreamedDocuments, VectorSource,
};
pub use onnx::{OnnxEncoder, OnnxEncoderBuilder};
pub use plait_onnx::{OnnxRuntime, Optimization, SessionOptions};

/// Result alias of this crate.
pub type Result<T, E = ColbertError> = std::result::Result<T, E>;
