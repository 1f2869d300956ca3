//! Packing retrieved chunks into the role's context: best first, each whole, while the
//! prompt, the answer and the largest draft still fit, at most the configured source
//! budget (counted in the model's own tokens).

use plait_ingest::Hit;

use crate::{AskError, Prompt, Result, Source};

/// What limits the sources of one answer, in model tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The role's context size.
    pub context: usize,
    /// Tokens kept free beyond the answer (a speculative draft verified at the end).
    pub reserve: usize,
    /// Tokens the answer may take.
    pub max_tokens: usize,
    /// Most tokens all sources together may take (answers stay quick on a CPU).
    pub source_tokens: usize,
}

/// The sources packed from `hits` (best first) for `question`: numbered from 1 in
/// rank order, each whole, skipping one that does not fit and trying the next. `count`
/// gives a rendered prompt's length in tokens; [`AskError::NoRoom`] when not even the
/// question fits.
pub fn pack(
    question: &str,
    hits: &[Hit],
    budget: Budget,
    count: &mut dyn FnMut(&Prompt) -> Result<usize>,
) -> Result<Vec<Source>> {
    let empty = count(&Prompt::new(question, &[]))?;
    let room = budget
        .context
        .saturating_sub(budget.max_tokens + budget.reserve + empty + SLACK);
    if room == 0 {
        return Err(AskError::NoRoom {
            prompt_tokens: empty,
            max_tokens: budget.max_tokens,
            context: budget.context,
        });
    }
    let room = room.min(budget.source_tokens);
    let mut sources: Vec<Source> = Vec::new();
    let mut used = 0usize;
    for hit in hits {
        let candidate = Source {
            number: sources.len() + 1,
            hit: hit.clone(),
        };
        let one = count(&Prompt::new(question, std::slice::from_ref(&candidate)))?;
        let cost = one.saturating_sub(empty);
        if used + cost <= room {
            used += cost;
            sources.push(candidate);
        }
    }
    Ok(sources)
}

/// Tokens kept free for the joins between sources (token boundaries differ a little
/// from counting each alone).
const SLACK: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::hit;

    fn words(p: &Prompt) -> Result<usize> {
        Ok(p.system.split_whitespace().count() + p.user.split_whitespace().count())
    }

    #[test]
    fn packs_best_first_within_the_budget_skipping_what_does_not_fit() {
        let hits = vec![
            hit("a.py", "alpha ".repeat(30).as_str()),
            hit("b.py", "beta ".repeat(300).as_str()),
            hit("c.py", "gamma ".repeat(30).as_str()),
        ];
        let budget = Budget {
            context: 4096,
            reserve: 17,
            max_tokens: 256,
            source_tokens: 200,
        };
        let got = pack("q?", &hits, budget, &mut words).unwrap_or_default();
        let paths: Vec<&str> = got.iter().map(|s| s.hit.path.as_str()).collect();
        assert_eq!(paths, ["a.py", "c.py"]);
        assert_eq!(got[1].number, 2, "numbered in the order given to the model");
        let tiny = Budget {
            context: 100,
            ..budget
        };
        assert!(matches!(
            pack("q?", &hits, tiny, &mut words),
            Err(AskError::NoRoom { .. })
        ));
    }
}
