//! The error type of the `ask` crate.

use plait_ingest::IngestError;
use plait_summarize::SummarizeError;

/// Everything that can go wrong answering a question.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    /// The request breaks a rule of its own (the search part is checked by
    /// `Query::validate` and reported as [`AskError::Search`]).
    #[error("bad ask request: {reason}")]
    BadRequest { reason: String },

    /// Retrieval failed: a bad query, no index yet, a damaged index.
    #[error(transparent)]
    Search(#[from] IngestError),

    /// The model role could not load or generate.
    #[error(transparent)]
    Model(#[from] SummarizeError),

    /// The instructions and the question leave no room for any source in the role's
    /// context.
    #[error("the question and instructions take {prompt_tokens} of the {context} context tokens with {max_tokens} answer tokens reserved, leaving no room for sources; ask a shorter question, lower --max-tokens or use a role with a larger context")]
    NoRoom {
        prompt_tokens: usize,
        max_tokens: usize,
        context: usize,
    },

    /// An ask set (labelled questions) could not be read.
    #[error("ask set {path}: {reason}")]
    AskSet { path: String, reason: String },
}
