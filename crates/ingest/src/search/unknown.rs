//! Words of a question that an index root never mentions and that are not everyday
//! words: the subject of a question the corpus cannot answer (`QUIC`, `libcurl`, `JNI`),
//! as opposed to a user's own phrasing (`day`, `myself`), which the sources may simply
//! word differently; and names the question capitalises that the root never mentions
//! (`Microsoft Teams`, `Kubernetes`), everyday words or not.

use super::{IndexName, SearchService};
use crate::lexical::{parts, query_terms};
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

/// A word of a question as written, with what stands before it.
struct Written<'t> {
    word: &'t str,
    /// The characters between the word before and this one.
    before: &'t str,
    /// Whether it opens a sentence (the first word, or one after `.`, `?`, `!`, `:`,
    /// `;`, a quote or a parenthesis).
    opens: bool,
}

/// The words of `text` (letters, digits and underscores) in order, as [`Written`].
fn written_words(text: &str) -> Vec<Written<'_>> {
    let mut out = Vec::new();
    let mut opens = true;
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_alphanumeric() || c == '_') {
        let before = &rest[..start];
        if before.contains(['.', '?', '!', ':', ';', '"', '\u{201c}', '(']) {
            opens = true;
        }
        let word_len = rest[start..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len() - start);
        out.push(Written {
            word: &rest[start..start + word_len],
            before,
            opens,
        });
        rest = &rest[start + word_len..];
        opens = false;
    }
    out
}

/// The capitalised words of `text` that do not open a sentence (`Teams` in "Which
/// handler posts to Microsoft Teams?", not `Which`): names, as a person writes them.
/// Words written all in capitals, or mixing in digits or underscores, are left to
/// [`candidate_words`]' other judgement (acronyms and code names).
fn capitalised_names(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for w in written_words(text) {
        let mut chars = w.word.chars();
        let capital = chars.next().is_some_and(char::is_uppercase);
        let plain = chars.all(char::is_lowercase);
        if !w.opens
            && capital
            && plain
            && w.word.chars().count() >= MIN_CHARS
            && !out.contains(&w.word)
        {
            out.push(w.word);
        }
    }
    out
}

/// Runs of two or more capitalised words ([`name_word`]) that do not open a sentence
/// and stand one space apart: names of more than one word, as a person writes them
/// (`JSON Schema`, `GNU MP`, `Microsoft Teams`). Any other word ends a run. Text in
/// title case (more than three in four of its words capitalised, "How To Set The
/// Default Timeout") has no such names: its capitals say nothing.
fn capitalised_phrases(text: &str) -> Vec<Vec<&str>> {
    let words = written_words(text);
    let capitals = words
        .iter()
        .filter(|w| w.word.chars().next().is_some_and(char::is_uppercase))
        .count();
    if 4 * capitals > 3 * words.len() {
        return Vec::new();
    }
    let mut out: Vec<Vec<&str>> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for w in words.iter().chain([&Written {
        word: "",
        before: "",
        opens: true,
    }]) {
        let part = !w.opens && name_word(w.word);
        // A run ends at a word that is not part of a name, or not one space on.
        if !part || w.before != " " {
            if run.len() >= 2 && !out.contains(&run) {
                out.push(std::mem::take(&mut run));
            }
            run.clear();
        }
        if part {
            run.push(w.word);
        }
    }
    out
}

/// Whether `word` can be part of a name of several words: two characters or more, a
/// capital and then only small letters (`Schema`) or capitals throughout (`JSON`, `MP`,
/// digits allowed). An identifier (`PageRange`, `SEEK_SET`) is judged alone.
fn name_word(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest: Vec<char> = chars.collect();
    first.is_uppercase()
        && !rest.is_empty()
        && (rest.iter().all(|c| c.is_lowercase())
            || rest.iter().all(|c| c.is_uppercase() || c.is_ascii_digit()))
}

/// The words of `text`, lowercased, split at anything not a letter, digit or `_` and
/// into an identifier's parts as the lexical index splits them ([`parts`]:
/// `JsonSchema` is `json`, `schema`).
fn lower_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .flat_map(parts)
        .map(str::to_lowercase)
        .collect()
}

/// Whether `field` writes the `phrase` (its words lowercased, as [`lower_words`] makes
/// them): its words one after another, or all run together as one word (`jsonschema`,
/// `JSONSchema`); a plural `s` on the last word, in the field or the phrase, does not
/// count.
fn writes_phrase(field: &str, phrase: &[String]) -> bool {
    let Some(last) = phrase.last() else {
        return false;
    };
    let words = lower_words(field);
    let joined = phrase.concat();
    let singular = |w: &'_ str| -> String { w.strip_suffix('s').unwrap_or(w).to_string() };
    let plural = |w: &str, p: &str| singular(w) == singular(p);
    words.iter().any(|w| plural(w, &joined))
        || words.windows(phrase.len()).any(|win| {
            win[..phrase.len() - 1] == phrase[..phrase.len() - 1]
                && plural(&win[phrase.len() - 1], last)
        })
}

/// Whether `field` writes `word` (ASCII case ignored) as a word of its own: not inside
/// a longer word, except as a CamelCase part (`Telegram` in `TelegramBotHandler`) or
/// before a plural `s` or `es`.
fn names_word(field: &str, word: &str) -> bool {
    let n = word.len();
    let mut from = 0;
    while from + n <= field.len() {
        let Some(at) = find_ignoring_case(&field[from..], word).map(|i| i + from) else {
            return false;
        };
        let first = field[at..].chars().next();
        from = at + first.map_or(1, char::len_utf8);
        let before = field[..at].chars().next_back();
        let starts = match before {
            None => true,
            Some(b) if !b.is_alphanumeric() => true,
            // A CamelCase part: `...rTelegram` opens at the capital.
            Some(b) => b.is_lowercase() && first.is_some_and(char::is_uppercase),
        };
        let rest = &field[at + n..];
        let rest = rest
            .strip_prefix("es")
            .filter(|r| !r.starts_with(char::is_lowercase))
            .or_else(|| rest.strip_prefix('s'))
            .filter(|r| !r.starts_with(char::is_lowercase))
            .unwrap_or(rest);
        let ends = match rest.chars().next() {
            None => true,
            Some(c) => !c.is_alphanumeric() || c.is_uppercase() || c.is_ascii_digit(),
        };
        if starts && ends {
            return true;
        }
    }
    false
}

/// The byte offset of the first match of `needle` in `haystack`, ASCII case ignored.
fn find_ignoring_case(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() || n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len())
        .filter(|&i| haystack.is_char_boundary(i))
        .find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

impl SearchService {
    /// The names `text` capitalises mid-sentence ([`capitalised_names`]) that none of the
    /// indexes `names` holds: a question about `Microsoft Teams` asked of a corpus that
    /// never mentions Teams cannot be answered from it, however everyday the word.
    /// A name counts as held only where it is written as a word of its own (in any
    /// case; also as a part of a CamelCase name or followed by a plural `s`/`es`), not
    /// merely where a word of the same stem is: a corpus that mentions teams of people
    /// does not mention Microsoft Teams. A name of several capitalised words
    /// ([`capitalised_phrases`]) counts as held only where they are written together.
    pub fn unknown_names(&self, names: &[IndexName], text: &str) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for word in capitalised_names(text) {
            let terms = query_terms(word);
            if terms.is_empty() {
                continue;
            }
            // The stemmed index finds candidates cheaply; the scan confirms the word.
            if !self.holds_terms(names, word, &terms)? || !self.writes_word(names, word)? {
                out.push(word.to_string());
            }
        }
        // A name of several words is held only where its words stand together: a corpus
        // that writes "JSON" and "schema" apart does not mention JSON Schema.
        for phrase in capitalised_phrases(text) {
            if phrase.iter().any(|w| out.iter().any(|o| o == w)) {
                continue;
            }
            if !self.writes_phrase(names, &phrase)? {
                out.push(phrase.join(" "));
            }
        }
        Ok(out)
    }

    /// Whether a chunk of the indexes `names` writes the words of `phrase` together
    /// ([`writes_phrase`]); the chunks scanned are those holding its longest word.
    fn writes_phrase(&self, names: &[IndexName], phrase: &[&str]) -> Result<bool> {
        let lower: Vec<String> = phrase.iter().flat_map(|w| lower_words(w)).collect();
        let Some(longest) = lower.iter().max_by_key(|w| w.len()) else {
            return Ok(true);
        };
        let mut together = |field: &str| writes_phrase(field, &lower);
        for &name in names {
            if self
                .with_manifest(|m| m.any_field_containing(name.as_str(), longest, &mut together))?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

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

    /// Whether a chunk of the indexes `names` writes `word` as a word ([`names_word`]).
    fn writes_word(&self, names: &[IndexName], word: &str) -> Result<bool> {
        let mut whole = |field: &str| names_word(field, word);
        for &name in names {
            if self.with_manifest(|m| m.any_field_containing(name.as_str(), word, &mut whole))? {
                return Ok(true);
            }
        }
        Ok(false)
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

    #[test]
    fn names_are_capitalised_words_that_do_not_open_a_sentence() {
        assert_eq!(
            capitalised_names(
                "Which Monolog handler posts to Microsoft Teams? Does it use HTTP, Json or \
                 get_Page? \"Quoted\" (Aside) words: Colon, and Teams again, Ox."
            ),
            ["Monolog", "Microsoft", "Teams", "Json"]
        );
        assert!(capitalised_names("How? Why? Where.").is_empty());
    }

    #[test]
    fn phrases_are_runs_of_capitalised_words_that_do_not_open_a_sentence() {
        assert_eq!(
            capitalised_phrases(
                "How do I export my schemas as a JSON Schema document? Which version of \
                 GNU MP do I need? According to The Crazy Ones, Are We There Yet. \
                 Not Here, Monolog handler, Java, JNI and I Am"
            ),
            [
                vec!["JSON", "Schema"],
                vec!["GNU", "MP"],
                vec!["The", "Crazy", "Ones"],
                vec!["Are", "We", "There", "Yet"],
            ]
        );
        assert!(capitalised_phrases("Which Monolog handler? Microsoft.").is_empty());
        // Identifiers are not parts of names: CamelCase, underscores.
        assert!(capitalised_phrases("Which PageRange Method or SEEK_SET Value?").is_empty());
        assert_eq!(
            capitalised_phrases("Does a PDF/A file need ISO 19005 and GNU MP4 Tools?"),
            [vec!["GNU", "MP4", "Tools"]]
        );
        assert!(capitalised_phrases("How To Set The Default Timeout of Requests").is_empty());
    }

    #[test]
    fn a_phrase_is_held_where_its_words_stand_together() {
        let phrase = |p: &str| lower_words(p);
        for (field, held) in [
            ("export as JSON Schema.", true),
            ("export as json-schema", true),
            ("a JsonSchema class", true),
            ("the JSONSchemas", true),
            ("two jsonschemas", true),
            ("dump to JSON; the schema is", false),
            ("in JSON: schema first", true),
            ("JSON output of a schema", false),
            ("a schema in JSON", false),
            ("", false),
        ] {
            assert_eq!(
                writes_phrase(field, &phrase("JSON Schema")),
                held,
                "{field:?}"
            );
        }
        assert!(writes_phrase("links with GNU\nMP 4.1", &phrase("GNU MP")));
        assert!(writes_phrase(
            "raise UnicodeError",
            &phrase("Unicode Errors")
        ));
        assert!(writes_phrase(
            "Here's to the crazy ones.",
            &phrase("The Crazy Ones")
        ));
        assert!(writes_phrase("the crazy one", &phrase("The Crazy Ones")));
        assert!(!writes_phrase(
            "the crazy people",
            &phrase("The Crazy Ones")
        ));
    }

    #[test]
    fn a_name_is_held_as_a_word_a_camel_case_part_or_a_plural() {
        for (field, held) in [
            ("post to Microsoft Teams.", true),
            ("teams: 3", true),
            ("class TeamsHandler", true),
            ("new MicrosoftTeamsHandler()", true),
            ("the team", false),
            ("teamster", false),
            ("steams", false),
            ("Teamsters", false),
            ("", false),
        ] {
            assert_eq!(names_word(field, "Teams"), held, "{field:?}");
        }
        assert!(names_word(
            "one Telegram_bot, TelegramBotHandler",
            "Telegram"
        ));
        assert!(names_word("several Handlers and Boxes", "Box"));
        assert!(names_word("Thor's shell", "Thor"));
        assert!(!names_word("Thorough", "Thor"));
        assert!(names_word("épée Windows10", "Windows"));
        assert!(names_word("Émile wrote", "Émile") && !names_word("Émilek", "Émile"));
    }
}
