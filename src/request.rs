//! The fields of a search request as clients send them, written once for every door
//! that takes JSON: `POST /search`, `POST /ask` (these fields plus the answer length) and
//! the MCP tools `search_code`, `search_docs` and `ask`. Each becomes the library's
//! `Query` through [`SearchRequest::into_query`] (a question through
//! [`AskBody::into_request`]); `Query::validate` is the one rule.

use plait_ask::AskRequest;
use plait_colbert::SearchParams;
use plait_ingest::{IndexName, Query, SearchMode};
use schemars::JsonSchema;
use serde::Deserialize;
use utoipa::ToSchema;

/// A search request.
#[derive(Debug, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// The query: words, a question, or an exact identifier (1 to 2000 characters).
    pub query: String,
    /// Results wanted (default 10, at least 1; more than 100 are capped at 100).
    #[serde(default)]
    pub k: Option<usize>,
    /// Only files whose path matches this glob (`*` and `?` also match `/`), e.g.
    /// `*/src/*.py`.
    #[serde(default)]
    pub path: Option<String>,
    /// Only code in this language (e.g. `python`; an unknown one is refused).
    #[serde(default)]
    pub lang: Option<String>,
    /// `hybrid` (default), `semantic` or `lexical`.
    #[serde(default)]
    pub mode: Option<String>,
    /// PLAID search settings; omitted ones keep their defaults.
    #[serde(default)]
    pub params: Option<SearchParamsBody>,
}

/// Overrides of the PLAID search settings.
#[derive(Debug, Default, Deserialize, ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchParamsBody {
    /// Centroids probed per query token (1 to 64).
    pub n_ivf_probe: Option<usize>,
    /// Centroid pruning threshold (a cosine; omit for the default).
    pub centroid_score_threshold: Option<f32>,
    /// Candidates re-scored exactly (1 to 4096).
    pub n_full_scores: Option<usize>,
}

impl SearchRequest {
    /// The library's query for this request (an unknown mode is refused here; the rest
    /// is checked by `Query::validate`).
    pub fn into_query(self) -> Result<Query, String> {
        self.into_query_ranked(SearchMode::default())
    }

    /// As [`Self::into_query`], with `default_mode` when the request names no mode.
    pub fn into_query_ranked(self, default_mode: SearchMode) -> Result<Query, String> {
        let mode: SearchMode = match &self.mode {
            Some(m) => m.parse()?,
            None => default_mode,
        };
        let defaults = SearchParams::default();
        let p = self.params.unwrap_or_default();
        Ok(Query {
            k: self.k.unwrap_or(plait_ingest::DEFAULT_K),
            mode,
            path_glob: self.path,
            language: self.lang,
            params: SearchParams {
                n_ivf_probe: p.n_ivf_probe.unwrap_or(defaults.n_ivf_probe),
                centroid_score_threshold: p
                    .centroid_score_threshold
                    .or(defaults.centroid_score_threshold),
                n_full_scores: p.n_full_scores.unwrap_or(defaults.n_full_scores),
                ..defaults
            },
            ..Query::new(self.query)
        })
    }
}

/// A question (`POST /ask`): a search request, `query` being the question, plus the
/// answer length. Unknown fields are refused as in a search request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>")]
pub struct AskBody {
    #[serde(flatten)]
    pub search: SearchRequest,
    /// Answer length in tokens (1 to 2048; the role's default when omitted).
    pub max_tokens: Option<usize>,
}

impl AskBody {
    /// The library's question for this request, put to `indexes`: retrieval in
    /// [`plait_ask::RETRIEVAL_MODE`] unless the request names a mode, then checked by
    /// `AskRequest::validate`. Every door that takes a question (`POST /ask`, MCP `ask`)
    /// turns it into a request here.
    pub fn into_request(self, indexes: Vec<IndexName>) -> Result<AskRequest, String> {
        let request = AskRequest {
            query: self.search.into_query_ranked(plait_ask::RETRIEVAL_MODE)?,
            indexes,
            max_tokens: self.max_tokens,
        };
        request.validate().map_err(|e| e.to_string())?;
        Ok(request)
    }
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for AskBody {
    type Error = String;
    fn try_from(mut fields: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        let max_tokens = match fields.remove("max_tokens") {
            Some(v) => serde_json::from_value(v).map_err(|e| format!("max_tokens: {e}"))?,
            None => None,
        };
        let search =
            serde_json::from_value(serde_json::Value::Object(fields)).map_err(|e| e.to_string())?;
        Ok(Self { search, max_tokens })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ask_body_is_a_search_request_plus_the_answer_length() {
        let b: AskBody =
            serde_json::from_str(r#"{"query": "q", "k": 3, "mode": "hybrid", "max_tokens": 9}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.max_tokens, Some(9));
        let q = b.search.into_query().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((q.k, q.mode, q.text.as_str()), (3, SearchMode::Hybrid, "q"));
        let e = serde_json::from_str::<AskBody>(r#"{"query": "q", "colour": 1}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("unknown field `colour`"), "{e}");
        let bad_mode = SearchRequest {
            mode: Some("fuzzy".into()),
            ..serde_json::from_str(r#"{"query": "q"}"#).unwrap_or_else(|e| panic!("{e}"))
        };
        assert!(bad_mode
            .into_query()
            .err()
            .unwrap_or_default()
            .contains("unknown search mode"));
    }
}
