//! One question answered: retrieve, decline early when the sources do not speak to the
//! question, pack, generate (streamed), check each sentence's citations as it completes,
//! decline when the model says the sources do not answer or nothing it wrote is
//! supported.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use plait_ingest::{Hit, IndexName, Query};
use plait_summarize::{SentenceSplitter, SourceWords};
use serde::{Deserialize, Serialize};

use crate::check::{split_citations, CheckedSentence, CitationChecker};
use crate::decline::relevance;
use crate::locator::points_elsewhere;
use crate::pack::{pack, repeats, Budget};
use crate::prompt::{may_say_not_found, says_not_found, Prompt, NOT_FOUND};
use crate::repeat::Repeats;
use crate::subject::on_subject;
use crate::{AskError, Generator, Picks, Result, Retriever, Source};

/// Longest answer a request may ask for, in tokens.
pub const MAX_ANSWER_TOKENS: usize = 2048;

/// Citation markers (`[` and a digit) after which an answer stops generating: an answer
/// of at most four short sentences never needs so many, and a small model that starts
/// numbering (`are [4][5] [5][6] [5][7] ...`) would otherwise fill its budget.
pub const MAX_MARKERS: usize = 24;

/// What an answer says when it declines.
pub const DECLINED: &str = "The indexed sources do not answer this question.";

/// How questions are answered.
#[derive(Debug, Clone, PartialEq)]
pub struct AskConfig {
    /// Most model tokens all sources of one answer may take.
    pub source_tokens: usize,
    /// Share of the question's distinctive words the closest sources must hold for an
    /// answer to be attempted: below every answerable question of both ask sets
    /// (`tests/eval/ask.toml`, `ask-more.toml`: long questions in a user's words hold
    /// 0.44 and up), above the unanswerable ones the sources say nothing about (0.20 and
    /// down).
    pub min_relevance: f64,
    /// Sources shown when declining (and judged for relevance).
    pub closest: usize,
    /// Relevance from which a model that says NOT FOUND is asked once more, not allowed
    /// to start with the decline: small models decline answers the sources hold when
    /// the answer takes a step of reading (a `raise` two lines below the question's
    /// words). What the second attempt writes is checked like any answer, so a sentence
    /// its sources do not support is still not shown, and the answer stands only if a
    /// source it cites holds `min_relevance` of the question by itself. Measured on the
    /// five ask sets: from 0.5 (half the question's words; relevance comes in such
    /// fractions) rather than 0.6, 7 of the 12 answerable questions declined in
    /// [0.5, 0.6) were answered right, and 1 of the 4 unanswerable ones there was
    /// answered (MPFR's determinant function: three sentences on other MPFR functions,
    /// each citing a page that holds enough of the question). Not when the question
    /// names something the index never mentions
    /// ([`Retriever::unknown_words`]: "HTTP/3 over QUIC" asked of urllib3): then the
    /// decline stands, as a second attempt forced past it could only answer something
    /// else. From the same relevance, an answer none of whose sentences is supported
    /// (a restatement of the question citing the wrong sources) is also asked once
    /// more, not allowed to start as it did.
    pub retry_relevance: f64,
}

impl Default for AskConfig {
    fn default() -> Self {
        Self {
            source_tokens: 1024,
            min_relevance: 0.4,
            closest: 3,
            retry_relevance: 0.5,
        }
    }
}

/// One question, the same for every door (CLI, HTTP, MCP, eval).
#[derive(Debug, Clone, PartialEq)]
pub struct AskRequest {
    /// The question and the search settings of its retrieval (`Query::text` is the
    /// question).
    pub query: Query,
    /// The indexes searched.
    pub indexes: Vec<IndexName>,
    /// Answer length in tokens (the role's `max_tokens` when `None`).
    pub max_tokens: Option<usize>,
}

impl AskRequest {
    /// A question over both indexes with default search settings.
    pub fn new(question: impl Into<String>) -> Self {
        Self {
            query: Query::new(question),
            indexes: IndexName::ALL.to_vec(),
            max_tokens: None,
        }
    }

    /// The one rule: the query's ([`Query::validate`]), at least one index, and an
    /// answer length of 1 to [`MAX_ANSWER_TOKENS`].
    pub fn validate(&self) -> Result<()> {
        self.query.validate()?;
        let bad = |reason: String| Err(AskError::BadRequest { reason });
        if self.indexes.is_empty() {
            return bad("no index to search (code, docs or both)".into());
        }
        if let Some(n) = self.max_tokens {
            if !(1..=MAX_ANSWER_TOKENS).contains(&n) {
                return bad(format!(
                    "`max_tokens` {n} is out of range: 1 to {MAX_ANSWER_TOKENS}"
                ));
            }
        }
        Ok(())
    }
}

/// Where the time of one answer went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub retrieve_ms: f64,
    /// From the request to the first answer token (retrieval and prompt included).
    pub ttft_ms: Option<f64>,
    /// Evaluating the prompt (what the cache did not already hold).
    pub prompt_ms: f64,
    pub decode_ms: f64,
    pub total_ms: f64,
    pub prompt_tokens: usize,
    /// Prompt tokens whose keys and values were reused from the previous question.
    pub reused_prompt_tokens: usize,
    pub generated_tokens: usize,
    pub tokens_per_second: f64,
    /// `plain`, `prompt-lookup`, `draft-model` or `draft-model+lookup`.
    pub strategy: String,
    pub drafted: usize,
    pub accepted: usize,
    /// Generations made: 2 when the model declined, or wrote nothing supported, although
    /// the sources looked relevant, and was asked once more
    /// ([`AskConfig::retry_relevance`]).
    #[serde(default)]
    pub attempts: usize,
}

impl Timings {
    /// Records what a generation measured.
    fn record(&mut self, generation: &plait_summarize::Generation) {
        self.prompt_ms = generation.prompt_seconds * 1e3;
        self.decode_ms = generation.decode_seconds * 1e3;
        self.prompt_tokens = generation.prompt_tokens;
        self.reused_prompt_tokens = generation.reused_prompt_tokens;
        self.generated_tokens = generation.generated_tokens;
        self.tokens_per_second = generation.tokens_per_second;
        self.strategy = generation.strategy.clone();
        self.drafted = generation.drafted;
        self.accepted = generation.accepted;
    }
}

/// The answer to one question: the serialised shape of `plait ask --json`, the last
/// event of `POST /ask` and the MCP `ask` tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub question: String,
    /// The checked answer (each shown sentence supported by the sources it cites), or
    /// [`DECLINED`].
    pub answer: String,
    /// Whether the sources do not answer the question.
    pub declined: bool,
    /// Why it declined.
    pub reason: Option<String>,
    /// The cited sources (or the closest ones when declined), in the shape of search
    /// hits plus their `number`.
    pub sources: Vec<Source>,
    /// The sentences shown, with their checked citations.
    pub sentences: Vec<CheckedSentence>,
    /// Sentences left out: no source shares their words, or they quote what no source
    /// writes, restate the question or cite only sources off its subject; and a first
    /// attempt's sentences when the answer was asked once more.
    pub dropped: Vec<CheckedSentence>,
    /// Share of the question's distinctive words the closest sources hold.
    pub relevance: f64,
    /// Whether the client went away before the end.
    pub cancelled: bool,
    /// Identifier-like words of the answer that neither the question nor any source
    /// given to the model holds (decoding is grounded, so this should stay empty).
    #[serde(default)]
    pub invented: Vec<String>,
    /// Words of the question the searched indexes never mention: names it capitalises
    /// mid-sentence (looked up before the model runs: with one, the question is declined),
    /// or words that are not everyday words (looked up only when the model declines over
    /// relevant sources: with one, its decline stands instead of being asked once more).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_words: Vec<String>,
    pub timings: Timings,
    /// The tokens each generation chose, in order of the attempts (not serialised).
    #[serde(skip)]
    pub picks: Vec<Picks>,
}

/// What an answer reports while it is made.
#[derive(Debug)]
pub enum AskEvent<'a> {
    /// The numbered sources given to the model.
    Sources(&'a [Source]),
    /// A piece of the model's raw text, as soon as it is chosen.
    Token(&'a str),
    /// A sentence that passed the checks, with its citations.
    Sentence(&'a CheckedSentence),
}

/// Answers `request`: see the module documentation. `cancel`, when raised, stops the
/// generation at the next token.
pub fn ask(
    retriever: &dyn Retriever,
    generator: &mut dyn Generator,
    config: &AskConfig,
    request: &AskRequest,
    cancel: Option<&AtomicBool>,
    on_event: &mut dyn FnMut(AskEvent<'_>),
) -> Result<Answer> {
    request.validate()?;
    let start = Instant::now();
    let question = request.query.text.trim().to_string();
    // A page of an index or a table of contents is neither a source nor evidence that
    // the sources speak to the question ([`points_elsewhere`]).
    let hits: Vec<Hit> = retriever
        .retrieve(&request.indexes, &request.query)?
        .into_iter()
        .filter(|h| h.page.is_none() || !points_elsewhere(&h.text))
        .collect();
    let mut answer = Answer {
        question: question.clone(),
        ..Answer::default()
    };
    answer.timings.retrieve_ms = ms(start);
    let closest = closest_sources(&hits, config.closest);
    answer.relevance = relevance(&question, &closest);
    if let Some(why) = before_the_model(retriever, config, request, &hits, &mut answer)? {
        return Ok(decline(answer, closest, &why, start));
    }
    let max_tokens = request
        .max_tokens
        .unwrap_or(generator.limits().default_max_tokens);
    let sources = sources_for(retriever, generator, config, &question, hits, max_tokens)?;
    if sources.is_empty() {
        return Ok(decline(
            answer,
            closest,
            "no source fits the context",
            start,
        ));
    }
    on_event(AskEvent::Sources(&sources));
    let prompt = generator.render(&Prompt::new(&question, &sources))?;
    // Looked up before the model runs: a sentence writing one is not shown, and a
    // decline over relevant sources stands.
    let unknown = retriever.unknown_words(&request.indexes, &question)?;
    let checker = CitationChecker::new(&question, &sources).with_unknown_words(&unknown);
    let turn = Turn {
        prompt: &prompt,
        checker: &checker,
        max_tokens,
        cancel,
        start,
    };
    let mut out = turn.run(generator, &[], &mut answer, on_event)?;
    answer.timings.attempts = 1;
    // Over relevant sources, a decline or an answer with nothing supported is asked once
    // more from the same cached prompt, not allowed to start as it did.
    let relevant = answer.relevance >= config.retry_relevance && !out.generation.cancelled;
    let said = out.generation.text.trim_start().to_string();
    let mut avoid: Vec<&str> = Vec::new();
    if relevant && out.not_found {
        answer.unknown_words = unknown.clone();
        if answer.unknown_words.is_empty() {
            avoid = vec![NOT_FOUND, "Not found", "\"NOT FOUND", &said];
        }
    } else if relevant && unsupported(&answer.sentences, &out.dropped) && !said.is_empty() {
        avoid = vec![&said];
    }
    let mut baseless = unsupported(&answer.sentences, &out.dropped);
    let mut off_question = false;
    if !avoid.is_empty() {
        // The first attempt's sentences are not the answer (shown ones included).
        let mut first = out;
        first.dropped.append(&mut answer.sentences);
        out = turn.run(generator, &avoid, &mut answer, on_event)?;
        baseless = unsupported(&answer.sentences, &out.dropped);
        off_question = !cites_a_relevant_source(&question, &answer.sentences, &sources, config);
        out.generation.prompt_seconds += first.generation.prompt_seconds;
        out.generation.decode_seconds += first.generation.decode_seconds;
        out.dropped.splice(0..0, first.dropped);
        answer.timings.attempts = 2;
    }
    let not_found = out.not_found;
    answer.dropped = out.dropped;
    answer.cancelled = cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    answer.timings.record(&out.generation);
    let outcome = Outcome {
        not_found,
        baseless,
        off_question,
    };
    if let Some(why) = after_the_model(&answer, outcome) {
        let shown: Vec<Source> = sources.iter().take(config.closest).cloned().collect();
        return Ok(decline(answer, shown, &why, start));
    }
    Ok(cited_answer(answer, sources, start))
}

/// The sources of an answer: `hits` on the question's subject first, packed into the
/// generator's context beside an answer of `max_tokens`.
fn sources_for(
    retriever: &dyn Retriever,
    generator: &mut dyn Generator,
    config: &AskConfig,
    question: &str,
    hits: Vec<Hit>,
    max_tokens: usize,
) -> Result<Vec<Source>> {
    let limits = generator.limits();
    let budget = Budget {
        context: limits.context,
        reserve: limits.reserve,
        max_tokens,
        source_tokens: config.source_tokens,
    };
    let mut count = |p: &Prompt| Ok(generator.count_tokens(&generator.render(p)?));
    let mut continuation = |h: &Hit| Ok(retriever.continuation(h)?);
    let candidates = on_subject(question, hits);
    pack(question, &candidates, budget, &mut count, &mut continuation)
}

/// Whether a shown sentence cites a source that by itself holds at least
/// [`AskConfig::min_relevance`] of the question's distinctive words. Asked of an answer
/// forced past the model's own decline: over sources that together look relevant, the
/// model then may write what one source says about something else (asked which exit
/// status flex returns on a syntax error, "a non-zero exit status" citing a page that
/// holds 3 of the question's 9 words and never mentions an exit status).
fn cites_a_relevant_source(
    question: &str,
    shown: &[CheckedSentence],
    sources: &[Source],
    config: &AskConfig,
) -> bool {
    shown
        .iter()
        .flat_map(|s| s.citations.iter())
        .filter_map(|n| sources.iter().find(|s| s.number == *n))
        .any(|s| relevance(question, std::slice::from_ref(s)) >= config.min_relevance)
}

/// The closest `n` hits as sources, distinct texts only (a copy of a file elsewhere is
/// shown once): judged for relevance, and shown when declining.
fn closest_sources(hits: &[Hit], n: usize) -> Vec<Source> {
    let mut closest: Vec<Source> = Vec::new();
    for h in hits {
        if closest.len() == n {
            break;
        }
        if !closest.iter().any(|s| repeats(&s.hit, h)) {
            closest.push(Source {
                number: closest.len() + 1,
                hit: h.clone(),
            });
        }
    }
    closest
}

/// Why the question is declined before the model runs, if it is: nothing matched, the
/// closest sources hold too few of its distinctive words, or it names something the
/// index never mentions (then recorded in `answer.unknown_words`).
fn before_the_model(
    retriever: &dyn Retriever,
    config: &AskConfig,
    request: &AskRequest,
    hits: &[Hit],
    answer: &mut Answer,
) -> Result<Option<String>> {
    if hits.is_empty() {
        return Ok(Some("nothing in the index matches".to_string()));
    }
    if answer.relevance < config.min_relevance {
        return Ok(Some(format!(
            "the closest sources hold {:.0}% of the question's distinctive words (at least {:.0}% needed)",
            100.0 * answer.relevance,
            100.0 * config.min_relevance
        )));
    }
    let names = retriever.unknown_names(&request.indexes, &answer.question)?;
    if names.is_empty() {
        return Ok(None);
    }
    // Whatever the model would write, no source could support it.
    let why = format!("the index never mentions {}", names.join(", "));
    answer.unknown_words = names;
    Ok(Some(why))
}

/// What the checks found in the model's last attempt.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    /// The model said NOT FOUND.
    not_found: bool,
    /// Nothing it wrote stands on the sources (see [`unsupported`]).
    baseless: bool,
    /// An answer forced past a decline cites no source holding enough of the question
    /// (see [`cites_a_relevant_source`]).
    off_question: bool,
}

/// Why the answer is declined after the model ran, if it is ([`Outcome`]).
fn after_the_model(answer: &Answer, outcome: Outcome) -> Option<String> {
    if outcome.not_found {
        return Some(if answer.unknown_words.is_empty() {
            "the model found no answer in the sources".to_string()
        } else {
            format!(
                "the model found no answer in the sources, and the index never mentions {}",
                answer.unknown_words.join(", ")
            )
        });
    }
    if outcome.baseless {
        return Some(
            if answer.sentences.iter().any(|s| !s.citations.is_empty()) {
                "most sentences of the answer quote names no source writes"
            } else {
                "no sentence of the answer is supported by the sources it could cite"
            }
            .to_string(),
        );
    }
    outcome.off_question.then(|| {
        "the answer asked for past the model's decline cites no source that holds enough of \
         the question"
            .to_string()
    })
}

/// The finished answer: its shown sentences as text, the sources they cite, and any
/// identifier-like word that neither the question nor a source given to the model holds.
fn cited_answer(mut answer: Answer, sources: Vec<Source>, start: Instant) -> Answer {
    let mut cited: Vec<usize> = answer
        .sentences
        .iter()
        .flat_map(|s| s.citations.iter().copied())
        .collect();
    cited.sort_unstable();
    cited.dedup();
    let given: Vec<String> = sources.iter().map(Source::checked_text).collect();
    let words = SourceWords::new(
        std::iter::once(answer.question.as_str()).chain(given.iter().map(String::as_str)),
    );
    answer.sources = sources
        .into_iter()
        .filter(|s| cited.contains(&s.number))
        .collect();
    answer.answer = answer
        .sentences
        .iter()
        .map(|s| format!("{}{}", s.text, s.space))
        .collect::<String>()
        .trim()
        .to_string();
    answer.invented = words.invented(&answer.answer);
    answer.timings.total_ms = ms(start);
    answer
}

/// Whether an answer has nothing to stand on: no sentence supported by a cited source,
/// or as many sentences quoting what no source writes (an invented flag or name the rest
/// of the answer builds on) as sentences supported.
fn unsupported(shown: &[CheckedSentence], dropped: &[CheckedSentence]) -> bool {
    let cited = shown.iter().filter(|s| !s.citations.is_empty()).count();
    let invented = dropped.iter().filter(|s| s.misquoted).count();
    cited == 0 || invented >= cited
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// A declined answer showing the `closest` sources.
fn decline(mut answer: Answer, closest: Vec<Source>, why: &str, start: Instant) -> Answer {
    answer.declined = true;
    answer.reason = Some(why.to_string());
    answer.answer = DECLINED.to_string();
    answer.sources = closest;
    answer.timings.total_ms = ms(start);
    answer
}

/// One generation of an answer over a rendered prompt.
struct Turn<'a> {
    prompt: &'a str,
    checker: &'a CitationChecker,
    max_tokens: usize,
    cancel: Option<&'a AtomicBool>,
    start: Instant,
}

/// What one [`Turn`] produced (its shown sentences went into the answer).
struct TurnOutput {
    generation: plait_summarize::Generation,
    not_found: bool,
    dropped: Vec<CheckedSentence>,
}

impl Turn<'_> {
    /// Generates, streaming pieces and checked sentences to `on_event` and into
    /// `answer`. Pieces that may still turn out to be the model's NOT FOUND are held
    /// back until they cannot, so a decline (and an answer retried after one) never
    /// shows the decline's words.
    fn run(
        &self,
        generator: &mut dyn Generator,
        avoid_start: &[&str],
        answer: &mut Answer,
        on_event: &mut dyn FnMut(AskEvent<'_>),
    ) -> Result<TurnOutput> {
        let mut state = Stream::new(self.checker);
        let stop = AtomicBool::new(false);
        let (start, cancel) = (self.start, self.cancel);
        let mut held = Some(String::new());
        let generation = generator.generate(
            self.prompt,
            self.max_tokens,
            avoid_start,
            &stop,
            &mut |piece| {
                let shown = match held.as_mut() {
                    Some(h) => {
                        h.push_str(piece);
                        (!may_say_not_found(h)).then(|| held.take()).flatten()
                    }
                    None => Some(piece.to_string()),
                };
                if let Some(text) = shown {
                    if answer.timings.ttft_ms.is_none() {
                        answer.timings.ttft_ms = Some(ms(start));
                    }
                    on_event(AskEvent::Token(&text));
                }
                for s in state.push(piece) {
                    on_event(AskEvent::Sentence(&s));
                    answer.sentences.push(s);
                }
                if state.not_found
                    || state.repeats.looping()
                    || state.markers > MAX_MARKERS
                    || cancel.is_some_and(|c| c.load(Ordering::Relaxed))
                {
                    stop.store(true, Ordering::Relaxed);
                }
            },
        )?;
        answer.picks.push(Picks {
            tokens: generation.tokens.clone(),
            margins: generation.margins.clone(),
        });
        let rest = state.finish();
        if let Some(h) = held.filter(|h| !state.not_found && !h.is_empty()) {
            if answer.timings.ttft_ms.is_none() {
                answer.timings.ttft_ms = Some(ms(start));
            }
            on_event(AskEvent::Token(&h));
        }
        for s in rest {
            on_event(AskEvent::Sentence(&s));
            answer.sentences.push(s);
        }
        Ok(TurnOutput {
            generation,
            not_found: state.not_found,
            dropped: std::mem::take(&mut state.dropped),
        })
    }
}

/// The streamed text cut into sentences and checked as each completes.
struct Stream<'c> {
    checker: &'c CitationChecker,
    splitter: SentenceSplitter,
    in_code: bool,
    first: bool,
    not_found: bool,
    repeats: Repeats,
    dropped: Vec<CheckedSentence>,
    /// Citation markers opened so far, and whether the text so far ends in `[`.
    markers: usize,
    open: bool,
}

impl<'c> Stream<'c> {
    fn new(checker: &'c CitationChecker) -> Self {
        Self {
            checker,
            splitter: SentenceSplitter::default(),
            in_code: false,
            first: true,
            not_found: false,
            repeats: Repeats::default(),
            dropped: Vec::new(),
            markers: 0,
            open: false,
        }
    }

    /// The sentences `piece` completed that pass the checks.
    fn push(&mut self, piece: &str) -> Vec<CheckedSentence> {
        for c in piece.chars() {
            self.markers += usize::from(self.open && c.is_ascii_digit());
            self.open = c == '[';
        }
        let done = self.splitter.push(piece);
        self.take(done)
    }

    fn finish(&mut self) -> Vec<CheckedSentence> {
        let rest = self.splitter.finish().into_iter().collect();
        self.take(rest)
    }

    fn take(&mut self, sentences: Vec<(String, String)>) -> Vec<CheckedSentence> {
        let mut out = Vec::new();
        for (text, space) in sentences {
            if self.not_found || self.repeats.looping() || text.trim().is_empty() {
                continue;
            }
            if self.first && says_not_found(&text) {
                self.not_found = true;
                continue;
            }
            self.first = false;
            let fence = text.trim_start().starts_with("```");
            let code = self.in_code || fence;
            let mut checked = self.checker.check(&text, code, &space);
            if fence {
                self.in_code = !self.in_code;
            }
            if !code && checked.supported {
                let body = split_citations(&text).0;
                if self.repeats.check(&body) {
                    checked.repeated = true;
                    checked.supported = false;
                    checked.text = body;
                    checked.citations.clear();
                }
            }
            if checked.supported {
                out.push(checked);
            } else {
                self.dropped.push(checked);
            }
        }
        out
    }
}
