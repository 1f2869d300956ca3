//! The fallback chunker: windows of lines under the budget, cut at blank lines.

use super::{Chunk, ChunkBudget, ChunkKind, Chunker, Lines, TokenCounter};

/// Chunks any text by line windows, preferring paragraph (blank-line) boundaries. Used
/// for plain text and for languages without a syntax-aware chunker.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineChunker;

impl Chunker for LineChunker {
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk> {
        let lines = Lines::new(source, counter);
        if lines.len() == 0 {
            return Vec::new();
        }
        lines
            .windows(0, lines.len() - 1, budget.max_tokens)
            .into_iter()
            .map(|(a, b)| Chunk {
                kind: ChunkKind::Lines,
                symbol: None,
                start_line: a + 1,
                end_line: b + 1,
                context: String::new(),
                text: lines.text(a, b),
            })
            .collect()
    }
}
