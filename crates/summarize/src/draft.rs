//! Drafting with a smaller model that shares the target's vocabulary: it runs greedily
//! ahead of the target for up to `n_max` tokens while it is at least `p_min` sure, keeping
//! its own KV cache in step with the accepted text (rejected positions are removed).

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use crate::decode::{new_context, Drafter};
use crate::{LoadedModel, Result, SummarizeError};

/// Draft-model parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftConfig {
    /// Most tokens drafted per step.
    pub n_max: usize,
    /// Drafts shorter than this are dropped (not worth a verification batch).
    pub n_min: usize,
    /// Drafting stops at a token the draft model gives less than this probability.
    pub p_min: f32,
}

impl Default for DraftConfig {
    fn default() -> Self {
        Self {
            n_max: 16,
            n_min: 0,
            p_min: 0.75,
        }
    }
}

/// Vocabulary sizes may differ by this much (padding rows), as llama.cpp allows.
const MAX_VOCAB_SIZE_DIFFERENCE: i32 = 128;
/// Token texts are compared from this id on (the first ids are often special markers
/// that differ harmlessly), as llama.cpp does.
const VOCAB_CHECK_START: i32 = 5;

/// Checks that `draft` can propose tokens for `target`, the way llama.cpp checks it: same
/// tokenizer type, same BOS/EOS handling and ids, vocabulary sizes within
/// [`MAX_VOCAB_SIZE_DIFFERENCE`], and the same text for every shared token id.
pub fn check_vocab_compatible(target: &LoadedModel, draft: &LoadedModel) -> Result<()> {
    let (tv, dv) = (target.model.vocab(), draft.model.vocab());
    let refuse = |reason: String| SummarizeError::IncompatibleDraft {
        target: target.path().to_path_buf(),
        draft: draft.path().to_path_buf(),
        reason,
    };
    if tv.vocab_type() != dv.vocab_type() {
        return Err(refuse(format!(
            "tokenizer types differ ({:?} and {:?})",
            tv.vocab_type(),
            dv.vocab_type()
        )));
    }
    if tv.should_add_bos() != dv.should_add_bos()
        || tv.should_add_eos() != dv.should_add_eos()
        || (tv.should_add_bos() && tv.bos() != dv.bos())
        || tv.eos() != dv.eos()
    {
        return Err(refuse(format!(
            "special tokens differ (BOS {} / {}, EOS {} / {})",
            tv.bos().0,
            dv.bos().0,
            tv.eos().0,
            dv.eos().0
        )));
    }
    let (nt, nd) = (tv.n_tokens(), dv.n_tokens());
    if (nt - nd).abs() > MAX_VOCAB_SIZE_DIFFERENCE {
        return Err(refuse(format!(
            "vocabulary sizes differ by {} ({nt} and {nd}; at most {MAX_VOCAB_SIZE_DIFFERENCE} allowed)",
            (nt - nd).abs()
        )));
    }
    for id in VOCAB_CHECK_START..nt.min(nd) {
        let t = LlamaToken(id);
        if tv.text(t) != dv.text(t) {
            return Err(refuse(format!(
                "token {id} is {:?} in the target and {:?} in the draft",
                tv.text(t).map(|s| s.to_string_lossy()),
                dv.text(t).map(|s| s.to_string_lossy())
            )));
        }
    }
    Ok(())
}

/// A draft model with its own context.
pub(crate) struct DraftModel<'d> {
    model: &'d LoadedModel,
    ctx: LlamaContext<'d>,
    batch: LlamaBatch<'d>,
    config: DraftConfig,
    /// Tokens whose keys and values are in the draft's cache, from position 0.
    cached: Vec<LlamaToken>,
}

impl<'d> DraftModel<'d> {
    pub(crate) fn new(
        target: &LoadedModel,
        draft: &'d LoadedModel,
        config: DraftConfig,
        n_ctx: u32,
        threads: i32,
    ) -> Result<Self> {
        check_vocab_compatible(target, draft)?;
        if !draft.can_speculate() {
            return Err(SummarizeError::IncompatibleDraft {
                target: target.path().to_path_buf(),
                draft: draft.path().to_path_buf(),
                reason: "the draft model is recurrent or hybrid and cannot roll back its state"
                    .into(),
            });
        }
        Ok(Self {
            model: draft,
            ctx: new_context(draft, n_ctx, threads)?,
            batch: LlamaBatch::new(n_ctx as usize, 1),
            config,
            cached: Vec::new(),
        })
    }

    fn err(&self, e: &dyn std::fmt::Display) -> SummarizeError {
        SummarizeError::Decode {
            path: self.model.path().to_path_buf(),
            reason: e.to_string(),
        }
    }

    /// Brings the draft's cache to `history` and returns the batch row holding the logits
    /// after its last token.
    fn sync(&mut self, history: &[LlamaToken]) -> Result<i32> {
        let mut common = self
            .cached
            .iter()
            .zip(history)
            .take_while(|(a, b)| a == b)
            .count();
        if common == history.len() {
            // Logits after the last token are needed: evaluate it again.
            common -= 1;
        }
        if common < self.cached.len() {
            self.ctx
                .clear_kv_cache_seq(Some(0), Some(common as u32), None)
                .map_err(|e| self.err(&e))?;
            self.cached.truncate(common);
        }
        self.batch.clear();
        let last = history.len() - 1;
        for (i, &t) in history.iter().enumerate().skip(common) {
            self.batch
                .add(t, i as i32, &[0], i == last)
                .map_err(|e| self.err(&e))?;
        }
        self.ctx.decode(&mut self.batch).map_err(|e| self.err(&e))?;
        self.cached.extend_from_slice(&history[common..]);
        Ok(self.batch.n_tokens() - 1)
    }
}

/// The most likely token of a logit row and its probability.
fn best(logits: &[f32]) -> (LlamaToken, f32) {
    let (mut arg, mut top) = (0usize, f32::NEG_INFINITY);
    for (i, &x) in logits.iter().enumerate() {
        if x > top {
            top = x;
            arg = i;
        }
    }
    let sum: f32 = logits.iter().map(|&x| (x - top).exp()).sum();
    (LlamaToken(arg as i32), 1.0 / sum)
}

impl Drafter for DraftModel<'_> {
    fn propose(&mut self, history: &[LlamaToken], max: usize) -> Result<Vec<LlamaToken>> {
        if history.is_empty() {
            return Ok(Vec::new());
        }
        let mut row = self.sync(history)?;
        let mut draft = Vec::new();
        let n_max = max.min(self.config.n_max);
        while draft.len() < n_max {
            let (token, p) = best(self.ctx.get_logits_ith(row));
            if p < self.config.p_min {
                break;
            }
            draft.push(token);
            if draft.len() == n_max || self.model.model.vocab().is_eog(token) {
                break;
            }
            self.batch.clear();
            self.batch
                .add(token, self.cached.len() as i32, &[0], true)
                .map_err(|e| self.err(&e))?;
            self.ctx.decode(&mut self.batch).map_err(|e| self.err(&e))?;
            self.cached.push(token);
            row = 0;
        }
        if draft.len() < self.config.n_min {
            draft.clear();
        }
        Ok(draft)
    }

    fn feedback(&mut self, _: usize, _: usize) {}
}
