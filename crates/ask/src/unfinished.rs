//! Sentences that stop before their claim: a small model asked "what are the dimensions
//! of A4?" often writes "The dimensions of A4 paper are [4]." — pointing at a source
//! instead of saying what it holds. A sentence whose last word is one a finished claim
//! never ends on ([`UNFINISHED_ENDS`]) has stopped before its claim; the checks leave it
//! out unless it names a fact of its own. (Refusing the marker in decoding instead was
//! measured on five ask sets and not kept: README, "Two rules".)

/// Words a finished sentence does not end on: a copula, an article, `has`/`have`, and
/// `called`/`named`.
pub(crate) const UNFINISHED_ENDS: &[&str] = &[
    "a", "an", "the", "is", "are", "was", "were", "be", "has", "have", "called", "named",
];

/// Whether `text` ends on a word of [`UNFINISHED_ENDS`] standing alone (after white
/// space, not the tail of `nautyL.a`), ignoring closing punctuation after it. Text that
/// ends in a colon introduces what follows and is finished.
pub(crate) fn ends_unfinished(text: &str) -> bool {
    let end = text.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '.' | '!' | '?' | '"' | '\'' | '*' | ')')
    });
    if end.ends_with(':') {
        return false;
    }
    let Some(at) = end.rfind(char::is_whitespace) else {
        return UNFINISHED_ENDS.contains(&end.to_lowercase().as_str());
    };
    let word = &end[at..].trim_start();
    UNFINISHED_ENDS.contains(&word.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_stopping_on_a_copula_or_article_are_unfinished() {
        for t in [
            "The dimensions of A4 paper are",
            "The extension usually has ",
            "which is.",
            "the class called",
            "is",
        ] {
            assert!(ends_unfinished(t), "{t}");
        }
        for t in [
            "A4 is 595 by 842 points.",
            "Link with nautyL.a",
            "The options are:",
            "It is defined in",
            "This is",
        ] {
            assert_eq!(ends_unfinished(t), t == "This is", "{t}");
        }
    }
}
