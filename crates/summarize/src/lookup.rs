//! Prompt-lookup drafting: the tokens that followed the most recent earlier occurrence of
//! the last n tokens (n from `ngram_max` down to `ngram_min`) in the prompt and the output
//! so far. Quoting, copying and editing reuse long runs of the prompt, so drafts there are
//! long and mostly accepted; in free text matches are rare and short.
//!
//! The draft length adapts: it follows the match (as long as the continuation, up to
//! `n_draft_max`), grows after fully accepted drafts and shrinks after rejected ones, so a
//! run of rejections costs little more than plain decoding.

use llama_cpp_2::token::LlamaToken;

use crate::decode::Drafter;
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
    /// Draft length after a rejection (the floor of the adaptive length).
    pub n_draft_min: usize,
}

impl Default for LookupConfig {
    fn default() -> Self {
        Self {
            ngram_max: 4,
            ngram_min: 2,
            n_draft_max: 24,
            n_draft_min: 2,
        }
    }
}

/// The prompt-lookup drafter.
#[derive(Debug)]
pub(crate) struct PromptLookup {
    config: LookupConfig,
    /// Current cap on the draft length.
    cap: usize,
}

impl PromptLookup {
    pub(crate) fn new(config: LookupConfig) -> Self {
        let config = LookupConfig {
            ngram_min: config.ngram_min.max(1),
            ngram_max: config.ngram_max.max(config.ngram_min.max(1)),
            n_draft_min: config.n_draft_min.max(1).min(config.n_draft_max.max(1)),
            n_draft_max: config.n_draft_max,
        };
        Self {
            cap: config.n_draft_max,
            config,
        }
    }
}

/// The continuation (at most `max` tokens) after the most recent earlier occurrence of the
/// last `n` tokens of `history`, trying n from `ngram_max` down to `ngram_min`.
pub(crate) fn lookup(
    history: &[LlamaToken],
    ngram_min: usize,
    ngram_max: usize,
    max: usize,
) -> Vec<LlamaToken> {
    if max == 0 {
        return Vec::new();
    }
    let len = history.len();
    for n in (ngram_min..=ngram_max).rev() {
        if len <= n {
            continue;
        }
        let pattern = &history[len - n..];
        // Most recent earlier start first; the occurrence must end before the pattern.
        for start in (0..len - n).rev() {
            if &history[start..start + n] == pattern {
                let from = start + n;
                let to = (from + max).min(len);
                if from < to {
                    return history[from..to].to_vec();
                }
            }
        }
    }
    Vec::new()
}

impl Drafter for PromptLookup {
    fn propose(&mut self, history: &[LlamaToken], max: usize) -> Result<Vec<LlamaToken>> {
        Ok(lookup(
            history,
            self.config.ngram_min,
            self.config.ngram_max,
            max.min(self.cap),
        ))
    }

    fn feedback(&mut self, drafted: usize, accepted: usize) {
        self.cap = if accepted == drafted {
            (self.cap * 2).min(self.config.n_draft_max)
        } else {
            (accepted + 1).max(self.config.n_draft_min)
        };
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
    fn prefers_the_most_recent_occurrence() {
        let h = toks(&[7, 8, 1, 7, 8, 2, 7, 8]);
        assert_eq!(lookup(&h, 2, 2, 1), toks(&[2]));
    }

    #[test]
    fn falls_back_to_shorter_ngrams_and_to_nothing() {
        let h = toks(&[5, 6, 1, 2, 9, 6]);
        assert_eq!(lookup(&h, 1, 3, 2), toks(&[1, 2]));
        assert!(lookup(&h, 2, 3, 2).is_empty());
        assert!(lookup(&toks(&[1, 2, 3]), 2, 3, 4).is_empty());
    }

    #[test]
    fn the_draft_length_adapts_to_acceptance() {
        let mut p = PromptLookup::new(LookupConfig {
            ngram_max: 3,
            ngram_min: 1,
            n_draft_max: 16,
            n_draft_min: 2,
        });
        assert_eq!(p.cap, 16);
        p.feedback(16, 3);
        assert_eq!(p.cap, 4);
        p.feedback(4, 0);
        assert_eq!(p.cap, 2);
        p.feedback(2, 2);
        assert_eq!(p.cap, 4);
        p.feedback(4, 4);
        p.feedback(8, 8);
        p.feedback(16, 16);
        assert_eq!(p.cap, 16);
    }
}
