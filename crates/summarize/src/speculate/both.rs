//! Prompt lookup and a draft model together: a match in the prompt (free to find) is
//! drafted when lookup finds one worth verifying; otherwise the draft model proposes.
//! Each runs under its own payoff guard, so one that loses rests while the other goes on.

use llama_cpp_2::token::LlamaToken;

use super::draft::DraftModel;
use super::guard::Guarded;
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
    pub(crate) lookup: Guarded<PromptLookup>,
    pub(crate) model: Guarded<DraftModel<'d>>,
    last: Source,
}

impl<'d> Both<'d> {
    /// Both drafters, each guarded when its configuration is adaptive.
    pub(crate) fn new(
        (lookup, lookup_adaptive): (PromptLookup, bool),
        (model, model_adaptive): (DraftModel<'d>, bool),
    ) -> Self {
        Self {
            lookup: Guarded::new(lookup, lookup_adaptive),
            model: Guarded::new(model, model_adaptive),
            last: Source::Model,
        }
    }
}

impl Drafter for Both<'_> {
    fn propose(&mut self, history: &[LlamaToken], max: usize) -> Result<Vec<LlamaToken>> {
        if max == 0 {
            return self.model.propose(history, 0); // the draft model reads the prompt
        }
        let d = self.lookup.propose(history, max)?;
        if !d.is_empty() {
            self.last = Source::Lookup;
            return Ok(d);
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
