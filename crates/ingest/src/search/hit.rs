//! [`Hit`]: one search result, in the one shape every door prints or serialises.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::IndexName;
use crate::manifest::ChunkRecord;

/// One result: a chunk location, its text and how it ranked. CLI `--json`, the HTTP API,
/// MCP tools and `plait eval --json` all serialise this same shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Which index it came from.
    pub index: IndexName,
    /// File path (lossy UTF-8 when the name is not).
    pub path: String,
    /// First line (1-based), for text files.
    pub start_line: Option<usize>,
    /// Last line (1-based), for text files.
    pub end_line: Option<usize>,
    /// Page (1-based), for PDFs.
    pub page: Option<usize>,
    /// Qualified symbol or heading.
    pub symbol: Option<String>,
    /// Qualified name of the enclosing container of code chunks (class, impl, module).
    pub container: Option<String>,
    /// Chunk kind (`function`, `section`, `page`, ...).
    pub kind: String,
    /// Language of code chunks.
    pub language: Option<String>,
    /// Ranking score (higher is better; comparable within one mode and index).
    pub score: f64,
    /// Rank (1-based) of its content in the semantic list, if there.
    pub semantic_rank: Option<usize>,
    /// Rank (1-based) of its content in the lexical list, if there.
    pub lexical_rank: Option<usize>,
    /// The chunk's text.
    pub text: String,
    /// Lines of `text` (0-based) that match the query's words best, for marking them
    /// (see [`super::matching_lines`]; at most [`super::MAX_MATCHED_LINES`]).
    #[serde(default)]
    pub matched_lines: Vec<usize>,
}

impl Hit {
    pub(crate) fn new(
        index: IndexName,
        chunk: ChunkRecord,
        score: f64,
        ranks: (Option<usize>, Option<usize>),
    ) -> Self {
        Self {
            index,
            path: chunk.path.to_string_lossy().into_owned(),
            start_line: chunk.lines.map(|l| l.0),
            end_line: chunk.lines.map(|l| l.1),
            page: chunk.page,
            symbol: chunk.symbol,
            container: chunk.container,
            kind: chunk.kind,
            language: chunk.language,
            score,
            semantic_rank: ranks.0,
            lexical_rank: ranks.1,
            text: chunk.text,
            matched_lines: Vec::new(),
        }
    }

    /// What follows the path where a hit is printed: `:start-end` for lines, ` p.N` for
    /// a PDF page, nothing otherwise (`plait search` and `plait ask` print places alike).
    pub fn place_suffix(&self) -> String {
        match (self.start_line.zip(self.end_line), self.page) {
            (Some((a, b)), _) => format!(":{a}-{b}"),
            (None, Some(p)) => format!(" p.{p}"),
            _ => String::new(),
        }
    }

    /// Whether `next` (a chunk of the same index) goes on where this hit stops: the next
    /// piece of the same code unit or section (same file, symbol and kind), starting at
    /// most one line after this one ends. A function over the chunk budget is cut into
    /// such pieces; an answer about it may need them together.
    pub(crate) fn continued_by(&self, next: &ChunkRecord) -> bool {
        let (Some(start), Some(end), Some((a, b))) = (self.start_line, self.end_line, next.lines)
        else {
            return false;
        };
        self.symbol.is_some()
            && next.symbol == self.symbol
            && next.kind == self.kind
            && Path::new(&self.path) == next.path
            && a > start
            && a <= end + 1
            && b > end
    }

    /// This hit followed by `next` (which [`Self::continued_by`] accepted) as one hit:
    /// lines from this start to `next`'s end, texts joined without repeating lines,
    /// this hit's score, ranks and matched lines.
    pub fn joined(&self, next: &Hit) -> Hit {
        let mut out = self.clone();
        let (Some(end), Some(a), Some(b)) = (self.end_line, next.start_line, next.end_line) else {
            return out;
        };
        let overlap = (end + 1).saturating_sub(a);
        let rest: Vec<&str> = next.text.split_inclusive('\n').skip(overlap).collect();
        if !out.text.ends_with('\n') && !rest.is_empty() {
            out.text.push('\n');
        }
        out.text.push_str(&rest.concat());
        out.end_line = Some(b.max(end));
        out
    }

    /// The serialised field names, in order (for API schemas that mirror this shape).
    pub const FIELDS: [&'static str; 14] = [
        "index",
        "path",
        "start_line",
        "end_line",
        "page",
        "symbol",
        "container",
        "kind",
        "language",
        "score",
        "semantic_rank",
        "lexical_rank",
        "text",
        "matched_lines",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_lists_the_serialised_names() {
        let chunk = ChunkRecord {
            path: "/a/b.py".into(),
            index: "code".into(),
            key: 7,
            lines: Some((3, 9)),
            page: None,
            symbol: Some("f".into()),
            container: Some("C".into()),
            kind: "function".into(),
            language: Some("python".into()),
            context: String::new(),
            text: "def f(): pass".into(),
        };
        let hit = Hit::new(IndexName::Code, chunk, 0.5, (Some(1), None));
        let v = serde_json::to_value(&hit).unwrap_or_default();
        let keys: Vec<&str> = v
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut expected = Hit::FIELDS.to_vec();
        expected.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(v["index"], "code");
        assert_eq!(v["start_line"], 3);
        let back: Hit = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, hit);
    }
}
