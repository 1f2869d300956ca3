//! The model layer: the llama.cpp backend, GGUF headers, loading models, contexts and
//! tokenizing. Everything above (decoding, speculation, roles, summaries) goes through it.

mod backend;
mod context;
mod gguf;
mod logcapture;
mod model;
mod tokens;

pub use backend::Llama;
pub(crate) use context::new_context;
pub use context::Session;
pub use gguf::{GgufInfo, GgufValue};
pub use model::{LoadedModel, ModelConfig, ModelInfo};
