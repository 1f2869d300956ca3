//! Executive summaries of long documents: one pass when the document fits the
//! summarizer's context, else hierarchical map-reduce (page-ranged chunks summarized by
//! the worker role, notes reduced by the worker until they fit, then a final reduce by the
//! summarizer). Sentences are streamed as they complete, each cited with the page(s) it
//! is grounded in ([`crate::cite`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cite::{self, Citation, Grounder, Section, SentenceSplitter, Unit};
use crate::{Generation, Result, RoleRunner, SummarizeError};

/// A document to summarize: its sections (pages of a PDF, runs of lines of a text file).
#[derive(Debug, Clone)]
pub struct Document {
    pub path: PathBuf,
    pub title: Option<String>,
    pub unit: Unit,
    pub sections: Vec<Section>,
}

/// Characters per section when a text file is split into runs of lines.
const TEXT_SECTION_CHARS: usize = 2400;

impl Document {
    /// A PDF's pages (`(number, text)`, numbered from 1); empty pages are dropped.
    pub fn from_pages(path: &Path, title: Option<String>, pages: Vec<(usize, String)>) -> Self {
        Self {
            path: path.to_path_buf(),
            title,
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

    /// A text or Markdown file, split into runs of lines of about
    /// [`TEXT_SECTION_CHARS`] characters, at blank lines where possible.
    pub fn from_text(path: &Path, text: &str) -> Self {
        let mut sections = Vec::new();
        let mut cur = String::new();
        let mut first = 1;
        let mut title = None;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if title.is_none() {
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

/// Options of one summary.
#[derive(Debug, Clone, Default)]
pub struct SummaryConfig {
    /// Length of the final summary in tokens (the summarizer role's default when `None`).
    pub max_tokens: Option<usize>,
    /// Length of each map-phase note (the worker role's default when `None`).
    pub note_tokens: Option<usize>,
}

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
    fn new(phase: &str, runner: &RoleRunner) -> Self {
        Self {
            phase: phase.into(),
            role: runner.name.clone(),
            strategy: runner.plan.speculation.used.clone(),
            ..Self::default()
        }
    }

    fn add(&mut self, g: &Generation) {
        self.calls += 1;
        self.prompt_tokens += g.prompt_tokens;
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
}

/// A note of the map phase: what a run of sections says.
#[derive(Debug, Clone)]
struct Note {
    first: usize,
    last: usize,
    text: String,
}

const SYSTEM: &str = "You are a careful technical writer. You summarize documents accurately, using only facts stated in the text.";
/// Tokens reserved for the instructions and chat markup around a chunk.
const PROMPT_OVERHEAD: usize = 160;

/// Summarizes documents with a summarizer role and a worker role.
#[derive(Debug)]
pub struct Summarizer<'a> {
    pub summarizer: &'a RoleRunner,
    pub worker: &'a RoleRunner,
}

impl Summarizer<'_> {
    /// Summarizes `doc`, reporting progress and streaming the final text to `on_event`.
    pub fn summarize(
        &self,
        doc: &Document,
        config: &SummaryConfig,
        mut on_event: impl FnMut(SummaryEvent<'_>),
    ) -> Result<Summary> {
        let start = Instant::now();
        if doc.sections.is_empty() {
            return Err(SummarizeError::EmptyDocument {
                path: doc.path.clone(),
            });
        }
        let grounder = Grounder::new(doc.unit, &doc.sections);
        let final_tokens = config.max_tokens.unwrap_or(self.summarizer.role.max_tokens);
        let note_tokens = config.note_tokens.unwrap_or(self.worker.role.max_tokens);
        let mut phases = Vec::new();
        let title = doc
            .title
            .as_deref()
            .map(|t| format!(" titled \"{t}\""))
            .unwrap_or_default();

        // One pass when the whole document fits the summarizer.
        let whole = render_sections(doc.unit, &doc.sections);
        let one_pass_prompt = self.summarizer.model().chat_prompt(
            Some(SYSTEM),
            &format!(
                "Write an executive summary of the document{title} below in 4 to 8 sentences: its purpose, main points and conclusions.\n\n{whole}"
            ),
        )?;
        let budget = |r: &RoleRunner, out: usize| {
            (r.role.context as usize).saturating_sub(out + speculation_slack(r) + 8)
        };
        let fits = self.summarizer.model().tokenize(&one_pass_prompt).len()
            <= budget(self.summarizer, final_tokens);

        let (prompt, mode, chunks, levels) = if fits {
            (one_pass_prompt, "one-pass", 0, 0)
        } else {
            // Map: page-ranged chunks that fit the worker.
            let chunk_budget = budget(self.worker, note_tokens).saturating_sub(PROMPT_OVERHEAD);
            let groups = self.group_sections(&doc.sections, doc.unit, chunk_budget);
            let mut map = PhaseStats::new("map", self.worker);
            on_event(SummaryEvent::MapStart {
                chunks: groups.len(),
            });
            let mut notes = Vec::with_capacity(groups.len());
            for (i, group) in groups.iter().enumerate() {
                let (first, last) = (group[0].first, group[group.len() - 1].last);
                let range = cite::label(doc.unit, first, last);
                let instruction = format!(
                    "Summarize the key points of this excerpt ({range}) of a document{title} in 2 to 4 sentences."
                );
                let text = self.write_note(
                    &instruction,
                    &render_sections(doc.unit, group),
                    note_tokens,
                    &mut map,
                )?;
                notes.push(Note { first, last, text });
                on_event(SummaryEvent::MapDone {
                    done: i + 1,
                    of: groups.len(),
                    label: &range,
                });
            }
            phases.push(map);
            // Reduce notes with the worker until they fit the summarizer.
            let mut levels = 0;
            let final_budget =
                budget(self.summarizer, final_tokens).saturating_sub(PROMPT_OVERHEAD);
            while self.notes_tokens(&notes, doc.unit) > final_budget && notes.len() > 1 {
                levels += 1;
                let mut stats = PhaseStats::new(&format!("reduce-{levels}"), self.worker);
                let groups = self.group_notes(&notes, doc.unit, chunk_budget);
                on_event(SummaryEvent::MapStart {
                    chunks: groups.len(),
                });
                let mut next = Vec::new();
                for (i, group) in groups.iter().enumerate() {
                    let (first, last) = (group[0].first, group[group.len() - 1].last);
                    let range = cite::label(doc.unit, first, last);
                    let instruction = format!(
                        "Combine these notes on {range} of a document{title} into 3 to 5 sentences."
                    );
                    let text = self.write_note(
                        &instruction,
                        &render_notes(doc.unit, group),
                        note_tokens,
                        &mut stats,
                    )?;
                    next.push(Note { first, last, text });
                    on_event(SummaryEvent::MapDone {
                        done: i + 1,
                        of: groups.len(),
                        label: &range,
                    });
                }
                phases.push(stats);
                if next.len() >= notes.len() {
                    break; // no progress possible; the final prompt is cut to fit
                }
                notes = next;
            }
            let prompt = self.summarizer.model().chat_prompt(
                Some(SYSTEM),
                &format!(
                    "Below are notes on consecutive parts of a document{title}. Write an executive summary of the whole document in 4 to 8 sentences: its purpose, main points and conclusions.\n\n{}",
                    render_notes(doc.unit, &notes)
                ),
            )?;
            let prompt = self.fit_prompt(self.summarizer, prompt, final_tokens);
            (prompt, "map-reduce", groups.len(), levels)
        };

        on_event(SummaryEvent::FinalStart {
            one_pass: mode == "one-pass",
        });
        let mut stats = PhaseStats::new("final", self.summarizer);
        let mut splitter = SentenceSplitter::default();
        let mut sentences: Vec<CitedSentence> = Vec::new();
        let mut text = String::new();
        let mut emit =
            |sentence: String, ws: String, on_event: &mut dyn FnMut(SummaryEvent<'_>)| {
                let sentence = cite::strip_model_citations(&sentence);
                let trimmed = sentence.trim();
                if trimmed.is_empty() && ws.is_empty() {
                    return;
                }
                // Small models repeat themselves: drop a sentence already said.
                if !trimmed.is_empty() && sentences.iter().any(|s| s.text == trimmed) {
                    return;
                }
                let citation = grounder.cite(trimmed);
                let shown = match &citation {
                    Some(c) if !trimmed.is_empty() => cite::attach(&sentence, c),
                    _ => sentence.clone(),
                };
                if !trimmed.is_empty() {
                    sentences.push(CitedSentence {
                        text: trimmed.to_string(),
                        citation,
                    });
                }
                let piece = format!("{shown}{ws}");
                text.push_str(&piece);
                on_event(SummaryEvent::Text(&piece));
            };
        let g = self
            .summarizer
            .generate(&prompt, Some(final_tokens), |piece| {
                for (s, ws) in splitter.push(piece) {
                    emit(s, ws, &mut on_event);
                }
            })?;
        if let Some((s, ws)) = splitter.finish() {
            // A sentence cut off by the token limit or a loop is left out.
            let cut = g.stopped_on_loop || g.generated_tokens >= final_tokens;
            if !cut || s.trim_end().ends_with(['.', '!', '?', ':', ')', '"']) {
                emit(s, ws, &mut on_event);
            }
        }
        stats.add(&g);
        phases.push(stats);
        Ok(Summary {
            path: doc.path.clone(),
            text: text.trim_end().to_string(),
            sentences,
            mode: mode.into(),
            sections: doc.sections.len(),
            chunks,
            reduce_levels: levels,
            phases,
            seconds: start.elapsed().as_secs_f64(),
        })
    }

    /// One note by the worker: `instruction` over `body`, cut to fit its context; the
    /// note without a cut-off last sentence or citations of the model's own.
    fn write_note(
        &self,
        instruction: &str,
        body: &str,
        note_tokens: usize,
        stats: &mut PhaseStats,
    ) -> Result<String> {
        let prompt = self
            .worker
            .model()
            .chat_prompt(Some(SYSTEM), &format!("{instruction}\n\n{body}"))?;
        let prompt = self.fit_prompt(self.worker, prompt, note_tokens);
        let g = self.worker.generate(&prompt, Some(note_tokens), |_| {})?;
        stats.add(&g);
        Ok(clean(&complete(&g, note_tokens)))
    }

    /// Consecutive sections grouped so each group's text fits `budget` worker tokens; a
    /// section longer than the budget is a group of its own (cut when prompted).
    fn group_sections(&self, sections: &[Section], unit: Unit, budget: usize) -> Vec<Vec<Section>> {
        group_by_budget(sections, budget, 1, |s| {
            self.worker
                .model()
                .tokenize(&render_sections(unit, std::slice::from_ref(s)))
                .len()
        })
    }

    /// Consecutive notes grouped the same way, at least two per group so every reduce
    /// level shrinks the list.
    fn group_notes(&self, notes: &[Note], unit: Unit, budget: usize) -> Vec<Vec<Note>> {
        group_by_budget(notes, budget, 2, |n| {
            self.worker
                .model()
                .tokenize(&render_notes(unit, std::slice::from_ref(n)))
                .len()
        })
    }

    fn notes_tokens(&self, notes: &[Note], unit: Unit) -> usize {
        self.summarizer
            .model()
            .tokenize(&render_notes(unit, notes))
            .len()
    }

    /// Cuts the middle of a prompt's text (keeping the instructions at the start and the
    /// chat markup at the end) until it fits the role's context.
    fn fit_prompt(&self, runner: &RoleRunner, prompt: String, out_tokens: usize) -> String {
        let limit = (runner.role.context as usize)
            .saturating_sub(out_tokens + speculation_slack(runner) + 8);
        let mut prompt = prompt;
        loop {
            let n = runner.model().tokenize(&prompt).len();
            if n <= limit {
                return prompt;
            }
            // Cut proportionally from the end of the document text (before the last
            // 200 bytes, which hold the chat markup).
            let excess = n - limit;
            let keep_tail = 200.min(prompt.len());
            let cut_bytes = (excess * prompt.len() / n.max(1)).max(16) + 8;
            let tail_start = prompt.len() - keep_tail;
            let mut cut_start = tail_start.saturating_sub(cut_bytes);
            while !prompt.is_char_boundary(cut_start) {
                cut_start -= 1;
            }
            let mut tail = tail_start;
            while !prompt.is_char_boundary(tail) {
                tail += 1;
            }
            if cut_start == 0 {
                return prompt;
            }
            prompt = format!("{}\n{}", &prompt[..cut_start], &prompt[tail..]);
        }
    }
}

/// Consecutive items grouped greedily so each group's cost stays within `budget`, except
/// that a group always takes at least `min_per_group` items (when there are that many).
fn group_by_budget<T: Clone>(
    items: &[T],
    budget: usize,
    min_per_group: usize,
    cost: impl Fn(&T) -> usize,
) -> Vec<Vec<T>> {
    let mut groups: Vec<Vec<T>> = Vec::new();
    let mut used = 0;
    for item in items {
        let n = cost(item);
        match groups.last_mut() {
            Some(g) if used + n <= budget || g.len() < min_per_group => {
                g.push(item.clone());
                used += n;
            }
            _ => {
                groups.push(vec![item.clone()]);
                used = n;
            }
        }
    }
    groups
}

fn speculation_slack(r: &RoleRunner) -> usize {
    match &r.role.speculation {
        crate::Speculation::Lookup { n_draft_max, .. } => *n_draft_max + 1,
        crate::Speculation::Draft { n_max, .. } => *n_max + 1,
        crate::Speculation::None => 1,
    }
}

fn render_sections(unit: Unit, sections: &[Section]) -> String {
    let mut out = String::new();
    for s in sections {
        out.push_str(&format!(
            "[{}]\n{}\n\n",
            cite::label(unit, s.first, s.last),
            squeeze(&s.text)
        ));
    }
    out
}

fn render_notes(unit: Unit, notes: &[Note]) -> String {
    let mut out = String::new();
    for n in notes {
        out.push_str(&format!(
            "[{}] {}\n\n",
            cite::label(unit, n.first, n.last),
            n.text
        ));
    }
    out
}

/// Collapses runs of white space (PDF text has many), keeping paragraph breaks.
fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for para in text.split("\n\n") {
        let words: Vec<&str> = para.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&words.join(" "));
    }
    out
}

/// A generation's text without a last sentence cut off by the token limit or a loop.
fn complete(g: &Generation, max_tokens: usize) -> String {
    let text = g.text.trim_end();
    if !(g.stopped_on_loop || g.generated_tokens >= max_tokens) {
        return text.to_string();
    }
    match text.rfind(['.', '!', '?']) {
        Some(i) if i > 0 => text[..=i].to_string(),
        _ => text.to_string(),
    }
}

/// A model's note with its own citations removed and white space tidied.
fn clean(text: &str) -> String {
    squeeze(&cite::strip_model_citations(text))
}

#[cfg(test)]
mod tests {
    use super::group_by_budget;

    #[test]
    fn groups_fill_up_to_the_budget_and_keep_their_minimum() {
        let items = [3, 3, 5, 9, 1];
        assert_eq!(
            group_by_budget(&items, 6, 1, |&n| n),
            vec![vec![3, 3], vec![5], vec![9], vec![1]]
        );
        assert_eq!(
            group_by_budget(&items, 6, 2, |&n| n),
            vec![vec![3, 3], vec![5, 9], vec![1]]
        );
    }
}
