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

    /// The file is not a readable GGUF model.
    #[error("{path} is not a usable GGUF file: {reason}")]
    BadGguf { path: PathBuf, reason: String },

    /// An expert-count override was asked of a model without experts.
    #[error("cannot override the expert count of {path}: its architecture `{architecture}` has no experts (expert_count is absent or 0); remove `expert_used_count` from the role")]
    NoExperts { path: PathBuf, architecture: String },

    /// An expert-count override outside 1..=expert_count.
    #[error("cannot use {requested} experts per token with {path}: the model has {expert_count} experts; choose 1 to {expert_count}")]
    ExpertCountOutOfRange {
        path: PathBuf,
        requested: u32,
        expert_count: u64,
    },

    /// The draft model cannot propose tokens for the target.
    #[error("draft model {draft} cannot speculate for {target}: {reason}")]
    IncompatibleDraft {
        target: PathBuf,
        draft: PathBuf,
        reason: String,
    },

    /// The chat template could not be applied.
    #[error("cannot apply the chat template of {path}: {reason}")]
    Template { path: PathBuf, reason: String },

    /// A role file could not be read or is invalid.
    #[error("model roles in {path}: {reason}")]
    Roles { path: PathBuf, reason: String },

    /// No role of that name.
    #[error("no model role named `{name}` (known roles: {known}); `plait models` lists them")]
    UnknownRole { name: String, known: String },

    /// The document has no text to summarize.
    #[error("{path} has no text to summarize")]
    EmptyDocument { path: PathBuf },

    /// The document has too little text for a summary to say anything it does not.
    #[error("{path} has only {words} words of text, too little to summarize (at least {min} are needed); read it directly")]
    TooLittleText {
        path: PathBuf,
        words: usize,
        min: usize,
    },
}
