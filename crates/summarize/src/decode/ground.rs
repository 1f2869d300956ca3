//! Grounded decoding: identifier-like words (snake_case, CamelCase, words with digits,
//! ALLCAPS) may only be written when they continue a word of the source. The check is
//! exact and cheap: a candidate token is tried against the word in progress (the end of
//! the output after the last word boundary); a token that would complete an identifier the
//! source lacks, or start one no source word begins with, is never chosen. Plain words are
//! left alone, so the model still paraphrases freely; only invented names become
//! impossible.
//!
//! The same definitions ([`words`], [`is_identifier_like`]) score summaries
//! (`crate::summary::check`), so what decoding prevents is what the check counts.

use std::collections::HashSet;

/// Whether `c` belongs to a word (letters, digits, `_`).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The words of `text`: maximal runs of letters, digits and `_`.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
}

/// Whether a word looks like an identifier a reader would check against the source: it
/// has an inner `_` (snake_case), a digit beside letters (`cpp17`, `v2`), a
/// capital after its first letter beside small letters (CamelCase, `ICCBased`), or at
/// least two capitals and no small letters (ALLCAPS).
/// Plain words (`colour`, `Colour`), single letters and numbers are not.
pub fn is_identifier_like(word: &str) -> bool {
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    if letters == 0 {
        return false;
    }
    let trimmed = word.trim_matches('_');
    if trimmed.contains('_') {
        return true;
    }
    if word.chars().any(|c| c.is_ascii_digit()) {
        return true;
    }
    let upper = word.chars().filter(|c| c.is_uppercase()).count();
    let lower = word.chars().filter(|c| c.is_lowercase()).count();
    if upper >= 2 && lower == 0 {
        return true;
    }
    // CamelCase: a capital after the first letter, beside small letters.
    lower > 0 && word.chars().skip(1).any(char::is_uppercase)
}

/// [`is_identifier_like`] for a word still being written: a `_` after its first
/// character already makes it one (`gscmsc_` can only become snake_case).
fn open_is_identifier_like(word: &str) -> bool {
    is_identifier_like(word) || word.trim_start_matches('_').contains('_')
}

/// The words of a source, for grounded decoding: a sorted, lower-cased list for prefix
/// queries and a set for whole words.
#[derive(Debug, Clone, Default)]
pub struct SourceWords {
    sorted: Vec<String>,
    set: HashSet<String>,
}

impl SourceWords {
    /// The words of `texts` (all sections of a document, or notes and the document).
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut set = HashSet::new();
        for t in texts {
            for w in words(t) {
                set.insert(w.to_lowercase());
            }
        }
        let mut sorted: Vec<String> = set.iter().cloned().collect();
        sorted.sort_unstable();
        Self { sorted, set }
    }

    /// Whether the source has this whole word (case-insensitive).
    pub fn contains(&self, word: &str) -> bool {
        self.set.contains(&word.to_lowercase())
    }

    /// Identifier-like words of `text` (see [`is_identifier_like`]) the source lacks,
    /// each once, in order of appearance.
    pub fn invented(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for w in words(text) {
            if is_identifier_like(w) && !self.contains(w) && !out.iter().any(|o| o == w) {
                out.push(w.to_string());
            }
        }
        out
    }

    /// Whether some word of the source starts with `prefix` (case-insensitive).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        let p = prefix.to_lowercase();
        let i = self.sorted.partition_point(|w| w.as_str() < p.as_str());
        self.sorted.get(i).is_some_and(|w| w.starts_with(&p))
    }

    /// Number of distinct words.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Whether writing `piece` after `context` (the end of the output so far; a leading
    /// `\n` when it is the whole output) keeps every word the piece touches grounded: each
    /// word it completes is plain or a source word, and the word left in progress is plain
    /// or the start of a source word. Identifier-like words are checked everywhere, names
    /// (capitalised words) where they do not start a sentence.
    pub fn allows(&self, context: &str, piece: &str) -> bool {
        if piece.is_empty() {
            return true;
        }
        let joined = format!("{context}{piece}");
        let touched_from = context.len();
        let mut start = None;
        let mut iter = joined.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            let word_char = is_word_char(c);
            if word_char && start.is_none() {
                start = Some(i);
            }
            let at_end = iter.peek().is_none();
            let ends_here = start.is_some() && (!word_char || at_end);
            if !ends_here {
                continue;
            }
            let s0 = start.take().unwrap_or(i);
            let end = if word_char { i + c.len_utf8() } else { i };
            if end <= touched_from {
                continue;
            }
            let word = &joined[s0..end];
            let open = word_char && at_end;
            let name = is_name_like(word) && !starts_sentence(&joined[..s0]);
            let checked = if open {
                open_is_identifier_like(word) || name
            } else {
                is_identifier_like(word) || name
            };
            if checked
                && !(if open {
                    self.has_prefix(word)
                } else {
                    self.contains(word)
                })
            {
                return false;
            }
        }
        true
    }
}

/// Whether a word is a name: a capital then small letters only (`Johnston`, `Vicksburg`).
pub fn is_name_like(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_uppercase)
        && word.chars().count() >= 2
        && chars.all(char::is_lowercase)
}

/// Whether a word after `before` starts a sentence (nothing before it, or a full stop,
/// colon, line break or opening mark before it).
pub fn starts_sentence(before: &str) -> bool {
    let Some(c) = before.chars().rev().find(|c| *c != ' ' && *c != '\t') else {
        return true;
    };
    matches!(
        c,
        '.' | '!' | '?' | ':' | '\n' | '"' | '\u{201c}' | '(' | '[' | '*' | '#' | '-'
    )
}

/// The word in progress at the end of `text` (empty after a boundary).
pub fn open_word(text: &str) -> &str {
    let start = text
        .char_indices()
        .rev()
        .find(|&(_, c)| !is_word_char(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_like_words_are_told_from_plain_ones() {
        for w in [
            "gscmsc_create",
            "cpp17",
            "ICC",
            "iccProfile",
            "GsIcc",
            "v2",
            "RGB",
            "ICCBased",
        ] {
            assert!(is_identifier_like(w), "{w}");
        }
        for w in ["colour", "Colour", "a", "I", "2010", "_", "Ghostscript"] {
            assert!(!is_identifier_like(w), "{w}");
        }
    }

    #[test]
    fn only_source_identifiers_may_be_written() {
        let src = SourceWords::new([
            "The gs_icc_manager and ICCBased spaces, see gsicc_create in Ghostscript.",
        ]);
        // A completed invented identifier is refused, a source one allowed.
        assert!(!src.allows("gscmsc", "_create "));
        assert!(src.allows("gsicc", "_create "));
        // Names inside a sentence must be the source's; at its start anything goes.
        assert!(!src.allows("led by", " Lee"));
        assert!(src.allows("\n", "Lee"));
        assert!(src.allows("spaces. ", "Lee"));
        assert!(src.allows("managed by the", " Ghost"));
        // An identifier in progress must start a source word.
        assert!(src.allows("", " ICC"));
        assert!(!src.allows("", " XYZ"));
        assert!(src.allows("gs_icc", "_man"));
        assert!(!src.allows("gs_icc", "_foo"));
        // Plain words pass whatever they are.
        assert!(src.allows("", " colour"));
        assert!(src.allows("", " Pipeline "));
        // Digits beside letters count: cpp17 is not in the source.
        assert!(!src.allows("cgcc-cpp", "17 "));
        // A plain word turned identifier by the next piece is checked then.
        assert!(!src.allows("gscmsc", "_"));
        assert_eq!(open_word("see gs_icc"), "gs_icc");
        assert_eq!(open_word("done. "), "");
    }
}
