//! The terms the lexical index stores and a query looks for: code-aware tokens (an
//! identifier is kept whole and also split at `_`, case changes and digits; paths split
//! at `/` and `.`), lowercased, the parts stemmed as English words.

use std::collections::HashSet;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

/// Words too common in queries to rank anything (the query side drops them).
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "i", "if", "in", "into", "is", "it", "its", "of", "on", "or", "should", "that", "the", "their",
    "this", "to", "what", "when", "where", "which", "with", "without",
];

/// Longest token indexed; longer runs (base64, hashes) are skipped.
const MAX_TOKEN_CHARS: usize = 64;

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// The parts of one identifier: split at `_`, lower→upper case changes, the end of an
/// upper-case run before a capitalised word (`HTTPServer` → `HTTP`, `Server`) and
/// letter/digit changes.
pub(crate) fn parts(word: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..chars.len() {
        let (at, c) = chars[i];
        if c == '_' {
            if at > start {
                out.push(&word[start..at]);
            }
            start = at + c.len_utf8();
            continue;
        }
        if i == 0 || at == start {
            continue;
        }
        let prev = chars[i - 1].1;
        let next = chars.get(i + 1).map(|x| x.1);
        let boundary = (prev.is_lowercase() && c.is_uppercase())
            || (prev.is_uppercase() && c.is_uppercase() && next.is_some_and(char::is_lowercase))
            || (prev.is_alphabetic() && c.is_numeric())
            || (prev.is_numeric() && c.is_alphabetic());
        if boundary {
            out.push(&word[start..at]);
            start = at;
        }
    }
    if start < word.len() {
        out.push(&word[start..]);
    }
    out
}

/// The index terms of `text`, in order, space-separated: for each identifier its whole
/// lowercased form (when it has several parts) and each part stemmed.
pub fn index_terms(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for_each_term(text, |t| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(t);
    });
    out
}

/// The distinct terms of a query, stop words left out (unless nothing else is left). An
/// identifier of several parts gives its whole form and the phrase of its stemmed parts
/// (`get_page_range` → `get_page_range`, `get page rang`), so it matches where it is
/// written and where its words stand together, not wherever one part occurs.
pub fn query_terms(text: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !t.is_empty() && !terms.contains(&t) {
            terms.push(t);
        }
    };
    let stem = stemmer();
    let mut words = Vec::new();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        let word = word.trim_matches('_');
        if !word.is_empty() && word.chars().count() <= MAX_TOKEN_CHARS {
            words.push(word);
        }
    }
    let is_stop = |w: &str| STOP_WORDS.contains(&w.to_lowercase().as_str());
    let all_stop = words.iter().all(|w| is_stop(w));
    for word in words {
        let ps = parts(word);
        if ps.len() > 1 {
            push(word.to_lowercase());
            let phrase: Vec<String> = ps
                .iter()
                .map(|p| stem.stem(&p.to_lowercase()).into_owned())
                .collect();
            push(phrase.join(" "));
        } else if all_stop || !is_stop(word) {
            push(stem.stem(&word.to_lowercase()).into_owned());
        }
    }
    terms
}

/// Share of a query's `terms` ([`query_terms`]) that `text` holds: a term counts when
/// each of its words is one of `text`'s index terms (so an identifier's phrase counts
/// where all its parts are written). 0 for no terms.
pub fn coverage(terms: &[String], text: &str) -> f64 {
    if terms.is_empty() {
        return 0.0;
    }
    let mut held: HashSet<String> = HashSet::new();
    for_each_term(text, |t| {
        held.insert(t.to_string());
    });
    let found = terms
        .iter()
        .filter(|t| t.split(' ').all(|w| held.contains(w)))
        .count();
    found as f64 / terms.len() as f64
}

fn for_each_term(text: &str, mut emit: impl FnMut(&str)) {
    let stem = stemmer();
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        let word = word.trim_matches('_');
        if word.is_empty() || word.chars().count() > MAX_TOKEN_CHARS {
            continue;
        }
        let ps = parts(word);
        if ps.len() > 1 {
            let whole: String = word.to_lowercase();
            emit(&whole);
        }
        for p in ps {
            emit(&stem.stem(&p.to_lowercase()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_kept_whole_and_split() {
        assert_eq!(
            index_terms("get_page_range(PdfReader)"),
            "get_page_range get page rang pdfreader pdf reader"
        );
        assert_eq!(parts("HTTPServer2Go"), ["HTTP", "Server", "2", "Go"]);
        assert_eq!(parts("__init__"), ["init"]);
        assert_eq!(index_terms("src/pypdf/_page.py"), "src pypdf page py");
    }

    #[test]
    fn prose_is_stemmed_and_queries_drop_stop_words() {
        assert_eq!(index_terms("Encrypting the pages"), "encrypt the page");
        assert_eq!(
            query_terms("how to encrypt a PDF with passwords"),
            ["encrypt", "pdf", "password"]
        );
        assert_eq!(
            query_terms("the get_page_range helper"),
            ["get_page_range", "get page rang", "helper"]
        );
        // A query of stop words only still searches for them.
        assert_eq!(query_terms("the of"), ["the", "of"]);
        assert!(query_terms("  ").is_empty());
    }

    #[test]
    fn coverage_is_the_share_of_query_terms_a_text_holds() {
        let terms = query_terms("which table compression setting does flex use");
        assert_eq!(terms, ["tabl", "compress", "set", "flex", "use"]);
        let page = "Flex compresses its tables by default; -Cf uses full tables.";
        assert!((coverage(&terms, page) - 0.8).abs() < 1e-9);
        assert_eq!(coverage(&terms, "local t = setmetatable({}, mt)"), 0.0);
        // An identifier counts where it is written whole and where its parts stand.
        let ident = query_terms("get_page_range");
        assert_eq!(coverage(&ident, "def get_page_range(): ..."), 1.0);
        assert!((coverage(&ident, "get the range of a page") - 0.5).abs() < 1e-9);
        assert_eq!(coverage(&[], "anything"), 0.0);
    }
}
