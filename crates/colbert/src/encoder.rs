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

    /// Tokens `text` takes in this encoder (without special tokens), for chunk
    /// budgets. The default counts words and punctuation marks.
    fn count_tokens(&self, text: &str) -> usize {
        approx_token_count(text)
    }

    /// A short description of the model, recorded with indexes.
    fn model_name(&self) -> String {
        "unnamed encoder".to_string()
    }
}

/// Words plus punctuation marks: close to what WordPiece tokenizers produce for code
/// and prose, for callers without a tokenizer.
pub fn approx_token_count(text: &str) -> usize {
    let mut n = 0;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            n += usize::from(!in_word);
            in_word = true;
        } else {
            in_word = false;
            n += usize::from(!c.is_whitespace());
        }
    }
    n
}
