//! The search request every door builds: [`Query`], its limits and the one
//! [`Query::validate`] rule; [`SearchMode`] and [`IndexName`].

use plait_colbert::SearchParams;
use serde::{Deserialize, Serialize};

use crate::{IngestError, Result};

/// Results per search are capped at this, by every door (CLI, HTTP, MCP, eval): a larger
/// `k` is accepted and capped.
pub const MAX_K: usize = 100;
/// Results wanted when the request does not say.
pub const DEFAULT_K: usize = 10;
/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 2000;
/// Longest path glob accepted, in characters.
pub const MAX_GLOB_CHARS: usize = 1000;
/// Range of PLAID centroids probed per query token a request may ask for.
pub const IVF_PROBE_RANGE: std::ops::RangeInclusive<usize> = 1..=64;
/// Range of exactly re-scored candidates a request may ask for.
pub const FULL_SCORES_RANGE: std::ops::RangeInclusive<usize> = 1..=4096;

/// The two indexes of an index root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexName {
    /// Source code, chunked along the syntax tree.
    Code,
    /// Prose: Markdown, text, PDF pages.
    Docs,
}

impl IndexName {
    /// Both, code first.
    pub const ALL: [IndexName; 2] = [IndexName::Code, IndexName::Docs];

    /// The folder and manifest name (`code` or `docs`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => crate::CODE,
            Self::Docs => crate::DOCS,
        }
    }
}

impl std::fmt::Display for IndexName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for IndexName {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "code" => Ok(Self::Code),
            "docs" => Ok(Self::Docs),
            other => Err(format!("unknown index `{other}` (code or docs)")),
        }
    }
}

/// How results are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// ColBERT late interaction only.
    Semantic,
    /// BM25 over chunk text, symbols and paths only.
    Lexical,
    /// Both: normalised scores combined, BM25 weighing 0.1 (see [`fuse`](super::fuse)),
    /// tests and change logs lowered unless asked for. The default: it beats the other
    /// modes and plain BM25 on nDCG@10 and MRR@10 on every labelled set measured
    /// (`scripts/eval`).
    #[default]
    Hybrid,
}

impl SearchMode {
    /// Every mode, in the order `plait eval` prints them.
    pub const ALL: [SearchMode; 3] = [Self::Semantic, Self::Lexical, Self::Hybrid];
}

impl std::str::FromStr for SearchMode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "semantic" => Ok(Self::Semantic),
            "lexical" => Ok(Self::Lexical),
            "hybrid" => Ok(Self::Hybrid),
            other => Err(format!(
                "unknown search mode `{other}` (semantic, lexical or hybrid)"
            )),
        }
    }
}

impl std::fmt::Display for SearchMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Semantic => "semantic",
            Self::Lexical => "lexical",
            Self::Hybrid => "hybrid",
        })
    }
}

/// One search request, the same for every door.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The user's words.
    pub text: String,
    /// Results wanted (capped at [`MAX_K`]).
    pub k: usize,
    /// Only locations whose path matches this glob (`*` and `?` also match `/`).
    pub path_glob: Option<String>,
    /// Only code in this language (name, any case, e.g. `python`).
    pub language: Option<String>,
    /// Ranking.
    pub mode: SearchMode,
    /// PLAID settings of the semantic stage (`k` is set from the request).
    pub params: SearchParams,
    /// BM25's weight in hybrid fusion, 0 to 1; `None` (every door) chooses it by the
    /// query's words (`search::lexical_weight`). `plait eval --lexical-weight` sets it
    /// to study fusion.
    pub lexical_weight: Option<f64>,
}

impl Query {
    /// A query for `text` with every other setting at its default.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            k: DEFAULT_K,
            path_glob: None,
            language: None,
            mode: SearchMode::default(),
            params: SearchParams::default(),
            lexical_weight: None,
        }
    }

    /// The results returned: `k` capped at [`MAX_K`].
    pub fn limit(&self) -> usize {
        self.k.min(MAX_K)
    }

    /// The one rule for every door ([`IngestError::BadQuery`] saying what is wrong):
    /// a non-blank query of at most [`MAX_QUERY_CHARS`] characters, `k` at least 1 (more
    /// than [`MAX_K`] is capped), a known language, a glob of at most
    /// [`MAX_GLOB_CHARS`], PLAID settings in their ranges.
    pub fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(IngestError::BadQuery { reason });
        if self.text.trim().is_empty() {
            return bad("the query is empty".into());
        }
        let chars = self.text.chars().count();
        if chars > MAX_QUERY_CHARS {
            return bad(format!(
                "the query has {chars} characters; at most {MAX_QUERY_CHARS}"
            ));
        }
        if self.k == 0 {
            return bad(format!(
                "`k` must be at least 1 (at most {MAX_K} results are returned)"
            ));
        }
        if let Some(l) = &self.language {
            if crate::Language::from_name(l).is_none() {
                let known: Vec<&str> = crate::Language::ALL.iter().map(|l| l.name()).collect();
                return bad(format!(
                    "unknown language `{l}`; known: {}",
                    known.join(", ")
                ));
            }
        }
        if let Some(w) = self.lexical_weight {
            if !(0.0..=1.0).contains(&w) {
                return bad(format!("the lexical weight must be 0 to 1, not {w}"));
            }
        }
        if let Some(g) = &self.path_glob {
            let chars = g.chars().count();
            if chars > MAX_GLOB_CHARS {
                return bad(format!(
                    "the path glob has {chars} characters; at most {MAX_GLOB_CHARS}"
                ));
            }
        }
        let p = &self.params;
        if !IVF_PROBE_RANGE.contains(&p.n_ivf_probe) {
            return bad(format!(
                "`n_ivf_probe` must be {} to {}",
                IVF_PROBE_RANGE.start(),
                IVF_PROBE_RANGE.end()
            ));
        }
        if !FULL_SCORES_RANGE.contains(&p.n_full_scores) {
            return bad(format!(
                "`n_full_scores` must be {} to {}",
                FULL_SCORES_RANGE.start(),
                FULL_SCORES_RANGE.end()
            ));
        }
        if p.centroid_score_threshold
            .is_some_and(|t| !t.is_finite() || !(-1.0..=1.0).contains(&t))
        {
            return bad("`centroid_score_threshold` must be a cosine in [-1, 1]".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(q: &Query) -> String {
        match q.validate() {
            Err(IngestError::BadQuery { reason }) => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_rule_for_every_limit() {
        assert!(Query::new("parse a page range").validate().is_ok());
        assert!(reason(&Query::new("  \n")).contains("empty"));
        assert!(reason(&Query::new("w".repeat(MAX_QUERY_CHARS + 1))).contains("at most 2000"));
        assert!(Query::new("é".repeat(MAX_QUERY_CHARS)).validate().is_ok());
        let q = |f: &dyn Fn(&mut Query)| {
            let mut q = Query::new("x");
            f(&mut q);
            q
        };
        assert!(reason(&q(&|q| q.k = 0)).contains("`k`"));
        let big = q(&|q| q.k = 5000);
        assert!(big.validate().is_ok());
        assert_eq!(big.limit(), MAX_K);
        assert!(reason(&q(&|q| q.language = Some("klingon".into()))).contains("python"));
        assert!(q(&|q| q.language = Some("Python".into()))
            .validate()
            .is_ok());
        assert!(reason(&q(&|q| q.path_glob = Some("*".repeat(1001)))).contains("glob"));
        assert!(reason(&q(&|q| q.params.n_ivf_probe = 0)).contains("n_ivf_probe"));
        assert!(reason(&q(&|q| q.params.n_full_scores = 5000)).contains("n_full_scores"));
        assert!(
            reason(&q(&|q| q.params.centroid_score_threshold = Some(f32::NAN))).contains("cosine")
        );
        assert_eq!("docs".parse::<IndexName>(), Ok(IndexName::Docs));
        assert!("src".parse::<IndexName>().is_err());
    }
}
