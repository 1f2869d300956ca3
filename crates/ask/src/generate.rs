//! The seams of an answer: [`Retriever`] (the search service) and [`Generator`] (a model
//! role), with their real implementations; `testing` has the doubles.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use plait_ingest::{Hit, IndexName, Query, SearchService};
use plait_summarize::{GenerateOptions, Generation, RoleSession, SourceWords, Speculation};

use crate::prompt::{says_not_found, LEAD};
use crate::{Prompt, Result};

/// Finds the chunks a question is answered from.
pub trait Retriever {
    /// Hits of `indexes` for `query`, best first (at most `query.limit()`).
    fn retrieve(&self, indexes: &[IndexName], query: &Query) -> plait_ingest::Result<Vec<Hit>>;

    /// Words of `question` that `indexes` never mention and that are not everyday words
    /// ([`SearchService::unknown_words`]); none by default.
    fn unknown_words(
        &self,
        _indexes: &[IndexName],
        _question: &str,
    ) -> plait_ingest::Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Names `question` capitalises mid-sentence that `indexes` never mention
    /// ([`SearchService::unknown_names`]); none by default.
    fn unknown_names(
        &self,
        _indexes: &[IndexName],
        _question: &str,
    ) -> plait_ingest::Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// The chunk that goes on where `hit` stops when `hit` is a piece of a function cut
    /// to fit the chunk budget ([`SearchService::continuation`]); none by default.
    fn continuation(&self, _hit: &Hit) -> plait_ingest::Result<Option<Hit>> {
        Ok(None)
    }
}

impl Retriever for SearchService {
    fn retrieve(&self, indexes: &[IndexName], query: &Query) -> plait_ingest::Result<Vec<Hit>> {
        self.search_all(indexes, query)
    }

    fn unknown_words(
        &self,
        indexes: &[IndexName],
        question: &str,
    ) -> plait_ingest::Result<Vec<String>> {
        SearchService::unknown_words(self, indexes, question)
    }

    fn unknown_names(
        &self,
        indexes: &[IndexName],
        question: &str,
    ) -> plait_ingest::Result<Vec<String>> {
        SearchService::unknown_names(self, indexes, question)
    }

    fn continuation(&self, hit: &Hit) -> plait_ingest::Result<Option<Hit>> {
        SearchService::continuation(self, hit)
    }
}

/// The limits of a generator, in its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Context size.
    pub context: usize,
    /// Tokens kept free beyond the answer (the largest speculative draft plus one).
    pub reserve: usize,
    /// Answer length when the request does not say.
    pub default_max_tokens: usize,
}

/// Writes answers.
pub trait Generator {
    fn limits(&self) -> Limits;
    /// The prompt as the model reads it (its chat template applied).
    fn render(&self, prompt: &Prompt) -> Result<String>;
    /// Length of a rendered prompt in tokens.
    fn count_tokens(&self, text: &str) -> usize;
    /// Generates a continuation of `prompt`, calling `on_piece` with each piece of text
    /// as it is chosen; stops at the next token once `cancel` is raised. The answer does
    /// not begin with the first token of any of `avoid_start` (a second attempt after
    /// the model declined).
    fn generate(
        &mut self,
        prompt: &str,
        max_tokens: usize,
        avoid_start: &[&str],
        cancel: &AtomicBool,
        on_piece: &mut dyn FnMut(&str),
    ) -> Result<Generation>;
}

/// A model role as the generator: one session kept across questions, so the fixed
/// instructions (and sources repeated first) are evaluated once. Decoding is grounded in
/// the prompt's words: an identifier-like word the question and sources lack is never
/// written (small models otherwise invent plausible names such as `to_slicing`).
#[derive(Debug)]
pub struct RoleGenerator<'r> {
    session: RoleSession<'r>,
    record_margins: bool,
}

impl<'r> RoleGenerator<'r> {
    pub fn new(session: RoleSession<'r>) -> Self {
        Self {
            session,
            record_margins: false,
        }
    }

    /// The same generator recording each chosen token's top-2 logit gap
    /// ([`Answer::picks`](crate::Answer::picks)): what a comparison of decoding
    /// strategies needs to tell a near tie from a changed output.
    pub fn recording_margins(mut self) -> Self {
        self.record_margins = true;
        self
    }
}

impl Generator for RoleGenerator<'_> {
    fn limits(&self) -> Limits {
        let role = &self.session.runner().role;
        let draft = match &role.speculation {
            Speculation::None => 0,
            Speculation::Lookup { n_draft_max, .. } => *n_draft_max,
            Speculation::Draft { n_max, .. } => (*n_max).max(16),
        };
        Limits {
            context: role.context as usize,
            reserve: draft + 1,
            default_max_tokens: role.max_tokens,
        }
    }

    fn render(&self, prompt: &Prompt) -> Result<String> {
        Ok(self
            .session
            .runner()
            .model()
            .chat_prompt(Some(&prompt.system), &prompt.user)?)
    }

    fn count_tokens(&self, text: &str) -> usize {
        self.session.runner().model().tokenize(text).len()
    }

    fn generate(
        &mut self,
        prompt: &str,
        max_tokens: usize,
        avoid_start: &[&str],
        cancel: &AtomicBool,
        on_piece: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        // The decoding loop reads a shared flag; mirror the caller's into it per token.
        let flag = Arc::new(AtomicBool::new(false));
        let model = self.session.runner().model();
        let first = |t: &str| model.tokenize_continuation(t).first().copied();
        let sorted = |mut v: Vec<i32>| {
            v.sort_unstable();
            v.dedup();
            v
        };
        // The model's decline may not open the answer, even after a citation marker,
        // quote or emphasis (`[2] NOT FOUND`); any other avoided start (the previous
        // answer's) only as the first token.
        let (decline, other): (Vec<&str>, Vec<&str>) =
            avoid_start.iter().partition(|t| says_not_found(t));
        let ban_first = sorted(other.iter().filter_map(|t| first(t)).collect());
        let ban_opening = sorted(
            decline
                .iter()
                .flat_map(|t| [t.to_string(), format!(" {t}")])
                .filter_map(|t| first(&t))
                .collect(),
        );
        let lead = if ban_opening.is_empty() {
            Vec::new()
        } else {
            sorted(
                LEAD.iter()
                    .flat_map(|t| model.tokenize_continuation(t))
                    .filter(|t| ban_opening.binary_search(t).is_err())
                    .collect(),
            )
        };
        let options = GenerateOptions {
            max_tokens: Some(max_tokens),
            grounding: Some(Arc::new(SourceWords::new([prompt]))),
            cancel: Some(flag.clone()),
            ban_first,
            ban_opening,
            lead,
            record_margins: self.record_margins,
        };
        Ok(self.session.generate(prompt, &options, |piece| {
            on_piece(piece);
            if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        })?)
    }
}
