//! Local GGUF models on llama.cpp: loading (with expert-count overrides), plain,
//! draft-model and prompt-lookup decoding, model roles, and document summaries.
//!
//! This is the only crate that links llama.cpp. Model files, thread counts and role files
//! are passed in by the caller; the library never reads environment variables.

mod backend;
mod cite;
mod decode;
mod draft;
mod error;
mod gguf;
mod logcapture;
mod lookup;
mod model;
mod roles;
mod runner;
mod summary;

pub use backend::Llama;
pub use cite::{Citation, Section, Unit, MIN_SHARED_TERMS};
pub use decode::{DecodeConfig, Generation, Sampling, Strategy};
pub use draft::{check_vocab_compatible, DraftConfig};
pub use error::SummarizeError;
pub use gguf::{GgufInfo, GgufValue};
pub use lookup::{LookupConfig, LookupMemory};
pub use model::{LoadedModel, ModelConfig, ModelInfo};
pub use roles::{
    expert_plan, names as role_names, ExpertPlan, ModelFacts, Registry, Role, Speculation,
    SpeculationPlan, DEFAULT_ROLES_TOML, ROLES_FORMAT_VERSION,
};
pub use runner::{plan_role, RolePlan, RoleRunner};
pub use summary::{
    CitedSentence, Document, PhaseStats, Summarizer, Summary, SummaryConfig, SummaryEvent,
};

/// Result alias of this crate.
pub type Result<T, E = SummarizeError> = std::result::Result<T, E>;
