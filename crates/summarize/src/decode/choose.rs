//! Choosing each token from a row of logits (greedy or seeded sampling, after penalties
//! and bans), and the checks on the output so far (repeated n-grams, loops).

use llama_cpp_2::token::LlamaToken;

use super::ground::{open_word, SourceWords};
use super::{DecodeConfig, Sampling};

/// Tokens looked back at to find the word in progress.
const OPEN_WORD_TOKENS: usize = 16;
/// Candidates ranked at once when the best token is refused by grounding.
const GROUNDED_CANDIDATES: usize = 256;

/// Grounded decoding in use: the source's words and the text of every token.
pub(crate) struct Grounding<'a> {
    pub(crate) words: &'a SourceWords,
    pub(crate) pieces: &'a [String],
}

impl Grounding<'_> {
    /// The end of the generated text: the word in progress and what comes before it
    /// (back to a non-blank character before the word), with a leading line break when
    /// this is the whole output.
    fn tail(&self, generated: &[LlamaToken]) -> String {
        let mut text = String::new();
        let mut whole = true;
        for (n, t) in generated.iter().rev().enumerate() {
            if n == OPEN_WORD_TOKENS {
                whole = false;
                break;
            }
            text.insert_str(0, self.piece(*t));
            let word = open_word(&text);
            let before = text[..text.len() - word.len()].trim_end_matches([' ', '\t']);
            if !before.is_empty() {
                whole = n + 1 == generated.len();
                break;
            }
        }
        if whole {
            text.insert(0, '\n');
        }
        text
    }

    fn piece(&self, t: LlamaToken) -> &str {
        self.pieces.get(t.0 as usize).map_or("", String::as_str)
    }

    fn allows(&self, tail: &str, t: usize) -> bool {
        self.words
            .allows(tail, self.pieces.get(t).map_or("", String::as_str))
    }
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

/// Chooses each token from a row of logits: greedy or seeded temperature sampling, after
/// the repetition penalty. Done here rather than by llama.cpp's samplers so that the
/// choice depends only on the logits and the tokens accepted before that row, which keeps
/// speculative verification exact (rejected rows leave no state behind).
pub(crate) struct Chooser<'g> {
    grounding: Option<Grounding<'g>>,
    sampling: Sampling,
    penalty: f32,
    last_n: usize,
    no_repeat_ngram: usize,
    ban_first: Vec<i32>,
    ban_opening: Vec<i32>,
    lead: Vec<i32>,
    record_margins: bool,
    rng: u64,
    scratch: Vec<f32>,
}

impl<'g> Chooser<'g> {
    /// A chooser with `config`'s sampling and penalties; `grounding` restricts
    /// identifier-like words to the source's (see [`super::ground`]).
    pub(crate) fn new(config: &DecodeConfig, grounding: Option<Grounding<'g>>) -> Self {
        let seed = match config.sampling {
            Sampling::Temperature { seed, .. } => u64::from(seed),
            Sampling::Greedy => 0,
        };
        Self {
            grounding,
            sampling: config.sampling,
            penalty: config.repeat_penalty,
            last_n: config.repeat_last_n,
            no_repeat_ngram: config.no_repeat_ngram,
            ban_first: config.ban_first.clone(),
            ban_opening: config.ban_opening.clone(),
            lead: config.lead.clone(),
            record_margins: config.record_margins,
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
            scratch: Vec::new(),
        }
    }

    /// splitmix64: a uniform number in [0, 1).
    fn uniform(&mut self) -> f64 {
        uniform(&mut self.rng)
    }

    pub(crate) fn choose(&mut self, logits: &[f32], generated: &[LlamaToken]) -> (LlamaToken, f32) {
        let draw = match self.sampling {
            Sampling::Temperature { .. } => self.uniform(),
            Sampling::Greedy => 0.0,
        };
        let penalise = self.penalty != 1.0 && !generated.is_empty() && self.last_n > 0;
        let mut banned = banned_by_ngram(generated, self.no_repeat_ngram);
        if generated.is_empty() {
            banned.extend_from_slice(&self.ban_first);
        }
        if !self.ban_opening.is_empty()
            && generated
                .iter()
                .all(|t| self.lead.binary_search(&t.0).is_ok())
        {
            banned.extend_from_slice(&self.ban_opening);
        }
        let in_scratch = penalise || !banned.is_empty();
        let row: &[f32] = if in_scratch {
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
        let mut margin = if self.record_margins {
            top2_margin(row)
        } else {
            0.0
        };
        let token = pick(self.sampling, row, draw);
        let Some(g) = &self.grounding else {
            return (LlamaToken(token as i32), margin);
        };
        let tail = g.tail(generated);
        if g.allows(&tail, token) {
            return (LlamaToken(token as i32), margin);
        }
        // The best token would write an identifier the source lacks: choose among the
        // others, exactly as if the refused ones had no probability.
        if !in_scratch {
            self.scratch.clear();
            self.scratch.extend_from_slice(logits);
        }
        let token = match self.sampling {
            Sampling::Greedy => {
                let chosen = grounded_argmax(g, &tail, &mut self.scratch, token);
                if self.record_margins {
                    // The choice was among the allowed tokens: its margin is to the next
                    // allowed one, not to the refused best.
                    let best = self.scratch[chosen];
                    let next = grounded_argmax(g, &tail, &mut self.scratch, chosen);
                    margin = if next == chosen {
                        f32::INFINITY
                    } else {
                        best - self.scratch[next]
                    };
                }
                chosen
            }
            Sampling::Temperature { .. } => {
                let mut refused = token;
                loop {
                    self.scratch[refused] = f32::NEG_INFINITY;
                    if self.scratch.iter().all(|x| *x == f32::NEG_INFINITY) {
                        break refused;
                    }
                    let draw = uniform(&mut self.rng);
                    let t = pick(self.sampling, &self.scratch, draw);
                    if g.allows(&tail, t) {
                        break t;
                    }
                    refused = t;
                }
            }
        };
        (LlamaToken(token as i32), margin)
    }
}

/// The token `draw` picks from `row`: its argmax, or by inverse CDF at `draw` after the
/// temperature.
fn pick(sampling: Sampling, row: &[f32], draw: f64) -> usize {
    match sampling {
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
    }
}

/// The best token of `row` that grounding allows after `tail` (`refused` is not). The
/// best [`GROUNDED_CANDIDATES`] are ranked first; the whole row only if none of them
/// passes. Ties go to the lower id, as [`argmax`].
fn grounded_argmax(g: &Grounding<'_>, tail: &str, row: &mut [f32], refused: usize) -> usize {
    row[refused] = f32::NEG_INFINITY;
    let mut ranked: Vec<(f32, usize)> = row.iter().copied().zip(0..).collect();
    let order = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    let k = GROUNDED_CANDIDATES.min(ranked.len());
    if k < ranked.len() {
        ranked.select_nth_unstable_by(k, order);
        ranked[..k].sort_unstable_by(order);
        if let Some(&(_, t)) = ranked[..k]
            .iter()
            .find(|&&(x, t)| x > f32::NEG_INFINITY && g.allows(tail, t))
        {
            return t;
        }
    }
    ranked.sort_unstable_by(order);
    ranked
        .iter()
        .find(|&&(x, t)| x > f32::NEG_INFINITY && g.allows(tail, t))
        .map_or(refused, |&(_, t)| t)
}

/// splitmix64 step: a uniform number in [0, 1).
fn uniform(rng: &mut u64) -> f64 {
    *rng = rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *rng;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
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
        let mut chooser = Chooser::new(&cfg, None);
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
    fn an_opening_ban_holds_after_lead_tokens_only() {
        // 5 may not open the text; 8 and 9 (a marker's pieces) do not open it.
        let cfg = DecodeConfig {
            ban_opening: vec![5],
            lead: vec![8, 9],
            ..DecodeConfig::default()
        };
        let mut chooser = Chooser::new(&cfg, None);
        let mut logits = vec![0.0f32; 10];
        logits[5] = 5.0;
        logits[2] = 4.0;
        for before in [&[][..], &[8], &[8, 9, 8]] {
            assert_eq!(chooser.choose(&logits, &toks(before)).0 .0, 2, "{before:?}");
        }
        for before in [&[2][..], &[8, 2], &[2, 8]] {
            assert_eq!(chooser.choose(&logits, &toks(before)).0 .0, 5, "{before:?}");
        }
        // A first-token ban holds for the first token only.
        let cfg = DecodeConfig {
            ban_first: vec![5],
            lead: vec![8, 9],
            ..DecodeConfig::default()
        };
        let mut chooser = Chooser::new(&cfg, None);
        assert_eq!(chooser.choose(&logits, &toks(&[])).0 .0, 2);
        assert_eq!(chooser.choose(&logits, &toks(&[8])).0 .0, 5);
    }

    #[test]
    fn argmax_and_margin_agree_with_a_sort() {
        let row = [0.5, 2.0, -1.0, 1.75, 2.0];
        assert_eq!(argmax(&row), 1, "first of equal maxima, as llama.cpp");
        assert_eq!(top2_margin(&row), 0.0);
        assert!((top2_margin(&[0.5, 2.0, 1.5]) - 0.5).abs() < 1e-6);
    }
}
