//! How the hits of several indexes are weighed against each other when one query
//! searches them all: by how much of the query each index's first hits hold.

use super::Hit;
use crate::lexical::{coverage, query_terms};

/// The first hits of an index whose coverage of the query speaks for the index.
const JUDGED_HITS: usize = 3;

/// The weight of an index whose first hits hold none of the query's terms while another
/// index's hold some: its hits still count half, since the encoder may have found what
/// the words do not show (a paraphrase).
const FLOOR: f64 = 0.5;

/// One weight per list of hits (in order), each index's best hit scoring 1 before it:
/// between [`FLOOR`] and 1, rising with the largest share of the query's terms
/// ([`coverage`]) held by one of the index's first [`JUDGED_HITS`] hits, relative to
/// the index that holds most. All 1 when no index holds any.
///
/// Without it, each index's best hit scored the same, so the first two sources of a
/// question about a manual were the manual's best page and the best function of the
/// code beside it, whatever either said. Asked over both indexes (`plait eval --ask
/// --retrieval --any-index`, the five ask sets' 137 answerable questions), the first
/// chunk at a labelled place came first for 46 questions with equal weights (MRR@10
/// 0.569) and for 91 with these (0.755; 95 and 0.795 when each question names its
/// index). Judging by the first hit alone was no better, weighing every hit by its own
/// coverage worse (0.760 against 0.777, simulated on the same hit lists).
pub(crate) fn merge_weights(query: &str, lists: &[Vec<Hit>]) -> Vec<f64> {
    if lists.len() < 2 {
        // One index weighs against none: no stemming on a single-index search's path.
        return vec![1.0; lists.len()];
    }
    let terms = query_terms(query);
    let held: Vec<f64> = lists
        .iter()
        .map(|hits| {
            hits.iter()
                .take(JUDGED_HITS)
                .map(|h| coverage(&terms, &h.text))
                .fold(0.0, f64::max)
        })
        .collect();
    let most = held.iter().copied().fold(0.0, f64::max);
    held.into_iter()
        .map(|h| {
            if most > 0.0 {
                FLOOR + (1.0 - FLOOR) * h / most
            } else {
                1.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::IndexName;

    fn hit(index: IndexName, text: &str) -> Hit {
        Hit {
            index,
            path: "x".into(),
            start_line: None,
            end_line: None,
            page: None,
            symbol: None,
            container: None,
            kind: "page".into(),
            language: None,
            score: 1.0,
            semantic_rank: None,
            lexical_rank: None,
            text: text.into(),
            matched_lines: Vec::new(),
        }
    }

    #[test]
    fn the_index_holding_the_question_weighs_more() {
        let q = "Which table compression setting does flex use by default?";
        let code = vec![hit(IndexName::Code, "local t = setmetatable({}, mt)")];
        let docs = vec![
            hit(IndexName::Docs, "Scanner options"),
            hit(
                IndexName::Docs,
                "By default flex uses -Cem table compression.",
            ),
        ];
        let w = merge_weights(q, &[code.clone(), docs.clone()]);
        assert_eq!(w[1], 1.0);
        assert!((w[0] - FLOOR).abs() < 1e-9, "{w:?}");
        // One index alone, or none holding a term: nothing changes.
        assert_eq!(merge_weights(q, std::slice::from_ref(&code)), [1.0]);
        assert_eq!(merge_weights("zzz", &[code, docs]), [1.0, 1.0]);
    }

    #[test]
    fn only_the_first_hits_speak_for_an_index() {
        let q = "flex table compression";
        let mut docs = vec![hit(IndexName::Docs, "nothing here"); JUDGED_HITS];
        docs.push(hit(IndexName::Docs, "flex table compression"));
        let code = vec![hit(IndexName::Code, "flex")];
        let w = merge_weights(q, &[code, docs]);
        assert_eq!(w, [1.0, FLOOR]);
    }
}
