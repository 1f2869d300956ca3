//! Speculation: drafters that propose tokens for the target to verify in one batch. A
//! draft model ([`draft`]) or n-gram matches in the prompt ([`lookup`]). The decoding loop
//! (`crate::decode`) uses this module; nothing here depends on it.

pub(crate) mod both;
mod cost;
pub(crate) mod draft;
pub(crate) mod guard;
pub(crate) mod lookup;

use llama_cpp_2::token::LlamaToken;

use crate::Result;

/// Proposes tokens to follow `history` (prompt and output so far, ending with the token
/// about to be verified).
pub(crate) trait Drafter {
    fn propose(&mut self, history: &[LlamaToken], max: usize) -> Result<Vec<LlamaToken>>;
    /// After verification: `accepted` of `drafted` proposed tokens were taken.
    fn feedback(&mut self, drafted: usize, accepted: usize);
    /// A target evaluation of `batch` tokens took `seconds`.
    fn observe_cost(&mut self, _batch: usize, _seconds: f64) {}
    /// What the drafter learned, to carry into the next generation.
    fn learned(&self) -> Option<lookup::Learned> {
        None
    }
}

/// The drafter of plain decoding: proposes nothing.
pub(crate) struct NoDraft;

impl Drafter for NoDraft {
    fn propose(&mut self, _: &[LlamaToken], _: usize) -> Result<Vec<LlamaToken>> {
        Ok(Vec::new())
    }

    fn feedback(&mut self, _: usize, _: usize) {}
}
