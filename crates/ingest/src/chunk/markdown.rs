//! Markdown by heading sections, each with its heading path as context.

use super::{Chunk, ChunkBudget, ChunkKind, Chunker, Lines, TokenCounter};

/// Chunks Markdown into sections: a heading and everything up to the next heading. The
/// heading path (`Guide > Install > Linux`) is the context; a section over budget is
/// cut at paragraph boundaries, each piece keeping the path. Headings inside fenced
/// code blocks are not headings. A heading with no body joins the next section.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownChunker;

/// `Some(level, title)` when `line` is an ATX heading.
fn heading(line: &str) -> Option<(usize, String)> {
    let t = line.trim_end();
    let trimmed = t.trim_start();
    if t.len() - trimmed.len() > 3 {
        return None;
    }
    let level = trimmed.chars().take_while(|&c| c == '#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &trimmed[level..];
    if !rest.is_empty() && !rest.starts_with(' ') && !rest.starts_with('\t') {
        return None;
    }
    Some((level, rest.trim().trim_end_matches('#').trim().to_string()))
}

impl Chunker for MarkdownChunker {
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk> {
        let lines = Lines::new(source, counter);
        if lines.len() == 0 {
            return Vec::new();
        }
        // Sections: (start row, heading path).
        let mut sections: Vec<(usize, Vec<String>)> = vec![(0, Vec::new())];
        let mut path: Vec<(usize, String)> = Vec::new();
        let mut fence: Option<&str> = None;
        for (row, line) in lines.lines.iter().enumerate() {
            let t = line.trim_start();
            if let Some(f) = fence {
                if t.starts_with(f) {
                    fence = None;
                }
                continue;
            }
            if t.starts_with("```") || t.starts_with("~~~") {
                fence = Some(&t[..3]);
                continue;
            }
            if let Some((level, title)) = heading(line) {
                path.retain(|(l, _)| *l < level);
                path.push((level, title));
                let names = path.iter().map(|(_, t)| t.clone()).collect();
                sections.push((row, names));
            }
        }
        // Drop an empty leading section; let heading-only sections join the next one.
        let mut bounds: Vec<(usize, usize, Vec<String>)> = Vec::new();
        for (i, (start, names)) in sections.iter().enumerate() {
            let end = sections.get(i + 1).map_or(lines.len(), |s| s.0);
            if end > *start {
                bounds.push((*start, end - 1, names.clone()));
            }
        }
        let mut merged: Vec<(usize, usize, Vec<String>)> = Vec::new();
        let mut pending: Option<usize> = None;
        for (a, b, names) in bounds {
            let start = pending.take().unwrap_or(a);
            let body_blank = (a + 1..=b).all(|r| lines.is_blank(r));
            if body_blank && heading(lines.lines[a]).is_some() && b + 1 < lines.len() {
                pending = Some(start);
                continue;
            }
            merged.push((start, b, names));
        }
        if let Some(start) = pending {
            match merged.last_mut() {
                Some(last) => last.1 = lines.len() - 1,
                None => merged.push((start, lines.len() - 1, Vec::new())),
            }
        }
        let mut out = Vec::new();
        for (a, b, names) in merged {
            let context = names.join(" > ");
            for (x, y) in lines.windows(a, b, budget.max_tokens) {
                out.push(Chunk {
                    kind: ChunkKind::Section,
                    symbol: names.last().cloned(),
                    container: None,
                    start_line: x + 1,
                    end_line: y + 1,
                    context: context.clone(),
                    text: lines.text(x, y),
                });
            }
        }
        out
    }
}
