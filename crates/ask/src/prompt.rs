//! The prompt of an answer: fixed instructions first (the same for every question, so
//! their keys and values are reused), then the numbered sources (reused too when the
//! next question retrieves the same ones first), then the question.

use crate::Source;

/// What the model says when the sources do not answer the question.
pub const NOT_FOUND: &str = "NOT FOUND";

/// The system message: the same for every question.
pub const INSTRUCTIONS: &str = "You answer questions about the user's code and documents using only the numbered sources below. \
After each sentence, cite the sources that support it by number in square brackets, like [1] or [2][3]. \
Copy identifiers, values and short phrases exactly as the sources write them. \
Answer in at most four short sentences. \
If the sources do not contain the answer, reply exactly: NOT FOUND";

/// A prompt as a system and a user message (the role's chat template joins them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub system: String,
    pub user: String,
}

/// The user message opening before the sources.
const SOURCES_HEAD: &str = "Sources:\n\n";

impl Prompt {
    /// The prompt for `question` over `sources` (in order).
    pub fn new(question: &str, sources: &[Source]) -> Self {
        let mut user = String::from(SOURCES_HEAD);
        for s in sources {
            user.push_str(&s.prompt_block());
            user.push('\n');
        }
        user.push_str(&format!(
            "Question: {}\nAnswer using only the sources above, citing them as [n]:",
            question.trim()
        ));
        Self {
            system: INSTRUCTIONS.to_string(),
            user,
        }
    }
}

/// Whether an answer's text is the model declining (after any leading citations,
/// quotes or emphasis: small models write `[1] NOT FOUND` or `` `NOT FOUND` ``).
pub fn says_not_found(answer: &str) -> bool {
    head(answer).is_some_and(|t| t.to_ascii_uppercase().starts_with(NOT_FOUND))
}

/// Whether `answer` (a streamed answer so far) may still become, or already is, the
/// model's decline: its head is empty, a beginning of [`NOT_FOUND`] or starts with it.
pub fn may_say_not_found(answer: &str) -> bool {
    match head(answer) {
        None => true,
        Some(t) => {
            let t = t.to_ascii_uppercase();
            NOT_FOUND.starts_with(&t) || t.starts_with(NOT_FOUND)
        }
    }
}

/// Texts an answer may open with before its first word, which [`says_not_found`] looks
/// past: white space, citation markers, quotes, backticks and asterisks. Their tokens (a
/// marker's `[`, `2`, `]`) do not open an answer asked once more after a decline, so the
/// decline stays barred after them.
pub const LEAD: &[&str] = &[
    " ", "  ", "\n", "\n\n", "[1]", "[2]", "[3]", "[4]", "[5]", "[6]", "[7]", "[8]", "[9]", "[10]",
    " [1]", " [2]", " [3]", "[1] ", "[2] ", "[1]\n", "[1][2]", " [1][2] ", "`", " `", "```", "*",
    " *", "**", " **", "\"", " \"", "'", " '",
];

/// `text` without leading white space, citations (`[1]`, `[2][3]`), quotes, backticks
/// and asterisks; `None` while an unfinished citation (`[1`) is all there is.
fn head(text: &str) -> Option<&str> {
    let mut t = text;
    loop {
        t = t.trim_start_matches(|c: char| c.is_whitespace() || "\"'`*".contains(c));
        let Some(rest) = t.strip_prefix('[') else {
            return Some(t);
        };
        let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        match digits.strip_prefix(']') {
            Some(after) => t = after,
            None if digits.is_empty() => return None,
            None => return Some(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_come_first_and_the_question_last() {
        let p = Prompt::new("where is X?", &[]);
        assert_eq!(p.system, INSTRUCTIONS);
        assert!(p.user.starts_with(SOURCES_HEAD));
        assert!(p.user.contains("Question: where is X?"));
        assert!(says_not_found(" NOT FOUND."));
        assert!(says_not_found("not found"));
        assert!(!says_not_found("The page range is found in [1]."));
        assert!(says_not_found("[1] NOT FOUND"));
        assert!(says_not_found("`NOT FOUND`"));
        assert!(says_not_found("\"NOT FOUND.\""));
        assert!(!says_not_found("[1] The range is 1:3."));
    }

    #[test]
    fn a_decline_is_recognised_after_any_lead() {
        for lead in LEAD {
            assert!(may_say_not_found(lead), "{lead:?}");
            assert!(says_not_found(&format!("{lead}NOT FOUND")), "{lead:?}");
            assert!(lead.chars().all(|c| !c.is_alphabetic()), "{lead:?}");
        }
    }

    #[test]
    fn a_streamed_decline_is_recognised_before_it_is_complete() {
        for partial in [
            "",
            " ",
            "[",
            "[1",
            "[1] ",
            "[1] NO",
            "`NOT F",
            "NOT FOUND. More",
        ] {
            assert!(may_say_not_found(partial), "{partial:?}");
        }
        for partial in ["The", "[1] The", "NOTE", "[x]", "Not here"] {
            assert!(!may_say_not_found(partial), "{partial:?}");
        }
    }
}
