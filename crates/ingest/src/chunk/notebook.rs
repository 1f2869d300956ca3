//! Jupyter notebooks (`.ipynb`): one chunk per code cell (or piece of a long one), the
//! markdown cells above it as context, outputs dropped.

use super::{Chunk, ChunkBudget, ChunkKind, Chunker, LineChunker, SyntaxChunker, TokenCounter};

/// Chunks a notebook by cells. Code cells are chunked along the syntax tree of the
/// notebook's language (Python unless its metadata names another with a spec), each
/// chunk's symbol names its cell (`cell 3`, or `cell 3: load_data`); the text of the
/// nearest markdown cells above is the context. Markdown cells are chunks of their own.
/// Outputs are never indexed. Locations are the lines of the cell in the `.ipynb` file;
/// a file that is not a notebook is chunked as lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotebookChunker;

/// Most characters of markdown carried as a code cell's context.
const CONTEXT_CHARS: usize = 300;

/// The lines (1-based, inclusive) of each cell in the file: from the line of its
/// `"cell_type"` key to the line before the next cell's.
fn cell_lines(source: &str, cells: usize) -> Vec<(usize, usize)> {
    let starts: Vec<usize> = source
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("\"cell_type\""))
        .map(|(i, _)| i + 1)
        .collect();
    let total = source.lines().count().max(1);
    if starts.len() != cells {
        return vec![(1, total); cells];
    }
    (0..cells)
        .map(|i| {
            let end = starts.get(i + 1).map_or(total, |s| s - 1);
            (starts[i], end.max(starts[i]))
        })
        .collect()
}

fn cell_source(cell: &serde_json::Value) -> String {
    match cell.get("source") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(parts)) => {
            parts.iter().filter_map(|p| p.as_str()).collect::<String>()
        }
        _ => String::new(),
    }
}

impl Chunker for NotebookChunker {
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk> {
        let Ok(nb) = serde_json::from_str::<serde_json::Value>(source) else {
            return LineChunker.chunk(source, counter, budget);
        };
        let Some(cells) = nb.get("cells").and_then(|c| c.as_array()) else {
            return LineChunker.chunk(source, counter, budget);
        };
        let language = nb
            .pointer("/metadata/kernelspec/language")
            .or_else(|| nb.pointer("/metadata/language_info/name"))
            .and_then(|l| l.as_str())
            .unwrap_or("python")
            .to_ascii_lowercase();
        let code = SyntaxChunker::for_language(&language)
            .or_else(|| SyntaxChunker::for_language("python"));
        let places = cell_lines(source, cells.len());
        let mut markdown = String::new();
        let mut out = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            let number = i + 1;
            let (start_line, end_line) = places[i];
            let text = cell_source(cell);
            if text.trim().is_empty() {
                continue;
            }
            let kind = cell.get("cell_type").and_then(|k| k.as_str()).unwrap_or("");
            if kind == "markdown" {
                markdown = text.clone();
                for piece in LineChunker.chunk(&text, counter, budget) {
                    out.push(Chunk {
                        kind: ChunkKind::Cell,
                        symbol: Some(format!("cell {number}")),
                        container: None,
                        start_line,
                        end_line,
                        context: String::new(),
                        text: piece.text,
                    });
                }
                continue;
            }
            let mut context: String = markdown.chars().take(CONTEXT_CHARS).collect();
            context = context.trim_end().to_string();
            let pieces = match &code {
                Some(c) if kind == "code" => c.chunk(&text, counter, budget),
                _ => LineChunker.chunk(&text, counter, budget),
            };
            for piece in pieces {
                let symbol = match &piece.symbol {
                    Some(s) => format!("cell {number}: {s}"),
                    None => format!("cell {number}"),
                };
                let mut ctx = context.clone();
                if !piece.context.is_empty() {
                    if !ctx.is_empty() {
                        ctx.push('\n');
                    }
                    ctx.push_str(&piece.context);
                }
                out.push(Chunk {
                    kind: ChunkKind::Cell,
                    symbol: Some(symbol),
                    container: piece.container,
                    start_line,
                    end_line,
                    context: ctx,
                    text: piece.text,
                });
            }
        }
        out
    }

    fn covers_source_lines(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::ApproxTokenCounter;

    #[test]
    fn cells_become_chunks_with_markdown_context_and_no_outputs() {
        let nb = serde_json::json!({
            "cells": [
                {"cell_type": "markdown", "metadata": {}, "source": ["# Loading\n", "Read the CSV."]},
                {"cell_type": "code", "execution_count": 1, "metadata": {},
                 "outputs": [{"output_type": "stream", "text": ["SECRET_OUTPUT\n"]}],
                 "source": ["def load(path):\n", "    return open(path).read()\n"]},
                {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
                 "source": "x = load('a.csv')\n"}
            ],
            "metadata": {"kernelspec": {"language": "python"}},
            "nbformat": 4, "nbformat_minor": 5
        });
        let source = serde_json::to_string_pretty(&nb).unwrap();
        let budget = ChunkBudget::DEFAULT;
        let chunks = NotebookChunker.chunk(&source, &ApproxTokenCounter, &budget);
        let symbols: Vec<_> = chunks.iter().map(|c| c.symbol.as_deref()).collect();
        assert_eq!(
            symbols,
            vec![Some("cell 1"), Some("cell 2: load"), Some("cell 3")]
        );
        assert!(chunks.iter().all(|c| !c.text.contains("SECRET_OUTPUT")));
        assert_eq!(chunks[1].context, "# Loading\nRead the CSV.");
        assert!(chunks[1].text.starts_with("def load(path):"));
        // Locations are the cells' lines in the file, in order.
        let lines: Vec<&str> = source.lines().collect();
        for c in &chunks {
            assert!(lines[c.start_line - 1].contains("\"cell_type\""));
        }
        assert!(chunks[0].end_line < chunks[1].start_line);
        assert!(chunks[1].end_line < chunks[2].start_line);
    }

    #[test]
    fn a_file_that_is_not_a_notebook_is_chunked_as_lines() {
        let chunks =
            NotebookChunker.chunk("not json\n", &ApproxTokenCounter, &ChunkBudget::DEFAULT);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].kind, ChunkKind::Lines);
    }
}
