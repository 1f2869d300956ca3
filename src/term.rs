//! Terminal-safe text: names, text and headings that came from files are printed with
//! control characters escaped, so a file name or a chunk cannot move the cursor, clear
//! the screen, set the window title or fake a line of output. `--json` output is left
//! alone: JSON strings already carry the exact characters, escaped.

use std::borrow::Cow;
use std::path::Path;

/// Characters that steer a terminal or reorder what it shows: C0 and C1 controls, DEL,
/// and the bidirectional overrides and isolates.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) && !keep(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of output: every control character escaped (`\n`, `\t`, `\u{1b}`).
pub fn line(s: &str) -> Cow<'_, str> {
    escape(s, |_| false)
}

/// A path on one line, control characters escaped.
pub fn path(p: &Path) -> String {
    line(&p.to_string_lossy()).into_owned()
}

/// Multi-line text (a chunk): newlines and tabs kept, every other control character
/// escaped.
pub fn text(s: &str) -> Cow<'_, str> {
    escape(s, |c| c == '\n' || c == '\t')
}

/// An error and its causes on one line, each cause once (a cause whose text an outer
/// message already includes, as in `cannot read X: <io error>`, is not repeated), with
/// control characters escaped.
pub fn error(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    line(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_steers_a_terminal() {
        assert_eq!(
            line("bad\x1b[2J\x1b[Hclear.pdf"),
            "bad\\u{1b}[2J\\u{1b}[Hclear.pdf"
        );
        assert_eq!(line("two\nlines"), "two\\nlines");
        assert_eq!(
            text("a\n\tb\x07\u{9b}c\u{202e}"),
            "a\n\tb\\u{7}\\u{9b}c\\u{202e}"
        );
        assert!(matches!(line("plain é 😀"), Cow::Borrowed(_)));
    }

    #[test]
    fn an_error_chain_names_each_cause_once() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let e = anyhow::Error::new(io).context(format!(
            "cannot read x: {}",
            std::io::Error::from(std::io::ErrorKind::NotFound)
        ));
        assert_eq!(error(&e), "cannot read x: entity not found");
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error(&e), "outer: inner");
    }
}
