//! Checked citations: the `[n]` markers a model wrote are parsed out of each sentence;
//! a number outside the sources is removed, a source that shares none of the sentence's
//! distinctive words is removed, an uncited sentence is cited with the source that
//! shares most of its words when one clearly does, and a sentence left without support
//! is not shown. A sentence whose facts (numbers and identifiers the question does not
//! hold) none of its cited sources contain is re-cited to the source that holds them all
//! and shares its words, when one does: small models often put the right fact beside the
//! wrong number. A sentence quoting in backticks what no source or the question writes
//! is not shown (an invented name), nor one that only restates the question (every
//! distinctive word of it is the question's: "The option that does X is [3]."), nor one
//! citing only sources that hold none of the question's subject names ([`Subject`]: an
//! answer about another library or function than the one asked about). The word
//! measures are the summary checks' (`plait_summarize::terms`, `content_stems`), so
//! answers and summaries are judged alike.

use std::collections::HashSet;

use plait_summarize::{content_stems, is_identifier_like, MIN_SHARED_TERMS};
use serde::{Deserialize, Serialize};

use crate::prompt::says_not_found;
use crate::unfinished::ends_unfinished;
use crate::{Source, Subject};

/// Share of an uncited sentence's distinctive words a source must hold to be cited for it.
pub const AUTO_CITE_SHARE: f64 = 0.5;

/// One sentence of an answer after the checks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckedSentence {
    /// The sentence with its checked citations (`[1][3]`) before the final punctuation.
    pub text: String,
    /// Source numbers it cites, each checked.
    pub citations: Vec<usize>,
    /// Numbers the model wrote that were removed: outside the sources, or a source that
    /// shares none of the sentence's distinctive words.
    pub removed: Vec<usize>,
    /// Whether the citation was added by the checks: the model cited nothing usable, or
    /// cited sources without the sentence's facts (those are in `removed`).
    pub added: bool,
    /// Whether it only restates the question (no distinctive word of its own), stops
    /// before its claim (`The extension is [1].`, see `unfinished.rs`) or is the
    /// model's `NOT FOUND` written after an answer: not shown.
    #[serde(default)]
    pub echo: bool,
    /// Whether it quotes in backticks text that neither a source nor the question holds
    /// (`` `C.URL FOLLOW location` ``: words of the sources joined into a name they never
    /// write), or writes a word of the question that no searched index holds (a claim
    /// about `QUIC` citing urllib3's sources): an invented quotation, not shown.
    #[serde(default)]
    pub misquoted: bool,
    /// Whether every source it cites lacks the question's subject names (the `pflag`
    /// or `gcry_strerror` asked about): an answer about something else, not shown.
    #[serde(default)]
    pub off_subject: bool,
    /// Whether none of the words and facts it adds to the question's is in a source it
    /// cites: the sources support only the question restated, not what the sentence
    /// claims ("The model translator uses multiple threads when it generates a very
    /// large model [1]", citing a page on the model translator that never mentions
    /// threads, asked how many threads it uses; a `42%` its source does not write).
    /// Yes, not and words about the sources are no such words. Not shown.
    #[serde(default)]
    pub ungrounded: bool,
    /// Whether it says nearly what a shown sentence of the answer already said and adds
    /// no number or name (a model looping): not shown.
    #[serde(default)]
    pub repeated: bool,
    /// Whether it is shown: cited by a source sharing its words, or too short or inside
    /// a code block (nothing to check).
    pub supported: bool,
    /// The white space that followed it.
    #[serde(skip)]
    pub space: String,
}

/// The sources' distinctive words, for checking sentences.
#[derive(Debug)]
pub struct CitationChecker {
    sources: Vec<(usize, HashSet<String>)>,
    /// Each source's text as the model saw it, for finding a sentence's facts.
    texts: Vec<(usize, String)>,
    /// The sources' and the question's texts with white space runs as one space, for
    /// finding quotations.
    quotable: String,
    question: HashSet<String>,
    /// The question's content stems and those of [`ANSWER_WORDS`]: what a sentence adds
    /// is its stems beyond these.
    given: HashSet<String>,
    /// The question as written (facts it holds are not the answer's).
    question_text: String,
    subject: Subject,
    /// Words of the question no searched index holds (lower case): a sentence stating
    /// them states what no source could support.
    unknown: Vec<String>,
}

/// Words that carry no claim of their own (a restated question is made of the question's
/// words and these).
const FILLER: &[&str] = &[
    "a",
    "an",
    "the",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "of",
    "to",
    "in",
    "on",
    "at",
    "by",
    "for",
    "from",
    "with",
    "as",
    "that",
    "this",
    "these",
    "those",
    "it",
    "its",
    "which",
    "what",
    "who",
    "when",
    "where",
    "how",
    "why",
    "do",
    "does",
    "did",
    "and",
    "or",
    "can",
    "will",
    "would",
    "should",
    "may",
    "might",
    "must",
    "there",
    "here",
    "you",
    "your",
    "i",
    "my",
    "we",
    "our",
    "they",
    "their",
    "following",
    "used",
    "called",
];

/// Words an answer adds to a question without claiming anything a source must hold:
/// yes or no ("Yes, black point compensation is enabled by default"), and words about
/// the sources rather than the subject ("The sources indicate that ...").
const ANSWER_WORDS: &[&str] = &[
    "yes",
    "not",
    "sources",
    "indicate",
    "according",
    "mentioned",
    "states",
    "says",
    "provided",
    "based",
    "information",
    "context",
    "documentation",
];

/// The words of `text` as written (lower case, identifiers whole, numbers kept), without
/// [`FILLER`] and a plural `s`: what decides whether a sentence says more than the
/// question.
fn plain_words(text: &str) -> HashSet<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !FILLER.contains(&w.as_str()))
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.len() > 2 => stem.to_string(),
            _ => w,
        })
        .collect()
}

impl CitationChecker {
    /// A checker of answers to `question` over `sources`.
    pub fn new(question: &str, sources: &[Source]) -> Self {
        Self {
            sources: sources
                .iter()
                .map(|s| (s.number, content_stems(&s.checked_text())))
                .collect(),
            texts: sources
                .iter()
                .map(|s| (s.number, s.checked_text()))
                .collect(),
            quotable: std::iter::once(question.to_string())
                .chain(sources.iter().map(Source::checked_text))
                .map(|t| one_spaced(&t))
                .collect::<Vec<_>>()
                .join("\n"),
            question: plain_words(question),
            given: content_stems(&format!("{question} {}", ANSWER_WORDS.join(" "))),
            question_text: question.to_string(),
            subject: Subject::new(question, sources),
            unknown: Vec::new(),
        }
    }

    /// The checker told which words of the question no searched index holds
    /// ([`crate::Retriever::unknown_words`]: `QUIC` asked of urllib3): a sentence that
    /// writes one is treated as an invented quotation, not shown.
    pub fn with_unknown_words(mut self, words: &[String]) -> Self {
        self.unknown = words.iter().map(|w| w.to_lowercase()).collect();
        self
    }

    /// Whether every backtick quotation of `body` is written in a source or the question.
    fn quotes_hold(&self, body: &str) -> bool {
        body.split('`')
            .skip(1)
            .step_by(2)
            .map(|q| one_spaced(q.trim()))
            .all(|q| q.is_empty() || self.quotable.contains(&q))
    }

    fn text_of(&self, number: usize) -> Option<&str> {
        self.texts
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, t)| t.as_str())
    }

    /// The numbers and identifiers of `body` that the question does not hold.
    fn facts(&self, body: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for word in body.split_whitespace() {
            let w = word.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '%'));
            let w = w.trim_start_matches('%');
            let fact = w.chars().any(|c| c.is_ascii_digit()) || is_identifier_like(w);
            if fact && !holds(&self.question_text, w) && !out.iter().any(|f| f == w) {
                out.push(w.to_string());
            }
        }
        out
    }

    /// Re-cites `out` to the one source holding all of `body`'s facts when none of its
    /// citations does (and that source shares at least `needed` of `stems`).
    fn repair(
        &self,
        body: &str,
        stems: &HashSet<String>,
        needed: usize,
        out: &mut CheckedSentence,
    ) {
        let facts = self.facts(body);
        if facts.is_empty() {
            return;
        }
        let holds_all = |n: usize| {
            self.text_of(n)
                .is_some_and(|t| facts.iter().all(|f| holds(t, f)))
        };
        if out.citations.iter().any(|&n| holds_all(n)) {
            return;
        }
        let best = self
            .sources
            .iter()
            .filter(|(n, _)| holds_all(*n))
            .map(|(n, w)| (*n, stems.intersection(w).count()))
            .filter(|&(_, k)| k >= needed.max(1))
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
        if let Some((n, _)) = best {
            for old in out.citations.drain(..) {
                if !out.removed.contains(&old) {
                    out.removed.push(old);
                }
            }
            out.citations.push(n);
            out.added = true;
        }
    }

    /// Whether some source of `citations` holds what `body` adds to the question: one of
    /// its content words the question lacks (stemmed; words about the answer itself,
    /// [`ANSWER_WORDS`], aside) or one of its facts ([`Self::facts`]). True when it adds
    /// nothing: then there is nothing to find.
    fn grounds(&self, body: &str, stems: &HashSet<String>, citations: &[usize]) -> bool {
        let added: Vec<&String> = stems.iter().filter(|w| !self.given.contains(*w)).collect();
        let facts = self.facts(body);
        if added.is_empty() && facts.is_empty() {
            return true;
        }
        citations.iter().any(|&n| {
            self.words_of(n)
                .is_some_and(|words| added.iter().any(|w| words.contains(*w)))
                || self
                    .text_of(n)
                    .is_some_and(|t| facts.iter().any(|f| holds(t, f)))
        })
    }

    fn words_of(&self, number: usize) -> Option<&HashSet<String>> {
        self.sources
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, w)| w)
    }

    /// Checks one sentence (`in_code`: a line inside a fenced code block, shown as is).
    pub fn check(&self, sentence: &str, in_code: bool, space: &str) -> CheckedSentence {
        if in_code {
            return CheckedSentence {
                text: sentence.to_string(),
                supported: true,
                space: space.to_string(),
                ..CheckedSentence::default()
            };
        }
        let (body, cited) = split_citations(sentence);
        if !body.chars().any(char::is_alphanumeric) {
            // Markers alone (`[2][3]` after the sentence ended): nothing they support.
            return CheckedSentence {
                text: sentence.to_string(),
                removed: cited,
                space: space.to_string(),
                ..CheckedSentence::default()
            };
        }
        let stems = content_stems(&body);
        let needed = MIN_SHARED_TERMS.min(stems.len());
        let shared = |words: &HashSet<String>| stems.intersection(words).count();
        let mut out = CheckedSentence {
            space: space.to_string(),
            ..CheckedSentence::default()
        };
        for n in cited {
            let ok = self
                .words_of(n)
                .is_some_and(|w| stems.is_empty() || shared(w) >= needed);
            let list = if ok {
                &mut out.citations
            } else {
                &mut out.removed
            };
            if !list.contains(&n) {
                list.push(n);
            }
        }
        self.repair(&body, &stems, needed, &mut out);
        if out.citations.is_empty() && stems.len() >= MIN_SHARED_TERMS {
            let best = self
                .sources
                .iter()
                .map(|(n, w)| (*n, shared(w)))
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
            if let Some((n, k)) = best {
                if k >= MIN_SHARED_TERMS && k as f64 >= AUTO_CITE_SHARE * stems.len() as f64 {
                    out.citations.push(n);
                    out.added = true;
                }
            }
        }
        let said = plain_words(&body);
        // The model's decline written after an answer ("... [2]\nNOT FOUND") is no
        // sentence of it: treated as an echo, not shown.
        let decline = says_not_found(&body) && body.split_whitespace().count() <= 2;
        // A sentence that stops before its claim says nothing unless it names a number
        // or identifier of its own on the way ("... the `ANIMATE_TIME_MS` constant,
        // which is [1].").
        let stopped = ends_unfinished(&body) && self.facts(&body).is_empty();
        out.echo = decline || stopped || (!said.is_empty() && said.is_subset(&self.question));
        let lower = body.to_lowercase();
        out.misquoted = !self.quotes_hold(&body) || self.unknown.iter().any(|w| holds(&lower, w));
        out.off_subject =
            !out.citations.is_empty() && !out.citations.iter().any(|&n| self.subject.held_by(n));
        // A sentence ending in a colon introduces what follows ("..., you can use the
        // following command:") and claims nothing by itself.
        let introduces = body.trim_end().ends_with(':');
        out.ungrounded = !out.echo
            && !out.off_subject
            && !introduces
            && !out.citations.is_empty()
            && !self.grounds(&body, &stems, &out.citations);
        out.supported = !out.echo
            && !out.misquoted
            && !out.off_subject
            && !out.ungrounded
            && (!out.citations.is_empty() || stems.len() < MIN_SHARED_TERMS);
        if out.off_subject || out.ungrounded {
            out.removed.append(&mut out.citations);
        }
        if out.echo || out.misquoted {
            out.citations.clear();
        }
        out.text = attach(&body, &out.citations);
        out
    }
}

/// `text` with each run of white space as one space.
fn one_spaced(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `text` holds `fact` as a whole word (not inside a longer number or name).
pub(crate) fn holds(text: &str, fact: &str) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    text.match_indices(fact).any(|(i, _)| {
        !word(text[..i].chars().next_back()) && !word(text[i + fact.len()..].chars().next())
    })
}

/// The sentence without its citation markers, and the numbers they held (in order).
/// A marker is `[3]`, `[1, 2]`, `[2-4]`, `[Source 3]` or `【3】` (or one of these left
/// open before the next, or cut off at the end).
pub fn split_citations(sentence: &str) -> (String, Vec<usize>) {
    let mut body = String::with_capacity(sentence.len());
    let mut numbers = Vec::new();
    let mut rest = sentence;
    while let Some(i) = rest.find(['[', '\u{3010}']) {
        let open = rest[i..].chars().next().map_or(1, char::len_utf8);
        let close = if open == 1 { ']' } else { '\u{3011}' };
        let Some(j) = rest[i + open..].find(close).map(|j| i + open + j) else {
            // A marker cut off at the end (`[4`: the answer's budget ran out in it).
            if rest[i + open..].trim().chars().all(|c| c.is_ascii_digit()) {
                body.push_str(rest[..i].trim_end_matches(' '));
                rest = "";
            }
            break;
        };
        match marker_numbers(&rest[i + open..j]) {
            Some(ns) => {
                body.push_str(rest[..i].trim_end_matches(' '));
                numbers.extend(ns);
                rest = &rest[j + close.len_utf8()..];
            }
            None => match unclosed_marker(&rest[i + open..j]) {
                // `are[4 [4]`: a marker left open before the next one.
                Some((ns, len)) => {
                    body.push_str(rest[..i].trim_end_matches(' '));
                    numbers.extend(ns);
                    rest = &rest[i + open + len..];
                }
                None => {
                    body.push_str(&rest[..i + open]);
                    rest = &rest[i + open..];
                }
            },
        }
    }
    body.push_str(rest);
    // A sentence opening with its marker (`[2] If you call ...`) starts at its word.
    (body.trim_start().to_string(), numbers)
}

/// A marker's numbers and the length of its inside when `inner` (what follows a `[` up
/// to the next `]`) is a marker left open before another `[` (`4 [4`), as a small model
/// writes when it starts a marker twice; `None` otherwise.
fn unclosed_marker(inner: &str) -> Option<(Vec<usize>, usize)> {
    let k = inner.find('[')?;
    let ns = marker_numbers(&inner[..k])?;
    Some((ns, k))
}

/// The numbers of a marker's inside, or `None` when it is not a citation.
fn marker_numbers(inner: &str) -> Option<Vec<usize>> {
    let lower = inner.trim().to_ascii_lowercase();
    let lower = lower
        .strip_prefix("sources")
        .or_else(|| lower.strip_prefix("source"))
        .unwrap_or(&lower);
    let mut out = Vec::new();
    for part in lower.split([',', ';']).map(str::trim) {
        if part.is_empty() {
            return None;
        }
        if let Some((a, b)) = part.split_once(['-', '\u{2013}']) {
            let (a, b) = (
                a.trim().parse::<usize>().ok()?,
                b.trim().parse::<usize>().ok()?,
            );
            if b < a || b - a > 10 {
                return None;
            }
            out.extend(a..=b);
        } else {
            out.push(part.parse::<usize>().ok()?);
        }
    }
    // Sources are numbered from 1: `[0]` is an index (`a[0]`), never a citation.
    (!out.is_empty() && !out.contains(&0)).then_some(out)
}

/// The sentence with `[n]` markers put before its final punctuation.
fn attach(body: &str, numbers: &[usize]) -> String {
    if numbers.is_empty() {
        return body.trim_end().to_string();
    }
    let trimmed = body.trim_end();
    let text = trimmed.trim_end_matches(['.', '!', '?', ':', ';']);
    let punct = &trimmed[text.len()..];
    let marks: String = numbers.iter().map(|n| format!("[{n}]")).collect();
    format!("{} {marks}{punct}", text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sources;

    fn corpus() -> Vec<Source> {
        sources(&[
            (
                "code/pagerange.py",
                "class PageRange: parses page ranges such as 1:3 into slices",
            ),
            (
                "docs/vicksburg.pdf",
                "The siege of Vicksburg ended with the surrender of the city",
            ),
        ])
    }

    #[test]
    fn parses_every_marker_shape() {
        assert_eq!(
            split_citations("It parses ranges [1][2]."),
            ("It parses ranges.".into(), vec![1, 2])
        );
        assert_eq!(split_citations("A [1, 3] b [2-4]").1, vec![1, 3, 2, 3, 4]);
        assert_eq!(split_citations("x [Source 2].").1, vec![2]);
        assert_eq!(
            split_citations("keep [note] and a[0] index"),
            ("keep [note] and a[0] index".into(), vec![])
        );
        assert_eq!(
            split_citations("A4 paper dimensions are[4 [4]"),
            ("A4 paper dimensions are".into(), vec![4, 4])
        );
        assert_eq!(split_citations("x [a [1]."), ("x [a.".into(), vec![1]));
        assert_eq!(
            split_citations("A4 paper dimensions are [4][5] [5][4"),
            ("A4 paper dimensions are".into(), vec![4, 5, 5])
        );
        assert_eq!(split_citations("a[0] and [").0, "a[0] and");
        assert_eq!(
            split_citations("[2] If you call it, it aborts."),
            ("If you call it, it aborts.".into(), vec![2])
        );
        assert_eq!(split_citations("a [x").0, "a [x");
    }

    #[test]
    fn removes_out_of_range_and_unsupported_citations() {
        let c = CitationChecker::new("How are page ranges parsed?", &corpus());
        let s = c.check(
            "PageRange parses page ranges into slices [1][7][2].",
            false,
            " ",
        );
        assert_eq!(s.citations, vec![1]);
        assert_eq!(
            s.removed,
            vec![7, 2],
            "7 is not a source, 2 shares no words"
        );
        assert_eq!(s.text, "PageRange parses page ranges into slices [1].");
        assert!(s.supported);
    }

    #[test]
    fn cites_an_uncited_sentence_only_when_a_source_clearly_supports_it() {
        let c = CitationChecker::new("How are page ranges parsed?", &corpus());
        let s = c.check("The siege of Vicksburg ended in surrender.", false, "");
        assert_eq!((s.citations.clone(), s.added), (vec![2], true));
        let invented = c.check(
            "Quantum chromodynamics explains gluon confinement.",
            false,
            "",
        );
        assert!(!invented.supported && invented.citations.is_empty());
        let code = c.check("    return [1]", true, "\n");
        assert!(code.supported && code.text == "    return [1]");
        assert!(c.check("Yes.", false, "").supported, "nothing to check");
        let bare = c.check(" [1][2]", false, "");
        assert!(
            !bare.supported && bare.citations.is_empty(),
            "markers alone cite nothing"
        );
    }

    #[test]
    fn a_fact_beside_the_wrong_number_is_cited_to_the_source_that_holds_it() {
        let sources = sources(&[
            (
                "docs/mpfr.pdf",
                "The cached constant is recomputed with a minimum of 10% increase of the precision",
            ),
            (
                "docs/mpfr.pdf",
                "Constants such as pi are cached; the precision of the cache grows 110% or more",
            ),
        ]);
        let c = CitationChecker::new(
            "How much does the cached constant's precision grow?",
            &sources,
        );
        let s = c.check(
            "The precision of the cached constant grows by at least 10% [2].",
            false,
            "",
        );
        assert_eq!((s.citations.clone(), s.removed.clone()), (vec![1], vec![2]));
        assert!(s.added && s.supported);
        assert!(s.text.ends_with("10% [1]."), "{}", s.text);
        let right = c.check(
            "The precision of the cached constant grows by 10% [1].",
            false,
            "",
        );
        assert_eq!((right.citations, right.added), (vec![1], false));
        // A fact no source holds is not re-cited, and as all the sentence adds to the
        // question, it is not shown; a fact the question holds is no fact.
        let unknown = c.check("The cached precision grows by 42% [2].", false, "");
        assert_eq!(
            (unknown.citations.clone(), unknown.removed.clone()),
            (vec![], vec![2])
        );
        assert!(unknown.ungrounded && !unknown.supported && !unknown.added);
        let c = CitationChecker::new("Is the precision increase 10%?", &sources);
        let asked = c.check("The cached constant precision grows by 10% [2].", false, "");
        assert_eq!(asked.citations, vec![2]);
        assert!(holds("a 10% b", "10%") && !holds("a 110% b", "10%"));
        assert!(holds("x = 21600.", "21600") && !holds("216000", "21600"));
    }

    #[test]
    fn a_quotation_no_source_writes_is_not_shown() {
        let c = CitationChecker::new("Which option follows redirects?", &corpus());
        let invented = c.check("The option is `C.URL FOLLOW location` [1].", false, "");
        assert!(invented.misquoted && !invented.supported && invented.citations.is_empty());
        let quoted = c.check("`PageRange` parses ranges  such as `1:3` [1].", false, "");
        assert!(!quoted.misquoted && quoted.supported, "{quoted:?}");
        let spaced = c.check("It says `siege of\n Vicksburg` [2].", false, "");
        assert!(!spaced.misquoted, "white space runs compare as one space");
        let asked = c.check("`follows redirects` is asked [1].", false, "");
        assert!(!asked.misquoted, "the question may be quoted");
    }

    #[test]
    fn a_sentence_citing_only_sources_without_the_subject_is_not_shown() {
        let sources = sources(&[
            (
                "/c/manuals/flex.pdf",
                "The functions yytables_fload and yytables_destroy are not thread-safe",
            ),
            (
                "/c/manuals/gcrypt.pdf",
                "gcry_strerror is not thread safe. You have to use gpg_strerror_r instead",
            ),
        ]);
        let c = CitationChecker::new(
            "Is it safe to call gcry_strerror from several threads?",
            &sources,
        );
        let other = c.check(
            "The yytables_fload function is not thread-safe [1].",
            false,
            "",
        );
        assert!(other.off_subject && !other.supported && other.citations.is_empty());
        assert_eq!(other.removed, vec![1]);
        let right = c.check("It is not thread safe; use gpg_strerror_r [2].", false, "");
        assert!(!right.off_subject && right.supported && right.citations == vec![2]);
        let both = c.check("Neither is thread safe [1][2].", false, "");
        assert!(!both.off_subject, "one cited source holds the subject");
        // Without a subject name, the same sentence stands.
        let c = CitationChecker::new("Which functions are not thread safe?", &sources);
        assert!(
            c.check("yytables_fload is not thread-safe [1].", false, "")
                .supported
        );
    }

    #[test]
    fn a_sentence_that_only_restates_the_question_is_not_shown() {
        let c = CitationChecker::new("Which class parses page ranges?", &corpus());
        let echo = c.check("The class that parses page ranges is [1].", false, " ");
        assert!(echo.echo && !echo.supported && echo.citations.is_empty());
        let answer = c.check("PageRange parses page ranges into slices [1].", false, " ");
        assert!(!answer.echo && answer.supported && answer.citations == vec![1]);
        // A number, or an identifier whose parts the question holds, is news.
        let c = CitationChecker::new("How big is the page range of parse_range_page?", &corpus());
        for news in [
            "The page range is 3 [1].",
            "The page range is a parse_range [1].",
        ] {
            assert!(!c.check(news, false, " ").echo, "{news}");
        }
        // A decline written after an answer is not shown; a sentence about it is.
        for decline in ["NOT FOUND", "NOT FOUND.", "[1] NOT FOUND"] {
            let d = c.check(decline, false, "");
            assert!(
                d.echo && !d.supported && d.citations.is_empty(),
                "{decline}"
            );
        }
        assert!(
            !c.check("Not found pages raise KeyError [1].", false, "")
                .echo
        );
    }

    #[test]
    fn a_sentence_whose_own_words_no_cited_source_holds_is_not_shown() {
        let c = CitationChecker::new("How many slices does PageRange parse 1:3 into?", &corpus());
        // Words of the question and of the source, but what it adds ("multiple") is
        // in neither: the source supports the question restated, not the claim.
        let restated = c.check("PageRange parses 1:3 into multiple slices [1].", false, " ");
        assert!(restated.ungrounded && !restated.supported, "{restated:?}");
        assert!(restated.citations.is_empty() && restated.removed == vec![1]);
        // One added word the source writes ("ranges") grounds it; "yes" adds nothing;
        // a sentence introducing what follows claims nothing.
        for grounded in [
            "PageRange parses page ranges such as 1:3 into slices [1].",
            "Yes, PageRange parses 1:3 into slices [1].",
            "PageRange parses 1:3 with the following call [1]:",
        ] {
            let s = c.check(grounded, false, " ");
            assert!(!s.ungrounded && s.supported, "{grounded}: {s:?}");
        }
        // A name made of the question's words is news the source must write; words
        // about the sources are no claim.
        let code = sources(&[(
            "lib/command.js",
            "error(message) { const code = options.code || 'commander.error'; }",
        )]);
        let c = CitationChecker::new("Which code string does commander's error report?", &code);
        let s = c.check(
            "The code string reported is 'commander.error' [1].",
            false,
            " ",
        );
        assert!(!s.ungrounded && s.supported, "{s:?}");
        let s = c.check(
            "The code string reported is 'commander.failure' [1].",
            false,
            " ",
        );
        assert!(s.ungrounded && !s.supported, "{s:?}");
        let s = c.check(
            "The sources indicate the commander error code is not a string [1].",
            false,
            " ",
        );
        assert!(!s.ungrounded, "{s:?}");
        // The same sentence citing the source that holds its added word stands.
        let c = CitationChecker::new("What ended the siege of Vicksburg?", &corpus());
        let s = c.check(
            "The siege of Vicksburg ended with the surrender [2].",
            false,
            " ",
        );
        assert!(!s.ungrounded && s.supported, "{s:?}");
        let s = c.check("The siege of Vicksburg ended with a truce [2].", false, " ");
        assert!(s.ungrounded && !s.supported, "{s:?}");
    }

    #[test]
    fn a_sentence_that_stops_before_its_claim_is_not_shown() {
        let c = CitationChecker::new("Which extension do page range files have?", &corpus());
        for stopped in [
            "The extension page range slices usually has [1].",
            "The slice-like representation is [1][2].",
            "Page indices are parsed by the class called [1].",
        ] {
            let s = c.check(stopped, false, " ");
            assert!(
                s.echo && !s.supported && s.citations.is_empty(),
                "{stopped}"
            );
        }
        for finished in [
            "Page ranges are parsed from strings such as 1:3 [1].",
            "PageRange has a slice-like representation of page indices, as follows: [1]",
            "The slice-like representation of page indices is this [1].",
            "Link page ranges with the library nautyL.a [1].",
            "The slices are built by the `PageRange` class, which is [1].",
        ] {
            assert!(!c.check(finished, false, " ").echo, "{finished}");
        }
    }
}
