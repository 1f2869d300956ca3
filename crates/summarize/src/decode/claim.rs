//! Claims before citations: a small model asked "what are the dimensions of A4?" often
//! writes "The dimensions of A4 paper are [4]." — pointing at a source instead of saying
//! what it holds. A sentence whose last word is one a finished claim never ends on
//! ([`UNFINISHED_ENDS`]) has stopped before its claim. With the rule on, grounded
//! decoding never lets a citation marker follow such a word, so the model goes on to
//! write the claim; answers' checks leave out such sentences when they get through.

/// Words a finished sentence does not end on: a copula, an article, `has`/`have`, and
/// `called`/`named`.
pub const UNFINISHED_ENDS: &[&str] = &[
    "a", "an", "the", "is", "are", "was", "were", "be", "has", "have", "called", "named",
];

/// Whether `text` ends on a word of [`UNFINISHED_ENDS`] standing alone (after white
/// space, not the tail of `nautyL.a`), ignoring closing punctuation after it. Text that
/// ends in a colon introduces what follows and is finished.
pub fn ends_unfinished(text: &str) -> bool {
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

/// Whether `piece` would open a citation marker (`[`, `【`) right after `tail`, the end
/// of the output, which stops before its claim. Only a tail that shows the white space
/// before its last word is judged (a token boundary inside `nautyL.a` is not).
pub(crate) fn cites_too_soon(tail: &str, piece: &str) -> bool {
    piece.trim_start().starts_with(['[', '\u{3010}'])
        && tail.trim_end().contains(char::is_whitespace)
        && ends_unfinished(tail)
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

    #[test]
    fn a_marker_may_not_follow_an_unfinished_word() {
        assert!(cites_too_soon("\nThe sizes are", " ["));
        assert!(cites_too_soon(" paper are", "["));
        assert!(!cites_too_soon(" paper are", " 595"));
        assert!(!cites_too_soon(" points", " ["));
        assert!(!cites_too_soon(" nautyL.a", " ["));
        assert!(!cites_too_soon(".a", " ["), "no white space: cannot tell");
    }
}
