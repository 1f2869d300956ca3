//! Measurements of a model outside generation: the logits after a prompt, and what one
//! evaluation costs per batch size (benches and tests use these).

use std::time::Instant;

use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use crate::llm::new_context;
use crate::{LoadedModel, Result, SummarizeError};

impl LoadedModel {
    /// The target's logits for the token after `prompt` (one row of the vocabulary size).
    pub fn next_token_logits(&self, prompt: &str, threads: i32) -> Result<Vec<f32>> {
        let tokens = self.model.vocab().tokenize(prompt.as_bytes(), true, true);
        let err = |e: &dyn std::fmt::Display| SummarizeError::Decode {
            path: self.path().to_path_buf(),
            reason: e.to_string(),
        };
        if tokens.is_empty() {
            return Err(err(&"the prompt is empty"));
        }
        let n_ctx = (tokens.len() as u32 + 16).max(64);
        let mut ctx = new_context(self, n_ctx, threads)?;
        let mut batch = LlamaBatch::new(tokens.len(), 1);
        let last = tokens.len() - 1;
        for (i, &t) in tokens.iter().enumerate() {
            batch
                .add(t, i as i32, &[0], i == last)
                .map_err(|e| err(&e))?;
        }
        ctx.decode(&mut batch).map_err(|e| err(&e))?;
        Ok(ctx.get_logits_ith(last as i32).to_vec())
    }

    /// Seconds one evaluation of `n` new tokens takes after `position` tokens of context,
    /// for each `n` in `sizes` (mean of `reps`): what verifying a draft of `n - 1` tokens
    /// costs against one plain decoding step.
    pub fn batch_cost(
        &self,
        threads: i32,
        position: usize,
        sizes: &[usize],
        reps: usize,
    ) -> Result<Vec<(usize, f64)>> {
        let err = |e: &dyn std::fmt::Display| SummarizeError::Decode {
            path: self.path().to_path_buf(),
            reason: e.to_string(),
        };
        let largest = sizes.iter().copied().max().unwrap_or(1);
        let n_ctx = (position + largest + 16) as u32;
        let mut ctx = new_context(self, n_ctx, threads)?;
        let mut batch = LlamaBatch::new(n_ctx as usize, 1);
        let n_vocab = self.model.n_vocab().max(1);
        let token = |i: usize| LlamaToken(100 + (i as i32 * 7919) % (n_vocab - 100).max(1));
        for i in 0..position {
            batch
                .add(token(i), i as i32, &[0], i + 1 == position)
                .map_err(|e| err(&e))?;
        }
        if position > 0 {
            ctx.decode(&mut batch).map_err(|e| err(&e))?;
        }
        let mut out = Vec::with_capacity(sizes.len());
        for &n in sizes {
            let start = Instant::now();
            for _ in 0..reps.max(1) {
                batch.clear();
                for j in 0..n {
                    batch
                        .add(token(position + j), (position + j) as i32, &[0], true)
                        .map_err(|e| err(&e))?;
                }
                ctx.decode(&mut batch).map_err(|e| err(&e))?;
                ctx.clear_kv_cache_seq(Some(0), Some(position as u32), None)
                    .map_err(|e| err(&e))?;
            }
            out.push((n, start.elapsed().as_secs_f64() / reps.max(1) as f64));
        }
        Ok(out)
    }
}
