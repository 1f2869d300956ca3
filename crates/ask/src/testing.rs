//! Test doubles: hits and a scripted generator, so packing, checking and declining are
//! tested without a model or an index.

use std::sync::atomic::{AtomicBool, Ordering};

use plait_ingest::{Hit, IndexName, Query};
use plait_summarize::Generation;

use crate::{Generator, Limits, Prompt, Result, Retriever, Source};

/// A code hit at lines 1-10 of `path` with `text`.
pub fn hit(path: &str, text: &str) -> Hit {
    let page = path.ends_with(".pdf");
    Hit {
        index: if page {
            IndexName::Docs
        } else {
            IndexName::Code
        },
        path: path.to_string(),
        start_line: (!page).then_some(1),
        end_line: (!page).then_some(10),
        page: page.then_some(1),
        symbol: None,
        container: None,
        kind: if page { "page" } else { "function" }.into(),
        language: None,
        score: 1.0,
        semantic_rank: Some(1),
        lexical_rank: None,
        text: text.to_string(),
        matched_lines: Vec::new(),
    }
}

/// Sources numbered from 1, one per `(path, text)` (each a [`hit`]).
pub fn sources(hits: &[(&str, &str)]) -> Vec<Source> {
    hits.iter()
        .enumerate()
        .map(|(i, (path, text))| Source {
            number: i + 1,
            hit: hit(path, text),
        })
        .collect()
}

/// Retrieval that returns the same hits for every query.
#[derive(Debug, Default)]
pub struct FixedHits(pub Vec<Hit>);

impl Retriever for FixedHits {
    fn retrieve(&self, _: &[IndexName], query: &Query) -> plait_ingest::Result<Vec<Hit>> {
        query.validate()?;
        Ok(self.0.iter().take(query.limit()).cloned().collect())
    }
}

/// [`FixedHits`] whose index never mentions the given words (lowercase) when a question
/// holds them: [`Retriever::unknown_words`]; nor the given `names` (as written):
/// [`Retriever::unknown_names`].
#[derive(Debug, Default)]
pub struct WithUnknownWords {
    pub hits: FixedHits,
    pub unknown: Vec<String>,
    pub names: Vec<String>,
}

impl Retriever for WithUnknownWords {
    fn retrieve(&self, indexes: &[IndexName], query: &Query) -> plait_ingest::Result<Vec<Hit>> {
        self.hits.retrieve(indexes, query)
    }

    fn unknown_words(&self, _: &[IndexName], question: &str) -> plait_ingest::Result<Vec<String>> {
        Ok(question
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| self.unknown.contains(&w.to_lowercase()))
            .map(str::to_string)
            .collect())
    }

    fn unknown_names(&self, _: &[IndexName], question: &str) -> plait_ingest::Result<Vec<String>> {
        Ok(question
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| self.names.iter().any(|n| n == w))
            .map(str::to_string)
            .collect())
    }
}

/// A generator that "writes" a fixed answer word by word and records its prompts;
/// tokens are counted as words. A call told to avoid the answer's first word (a second
/// attempt) writes `retry_answer` instead, when there is one.
#[derive(Debug, Default)]
pub struct ScriptedGenerator {
    pub answer: String,
    pub retry_answer: Option<String>,
    pub prompts: Vec<String>,
    /// What each call was told not to start with.
    pub avoided: Vec<Vec<String>>,
    pub context: usize,
}

impl Generator for ScriptedGenerator {
    fn limits(&self) -> Limits {
        Limits {
            context: if self.context == 0 {
                4096
            } else {
                self.context
            },
            reserve: 17,
            default_max_tokens: 256,
        }
    }

    fn render(&self, prompt: &Prompt) -> Result<String> {
        Ok(format!("<s>{}</s>\n{}\n", prompt.system, prompt.user))
    }

    fn count_tokens(&self, text: &str) -> usize {
        text.split_whitespace().count()
    }

    fn generate(
        &mut self,
        prompt: &str,
        max_tokens: usize,
        avoid_start: &[&str],
        cancel: &AtomicBool,
        on_piece: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        self.prompts.push(prompt.to_string());
        self.avoided
            .push(avoid_start.iter().map(|s| s.to_string()).collect());
        let first = |s: &str| s.split_whitespace().next().unwrap_or("").to_string();
        let banned = avoid_start.iter().any(|a| first(a) == first(&self.answer));
        let text = match (&self.retry_answer, banned) {
            (Some(retry), true) => retry.clone(),
            _ => self.answer.clone(),
        };
        let mut out = Generation::default();
        for (i, piece) in text.split_inclusive(' ').enumerate() {
            if i >= max_tokens || cancel.load(Ordering::Relaxed) {
                out.cancelled = cancel.load(Ordering::Relaxed);
                break;
            }
            on_piece(piece);
            out.text.push_str(piece);
            out.generated_tokens += 1;
        }
        out.prompt_tokens = self.count_tokens(prompt);
        Ok(out)
    }
}
