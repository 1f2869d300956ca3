//! Local GGUF models on llama.cpp: loading, decoding, and (later) document summaries.
//!
//! This is the only crate that links llama.cpp. Model files and thread counts are passed
//! in by the caller; the library never reads environment variables.

mod backend;
mod error;
mod generate;

pub use backend::Llama;
pub use error::SummarizeError;
pub use generate::{Generation, GenerationConfig, LoadedModel, ModelConfig, ModelInfo};

/// Result alias of this crate.
pub type Result<T, E = SummarizeError> = std::result::Result<T, E>;
