//! The summarizer: one pass when the document fits the summarizer role's context, else
//! hierarchical map-reduce (page-ranged chunks noted by the worker role in one session,
//! notes combined until they fit, then a final pass by the summarizer). Every generation
//! is grounded in the document's words; final sentences are streamed as they complete,
//! each cited and checked ([`super::check`]), and a sentence that fails is left out.

use std::sync::Arc;
use std::time::Instant;

use super::check::SourceIndex;
use super::cite::{
    attach, label, strip_model_citations, Grounder, Section, SentenceSplitter, Unit,
};
use super::salient::Salience;
use super::{
    prompts, CitedSentence, Document, DroppedSentence, PhaseStats, Summary, SummaryConfig,
    SummaryEvent, DEFAULT_MAP_SHARE, MIN_WORDS,
};
use crate::{
    GenerateOptions, Generation, Result, RoleRunner, RoleSession, SourceWords, SummarizeError,
};

/// A note of the map phase: what a run of sections says.
#[derive(Debug, Clone)]
struct Note {
    first: usize,
    last: usize,
    text: String,
}

/// Tokens reserved for the instructions and chat markup around a chunk.
const PROMPT_OVERHEAD: usize = 240;
/// Largest map-phase chunk in tokens, whatever the worker's context: attention over a
/// longer chunk costs more per token (prefill grows with its square), and a note of a few
/// sentences cannot keep more anyway.
const MAX_CHUNK_TOKENS: usize = 2000;

/// Summarizes documents with a summarizer role and a worker role.
#[derive(Debug)]
pub struct Summarizer<'a> {
    pub summarizer: &'a RoleRunner,
    pub worker: &'a RoleRunner,
}

/// What every phase of one summary shares.
struct Job<'d> {
    doc: &'d Document,
    /// What the map phase reads of each section (its best sentences, running lines
    /// dropped).
    map_sections: Vec<Section>,
    index: SourceIndex,
    grounding: Arc<SourceWords>,
    final_tokens: usize,
    note_tokens: usize,
}

impl Job<'_> {
    fn title(&self) -> Option<&str> {
        self.doc.title.as_deref()
    }

    fn options(&self, max_tokens: usize) -> GenerateOptions {
        GenerateOptions {
            max_tokens: Some(max_tokens),
            grounding: Some(Arc::clone(&self.grounding)),
            ..GenerateOptions::default()
        }
    }
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
        let words = doc.word_count();
        if words < MIN_WORDS {
            return Err(SummarizeError::TooLittleText {
                path: doc.path.clone(),
                words,
                min: MIN_WORDS,
            });
        }
        let index = SourceIndex::new(&doc.sections);
        let salience = Salience::new(&doc.sections);
        let share = config
            .map_share
            .unwrap_or(DEFAULT_MAP_SHARE)
            .clamp(0.05, 1.0);
        let read = |share: f64| -> Vec<Section> {
            doc.sections
                .iter()
                .map(|s| Section {
                    text: salience.select(&s.text, share),
                    ..s.clone()
                })
                .filter(|s| !s.text.trim().is_empty())
                .collect()
        };
        let job = Job {
            doc,
            map_sections: read(share),
            grounding: Arc::new(index.words().clone()),
            index,
            final_tokens: config.max_tokens.unwrap_or(self.summarizer.role.max_tokens),
            note_tokens: config.note_tokens.unwrap_or(self.worker.role.max_tokens),
        };
        let key_terms = job.index.key_terms().to_vec();
        // Room is kept for the request for missing key terms of a later round.
        let final_out = job.final_tokens + MISSING_TERMS_RESERVE;
        let one_pass_user = prompts::one_pass(
            job.title(),
            &key_terms,
            &render_sections(doc.unit, &read(1.0)),
        );
        let one_pass_prompt = self
            .summarizer
            .model()
            .chat_prompt(Some(prompts::SYSTEM), &one_pass_user)?;
        let fits = self.summarizer.model().tokenize(&one_pass_prompt).len()
            <= budget(self.summarizer, final_out);
        let mut phases = Vec::new();
        let (user, mode, chunks, levels) = if fits {
            (one_pass_user, "one-pass", 0, 0)
        } else {
            let (notes, chunks, levels) = self.map_reduce(&job, &mut phases, &mut on_event)?;
            let user =
                prompts::final_from_notes(job.title(), &key_terms, &render_notes(doc.unit, &notes));
            let user = fit_user(self.summarizer, user, final_out)?;
            (user, "map-reduce", chunks, levels)
        };
        on_event(SummaryEvent::FinalStart {
            one_pass: mode == "one-pass",
        });
        let mut summary = self.write_final(&job, &user, &mut phases, &mut on_event)?;
        summary.mode = mode.into();
        summary.chunks = chunks;
        summary.reduce_levels = levels;
        summary.phases = phases;
        summary.seconds = start.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Map (a note per page-ranged chunk) and reduce (notes combined until they fit the
    /// summarizer), all by the worker in one session. Returns the notes, the number of
    /// chunks and the number of reduce levels.
    fn map_reduce(
        &self,
        job: &Job<'_>,
        phases: &mut Vec<PhaseStats>,
        on_event: &mut impl FnMut(SummaryEvent<'_>),
    ) -> Result<(Vec<Note>, usize, usize)> {
        let unit = job.doc.unit;
        let mut session = self.worker.session()?;
        let chunk_budget = budget(self.worker, job.note_tokens)
            .saturating_sub(PROMPT_OVERHEAD)
            .min(MAX_CHUNK_TOKENS);
        let groups = group_by_budget(&job.map_sections, chunk_budget, 1, |s| {
            self.worker
                .model()
                .tokenize(&render_sections(unit, std::slice::from_ref(s)))
                .len()
        });
        let mut map = PhaseStats::new("map", self.worker);
        let spans: Vec<_> = groups
            .iter()
            .map(|g| (g[0].first, g[g.len() - 1].last))
            .collect();
        let mut notes = self.notes(&mut session, job, &spans, &mut map, on_event, |i, range| {
            prompts::note(job.title(), range, &render_sections(unit, &groups[i]))
        })?;
        phases.push(map);
        let mut levels = 0;
        let final_budget =
            budget(self.summarizer, job.final_tokens).saturating_sub(PROMPT_OVERHEAD);
        while notes_tokens(self.summarizer, &notes, unit) > final_budget && notes.len() > 1 {
            levels += 1;
            let mut stats = PhaseStats::new(&format!("reduce-{levels}"), self.worker);
            let groups = group_by_budget(&notes, chunk_budget, 2, |n| {
                notes_tokens(self.worker, std::slice::from_ref(n), unit)
            });
            let spans: Vec<_> = groups
                .iter()
                .map(|g| (g[0].first, g[g.len() - 1].last))
                .collect();
            let next = self.notes(
                &mut session,
                job,
                &spans,
                &mut stats,
                on_event,
                |i, range| prompts::combine(job.title(), range, &render_notes(unit, &groups[i])),
            )?;
            phases.push(stats);
            if next.len() >= notes.len() {
                break; // no progress possible; the final prompt is cut to fit
            }
            notes = next;
        }
        Ok((notes, groups.len(), levels))
    }

    /// One note per span (first and last page or line), each from the prompt `user`
    /// writes for the span's index and label, with progress events.
    fn notes(
        &self,
        session: &mut RoleSession<'_>,
        job: &Job<'_>,
        spans: &[(usize, usize)],
        stats: &mut PhaseStats,
        on_event: &mut impl FnMut(SummaryEvent<'_>),
        user: impl Fn(usize, &str) -> String,
    ) -> Result<Vec<Note>> {
        on_event(SummaryEvent::MapStart {
            chunks: spans.len(),
        });
        let mut notes = Vec::with_capacity(spans.len());
        for (i, &(first, last)) in spans.iter().enumerate() {
            let range = label(job.doc.unit, first, last);
            let text = self.write_note(session, job, &user(i, &range), stats)?;
            notes.push(Note { first, last, text });
            on_event(SummaryEvent::MapDone {
                done: i + 1,
                of: spans.len(),
                label: &range,
            });
        }
        Ok(notes)
    }

    /// One note by the worker, cut to fit its context; without a cut-off last sentence or
    /// citations of the model's own.
    fn write_note(
        &self,
        session: &mut RoleSession<'_>,
        job: &Job<'_>,
        user: &str,
        stats: &mut PhaseStats,
    ) -> Result<String> {
        let user = fit_user(self.worker, user.to_string(), job.note_tokens)?;
        let prompt = self
            .worker
            .model()
            .chat_prompt(Some(prompts::SYSTEM), &user)?;
        let g = session.generate(&prompt, &job.options(job.note_tokens), |_| {})?;
        stats.add(&g);
        Ok(clean(&complete(&g, job.note_tokens)))
    }

    /// The final pass: sentences streamed as they complete, each cited and checked; one
    /// that fails a check is left out (and listed in [`Summary::dropped`]). The summary is
    /// continued from the sentences kept (the prompt's keys and values reused from the
    /// session), for at most [`FINAL_ROUNDS`] generations, while fewer than
    /// [`ENOUGH_SENTENCES`] passed (never starting the way a refused sentence started) or
    /// while it mentions less than [`COVERAGE_GOAL`] of the document's key terms (asking
    /// for the missing ones where the text supports them).
    fn write_final(
        &self,
        job: &Job<'_>,
        user: &str,
        phases: &mut Vec<PhaseStats>,
        on_event: &mut impl FnMut(SummaryEvent<'_>),
    ) -> Result<Summary> {
        let mut out = FinalText {
            grounder: Grounder::new(job.doc.unit, &job.doc.sections),
            unit: job.doc.unit,
            index: &job.index,
            sentences: Vec::new(),
            dropped: Vec::new(),
            text: String::new(),
        };
        let mut stats = PhaseStats::new("final", self.summarizer);
        let mut session = self.summarizer.session()?;
        let mut ban_first = Vec::new();
        let mut request = String::new();
        for round in 0..FINAL_ROUNDS {
            let (kept_before, dropped_before) = (out.sentences.len(), out.dropped.len());
            let so_far: Vec<&str> = out.sentences.iter().map(|s| s.text.as_str()).collect();
            let prompt = self
                .summarizer
                .model()
                .chat_prompt(Some(prompts::SYSTEM), &format!("{user}{request}"))?;
            let prompt = format!("{prompt}{}", so_far.join(" "));
            let max_tokens = if round == 0 {
                job.final_tokens
            } else {
                job.final_tokens / 2
            };
            let mut options = job.options(max_tokens);
            options.ban_first = std::mem::take(&mut ban_first);
            let mut splitter = SentenceSplitter::default();
            let g = session.generate(&prompt, &options, |piece| {
                for (s, ws) in splitter.push(piece) {
                    out.emit(s, ws, on_event);
                }
            })?;
            if let Some((s, ws)) = splitter.finish() {
                // A sentence cut off by the token limit or a loop is left out.
                let cut = g.stopped_on_loop || g.generated_tokens >= max_tokens;
                if !cut || s.trim_end().ends_with(['.', '!', '?', ':', ')', '"']) {
                    out.emit(s, ws, on_event);
                }
            }
            stats.add(&g);
            let refused = &out.dropped[dropped_before..];
            let progress = round == 0 || out.sentences.len() > kept_before;
            let kept: Vec<&str> = out.sentences.iter().map(|s| s.text.as_str()).collect();
            let missing = job.index.missing_terms(&kept);
            let covered = job.index.key_terms().len() - missing.len();
            let thin = out.sentences.len() < ENOUGH_SENTENCES && !refused.is_empty();
            let narrow = (covered as f64) < COVERAGE_GOAL * job.index.key_terms().len() as f64
                && out.sentences.len() < MAX_SENTENCES;
            if !progress || !(thin || narrow) {
                break;
            }
            request = if narrow {
                missing_request(job, &missing)
            } else {
                String::new()
            };
            ban_first = self.unlike(refused, out.sentences.is_empty(), narrow);
        }
        out.quote_missing(MAX_QUOTES, on_event);
        phases.push(stats);
        Ok(out.into_summary(job))
    }

    /// The tokens the next round may not start with: the first token of each `refused`
    /// sentence (after a space when sentences were kept), and, when asked for `missing`
    /// terms (`narrow`), the end of text: a model that found its summary complete would
    /// end at once, and the round must at least try (its sentences are checked like any
    /// other).
    fn unlike(&self, refused: &[DroppedSentence], none_kept: bool, narrow: bool) -> Vec<i32> {
        let model = self.summarizer.model();
        let lead = if none_kept { "" } else { " " };
        let mut ban: Vec<i32> = refused
            .iter()
            .filter_map(|d| {
                model
                    .tokenize_continuation(&format!("{lead}{}", d.text))
                    .first()
                    .copied()
            })
            .collect();
        if narrow {
            ban.extend(model.end_tokens());
        }
        ban.sort_unstable();
        ban.dedup();
        ban
    }
}

/// The request appended to the final prompt for the key terms the summary misses, with
/// up to [`MENTIONS`] places the document mentions them.
fn missing_request(job: &Job<'_>, missing: &[String]) -> String {
    let mut mentions: Vec<&str> = Vec::new();
    for m in missing.iter().filter_map(|t| job.index.mention(t)) {
        if mentions.len() < MENTIONS && !mentions.contains(&m) {
            mentions.push(m);
        }
    }
    prompts::missing_terms(missing, &mentions)
}

/// Sentences kept in a summary fewer than this start another round of the final pass.
const ENOUGH_SENTENCES: usize = 5;
/// Share of the document's key terms below which another round asks for the missing ones.
const COVERAGE_GOAL: f64 = 0.6;
/// No round asking for missing key terms once the summary has this many sentences.
const MAX_SENTENCES: usize = 10;
/// Sentences of the text quoted in the request for missing key terms.
const MENTIONS: usize = 3;
/// Prompt tokens kept free for the request naming missing key terms (with its
/// [`MENTIONS`] sentences of at most 30 words).
const MISSING_TERMS_RESERVE: usize = 96 + 160;
/// Most generations of the final pass.
const FINAL_ROUNDS: usize = 3;

/// Sentences of the document quoted when the model's rounds leave key terms out.
const MAX_QUOTES: usize = 2;

/// The final text as it is written: sentences kept (cited) and dropped.
struct FinalText<'a> {
    grounder: Grounder,
    unit: Unit,
    index: &'a SourceIndex,
    sentences: Vec<CitedSentence>,
    dropped: Vec<DroppedSentence>,
    text: String,
}

impl FinalText<'_> {
    /// The summary these sentences make, scored against the document.
    fn into_summary(self, job: &Job<'_>) -> Summary {
        let scored: Vec<_> = self
            .sentences
            .iter()
            .map(|s| (s.text.clone(), s.citation.clone()))
            .collect();
        Summary {
            path: job.doc.path.clone(),
            text: self.text.trim_end().to_string(),
            faithfulness: job.index.score(&scored),
            sentences: self.sentences,
            dropped: self.dropped,
            mode: String::new(),
            sections: job.doc.sections.len(),
            chunks: 0,
            reduce_levels: 0,
            phases: Vec::new(),
            seconds: 0.0,
        }
    }

    /// Quotes up to `max` sentences of the document that state key terms the summary
    /// still leaves out, while its coverage is under [`COVERAGE_GOAL`]: the document's
    /// own words, so they are supported and invent nothing (each still goes through the
    /// checks, e.g. against repeating a sentence already written).
    fn quote_missing(&mut self, max: usize, on_event: &mut impl FnMut(SummaryEvent<'_>)) {
        let index = self.index;
        let total = index.key_terms().len();
        let mut tried: Vec<&str> = Vec::new();
        let mut quoted = 0;
        while quoted < max && self.sentences.len() < MAX_SENTENCES && tried.len() < 2 * max {
            let kept: Vec<&str> = self.sentences.iter().map(|s| s.text.as_str()).collect();
            let missing = index.missing_terms(&kept);
            if (total - missing.len()) as f64 >= COVERAGE_GOAL * total as f64 {
                break;
            }
            let Some(quote) = index
                .quotable(&missing)
                .into_iter()
                .find(|q| !tried.contains(q))
            else {
                break;
            };
            tried.push(quote);
            let before = self.sentences.len();
            // (Every sentence shown so far ends with its white space.)
            let body = quote.trim_end_matches('.');
            self.emit(
                format!("The document says: \"{body}\"."),
                " ".into(),
                on_event,
            );
            quoted += usize::from(self.sentences.len() > before);
        }
    }

    /// Checks one sentence; shows it (cited) when it passes, else records why not.
    fn emit(&mut self, sentence: String, ws: String, on_event: &mut impl FnMut(SummaryEvent<'_>)) {
        let sentence = plain(&about_the_document(&strip_model_citations(&sentence)));
        let trimmed = sentence.trim();
        if trimmed.is_empty() {
            return;
        }
        let citation = self
            .grounder
            .cite(trimmed)
            .map(|c| self.index.widen(trimmed, &c, self.unit));
        let earlier: Vec<String> = self.sentences.iter().map(|s| s.text.clone()).collect();
        let check = self.index.check(trimmed, citation.as_ref(), &earlier);
        if check.fails() || is_heading(trimmed) {
            self.dropped.push(DroppedSentence {
                text: trimmed.to_string(),
                check,
            });
            return;
        }
        let shown = match &citation {
            Some(c) => attach(trimmed, c),
            None => trimmed.to_string(),
        };
        self.sentences.push(CitedSentence {
            text: trimmed.to_string(),
            citation,
        });
        let ws = if ws.contains('\n') { "\n" } else { " " };
        let piece = format!("{shown}{ws}");
        self.text.push_str(&piece);
        on_event(SummaryEvent::Text(&piece));
    }
}

/// Whether a "sentence" is a heading or label the model wrote (`**Summary:**`,
/// `Executive Summary`), not a statement.
fn is_heading(s: &str) -> bool {
    let t = s.trim_matches(|c: char| c == '*' || c == '#' || c.is_whitespace());
    t.ends_with(':') || (t.split_whitespace().count() <= 4 && !t.ends_with(['.', '!', '?']))
}

/// Prompt tokens a role can take with `out` tokens of output and a draft.
fn budget(r: &RoleRunner, out: usize) -> usize {
    (r.role.context as usize).saturating_sub(out + speculation_slack(r) + 8)
}

fn notes_tokens(r: &RoleRunner, notes: &[Note], unit: Unit) -> usize {
    r.model().tokenize(&render_notes(unit, notes)).len()
}

/// Cuts the end of a prompt's user text (the document or notes come last) until the
/// chat prompt made of it fits the role's context with `out_tokens` of output.
fn fit_user(runner: &RoleRunner, user: String, out_tokens: usize) -> Result<String> {
    let limit = budget(runner, out_tokens);
    let mut user = user;
    loop {
        let prompt = runner.model().chat_prompt(Some(prompts::SYSTEM), &user)?;
        let n = runner.model().tokenize(&prompt).len();
        if n <= limit || user.is_empty() {
            return Ok(user);
        }
        let excess = n - limit;
        let cut_bytes = (excess * prompt.len() / n.max(1)).max(16) + 8;
        let mut keep = user.len().saturating_sub(cut_bytes);
        while !user.is_char_boundary(keep) {
            keep -= 1;
        }
        user.truncate(keep);
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
        crate::Speculation::Draft {
            n_max, with_lookup, ..
        } => {
            let lookup = if *with_lookup {
                crate::LookupConfig::default().n_draft_max
            } else {
                0
            };
            (*n_max).max(lookup) + 1
        }
        crate::Speculation::None => 1,
    }
}

fn render_sections(unit: Unit, sections: &[Section]) -> String {
    let mut out = String::new();
    for s in sections {
        out.push_str(&format!(
            "[{}]\n{}\n\n",
            label(unit, s.first, s.last),
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
            label(unit, n.first, n.last),
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

/// A final sentence that opens by naming what the model read (`The excerpt describes`,
/// `This note covers`: the map phase's words) opens with `The document` instead: the
/// reader of a summary sees neither excerpts nor notes. (Plural openings keep their
/// verb's number, so they are left alone.)
fn about_the_document(sentence: &str) -> String {
    let lead = sentence.len() - sentence.trim_start().len();
    let body = &sentence[lead..];
    for opening in [
        "The excerpt",
        "This excerpt",
        "The note",
        "This note",
        "The passage",
        "This passage",
    ] {
        let rest = body.get(opening.len()..).unwrap_or("");
        if body.starts_with(opening) && rest.starts_with(' ') {
            return format!("{}The document{rest}", &sentence[..lead]);
        }
    }
    sentence.to_string()
}

/// A final sentence without the Markdown a model adds to plain prose: bold markers
/// (`**pypdf** is`) and a list item's leading mark (`- `, `* `, `• `). White space
/// before it is kept.
fn plain(sentence: &str) -> String {
    let lead = sentence.len() - sentence.trim_start().len();
    let body = sentence[lead..]
        .strip_prefix("- ")
        .or_else(|| sentence[lead..].strip_prefix("* "))
        .or_else(|| sentence[lead..].strip_prefix("• "))
        .unwrap_or(&sentence[lead..]);
    format!("{}{}", &sentence[..lead], body.replace("**", ""))
}

/// A model's note with its own citations removed and white space tidied.
fn clean(text: &str) -> String {
    squeeze(&strip_model_citations(text))
}

#[cfg(test)]
mod tests {
    use super::{about_the_document, group_by_budget, is_heading, plain};

    #[test]
    fn markdown_marks_leave_a_final_sentence() {
        assert_eq!(
            plain("\n- **Installation**: install it with pip."),
            "\nInstallation: install it with pip."
        );
        assert_eq!(plain("**pypdf** is a library."), "pypdf is a library.");
        assert_eq!(plain("* Item one."), "Item one.");
        // Other text is left as it is, `*` inside a sentence too.
        assert_eq!(plain("Run a * b - c."), "Run a * b - c.");
    }

    #[test]
    fn a_sentence_about_the_excerpt_speaks_of_the_document() {
        assert_eq!(
            about_the_document(" The excerpt provides an overview of profiles."),
            " The document provides an overview of profiles."
        );
        assert_eq!(
            about_the_document("This note covers three devices."),
            "The document covers three devices."
        );
        // Only as the opening words, only whole words, only singular.
        for s in [
            "The excerpts' author is named.",
            "It quotes the excerpt.",
            "The notebook.",
            "These notes cover three devices.",
        ] {
            assert_eq!(about_the_document(s), s);
        }
    }

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

    #[test]
    fn headings_are_not_sentences() {
        assert!(is_heading("**Executive Summary:**"));
        assert!(is_heading("## Executive Summary"));
        assert!(!is_heading("Ghostscript manages colour with ICC profiles."));
    }
}
