//! Loading a GGUF model: metadata checks, the expert-count override, and the load log.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::pin::pin;

use llama_cpp_2::model::params::kv_overrides::ParamOverrideValue;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;

use super::gguf::GgufInfo;
use super::logcapture::capture_logs;
use crate::{Llama, Result, SummarizeError};

/// How to load a model.
#[derive(Debug, Clone, Default)]
pub struct ModelConfig {
    /// The GGUF file.
    pub path: PathBuf,
    /// Experts used per token, overriding `<arch>.expert_used_count` (MoE models only).
    pub expert_used_count: Option<u32>,
    /// Load only the vocabulary (to inspect or compare tokenizers; cannot generate).
    pub vocab_only: bool,
}

impl ModelConfig {
    /// A model file with no overrides.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            expert_used_count: None,
            vocab_only: false,
        }
    }
}

/// What a loaded model says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// `general.architecture`.
    pub architecture: String,
    /// Training context length.
    pub n_ctx_train: u32,
    /// Vocabulary size.
    pub n_vocab: i32,
    /// Parameter count.
    pub n_params: u64,
    /// Transformer blocks.
    pub n_layer: u32,
    /// Whether the model keeps a recurrent state (SSM) instead of, or beside (hybrid), a
    /// KV cache; such state cannot be rolled back token by token.
    pub recurrent: bool,
    /// Whether the model mixes attention and recurrent layers.
    pub hybrid: bool,
}

/// A GGUF model loaded in memory.
pub struct LoadedModel {
    pub(crate) llama: Llama,
    pub(crate) model: LlamaModel,
    path: PathBuf,
    gguf: GgufInfo,
    expert_used_count: Option<u32>,
    load_log: Vec<String>,
    /// The text of every token, made on first use (grounded decoding).
    pub(crate) pieces: std::sync::OnceLock<Vec<String>>,
}

impl std::fmt::Debug for LoadedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModel")
            .field("path", &self.path)
            .field("expert_used_count", &self.expert_used_count)
            .finish_non_exhaustive()
    }
}

impl LoadedModel {
    /// Loads the model file (memory-mapped, CPU only). The GGUF metadata is read first, so
    /// an expert-count override is refused with a clear error for a model without experts
    /// or a count above `expert_count` before llama.cpp sees it.
    pub fn load(llama: Llama, config: &ModelConfig) -> Result<Self> {
        let path = config.path.clone();
        if !path.is_file() {
            return Err(SummarizeError::MissingModel { path });
        }
        let gguf = GgufInfo::read(&path)?;
        let mut params = pin!(LlamaModelParams::default().with_vocab_only(config.vocab_only));
        if let Some(n) = config.expert_used_count {
            let key = gguf.validate_expert_override(n)?;
            let key = CString::new(key).map_err(|e| SummarizeError::BadGguf {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            params
                .as_mut()
                .append_kv_override(&key, ParamOverrideValue::Int(i64::from(n)));
        }
        let (model, load_log) =
            capture_logs(|| LlamaModel::load_from_file(llama.backend(), &path, &params));
        let model = model.map_err(|e| SummarizeError::Load {
            path: path.clone(),
            reason: format!(
                "{e}{}",
                load_log
                    .iter()
                    .rev()
                    .find(|l| l.contains("error") || l.contains("failed"))
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default()
            ),
        })?;
        Ok(Self {
            llama,
            model,
            path,
            gguf,
            expert_used_count: config.expert_used_count,
            load_log,
            pieces: std::sync::OnceLock::new(),
        })
    }

    /// The file the model came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's GGUF metadata.
    pub fn gguf(&self) -> &GgufInfo {
        &self.gguf
    }

    /// The expert-count override applied at load, if any.
    pub fn expert_used_count(&self) -> Option<u32> {
        self.expert_used_count
    }

    /// llama.cpp's log lines from loading this model (hyperparameters as it read them,
    /// overrides applied, buffer sizes).
    pub fn load_log(&self) -> &[String] {
        &self.load_log
    }

    /// Architecture and sizes.
    pub fn info(&self) -> ModelInfo {
        ModelInfo {
            architecture: self.gguf.architecture().to_string(),
            n_ctx_train: self.model.n_ctx_train(),
            n_vocab: self.model.n_vocab(),
            n_params: self.model.n_params(),
            n_layer: self.model.n_layer(),
            recurrent: self.model.is_recurrent(),
            hybrid: self.model.is_hybrid(),
        }
    }

    /// Whether speculative verification (partial KV-cache removal) works for this model:
    /// recurrent and hybrid models cannot drop the last few positions of their state.
    pub fn can_speculate(&self) -> bool {
        !(self.model.is_recurrent() || self.model.is_hybrid())
    }

    /// Applies the model's own chat template to one user message (and an optional system
    /// message), ready for generation. Models without a template get the plain text.
    pub fn chat_prompt(&self, system: Option<&str>, user: &str) -> Result<String> {
        use llama_cpp_2::model::LlamaChatMessage;
        let Ok(template) = self.model.chat_template(None) else {
            return Ok(match system {
                Some(s) => format!("{s}\n\n{user}\n\n"),
                None => format!("{user}\n\n"),
            });
        };
        let bad = |e: &dyn std::fmt::Display| SummarizeError::Template {
            path: self.path.clone(),
            reason: e.to_string(),
        };
        let mut messages = Vec::new();
        if let Some(s) = system {
            messages.push(LlamaChatMessage::new("system".into(), s.into()).map_err(|e| bad(&e))?);
        }
        messages.push(LlamaChatMessage::new("user".into(), user.into()).map_err(|e| bad(&e))?);
        self.model
            .apply_chat_template(&template, &messages, true)
            .map_err(|e| bad(&e))
    }
}
