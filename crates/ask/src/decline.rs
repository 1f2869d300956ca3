//! Honest "not found": how much of a question the retrieved sources speak to, measured
//! before any model runs. A question whose distinctive words the closest sources mostly
//! lack is declined with those sources shown instead of an answer. Code writes words a
//! question spells out (`ENV["THOR_COLUMNS"]` for "environment variable",
//! `terminalWidth` for "terminal width"): a source's words include the parts of its
//! CamelCase names and the words its common abbreviations stand for.

use std::collections::HashSet;

use plait_summarize::content_stems;

use crate::Source;

/// Words of questions that say what is asked, not what about.
const QUESTION_WORDS: &[&str] = &[
    "function",
    "functions",
    "method",
    "methods",
    "class",
    "code",
    "file",
    "files",
    "say",
    "says",
    "mean",
    "means",
    "meant",
    "called",
    "call",
    "name",
    "named",
    "happen",
    "happens",
    "tell",
    "explain",
    "show",
    "find",
    "defined",
    "define",
    "work",
    "works",
    "value",
    "values",
    "default",
    "kind",
    "kinds",
    "type",
    "types",
    "thing",
    "things",
    "someone",
    "plait",
    "please",
    "doe",
    "give",
    "list",
];

/// Common abbreviations in code and the words they stand for.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("env", "environment variable"),
    ("environ", "environment variable"),
    ("getenv", "environment variable"),
    ("setenv", "environment variable"),
    ("var", "variable"),
    ("vars", "variables"),
    ("cfg", "configuration"),
    ("conf", "configuration"),
    ("config", "configuration"),
    ("msg", "message"),
    ("len", "length"),
    ("buf", "buffer"),
    ("err", "error"),
    ("dir", "directory"),
    ("num", "number"),
    ("max", "maximum"),
    ("min", "minimum"),
    ("str", "string"),
    ("args", "arguments"),
    ("argv", "arguments"),
    ("opt", "option"),
    ("opts", "options"),
    ("init", "initialize"),
    ("attr", "attribute"),
    ("attrs", "attributes"),
    ("auth", "authentication"),
    ("ctx", "context"),
    ("req", "request"),
    ("resp", "response"),
    ("idx", "index"),
    ("tmp", "temporary"),
    ("prev", "previous"),
    ("alloc", "allocation"),
    ("mem", "memory"),
    ("src", "source"),
    ("dst", "destination"),
    ("dest", "destination"),
    ("col", "column"),
    ("cols", "columns"),
    ("pos", "position"),
    ("sep", "separator"),
    ("ext", "extension"),
    ("pkg", "package"),
    ("lib", "library"),
    ("fmt", "format"),
    ("sec", "seconds"),
    ("secs", "seconds"),
    ("millis", "milliseconds"),
    ("char", "character"),
    ("chars", "characters"),
    ("proc", "process"),
    ("stdout", "standard output"),
    ("stderr", "standard error"),
    ("stdin", "standard input"),
    ("tty", "terminal"),
    ("cwd", "current directory"),
    ("hdr", "header"),
    ("passwd", "password"),
    ("pwd", "password"),
    ("cmd", "command"),
    ("ver", "version"),
    ("info", "information"),
    ("obj", "object"),
    ("param", "parameter"),
    ("params", "parameters"),
    ("repo", "repository"),
    ("util", "utility"),
    ("async", "asynchronous"),
    ("sync", "synchronous"),
];

/// A source's distinctive words (stemmed) with the parts of its CamelCase names and
/// the words of its abbreviations.
pub fn source_stems(text: &str) -> HashSet<String> {
    let mut split = String::with_capacity(text.len() + text.len() / 8);
    let mut last: Option<char> = None;
    for c in text.chars() {
        if c.is_uppercase() && last.is_some_and(char::is_lowercase) {
            split.push(' ');
        }
        split.push(c);
        last = Some(c);
    }
    let mut stems = content_stems(text);
    stems.extend(content_stems(&split));
    let words: HashSet<String> = split
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .collect();
    for (short, long) in ABBREVIATIONS {
        if words.contains(*short) {
            stems.extend(content_stems(long));
        }
    }
    stems
}

/// The question's distinctive words (stemmed), without the words that only ask.
pub fn question_stems(question: &str) -> HashSet<String> {
    let asking = content_stems(&QUESTION_WORDS.join(" "));
    content_stems(question)
        .into_iter()
        .filter(|w| !asking.contains(w))
        .collect()
}

/// Share of the question's distinctive words found in the sources (1.0 when the
/// question has none: nothing to judge by).
pub fn relevance(question: &str, sources: &[Source]) -> f64 {
    let wanted = question_stems(question);
    if wanted.is_empty() {
        return 1.0;
    }
    let found: HashSet<String> = sources
        .iter()
        .flat_map(|s| source_stems(&s.checked_text()))
        .collect();
    wanted.intersection(&found).count() as f64 / wanted.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::hit;

    #[test]
    fn measures_how_much_of_the_question_the_sources_hold() {
        let s = vec![Source {
            number: 1,
            hit: hit(
                "docs/a.pdf",
                "The siege of Vicksburg came to an end with a surrender.",
            ),
        }];
        assert!((relevance("How did the siege of Vicksburg end?", &s) - 1.0).abs() < 1e-9);
        assert!(relevance("What is the boiling point of mercury?", &s) < 0.01);
        assert!(question_stems("Which function parses page ranges?").contains("pars"));
        assert!(!question_stems("Which function parses page ranges?").contains("function"));
    }

    #[test]
    fn code_spellings_count_as_the_words_they_stand_for() {
        let code = vec![Source {
            number: 1,
            hit: hit(
                "lib/thor/shell/basic.rb",
                "def terminalWidth\n  result = if ENV[\"THOR_COLUMNS\"]",
            ),
        }];
        let q = "Which environment variable is the terminal width?";
        assert!(
            (relevance(q, &code) - 1.0).abs() < 1e-9,
            "{}",
            relevance(q, &code)
        );
        let plain = vec![Source {
            number: 1,
            hit: hit("docs/a.pdf", "The terminal width is set by a variable."),
        }];
        assert!(
            relevance(q, &plain) < 0.99,
            "no abbreviation: environment missing"
        );
        assert!(source_stems("maxRetries").is_superset(&content_stems("maximum retries")));
    }
}
