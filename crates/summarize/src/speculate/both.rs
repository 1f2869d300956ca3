//! Prompt lookup and a draft model together: a match in the prompt (free to find) is
//! drafted when lookup finds one worth verifying; otherwise the draft model proposes.

use llama_cpp_2::token::LlamaToken;

use super::draft::DraftModel;
use super::lookup::PromptLookup;
use super::Drafter;
use crate::Result;

/// Which drafter proposed the draft being verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Lookup,
    Model,
}

/// The combined drafter.
pub(crate) struct Both<'d> {
    pub(crate) lookup: PromptLookup,
    pub(crate) model: DraftModel<'d>,
    last: Source,
}

impl<'d> Both<'d> {
    pub(crate) fn new(lookup: PromptLookup, model: DraftModel<'d>) -> Self {
        Self {
            lookup,
            model,
            last: Source::Model,
        }
    }
}

impl Drafter for Both<'_> {
    fn propose(&mut self, history: &[LlamaToken], max: usize) -> Result<Vec<LlamaToken>> {
        if max > 0 {
            let d = self.lookup.propose(history, max)?;
            if !d.is_empty() {
                self.last = Source::Lookup;
                return Ok(d);
            }
        }
        self.last = Source::Model;
        self.model.propose(history, max)
    }

    fn feedback(&mut self, drafted: usize, accepted: usize) {
        match self.last {
            Source::Lookup => self.lookup.feedback(drafted, accepted),
            Source::Model => self.model.feedback(drafted, accepted),
        }
    }

    fn observe_cost(&mut self, batch: usize, seconds: f64) {
        self.lookup.observe_cost(batch, seconds);
        self.model.observe_cost(batch, seconds);
    }
}
