//! A quotation lead: an answer asked to start from the line of a source that answers
//! the question (`Quote [3]: "..."`, one line), then to answer. The lead is shown as the
//! quoted line with its citation (`"..." [3]`), checked like any sentence; a lead
//! followed by the model's NOT FOUND is a decline.

/// The label a quotation lead opens with (matched without regard to case).
const LABEL: &str = "quote";

/// The citations and the text of a quotation lead's first sentence: `Quote [3]: "x"`
/// gives `([3], "\"x\"")`; `Quote: x` gives `([], "x")`. `None` when `text` does not
/// open with the label, citation markers and a colon.
pub fn label(text: &str) -> Option<(Vec<usize>, &str)> {
    let t = text.trim_start().trim_start_matches(['*', '>', '#', ' ']);
    let head = t.get(..LABEL.len())?;
    if !head.eq_ignore_ascii_case(LABEL) {
        return None;
    }
    let mut rest = t[LABEL.len()..].trim_start_matches(['s', 'S']);
    let mut numbers = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '*']);
        let Some(inner) = rest.strip_prefix('[') else {
            break;
        };
        let close = inner.find(']')?;
        for part in inner[..close].split([',', ' ']).filter(|p| !p.is_empty()) {
            numbers.push(part.trim().parse().ok()?);
        }
        rest = &inner[close + 1..];
    }
    let rest = rest.trim_start_matches('*').strip_prefix(':')?;
    Some((numbers, rest.trim_start_matches(['*', ' '])))
}

/// A quotation lead's first sentence as it is shown and checked: the quoted text, then
/// its citations (`"x" [3]`).
pub fn as_sentence(numbers: &[usize], text: &str) -> String {
    let marks: String = numbers.iter().map(|n| format!("[{n}]")).collect();
    if marks.is_empty() {
        text.to_string()
    } else {
        format!("{} {marks}", text.trim_end())
    }
}

/// `text` after its leading quotation lines, for telling what the answer proper says;
/// `None` while a quotation line is still unfinished (no line break after it yet).
pub fn after_leads(text: &str) -> Option<&str> {
    let mut t = text;
    loop {
        let trimmed = t.trim_start();
        if label(trimmed).is_none() && !may_open_label(trimmed) {
            return Some(t);
        }
        // "Quo", "Quote [1" ...: it may still become a label; a label's line may go on.
        label(trimmed)?;
        let end = trimmed.find('\n')?;
        t = &trimmed[end + 1..];
    }
}

/// Whether `text` (non-empty) is a beginning of a label not yet complete.
fn may_open_label(text: &str) -> bool {
    if text.is_empty() {
        return false;
    }
    let n = text.len().min(LABEL.len());
    let Some(head) = text.get(..n) else {
        return false;
    };
    if !head.eq_ignore_ascii_case(&LABEL[..n]) {
        return false;
    }
    // After the word: only citation markers so far, no colon yet.
    text[n..]
        .chars()
        .all(|c| c.is_ascii_digit() || " []sS,*".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_gives_its_citations_and_text() {
        assert_eq!(label("Quote [3]: \"x y\""), Some((vec![3], "\"x y\"")));
        assert_eq!(label("quote [1][2]: x"), Some((vec![1, 2], "x")));
        assert_eq!(label("**Quote [2]:** x"), Some((vec![2], "x")));
        assert_eq!(label("Quote: x"), Some((vec![], "x")));
        assert_eq!(label("Quotes [1, 4]: x"), Some((vec![1, 4], "x")));
        assert_eq!(label("Quoting the source, x"), None);
        assert_eq!(label("The quote [1]: x"), None);
        assert_eq!(label("Quote [a]: x"), None);
        assert_eq!(as_sentence(&[3], "\"x y\""), "\"x y\" [3]");
        assert_eq!(as_sentence(&[], "x"), "x");
    }

    #[test]
    fn the_answer_proper_starts_after_the_quotation_lines() {
        assert_eq!(
            after_leads("Quote [1]: \"a\"\nNOT FOUND"),
            Some("NOT FOUND")
        );
        assert_eq!(
            after_leads("Quote [1]: a\nQuote [2]: b\n\nThe answer"),
            Some("\nThe answer")
        );
        assert_eq!(after_leads("The answer [1]."), Some("The answer [1]."));
        assert_eq!(after_leads("NOT FOUND"), Some("NOT FOUND"));
        for open in ["Quo", "Quote [", "Quote [1", "Quote [1]: \"a"] {
            assert_eq!(after_leads(open), None, "{open:?}");
        }
        assert_eq!(after_leads(""), Some(""));
        assert_eq!(after_leads("Quota is"), Some("Quota is"));
    }
}
