//! Relevance evaluation: a labelled query set (queries with the files that answer them)
//! scored by recall@10, MRR@10 and nDCG@10 over file-level rankings.

use std::path::Path;

use serde::Deserialize;

use crate::Hit;

/// Results are judged on the first this-many distinct files.
pub const CUTOFF: usize = 10;

/// A labelled query set (`tests/eval/*.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalSet {
    /// Name of the corpus the labels refer to.
    pub corpus: String,
    /// The queries.
    pub query: Vec<EvalQuery>,
}

/// One labelled query.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalQuery {
    /// `code` or `docs`.
    pub index: String,
    /// What the user types.
    pub text: String,
    /// Files answering it, relative to the corpus root.
    pub relevant: Vec<String>,
}

impl EvalSet {
    /// Parses a set from TOML; the error says what is wrong and where.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let set: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, q) in set.query.iter().enumerate() {
            if q.relevant.is_empty() {
                return Err(format!(
                    "query {} ({:?}) lists no relevant file",
                    i + 1,
                    q.text
                ));
            }
            if q.index != crate::CODE && q.index != crate::DOCS {
                return Err(format!(
                    "query {} ({:?}): index must be `code` or `docs`, not `{}`",
                    i + 1,
                    q.text,
                    q.index
                ));
            }
        }
        Ok(set)
    }
}

/// Scores of one ranking.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Share of the relevant files in the first [`CUTOFF`] files.
    pub recall: f64,
    /// 1 / rank of the first relevant file (0 when none is in the first [`CUTOFF`]).
    pub reciprocal_rank: f64,
    /// Normalised discounted cumulative gain at [`CUTOFF`], binary gains.
    pub ndcg: f64,
}

/// Distinct files of `hits` in rank order, relative to `root` (hits outside it keep
/// their full path).
pub fn ranked_files(hits: &[Hit], root: &Path) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for h in hits {
        let path = Path::new(&h.path);
        let p = path.strip_prefix(root).unwrap_or(path);
        let p = p.to_string_lossy().into_owned();
        if !files.contains(&p) {
            files.push(p);
        }
    }
    files
}

/// Scores a file ranking against the relevant files.
pub fn score(ranked: &[String], relevant: &[String]) -> Scores {
    let top = &ranked[..ranked.len().min(CUTOFF)];
    let is_rel = |f: &String| relevant.contains(f);
    let found = top.iter().filter(|f| is_rel(f)).count();
    let reciprocal_rank = top
        .iter()
        .position(is_rel)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64);
    let dcg: f64 = top
        .iter()
        .enumerate()
        .filter(|(_, f)| is_rel(f))
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum();
    let ideal: f64 = (0..relevant.len().min(CUTOFF))
        .map(|i| 1.0 / ((i + 2) as f64).log2())
        .sum();
    Scores {
        recall: found as f64 / relevant.len().max(1) as f64,
        reciprocal_rank,
        ndcg: if ideal > 0.0 { dcg / ideal } else { 0.0 },
    }
}

/// The mean of per-query scores.
pub fn mean(scores: &[Scores]) -> Scores {
    let n = scores.len().max(1) as f64;
    Scores {
        recall: scores.iter().map(|s| s.recall).sum::<f64>() / n,
        reciprocal_rank: scores.iter().map(|s| s.reciprocal_rank).sum::<f64>() / n,
        ndcg: scores.iter().map(|s| s.ndcg).sum::<f64>() / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn metrics_follow_their_definitions() {
        let relevant = v(&["a.py", "b.py"]);
        let perfect = score(&v(&["a.py", "b.py", "c.py"]), &relevant);
        assert_eq!(perfect.recall, 1.0);
        assert_eq!(perfect.reciprocal_rank, 1.0);
        assert!((perfect.ndcg - 1.0).abs() < 1e-12);

        let second = score(&v(&["c.py", "a.py"]), &relevant);
        assert_eq!(second.recall, 0.5);
        assert_eq!(second.reciprocal_rank, 0.5);
        // dcg = 1/log2(3); ideal = 1 + 1/log2(3).
        let expected = (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert!((second.ndcg - expected).abs() < 1e-12);

        let mut deep = v(&["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"]);
        deep.push("a.py".into());
        assert_eq!(score(&deep, &relevant), Scores::default());

        let m = mean(&[perfect, second]);
        assert_eq!(m.recall, 0.75);
    }

    #[test]
    fn sets_are_checked_on_load() {
        let ok =
            "corpus = \"c\"\n[[query]]\nindex = \"code\"\ntext = \"q\"\nrelevant = [\"a.py\"]\n";
        assert_eq!(EvalSet::from_toml(ok).unwrap().query.len(), 1);
        let bad_index = ok.replace("\"code\"", "\"src\"");
        assert!(EvalSet::from_toml(&bad_index).unwrap_err().contains("code"));
        let unknown = ok.replace("text", "txt");
        assert!(EvalSet::from_toml(&unknown).is_err());
        let none = ok.replace("[\"a.py\"]", "[]");
        assert!(EvalSet::from_toml(&none)
            .unwrap_err()
            .contains("no relevant"));
    }
}
