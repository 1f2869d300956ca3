//! Grounding summary sentences in the source: each sentence is matched to the page (or
//! run of adjacent pages) sharing the most distinctive words with it, and cited there.
//! Citations the model wrote itself are removed first, since small models invent page
//! numbers; every citation in the output is one this module checked.

use std::collections::{HashMap, HashSet};

/// How a document's parts are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// PDF pages: `[p. 3]`, `[pp. 3–5]`.
    Page,
    /// Lines of a text file: `[l. 7]`, `[ll. 10–42]`.
    Line,
}

/// A contiguous part of the document: one page, or a run of lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// First page (or line) number, from 1.
    pub first: usize,
    /// Last page (or line) number.
    pub last: usize,
    pub text: String,
}

/// A citation of `first..=last` in `unit`s.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Citation {
    pub first: usize,
    pub last: usize,
    /// As printed, e.g. `p. 12` or `pp. 3–5`.
    pub label: String,
    /// The distinctive words the sentence shares with the cited text.
    pub shared_terms: Vec<String>,
}

/// Formats a citation label.
pub fn label(unit: Unit, first: usize, last: usize) -> String {
    match (unit, first == last) {
        (Unit::Page, true) => format!("p. {first}"),
        (Unit::Page, false) => format!("pp. {first}\u{2013}{last}"),
        (Unit::Line, true) => format!("l. {first}"),
        (Unit::Line, false) => format!("ll. {first}\u{2013}{last}"),
    }
}

/// Shared words needed before a sentence is cited.
pub const MIN_SHARED_TERMS: usize = 2;
/// Adjacent sections scoring at least this fraction of the best join its citation.
const RANGE_FRACTION: f64 = 0.85;
/// Widest citation range, in sections.
const MAX_RANGE: usize = 3;

const STOPWORDS: &[&str] = &[
    "the",
    "and",
    "for",
    "are",
    "but",
    "not",
    "you",
    "all",
    "any",
    "can",
    "had",
    "her",
    "was",
    "one",
    "our",
    "out",
    "has",
    "his",
    "how",
    "its",
    "may",
    "new",
    "now",
    "see",
    "two",
    "who",
    "did",
    "get",
    "use",
    "used",
    "uses",
    "using",
    "that",
    "with",
    "this",
    "from",
    "they",
    "will",
    "would",
    "there",
    "their",
    "what",
    "about",
    "which",
    "when",
    "make",
    "like",
    "time",
    "just",
    "know",
    "take",
    "into",
    "year",
    "your",
    "some",
    "could",
    "them",
    "than",
    "then",
    "only",
    "come",
    "over",
    "also",
    "back",
    "after",
    "first",
    "well",
    "even",
    "want",
    "because",
    "these",
    "give",
    "most",
    "such",
    "been",
    "were",
    "each",
    "other",
    "more",
    "many",
    "those",
    "both",
    "very",
    "where",
    "while",
    "should",
    "does",
    "between",
    "through",
    "within",
    "without",
    "document",
    "describes",
    "discusses",
    "provides",
    "section",
    "page",
    "pages",
    "summary",
    "also",
    "including",
    "include",
    "includes",
    "how",
    "why",
    "what",
    "here",
    "however",
];

/// Distinctive words of a text: lower-cased alphanumeric runs of at least 3 characters
/// that are not common English words.
pub fn terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .collect()
}

/// An index of the document's sections for grounding.
#[derive(Debug)]
pub struct Grounder {
    unit: Unit,
    sections: Vec<(usize, usize, HashSet<String>)>,
    idf: HashMap<String, f64>,
}

impl Grounder {
    pub fn new(unit: Unit, sections: &[Section]) -> Self {
        let sets: Vec<HashSet<String>> = sections
            .iter()
            .map(|s| terms(&s.text).into_iter().collect())
            .collect();
        let mut df: HashMap<String, usize> = HashMap::new();
        for set in &sets {
            for t in set {
                *df.entry(t.clone()).or_default() += 1;
            }
        }
        let n = sets.len().max(1) as f64;
        let idf = df
            .into_iter()
            .map(|(t, d)| (t, (1.0 + n / d as f64).ln()))
            .collect();
        Self {
            unit,
            sections: sections
                .iter()
                .zip(sets)
                .map(|(s, set)| (s.first, s.last, set))
                .collect(),
            idf,
        }
    }

    /// The citation for `sentence`, if some section shares at least
    /// [`MIN_SHARED_TERMS`] distinctive words with it.
    pub fn cite(&self, sentence: &str) -> Option<Citation> {
        let words: HashSet<String> = terms(sentence).into_iter().collect();
        if words.is_empty() {
            return None;
        }
        let score = |set: &HashSet<String>| -> (f64, usize) {
            let mut s = 0.0;
            let mut n = 0;
            for w in &words {
                if set.contains(w) {
                    s += self.idf.get(w).copied().unwrap_or(0.0);
                    n += 1;
                }
            }
            (s, n)
        };
        let scores: Vec<(f64, usize)> =
            self.sections.iter().map(|(_, _, set)| score(set)).collect();
        let (best, &(top, shared)) = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(b.0.cmp(&a.0)))?;
        if shared < MIN_SHARED_TERMS || top <= 0.0 {
            return None;
        }
        let (mut lo, mut hi) = (best, best);
        while hi - lo + 1 < MAX_RANGE {
            let left = lo.checked_sub(1).filter(|&i| {
                scores[i].0 >= RANGE_FRACTION * top && scores[i].1 >= MIN_SHARED_TERMS
            });
            let right = Some(hi + 1).filter(|&i| {
                i < scores.len()
                    && scores[i].0 >= RANGE_FRACTION * top
                    && scores[i].1 >= MIN_SHARED_TERMS
            });
            match (left, right) {
                (Some(l), Some(r)) if scores[l].0 >= scores[r].0 => lo = l,
                (_, Some(r)) => hi = r,
                (Some(l), None) => lo = l,
                (None, None) => break,
            }
        }
        let (first, last) = (self.sections[lo].0, self.sections[hi].1);
        let mut shared_terms: Vec<String> = words
            .iter()
            .filter(|w| self.sections[best].2.contains(*w))
            .cloned()
            .collect();
        shared_terms.sort_by(|a, b| {
            let (ia, ib) = (self.idf.get(a), self.idf.get(b));
            ib.partial_cmp(&ia)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(b))
        });
        Some(Citation {
            first,
            last,
            label: label(self.unit, first, last),
            shared_terms,
        })
    }
}

/// Removes citations a model wrote itself: bracketed or parenthesised references such as
/// `[p. 3]`, `(pp. 3-5)`, `[page 4]`, `[ll. 2–9]`.
pub fn strip_model_citations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['[', '(']) {
        let close = if rest[i..].starts_with('[') { ']' } else { ')' };
        let inner_end = rest[i + 1..].find(close).map(|j| i + 1 + j);
        match inner_end {
            Some(j) if is_reference(&rest[i + 1..j]) => {
                out.push_str(rest[..i].trim_end_matches(' '));
                rest = &rest[j + 1..];
            }
            _ => {
                out.push_str(&rest[..=i]);
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_reference(inner: &str) -> bool {
    let lower = inner.trim().to_lowercase();
    let prefixed = ["p.", "pp.", "page", "pages", "l.", "ll.", "line", "lines"]
        .iter()
        .any(|p| lower.starts_with(p));
    prefixed
        && lower.chars().any(|c| c.is_ascii_digit())
        && lower
            .chars()
            .all(|c| c.is_alphanumeric() || " .,-\u{2013}".contains(c))
}

/// Splits streamed text into sentences: a sentence ends at `.`, `!` or `?` followed by
/// white space, or at a line break.
#[derive(Debug, Default)]
pub struct SentenceSplitter {
    buf: String,
}

impl SentenceSplitter {
    /// Adds text; returns the sentences completed so far, each with the white space that
    /// followed it.
    pub fn push(&mut self, piece: &str) -> Vec<(String, String)> {
        self.buf.push_str(piece);
        let mut out = Vec::new();
        loop {
            let chars: Vec<(usize, char)> = self.buf.char_indices().collect();
            let mut cut = None;
            for (k, &(i, c)) in chars.iter().enumerate() {
                // Closing quotes and brackets after the full stop belong to the sentence.
                let closers = chars[k + 1..]
                    .iter()
                    .take_while(|&&(_, n)| {
                        matches!(n, '"' | '\'' | ')' | ']' | '\u{201d}' | '\u{2019}')
                    })
                    .count();
                let end_punct = matches!(c, '.' | '!' | '?')
                    && chars
                        .get(k + 1 + closers)
                        .is_some_and(|&(_, n)| n.is_whitespace())
                    && !is_abbreviation(&self.buf[..i]);
                if c == '\n' || end_punct {
                    let end = if c == '\n' {
                        i
                    } else {
                        chars[k + closers].0 + chars[k + closers].1.len_utf8()
                    };
                    // The white space after the sentence, which must be complete (more
                    // may still come at the end of the buffer).
                    let ws_len = self.buf[end..]
                        .chars()
                        .take_while(|c| c.is_whitespace())
                        .map(char::len_utf8)
                        .sum::<usize>();
                    if end + ws_len == self.buf.len() {
                        break;
                    }
                    cut = Some((end, end + ws_len));
                    break;
                }
            }
            let Some((end, ws_end)) = cut else { break };
            let sentence = self.buf[..end].to_string();
            let ws = self.buf[end..ws_end].to_string();
            self.buf.drain(..ws_end);
            out.push((sentence, ws));
        }
        out
    }

    /// The text left at the end.
    pub fn finish(&mut self) -> Option<(String, String)> {
        let rest = std::mem::take(&mut self.buf);
        let trimmed = rest.trim_end();
        (!trimmed.is_empty()).then(|| (trimmed.to_string(), rest[trimmed.len()..].to_string()))
    }
}

fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '[')
        .next()
        .unwrap_or("");
    matches!(
        word.to_lowercase().as_str(),
        "e.g"
            | "i.e"
            | "p"
            | "pp"
            | "fig"
            | "vs"
            | "etc"
            | "dr"
            | "mr"
            | "ms"
            | "no"
            | "eq"
            | "inc"
            | "ltd"
            | "corp"
            | "co"
            | "al"
            | "approx"
            | "sec"
            | "ch"
            | "vol"
    ) || (word.len() == 1 && word.chars().all(|c| c.is_ascii_uppercase()))
}

/// Puts a citation at the end of a sentence, inside its final punctuation.
pub fn attach(sentence: &str, citation: &Citation) -> String {
    let trimmed = sentence.trim_end();
    let body = trimmed.trim_end_matches(['.', '!', '?']);
    let punct = &trimmed[body.len()..];
    format!("{body} [{}]{punct}", citation.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections() -> Vec<Section> {
        vec![
            Section {
                first: 1,
                last: 1,
                text: "Introduction to colour management with ICC profiles.".into(),
            },
            Section {
                first: 2,
                last: 2,
                text: "Ghostscript renders PostScript and PDF using output intents.".into(),
            },
            Section {
                first: 3,
                last: 3,
                text: "Spot colours and separations for printing presses.".into(),
            },
        ]
    }

    #[test]
    fn cites_the_page_that_shares_the_distinctive_words() {
        let g = Grounder::new(Unit::Page, &sections());
        let c = g
            .cite("Ghostscript renders PDF files with output intents.")
            .unwrap();
        assert_eq!((c.first, c.last, c.label.as_str()), (2, 2, "p. 2"));
        assert!(c.shared_terms.contains(&"ghostscript".to_string()));
        assert!(g.cite("Nothing here matches at all.").is_none());
    }

    #[test]
    fn removes_invented_citations_and_attaches_checked_ones() {
        assert_eq!(
            strip_model_citations("Profiles matter [p. 99]. See (pp. 3-5) and [note]."),
            "Profiles matter. See and [note]."
        );
        let c = Citation {
            first: 3,
            last: 5,
            label: label(Unit::Page, 3, 5),
            shared_terms: vec![],
        };
        assert_eq!(
            attach("Spot colours matter.", &c),
            "Spot colours matter [pp. 3\u{2013}5]."
        );
        assert_eq!(label(Unit::Line, 7, 7), "l. 7");
    }

    #[test]
    fn splits_streamed_text_into_sentences() {
        let mut s = SentenceSplitter::default();
        assert!(s.push("First one, e.g. this").is_empty());
        assert!(
            SentenceSplitter::default()
                .push("Artifex Software Inc. makes Ghostscript")
                .is_empty(),
            "Inc. ends no sentence"
        );
        let got = s.push(" part. Second");
        assert_eq!(got, vec![("First one, e.g. this part.".into(), " ".into())]);
        let got = s.push("!\n- bullet\n");
        let mut q = SentenceSplitter::default();
        let got_q = q.push("He said \"go.\" Then (it ended.) More");
        assert_eq!(
            got_q,
            vec![
                ("He said \"go.\"".into(), " ".into()),
                ("Then (it ended.)".into(), " ".into())
            ]
        );
        assert_eq!(got[0], ("Second!".into(), "\n".into()));
        assert_eq!(s.push("end").len(), 1);
        assert_eq!(s.finish(), Some(("end".into(), String::new())));
    }
}
