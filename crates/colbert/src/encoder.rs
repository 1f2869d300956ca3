//! The `Encoder` seam: text in, per-token vectors out.

use crate::{Result, TokenEmbeddings};

/// Turns queries and documents into token vectors.
///
/// Implemented by [`crate::OnnxEncoder`] for real models and by
/// [`crate::testing::HashEncoder`] for deterministic tests of everything downstream.
pub trait Encoder: Send + Sync {
    /// Dimension of every produced vector.
    fn dim(&self) -> usize;

    /// Encodes queries (query prefix, query length, expansion if configured).
    fn encode_queries(&self, queries: &[&str]) -> Result<Vec<TokenEmbeddings>>;

    /// Encodes documents (document prefix, truncation, skiplist applied).
    fn encode_documents(&self, documents: &[&str]) -> Result<Vec<TokenEmbeddings>>;
}
