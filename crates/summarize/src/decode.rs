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

use std::num::NonZeroU32;
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use crate::draft::{DraftConfig, DraftModel};
use crate::lookup::{LookupConfig, LookupMemory, PromptLookup};
use crate::{LoadedModel, Result, SummarizeError};

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
    /// Record the gap between the two best logits of every emitted token.
    pub record_margins: bool,
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
}

impl Strategy<'_> {
    /// Short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::PromptLookup(_) | Self::PromptLookupWithMemory(..) => "prompt-lookup",
            Self::Draft { .. } => "draft-model",
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
    /// Whether generation stopped because the output started looping.
    pub stopped_on_loop: bool,
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

impl Generation {
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

/// Proposes tokens to follow `history` (prompt and output so far, ending with the token
/// about to be verified).
pub(crate) trait Drafter {
    fn propose(&mut self, history: &[LlamaToken], max: usize) -> Result<Vec<LlamaToken>>;
    /// After verification: `accepted` of `drafted` proposed tokens were taken.
    fn feedback(&mut self, drafted: usize, accepted: usize);
    /// A target evaluation of `batch` tokens took `seconds`.
    fn observe_cost(&mut self, _batch: usize, _seconds: f64) {}
    /// What the drafter learned, to carry into the next generation.
    fn learned(&self) -> Option<crate::lookup::Learned> {
        None
    }
}

struct NoDraft;

impl Drafter for NoDraft {
    fn propose(&mut self, _: &[LlamaToken], _: usize) -> Result<Vec<LlamaToken>> {
        Ok(Vec::new())
    }

    fn feedback(&mut self, _: usize, _: usize) {}
}

/// Gap between the best and the second-best value of a logit row.
pub(crate) fn top2_margin(logits: &[f32]) -> f32 {
    let (mut a, mut b) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
    for &x in logits {
        if x > a {
            b = a;
            a = x;
        } else if x > b {
            b = x;
        }
    }
    a - b
}

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

impl LoadedModel {
    /// Tokenizes `text` as a prompt (BOS where the model wants it, special markers parsed).
    pub fn tokenize(&self, text: &str) -> Vec<i32> {
        self.model
            .vocab()
            .tokenize(text.as_bytes(), true, true)
            .into_iter()
            .map(|t| t.0)
            .collect()
    }

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

    /// Generates a continuation of `prompt`, calling `on_piece` with each piece of text as
    /// soon as the target has chosen it.
    pub fn generate(
        &self,
        prompt: &str,
        config: &DecodeConfig,
        strategy: Strategy<'_>,
        on_piece: impl FnMut(&str),
    ) -> Result<Generation> {
        let decode_err = |e: &dyn std::fmt::Display| SummarizeError::Decode {
            path: self.path().to_path_buf(),
            reason: e.to_string(),
        };
        let vocab = self.model.vocab();
        let prompt_tokens = vocab.tokenize(prompt.as_bytes(), true, true);
        if prompt_tokens.is_empty() {
            return Err(decode_err(&"the prompt is empty"));
        }
        let n_ctx = config.n_ctx.max(16);
        let (mut drafter, max_draft, strategy_name, note): (Box<dyn Drafter + '_>, usize, _, _) =
            match strategy {
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
                    Box::new(PromptLookup::new(c)),
                    c.n_draft_max,
                    "prompt-lookup",
                    None,
                ),
                Strategy::PromptLookupWithMemory(c, memory) => (
                    Box::new(PromptLookup::resume(c, memory.take())),
                    c.n_draft_max,
                    "prompt-lookup",
                    None,
                ),
                Strategy::Draft { model, config: c } => {
                    let d = DraftModel::new(self, model, c, n_ctx, config.threads)?;
                    (Box::new(d), c.n_max, "draft-model", None)
                }
            };
        if prompt_tokens.len() + config.max_tokens + max_draft + 1 > n_ctx as usize {
            return Err(SummarizeError::PromptTooLong {
                prompt_tokens: prompt_tokens.len(),
                max_tokens: config.max_tokens,
                n_ctx,
            });
        }
        let mut ctx = new_context(self, n_ctx, config.threads)?;
        let mut out = Generation {
            prompt_tokens: prompt_tokens.len(),
            strategy: strategy_name.to_string(),
            note,
            ..Generation::default()
        };

        let start = Instant::now();
        let mut batch = LlamaBatch::new(n_ctx as usize, 1);
        let last = prompt_tokens.len() - 1;
        for (i, &t) in prompt_tokens.iter().enumerate() {
            batch
                .add(t, i as i32, &[0], i == last)
                .map_err(|e| decode_err(&e))?;
        }
        ctx.decode(&mut batch).map_err(|e| decode_err(&e))?;
        drafter.propose(&prompt_tokens[..last], 0)?; // lets a draft model read the prompt
        out.prompt_seconds = start.elapsed().as_secs_f64();

        let mut chooser = Chooser::new(config);
        let mut emitter = Emitter::new(self, on_piece);
        let start = Instant::now();
        let mut history = prompt_tokens.clone();
        let mut pos = prompt_tokens.len() as i32;
        let n_prompt = prompt_tokens.len();
        let (mut next, mut next_margin) = chooser.choose(
            ctx.get_logits_ith(batch.n_tokens() - 1),
            &history[n_prompt..],
        );
        'outer: loop {
            if vocab.is_eog(next) {
                break;
            }
            emitter.emit(next, next_margin, &mut out);
            history.push(next);
            if out.generated_tokens >= config.max_tokens {
                break;
            }
            if config.stop_on_loop && is_looping(&history[n_prompt..]) {
                out.stopped_on_loop = true;
                break;
            }
            let room = config.max_tokens - out.generated_tokens;
            let draft = drafter.propose(&history, room.min(max_draft))?;
            batch.clear();
            batch
                .add(next, pos, &[0], true)
                .map_err(|e| decode_err(&e))?;
            for (i, &d) in draft.iter().enumerate() {
                batch
                    .add(d, pos + 1 + i as i32, &[0], true)
                    .map_err(|e| decode_err(&e))?;
            }
            let t = Instant::now();
            ctx.decode(&mut batch).map_err(|e| decode_err(&e))?;
            drafter.observe_cost(draft.len() + 1, t.elapsed().as_secs_f64());
            out.target_steps += 1;
            let mut accepted = 0usize;
            let mut stop = false;
            for row in 0..=draft.len() {
                let (chosen, margin) =
                    chooser.choose(ctx.get_logits_ith(row as i32), &history[n_prompt..]);
                match draft.get(row) {
                    Some(&d) if d == chosen => {
                        accepted += 1;
                        if vocab.is_eog(d) {
                            stop = true;
                            break;
                        }
                        emitter.emit(d, margin, &mut out);
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
                break 'outer;
            }
            if accepted < draft.len() {
                ctx.clear_kv_cache_seq(Some(0), Some(pos as u32), None)
                    .map_err(|e| decode_err(&e))?;
            }
        }
        out.decode_seconds = start.elapsed().as_secs_f64();
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
        out.text = emitter.finish();
        Ok(out)
    }
}

/// Chooses each token from a row of logits: greedy or seeded temperature sampling, after
/// the repetition penalty. Done here rather than by llama.cpp's samplers so that the
/// choice depends only on the logits and the tokens accepted before that row, which keeps
/// speculative verification exact (rejected rows leave no state behind).
struct Chooser {
    sampling: Sampling,
    penalty: f32,
    last_n: usize,
    no_repeat_ngram: usize,
    record_margins: bool,
    rng: u64,
    scratch: Vec<f32>,
}

impl Chooser {
    fn new(config: &DecodeConfig) -> Self {
        let seed = match config.sampling {
            Sampling::Temperature { seed, .. } => u64::from(seed),
            Sampling::Greedy => 0,
        };
        Self {
            sampling: config.sampling,
            penalty: config.repeat_penalty,
            last_n: config.repeat_last_n,
            no_repeat_ngram: config.no_repeat_ngram,
            record_margins: config.record_margins,
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
            scratch: Vec::new(),
        }
    }

    /// splitmix64: a uniform number in [0, 1).
    fn uniform(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn choose(&mut self, logits: &[f32], generated: &[LlamaToken]) -> (LlamaToken, f32) {
        let draw = match self.sampling {
            Sampling::Temperature { .. } => self.uniform(),
            Sampling::Greedy => 0.0,
        };
        let penalise = self.penalty != 1.0 && !generated.is_empty() && self.last_n > 0;
        let banned = banned_by_ngram(generated, self.no_repeat_ngram);
        let row: &[f32] = if penalise || !banned.is_empty() {
            self.scratch.clear();
            self.scratch.extend_from_slice(logits);
            if penalise {
                let from = generated.len().saturating_sub(self.last_n);
                let mut seen: Vec<i32> = generated[from..].iter().map(|t| t.0).collect();
                seen.sort_unstable();
                seen.dedup();
                for t in seen {
                    if let Some(x) = self.scratch.get_mut(t as usize) {
                        *x = if *x > 0.0 {
                            *x / self.penalty
                        } else {
                            *x * self.penalty
                        };
                    }
                }
            }
            for t in banned {
                if let Some(x) = self.scratch.get_mut(t as usize) {
                    *x = f32::NEG_INFINITY;
                }
            }
            &self.scratch
        } else {
            logits
        };
        let margin = if self.record_margins {
            top2_margin(row)
        } else {
            0.0
        };
        let token = match self.sampling {
            Sampling::Greedy => argmax(row),
            Sampling::Temperature { temperature, .. } => {
                let t = temperature.max(1e-3);
                let top = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let sum: f64 = row.iter().map(|&x| f64::from(((x - top) / t).exp())).sum();
                let mut u = draw * sum;
                let mut pick = row.len() - 1;
                for (i, &x) in row.iter().enumerate() {
                    u -= f64::from(((x - top) / t).exp());
                    if u <= 0.0 {
                        pick = i;
                        break;
                    }
                }
                pick
            }
        };
        (LlamaToken(token as i32), margin)
    }
}

/// Tokens that would complete an `n`-gram already present in `output` (none when `n` is
/// 0 or 1, or the output is shorter than `n`).
pub(crate) fn banned_by_ngram(output: &[LlamaToken], n: usize) -> Vec<i32> {
    if n < 2 || output.len() < n {
        return Vec::new();
    }
    let prefix = &output[output.len() - (n - 1)..];
    let mut banned: Vec<i32> = output
        .windows(n)
        .filter(|w| &w[..n - 1] == prefix)
        .map(|w| w[n - 1].0)
        .collect();
    banned.sort_unstable();
    banned.dedup();
    banned
}

/// Longest repeated run checked by [`is_looping`], in tokens.
const LOOP_MAX_PERIOD: usize = 48;

/// Whether `output` ends with some run of 2 to [`LOOP_MAX_PERIOD`] tokens repeated three
/// times in a row (at least 12 tokens in all, so a short repeated word is not a loop).
pub(crate) fn is_looping(output: &[LlamaToken]) -> bool {
    let n = output.len();
    (2..=LOOP_MAX_PERIOD).any(|p| {
        3 * p <= n
            && 3 * p >= 12
            && output[n - p..] == output[n - 2 * p..n - p]
            && output[n - 2 * p..n - p] == output[n - 3 * p..n - 2 * p]
    })
}

/// Index of the largest value (the first one on ties, as llama.cpp's greedy sampler).
pub(crate) fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    let mut top = f32::NEG_INFINITY;
    for (i, &x) in row.iter().enumerate() {
        if x > top {
            top = x;
            best = i;
        }
    }
    best
}

/// Turns emitted tokens into text pieces for the callback (UTF-8 split across tokens is
/// held back until complete).
struct Emitter<'m, F> {
    model: &'m LoadedModel,
    decoder: encoding_rs::Decoder,
    text: String,
    on_piece: F,
}

impl<'m, F: FnMut(&str)> Emitter<'m, F> {
    fn new(model: &'m LoadedModel, on_piece: F) -> Self {
        Self {
            model,
            decoder: encoding_rs::UTF_8.new_decoder(),
            text: String::new(),
            on_piece,
        }
    }

    fn emit(&mut self, token: LlamaToken, margin: f32, out: &mut Generation) {
        out.tokens.push(token.0);
        out.generated_tokens += 1;
        out.margins.push(margin);
        let bytes = self.model.model.vocab().token_to_piece(token, false, None);
        let mut piece = String::with_capacity(bytes.len() + 4);
        let _ = self.decoder.decode_to_string(&bytes, &mut piece, false);
        if !piece.is_empty() {
            (self.on_piece)(&piece);
            self.text.push_str(&piece);
        }
    }

    fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(v: &[i32]) -> Vec<LlamaToken> {
        v.iter().map(|&t| LlamaToken(t)).collect()
    }

    #[test]
    fn a_run_repeated_three_times_is_a_loop() {
        let cycle = [5, 6, 7, 8];
        let mut out = vec![1, 2, 3];
        for _ in 0..3 {
            out.extend_from_slice(&cycle);
        }
        assert!(is_looping(&toks(&out)));
        out.push(9);
        assert!(!is_looping(&toks(&out)));
        // Short repeats ("no, no, no") are not loops.
        assert!(!is_looping(&toks(&[4, 4, 4, 4, 4, 4])));
    }

    #[test]
    fn the_token_completing_a_repeated_ngram_is_banned() {
        // Output "1 2 3 9 1 2": with n = 3, "1 2" was followed by 3, so 3 is banned.
        let out = toks(&[1, 2, 3, 9, 1, 2]);
        assert_eq!(banned_by_ngram(&out, 3), vec![3]);
        assert!(banned_by_ngram(&out, 0).is_empty());
        assert!(banned_by_ngram(&out, 5).is_empty());
        let cfg = DecodeConfig {
            no_repeat_ngram: 3,
            ..DecodeConfig::default()
        };
        let mut chooser = Chooser::new(&cfg);
        let mut logits = vec![0.0f32; 10];
        logits[3] = 5.0;
        logits[7] = 4.0;
        assert_eq!(
            chooser.choose(&logits, &out).0 .0,
            7,
            "the best token was banned"
        );
        assert_eq!(chooser.choose(&logits, &toks(&[1, 2])).0 .0, 3);
    }

    #[test]
    fn argmax_and_margin_agree_with_a_sort() {
        let row = [0.5, 2.0, -1.0, 1.75, 2.0];
        assert_eq!(argmax(&row), 1, "first of equal maxima, as llama.cpp");
        assert_eq!(top2_margin(&row), 0.0);
        assert!((top2_margin(&[0.5, 2.0, 1.5]) - 0.5).abs() < 1e-6);
    }
}
