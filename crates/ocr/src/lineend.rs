//! Line ends in a PDF's text layer: PDFium ends each line with `\r\n` (and a lone `\r`
//! at times); [`plain_line_ends`] writes every one as `\n`, so search hits, summaries,
//! citations and prompts carry the same text whatever produced the page.

/// `text` with every `\r\n` and lone `\r` written as `\n`; text without `\r` is returned
/// unchanged.
pub fn plain_line_ends(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_string();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriage_returns_become_line_feeds_and_nothing_else_changes() {
        assert_eq!(
            plain_line_ends("first\r\nsecond\rthird\r\n\r\nend"),
            "first\nsecond\nthird\n\nend"
        );
        let plain = "no returns\nhere \u{2} at all";
        assert_eq!(plain_line_ends(plain), plain);
        assert_eq!(plain_line_ends("\r"), "\n");
        assert_eq!(plain_line_ends(""), "");
    }
}
