//! The fallback chunker: windows of lines under the budget, cut at blank lines.

use super::{Chunk, ChunkBudget, ChunkKind, Chunker, Lines, TokenCounter};

/// Chunks any text by line windows, preferring paragraph (blank-line) boundaries. Used
/// for plain text, for languages without a syntax-aware chunker, and for minified or
/// generated files. A line longer than the budget (characters or tokens) is cut into
/// pieces, each its own row, so no chunk exceeds the budget; the pieces of one line
/// carry its line number.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineChunker;

impl Chunker for LineChunker {
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk> {
        let lines = Lines::cut(source, counter, budget);
        if lines.len() == 0 {
            return Vec::new();
        }
        lines
            .windows(0, lines.len() - 1, budget.max_tokens)
            .into_iter()
            .map(|(a, b)| Chunk {
                kind: ChunkKind::Lines,
                symbol: None,
                container: None,
                start_line: lines.numbers[a],
                end_line: lines.numbers[b],
                context: String::new(),
                text: lines.text(a, b),
            })
            .collect()
    }
}
