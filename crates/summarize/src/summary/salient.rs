//! What the models read of a long document: running headers and footers (lines that
//! repeat on many pages, page numbers aside) are dropped, and the map phase reads of each
//! section only the sentences that carry most of the document's own vocabulary, in their
//! order. Prompt processing dominates the map phase, so reading half the sentences halves
//! its cost, and what is left out first is what a summary never needs: tables of
//! contents, figure residue, legal boilerplate, short fragments.

use std::collections::{HashMap, HashSet};

use super::check::{content_stems, stem};
use super::cite::{terms, Section, SentenceSplitter};

/// Pages (at least this many, and at least [`REPEATED_SHARE`] of them) a line must repeat
/// on to be a running header or footer.
const REPEATED_MIN_PAGES: usize = 3;
const REPEATED_SHARE: f64 = 0.3;
/// Sentences shorter than this many words are never chosen (headings, labels, residue).
const MIN_SENTENCE_WORDS: usize = 6;
/// A sentence is chosen only when at least this share of its words are words (not
/// numbers, dots of a table of contents or symbols).
const MIN_WORD_SHARE: f64 = 0.6;
/// Every section keeps at least this many words of its best sentences.
const MIN_SECTION_WORDS: usize = 25;
/// Sentence length's weight against its vocabulary (score = weight / words^this): long
/// sentences are not preferred for their length alone.
const LENGTH_DAMPING: f64 = 0.7;

/// The document's vocabulary weights and running lines.
#[derive(Debug)]
pub(crate) struct Salience {
    /// Stem -> ln(1 + its count in the document).
    weights: HashMap<String, f64>,
    /// Running lines, normalised ([`normalise`]).
    repeated: HashSet<String>,
}

impl Salience {
    pub(crate) fn new(sections: &[Section]) -> Self {
        let mut pages: HashMap<String, usize> = HashMap::new();
        for s in sections {
            let lines: HashSet<String> = s.text.lines().filter_map(normalise).collect();
            for l in lines {
                *pages.entry(l).or_default() += 1;
            }
        }
        let min = REPEATED_MIN_PAGES
            .max((REPEATED_SHARE * sections.len() as f64).ceil() as usize)
            .max(2);
        let repeated = pages
            .into_iter()
            .filter(|(_, n)| *n >= min)
            .map(|(l, _)| l)
            .collect();
        let mut counts: HashMap<String, usize> = HashMap::new();
        for s in sections {
            for w in terms(&s.text) {
                *counts.entry(stem(&w)).or_default() += 1;
            }
        }
        let weights = counts
            .into_iter()
            .map(|(w, n)| (w, (1.0 + n as f64).ln()))
            .collect();
        Self { weights, repeated }
    }

    /// `text` without its running header and footer lines.
    pub(crate) fn strip_running_lines(&self, text: &str) -> String {
        if self.repeated.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        for line in text.lines() {
            if normalise(line).is_some_and(|l| self.repeated.contains(&l)) {
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// The best sentences of `text` (running lines removed), about `share` of its words
    /// and at least [`MIN_SECTION_WORDS`], in their order, joined by spaces; all of it
    /// when `share` is 1 or more.
    pub(crate) fn select(&self, text: &str, share: f64) -> String {
        let text = self.strip_running_lines(text);
        if share >= 1.0 {
            return text;
        }
        let sentences = sentences(&text);
        let total: usize = sentences.iter().map(|s| words(s)).sum();
        let budget = ((share * total as f64) as usize).max(MIN_SECTION_WORDS);
        if total <= budget {
            return sentences.join(" ");
        }
        let mut ranked: Vec<(usize, f64)> = sentences
            .iter()
            .enumerate()
            .filter(|(_, s)| worth_reading(s))
            .map(|(i, s)| (i, self.score(s)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut chosen = Vec::new();
        let mut used = 0;
        for (i, _) in ranked {
            let n = words(&sentences[i]);
            if used + n > budget && !chosen.is_empty() {
                continue;
            }
            chosen.push(i);
            used += n;
        }
        chosen.sort_unstable();
        chosen
            .into_iter()
            .map(|i| sentences[i].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A sentence's weight: its distinct content stems' weights over its length.
    fn score(&self, sentence: &str) -> f64 {
        let sum: f64 = content_stems(sentence)
            .iter()
            .map(|s| self.weights.get(s).copied().unwrap_or(0.0))
            .sum();
        sum / (words(sentence) as f64).powf(LENGTH_DAMPING)
    }
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Whether a sentence is prose worth reading: long enough, and mostly words.
fn worth_reading(s: &str) -> bool {
    let tokens: Vec<&str> = s.split_whitespace().collect();
    if tokens.len() < MIN_SENTENCE_WORDS {
        return false;
    }
    let wordy = tokens
        .iter()
        .filter(|t| t.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .count();
    wordy as f64 >= MIN_WORD_SHARE * tokens.len() as f64
}

/// The sentences of a section's text, white space collapsed within paragraphs.
fn sentences(text: &str) -> Vec<String> {
    let mut flat = String::with_capacity(text.len());
    for para in text.split("\n\n") {
        let para = para.split_whitespace().collect::<Vec<_>>().join(" ");
        if !para.is_empty() {
            flat.push_str(&para);
            flat.push('\n');
        }
    }
    let mut splitter = SentenceSplitter::default();
    let mut out: Vec<String> = splitter
        .push(&flat)
        .into_iter()
        .map(|(s, _)| s.trim().to_string())
        .collect();
    if let Some((s, _)) = splitter.finish() {
        out.push(s.trim().to_string());
    }
    out.retain(|s| !s.is_empty());
    out
}

/// A line as compared across pages: trimmed, lower-cased, digits folded (page numbers
/// differ); `None` for lines too short to be told apart from ordinary text.
fn normalise(line: &str) -> Option<String> {
    let l: String = line
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                '#'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    (l.chars().filter(|c| c.is_alphabetic()).count() >= 4).then_some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: usize, text: &str) -> Section {
        Section {
            first: n,
            last: n,
            text: text.into(),
        }
    }

    #[test]
    fn running_headers_are_dropped_and_body_lines_kept() {
        let topics = ["gamut", "intent", "profile", "device", "cache"];
        let pages: Vec<Section> = (1..=5)
            .map(|n| {
                let topic = topics[n - 1];
                page(
                    n,
                    &format!("Acme Corp. www.acme.example {n}\nThe {topic} maps colours.\n"),
                )
            })
            .collect();
        let s = Salience::new(&pages);
        let text = s.strip_running_lines(&pages[2].text);
        assert!(!text.contains("acme.example"), "{text}");
        assert!(text.contains("The profile maps colours."), "{text}");
    }

    #[test]
    fn the_sentences_with_the_documents_vocabulary_are_kept_in_order() {
        let body = "Contents 1 ........ 3 2 ........ 7 3 ........ 9. \
            The colour manager keeps an ICC profile for every output device. \
            It was a sunny afternoon when the meeting started without anyone. \
            Each device profile decides how the colour manager maps colours. \
            Figure 3.";
        let other =
            "The colour manager caches every device profile. Profiles map colours for the device.";
        let sections = vec![page(1, body), page(2, other)];
        let s = Salience::new(&sections);
        let picked = s.select(body, 0.3);
        assert!(picked.contains("keeps an ICC profile"), "{picked}");
        assert!(
            picked.contains("decides how the colour manager"),
            "{picked}"
        );
        assert!(!picked.contains("sunny afternoon"), "{picked}");
        assert!(!picked.contains("........"), "{picked}");
        assert!(
            picked.find("keeps an ICC").unwrap() < picked.find("decides how").unwrap(),
            "order kept: {picked}"
        );
        assert_eq!(s.select(other, 1.0), other);
    }
}
