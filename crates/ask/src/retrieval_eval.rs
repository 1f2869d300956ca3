//! Scoring retrieval alone against an ask set's labelled places: where the first
//! stretch at a place a right answer must cite comes in a ranking of chunks (or of the
//! BM25 baseline's functions and pages). A question in a user's words, judged at the
//! place (lines or page) rather than the file: what `plait ask` packs as its sources.

use serde::Serialize;

use crate::eval::AskQuestion;
use crate::place::Stretch;

/// Rankings are judged on their first this-many entries.
pub const PLACE_CUTOFF: usize = 10;

/// The rank (from 1) of the first entry of `ranking` at one of `q`'s labelled places,
/// within [`PLACE_CUTOFF`].
pub fn first_at_place<'a>(
    ranking: impl IntoIterator<Item = Stretch<'a>>,
    q: &AskQuestion,
) -> Option<usize> {
    ranking
        .into_iter()
        .take(PLACE_CUTOFF)
        .position(|r| q.cite.iter().any(|c| r.is_at(c)))
        .map(|i| i + 1)
}

/// Retrieval figures over a set's answerable questions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PlaceScores {
    pub questions: usize,
    /// Mean of 1 / rank of the first entry at a labelled place (0 past the cutoff).
    pub mrr_at_10: f64,
    /// Share of questions with a labelled place first.
    pub at_1: f64,
    /// Share with one in the first five (about what an answer's sources hold).
    pub at_5: f64,
    /// Share with one in the first ten.
    pub at_10: f64,
}

/// The figures of the ranks found (`None`: no labelled place within the cutoff).
pub fn place_scores(ranks: &[Option<usize>]) -> PlaceScores {
    let n = ranks.len();
    let share = |k: usize| {
        ranks.iter().filter(|r| r.is_some_and(|r| r <= k)).count() as f64 / n.max(1) as f64
    };
    PlaceScores {
        questions: n,
        mrr_at_10: ranks.iter().flatten().map(|&r| 1.0 / r as f64).sum::<f64>() / n.max(1) as f64,
        at_1: share(1),
        at_5: share(5),
        at_10: share(PLACE_CUTOFF),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(cite: &[&str]) -> AskQuestion {
        AskQuestion {
            text: "q".into(),
            index: None,
            answer: vec!["a".into()],
            cite: cite.iter().map(ToString::to_string).collect(),
            unanswerable: false,
        }
    }

    fn code(path: &str, a: usize, b: usize) -> Stretch<'_> {
        Stretch {
            path,
            lines: Some((a, b)),
            page: None,
        }
    }

    #[test]
    fn the_first_entry_at_a_labelled_place_counts_within_the_cutoff() {
        let q = question(&["src/parse.rs:150-180", "manual.pdf p.4"]);
        let ranking = [
            code("/c/src/lib.rs", 150, 180),
            code("/c/src/parse.rs", 10, 40),
            code("/c/src/parse.rs", 170, 200),
        ];
        assert_eq!(first_at_place(ranking, &q), Some(3));
        let page = Stretch {
            path: "/c/manual.pdf",
            lines: None,
            page: Some(4),
        };
        assert_eq!(first_at_place([page], &q), Some(1));
        let far: Vec<Stretch<'_>> = std::iter::repeat_n(code("/c/src/lib.rs", 1, 9), PLACE_CUTOFF)
            .chain([code("/c/src/parse.rs", 150, 151)])
            .collect();
        assert_eq!(first_at_place(far, &q), None);
    }

    #[test]
    fn scores_follow_their_definitions() {
        let s = place_scores(&[Some(1), Some(4), None, Some(10)]);
        assert_eq!(s.questions, 4);
        assert!((s.mrr_at_10 - (1.0 + 0.25 + 0.1) / 4.0).abs() < 1e-12);
        assert_eq!((s.at_1, s.at_5, s.at_10), (0.25, 0.5, 0.75));
        assert_eq!(place_scores(&[]), PlaceScores::default());
    }
}
