//! Decoding: plain (greedy or sampled), and speculative decoding where a drafter (a draft
//! model or prompt lookup) proposes tokens that the target verifies in one batch.
//!
//! One loop serves every strategy. The token chosen last (`next`) is not yet in the
//! target's KV cache; each step puts `next` and the drafted tokens after it into one batch
//! with logits at every position, then walks the rows: row `i` gives the target's own
//! choice after `next, d1..di`. Drafted tokens are accepted while they equal that choice;
//! the first row that disagrees gives the next `next`. KV entries of rejected drafts are
//! removed. With greedy sampling the output is the target's greedy output (up to
//! floating-point differences between batch shapes, see [`Generation::margins`]); with
//! temperature sampling every emitted token is still sampled from the target.

mod choose;
mod emit;
pub(crate) mod ground;
#[cfg(feature = "testing")]
mod probe;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use crate::llm::Session;
use crate::speculate::both::Both;
use crate::speculate::draft::{DraftConfig, DraftModel};
use crate::speculate::guard::Guarded;
use crate::speculate::lookup::{LookupConfig, LookupMemory, PromptLookup};
use crate::speculate::{Drafter, NoDraft};
use crate::{LoadedModel, Result, SummarizeError};
use choose::{is_looping, Chooser, Grounding};
use emit::Emitter;
pub use ground::{is_identifier_like, SourceWords};

/// How each token is chosen from the target's distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// The most likely token.
    Greedy,
    /// Sampling at a temperature with a seeded generator.
    Temperature { temperature: f32, seed: u32 },
}

/// How to decode.
#[derive(Debug, Clone)]
pub struct DecodeConfig {
    /// Context size in tokens (prompt + output + one draft).
    pub n_ctx: u32,
    /// CPU threads for decoding and prompt processing.
    pub threads: i32,
    /// Maximum number of new tokens.
    pub max_tokens: usize,
    pub sampling: Sampling,
    /// Repetition penalty on tokens among the last `repeat_last_n` generated ones (1.0 =
    /// off): positive logits are divided by it, negative ones multiplied. Only generated
    /// tokens count, so copying from the prompt is not penalised.
    pub repeat_penalty: f32,
    pub repeat_last_n: usize,
    /// Never repeat an n-gram of this size from the output so far (0 = off): the token
    /// that would complete one is excluded. Unlike the repetition penalty it leaves single
    /// words alone and never touches copying from the prompt, so quoting stays verbatim
    /// while loops cannot form.
    pub no_repeat_ngram: usize,
    /// Stop when the output ends with the same run of tokens three times in a row (a
    /// greedy loop that would otherwise fill `max_tokens`).
    pub stop_on_loop: bool,
    /// Record the gap between the two best logits of every emitted token (under
    /// grounding, between the chosen token and the next token grounding allows).
    pub record_margins: bool,
    /// Tokens never chosen as the first generated token (to start differently from an
    /// answer that was refused).
    pub ban_first: Vec<i32>,
    /// Tokens never chosen while every token generated so far is one of `lead`: a
    /// text told not to open with a word cannot write it after a citation marker,
    /// quote or emphasis either (`[2] NOT FOUND` is refused like `NOT FOUND`).
    pub ban_opening: Vec<i32>,
    /// Tokens that do not open the text for `ban_opening` (sorted).
    pub lead: Vec<i32>,
    /// Grounded decoding: identifier-like words only where they continue a word of
    /// these (see [`ground`]); `None` leaves every token free.
    pub grounding: Option<Arc<SourceWords>>,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        Self {
            n_ctx: 2048,
            threads: 2,
            max_tokens: 128,
            sampling: Sampling::Greedy,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            no_repeat_ngram: 0,
            stop_on_loop: false,
            record_margins: false,
            ban_first: Vec::new(),
            ban_opening: Vec::new(),
            lead: Vec::new(),
            grounding: None,
        }
    }
}

/// The acceleration of one generation.
#[derive(Debug, Clone, Copy)]
pub enum Strategy<'a> {
    /// One token per target evaluation.
    Plain,
    /// Drafts from n-gram matches in the prompt and the output so far.
    PromptLookup(LookupConfig),
    /// Prompt lookup that starts from, and adds to, what earlier generations with the
    /// same model and thread count learned (acceptance, batch costs).
    PromptLookupWithMemory(LookupConfig, &'a LookupMemory),
    /// Drafts from a smaller model sharing the target's vocabulary.
    Draft {
        model: &'a LoadedModel,
        config: DraftConfig,
    },
    /// Prompt lookup where it finds a match worth drafting, the draft model elsewhere.
    DraftAndLookup {
        model: &'a LoadedModel,
        config: DraftConfig,
        lookup: LookupConfig,
    },
}

impl Strategy<'_> {
    /// Short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::PromptLookup(_) | Self::PromptLookupWithMemory(..) => "prompt-lookup",
            Self::Draft { .. } => "draft-model",
            Self::DraftAndLookup { .. } => "draft-model+lookup",
        }
    }
}

/// The result of one generation.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Generation {
    /// The generated text.
    pub text: String,
    /// The generated token ids.
    pub tokens: Vec<i32>,
    /// Prompt length in tokens.
    pub prompt_tokens: usize,
    /// Number of generated tokens.
    pub generated_tokens: usize,
    /// Time to evaluate the prompt.
    pub prompt_seconds: f64,
    /// Time from the first to the last generated token.
    pub decode_seconds: f64,
    /// Generation speed, excluding prompt processing.
    pub tokens_per_second: f64,
    /// The strategy actually used.
    pub strategy: String,
    /// Prompt tokens whose keys and values were reused from the session's previous
    /// prompt (not evaluated again).
    pub reused_prompt_tokens: usize,
    /// Whether generation stopped because the output started looping.
    pub stopped_on_loop: bool,
    /// Whether generation stopped because its cancel flag was raised.
    pub cancelled: bool,
    /// Why a requested speculation was not used, if it was not.
    pub note: Option<String>,
    /// Target evaluations after the prompt (one per emitted token in plain decoding).
    pub target_steps: usize,
    /// Tokens proposed by the drafter.
    pub drafted: usize,
    /// Proposed tokens the target accepted.
    pub accepted: usize,
    /// Verification steps that had a draft.
    pub draft_steps: usize,
    /// Per emitted token, the gap between the best and the second-best logit of the row
    /// that chose it (only with [`DecodeConfig::record_margins`]).
    #[serde(skip)]
    pub margins: Vec<f32>,
}

/// Where two greedy choices of tokens first differ (`a` and `b`: tokens and their
/// recorded top-2 logit gaps, [`Generation::margins`]), with the smaller of the two gaps
/// there (infinite where neither was recorded; where one sequence ends, the other's);
/// `None` when they chose the same tokens. A small gap is a near tie: batches of
/// different sizes sum in a different order, so speculation may flip it.
pub fn parting(a: (&[i32], &[f32]), b: (&[i32], &[f32])) -> Option<(usize, f32)> {
    let at = a.0.iter().zip(b.0).take_while(|(x, y)| x == y).count();
    if at == a.0.len() && at == b.0.len() {
        return None;
    }
    let gap = |m: &[f32]| m.get(at).copied().unwrap_or(f32::INFINITY);
    Some((at, gap(a.1).min(gap(b.1))))
}

impl Generation {
    /// Where `self` and `other` first choose different tokens ([`parting`]).
    pub fn parting(&self, other: &Generation) -> Option<(usize, f32)> {
        parting(
            (&self.tokens, &self.margins),
            (&other.tokens, &other.margins),
        )
    }

    /// Accepted / drafted tokens (0 when nothing was drafted).
    pub fn acceptance_rate(&self) -> f64 {
        if self.drafted == 0 {
            0.0
        } else {
            self.accepted as f64 / self.drafted as f64
        }
    }

    /// Mean number of drafted tokens accepted per verification step with a draft.
    pub fn mean_accepted(&self) -> f64 {
        if self.draft_steps == 0 {
            0.0
        } else {
            self.accepted as f64 / self.draft_steps as f64
        }
    }
}

/// A strategy's drafter, the most tokens it drafts, its name, and why a requested
/// speculation is off.
type ChosenDrafter<'d> = (Box<dyn Drafter + 'd>, usize, &'static str, Option<String>);

impl LoadedModel {
    /// Generates a continuation of `prompt`, calling `on_piece` with each piece of text as
    /// soon as the target has chosen it (in a fresh [`Session`]).
    pub fn generate(
        &self,
        prompt: &str,
        config: &DecodeConfig,
        strategy: Strategy<'_>,
        on_piece: impl FnMut(&str),
    ) -> Result<Generation> {
        self.session(config.n_ctx.max(16), config.threads)?
            .generate(prompt, config, strategy, on_piece)
    }

    /// The drafter of `strategy`, the most tokens it drafts, its name, and why a
    /// requested speculation is off.
    fn drafter<'d>(
        &'d self,
        strategy: Strategy<'d>,
        n_ctx: u32,
        threads: i32,
    ) -> Result<ChosenDrafter<'d>> {
        Ok(match strategy {
            Strategy::Plain => (Box::new(NoDraft), 0, "plain", None),
            _ if !self.can_speculate() => (
                Box::new(NoDraft),
                0,
                "plain",
                Some(format!(
                    "{} turned off: {} is a recurrent or hybrid model, whose state cannot be rolled back after a rejected draft",
                    strategy.name(),
                    self.path().display()
                )),
            ),
            Strategy::PromptLookup(c) => (
                Box::new(Guarded::new(PromptLookup::new(c), c.adaptive)),
                c.n_draft_max,
                "prompt-lookup",
                None,
            ),
            Strategy::PromptLookupWithMemory(c, memory) => (
                Box::new(Guarded::new(
                    PromptLookup::resume(c, memory.take()),
                    c.adaptive,
                )),
                c.n_draft_max,
                "prompt-lookup",
                None,
            ),
            Strategy::Draft { model, config: c } => {
                let d = DraftModel::new(self, model, c, n_ctx, threads)?;
                (
                    Box::new(Guarded::new(d, c.adaptive)),
                    c.n_max,
                    "draft-model",
                    None,
                )
            }
            Strategy::DraftAndLookup {
                model,
                config: c,
                lookup,
            } => {
                let d = DraftModel::new(self, model, c, n_ctx, threads)?;
                let both = Both::new((PromptLookup::new(lookup), lookup.adaptive), (d, c.adaptive));
                (
                    Box::new(both),
                    c.n_max.max(lookup.n_draft_max),
                    "draft-model+lookup",
                    None,
                )
            }
        })
    }
}

impl Session<'_> {
    /// Generates a continuation of `prompt` in this session's context. The prompt's
    /// first tokens that equal the previous prompt's are not evaluated again (their keys
    /// and values are still in the cache); [`Generation::reused_prompt_tokens`] says how
    /// many. The session's context size and threads apply (`config.n_ctx` and
    /// `config.threads` are those of [`LoadedModel::session`]).
    pub fn generate(
        &mut self,
        prompt: &str,
        config: &DecodeConfig,
        strategy: Strategy<'_>,
        on_piece: impl FnMut(&str),
    ) -> Result<Generation> {
        self.generate_cancellable(prompt, config, strategy, None, on_piece)
    }

    /// [`Session::generate`] that stops (with [`Generation::cancelled`]) before the next
    /// target evaluation once `cancel` is raised: a client that went away stops paying
    /// for its answer.
    pub fn generate_cancellable(
        &mut self,
        prompt: &str,
        config: &DecodeConfig,
        strategy: Strategy<'_>,
        cancel: Option<&AtomicBool>,
        on_piece: impl FnMut(&str),
    ) -> Result<Generation> {
        let model = self.model;
        let prompt_tokens = model.model.vocab().tokenize(prompt.as_bytes(), true, true);
        if prompt_tokens.is_empty() {
            return Err(self.err(&"the prompt is empty"));
        }
        let n_ctx = self.n_ctx;
        let (mut drafter, max_draft, strategy_name, note) =
            model.drafter(strategy, n_ctx, self.threads)?;
        if prompt_tokens.len() + config.max_tokens + max_draft + 1 > n_ctx as usize {
            return Err(SummarizeError::PromptTooLong {
                prompt_tokens: prompt_tokens.len(),
                max_tokens: config.max_tokens,
                n_ctx,
            });
        }
        let mut out = Generation {
            prompt_tokens: prompt_tokens.len(),
            strategy: strategy_name.to_string(),
            note,
            ..Generation::default()
        };
        let start = Instant::now();
        out.reused_prompt_tokens = self.prefill(&prompt_tokens)?;
        drafter.propose(&prompt_tokens[..prompt_tokens.len() - 1], 0)?; // a draft model reads the prompt
        out.prompt_seconds = start.elapsed().as_secs_f64();

        let start = Instant::now();
        let result = self.decode_loop(
            &prompt_tokens,
            config,
            (drafter.as_mut(), max_draft),
            (&mut out, cancel),
            on_piece,
        );
        out.decode_seconds = start.elapsed().as_secs_f64();
        out.text = result?;
        self.keep_prompt(prompt_tokens.len())?;
        if let (Strategy::PromptLookupWithMemory(_, memory), Some(learned)) =
            (strategy, drafter.learned())
        {
            memory.keep(learned);
        }
        out.tokens_per_second = if out.decode_seconds > 0.0 {
            out.generated_tokens as f64 / out.decode_seconds
        } else {
            0.0
        };
        Ok(out)
    }

    /// The loop after the prompt: choose, draft, verify in one batch, accept, repeat.
    /// Returns the generated text.
    fn decode_loop(
        &mut self,
        prompt_tokens: &[LlamaToken],
        config: &DecodeConfig,
        (drafter, max_draft): (&mut dyn Drafter, usize),
        (out, cancel): (&mut Generation, Option<&AtomicBool>),
        on_piece: impl FnMut(&str),
    ) -> Result<String> {
        let model = self.model;
        let vocab = model.model.vocab();
        let grounding = config.grounding.as_deref().map(|words| Grounding {
            words,
            pieces: model.pieces(),
        });
        let mut chooser = Chooser::new(config, grounding);
        let mut emitter = Emitter::new(model, on_piece);
        let mut history = prompt_tokens.to_vec();
        let n_prompt = prompt_tokens.len();
        let mut pos = n_prompt as i32;
        let mut batch = LlamaBatch::new(self.n_ctx as usize, 1);
        let (mut next, mut next_margin) = chooser.choose(self.ctx.get_logits_ith(-1), &[]);
        loop {
            if vocab.is_eog(next) {
                break;
            }
            emitter.emit(next, next_margin, out);
            history.push(next);
            if out.generated_tokens >= config.max_tokens {
                break;
            }
            if config.stop_on_loop && is_looping(&history[n_prompt..]) {
                out.stopped_on_loop = true;
                break;
            }
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                out.cancelled = true;
                break;
            }
            let room = config.max_tokens - out.generated_tokens;
            let draft = drafter.propose(&history, room.min(max_draft))?;
            batch.clear();
            batch.add(next, pos, &[0], true).map_err(|e| self.err(&e))?;
            for (i, &d) in draft.iter().enumerate() {
                batch
                    .add(d, pos + 1 + i as i32, &[0], true)
                    .map_err(|e| self.err(&e))?;
            }
            let t = Instant::now();
            self.ctx.decode(&mut batch).map_err(|e| self.err(&e))?;
            drafter.observe_cost(draft.len() + 1, t.elapsed().as_secs_f64());
            out.target_steps += 1;
            let mut accepted = 0usize;
            let mut stop = false;
            for row in 0..=draft.len() {
                let (chosen, margin) =
                    chooser.choose(self.ctx.get_logits_ith(row as i32), &history[n_prompt..]);
                match draft.get(row) {
                    Some(&d) if d == chosen => {
                        accepted += 1;
                        if vocab.is_eog(d) {
                            stop = true;
                            break;
                        }
                        emitter.emit(d, margin, out);
                        history.push(d);
                        if out.generated_tokens >= config.max_tokens {
                            stop = true;
                            break;
                        }
                        if config.stop_on_loop && is_looping(&history[n_prompt..]) {
                            out.stopped_on_loop = true;
                            stop = true;
                            break;
                        }
                    }
                    _ => {
                        next = chosen;
                        next_margin = margin;
                        break;
                    }
                }
            }
            if !draft.is_empty() {
                out.drafted += draft.len();
                out.accepted += accepted;
                out.draft_steps += 1;
                drafter.feedback(draft.len(), accepted);
            }
            pos += 1 + accepted as i32;
            if stop {
                break;
            }
            if accepted < draft.len() {
                self.ctx
                    .clear_kv_cache_seq(Some(0), Some(pos as u32), None)
                    .map_err(|e| self.err(&e))?;
            }
        }
        Ok(emitter.finish())
    }
}
