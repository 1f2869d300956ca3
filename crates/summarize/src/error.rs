//! The error type of the `summarize` crate.

use std::path::PathBuf;

/// Everything that can go wrong loading or running a local model.
#[derive(Debug, thiserror::Error)]
pub enum SummarizeError {
    /// The llama.cpp backend could not be initialised.
    #[error("cannot initialise llama.cpp: {reason}")]
    Backend { reason: String },

    /// The model file is missing.
    #[error("model file {path} does not exist")]
    MissingModel { path: PathBuf },

    /// llama.cpp refused to load the model file.
    #[error("cannot load GGUF model {path}: {reason}")]
    Load { path: PathBuf, reason: String },

    /// A context (KV cache) could not be created.
    #[error("cannot create a context of {n_ctx} tokens for {path}: {reason}")]
    Context {
        path: PathBuf,
        n_ctx: u32,
        reason: String,
    },

    /// The prompt does not fit the context.
    #[error("prompt of {prompt_tokens} tokens plus {max_tokens} new tokens exceeds the context of {n_ctx} tokens")]
    PromptTooLong {
        prompt_tokens: usize,
        max_tokens: usize,
        n_ctx: u32,
    },

    /// Evaluating a batch failed.
    #[error("decoding failed for {path}: {reason}")]
    Decode { path: PathBuf, reason: String },
}
