//! Local GGUF models on llama.cpp: loading (with expert-count overrides), plain,
//! draft-model and prompt-lookup decoding, model roles, and document summaries.
//!
//! Layers, bottom up: `llm` (backend, GGUF, models, contexts, tokens), `speculate`
//! (drafters: draft model, prompt lookup), `decode` (the loop, choosing and emitting
//! tokens), `roles` (role files and runners), `summary` (summaries, citations, checks).
//! This is the only crate that links llama.cpp. Model files, thread counts and role files
//! are passed in by the caller; the library never reads environment variables.

mod decode;
mod error;
mod llm;
mod roles;
mod speculate;
mod summary;

pub use decode::{
    is_identifier_like, parting, DecodeConfig, Generation, Sampling, SourceWords, Strategy,
};
pub use error::SummarizeError;
pub use llm::{GgufInfo, GgufValue, Llama, LoadedModel, ModelConfig, ModelInfo, Session};
pub use roles::{
    expert_plan, names as role_names, plan_role, ExpertPlan, GenerateOptions, ModelFacts, Registry,
    Role, RolePlan, RoleRunner, RoleSession, Speculation, SpeculationPlan, DEFAULT_ROLES_TOML,
    ROLES_FORMAT_VERSION,
};
pub use speculate::draft::{check_vocab_compatible, DraftConfig};
pub use speculate::lookup::{LookupConfig, LookupMemory};
pub use summary::check::{
    content_stems, stem, Faithfulness, SentenceCheck, SourceIndex, DUPLICATE_OVERLAP,
};
pub use summary::cite::{terms, Citation, Section, SentenceSplitter, Unit, MIN_SHARED_TERMS};
pub use summary::{
    CitedSentence, Document, PhaseStats, Summarizer, Summary, SummaryConfig, SummaryEvent,
};

/// Result alias of this crate.
pub type Result<T, E = SummarizeError> = std::result::Result<T, E>;
