//! Words of a question that an index root never mentions and that are not everyday
//! words: the subject of a question the corpus cannot answer (`QUIC`, `libcurl`, `JNI`),
//! as opposed to a user's own phrasing (`day`, `myself`), which the sources may simply
//! word differently.

use super::{IndexName, SearchService};
use crate::lexical::query_terms;
use crate::Result;

/// Shortest word judged.
const MIN_CHARS: usize = 3;

/// The words of `text` worth judging: at least [`MIN_CHARS`] characters, starting with a
/// letter, each once (in order, as written).
fn candidate_words(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        let word = word.trim_matches('_');
        let starts_alpha = word.chars().next().is_some_and(char::is_alphabetic);
        if starts_alpha
            && word.chars().count() >= MIN_CHARS
            && !out.iter().any(|w| w.eq_ignore_ascii_case(word))
        {
            out.push(word);
        }
    }
    out
}

impl SearchService {
    /// The words of `text` that none of the indexes `names` holds (no chunk has any of
    /// their lexical terms) and that the encoder of each of those indexes does not know as
    /// one whole token (a word of its vocabulary, lowercased): rare names the corpus never
    /// mentions. `plait ask` trusts a model's "not found" when the question has one. An
    /// encoder without a vocabulary (counting words, not tokens) knows every word, so
    /// nothing is unknown.
    pub fn unknown_words(&self, names: &[IndexName], text: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for word in candidate_words(text) {
            let lower = word.to_lowercase();
            let everyday = names
                .iter()
                .any(|&n| self.searcher(n).encoder().count_tokens(&lower) <= 1);
            if everyday {
                continue;
            }
            let terms = query_terms(word);
            if terms.is_empty() {
                continue;
            }
            if !self.holds_terms(names, word, &terms)? {
                out.push(word.to_string());
            }
        }
        Ok(out)
    }

    /// Whether any chunk of the indexes `names` matches `word` (its lexical `terms`).
    fn holds_terms(&self, names: &[IndexName], word: &str, terms: &[String]) -> Result<bool> {
        let resident = self
            .resident
            .as_ref()
            .and_then(super::resident::ResidentLexical::fresh);
        for &name in names {
            let found = match resident
                .as_ref()
                .and_then(|r| r.search(name.as_str(), terms, 1))
            {
                Some(found) => found,
                None => self.with_manifest(|m| m.lexical(name.as_str(), word, 1))?,
            };
            if !found.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_whole_words_of_three_characters_or_more() {
        assert_eq!(
            candidate_words("How do I enable HTTP/3 over QUIC, or quic, in get_page_range()?"),
            ["How", "enable", "HTTP", "over", "QUIC", "get_page_range"]
        );
        assert!(candidate_words("3d 42 of a").is_empty());
    }
}
