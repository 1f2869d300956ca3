//! Markdown and reStructuredText by heading sections, each with its heading path as
//! context.

use super::{Chunk, ChunkBudget, ChunkKind, Chunker, Lines, TokenCounter};

/// Chunks Markdown into sections: a heading and everything up to the next heading. The
/// heading path (`Guide > Install > Linux`) is the context; a section over budget is
/// cut at paragraph boundaries, each piece keeping the path. Headings inside fenced
/// code blocks are not headings. A heading with no body joins the next section.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownChunker;

/// Chunks reStructuredText into sections the way [`MarkdownChunker`] does Markdown: a
/// section title is an unindented line underlined (and optionally overlined) by one
/// punctuation character repeated at least as long as the title; its level is the order
/// in which its style (character, overline or not) first appears in the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct RstChunker;

/// One section heading: its first row, how many rows it spans (an underline and an
/// overline count), its level (1 is the top) and its title.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Heading {
    row: usize,
    rows: usize,
    level: usize,
    title: String,
}

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

/// The ATX headings of Markdown `lines`, outside fenced code blocks.
fn markdown_headings(lines: &[&str]) -> Vec<Heading> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for (row, line) in lines.iter().enumerate() {
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
            out.push(Heading {
                row,
                rows: 1,
                level,
                title,
            });
        }
    }
    out
}

/// The character `line` repeats when it is a reStructuredText adornment (an underline
/// or overline): unindented, at least three of one punctuation character.
fn adornment(line: &str) -> Option<(char, usize)> {
    let t = line.trim_end();
    let c = t.chars().next()?;
    let n = t.chars().count();
    (c.is_ascii_punctuation() && n >= 3 && t.chars().all(|x| x == c)).then_some((c, n))
}

/// The section titles of reStructuredText `lines`, levels numbered by first appearance
/// of each adornment style.
fn rst_headings(lines: &[&str]) -> Vec<Heading> {
    let mut styles: Vec<(char, bool)> = Vec::new();
    let mut out = Vec::new();
    let mut row = 0;
    while row + 1 < lines.len() {
        let title = lines[row].trim_end();
        let is_title = !title.is_empty()
            && !title.starts_with(char::is_whitespace)
            && adornment(title).is_none();
        let under = adornment(lines[row + 1]);
        let Some((c, n)) = under.filter(|(_, n)| is_title && *n >= title.chars().count()) else {
            row += 1;
            continue;
        };
        let over = row > 0 && adornment(lines[row - 1]) == Some((c, n));
        // A title starts a block: a blank line (or its overline, or the file start) above.
        let starts_block = over || row == 0 || lines[row - 1].trim().is_empty();
        if !starts_block {
            row += 1;
            continue;
        }
        let style = (c, over);
        let level = match styles.iter().position(|s| *s == style) {
            Some(i) => i + 1,
            None => {
                styles.push(style);
                styles.len()
            }
        };
        out.push(Heading {
            row: if over { row - 1 } else { row },
            rows: if over { 3 } else { 2 },
            level,
            title: title.trim().to_string(),
        });
        row += 2;
    }
    out
}

impl Chunker for MarkdownChunker {
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk> {
        let lines = Lines::new(source, counter);
        let headings = markdown_headings(&lines.lines);
        sections(&lines, &headings, budget)
    }
}

impl Chunker for RstChunker {
    fn chunk(&self, source: &str, counter: &dyn TokenCounter, budget: &ChunkBudget) -> Vec<Chunk> {
        let lines = Lines::new(source, counter);
        let headings = rst_headings(&lines.lines);
        sections(&lines, &headings, budget)
    }
}

/// Chunks `lines` into the sections that `headings` open, each under its heading path.
fn sections(lines: &Lines<'_>, headings: &[Heading], budget: &ChunkBudget) -> Vec<Chunk> {
    if lines.len() == 0 {
        return Vec::new();
    }
    // Sections: (start row, heading rows, heading path).
    let mut sections: Vec<(usize, usize, Vec<String>)> = vec![(0, 0, Vec::new())];
    let mut path: Vec<(usize, String)> = Vec::new();
    for h in headings {
        path.retain(|(l, _)| *l < h.level);
        path.push((h.level, h.title.clone()));
        let names = path.iter().map(|(_, t)| t.clone()).collect();
        sections.push((h.row, h.rows, names));
    }
    // Drop an empty leading section; let heading-only sections join the next one.
    let mut bounds: Vec<(usize, usize, usize, Vec<String>)> = Vec::new();
    for (i, (start, rows, names)) in sections.iter().enumerate() {
        let end = sections.get(i + 1).map_or(lines.len(), |s| s.0);
        if end > *start {
            bounds.push((*start, end - 1, *rows, names.clone()));
        }
    }
    let mut merged: Vec<(usize, usize, Vec<String>)> = Vec::new();
    let mut pending: Option<usize> = None;
    for (a, b, rows, names) in bounds {
        let start = pending.take().unwrap_or(a);
        let body_blank = (a + rows.max(1)..=b).all(|r| lines.is_blank(r));
        if body_blank && rows > 0 && b + 1 < lines.len() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::ApproxTokenCounter;

    #[test]
    fn rst_titles_are_underlined_and_levelled_by_first_appearance() {
        let src = "=====\nGuide\n=====\n\nIntro text.\n\nInstall\n-------\n\nRun pip.\n\n\
                   Linux\n~~~~~\n\nUse apt.\n\nUsage\n-------\n\nCall it::\n\n    Title\n    -----\n\n\
                   Short\n--\n\ntext\nnot a title\n-----------\n";
        let lines: Vec<&str> = src.lines().collect();
        let h = rst_headings(&lines);
        let got: Vec<(usize, usize, &str)> = h
            .iter()
            .map(|h| (h.row, h.level, h.title.as_str()))
            .collect();
        // The indented literal title, the too-short underline and the title glued to
        // a paragraph above are not sections.
        assert_eq!(
            got,
            [
                (0, 1, "Guide"),
                (6, 2, "Install"),
                (11, 3, "Linux"),
                (16, 2, "Usage")
            ]
        );
        let chunks = RstChunker.chunk(src, &ApproxTokenCounter, &ChunkBudget::default());
        let contexts: Vec<&str> = chunks.iter().map(|c| c.context.as_str()).collect();
        assert_eq!(
            contexts,
            [
                "Guide",
                "Guide > Install",
                "Guide > Install > Linux",
                "Guide > Usage"
            ]
        );
        assert_eq!(chunks[2].symbol.as_deref(), Some("Linux"));
        assert_eq!((chunks[0].start_line, chunks[0].end_line), (1, 6));
        assert_eq!(chunks.last().map(|c| c.end_line), Some(lines.len()));
    }
}
