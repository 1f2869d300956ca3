//! The question's subject: the names it gives that tell sources apart. A code
//! identifier the question writes (`gcry_strerror`, `program.error`) or a word naming a
//! folder or file of the sources (`pflag` for `go/pflag/flag.go`, `libgcrypt` for
//! `gcrypt.pdf`), kept when some sources hold it and others do not. A sentence citing
//! only sources that hold none of them answers about something else: thread safety from
//! the flex manual for a question about `gcry_strerror`, an environment variable of
//! libgcrypt for a question about pflag. A file holds a name when any of its sources
//! does: a page's passage saying "this function will abort" is about the name written in
//! the passage before it.

use plait_ingest::Hit;

use crate::check::holds;
use crate::Source;

/// The subject names of a question over its sources.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    /// The files holding a subject name (none when the question names nothing that
    /// tells the sources apart).
    holders: Vec<String>,
    /// Each source's number and path.
    paths: Vec<(usize, String)>,
}

impl Subject {
    /// The subject of `question` over `sources` (empty when no name tells them apart).
    pub fn new(question: &str, sources: &[Source]) -> Self {
        let texts: Vec<(&str, String)> = sources
            .iter()
            .map(|s| (s.hit.path.as_str(), s.checked_text().to_lowercase()))
            .collect();
        let mut seen: Vec<Vec<String>> = Vec::new();
        let mut holders: Vec<String> = Vec::new();
        for word in question.split_whitespace() {
            let word = word.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_'));
            let word = word.strip_suffix("'s").unwrap_or(word);
            let spellings = if is_code_name(word) {
                vec![word.to_lowercase()]
            } else {
                path_spellings(word, sources)
            };
            if spellings.is_empty() || seen.contains(&spellings) {
                continue;
            }
            let files: Vec<&str> = texts
                .iter()
                .filter(|(_, t)| spellings.iter().any(|w| holds(t, w)))
                .map(|(p, _)| *p)
                .collect();
            seen.push(spellings);
            if !files.is_empty() && texts.iter().any(|(p, _)| !files.contains(p)) {
                holders.extend(files.into_iter().map(str::to_string));
            }
        }
        Self {
            holders,
            paths: sources
                .iter()
                .map(|s| (s.number, s.hit.path.clone()))
                .collect(),
        }
    }

    /// Whether the question names nothing that tells the sources apart.
    pub fn is_empty(&self) -> bool {
        self.holders.is_empty()
    }

    /// Whether source `number` is in a file holding one of the subject's names (true
    /// when the subject is empty: nothing to judge by).
    pub fn held_by(&self, number: usize) -> bool {
        self.holders.is_empty()
            || self
                .paths
                .iter()
                .any(|(n, p)| *n == number && self.holders.contains(p))
    }
}

/// The hits of `question` worth giving the model: those in files holding the question's
/// subject names, in their order (all of them when it names nothing that tells them
/// apart). No sentence citing only the others could be shown, and a 1.5B model reads the
/// first source most: pflag's error handling in front of commander's `error()` drew
/// an answer about pflag.
pub fn on_subject(question: &str, hits: Vec<Hit>) -> Vec<Hit> {
    let numbered: Vec<Source> = hits
        .into_iter()
        .enumerate()
        .map(|(i, hit)| Source { number: i + 1, hit })
        .collect();
    let subject = Subject::new(question, &numbered);
    numbered
        .into_iter()
        .filter(|s| subject.held_by(s.number))
        .map(|s| s.hit)
        .collect()
}

/// A name only code writes: snake_case, CamelCase or dotted (`stringx.wrap`), not an
/// acronym or a number.
fn is_code_name(word: &str) -> bool {
    let inner = word.trim_matches('_');
    let letters = |s: &str| s.chars().any(char::is_alphabetic);
    let camel = word
        .chars()
        .zip(word.chars().skip(1))
        .any(|(a, b)| a.is_lowercase() && b.is_uppercase());
    // Parts of at least two characters for dots: `e.g` is no name.
    let joined = |sep: char, shortest: usize| {
        let parts: Vec<&str> = inner.split(sep).filter(|p| !p.is_empty()).collect();
        parts.len() >= 2 && parts.iter().all(|p| letters(p) && p.len() >= shortest)
    };
    camel || joined('_', 1) || joined('.', 2)
}

/// The spellings of `word` when it names a folder or file (its stem) of a source's
/// path, or that name with `lib` before it (`libgcrypt`, `gcrypt.pdf`): the word and
/// the component, lower case; none otherwise.
fn path_spellings(word: &str, sources: &[Source]) -> Vec<String> {
    let word = word.to_lowercase();
    if word.chars().filter(|c| c.is_alphanumeric()).count() < 3 {
        return Vec::new();
    }
    for s in sources {
        for part in s.hit.path.split('/') {
            let stem = part.split('.').next().unwrap_or(part).to_lowercase();
            if stem.len() < 3 {
                continue;
            }
            if stem == word {
                return vec![word];
            }
            if word.strip_prefix("lib") == Some(stem.as_str()) {
                return vec![word, stem];
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{hit, sources};

    #[test]
    fn a_code_name_some_sources_hold_is_the_subject() {
        let s = sources(&[
            ("/c/manuals/flex.pdf", "yytables_fload is not thread-safe"),
            (
                "/c/manuals/gcrypt.pdf",
                "gcry_strerror is not thread safe; use gpg_strerror_r",
            ),
        ]);
        let subject = Subject::new("Is it safe to call gcry_strerror from threads?", &s);
        assert!(!subject.held_by(1) && subject.held_by(2));
        // Another passage of a file holding the name is about it too.
        let mut pages = s.clone();
        pages.push(Source {
            number: 3,
            hit: hit("/c/manuals/gcrypt.pdf", "this function is not thread safe"),
        });
        let subject = Subject::new("Is it safe to call gcry_strerror from threads?", &pages);
        assert!(!subject.held_by(1) && subject.held_by(3));
        // Named nowhere, or everywhere: nothing to tell the sources apart by.
        assert!(Subject::new("Is gcry_foo thread safe?", &s).is_empty());
        assert!(Subject::new("Is it thread safe?", &s).is_empty());
        let both = sources(&[("/a.py", "run_it()"), ("/b.py", "x = run_it")]);
        assert!(Subject::new("What does run_it do?", &both).is_empty());
    }

    #[test]
    fn a_word_naming_a_folder_or_file_is_the_subject() {
        let s = sources(&[
            ("/c/go/pflag/flag.go", "func (f *FlagSet) Parse()"),
            (
                "/c/manuals/gcrypt.pdf",
                "GCRYPT_RNDUNIX_DBG environment variable",
            ),
            ("/c/php/monolog/Monolog/Logger.php", "class Logger"),
        ]);
        let pflag = Subject::new("How do pflag flags read an environment variable?", &s);
        assert!(pflag.held_by(1) && !pflag.held_by(2) && !pflag.held_by(3));
        let lib = Subject::new("Which variable does libgcrypt read?", &s);
        assert!(lib.held_by(2) && !lib.held_by(1));
        let owner = Subject::new("What does Monolog's logger do?", &s);
        assert!(owner.held_by(3) && !owner.held_by(1));
        // Short or ordinary words match no folder.
        assert!(Subject::new("Which go routine parses?", &s).is_empty());
    }

    #[test]
    fn only_hits_in_files_holding_the_subject_are_given_to_the_model() {
        let hits = vec![
            hit(
                "/c/go/pflag/flag.go",
                "func (f *FlagSet) failf(format string)",
            ),
            hit(
                "/c/javascript/commander/lib/command.js",
                "error(message) {}",
            ),
            hit("/c/javascript/commander/lib/help.js", "class Help {}"),
        ];
        let kept = on_subject("What code does commander's error() report?", hits.clone());
        let paths: Vec<&str> = kept.iter().map(|h| h.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/c/javascript/commander/lib/command.js",
                "/c/javascript/commander/lib/help.js"
            ]
        );
        assert_eq!(
            on_subject("What code does error() report?", hits.clone()),
            hits
        );
    }

    #[test]
    fn code_names_are_snake_camel_or_dotted() {
        for name in ["gcry_strerror", "stringx.wrap", "maxRedirects", "__init__x"] {
            assert!(is_code_name(name), "{name}");
        }
        for word in ["HTTP", "AES-256", "1.2", "e.g", "thread", "_private_"] {
            assert!(!is_code_name(word), "{word}");
        }
        assert!(holds("see gcry_strerror.", "gcry_strerror"));
        assert!(!holds("gcry_strerror_r", "gcry_strerror"));
    }
}
