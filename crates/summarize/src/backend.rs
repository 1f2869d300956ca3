//! The process-wide llama.cpp backend.

use std::sync::OnceLock;

use llama_cpp_2::llama_backend::LlamaBackend;

use crate::{Result, SummarizeError};

/// A handle on the llama.cpp backend, initialised once per process.
#[derive(Debug, Clone, Copy)]
pub struct Llama {
    backend: &'static LlamaBackend,
}

static BACKEND: OnceLock<std::result::Result<LlamaBackend, String>> = OnceLock::new();

impl Llama {
    /// Initialises llama.cpp on first use (CPU only). With `quiet`, llama.cpp's own log
    /// lines are dropped instead of going to stderr.
    pub fn init(quiet: bool) -> Result<Self> {
        let backend = BACKEND
            .get_or_init(|| {
                let mut b = LlamaBackend::init().map_err(|e| e.to_string())?;
                if quiet {
                    b.void_logs();
                }
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
