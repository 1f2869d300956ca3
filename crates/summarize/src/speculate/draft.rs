//! Drafting with a smaller model that shares the target's vocabulary: it runs greedily
//! ahead of the target for up to `n_max` tokens while it is at least `p_min` sure, keeping
//! its own KV cache in step with the accepted text (rejected positions are removed).
//!
//! It drafts only while drafting pays: each further token is added when the chance that
//! it is accepted (the draft's own probabilities, calibrated by the acceptance seen so
//! far) times the cost of a plain step exceeds what it costs (one draft step plus the
//! larger verification batch, both measured). When even one token does not pay, the
//! draft model rests for a few steps (doubling, up to [`MAX_REST`]) and then probes again,
//! so a draft that loses is never run for long. The estimate leaves out costs that are
//! hard to predict (catching the draft's cache up with the accepted text, a rejected
//! tail), so the realised payoff of each round is measured too: the plain steps its
//! tokens would have cost against the seconds the round took (drafting and
//! verification). When that falls below break-even, the draft model rests as well.

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use super::cost::BatchCosts;
use super::Drafter;
use crate::llm::new_context;
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
    /// Draft only while the measured costs and acceptance pay (the default); when false,
    /// draft up to `n_max` while `p_min` holds, as llama.cpp does.
    #[serde(default = "adaptive_default")]
    pub adaptive: bool,
}

fn adaptive_default() -> bool {
    true
}

impl Default for DraftConfig {
    fn default() -> Self {
        Self {
            n_max: 16,
            n_min: 0,
            p_min: 0.75,
            adaptive: true,
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

/// Highest chance a drafted token is accepted that the draft's probabilities can give.
const MAX_CHANCE: f64 = 0.99;
/// Most target steps the draft model rests after a draft that did not pay.
const MAX_REST: usize = 8;
/// Bounds of the calibration of the draft's probabilities against real acceptance.
const CALIBRATION: (f64, f64) = (0.2, 1.5);

/// A draft model with its own context.
pub(crate) struct DraftModel<'d> {
    model: &'d LoadedModel,
    ctx: LlamaContext<'d>,
    batch: LlamaBatch<'d>,
    config: DraftConfig,
    /// Tokens whose keys and values are in the draft's cache, from position 0.
    cached: Vec<LlamaToken>,
    /// The target's measured cost per batch size.
    target: BatchCosts,
    /// Seconds of one draft-model step (one token), with decay.
    step: Option<f64>,
    /// Accepted tokens per token the draft's probabilities predicted, with decay.
    calibration: f64,
    /// Expected accepted tokens of the draft being verified.
    predicted: f64,
    /// Steps left to rest, and the next rest's length.
    rest: usize,
    next_rest: usize,
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
            target: BatchCosts::new(config.n_max + 1),
            step: None,
            calibration: 1.0,
            predicted: 0.0,
            rest: 0,
            next_rest: 1,
        })
    }

    /// Whether adding draft token number `k + 1` (1-based), accepted with chance `chance`
    /// (all earlier ones included), is expected to pay: once costs are measured, the
    /// expected gain (in plain steps) must beat one draft step plus the growth of the
    /// verification batch, both relative to a plain step.
    fn pays(&self, k: usize, chance: f64) -> bool {
        !self.config.adaptive || pays_at(&self.target, self.step, k, chance)
    }

    /// Rests for the next rest's length and doubles it (up to [`MAX_REST`]).
    fn start_rest(&mut self) {
        self.rest = self.next_rest;
        self.next_rest = (self.next_rest * 2).min(MAX_REST);
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

/// Whether draft token number `k + 1`, accepted with chance `chance`, pays at the
/// target's measured batch costs and the draft's measured `step` (seconds of one draft
/// token); true while either is unmeasured (drafting is how they are learned).
fn pays_at(target: &BatchCosts, step: Option<f64>, k: usize, chance: f64) -> bool {
    let Some(step) = relative_step(target, step) else {
        return true;
    };
    let growth = target.relative(k + 2) - target.relative(k + 1);
    chance > step + growth
}

/// A draft step in plain target steps, once both and a larger target batch are measured.
fn relative_step(target: &BatchCosts, step: Option<f64>) -> Option<f64> {
    let (plain, step) = (target.single()?, step?);
    (!target.unknown()).then_some(step / plain)
}

/// Whether a draft of up to `n_max` tokens, each accepted with [`MAX_CHANCE`], could
/// save more plain steps than it costs: catching the draft's cache up by `behind` tokens
/// (one batch, scaled like the target's batches), one draft step per token and the
/// larger verification batch. True while costs are unmeasured.
fn could_pay(target: &BatchCosts, step: Option<f64>, behind: usize, n_max: usize) -> bool {
    let Some(step) = relative_step(target, step) else {
        return true;
    };
    let catch_up = if behind == 0 {
        0.0
    } else {
        step * target.relative(behind)
    };
    let (mut chance, mut saved) = (1.0, 0.0);
    (1..=n_max).any(|n| {
        chance *= MAX_CHANCE;
        saved += chance;
        saved > catch_up + n as f64 * step + target.relative(n + 1) - 1.0
    })
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
        if self.config.adaptive && self.target.needs_single() {
            return Ok(Vec::new()); // one plain step, to learn what drafting is weighed against
        }
        if max == 0 {
            // The prompt: read it now, so the first draft costs one step.
            self.sync(history)?;
            return Ok(Vec::new());
        }
        if self.rest > 0 {
            self.rest -= 1;
            return Ok(Vec::new());
        }
        // Catching the draft's cache up is a batch of every token since the last draft:
        // first check that a draft the model is sure of could pay for it and for its own
        // verification at the measured costs. Where batches cost nearly as much per token
        // as plain steps (llama.cpp's CPU kernels on 2 cores), none can, and the draft
        // model then rests without running at all.
        let behind = history.len().saturating_sub(self.cached.len());
        if self.config.adaptive
            && !could_pay(&self.target, self.step, behind, max.min(self.config.n_max))
        {
            self.start_rest();
            return Ok(Vec::new());
        }
        let mut row = self.sync(history)?;
        let mut draft = Vec::new();
        let n_max = max.min(self.config.n_max);
        let mut chance = 1.0f64;
        let mut predicted = 0.0;
        while draft.len() < n_max {
            let (token, p) = best(self.ctx.get_logits_ith(row));
            if p < self.config.p_min {
                break;
            }
            let next = chance * (f64::from(p) * self.calibration).min(MAX_CHANCE);
            if !self.pays(draft.len(), next) {
                break;
            }
            chance = next;
            predicted += chance;
            draft.push(token);
            if draft.len() == n_max || self.model.model.vocab().is_eog(token) {
                break;
            }
            self.batch.clear();
            self.batch
                .add(token, self.cached.len() as i32, &[0], true)
                .map_err(|e| self.err(&e))?;
            let t = std::time::Instant::now();
            self.ctx.decode(&mut self.batch).map_err(|e| self.err(&e))?;
            let secs = t.elapsed().as_secs_f64();
            self.step = Some(self.step.map_or(secs, |s| 0.8 * s + 0.2 * secs));
            self.cached.push(token);
            row = 0;
        }
        if draft.len() < self.config.n_min {
            draft.clear();
        }
        if draft.is_empty() && self.step.is_some() && !self.target.unknown() {
            self.start_rest();
        } else if !draft.is_empty() {
            self.next_rest = 1;
        }
        self.predicted = predicted;
        Ok(draft)
    }

    fn feedback(&mut self, drafted: usize, accepted: usize) {
        if drafted > 0 && self.predicted > 0.0 {
            let ratio = accepted as f64 / self.predicted;
            self.calibration =
                (0.8 * self.calibration + 0.2 * ratio).clamp(CALIBRATION.0, CALIBRATION.1);
        }
    }

    fn observe_cost(&mut self, batch: usize, seconds: f64) {
        self.target.observe(batch, seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sure_token_pays_only_where_verification_batches_are_cheap() {
        let mut target = BatchCosts::new(9);
        assert!(
            pays_at(&target, None, 0, 0.5),
            "nothing measured: draft to learn"
        );
        // Measured on a 2-core AVX2 build (Qwen2.5-Coder 1.5B target, 0.5B draft): a
        // batch of 9 costs 7.1 plain steps, a draft token 0.45 of one.
        target.observe(1, 0.036);
        target.observe(9, 0.258);
        let step = Some(0.016);
        assert!(
            !pays_at(&target, step, 0, MAX_CHANCE),
            "no token can pay here"
        );
        // A draft step of a ninth of a plain step makes a sure 8-token draft pay barely,
        // but not once the cache must catch up on 8 tokens first.
        let quick = Some(0.004);
        assert!(could_pay(&target, quick, 1, 8));
        assert!(!could_pay(&target, quick, 8, 8));
        // Where a batch of 9 costs 1.5 plain steps (memory-bound decoding), a likely
        // first token pays and an unlikely one does not.
        let mut cheap = BatchCosts::new(9);
        cheap.observe(1, 0.036);
        cheap.observe(9, 0.054);
        assert!(pays_at(&cheap, step, 0, 0.9));
        assert!(!pays_at(&cheap, step, 0, 0.4));
        assert!(
            could_pay(&cheap, step, 8, 8),
            "cheap batches pay for catching up"
        );
    }
}
