//! llama.cpp contexts (KV caches) for a loaded model.

use std::num::NonZeroU32;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use crate::{LoadedModel, Result, SummarizeError};

/// A context of `n_ctx` tokens evaluating batches of up to `n_ctx` tokens on `threads`.
pub(crate) fn new_context<'m>(
    model: &'m LoadedModel,
    n_ctx: u32,
    threads: i32,
) -> Result<LlamaContext<'m>> {
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(n_ctx))
        .with_n_batch(n_ctx)
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    model
        .model
        .new_context(model.llama.backend(), params)
        .map_err(|e| SummarizeError::Context {
            path: model.path().to_path_buf(),
            n_ctx,
            reason: e.to_string(),
        })
}

/// A context kept between generations of one model: the keys and values of the last
/// prompt stay in the cache, so a prompt starting with the same tokens (shared
/// instructions, a repeated document) evaluates only what follows them. Made by
/// [`LoadedModel::session`].
pub struct Session<'m> {
    pub(crate) model: &'m LoadedModel,
    pub(crate) ctx: LlamaContext<'m>,
    pub(crate) n_ctx: u32,
    pub(crate) threads: i32,
    /// Tokens whose keys and values are in the cache, from position 0.
    cached: Vec<LlamaToken>,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("model", &self.model.path())
            .field("n_ctx", &self.n_ctx)
            .field("cached", &self.cached.len())
            .finish_non_exhaustive()
    }
}

impl LoadedModel {
    /// A session with a context of `n_ctx` tokens on `threads` threads.
    pub fn session(&self, n_ctx: u32, threads: i32) -> Result<Session<'_>> {
        Ok(Session {
            model: self,
            ctx: new_context(self, n_ctx, threads)?,
            n_ctx,
            threads,
            cached: Vec::new(),
        })
    }
}

impl Session<'_> {
    pub(crate) fn err(&self, e: &dyn std::fmt::Display) -> SummarizeError {
        SummarizeError::Decode {
            path: self.model.path().to_path_buf(),
            reason: e.to_string(),
        }
    }

    /// Evaluates `tokens` (a prompt) after what the cache already holds of them, leaving
    /// the logits after the last token; returns the number of tokens reused. Models with a
    /// recurrent state cannot drop positions, so they start over.
    pub(crate) fn prefill(&mut self, tokens: &[LlamaToken]) -> Result<usize> {
        let mut common = self
            .cached
            .iter()
            .zip(tokens)
            .take_while(|(a, b)| a == b)
            .count()
            .min(tokens.len().saturating_sub(1));
        if !self.model.can_speculate() {
            common = 0;
        }
        self.cached.clear();
        if common == 0 {
            self.ctx.clear_kv_cache();
        } else {
            self.ctx
                .clear_kv_cache_seq(Some(0), Some(common as u32), None)
                .map_err(|e| self.err(&e))?;
        }
        let mut batch = LlamaBatch::new(tokens.len() - common, 1);
        let last = tokens.len() - 1;
        for (i, &t) in tokens.iter().enumerate().skip(common) {
            batch
                .add(t, i as i32, &[0], i == last)
                .map_err(|e| self.err(&e))?;
        }
        self.ctx.decode(&mut batch).map_err(|e| self.err(&e))?;
        self.cached.extend_from_slice(tokens);
        Ok(common)
    }

    /// After a generation: keeps the first `n` cached tokens (the prompt) and drops the
    /// generated ones.
    pub(crate) fn keep_prompt(&mut self, n: usize) -> Result<()> {
        if !self.model.can_speculate() {
            self.cached.clear();
            return Ok(());
        }
        self.ctx
            .clear_kv_cache_seq(Some(0), Some(n as u32), None)
            .map_err(|e| self.err(&e))?;
        self.cached.truncate(n);
        Ok(())
    }
}
