//! What a generation chose, token by token: compared across decoding strategies to tell
//! a near tie (batches of different sizes round differently) from a changed answer.

/// The tokens one generation chose and, when the generator records them, the top-2
/// logit gap of each: where two strategies' greedy answers part, the gap says whether
/// it was a near tie (batches of different sizes round differently) or a real change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Picks {
    pub tokens: Vec<i32>,
    pub margins: Vec<f32>,
}

impl Picks {
    /// Where the picks of two answers (all their attempts, in order) first part, counted
    /// in tokens, with the smaller of the two recorded gaps there; `None` when they chose
    /// the same tokens.
    pub fn parting(ours: &[Picks], theirs: &[Picks]) -> Option<(usize, f32)> {
        let empty = Picks::default();
        let mut offset = 0;
        for i in 0..ours.len().max(theirs.len()) {
            let a = ours.get(i).unwrap_or(&empty);
            let b = theirs.get(i).unwrap_or(&empty);
            if let Some((at, gap)) =
                plait_summarize::parting((&a.tokens, &a.margins), (&b.tokens, &b.margins))
            {
                return Some((offset + at, gap));
            }
            offset += a.tokens.len();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Picks;

    fn picks(tokens: &[i32], margins: &[f32]) -> Picks {
        Picks {
            tokens: tokens.to_vec(),
            margins: margins.to_vec(),
        }
    }

    #[test]
    fn answers_part_where_their_tokens_first_differ_across_attempts() {
        let a = [
            picks(&[1, 2], &[5.0, 4.0]),
            picks(&[7, 8, 9], &[1.0, 0.5, 0.02]),
        ];
        let b = [
            picks(&[1, 2], &[5.0, 4.0]),
            picks(&[7, 8, 3], &[1.0, 0.5, 0.03]),
        ];
        assert_eq!(Picks::parting(&a, &a), None);
        assert_eq!(Picks::parting(&a, &b), Some((4, 0.02)));
        // One answer stops (its end of text is not a pick) where the other goes on: the
        // gap is the one of the token that went on.
        let c = [picks(&[1, 2], &[5.0, 4.0]), picks(&[7, 8], &[1.0, 0.5])];
        assert_eq!(Picks::parting(&a, &c), Some((4, 0.02)));
        // A second attempt only one of them made.
        assert_eq!(Picks::parting(&a[..1], &a).map(|p| p.0), Some(2));
    }
}
