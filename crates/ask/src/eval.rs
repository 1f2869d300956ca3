//! Scoring answers against a labelled ask set (`tests/eval/ask.toml`): each answerable
//! question names phrases a right answer contains and the places it must cite; the
//! unanswerable ones must be declined. `plait eval --ask` runs the set.

use serde::{Deserialize, Serialize};

use crate::place::{parse_place, Stretch};
use crate::{Answer, AskError, Result, Source};

/// A labelled ask set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskSet {
    /// The corpus folder name the places are relative to.
    pub corpus: String,
    #[serde(rename = "question")]
    pub questions: Vec<AskQuestion>,
}

/// One labelled question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskQuestion {
    pub text: String,
    /// `code` or `docs`; both when absent.
    #[serde(default)]
    pub index: Option<String>,
    /// A right answer contains one of these (any case).
    #[serde(default)]
    pub answer: Vec<String>,
    /// A right answer cites one of these: `path/suffix.py:10-40` (lines overlapping),
    /// `file.pdf p.3` (that page) or a bare path.
    #[serde(default)]
    pub cite: Vec<String>,
    /// The corpus does not answer it: it must be declined.
    #[serde(default)]
    pub unanswerable: bool,
}

impl AskSet {
    /// Parses and checks a set: every answerable question has phrases and places.
    pub fn from_toml(text: &str, path: &str) -> Result<Self> {
        let bad = |reason: String| AskError::AskSet {
            path: path.to_string(),
            reason,
        };
        let set: Self = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        for (i, q) in set.questions.iter().enumerate() {
            if !q.unanswerable && (q.answer.is_empty() || q.cite.is_empty()) {
                return Err(bad(format!(
                    "question {} ({:?}) needs `answer` and `cite`, or `unanswerable = true`",
                    i + 1,
                    q.text
                )));
            }
            for spec in &q.cite {
                parse_place(spec).map_err(|e| bad(format!("question {}: {e}", i + 1)))?;
            }
            if let Some(ix) = &q.index {
                ix.parse::<plait_ingest::IndexName>().map_err(bad)?;
            }
        }
        Ok(set)
    }
}

/// Whether `source` is at the labelled place `spec` (a malformed spec matches nothing;
/// [`AskSet::from_toml`] refuses them).
pub fn cites_place(source: &Source, spec: &str) -> bool {
    Stretch::from(&source.hit).is_at(spec)
}

/// The verdict on one answer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QuestionScore {
    pub question: String,
    pub unanswerable: bool,
    pub declined: bool,
    /// The answer contains a labelled phrase.
    pub phrase: bool,
    /// The answer cites a labelled place.
    pub citation: bool,
    /// Answerable: not declined, right phrase and right citation. Unanswerable: declined.
    pub right: bool,
    pub ttft_ms: Option<f64>,
    pub tokens_per_second: f64,
    pub generated_tokens: usize,
    pub answer: String,
    pub cited: Vec<String>,
    /// Identifier-like words of the answer no source or the question holds.
    pub invented: Vec<String>,
    /// Share of the question's distinctive words the closest sources hold.
    pub relevance: f64,
    /// Generations made (2: asked again after a decline or an answer with nothing
    /// supported, see `AskConfig::retry_relevance`).
    pub attempts: usize,
    /// Why it declined.
    pub reason: Option<String>,
    /// Sentences the checks left out (`misquoted: ` before one quoting what no source
    /// writes, `echo: ` before one that only restated the question, `repeated: ` before
    /// one said again, `ungrounded: ` before one adding only words its sources lack):
    /// what a decline for lack of support threw away.
    #[serde(default)]
    pub dropped: Vec<String>,
}

/// Scores one answer.
pub fn score(q: &AskQuestion, a: &Answer) -> QuestionScore {
    let text = a.answer.to_lowercase();
    let phrase = !a.declined && q.answer.iter().any(|p| text.contains(&p.to_lowercase()));
    let citation = !a.declined
        && a.sources
            .iter()
            .any(|s| q.cite.iter().any(|c| cites_place(s, c)));
    QuestionScore {
        question: q.text.clone(),
        unanswerable: q.unanswerable,
        declined: a.declined,
        phrase,
        citation,
        right: if q.unanswerable {
            a.declined
        } else {
            phrase && citation
        },
        ttft_ms: a.timings.ttft_ms,
        tokens_per_second: a.timings.tokens_per_second,
        generated_tokens: a.timings.generated_tokens,
        answer: a.answer.clone(),
        cited: a.sources.iter().map(Source::place).collect(),
        invented: a.invented.clone(),
        relevance: a.relevance,
        attempts: a.timings.attempts,
        reason: a.reason.clone(),
        dropped: a
            .dropped
            .iter()
            .map(|d| {
                let why = if d.echo {
                    "echo: "
                } else if d.misquoted {
                    "misquoted: "
                } else if d.repeated {
                    "repeated: "
                } else if d.ungrounded {
                    "ungrounded: "
                } else {
                    ""
                };
                format!("{why}{}", d.text)
            })
            .collect(),
    }
}

/// The figures of a whole set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AskReport {
    pub answerable: usize,
    /// Answerable questions answered with a right phrase and a right citation.
    pub answered_right: usize,
    pub answered_right_share: f64,
    pub phrase_share: f64,
    pub citation_share: f64,
    /// Answerable questions declined.
    pub wrongly_declined: usize,
    pub unanswerable: usize,
    pub declined_right: usize,
    pub declined_right_share: f64,
    /// Answers holding an identifier-like word no source or the question holds.
    pub answers_with_invented: usize,
    /// Questions asked a second time after the model declined relevant sources or wrote
    /// nothing they support.
    pub retried: usize,
    /// Median time to first token over the answers generated.
    pub median_ttft_ms: Option<f64>,
    /// Generated tokens over decoding seconds, all answers together.
    pub tokens_per_second: f64,
}

/// Sums the scores of a set.
pub fn report(scores: &[QuestionScore]) -> AskReport {
    let answerable: Vec<&QuestionScore> = scores.iter().filter(|s| !s.unanswerable).collect();
    let unanswerable = scores.len() - answerable.len();
    let share = |n: usize, of: usize| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    let right = answerable.iter().filter(|s| s.right).count();
    let declined_right = scores
        .iter()
        .filter(|s| s.unanswerable && s.declined)
        .count();
    let mut ttfts: Vec<f64> = scores.iter().filter_map(|s| s.ttft_ms).collect();
    ttfts.sort_by(f64::total_cmp);
    let (tokens, seconds) =
        scores
            .iter()
            .filter(|s| s.tokens_per_second > 0.0)
            .fold((0.0, 0.0), |(t, d), s| {
                let n = s.generated_tokens as f64;
                (t + n, d + n / s.tokens_per_second)
            });
    AskReport {
        answerable: answerable.len(),
        answered_right: right,
        answered_right_share: share(right, answerable.len()),
        phrase_share: share(
            answerable.iter().filter(|s| s.phrase).count(),
            answerable.len(),
        ),
        citation_share: share(
            answerable.iter().filter(|s| s.citation).count(),
            answerable.len(),
        ),
        wrongly_declined: answerable.iter().filter(|s| s.declined).count(),
        retried: scores.iter().filter(|s| s.attempts > 1).count(),
        unanswerable,
        declined_right,
        declined_right_share: share(declined_right, unanswerable),
        answers_with_invented: scores.iter().filter(|s| !s.invented.is_empty()).count(),
        median_ttft_ms: ttfts.get(ttfts.len() / 2).copied(),
        tokens_per_second: if seconds > 0.0 { tokens / seconds } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::hit;

    #[test]
    fn places_match_by_path_suffix_lines_and_page() {
        let code = Source {
            number: 1,
            hit: hit("/x/code/pagerange.py", "t"),
        };
        assert!(cites_place(&code, "code/pagerange.py:5-20"));
        assert!(cites_place(&code, "pagerange.py"));
        assert!(!cites_place(&code, "code/pagerange.py:11-20"));
        assert!(!cites_place(&code, "ange.py"));
        let pdf = Source {
            number: 1,
            hit: hit("/x/docs/linn.pdf", "t"),
        };
        assert!(cites_place(&pdf, "docs/linn.pdf p.1"));
        assert!(!cites_place(&pdf, "docs/linn.pdf p.2"));
    }

    #[test]
    fn a_set_needs_phrases_and_places_for_answerable_questions() {
        let ok = "corpus = \"c\"\n[[question]]\ntext = \"q\"\nanswer = [\"a\"]\ncite = [\"f.py\"]\n[[question]]\ntext = \"u\"\nunanswerable = true\n";
        assert_eq!(
            AskSet::from_toml(ok, "s").map(|s| s.questions.len()).ok(),
            Some(2)
        );
        let bad = "corpus = \"c\"\n[[question]]\ntext = \"q\"\n";
        assert!(AskSet::from_toml(bad, "s").is_err());
        for place in ["f.pdf p.x", "f.py:9-3", "f.py:0-3", "f.py:12"] {
            let set = format!(
                "corpus = \"c\"\n[[question]]\ntext = \"q\"\nanswer = [\"a\"]\ncite = [\"{place}\"]\n"
            );
            assert!(AskSet::from_toml(&set, "s").is_err(), "{place}");
        }
    }

    #[test]
    fn the_repository_ask_sets_parse() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/eval");
        let mut sets = 0;
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some(name) = name.filter(|n| n.starts_with("ask") && n.ends_with(".toml")) else {
                continue;
            };
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            let set = AskSet::from_toml(&text, &name).unwrap_or_else(|e| panic!("{e}"));
            let unanswerable = set.questions.iter().filter(|q| q.unanswerable).count();
            assert!(set.questions.len() >= 20 && unanswerable >= 4, "{name}");
            sets += 1;
        }
        assert_eq!(
            sets, 5,
            "ask.toml, ask-more.toml, ask-langs.toml, ask-wide.toml and ask-far.toml"
        );
    }
}
