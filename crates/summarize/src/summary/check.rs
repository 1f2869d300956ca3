//! What a reader notices in a summary, measured against its document: invented
//! identifiers, sentences their cited pages do not support, the document's key terms the
//! summary leaves out, and sentences that say the same thing twice. The summarizer drops
//! sentences that fail these checks before they are shown; `scripts/bench-summary` and
//! the tests report the same figures.

use std::collections::{HashMap, HashSet};

use super::cite::{label, terms, Citation, Section, Unit};
use super::common::is_common;
use crate::decode::ground::{is_name_like, is_word_char, starts_sentence, SourceWords};

/// Share of a sentence's content words that must occur in its cited sections (±1) for
/// the sentence to count as supported.
pub const SUPPORT_SHARE: f64 = 0.5;
/// Content-word overlap (of the shorter sentence) that makes two sentences near
/// duplicates.
pub const DUPLICATE_OVERLAP: f64 = 0.7;
/// Key terms of a document scored by coverage.
pub const KEY_TERMS: usize = 15;

/// A light stem: plural and common verb endings removed, so `profiles`, `profiled` and
/// `profile` compare equal (the words are already lower-cased).
pub fn stem(word: &str) -> String {
    let w = word;
    for suffix in [
        "ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s", "e",
    ] {
        if let Some(base) = w.strip_suffix(suffix) {
            if base.chars().count() >= 4 && !(suffix == "s" && base.ends_with('s')) {
                return match suffix {
                    "ies" | "ied" => format!("{base}y"),
                    _ => base.to_string(),
                };
            }
        }
    }
    w.to_string()
}

/// Stemmed content words of a text.
pub fn content_stems(text: &str) -> HashSet<String> {
    terms(text).iter().map(|w| stem(w)).collect()
}

/// A document's parts indexed for checking sentences.
#[derive(Debug)]
pub struct SourceIndex {
    sections: Vec<(usize, usize, HashSet<String>)>,
    words: SourceWords,
    key_terms: Vec<String>,
    /// The document's sentences of [`HINT_WORDS`] words, for [`SourceIndex::mention`].
    sentences: Vec<String>,
    /// Words with an inner capital that occur more than once: names, not OCR debris.
    names: HashSet<String>,
}

/// Words (inclusive) a sentence quoted by [`SourceIndex::mention`] may have.
const HINT_WORDS: (usize, usize) = (6, 30);

/// `text` with its lines joined into paragraphs, so sentences broken over the lines of a
/// scan or a narrow column read whole: a line break stays after a line that ends a
/// sentence or a heading (`.`, `!`, `?`, `:`), before a bulleted item and at a blank
/// line; elsewhere it becomes a space. Bullet marks are dropped.
fn reflow(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.trim();
        let item = line.trim_start_matches(['·', '•', '●', '▪', '-', '*', '–']);
        let bulleted = item.len() < line.len();
        let line = item.trim_start();
        if line.is_empty() {
            if !out.ends_with('\n') && !out.is_empty() {
                out.push('\n');
            }
            continue;
        }
        if bulleted && !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        } else if !out.is_empty() && !out.ends_with('\n') {
            out.push(' ');
        }
        out.push_str(line);
        if line.ends_with(['.', '!', '?', ':']) {
            out.push('\n');
        }
    }
    out
}

/// Missing key terms a sentence must state to be quoted ([`SourceIndex::quotable`]).
const QUOTE_MIN_TERMS: usize = 2;

/// Whether `sentence` reads as clean prose worth quoting: it starts with a capital
/// letter, ends a sentence, and every word is a plain word or number (no OCR debris such
/// as `conceivaSibieyTent`, `mwCannister` or stray symbols); a word with an inner
/// capital passes when it is one of the document's `names` (`LinnSequencer`).
fn clean_prose(sentence: &str, names: &HashSet<String>) -> bool {
    let s = sentence.trim();
    if !s.chars().next().is_some_and(char::is_uppercase) || !s.ends_with(['.', '!', '?']) {
        return false;
    }
    s.split_whitespace().all(|word| {
        let w =
            word.trim_matches(|c: char| ",.;:!?()\"'\u{2018}\u{2019}\u{201c}\u{201d}".contains(c));
        let letters = w.trim_end_matches("'s");
        w.is_empty()
            || w.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '%' | '-'))
            || (letters
                .chars()
                .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
                && (names.contains(letters)
                    || !letters
                        .chars()
                        .zip(letters.chars().skip(1))
                        .any(|(a, b)| a.is_lowercase() && b.is_uppercase())))
    })
}

/// The verdict on one sentence.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SentenceCheck {
    /// Identifier-like words the document does not contain.
    pub invented: Vec<String>,
    /// Names (capitalised words inside the sentence) the document does not contain.
    pub unknown_names: Vec<String>,
    /// Share of the sentence's content words found in the cited sections (±1).
    pub support: f64,
    /// Whether the sentence is cited and `support` reaches [`SUPPORT_SHARE`].
    pub supported: bool,
    /// Index of an earlier sentence this one nearly repeats.
    pub repeats: Option<usize>,
}

impl SentenceCheck {
    /// Whether a reader would object to the sentence.
    pub fn fails(&self) -> bool {
        !self.invented.is_empty()
            || !self.unknown_names.is_empty()
            || !self.supported
            || self.repeats.is_some()
    }
}

/// The four figures of a summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Faithfulness {
    pub sentences: usize,
    pub words: usize,
    /// Identifier-like words of the summary that occur nowhere in the document.
    pub invented_identifiers: Vec<String>,
    /// Sentences without a citation, or whose content words are mostly absent from the
    /// cited sections (±1).
    pub unsupported: usize,
    pub unsupported_share: f64,
    /// The document's key terms, and those the summary mentions.
    pub key_terms: Vec<String>,
    pub covered: Vec<String>,
    pub coverage: f64,
    /// Sentences that nearly repeat an earlier one.
    pub repeated: usize,
}

impl SourceIndex {
    pub fn new(sections: &[Section]) -> Self {
        let sets: Vec<HashSet<String>> = sections.iter().map(|s| content_stems(&s.text)).collect();
        let words = SourceWords::new(sections.iter().map(|s| s.text.as_str()));
        let key_terms = key_terms(sections, KEY_TERMS);
        let mut sentences = Vec::new();
        for s in sections {
            let mut splitter = crate::SentenceSplitter::default();
            let mut parts = splitter.push(&reflow(&s.text));
            parts.extend(splitter.finish());
            sentences.extend(
                parts
                    .into_iter()
                    .map(|(t, _)| t.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|t| {
                        let n = t.split(' ').count();
                        (HINT_WORDS.0..=HINT_WORDS.1).contains(&n)
                    }),
            );
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for s in sections {
            for w in s.text.split(|c: char| !c.is_alphabetic()) {
                if w.chars()
                    .zip(w.chars().skip(1))
                    .any(|(a, b)| a.is_lowercase() && b.is_uppercase())
                {
                    *seen.entry(w).or_default() += 1;
                }
            }
        }
        let names = seen
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(w, _)| w.to_string())
            .collect();
        Self {
            sentences,
            names,
            sections: sections
                .iter()
                .zip(sets)
                .map(|(s, set)| (s.first, s.last, set))
                .collect(),
            words,
            key_terms,
        }
    }

    /// The document's words (for grounded decoding).
    pub fn words(&self) -> &SourceWords {
        &self.words
    }

    /// Frequent content words spread over many sections, most widespread first.
    pub fn key_terms(&self) -> &[String] {
        &self.key_terms
    }

    /// The key terms none of `sentences` mentions (compared by stem), in key-term order.
    pub fn missing_terms(&self, sentences: &[&str]) -> Vec<String> {
        let said: HashSet<String> = sentences.iter().flat_map(|s| content_stems(s)).collect();
        self.key_terms
            .iter()
            .filter(|t| !said.contains(&stem(t)))
            .cloned()
            .collect()
    }

    /// A sentence of the document that mentions `term` (by stem), for a model asked to
    /// cover it: the one sharing most content words with the document's other key terms
    /// (a sentence about the document, not a passing use), shorter first on ties.
    pub fn mention(&self, term: &str) -> Option<&str> {
        let target = stem(&term.to_lowercase());
        let keys: HashSet<String> = self.key_terms.iter().map(|t| stem(t)).collect();
        self.sentences
            .iter()
            .filter_map(|s| {
                let stems = content_stems(s);
                stems.contains(&target).then(|| {
                    let shared = stems.iter().filter(|w| keys.contains(*w)).count();
                    (shared, std::cmp::Reverse(s.len()), s)
                })
            })
            .max()
            .map(|(_, _, s)| s.as_str())
    }

    /// Sentences of the document that state at least [`QUOTE_MIN_TERMS`] of the
    /// `missing` key terms, best first (most missing terms, then most key terms, then
    /// shortest), clean prose only ([`clean_prose`]): what a summary quotes when the
    /// model's rounds leave those terms out.
    pub fn quotable(&self, missing: &[String]) -> Vec<&str> {
        let want: HashSet<String> = missing.iter().map(|t| stem(&t.to_lowercase())).collect();
        let keys: HashSet<String> = self.key_terms.iter().map(|t| stem(t)).collect();
        let mut found: Vec<(usize, usize, std::cmp::Reverse<usize>, &str)> = self
            .sentences
            .iter()
            .filter(|s| clean_prose(s, &self.names))
            .filter_map(|s| {
                let stems = content_stems(s);
                let new = stems.iter().filter(|w| want.contains(*w)).count();
                let shared = stems.iter().filter(|w| keys.contains(*w)).count();
                (new >= QUOTE_MIN_TERMS).then_some((
                    new,
                    shared,
                    std::cmp::Reverse(s.len()),
                    s.as_str(),
                ))
            })
            .collect();
        found.sort_by(|a, b| b.cmp(a));
        found.dedup_by(|a, b| a.3 == b.3);
        found.into_iter().map(|f| f.3).collect()
    }

    /// Identifier-like words of `text` the document lacks.
    pub fn invented(&self, text: &str) -> Vec<String> {
        self.words.invented(text)
    }

    /// Names inside `text` (capitalised words that do not start a sentence) the document
    /// lacks.
    pub fn unknown_names(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            if is_word_char(c) {
                start.get_or_insert(i);
                continue;
            }
            let Some(s0) = start.take() else { continue };
            let w = &text[s0..i];
            if is_name_like(w) && !starts_sentence(&text[..s0]) && !self.words.contains(w) {
                out.push(w.to_string());
            }
        }
        out
    }

    /// Share of `sentence`'s content words found in the sections `citation` covers, widened
    /// by one section (or one page) on each side.
    pub fn support(&self, sentence: &str, citation: Option<&Citation>) -> f64 {
        let Some(c) = citation else { return 0.0 };
        let stems = content_stems(sentence);
        let Some((lo, hi)) = self.cited_sections(c) else {
            return if stems.is_empty() { 1.0 } else { 0.0 };
        };
        let lo = lo.saturating_sub(1);
        let hi = (hi + 1).min(self.sections.len() - 1);
        self.share_found(&stems, lo, hi)
    }

    /// `citation` widened to a neighbouring section (or both) when the sentence's support
    /// comes from there: a reader then finds it on the pages cited, not next to them.
    /// Unchanged when the cited sections alone support it, or no widening does.
    pub fn widen(&self, sentence: &str, citation: &Citation, unit: Unit) -> Citation {
        let stems = content_stems(sentence);
        let Some((lo, hi)) = self.cited_sections(citation) else {
            return citation.clone();
        };
        if self.share_found(&stems, lo, hi) >= SUPPORT_SHARE {
            return citation.clone();
        }
        let last = self.sections.len() - 1;
        let candidates = [
            (lo.saturating_sub(1), hi),
            (lo, (hi + 1).min(last)),
            (lo.saturating_sub(1), (hi + 1).min(last)),
        ];
        // The widening that supports most (the narrower first on a tie).
        let best = candidates
            .into_iter()
            .filter(|&c| c != (lo, hi))
            .map(|(a, b)| (a, b, self.share_found(&stems, a, b)))
            .filter(|&(_, _, share)| share >= SUPPORT_SHARE)
            .fold(None, |best: Option<(usize, usize, f64)>, c| match best {
                Some(b) if b.2 >= c.2 => Some(b),
                _ => Some(c),
            });
        match best {
            Some((a, b, _)) => {
                let (first, last) = (self.sections[a].0, self.sections[b].1);
                Citation {
                    first,
                    last,
                    label: label(unit, first, last),
                    shared_terms: citation.shared_terms.clone(),
                }
            }
            None => citation.clone(),
        }
    }

    /// Indexes of the first and last sections a citation covers.
    fn cited_sections(&self, c: &Citation) -> Option<(usize, usize)> {
        let mut idx = self
            .sections
            .iter()
            .enumerate()
            .filter(|(_, (f, l, _))| *l >= c.first && *f <= c.last)
            .map(|(i, _)| i);
        let lo = idx.next()?;
        Some((lo, idx.next_back().unwrap_or(lo)))
    }

    /// Share of `stems` found in sections `lo..=hi` (1 for no stems).
    fn share_found(&self, stems: &HashSet<String>, lo: usize, hi: usize) -> f64 {
        if stems.is_empty() {
            return 1.0;
        }
        let found = stems
            .iter()
            .filter(|w| {
                self.sections[lo..=hi]
                    .iter()
                    .any(|(_, _, s)| s.contains(*w))
            })
            .count();
        found as f64 / stems.len() as f64
    }

    /// Checks one sentence against the document and the sentences kept before it.
    pub fn check(
        &self,
        sentence: &str,
        citation: Option<&Citation>,
        earlier: &[String],
    ) -> SentenceCheck {
        let support = self.support(sentence, citation);
        SentenceCheck {
            invented: self.invented(sentence),
            unknown_names: self.unknown_names(sentence),
            support,
            supported: citation.is_some() && support >= SUPPORT_SHARE,
            repeats: earlier.iter().position(|e| near_duplicate(e, sentence)),
        }
    }

    /// The four figures for sentences with their citations.
    pub fn score(&self, sentences: &[(String, Option<Citation>)]) -> Faithfulness {
        let mut f = Faithfulness {
            sentences: sentences.len(),
            key_terms: self.key_terms.clone(),
            ..Faithfulness::default()
        };
        let mut said: Vec<String> = Vec::new();
        let mut all_stems = HashSet::new();
        for (text, citation) in sentences {
            let c = self.check(text, citation.as_ref(), &said);
            f.words += text.split_whitespace().count();
            for w in c.invented {
                if !f.invented_identifiers.contains(&w) {
                    f.invented_identifiers.push(w);
                }
            }
            f.unsupported += usize::from(!c.supported);
            f.repeated += usize::from(c.repeats.is_some());
            all_stems.extend(content_stems(text));
            said.push(text.clone());
        }
        f.unsupported_share = ratio(f.unsupported, f.sentences);
        f.covered = self
            .key_terms
            .iter()
            .filter(|t| all_stems.contains(&stem(t)))
            .cloned()
            .collect();
        f.coverage = ratio(f.covered.len(), f.key_terms.len());
        f
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Whether two sentences say nearly the same thing: most content words of the shorter one
/// are in the other.
pub fn near_duplicate(a: &str, b: &str) -> bool {
    let (sa, sb) = (content_stems(a), content_stems(b));
    let (small, large) = if sa.len() <= sb.len() {
        (&sa, &sb)
    } else {
        (&sb, &sa)
    };
    if small.len() < 3 {
        return a.trim().eq_ignore_ascii_case(b.trim());
    }
    let shared = small.iter().filter(|w| large.contains(*w)).count();
    shared as f64 / small.len() as f64 >= DUPLICATE_OVERLAP
}

/// `text` without web addresses and e-mail addresses (`https://pypdf.readthedocs.io`,
/// `[docs](https://...)`, `www.example.org`, `user@example.org`): the words inside them
/// (`https`, `github`, `html`) are not what a document is about.
fn without_links(text: &str) -> String {
    let is_link = |token: &str| {
        let t = token.to_ascii_lowercase();
        t.contains("://")
            || t.trim_start_matches(['(', '<', '[']).starts_with("www.")
            || (t.contains('@') && t.contains('.'))
            || [".com/", ".org/", ".io/", ".net/"]
                .iter()
                .any(|d| t.contains(d))
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut first = true;
        for token in line.split_whitespace() {
            if !first {
                out.push(' ');
            }
            first = false;
            if !is_link(token) {
                out.push_str(token);
            }
        }
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// The `n` key terms of a document (each as its most frequent spelling): content words
/// of at least 4 letters, grouped by [`stem`], ranked
/// by the number of sections they occur in (then by frequency), kept when they occur in
/// at least two sections, or at least three times in a one-section document.
pub fn key_terms(sections: &[Section], n: usize) -> Vec<String> {
    let mut df: HashMap<String, usize> = HashMap::new();
    let mut tf: HashMap<String, usize> = HashMap::new();
    let mut surface: HashMap<String, HashMap<String, usize>> = HashMap::new();
    for s in sections {
        let kept: Vec<String> = terms(&without_links(&s.text))
            .into_iter()
            .filter(|w| {
                w.chars().count() >= 4 && w.chars().all(char::is_alphabetic) && !is_common(w)
            })
            .collect();
        let stems: Vec<String> = kept.iter().map(|w| stem(w)).collect();
        for (w, st) in kept.into_iter().zip(&stems) {
            *tf.entry(st.clone()).or_default() += 1;
            *surface.entry(st.clone()).or_default().entry(w).or_default() += 1;
        }
        for w in stems.into_iter().collect::<HashSet<_>>() {
            *df.entry(w).or_default() += 1;
        }
    }
    let min_df = if sections.len() > 1 { 2 } else { 1 };
    let mut ranked: Vec<(String, usize, usize)> = df
        .into_iter()
        .filter(|(w, d)| *d >= min_df && tf[w] >= 3)
        .map(|(w, d)| {
            let t = tf[&w];
            (w, d, t)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(n)
        .map(|(st, _, _)| {
            // The stem's most frequent spelling in the document.
            surface[&st]
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map_or(st.clone(), |(w, _)| w.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::cite::{label, Unit};

    fn doc() -> Vec<Section> {
        let page = |n: usize, text: &str| Section {
            first: n,
            last: n,
            text: text.into(),
        };
        vec![
            page(1, "Ghostscript manages colour with ICC profiles. The gsicc_manager keeps profiles for each device."),
            page(2, "Rendering intents choose how colours outside the gamut are mapped. Profiles are cached per device."),
            page(3, "Spot colours and separations are handled by the device profiles and the manager."),
        ]
    }

    fn cite(first: usize, last: usize) -> Option<Citation> {
        Some(Citation {
            first,
            last,
            label: label(Unit::Page, first, last),
            shared_terms: vec![],
        })
    }

    #[test]
    fn a_citation_widens_to_the_neighbour_that_supports_the_sentence() {
        let index = SourceIndex::new(&doc());
        // Page 2 has "rendering intents" and "device"; the rest is on page 3 (and only
        // "manager" on page 1).
        let sentence = "Spot separations are handled by device managers with rendering intents.";
        let widened = index.widen(sentence, &cite(2, 2).unwrap(), Unit::Page);
        assert_eq!((widened.first, widened.last), (2, 3), "{widened:?}");
        assert_eq!(widened.label, label(Unit::Page, 2, 3));
        // Supported on its own page: unchanged.
        let own = "Rendering intents map colours outside the gamut.";
        assert_eq!(
            index.widen(own, &cite(2, 2).unwrap(), Unit::Page),
            cite(2, 2).unwrap()
        );
    }

    #[test]
    fn a_missing_term_is_shown_in_the_sentence_that_speaks_most_of_the_document() {
        let index = SourceIndex::new(&doc());
        // "separations" is on page 3 only; its sentence also holds other key terms.
        let m = index.mention("separation").unwrap();
        assert!(m.starts_with("Spot colours and separations"), "{m}");
        // Among the sentences with "rendering", the one with page 2's key terms.
        let m = index.mention("Rendering").unwrap();
        assert!(m.contains("gamut"), "{m}");
        assert_eq!(index.mention("banana"), None);
        // Sentences shorter than six words are not quoted.
        let short = SourceIndex::new(&[Section {
            first: 1,
            last: 1,
            text: "Profiles matter. Profiles matter a lot in print.".into(),
        }]);
        assert_eq!(
            short.mention("profiles"),
            Some("Profiles matter a lot in print.")
        );
    }

    #[test]
    fn the_quoted_sentence_states_most_missing_terms_in_clean_prose() {
        let index = SourceIndex::new(&[
            Section {
                first: 1,
                last: 1,
                text: "The mortar shells flew over the hill into the city at night. \
                       Shells fell near the camp on the hill every night. \
                       The boys in camp watched the shells fall from the hill."
                    .into(),
            },
            Section {
                first: 2,
                last: 2,
                text: "At night the camp on the hill was quiet again. \
                       mwCannister shot fell on the hill near the camp at night. \
                       The hill camp saw shells at night and shells at dawn."
                    .into(),
            },
        ]);
        let terms = index.key_terms().to_vec();
        for t in ["hill", "camp", "night", "shells"] {
            assert!(terms.iter().any(|k| k == t), "{t} not in {terms:?}");
        }
        let missing: Vec<String> = vec!["camp".into(), "night".into()];
        let quotes = index.quotable(&missing);
        // Both missing terms, then the most key terms: OCR debris never qualifies.
        assert!(quotes.len() >= 3, "{quotes:?}");
        assert!(
            quotes.iter().all(|q| !q.contains("mwCannister")),
            "{quotes:?}"
        );
        let first = content_stems(quotes[0]);
        assert!(
            first.contains(&stem("camp")) && first.contains(&stem("night")),
            "{quotes:?}"
        );
        // One missing term is not enough to quote a sentence for it.
        assert!(index.quotable(&["boys".to_string()]).is_empty());
        let none = HashSet::new();
        assert!(clean_prose(
            "The balls are made of cast iron, 2.5 inches wide.",
            &none
        ));
        assert!(!clean_prose(
            "Found bent in every conceivaSibieyTent shape.",
            &none
        ));
        assert!(!clean_prose(
            "are found bent and flattened in every shape.",
            &none
        ));
        assert!(!clean_prose(
            "The heads are movable, and the edge? of the tin",
            &none
        ));
        let names: HashSet<String> = ["LinnSequencer".to_string()].into();
        assert!(clean_prose("The LinnSequencer records songs.", &names));
    }

    #[test]
    fn lines_of_a_scan_are_read_as_whole_sentences() {
        let text = "Recording a Sequence\nTo record a sequence, simply press RECORD and PLAY,\nthen play your keyboard.\n\u{b7} Exclusive ERASE function.\n\u{25cf} Optional remote\ncontrol.\n\nThe end:\nthat is all.";
        assert_eq!(
            reflow(text),
            "Recording a Sequence To record a sequence, simply press RECORD and PLAY, then play your keyboard.\nExclusive ERASE function.\nOptional remote control.\nThe end:\nthat is all.\n"
        );
        // Names that recur are not OCR debris.
        let index = SourceIndex::new(&[Section {
            first: 1,
            last: 1,
            text: "The LinnSequencer stores songs and notes on disk.\nThe LinnSequencer plays\nsongs with notes in sync.".into(),
        }]);
        let mut quotes = index.quotable(&["songs".to_string(), "notes".to_string()]);
        quotes.sort_unstable();
        assert_eq!(
            quotes,
            vec![
                "The LinnSequencer plays songs with notes in sync.",
                "The LinnSequencer stores songs and notes on disk."
            ]
        );
    }

    #[test]
    fn words_of_web_addresses_are_not_key_terms() {
        let page = |n: usize| {
            Section {
            first: n,
            last: n,
            text: format!(
                "The reader parses pages and streams. See https://pypdf.readthedocs.io/en/stable/index.html \
                 or [the docs](https://github.com/py-pdf/pypdf) and write to dev@pypdf.org.\n\
                 Pages hold streams; the reader decodes streams. www.github.com/pypdf {n}"
            ),
        }
        };
        let terms = key_terms(&[page(1), page(2), page(3)], 10);
        for t in ["reader", "streams", "decodes"] {
            assert!(terms.iter().any(|k| k == t), "{t} not in {terms:?}");
        }
        for t in ["https", "github", "readthedocs", "html", "stable", "pypdf"] {
            assert!(!terms.iter().any(|k| k == t), "{t} in {terms:?}");
        }
        assert_eq!(
            without_links("see <https://x.org/a> and (www.y.com)\nnext line"),
            "see  and \nnext line"
        );
    }

    #[test]
    fn missing_terms_are_the_key_terms_no_sentence_mentions() {
        let index = SourceIndex::new(&doc());
        let all = index.key_terms().to_vec();
        assert!(all.len() >= 2, "{all:?}");
        assert_eq!(index.missing_terms(&[]), all);
        // "profile" mentions "profiles" (same stem); the rest stay missing.
        let missing = index.missing_terms(&["Each device has a profile."]);
        assert!(!missing.contains(&"profiles".to_string()), "{missing:?}");
        assert_eq!(
            missing.len(),
            all.len() - 1 - usize::from(all.contains(&"device".to_string()))
        );
    }

    #[test]
    fn a_summary_is_scored_on_the_four_figures() {
        let index = SourceIndex::new(&doc());
        assert!(
            index.key_terms().contains(&"profiles".to_string()),
            "{:?}",
            index.key_terms()
        );
        let sentences = vec![
            (
                "Ghostscript manages colour with ICC profiles kept by gsicc_manager.".to_string(),
                cite(1, 1),
            ),
            (
                "Rendering intents map colours outside the gamut.".to_string(),
                cite(2, 2),
            ),
            (
                "The gscmsc_create function builds profiles in cgcc-cpp17.".to_string(),
                cite(1, 1),
            ),
            (
                "Ghostscript manages colour with ICC profiles.".to_string(),
                cite(1, 1),
            ),
            (
                "Bananas are yellow fruit grown in warm climates.".to_string(),
                cite(3, 3),
            ),
        ];
        let f = index.score(&sentences);
        assert_eq!(f.invented_identifiers, vec!["gscmsc_create", "cpp17"]);
        assert_eq!(f.repeated, 1, "the fourth sentence repeats the first");
        assert_eq!(
            f.unsupported, 2,
            "bananas are on no page, nor the invented function"
        );
        assert!(f.coverage > 0.0 && f.coverage < 1.0, "{f:?}");
        assert!(
            !index.check("Profiles are cached.", None, &[]).supported,
            "uncited"
        );
        let c = index.check(
            "Profiles are kept by General Lee for Ghostscript.",
            cite(1, 1).as_ref(),
            &[],
        );
        assert_eq!(c.unknown_names, vec!["General", "Lee"]);
        assert!(c.fails());
    }

    #[test]
    fn stems_fold_plurals_and_verb_endings() {
        assert_eq!(stem("profiles"), "profil");
        assert_eq!(stem("profiled"), "profil");
        assert_eq!(stem("profile"), "profil");
        assert_eq!(stem("retried"), stem("retries"), "both are retry");
        assert_eq!(stem("process"), "process");
        assert_eq!(stem("processes"), "process");
        assert_eq!(stem("rendering"), "render");
        assert_eq!(stem("libraries"), "library");
        assert_eq!(stem("gas"), "gas");
    }
}
