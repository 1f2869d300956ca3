//! Chunkers: source text in, chunks with line ranges, symbols and context out.
//!
//! Every chunker covers every line of its input exactly once, so nothing in a file is
//! unsearchable, and keeps each chunk under a token budget measured by the caller's
//! [`TokenCounter`] (the encoder's tokenizer in production).

mod lines;
mod markdown;
mod python;

pub use lines::LineChunker;
pub use markdown::MarkdownChunker;
pub use python::PythonChunker;

use serde::Serialize;

/// What a chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChunkKind {
    /// Module-level code between definitions (imports, constants, scripts).
    Module,
    /// A function, or a piece of one too long for a single chunk.
    Function,
    /// A method (its class is in the context).
    Method,
    /// A class header: signature, docstring, attributes up to the first method.
    Class,
    /// A Markdown section under its heading path.
    Section,
    /// Lines of text or of a language without a syntax-aware chunker.
    Lines,
}

/// One chunk of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chunk {
    /// What the chunk is.
    pub kind: ChunkKind,
    /// Qualified name (`Class.method`, `outer.inner`), or the names of merged
    /// neighbours joined by `, `; `None` for module code and plain text.
    pub symbol: Option<String>,
    /// First line, 1-based.
    pub start_line: usize,
    /// Last line, 1-based, inclusive.
    pub end_line: usize,
    /// Text that situates the chunk and is encoded with it: the enclosing class and
    /// function signatures for code, the heading path for Markdown. Empty when none.
    pub context: String,
    /// The chunk's own source lines, exactly as in the file.
    pub text: String,
}

impl Chunk {
    /// The text given to the encoder: context, then the chunk's lines.
    pub fn embedding_text(&self) -> String {
        if self.context.is_empty() {
            self.text.clone()
        } else {
            format!("{}\n{}", self.context, self.text)
        }
    }
}

/// Counts tokens the way the encoder will.
pub trait TokenCounter: Send + Sync {
    /// Number of tokens in `text`.
    fn count(&self, text: &str) -> usize;
}

/// An approximate counter for tests and for callers without a tokenizer: words plus
/// punctuation marks, close to what WordPiece tokenizers produce for code and prose.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApproxTokenCounter;

impl TokenCounter for ApproxTokenCounter {
    fn count(&self, text: &str) -> usize {
        plait_colbert::approx_token_count(text)
    }
}

/// Chunk size limits in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkBudget {
    /// No chunk's text exceeds this (unless a single line does).
    pub max_tokens: usize,
    /// Neighbours smaller than this are merged when the result fits `max_tokens`.
    pub min_tokens: usize,
}

impl Default for ChunkBudget {
    fn default() -> Self {
        // The default encoder reads 256 tokens; context lines take some of them.
        Self {
            max_tokens: 220,
            min_tokens: 48,
        }
    }
}

/// Splits one file's text into chunks.
pub trait Chunker: Send + Sync {
    /// Chunks `source`; the chunks cover every line once, in order.
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk>;
}

/// The lines of a source with their token counts, shared by the chunkers.
pub(crate) struct Lines<'a> {
    pub(crate) lines: Vec<&'a str>,
    pub(crate) tokens: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(source: &'a str, counter: &dyn TokenCounter) -> Self {
        let lines: Vec<&str> = source.split_inclusive('\n').collect();
        let tokens = lines.iter().map(|l| counter.count(l)).collect();
        Self { lines, tokens }
    }

    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    /// Tokens of rows `a..=b` (0-based).
    pub(crate) fn tokens(&self, a: usize, b: usize) -> usize {
        self.tokens[a..=b].iter().sum()
    }

    /// Text of rows `a..=b` (0-based).
    pub(crate) fn text(&self, a: usize, b: usize) -> String {
        self.lines[a..=b].concat()
    }

    pub(crate) fn is_blank(&self, row: usize) -> bool {
        self.lines[row].trim().is_empty()
    }

    /// Cuts rows `a..=b` into windows of at most `max` tokens, preferring to end a
    /// window at a blank line, and never splitting a line.
    pub(crate) fn windows(&self, a: usize, b: usize, max: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = a;
        while start <= b {
            let mut end = start;
            let mut used = self.tokens[start];
            let mut last_blank = None;
            while end < b && used + self.tokens[end + 1] <= max {
                end += 1;
                used += self.tokens[end];
                if self.is_blank(end) {
                    last_blank = Some(end);
                }
            }
            if end < b {
                if let Some(bl) = last_blank.filter(|&bl| bl > start) {
                    end = bl;
                }
            }
            out.push((start, end));
            start = end + 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approx_counter_counts_words_and_marks() {
        assert_eq!(ApproxTokenCounter.count("def foo(a, b):"), 8);
        assert_eq!(ApproxTokenCounter.count("  \n"), 0);
    }

    #[test]
    fn windows_prefer_blank_lines_and_cover_everything() {
        let src = "a b c\nd e f\n\ng h i\nj k l\nm n o\n";
        let lines = Lines::new(src, &ApproxTokenCounter);
        let w = lines.windows(0, lines.len() - 1, 10);
        assert_eq!(w, vec![(0, 2), (3, 5)]);
    }
}
