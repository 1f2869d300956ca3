//! The process-wide llama.cpp backend.

use std::sync::OnceLock;

use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::{send_logs_to_tracing, LogOptions};

use crate::{Result, SummarizeError};

/// A handle on the llama.cpp backend, initialised once per process.
#[derive(Debug, Clone, Copy)]
pub struct Llama {
    backend: &'static LlamaBackend,
}

static BACKEND: OnceLock<std::result::Result<LlamaBackend, String>> = OnceLock::new();

impl Llama {
    /// Initialises llama.cpp on first use (CPU only). Its log lines go to `tracing`: the
    /// load log of each model is collected ([`crate::LoadedModel::load_log`]) and the
    /// rest is dropped unless the application installs a subscriber.
    pub fn init() -> Result<Self> {
        let backend = BACKEND
            .get_or_init(|| {
                let b = LlamaBackend::init().map_err(|e| e.to_string())?;
                send_logs_to_tracing(LogOptions::default());
                Ok(b)
            })
            .as_ref()
            .map_err(|reason| SummarizeError::Backend {
                reason: reason.clone(),
            })?;
        Ok(Self { backend })
    }

    pub(crate) fn backend(&self) -> &'static LlamaBackend {
        self.backend
    }
}
