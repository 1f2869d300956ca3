//! Prompt-lookup drafting: the tokens that followed the most recent earlier occurrence of
//! the last n tokens (n from `ngram_max` down to `ngram_min`) in the prompt and the output
//! so far. Quoting, copying and editing reuse long runs of the prompt, so drafts there are
//! long and mostly accepted; in free text matches are rare and short.
//!
//! The draft length adapts: it follows the match (as long as the continuation, up to
//! `n_draft_max`), grows after fully accepted drafts and shrinks after rejected ones, so a
//! run of rejections costs little more than plain decoding.

use llama_cpp_2::token::LlamaToken;

use super::cost::BatchCosts;
use super::Drafter;
use crate::Result;

/// Prompt-lookup parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupConfig {
    /// Longest n-gram matched.
    pub ngram_max: usize,
    /// Shortest n-gram matched.
    pub ngram_min: usize,
    /// Most tokens proposed at once.
    pub n_draft_max: usize,
    /// Shortest draft worth verifying.
    pub n_draft_min: usize,
    /// Choose the draft length from measured batch costs and acceptance (the default);
    /// when false, every match is drafted in full up to `n_draft_max`, as llama.cpp's
    /// lookup does (for hardware where verification batches are nearly free).
    #[serde(default = "adaptive_default")]
    pub adaptive: bool,
}

fn adaptive_default() -> bool {
    true
}

impl Default for LookupConfig {
    fn default() -> Self {
        Self {
            ngram_max: 4,
            ngram_min: 2,
            n_draft_max: 24,
            n_draft_min: 2,
            adaptive: true,
        }
    }
}

/// Expected speedup of a step needed before drafting: estimates are noisy, and a step
/// slower than plain decoding costs more than a missed gain.
const MIN_GAIN: f64 = 1.05;
/// Draft length tried once to measure what a batch costs, when matches look reliable.
const EXPLORE_LEN: usize = 8;
/// Per-token acceptance (from matches checked in the shadow) that makes that try worth it.
const EXPLORE_RATE: f64 = 0.8;

/// Tokens before a match compared to choose among its occurrences.
const MAX_AGREEMENT: usize = 32;

/// Acceptance is learned per bucket of a match's context: the tokens in a row, the
/// n-gram and the agreeing tokens before it, that equal the end of the history. Short
/// contexts (2 to 4 tokens) are common coincidences in a long prompt; 16 or more mean
/// the output is copying a passage, whose continuation is nearly always accepted. One
/// rate for both would keep a copy from being drafted by the many coincidences.
const BUCKETS: usize = 8;

/// The statistics bucket of a match with `context` tokens of agreeing context: sizes up
/// to 4 alone, then 5-7, 8-15 and 16 or more.
fn bucket(context: usize) -> usize {
    match context {
        0..=4 => context,
        5..=7 => 5,
        8..=15 => 6,
        _ => 7,
    }
}

/// Estimates older than this many updates fade (exponential decay per update).
const DECAY: f64 = 0.92;
/// Highest per-token acceptance assumed (keeps the expected length finite).
const MAX_ACCEPT: f64 = 0.99;

/// Acceptance of drafts from matches of one n-gram size, with decay.
#[derive(Debug, Clone, Copy)]
struct AcceptStats {
    accepted: f64,
    rejected: f64,
}

impl AcceptStats {
    /// Per-token acceptance probability (Laplace prior of one half).
    fn rate(&self) -> f64 {
        ((self.accepted + 1.0) / (self.accepted + self.rejected + 2.0)).min(MAX_ACCEPT)
    }

    fn update(&mut self, accepted: usize, rejected: bool) {
        self.accepted = self.accepted * DECAY + accepted as f64;
        self.rejected = self.rejected * DECAY + f64::from(u8::from(rejected));
    }
}

/// What prompt lookup has learned on one model and thread count (acceptance per n-gram
/// size, batch costs), carried from one generation to the next so later calls (the map
/// phase of a summary makes many) start from it instead of measuring again.
#[derive(Debug, Default)]
pub struct LookupMemory(std::sync::Mutex<Option<Learned>>);

#[derive(Debug, Clone)]
pub(crate) struct Learned {
    stats: Vec<AcceptStats>,
    cost: BatchCosts,
}

impl LookupMemory {
    pub(crate) fn take(&self) -> Option<Learned> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn keep(&self, learned: Learned) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(learned);
    }
}

/// A match not sent for verification, checked later against what the target produced
/// (so acceptance is learned even while drafting does not pay).
#[derive(Debug)]
struct Shadow {
    /// History length when proposed: the draft would follow `history[..at]`.
    at: usize,
    tokens: Vec<LlamaToken>,
    bucket: usize,
}

/// The prompt-lookup drafter. It drafts only when the expected number of tokens per
/// verification, given the acceptance seen for matches of that n-gram size, beats the
/// measured cost of the larger batch: copying gets long drafts, free text gets few.
#[derive(Debug)]
pub(crate) struct PromptLookup {
    config: LookupConfig,
    stats: Vec<AcceptStats>,
    /// Mean seconds of a target evaluation, by batch size (index = size).
    cost: BatchCosts,
    shadow: Option<Shadow>,
    /// Context bucket of the draft being verified.
    pending_bucket: usize,
}

impl PromptLookup {
    /// A drafter that starts from what an earlier one learned (when the sizes agree).
    pub(crate) fn resume(config: LookupConfig, learned: Option<Learned>) -> Self {
        let mut p = Self::new(config);
        if let Some(l) = learned {
            if l.stats.len() == p.stats.len() && l.cost.same_shape(&p.cost) {
                p.stats = l.stats;
                p.cost = l.cost;
            }
        }
        p
    }

    pub(crate) fn new(config: LookupConfig) -> Self {
        let config = LookupConfig {
            ngram_min: config.ngram_min.max(1),
            ngram_max: config.ngram_max.max(config.ngram_min.max(1)),
            n_draft_min: config.n_draft_min.max(1).min(config.n_draft_max.max(1)),
            n_draft_max: config.n_draft_max,
            adaptive: config.adaptive,
        };
        Self {
            stats: vec![
                AcceptStats {
                    accepted: 0.0,
                    rejected: 0.0
                };
                BUCKETS
            ],
            cost: BatchCosts::new(config.n_draft_max + 1),
            shadow: None,
            pending_bucket: 0,
            config,
        }
    }

    /// The draft length (0 = none) with the most expected tokens per unit of cost.
    fn best_length(&self, available: usize, rate: f64) -> usize {
        let mut best = (0usize, MIN_GAIN);
        let mut expected = 1.0; // tokens per step without a draft
        let mut p = 1.0;
        for k in 1..=available {
            p *= rate;
            expected += p;
            let gain = expected / self.cost.relative(k + 1);
            if gain > best.1 {
                best = (k, gain);
            }
        }
        if best.0 < self.config.n_draft_min {
            0
        } else {
            best.0
        }
    }

    /// Checks a shadow match against the tokens that followed it.
    fn settle_shadow(&mut self, history: &[LlamaToken]) {
        let Some(sh) = &self.shadow else { return };
        let realised = &history[sh.at.min(history.len())..];
        let matched = sh
            .tokens
            .iter()
            .zip(realised)
            .take_while(|(a, b)| a == b)
            .count();
        let mismatch = matched < sh.tokens.len() && matched < realised.len();
        if mismatch || matched == sh.tokens.len() {
            self.stats[sh.bucket].update(matched, mismatch);
            self.shadow = None;
        }
    }
}

/// A match of the history's end earlier in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Match {
    /// The tokens that followed the earlier occurrence (the draft).
    pub(crate) tokens: Vec<LlamaToken>,
    /// Tokens in a row before the continuation equal to the history's end (the n-gram
    /// plus the agreeing tokens before it, at most `n + MAX_AGREEMENT`).
    pub(crate) context: usize,
}

/// The continuation (at most `max` tokens) after the most recent earlier occurrence of the
/// last n tokens of `history`, trying n from `ngram_max` down to `ngram_min`.
pub(crate) fn lookup_match(
    history: &[LlamaToken],
    ngram_min: usize,
    ngram_max: usize,
    max: usize,
) -> Option<Match> {
    if max == 0 {
        return None;
    }
    let len = history.len();
    for n in (ngram_min..=ngram_max).rev() {
        if len <= n {
            continue;
        }
        let pattern = &history[len - n..];
        // Among earlier occurrences, the one whose preceding tokens agree longest with the
        // tokens before the pattern (the same place in a copied text), most recent first.
        let mut best: Option<(usize, usize)> = None; // (start, agreement)
        for start in (0..len - n).rev() {
            if &history[start..start + n] != pattern || start + n >= len {
                continue;
            }
            let agree = (1..=MAX_AGREEMENT.min(start))
                .take_while(|&k| history[start - k] == history[len - n - k])
                .count();
            if best.is_none_or(|(_, a)| agree > a) {
                best = Some((start, agree));
                if agree == MAX_AGREEMENT {
                    break;
                }
            }
        }
        if let Some((start, agree)) = best {
            let from = start + n;
            let to = (from + max).min(len);
            return Some(Match {
                tokens: history[from..to].to_vec(),
                context: n + agree,
            });
        }
    }
    None
}

/// The tokens of [`lookup_match`].
#[cfg(test)]
pub(crate) fn lookup(
    history: &[LlamaToken],
    ngram_min: usize,
    ngram_max: usize,
    max: usize,
) -> Vec<LlamaToken> {
    lookup_match(history, ngram_min, ngram_max, max)
        .map(|m| m.tokens)
        .unwrap_or_default()
}

impl Drafter for PromptLookup {
    fn propose(&mut self, history: &[LlamaToken], max: usize) -> Result<Vec<LlamaToken>> {
        self.settle_shadow(history);
        let limit = max.min(self.config.n_draft_max);
        let Some(Match {
            tokens: cand,
            context,
        }) = lookup_match(history, self.config.ngram_min, self.config.ngram_max, limit)
        else {
            return Ok(Vec::new());
        };
        let b = bucket(context);
        if self.config.adaptive && self.cost.needs_single() {
            return Ok(Vec::new()); // one plain step, to learn what drafting is weighed against
        }
        if !self.config.adaptive {
            if cand.len() < self.config.n_draft_min {
                return Ok(Vec::new());
            }
            self.pending_bucket = b;
            return Ok(cand);
        }
        let rate = self.stats[b].rate();
        let mut k = self.best_length(cand.len(), rate);
        if k == 0 && self.cost.unknown() && rate >= EXPLORE_RATE && cand.len() >= EXPLORE_LEN {
            k = EXPLORE_LEN; // once: measure what a batch costs
        }
        if k == 0 {
            if self.shadow.is_none() {
                self.shadow = Some(Shadow {
                    at: history.len(),
                    tokens: cand,
                    bucket: b,
                });
            }
            return Ok(Vec::new());
        }
        self.shadow = None;
        self.pending_bucket = b;
        Ok(cand[..k].to_vec())
    }

    fn feedback(&mut self, drafted: usize, accepted: usize) {
        if let Some(s) = self.stats.get_mut(self.pending_bucket) {
            s.update(accepted, accepted < drafted);
        }
    }

    fn learned(&self) -> Option<Learned> {
        Some(Learned {
            stats: self.stats.clone(),
            cost: self.cost.clone(),
        })
    }

    fn observe_cost(&mut self, batch: usize, seconds: f64) {
        self.cost.observe(batch, seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(v: &[i32]) -> Vec<LlamaToken> {
        v.iter().map(|&t| LlamaToken(t)).collect()
    }

    #[test]
    fn proposes_the_continuation_of_the_longest_recent_match() {
        // "1 2 3 4 5 ... 1 2 3" -> "4 5"
        let h = toks(&[1, 2, 3, 4, 5, 9, 1, 2, 3]);
        assert_eq!(lookup(&h, 2, 3, 8), toks(&[4, 5, 9, 1, 2, 3]));
        assert_eq!(lookup(&h, 2, 3, 2), toks(&[4, 5]));
    }

    #[test]
    fn a_match_reports_its_agreeing_context_and_copies_learn_apart_from_coincidences() {
        // History ends "1 5 6"; the match at the start agrees on "1" before "5 6".
        let h = toks(&[1, 5, 6, 9, 2, 5, 6, 8, 1, 5, 6]);
        let m = lookup_match(&h, 2, 2, 1).unwrap();
        assert_eq!((m.tokens, m.context), (toks(&[9]), 3));
        assert_eq!(
            [
                bucket(2),
                bucket(4),
                bucket(5),
                bucket(8),
                bucket(16),
                bucket(36)
            ],
            [2, 4, 5, 6, 7, 7]
        );
        // Coincidences (short contexts) rejected many times do not lower the rate of
        // long copies, and long copies accepted do not raise the coincidences'.
        let mut p = PromptLookup::new(LookupConfig::default());
        for _ in 0..20 {
            p.pending_bucket = bucket(2);
            p.feedback(4, 0);
            p.pending_bucket = bucket(20);
            p.feedback(8, 8);
        }
        assert!(p.stats[bucket(2)].rate() < 0.2);
        assert!(p.stats[bucket(20)].rate() > 0.9);
    }

    #[test]
    fn prefers_the_most_recent_occurrence() {
        let h = toks(&[7, 8, 1, 7, 8, 2, 7, 8]);
        assert_eq!(lookup(&h, 2, 2, 1), toks(&[2]));
    }

    #[test]
    fn prefers_the_occurrence_whose_context_agrees_longest() {
        // "5 6" follows "1" at the start and "2" later; the history ends "1 5 6".
        let h = toks(&[1, 5, 6, 9, 2, 5, 6, 8, 1, 5, 6]);
        assert_eq!(lookup(&h, 2, 2, 1), toks(&[9]));
    }

    #[test]
    fn falls_back_to_shorter_ngrams_and_to_nothing() {
        let h = toks(&[5, 6, 1, 2, 9, 6]);
        assert_eq!(lookup(&h, 1, 3, 2), toks(&[1, 2]));
        assert!(lookup(&h, 2, 3, 2).is_empty());
        assert!(lookup(&toks(&[1, 2, 3]), 2, 3, 4).is_empty());
    }

    #[test]
    fn drafts_only_when_acceptance_pays_for_the_batch() {
        let mut p = PromptLookup::new(LookupConfig {
            ngram_max: 3,
            ngram_min: 1,
            n_draft_max: 16,
            n_draft_min: 2,
            adaptive: true,
        });
        // Nothing measured: batches are assumed to save nothing, so nothing is drafted.
        assert_eq!(p.best_length(16, 0.99), 0);
        // Measured on 2 cores: 8 ms for one token, 38 ms for nine (interpolated between).
        p.observe_cost(1, 0.008);
        p.observe_cost(9, 0.038);
        assert!((p.cost.relative(5) - (0.008 + 0.015) / 0.008).abs() < 1e-9);
        // At a per-token acceptance of one half no draft pays.
        assert_eq!(p.best_length(16, 0.5), 0);
        // Near-certain acceptance pays for a long draft.
        assert!(p.best_length(16, 0.99) >= 10);
        assert_eq!(p.best_length(5, 0.99), 5);
        // Measured on one core, where batching saves little: no draft pays.
        let mut q = PromptLookup::new(LookupConfig::default());
        for (n, secs) in [(1, 0.0092), (2, 0.0228), (4, 0.0373), (9, 0.068)] {
            q.observe_cost(n, secs);
        }
        assert_eq!(q.best_length(16, 0.95), 0);
    }

    #[test]
    fn what_was_learned_carries_into_the_next_generation() {
        let memory = LookupMemory::default();
        let mut p = PromptLookup::resume(LookupConfig::default(), memory.take());
        assert_eq!(p.cost.relative(9), 9.0, "nothing known yet");
        p.observe_cost(1, 0.008);
        p.observe_cost(9, 0.038);
        p.pending_bucket = 4;
        p.feedback(8, 8);
        memory.keep(p.learned().unwrap());
        let q = PromptLookup::resume(LookupConfig::default(), memory.take());
        assert!((q.cost.relative(9) - 4.75).abs() < 1e-9);
        assert!(q.stats[4].rate() > 0.5);
    }

    #[test]
    fn acceptance_is_learned_from_verification_and_from_shadow_matches() {
        let mut p = PromptLookup::new(LookupConfig::default());
        let h = toks(&[1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3]);
        let before = p.stats[3].rate();
        // Not worth drafting yet: remembered as a shadow match.
        assert!(p.propose(&h, 8).unwrap().is_empty());
        // The target then produced exactly the continuation: the shadow counts as accepted.
        let h2 = toks(&[1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3]);
        p.settle_shadow(&h2);
        assert!(p.stats[3].rate() > before);
        for _ in 0..20 {
            p.pending_bucket = 3;
            p.feedback(8, 8);
        }
        assert!(p.stats[3].rate() > 0.9);
        // Costs are unknown, so a reliable match is tried once to measure a batch.
        assert_eq!(p.propose(&h, 8).unwrap().len(), EXPLORE_LEN);
    }
}
