//! Loading a GGUF model and plain (greedy or sampled) decoding with streaming.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;

use crate::{Llama, Result, SummarizeError};

/// How to load a model.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// The GGUF file.
    pub path: PathBuf,
}

/// How to decode.
#[derive(Debug, Clone)]
pub struct GenerationConfig {
    /// Context size in tokens (prompt + output).
    pub n_ctx: u32,
    /// CPU threads for decoding and prompt processing.
    pub threads: i32,
    /// Maximum number of new tokens.
    pub max_tokens: usize,
    /// `None` for greedy decoding, else the sampling temperature.
    pub temperature: Option<f32>,
    /// Seed of the sampler when `temperature` is set.
    pub seed: u32,
}

impl Default for GenerationConfig {
    fn default() -> Self {
        Self {
            n_ctx: 2048,
            threads: 2,
            max_tokens: 128,
            temperature: None,
            seed: 0,
        }
    }
}

/// What a model file says about itself.
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
}

/// The result of one generation.
#[derive(Debug, Clone)]
pub struct Generation {
    /// The generated text.
    pub text: String,
    /// Prompt length in tokens.
    pub prompt_tokens: usize,
    /// Number of generated tokens.
    pub generated_tokens: usize,
    /// Generation speed, excluding prompt processing.
    pub tokens_per_second: f64,
}

/// A GGUF model loaded in memory.
pub struct LoadedModel {
    llama: Llama,
    model: LlamaModel,
    path: PathBuf,
}

impl std::fmt::Debug for LoadedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModel")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl LoadedModel {
    /// Loads the model file (memory-mapped, CPU only).
    pub fn load(llama: Llama, config: &ModelConfig) -> Result<Self> {
        let path = config.path.clone();
        if !path.is_file() {
            return Err(SummarizeError::MissingModel { path });
        }
        let model =
            LlamaModel::load_from_file(llama.backend(), &path, &LlamaModelParams::default())
                .map_err(|e| SummarizeError::Load {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
        Ok(Self { llama, model, path })
    }

    /// The file the model came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Architecture and sizes from the GGUF metadata.
    pub fn info(&self) -> ModelInfo {
        ModelInfo {
            architecture: self
                .model
                .meta_val_str("general.architecture")
                .unwrap_or_default(),
            n_ctx_train: self.model.n_ctx_train(),
            n_vocab: self.model.n_vocab(),
            n_params: self.model.n_params(),
        }
    }

    /// Generates a continuation of `prompt` (tokenized with BOS as the model asks),
    /// calling `on_piece` with each piece of text as soon as it is decoded.
    pub fn generate(
        &self,
        prompt: &str,
        config: &GenerationConfig,
        mut on_piece: impl FnMut(&str),
    ) -> Result<Generation> {
        let decode_err = |e: &dyn std::fmt::Display| SummarizeError::Decode {
            path: self.path.clone(),
            reason: e.to_string(),
        };
        let n_ctx = config.n_ctx.max(16);
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx))
            .with_n_batch(n_ctx)
            .with_n_threads(config.threads)
            .with_n_threads_batch(config.threads);
        let mut ctx = self
            .model
            .new_context(self.llama.backend(), params)
            .map_err(|e| SummarizeError::Context {
                path: self.path.clone(),
                n_ctx,
                reason: e.to_string(),
            })?;
        let vocab = self.model.vocab();
        // add_special: BOS where the model wants it; parse_special: chat-template markers.
        let tokens = vocab.tokenize(prompt.as_bytes(), true, true);
        if tokens.is_empty() {
            return Err(decode_err(&"the prompt is empty"));
        }
        if tokens.len() + config.max_tokens > n_ctx as usize {
            return Err(SummarizeError::PromptTooLong {
                prompt_tokens: tokens.len(),
                max_tokens: config.max_tokens,
                n_ctx,
            });
        }
        let mut batch = LlamaBatch::new(n_ctx as usize, 1);
        let last = tokens.len() - 1;
        for (i, &t) in tokens.iter().enumerate() {
            batch
                .add(t, i as i32, &[0], i == last)
                .map_err(|e| decode_err(&e))?;
        }
        ctx.decode(&mut batch).map_err(|e| decode_err(&e))?;

        let mut sampler = match config.temperature {
            None => LlamaSampler::greedy(),
            Some(t) => {
                LlamaSampler::chain_simple([LlamaSampler::temp(t), LlamaSampler::dist(config.seed)])
            }
        };
        let mut decoder = encoding_rs::UTF_8.new_decoder();
        let mut text = String::new();
        let mut pos = tokens.len() as i32;
        let mut generated = 0usize;
        let start = Instant::now();
        while generated < config.max_tokens {
            let token = sampler.sample(&ctx, batch.n_tokens() - 1);
            sampler.accept(token);
            if vocab.is_eog(token) {
                break;
            }
            generated += 1;
            let bytes = vocab.token_to_piece(token, false, None);
            let mut piece = String::with_capacity(bytes.len() + 4);
            let _ = decoder.decode_to_string(&bytes, &mut piece, false);
            on_piece(&piece);
            text.push_str(&piece);
            batch.clear();
            batch
                .add(token, pos, &[0], true)
                .map_err(|e| decode_err(&e))?;
            pos += 1;
            ctx.decode(&mut batch).map_err(|e| decode_err(&e))?;
        }
        let secs = start.elapsed().as_secs_f64();
        Ok(Generation {
            text,
            prompt_tokens: tokens.len(),
            generated_tokens: generated,
            tokens_per_second: if secs > 0.0 {
                generated as f64 / secs
            } else {
                0.0
            },
        })
    }
}
