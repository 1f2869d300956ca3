//! Honest "not found": how much of a question the retrieved sources speak to, measured
//! before any model runs. A question whose distinctive words the closest sources mostly
//! lack is declined with those sources shown instead of an answer.

use std::collections::HashSet;

use plait_summarize::content_stems;

use crate::Source;

/// Words of questions that say what is asked, not what about.
const QUESTION_WORDS: &[&str] = &[
    "function",
    "functions",
    "method",
    "methods",
    "class",
    "code",
    "file",
    "files",
    "say",
    "says",
    "mean",
    "means",
    "meant",
    "called",
    "call",
    "name",
    "named",
    "happen",
    "happens",
    "tell",
    "explain",
    "show",
    "find",
    "defined",
    "define",
    "work",
    "works",
    "value",
    "values",
    "default",
    "kind",
    "kinds",
    "type",
    "types",
    "thing",
    "things",
    "someone",
    "plait",
    "please",
    "doe",
    "give",
    "list",
];

/// The question's distinctive words (stemmed), without the words that only ask.
pub fn question_stems(question: &str) -> HashSet<String> {
    let asking = content_stems(&QUESTION_WORDS.join(" "));
    content_stems(question)
        .into_iter()
        .filter(|w| !asking.contains(w))
        .collect()
}

/// Share of the question's distinctive words found in the sources (1.0 when the
/// question has none: nothing to judge by).
pub fn relevance(question: &str, sources: &[Source]) -> f64 {
    let wanted = question_stems(question);
    if wanted.is_empty() {
        return 1.0;
    }
    let found: HashSet<String> = sources
        .iter()
        .flat_map(|s| content_stems(&s.checked_text()))
        .collect();
    wanted.intersection(&found).count() as f64 / wanted.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::hit;

    #[test]
    fn measures_how_much_of_the_question_the_sources_hold() {
        let s = vec![Source {
            number: 1,
            hit: hit(
                "docs/a.pdf",
                "The siege of Vicksburg came to an end with a surrender.",
            ),
        }];
        assert!((relevance("How did the siege of Vicksburg end?", &s) - 1.0).abs() < 1e-9);
        assert!(relevance("What is the boiling point of mercury?", &s) < 0.01);
        assert!(question_stems("Which function parses page ranges?").contains("pars"));
        assert!(!question_stems("Which function parses page ranges?").contains("function"));
    }
}
