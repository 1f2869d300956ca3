//! Words PDFium splits at a line-end hyphen: its text layer marks the break with U+0002
//! ("secu\u{2}" at one line's end, "rity" at the next line's start); [`join_hyphenated`]
//! puts the halves back together so search, summaries and citations see "security".

/// PDFium's marker for a hyphen it found at the end of a line.
pub const LINE_END_HYPHEN: char = '\u{2}';

/// `text` with every word PDFium split at a line-end hyphen joined again: the marker and
/// the line break after it are removed and the word's second half is moved up, so the
/// break now follows the whole word ("secu\u{2}\r\nrity of" becomes "security\nof").
/// A marker not followed by a line break is simply removed; text without markers is
/// returned unchanged.
pub fn join_hyphenated(text: &str) -> String {
    if !text.contains(LINE_END_HYPHEN) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(LINE_END_HYPHEN) {
        out.push_str(&rest[..at]);
        rest = &rest[at + LINE_END_HYPHEN.len_utf8()..];
        let after_break = rest
            .strip_prefix("\r\n")
            .or_else(|| rest.strip_prefix('\n'))
            .or_else(|| rest.strip_prefix('\r'));
        let Some(next) = after_break else {
            continue;
        };
        let break_text = &rest[..rest.len() - next.len()];
        // The second half: up to the next space, line break or marker.
        let end = next
            .find(|c: char| c.is_whitespace() || c == LINE_END_HYPHEN)
            .unwrap_or(next.len());
        out.push_str(&next[..end]);
        let tail = &next[end..];
        if tail.starts_with(LINE_END_HYPHEN) || tail.is_empty() {
            // Split again at the next line's end (or the text ends): no break to keep.
            rest = tail;
            if tail.is_empty() {
                break;
            }
            continue;
        }
        // Keep the line break after the joined word, dropping the space that separated
        // the second half from the rest of its line.
        let tail = tail.strip_prefix(' ').unwrap_or(tail);
        if tail.starts_with(['\r', '\n']) {
            rest = tail;
        } else {
            out.push_str(break_text);
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_are_joined_and_the_break_follows_the_word() {
        assert_eq!(
            join_hyphenated("the secu\u{2}\r\nrity of TLS\r\nrenego\u{2}\r\ntiation"),
            "the security\r\nof TLS\r\nrenegotiation"
        );
        assert_eq!(
            join_hyphenated("applica\u{2}\ntions,\nnext"),
            "applications,\nnext"
        );
        assert_eq!(join_hyphenated("secu\u{2}rity"), "security");
        assert_eq!(join_hyphenated("end\u{2}\n"), "end");
        assert_eq!(join_hyphenated("word\u{2}\nword\n"), "wordword\n");
        // A word broken over three lines.
        assert_eq!(
            join_hyphenated("super\u{2}\ncali\u{2}\nfragile day"),
            "supercalifragile\nday"
        );
        let plain = "no markers here\nat all";
        assert_eq!(join_hyphenated(plain), plain);
        assert!(!join_hyphenated("a\u{2}\u{2}\n\u{2}b").contains('\u{2}'));
    }
}
