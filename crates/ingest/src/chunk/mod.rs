//! Chunkers: source text in, chunks with line ranges, symbols and context out.
//!
//! Every chunker covers every line of its input exactly once, so nothing in a file is
//! unsearchable, and keeps each chunk under a token budget measured by the caller's
//! [`TokenCounter`] (the encoder's tokenizer in production).
//!
//! [`chunk_bounded`] is the one door every file goes through: a source with a line longer
//! than [`ChunkBudget::max_chars`] (minified or generated code, data, logs) is chunked by
//! size, only its first [`LONG_LINE_FILE_CHARS`] characters, its long lines cut into
//! pieces before anything counts their tokens; every chunk is then held to `max_chars`
//! characters and `max_tokens` tokens, its context to [`MAX_CONTEXT_CHARS`]. Memory and
//! work stay flat however long a line is.

mod config;
mod lines;
mod markdown;
mod notebook;
pub(crate) mod pdf;
mod syntax;

pub use config::{ConfigChunker, ConfigFormat};
pub use lines::LineChunker;
pub use markdown::{MarkdownChunker, RstChunker};
pub use notebook::NotebookChunker;
pub use syntax::{spec_for, LanguageSpec, Role, SyntaxChunker, SPECS};

/// Version of what the extractors and chunkers produce. Bump it whenever their output
/// for the same file changes: the next full run then chunks every file again (contents
/// that come out the same are still reused, not encoded). 4: syntax chunking in every
/// language, with containers; 5: PDF words hyphenated at a line end joined (PDFium's
/// U+0002 marker); 6: reStructuredText by sections, PDF headings by the font size the
/// PDF sets rather than the line box; 7: a file's unnamed preamble (package line,
/// imports, includes) goes with the definition after it, a class included; 8: PDF text
/// with plain line ends (`\n`, not PDFium's `\r\n`).
pub const CHUNKER_VERSION: &str = "8";

/// Python along its syntax tree: the syntax chunker with the Python spec.
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonChunker;

impl Chunker for PythonChunker {
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk> {
        SyntaxChunker::new(&syntax::PYTHON).chunk(source, counter, budget)
    }
}

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
    /// A container header (class, struct with members, impl, trait, interface, module,
    /// namespace): signature, doc, fields up to the first member definition.
    Class,
    /// A type without member definitions (struct, enum, union, type alias).
    Type,
    /// Another named definition: a constant, macro or property.
    Definition,
    /// A Markdown section under its heading path.
    Section,
    /// A top-level key or table of a config file (TOML, YAML, JSON).
    Key,
    /// A notebook cell, or a piece of one.
    Cell,
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
    /// Qualified name of the enclosing container (class, impl, module, or a Go
    /// method's receiver type); `None` at top level.
    pub container: Option<String>,
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

/// Chunk size limits in tokens and characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkBudget {
    /// No chunk's text exceeds this many tokens (after [`chunk_bounded`]).
    pub max_tokens: usize,
    /// Neighbours smaller than this are merged when the result fits `max_tokens`.
    pub min_tokens: usize,
    /// No chunk's text exceeds this many characters (after [`chunk_bounded`]); a line
    /// longer than this marks the file as minified or generated and is cut into pieces.
    pub max_chars: usize,
}

impl ChunkBudget {
    /// The production budget: the default encoder reads 256 tokens and context lines
    /// take some of them; 2,000 characters is far more than 220 tokens of code or prose.
    pub const DEFAULT: Self = Self {
        max_tokens: 220,
        min_tokens: 48,
        max_chars: 2_000,
    };
}

impl Default for ChunkBudget {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A chunk's context (enclosing signatures, heading path) is cut to this many
/// characters, so the text given to the encoder is at most
/// `max_chars + MAX_CONTEXT_CHARS + 1` characters.
pub const MAX_CONTEXT_CHARS: usize = 500;

/// Of a source with a line longer than `max_chars` (minified or generated code, data,
/// logs), only this many characters are chunked and indexed: such text is not written
/// to be read, and all of a 20 MB bundle would cost tens of thousands of chunks.
pub const LONG_LINE_FILE_CHARS: usize = 65_536;

/// Chunks of one source, held to the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedChunks {
    /// The chunks, covering the source in order.
    pub chunks: Vec<Chunk>,
    /// Set when the source has a line longer than `max_chars` (minified or generated
    /// code, data, logs): its characters. Such a source is chunked by size, not syntax.
    pub long_line: Option<usize>,
    /// Set when only the first [`LONG_LINE_FILE_CHARS`] characters were chunked: the
    /// source's length in characters.
    pub cut_from: Option<usize>,
}

/// Characters of the longest line of `source`, counted without allocating.
pub fn longest_line_chars(source: &str) -> usize {
    source
        .split('\n')
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
}

/// Chunks `source` with `chunker`, or by size when a line is longer than
/// `budget.max_chars`, then holds every chunk to the budget: a chunk over
/// `max_chars` characters or `max_tokens` tokens is cut into line windows (a long line
/// into pieces), keeping its kind, symbol and context; contexts are cut to
/// [`MAX_CONTEXT_CHARS`].
pub fn chunk_bounded(
    chunker: &dyn Chunker,
    source: &str,
    counter: &dyn TokenCounter,
    budget: &ChunkBudget,
) -> BoundedChunks {
    let raw = chunker.covers_source_lines();
    let longest = if raw { longest_line_chars(source) } else { 0 };
    let long_line = (longest > budget.max_chars).then_some(longest);
    let mut cut_from = None;
    let chunks = if long_line.is_some() {
        let head = match source.char_indices().nth(LONG_LINE_FILE_CHARS) {
            Some((at, _)) => {
                cut_from = Some(source.chars().count());
                &source[..at]
            }
            None => source,
        };
        LineChunker.chunk(head, counter, budget)
    } else {
        chunker.chunk(source, counter, budget)
    };
    let mut out = Vec::with_capacity(chunks.len());
    for mut c in chunks {
        truncate_chars(&mut c.context, MAX_CONTEXT_CHARS);
        if c.text.chars().count() <= budget.max_chars && counter.count(&c.text) <= budget.max_tokens
        {
            out.push(c);
            continue;
        }
        for mut piece in LineChunker.chunk(&c.text, counter, budget) {
            piece.kind = c.kind;
            piece.symbol.clone_from(&c.symbol);
            piece.context.clone_from(&c.context);
            if raw {
                piece.start_line += c.start_line - 1;
                piece.end_line += c.start_line - 1;
            } else {
                piece.start_line = c.start_line;
                piece.end_line = c.end_line;
            }
            out.push(piece);
        }
    }
    BoundedChunks {
        chunks: out,
        long_line,
        cut_from,
    }
}

/// Cuts `s` to at most `max` characters (at a character boundary).
fn truncate_chars(s: &mut String, max: usize) {
    if let Some((at, _)) = s.char_indices().nth(max) {
        s.truncate(at);
    }
}

/// Cuts one line into pieces of at most `max_chars` characters and `max_tokens` tokens
/// (preferring to end a piece after a space or punctuation in its second half), counting
/// tokens only of pieces already short in characters.
fn cut_line<'a>(
    line: &'a str,
    counter: &dyn TokenCounter,
    max_chars: usize,
    max_tokens: usize,
    out: &mut Vec<(&'a str, usize)>,
) {
    let mut rest = line;
    while !rest.is_empty() {
        // Byte offset after at most max_chars characters.
        let end = rest
            .char_indices()
            .nth(max_chars)
            .map_or(rest.len(), |(i, _)| i);
        let mut cut = end;
        if end < rest.len() {
            let half = rest[..end]
                .char_indices()
                .nth(max_chars / 2)
                .map_or(0, |(i, _)| i);
            if let Some(i) = rest[half..end].rfind(|c: char| !c.is_alphanumeric() && c != '_') {
                let at = half + i;
                cut = at + rest[at..].chars().next().map_or(1, char::len_utf8);
            }
        }
        let piece = &rest[..cut];
        let tokens = counter.count(piece);
        if tokens > max_tokens && piece.chars().count() > 1 {
            // Too many tokens for its length (symbols, digits): halve and try again.
            let half_chars = (piece.chars().count() / 2).max(1);
            cut_line(piece, counter, half_chars, max_tokens, out);
        } else {
            out.push((piece, tokens));
        }
        rest = &rest[cut..];
    }
}

/// Splits one file's text into chunks.
pub trait Chunker: Send + Sync {
    /// Chunks `source`; the chunks cover every line once, in order (unless
    /// [`Chunker::covers_source_lines`] says the chunks hold text derived from it).
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk>;

    /// Whether chunk texts are the source's own lines. A notebook's chunks are cell
    /// sources taken out of the JSON: their lines are the cell's place in the file, and
    /// the file's long lines (embedded outputs) say nothing about them.
    fn covers_source_lines(&self) -> bool {
        true
    }
}

/// The chunker for code of language `name` (as stored with chunks): the syntax chunker
/// when the language has a spec, notebooks by cell, config by top-level key, anything
/// else by lines.
pub fn code_chunker(name: &str) -> Box<dyn Chunker> {
    if let Some(syntax) = SyntaxChunker::for_language(name) {
        return Box::new(syntax);
    }
    match name {
        "notebook" => Box::new(NotebookChunker),
        "toml" => Box::new(ConfigChunker(ConfigFormat::Toml)),
        "yaml" => Box::new(ConfigChunker(ConfigFormat::Yaml)),
        "json" => Box::new(ConfigChunker(ConfigFormat::Json)),
        _ => Box::new(LineChunker),
    }
}

/// The lines of a source with their token counts, shared by the chunkers. A row is a
/// line, or with [`Lines::cut`] a piece of a long line.
pub(crate) struct Lines<'a> {
    pub(crate) lines: Vec<&'a str>,
    pub(crate) tokens: Vec<usize>,
    /// 1-based source line of each row.
    pub(crate) numbers: Vec<usize>,
    /// Characters of each row.
    chars: Vec<usize>,
    /// Most characters in one window.
    max_chars: usize,
}

impl<'a> Lines<'a> {
    /// One row per line; windows are bounded in tokens only.
    pub(crate) fn new(source: &'a str, counter: &dyn TokenCounter) -> Self {
        let lines: Vec<&str> = source.split_inclusive('\n').collect();
        let tokens = lines.iter().map(|l| counter.count(l)).collect();
        let chars = lines.iter().map(|l| l.chars().count()).collect();
        let numbers = (1..=lines.len()).collect();
        Self {
            lines,
            tokens,
            numbers,
            chars,
            max_chars: usize::MAX,
        }
    }

    /// Rows of at most `budget.max_chars` characters and `budget.max_tokens` tokens: a
    /// longer line becomes several rows with the same line number. Windows are bounded
    /// in both.
    pub(crate) fn cut(source: &'a str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Self {
        let max_chars = budget.max_chars.max(1);
        let max_tokens = budget.max_tokens.max(1);
        let (mut lines, mut tokens, mut numbers, mut chars) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut pieces = Vec::new();
        for (n, line) in source.split_inclusive('\n').enumerate() {
            pieces.clear();
            // Only a line short in characters is counted whole.
            if line.len() <= max_chars {
                pieces.push((line, counter.count(line)));
            }
            if pieces.first().is_none_or(|&(_, t)| t > max_tokens) {
                pieces.clear();
                cut_line(line, counter, max_chars, max_tokens, &mut pieces);
            }
            for &(p, t) in &pieces {
                lines.push(p);
                tokens.push(t);
                numbers.push(n + 1);
                chars.push(p.chars().count());
            }
        }
        Self {
            lines,
            tokens,
            numbers,
            chars,
            max_chars,
        }
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

    /// Cuts rows `a..=b` into windows of at most `max` tokens (and the row set's
    /// character bound), preferring to end a window at a blank line, and never splitting
    /// a row.
    pub(crate) fn windows(&self, a: usize, b: usize, max: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = a;
        while start <= b {
            let mut end = start;
            let mut used = self.tokens[start];
            let mut used_chars = self.chars[start];
            let mut last_blank = None;
            while end < b
                && used + self.tokens[end + 1] <= max
                && used_chars + self.chars[end + 1] <= self.max_chars
            {
                end += 1;
                used += self.tokens[end];
                used_chars += self.chars[end];
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

    fn assert_bounded(source: &str, chunker: &dyn Chunker, budget: &ChunkBudget) -> BoundedChunks {
        let b = chunk_bounded(chunker, source, &ApproxTokenCounter, budget);
        let joined: String = b.chunks.iter().map(|c| c.text.as_str()).collect();
        match b.cut_from {
            None => assert_eq!(joined, source, "the chunks cover the source in order"),
            Some(n) => {
                assert_eq!(n, source.chars().count());
                assert_eq!(joined.chars().count(), LONG_LINE_FILE_CHARS);
                assert!(
                    source.starts_with(&joined),
                    "the chunks cover the head in order"
                );
            }
        }
        for c in &b.chunks {
            assert!(
                c.text.chars().count() <= budget.max_chars,
                "{}",
                c.text.len()
            );
            assert!(ApproxTokenCounter.count(&c.text) <= budget.max_tokens);
            assert!(c.context.chars().count() <= MAX_CONTEXT_CHARS);
        }
        b
    }

    #[test]
    fn a_huge_single_line_is_cut_into_bounded_chunks() {
        let budget = ChunkBudget::DEFAULT;
        // 1 MB on one line: words, then symbols (one token per character).
        let mut source = "x = [".to_string();
        while source.len() < 600_000 {
            source.push_str("alpha_beta, 12345, 'gamma delta', ");
        }
        source.push_str(&"+-*/".repeat(100_000));
        source.push_str("]\nprint(x)\n");
        let b = assert_bounded(&source, &PythonChunker, &budget);
        assert_eq!(
            b.long_line,
            Some(source.lines().next().unwrap().chars().count())
        );
        assert!(b.cut_from.is_some());
        assert!(b.chunks.len() > 30);
        assert!(b
            .chunks
            .iter()
            .all(|c| c.start_line == 1 && c.end_line == 1));
        // A long line under the file bound is covered whole, pieces in order.
        let source = format!("{}\nprint(x)\n", "ab, ".repeat(10_000));
        let b = assert_bounded(&source, &PythonChunker, &budget);
        assert_eq!(b.cut_from, None);
        assert!(b.chunks.iter().rev().skip(1).all(|c| c.start_line == 1));
        assert_eq!(b.chunks.last().unwrap().end_line, 2);
    }

    #[test]
    fn multibyte_and_long_contexts_stay_in_bounds() {
        let budget = ChunkBudget {
            max_tokens: 30,
            min_tokens: 4,
            max_chars: 100,
        };
        let source = format!(
            "{}\n# {}\n\n{}\n",
            "é€😀".repeat(500),
            "h".repeat(900),
            "word ".repeat(400)
        );
        assert_bounded(&source, &LineChunker, &budget);
        let md = format!("# {}\n\n{}\n", "title ".repeat(300), "text ".repeat(300));
        let b = assert_bounded(&md, &MarkdownChunker, &budget);
        assert!(b.long_line.is_some());
        // A Python class with a signature longer than the context bound.
        let py = format!(
            "class A({}):\n    def f(self):\n        return 1\n",
            (0..60)
                .map(|i| format!("B{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert_bounded(&py, &PythonChunker, &ChunkBudget::DEFAULT);
    }
}
