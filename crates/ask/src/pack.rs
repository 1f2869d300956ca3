//! Packing retrieved chunks into the role's context: best first, each whole, while the
//! prompt, the answer and the largest draft still fit, at most the configured source
//! budget (counted in the model's own tokens). A hit that is one piece of a function cut
//! to fit the chunk budget goes with the piece after it when both fit: an answer about
//! the function may need its end (a message written after the check the hit matched).

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
/// rank order, each whole, skipping one that does not fit and trying the next, and one
/// whose lines or text (a copy of the file elsewhere) an earlier source already holds.
/// `count` gives a rendered prompt's length in tokens; `continuation` the piece that
/// goes on where a hit stops, if any: the two are packed as one source when they fit
/// and the piece is not already a source.
/// [`AskError::NoRoom`] when not even the question fits.
pub fn pack(
    question: &str,
    hits: &[Hit],
    budget: Budget,
    count: &mut dyn FnMut(&Prompt) -> Result<usize>,
    continuation: &mut dyn FnMut(&Hit) -> Result<Option<Hit>>,
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
        if sources
            .iter()
            .any(|s| holds(&s.hit, hit) || repeats(&s.hit, hit))
        {
            continue;
        }
        let joined = continuation(hit)?
            .filter(|next| !sources.iter().any(|s| overlaps(&s.hit, next)))
            .map(|next| hit.joined(&next));
        for candidate in joined.into_iter().chain(std::iter::once(hit.clone())) {
            let candidate = Source {
                number: sources.len() + 1,
                hit: candidate,
            };
            let one = count(&Prompt::new(question, std::slice::from_ref(&candidate)))?;
            let cost = one.saturating_sub(empty);
            if used + cost <= room {
                used += cost;
                sources.push(candidate);
                break;
            }
        }
    }
    Ok(sources)
}

/// The lines of a hit of a text file: `(path, start, end)`.
fn lines(hit: &Hit) -> Option<(&str, usize, usize)> {
    Some((hit.path.as_str(), hit.start_line?, hit.end_line?))
}

/// Whether `packed` already holds all of `hit`'s lines.
fn holds(packed: &Hit, hit: &Hit) -> bool {
    match (lines(packed), lines(hit)) {
        (Some((p, a, b)), Some((q, c, d))) => p == q && a <= c && d <= b,
        _ => false,
    }
}

/// Whether `packed`'s text already holds all of `hit`'s: a copy of the same file
/// elsewhere (a vendored or sample copy) would only spend the budget on the same words.
pub(crate) fn repeats(packed: &Hit, hit: &Hit) -> bool {
    let text = hit.text.trim();
    !text.is_empty() && packed.text.contains(text)
}

/// Whether `packed` and `hit` share a line.
fn overlaps(packed: &Hit, hit: &Hit) -> bool {
    match (lines(packed), lines(hit)) {
        (Some((p, a, b)), Some((q, c, d))) => p == q && c <= b && a <= d,
        _ => false,
    }
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

    /// Room for 200 words of sources.
    fn budget() -> Budget {
        Budget {
            context: 4096,
            reserve: 17,
            max_tokens: 256,
            source_tokens: 200,
        }
    }

    fn none(_: &Hit) -> Result<Option<Hit>> {
        Ok(None)
    }

    /// A piece of `f` in `a.py` at `lines`, its text one word per line.
    fn piece(lines: (usize, usize), word: &str) -> Hit {
        let text: Vec<&str> = (lines.0..=lines.1).map(|_| word).collect();
        Hit {
            start_line: Some(lines.0),
            end_line: Some(lines.1),
            symbol: Some("f".into()),
            ..hit("a.py", &text.join("\n"))
        }
    }

    #[test]
    fn a_cut_function_goes_with_its_next_piece_when_both_fit() {
        let budget = budget();
        let first = piece((1, 40), "head");
        let second = piece((41, 80), "tail");
        let mut next = |h: &Hit| Ok((h.start_line == Some(1)).then(|| second.clone()));
        let hits = vec![first.clone(), second.clone(), hit("b.py", "other")];
        let got = pack("q?", &hits, budget, &mut words, &mut next).unwrap_or_default();
        let places: Vec<String> = got.iter().map(Source::place).collect();
        assert_eq!(
            places,
            ["a.py:1-80", "b.py:1-10"],
            "the second piece is not repeated"
        );
        assert!(got[0].hit.text.starts_with("head\n") && got[0].hit.text.ends_with("\ntail"));
        assert_eq!(got[0].hit.text.lines().count(), 80);

        // The two together over the budget: the hit alone, then the piece on its own.
        let small = Budget {
            source_tokens: 60,
            ..budget
        };
        let got = pack("q?", &hits, small, &mut words, &mut next).unwrap_or_default();
        let places: Vec<String> = got.iter().map(Source::place).collect();
        assert_eq!(places, ["a.py:1-40", "b.py:1-10"]);

        // The piece already a source (ranked first): the hit is packed alone.
        let hits = vec![second.clone(), first.clone()];
        let got = pack("q?", &hits, budget, &mut words, &mut next).unwrap_or_default();
        let places: Vec<String> = got.iter().map(Source::place).collect();
        assert_eq!(places, ["a.py:41-80", "a.py:1-40"]);
    }

    #[test]
    fn a_copy_of_a_packed_source_elsewhere_is_skipped() {
        let budget = budget();
        let first = piece((1, 40), "head");
        let second = piece((41, 80), "tail");
        let copy = |h: &Hit| Hit {
            path: "vendor/a.py".into(),
            ..h.clone()
        };
        let mut next = |h: &Hit| Ok((h.start_line == Some(1)).then(|| second.clone()));
        // The copy of the first piece is held by the joined source; the copy of the
        // second piece too; a different text at the same place is not.
        let other = Hit {
            text: "head\nother".into(),
            ..copy(&first)
        };
        let hits = vec![first.clone(), copy(&first), copy(&second), other];
        let got = pack("q?", &hits, budget, &mut words, &mut next).unwrap_or_default();
        let places: Vec<String> = got.iter().map(Source::place).collect();
        assert_eq!(places, ["a.py:1-80", "vendor/a.py:1-40"]);
        assert_eq!(got[1].hit.text, "head\nother");
    }

    #[test]
    fn packs_best_first_within_the_budget_skipping_what_does_not_fit() {
        let hits = vec![
            hit("a.py", "alpha ".repeat(30).as_str()),
            hit("b.py", "beta ".repeat(300).as_str()),
            hit("c.py", "gamma ".repeat(30).as_str()),
        ];
        let budget = budget();
        let got = pack("q?", &hits, budget, &mut words, &mut none).unwrap_or_default();
        let paths: Vec<&str> = got.iter().map(|s| s.hit.path.as_str()).collect();
        assert_eq!(paths, ["a.py", "c.py"]);
        assert_eq!(got[1].number, 2, "numbered in the order given to the model");
        let tiny = Budget {
            context: 100,
            ..budget
        };
        assert!(matches!(
            pack("q?", &hits, tiny, &mut words, &mut none),
            Err(AskError::NoRoom { .. })
        ));
    }
}
