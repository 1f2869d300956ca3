//! Repeated sentences: a small model that has run out of things to say writes the same
//! sentence again ("`AsyncRetrying` is designed to work with asyncio [2]. ... [3]. ...
//! [4].") until its token budget ends. A sentence that says nearly what a shown one
//! already said (most content words of each in the other, with the summary checks'
//! `content_stems` and `DUPLICATE_OVERLAP`) and adds no number or name of its own is
//! not shown; after [`LOOP_REPEATS`] of them the answer stops, since greedy
//! decoding that has begun to loop does not leave the loop.

use std::collections::HashSet;

use plait_summarize::{content_stems, is_identifier_like, DUPLICATE_OVERLAP};

/// Repeated sentences after which an answer stops generating.
pub const LOOP_REPEATS: usize = 2;

/// The shown sentences of one answer, for finding repeats.
#[derive(Debug, Default)]
pub(crate) struct Repeats {
    shown: Vec<String>,
    /// Repeats found so far.
    pub(crate) count: usize,
}

impl Repeats {
    /// Whether `body` (a sentence without its citation markers) repeats a shown
    /// sentence; if not, it is remembered as shown.
    pub(crate) fn check(&mut self, body: &str) -> bool {
        let repeat = self.shown.iter().any(|s| repeats(s, body));
        if repeat {
            self.count += 1;
        } else {
            self.shown.push(body.to_string());
        }
        repeat
    }

    /// Whether the answer has begun to loop.
    pub(crate) fn looping(&self) -> bool {
        self.count >= LOOP_REPEATS
    }
}

/// Whether `later` says nearly what `earlier` said and adds no number or name: most
/// content words of each are in the other (the larger one's words counted, so a short
/// sentence on the topic of a long one is no repeat of it), and every word of `later`
/// with a digit or shaped like an identifier (`30`, `max_retries`) is in `earlier`.
fn repeats(earlier: &str, later: &str) -> bool {
    let (a, b) = (content_stems(earlier), content_stems(later));
    let larger = a.len().max(b.len());
    let alike = if a.len().min(b.len()) < 3 {
        earlier.trim().eq_ignore_ascii_case(later.trim())
    } else {
        a.intersection(&b).count() as f64 >= DUPLICATE_OVERLAP * larger as f64
    };
    let words = |t: &str| -> HashSet<String> {
        t.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| w.chars().any(|c| c.is_ascii_digit()) || is_identifier_like(w))
            .map(str::to_string)
            .collect()
    };
    alike && words(later).is_subset(&words(earlier))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_said_again_is_a_repeat_and_two_are_a_loop() {
        let mut r = Repeats::default();
        let s = "The AsyncRetrying class in tenacity is designed to work with asyncio, not trio.";
        assert!(!r.check(s));
        assert!(!r.check("It sleeps with asyncio.sleep between attempts."));
        assert!(r.check(s));
        assert!(!r.looping());
        assert!(r.check(
            "The AsyncRetrying class in tenacity is designed to work with asyncio and not trio."
        ));
        assert!(r.looping());
    }

    #[test]
    fn a_sentence_adding_a_number_or_name_is_no_repeat() {
        let mut r = Repeats::default();
        assert!(!r.check("The default timeout is set by the timeout argument of the pool."));
        assert!(!r.check("The default timeout argument of the pool is 30 seconds."));
        assert!(!r.check("The default timeout is set by the pool_timeout argument."));
        assert_eq!(r.count, 0);
    }

    #[test]
    fn a_short_sentence_on_the_topic_of_a_long_one_is_no_repeat() {
        let mut r = Repeats::default();
        assert!(!r.check("The OCaml type that camlidl maps a pointer in my IDL file to when it has no pointer kind attribute is opaque."));
        assert!(!r.check("Opaque pointers are pointers with attribute ptr in IDL files."));
        assert_eq!(r.count, 0);
    }

    #[test]
    fn different_sentences_are_no_repeats() {
        let mut r = Repeats::default();
        assert!(!r.check("Retries stop after five attempts by default."));
        assert!(!r.check("Each wait doubles the previous one, up to a maximum."));
        assert_eq!(r.count, 0);
    }
}
