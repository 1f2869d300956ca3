//! Executive summaries of long documents: one pass when the document fits the
//! summarizer's context, else hierarchical map-reduce (page-ranged chunks summarized by
//! the worker role, notes reduced by the worker until they fit, then a final reduce by the
//! summarizer). Sentences are streamed as they complete, each cited with the page(s) it
//! is grounded in ([`cite`]).

pub(crate) mod check;
pub(crate) mod cite;
mod common;
mod prompts;
mod salient;
mod summarizer;

use std::path::{Path, PathBuf};

pub use summarizer::Summarizer;

use crate::{Faithfulness, Generation, RoleRunner, SentenceCheck};
use cite::{Citation, Section, Unit};

/// A document to summarize: its sections (pages of a PDF, runs of lines of a text file).
#[derive(Debug, Clone)]
pub struct Document {
    pub path: PathBuf,
    pub title: Option<String>,
    pub unit: Unit,
    pub sections: Vec<Section>,
}

/// Lines of a text file searched for its title.
const TITLE_LINES: usize = 10;
/// Characters per section when a text file is split into runs of lines.
const TEXT_SECTION_CHARS: usize = 2400;

impl Document {
    /// A PDF's pages (`(number, text)`, numbered from 1) as the extractor gives them
    /// (words split at a line end already joined); empty pages are dropped.
    pub fn from_pages(path: &Path, title: Option<String>, pages: Vec<(usize, String)>) -> Self {
        Self {
            path: path.to_path_buf(),
            title: title.filter(|t| useful_title(t)),
            unit: Unit::Page,
            sections: pages
                .into_iter()
                .filter(|(_, t)| !t.trim().is_empty())
                .map(|(n, text)| Section {
                    first: n,
                    last: n,
                    text,
                })
                .collect(),
        }
    }

    /// Words of text in the document.
    pub fn word_count(&self) -> usize {
        self.sections
            .iter()
            .map(|s| s.text.split_whitespace().count())
            .sum()
    }

    /// A text or Markdown file, split into runs of lines of about
    /// [`TEXT_SECTION_CHARS`] characters, at blank lines where possible.
    pub fn from_text(path: &Path, text: &str) -> Self {
        let mut sections = Vec::new();
        let mut cur = String::new();
        let mut first = 1;
        let mut title = None;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            // A title is a top-level heading among the first lines (later ones are
            // sections, or comments in code blocks).
            if title.is_none() && n <= TITLE_LINES {
                if let Some(h) = line.strip_prefix("# ") {
                    title = Some(h.trim().to_string());
                }
            }
            if cur.is_empty() {
                first = n;
            }
            cur.push_str(line);
            cur.push('\n');
            let at_break = line.trim().is_empty() && cur.len() >= TEXT_SECTION_CHARS / 2;
            if at_break || cur.len() >= TEXT_SECTION_CHARS {
                if !cur.trim().is_empty() {
                    sections.push(Section {
                        first,
                        last: n,
                        text: std::mem::take(&mut cur),
                    });
                }
                cur.clear();
            }
        }
        let total = text.lines().count();
        if !cur.trim().is_empty() {
            sections.push(Section {
                first,
                last: total.max(first),
                text: cur,
            });
        }
        Self {
            path: path.to_path_buf(),
            title,
            unit: Unit::Line,
            sections,
        }
    }
}

/// Whether a PDF's title says something: not empty, not a file name (`Binder 1.pdf`,
/// `Microsoft Word - report.doc`), not `untitled`.
fn useful_title(title: &str) -> bool {
    let t = title.trim().to_lowercase();
    let file_name = [
        ".pdf", ".doc", ".docx", ".tex", ".dvi", ".ps", ".odt", ".rtf", ".txt",
    ]
    .iter()
    .any(|ext| t.ends_with(ext));
    !(t.is_empty() || file_name || t.starts_with("microsoft word") || t == "untitled")
}

/// Fewest words of text worth summarizing: below this a summary would only restate, or
/// invent.
pub const MIN_WORDS: usize = 20;

/// Options of one summary.
#[derive(Debug, Clone, Default)]
pub struct SummaryConfig {
    /// Length of the final summary in tokens (the summarizer role's default when `None`).
    pub max_tokens: Option<usize>,
    /// Length of each map-phase note (the worker role's default when `None`).
    pub note_tokens: Option<usize>,
    /// Share of each section's words the map phase reads, its best sentences first
    /// ([`DEFAULT_MAP_SHARE`] when `None`; 1 reads everything).
    pub map_share: Option<f64>,
}

/// Share of a long document's sentences the map phase reads by default: half the prompt
/// processing, and what is left out first is what a summary never needs.
pub const DEFAULT_MAP_SHARE: f64 = 0.5;

/// Progress of a summary, for the caller's display.
#[derive(Debug, Clone)]
pub enum SummaryEvent<'a> {
    /// The map phase starts with this many chunks.
    MapStart { chunks: usize },
    /// One chunk (or group of notes, in later levels) was summarized.
    MapDone {
        done: usize,
        of: usize,
        label: &'a str,
    },
    /// The final pass starts.
    FinalStart { one_pass: bool },
    /// A piece of the final summary (a sentence with its citation and the white space
    /// after it).
    Text(&'a str),
}

/// One cited sentence of the summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CitedSentence {
    pub text: String,
    pub citation: Option<Citation>,
}

/// Generation figures of one phase.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PhaseStats {
    pub phase: String,
    pub role: String,
    pub strategy: String,
    pub calls: usize,
    pub prompt_tokens: usize,
    /// Prompt tokens taken from the session's cache instead of evaluated.
    pub reused_prompt_tokens: usize,
    pub generated_tokens: usize,
    pub prompt_seconds: f64,
    pub decode_seconds: f64,
    pub tokens_per_second: f64,
    pub drafted: usize,
    pub accepted: usize,
    pub acceptance_rate: f64,
    pub mean_accepted: f64,
    #[serde(skip)]
    draft_steps: usize,
}

impl PhaseStats {
    pub(crate) fn new(phase: &str, runner: &RoleRunner) -> Self {
        Self {
            phase: phase.into(),
            role: runner.name.clone(),
            strategy: runner.plan.speculation.used.clone(),
            ..Self::default()
        }
    }

    pub(crate) fn add(&mut self, g: &Generation) {
        self.calls += 1;
        self.prompt_tokens += g.prompt_tokens;
        self.reused_prompt_tokens += g.reused_prompt_tokens;
        self.generated_tokens += g.generated_tokens;
        self.prompt_seconds += g.prompt_seconds;
        self.decode_seconds += g.decode_seconds;
        self.drafted += g.drafted;
        self.accepted += g.accepted;
        self.draft_steps += g.draft_steps;
        self.tokens_per_second = if self.decode_seconds > 0.0 {
            self.generated_tokens as f64 / self.decode_seconds
        } else {
            0.0
        };
        self.acceptance_rate = if self.drafted > 0 {
            self.accepted as f64 / self.drafted as f64
        } else {
            0.0
        };
        self.mean_accepted = if self.draft_steps > 0 {
            self.accepted as f64 / self.draft_steps as f64
        } else {
            0.0
        };
    }
}

/// A finished summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub path: PathBuf,
    /// The summary with its citations.
    pub text: String,
    pub sentences: Vec<CitedSentence>,
    /// `one-pass` or `map-reduce`.
    pub mode: String,
    /// Sections (pages) read.
    pub sections: usize,
    /// Map-phase chunks (0 in one pass).
    pub chunks: usize,
    /// Reduce levels before the final pass (0 or more).
    pub reduce_levels: usize,
    pub phases: Vec<PhaseStats>,
    pub seconds: f64,
    /// Sentences the model wrote that failed the checks and were left out.
    pub dropped: Vec<DroppedSentence>,
    /// The summary's figures against the document (invented identifiers, unsupported
    /// sentences, key-term coverage, repetition).
    pub faithfulness: Faithfulness,
}

/// A sentence left out of the summary, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DroppedSentence {
    pub text: String,
    pub check: SentenceCheck,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_pages_drop_blank_pages_and_file_name_titles() {
        let doc = Document::from_pages(
            Path::new("a.pdf"),
            Some("Binder 1.pdf".into()),
            vec![(1, "security and renegotiation".into()), (2, "  ".into())],
        );
        assert_eq!(doc.sections.len(), 1, "blank pages are dropped");
        assert_eq!(doc.sections[0].text, "security and renegotiation");
        assert_eq!(doc.title, None);
        let doc =
            Document::from_pages(Path::new("a.pdf"), Some("Colour Management".into()), vec![]);
        assert_eq!(doc.title.as_deref(), Some("Colour Management"));
        assert!(!useful_title("Microsoft Word - notes.doc") && !useful_title("untitled"));
    }
}
