//! PDF structure for chunking: each page's text cut into chunks, and over every chunk the
//! section heading in force (the last heading at or before its first line, carried
//! across pages). Running headers and footers (the same large line on several pages,
//! page numbers aside) are not section headings; blank pages are listed, not chunked.

use std::collections::HashMap;

use super::{Chunk, MAX_CONTEXT_CHARS};
use crate::extract::PageContent;

/// The chunks of a PDF, page by page.
#[derive(Debug, Default)]
pub(crate) struct PdfChunks {
    /// `(page number, its chunks)` for every page with text, in order.
    pub pages: Vec<(usize, Vec<Chunk>)>,
    /// Pages with no text (no text layer and no OCR text), numbered from 1.
    pub blank: Vec<usize>,
}

/// Chunks `pages` with `chunk` (one page's text in, its chunks out) and gives every
/// chunk the heading over it as symbol and context.
pub(crate) fn chunk_pages(
    pages: &[PageContent],
    mut chunk: impl FnMut(&str) -> Vec<Chunk>,
) -> PdfChunks {
    let running = RunningHeadings::of(pages);
    let mut out = PdfChunks::default();
    // The heading in force: the last one seen, carried across pages.
    let mut heading: Option<String> = None;
    for (i, page) in pages.iter().enumerate() {
        if page.text.trim().is_empty() {
            out.blank.push(i + 1);
            continue;
        }
        let heading_lines: Vec<(usize, &str)> = page
            .text
            .lines()
            .enumerate()
            .filter(|(_, l)| {
                let l = l.trim();
                page.headings.iter().any(|h| h == l) && !running.contains(l)
            })
            .map(|(n, l)| (n + 1, l.trim()))
            .collect();
        let mut chunks = chunk(&page.text);
        for c in &mut chunks {
            // The heading over a chunk: the last one at or before its first line, else
            // the one it opens with, else the carried one.
            let before = heading_lines
                .iter()
                .rev()
                .find(|(n, _)| *n <= c.start_line)
                .or_else(|| {
                    heading_lines
                        .iter()
                        .find(|(n, _)| (c.start_line..=c.end_line).contains(n))
                });
            if let Some((_, h)) = before {
                heading = Some((*h).to_string());
            }
            if let Some(h) = &heading {
                let h: String = h.chars().take(MAX_CONTEXT_CHARS).collect();
                c.symbol = Some(h.clone());
                c.context = h;
            }
            if let Some((_, last)) = heading_lines.iter().rev().find(|(n, _)| *n <= c.end_line) {
                heading = Some((*last).to_string());
            }
        }
        out.pages.push((i + 1, chunks));
    }
    out
}

/// Headings that repeat on two or more pages, compared without their digits.
struct RunningHeadings(HashMap<String, usize>);

impl RunningHeadings {
    fn key(h: &str) -> String {
        h.chars().filter(|c| !c.is_ascii_digit()).collect()
    }

    fn of(pages: &[PageContent]) -> Self {
        let mut seen_on: HashMap<String, usize> = HashMap::new();
        for page in pages {
            let mut keys: Vec<String> = page.headings.iter().map(|h| Self::key(h)).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                *seen_on.entry(k).or_default() += 1;
            }
        }
        Self(seen_on)
    }

    fn contains(&self, h: &str) -> bool {
        self.0.get(&Self::key(h)).is_some_and(|&n| n >= 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::{ApproxTokenCounter, ChunkBudget, Chunker, LineChunker};

    fn page(text: &str, headings: &[&str]) -> PageContent {
        PageContent {
            text: text.to_string(),
            headings: headings.iter().map(|h| (*h).to_string()).collect(),
        }
    }

    fn lines(text: &str) -> Vec<Chunk> {
        let budget = ChunkBudget {
            max_tokens: 8,
            min_tokens: 1,
            max_chars: 2_000,
        };
        LineChunker.chunk(text, &ApproxTokenCounter, &budget)
    }

    #[test]
    fn headings_carry_across_pages_and_running_headers_do_not_count() {
        let pages = [
            page(
                "Manual 1\nIntroduction\nsome words about the start\nmore words here",
                &["Manual 1", "Introduction"],
            ),
            page("", &[]),
            page(
                "Manual 3\nthe text goes on without a heading\nstill going",
                &["Manual 3"],
            ),
            page("Setup\nhow to install it", &["Setup"]),
        ];
        let out = chunk_pages(&pages, lines);
        assert_eq!(out.blank, vec![2]);
        let numbers: Vec<usize> = out.pages.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, vec![1, 3, 4]);
        // "Manual N" is on two pages: a running header, never a heading.
        for (_, chunks) in &out.pages {
            for c in chunks {
                assert_ne!(c.symbol.as_deref(), Some("Manual 1"));
                assert_ne!(c.symbol.as_deref(), Some("Manual 3"));
            }
        }
        // Page 3 has no heading of its own: page 1's carries over.
        let third = &out.pages[1].1;
        assert!(third
            .iter()
            .all(|c| c.symbol.as_deref() == Some("Introduction")));
        assert_eq!(third[0].context, "Introduction");
        let fourth = &out.pages[2].1;
        assert_eq!(fourth[0].symbol.as_deref(), Some("Setup"));
    }
}
