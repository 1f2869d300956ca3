//! Searching one index of an index root: semantic (ColBERT late interaction over the
//! PLAID index), lexical (BM25 over the manifest's full-text index) or hybrid (fusion of
//! both), with path and language filters. [`SearchService`] is the door every front end
//! uses; the ranking itself is [`search_index`].

mod hit;
mod merge;
mod prior;
mod query;
mod resident;
mod service;
mod unknown;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use plait_colbert::{BatchingSearcher, Index, SearchParams, TokenEmbeddings};

use crate::lexical::ResidentTerms;
use crate::manifest::Manifest;
use crate::{IngestError, Result};

pub use hit::Hit;
pub use prior::{path_role, PathRole, Prior, CHANGELOG_PENALTY, TEST_PENALTY};
pub use query::{
    IndexName, Query, SearchMode, DEFAULT_K, FULL_SCORES_RANGE, IVF_PROBE_RANGE, MAX_GLOB_CHARS,
    MAX_K, MAX_QUERY_CHARS,
};
pub use service::{IndexStatus, SearchService};

/// Weight of the normalised BM25 score in hybrid fusion (the semantic score weighs one
/// minus this). Chosen on the five labelled sets (`plait eval --lexical-weight`, swept
/// 0.1 to 0.6 per set): 0.3 gave the best mean nDCG@10 (0.886, against 0.884 at 0.1
/// and 0.885 at 0.2) and the only hybrid ahead of semantic and lexical on every set;
/// code in many languages (multilang) gains most (0.839 at 0.1, 0.862 at 0.3), Python
/// prose-heavy urllib3 loses a little (0.879, 0.864). 0 is semantic alone.
const LEXICAL_WEIGHT: f64 = 0.3;

/// Weight of the pooled similarity in hybrid fusion (the cosine of the query's and the
/// document's mean token vectors, [`Index::pooled_similarity`]: the sentence embedding
/// all-MiniLM was trained for), taken from the semantic side's share. Chosen on the five
/// labelled sets with each candidate's pooled, MaxSim and BM25 scores recorded (0 to 0.4
/// by 0.1): at 0.2 mean nDCG@10 over the sets rose from 0.885 to 0.889 and page-level
/// nDCG@10 on the PDF manuals from 0.739 to 0.761 (paired bootstrap 95% interval of the
/// gain +0.001 to +0.046; pypdf +0.020, urllib3 -0.004); alone it scores 0.825, below
/// MaxSim's 0.857. With [`POOLED_DEPTH`], `scripts/eval all`: mean 0.891, pages 0.773.
const POOLED_WEIGHT: f64 = 0.2;

/// Candidates scored by pooled similarity, as a multiple of `k` (at least
/// [`MIN_POOLED`]): the best of MaxSim and BM25 fused, which a fifth of the weight can
/// reorder. Scoring only these instead of every candidate (up to `3k` + `3k`) measured
/// the same or better on the sets (`scripts/eval all`: mean nDCG@10 0.891 against 0.889,
/// manuals' pages 0.773 against 0.768) at a third of the cost (`scripts/bench-serve`, 8
/// clients: 6.3 ms of CPU per search against 7.4).
const POOLED_DEPTH: usize = 2;

/// Fewest candidates scored by pooled similarity.
const MIN_POOLED: usize = 20;

/// Weight of BM25 when the query names an identifier (`get_page_range`,
/// `PageRangeError`, `pdf.reader`, `open()`): whoever types one wants the code that
/// spells it, which BM25 finds and an encoder trained on prose does not reliably. Above
/// one half, so an exact lexical winner cannot be outvoted by the semantic one alone.
const IDENTIFIER_LEXICAL_WEIGHT: f64 = 0.6;

/// Most lines of a hit marked as matching the query ([`Hit::matched_lines`]).
pub const MAX_MATCHED_LINES: usize = 8;

/// How deep each list is read before fusing, as a multiple of `k` (at least 30).
const FUSION_DEPTH: usize = 3;

/// The fewest BM25 results a hybrid or lexical search reads, however few it returns
/// (every one of them is then also scored by exact MaxSim). Read only `3k` deep, a
/// `-k 10` search fused 30 and ranked below the same search at `-k 50` (150), the `k`
/// the labelled sets are scored at. `scripts/eval all -k 10 --modes hybrid`, mean
/// nDCG@10 / MRR@10 at 30, 60, 90 and 150: 0.863 / 0.860, 0.870 / 0.869, 0.873 / 0.874,
/// 0.874 / 0.874 (manuals' pages MRR 0.775, 0.779, 0.784, 0.786). The cost is the exact
/// scores: `scripts/bench-serve --baseline` at 8 clients, 293.0 req/s at 30 and 245.7 at
/// 90 in one run; 157.6 at 150 in another. Reading the semantic list or the pooled
/// candidates deeper added nothing.
const LEXICAL_MIN_DEPTH: usize = 90;

/// Searches index `name` of a root: `index` is its opened snapshot (`None` when it has
/// never been built, e.g. no code ingested yet), `searcher` encodes and searches with the
/// model that built it (any other is refused with [`IngestError::ModelMismatch`]),
/// batching concurrent searches. The query is checked by [`Query::validate`] first
/// ([`IngestError::BadQuery`]). Lexical ranking reads `resident` terms when given (they
/// must be those of `manifest`'s current version) and FTS5 otherwise; both rank alike.
pub fn search_index(
    manifest: &Manifest,
    resident: Option<&ResidentTerms>,
    name: IndexName,
    index: Option<&Arc<Index>>,
    searcher: &BatchingSearcher,
    query: &Query,
) -> Result<Vec<Hit>> {
    check_model(index, searcher)?;
    query.validate()?;
    let k = query.limit();
    let filter = key_filter(manifest, name, query)?;
    if filter.as_ref().is_some_and(|f| f.is_empty()) {
        return Ok(Vec::new());
    }
    // Read deeper than `k` where the path prior re-ranks the list, so that the thing
    // itself can rise above the tests that repeat its words.
    let depth = match query.mode {
        SearchMode::Hybrid | SearchMode::Lexical => (k * FUSION_DEPTH).max(30),
        SearchMode::Semantic => k,
    };
    let lexical = if query.mode == SearchMode::Semantic {
        Vec::new()
    } else {
        lexical_list(manifest, resident, name, query, depth, filter.as_deref())?
    };
    let weight = query
        .lexical_weight
        .unwrap_or_else(|| lexical_weight(&query.text));
    let mut semantic: Vec<(u64, f64)> = Vec::new();
    let mut pooled: Vec<(u64, f64)> = Vec::new();
    if query.mode != SearchMode::Lexical {
        if let Some(index) = index {
            let vectors;
            (semantic, vectors) =
                semantic_scores(index, searcher, query, depth, filter.as_ref(), &lexical)?;
            if query.mode == SearchMode::Hybrid {
                let first = fuse(query.mode, &semantic, &lexical, &[], weight);
                let depth = (k * POOLED_DEPTH).max(MIN_POOLED);
                pooled = pooled_scores(index, &vectors, &first[..first.len().min(depth)]);
            }
        }
    }
    let mut ranked = fuse(query.mode, &semantic, &lexical, &pooled, weight);
    if query.mode == SearchMode::Lexical {
        // BM25 over its best, the scale the prior's penalties are set on (and the
        // lexical side of hybrid fusion).
        ranked = by_max(&ranked);
    }
    // The path prior, in both modes BM25 ranks: tests and change logs repeat the words
    // of what they are about, and BM25 puts them first (`scripts/eval urllib3`: a test
    // was the first file of 29 of 50 code queries in lexical mode, 11 in semantic).
    if query.mode != SearchMode::Semantic {
        let prior = Prior::for_query(&query.text);
        for (key, score) in &mut ranked {
            let paths = manifest.paths_of(name.as_str(), *key)?;
            *score -= prior.penalty(paths.iter().map(PathBuf::as_path));
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    let ranks = (rank_map(&semantic), rank_map(&lexical));
    hits_of(manifest, name, query, &ranked, &ranks)
}

/// [`IngestError::ModelMismatch`] when `index` was built with another model than the
/// one `searcher` encodes with.
fn check_model(index: Option<&Arc<Index>>, searcher: &BatchingSearcher) -> Result<()> {
    if let Some(built_with) = index.and_then(|i| i.meta().model.clone()) {
        let configured = searcher.encoder().model_name();
        if built_with != configured {
            return Err(IngestError::ModelMismatch {
                path: index.map_or_else(Default::default, |i| i.dir().to_path_buf()),
                built_with,
                configured,
            });
        }
    }
    Ok(())
}

/// The contents a query's path glob and language allow, `None` when it has neither.
fn key_filter(
    manifest: &Manifest,
    name: IndexName,
    query: &Query,
) -> Result<Option<Arc<HashSet<u64>>>> {
    let language = query.language.as_deref().map(str::to_lowercase);
    if query.path_glob.is_none() && language.is_none() {
        return Ok(None);
    }
    let keys = manifest.keys_matching(
        name.as_str(),
        query.path_glob.as_deref(),
        language.as_deref(),
    )?;
    Ok(Some(Arc::new(keys.into_iter().collect())))
}

/// BM25's list, at least [`LEXICAL_MIN_DEPTH`] deep (read from `resident` terms when
/// given, FTS5 otherwise), filtered.
fn lexical_list(
    manifest: &Manifest,
    resident: Option<&ResidentTerms>,
    name: IndexName,
    query: &Query,
    depth: usize,
    filter: Option<&HashSet<u64>>,
) -> Result<Vec<(u64, f64)>> {
    // Read deeper when filtering, since the filter applies after ranking.
    let lexical_depth = depth.max(LEXICAL_MIN_DEPTH);
    let limit = if filter.is_some() {
        lexical_depth * 8
    } else {
        lexical_depth
    };
    let terms = crate::lexical::query_terms(&query.text);
    let mut lexical = match resident.and_then(|r| r.search(name.as_str(), &terms, limit)) {
        Some(found) => found,
        None => manifest.lexical(name.as_str(), &query.text, limit)?,
    };
    if let Some(f) = filter {
        lexical.retain(|(key, _)| f.contains(key));
    }
    lexical.truncate(lexical_depth);
    Ok(lexical)
}

/// The first `query.limit()` hits of the `ranked` contents: each content's chunks that
/// pass the path glob and language, with their semantic and lexical `ranks` and the
/// lines matching the query's words.
fn hits_of(
    manifest: &Manifest,
    name: IndexName,
    query: &Query,
    ranked: &[(u64, f64)],
    ranks: &(HashMap<u64, usize>, HashMap<u64, usize>),
) -> Result<Vec<Hit>> {
    let k = query.limit();
    let glob = query.path_glob.as_deref();
    let language = query.language.as_deref();
    let mut hits = Vec::new();
    for &(key, score) in ranked {
        for chunk in manifest.chunks_of(name.as_str(), key)? {
            let lang_ok = language.is_none_or(|l| {
                chunk
                    .language
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(l))
            });
            if !lang_ok || !path_matches(glob, &chunk.path) {
                continue;
            }
            let at = (ranks.0.get(&key).copied(), ranks.1.get(&key).copied());
            let mut hit = Hit::new(name, chunk, score, at);
            let lines: Vec<&str> = hit.text.lines().collect();
            hit.matched_lines = matching_lines(&lines, &query.text, MAX_MATCHED_LINES);
            hits.push(hit);
        }
        if hits.len() >= k {
            break;
        }
    }
    hits.truncate(k);
    Ok(hits)
}

/// The semantic list: the `depth` best contents by PLAID search, then (hybrid) the exact
/// MaxSim of every content of the lexical list that PLAID did not return, so fusion
/// weighs both signals for every candidate instead of treating a missing score as zero;
/// and the query's vectors.
fn semantic_scores(
    index: &Arc<Index>,
    searcher: &BatchingSearcher,
    query: &Query,
    depth: usize,
    filter: Option<&Arc<HashSet<u64>>>,
    lexical: &[(u64, f64)],
) -> Result<(Scored, TokenEmbeddings)> {
    let index_err = |source| IngestError::Index {
        path: index.dir().to_path_buf(),
        source,
    };
    let params = SearchParams {
        k: depth,
        ..query.params.clone()
    };
    let (q, hits) = searcher
        .search(index, &query.text, &params, filter)
        .map_err(|source| IngestError::Encode {
            path: index.dir().to_path_buf(),
            source,
        })?;
    let mut semantic: Vec<(u64, f64)> = hits
        .into_iter()
        .map(|h| (h.key, f64::from(h.score)))
        .collect();
    if query.mode == SearchMode::Hybrid {
        let found: HashSet<u64> = semantic.iter().map(|s| s.0).collect();
        let missing: HashSet<u64> = lexical
            .iter()
            .map(|l| l.0)
            .filter(|k| !found.contains(k) && index.contains(*k))
            .collect();
        if !missing.is_empty() {
            let extra = index
                .search_exhaustive(&q, missing.len(), Some(&missing))
                .map_err(index_err)?;
            semantic.extend(extra.into_iter().map(|h| (h.key, f64::from(h.score))));
        }
    }
    Ok((semantic, q))
}

/// Content keys with a score, best first.
type Scored = Vec<(u64, f64)>;

/// The pooled similarity of the `candidates` fusion could put first: it reorders the best
/// of MaxSim and BM25, and costs a pass over each candidate's vectors.
fn pooled_scores(index: &Index, query: &TokenEmbeddings, candidates: &[(u64, f64)]) -> Scored {
    let keys: Vec<u64> = candidates.iter().map(|c| c.0).collect();
    index
        .pooled_similarity(query, &keys)
        .into_iter()
        .zip(keys)
        .filter_map(|(sim, key)| Some((key, f64::from(sim?))))
        .collect()
}

fn rank_map(list: &[(u64, f64)]) -> HashMap<u64, usize> {
    list.iter()
        .enumerate()
        .map(|(i, (key, _))| (*key, i + 1))
        .collect()
}

/// One ranked list of content keys from the semantic and lexical lists, best first.
///
/// Hybrid is a convex combination of the scores over the candidates (the union of both
/// lists, every one scored by exact MaxSim and, when `pooled` is given, by pooled
/// similarity): BM25 divided by its best counts with `lexical_weight` (0 when the
/// lexical list lacks it; see [`lexical_weight`]), the pooled similarity min-max
/// normalised with [`POOLED_WEIGHT`], the MaxSim score min-max normalised with the rest.
/// Unlike fusion by rank, this keeps how far apart the scores are: a semantic winner by a
/// wide margin stays first unless BM25 strongly prefers another.
pub fn fuse(
    mode: SearchMode,
    semantic: &[(u64, f64)],
    lexical: &[(u64, f64)],
    pooled: &[(u64, f64)],
    lexical_weight: f64,
) -> Vec<(u64, f64)> {
    match mode {
        SearchMode::Semantic => semantic.to_vec(),
        SearchMode::Lexical => lexical.to_vec(),
        SearchMode::Hybrid => {
            let sem = min_max(semantic);
            let lex = by_max(lexical);
            let pooled_weight = if pooled.is_empty() {
                0.0
            } else {
                POOLED_WEIGHT.min(1.0 - lexical_weight)
            };
            let mut scores: HashMap<u64, f64> = HashMap::new();
            for (key, s) in &sem {
                *scores.entry(*key).or_default() += (1.0 - lexical_weight - pooled_weight) * s;
            }
            for (key, p) in &min_max(pooled) {
                *scores.entry(*key).or_default() += pooled_weight * p;
            }
            for (key, l) in &lex {
                *scores.entry(*key).or_default() += lexical_weight * l;
            }
            let mut out: Vec<(u64, f64)> = scores.into_iter().collect();
            out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            out
        }
    }
}

/// Query terms ([`crate::lexical::query_terms`]) up to which BM25 weighs
/// [`LEXICAL_WEIGHT`]; from there its weight rises by a step per term.
const LONG_QUERY_FROM: usize = 8;

/// Query terms from which BM25 weighs [`LONG_QUESTION_LEXICAL_WEIGHT`].
const LONG_QUERY_TO: usize = 12;

/// BM25's weight for a question of [`LONG_QUERY_TO`] terms or more. A long question in
/// a user's words ("If I pass --tables-file to flex without naming a file, what file
/// are the serialized tables written to?") gives the encoder many words that match
/// any chunk a little, while BM25 weighs each by its rarity. Measured by the first
/// chunk at a labelled place for the answerable questions of four ask sets (`plait eval
/// --ask --retrieval`, 105 questions, most of 9 to 14 terms): MRR@10 0.782 at 0.3
/// throughout, 0.812 with this rise (chosen among steps and ramps to 0.45, 0.6 and 0.7
/// from 6 to 10 terms, simulated from fixed-weight runs), while the five search sets
/// (short queries, nearly all of at most 8 terms) kept their nDCG@10 (mean 0.891 to
/// 0.890); the fifth ask set, not used to choose, 0.701 to 0.741.
const LONG_QUESTION_LEXICAL_WEIGHT: f64 = 0.7;

/// The weight of BM25 in hybrid fusion for query `text`: [`LEXICAL_WEIGHT`] for a
/// short query, rising to [`LONG_QUESTION_LEXICAL_WEIGHT`] with its number of terms
/// (from [`LONG_QUERY_FROM`] to [`LONG_QUERY_TO`]); at least
/// [`IDENTIFIER_LEXICAL_WEIGHT`] when a word of it is shaped like a code identifier.
pub fn lexical_weight(text: &str) -> f64 {
    let terms = crate::lexical::query_terms(text).len();
    let rise =
        terms.saturating_sub(LONG_QUERY_FROM) as f64 / (LONG_QUERY_TO - LONG_QUERY_FROM) as f64;
    let by_length =
        LEXICAL_WEIGHT + (LONG_QUESTION_LEXICAL_WEIGHT - LEXICAL_WEIGHT) * rise.min(1.0);
    if text.split_whitespace().any(is_identifier) {
        by_length.max(IDENTIFIER_LEXICAL_WEIGHT)
    } else {
        by_length
    }
}

/// Whether `word` looks like a code identifier rather than a word of prose: snake_case,
/// camelCase or PascalCase with an inner capital, a dotted or `::` path, or a call `f()`.
fn is_identifier(word: &str) -> bool {
    let word = word
        .trim_matches(|c: char| matches!(c, '`' | '"' | '\'' | ',' | '?' | '!'))
        .replace("::", ".");
    if word.ends_with("()") && word.len() > 2 {
        return true;
    }
    let chars: Vec<char> = word.chars().collect();
    // Letters and digits running back from before `i`, and forward from after it.
    let run_before = |i: usize| {
        chars[..i]
            .iter()
            .rev()
            .take_while(|c| c.is_alphanumeric())
            .count()
    };
    let run_after = |i: usize| {
        chars[i + 1..]
            .iter()
            .take_while(|c| c.is_alphanumeric())
            .count()
    };
    chars.iter().enumerate().any(|(i, &c)| match c {
        '_' => run_before(i) > 0 && run_after(i) > 0,
        // `os.path`, not `e.g.` or `1.2`.
        '.' => {
            run_before(i) >= 2
                && run_after(i) >= 2
                && chars[i + 1].is_alphabetic()
                && !chars[i - 1].is_ascii_digit()
        }
        c if c.is_uppercase() => i > 0 && chars[i - 1].is_lowercase(),
        _ => false,
    })
}

/// Scores divided by the list's maximum: BM25 has a natural zero (no term matches).
fn by_max(list: &[(u64, f64)]) -> Vec<(u64, f64)> {
    let hi = list.iter().map(|l| l.1).fold(0.0, f64::max);
    list.iter()
        .map(|&(k, v)| (k, if hi > 0.0 { v / hi } else { 0.0 }))
        .collect()
}

/// Scores mapped to [0, 1] by the list's minimum and maximum (all 1 when they agree).
fn min_max(list: &[(u64, f64)]) -> Vec<(u64, f64)> {
    let lo = list.iter().map(|l| l.1).fold(f64::INFINITY, f64::min);
    let hi = list.iter().map(|l| l.1).fold(f64::NEG_INFINITY, f64::max);
    let span = hi - lo;
    list.iter()
        .map(|&(k, v)| (k, if span > 0.0 { (v - lo) / span } else { 1.0 }))
        .collect()
}

/// Whether `path` matches `glob` the way SQLite's GLOB does for the filter (`*` and
/// `?` also match `/`); no glob matches everything.
pub fn path_matches(glob: Option<&str>, path: &Path) -> bool {
    fn matches(p: &[char], s: &[char]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some('*'), _) => matches(&p[1..], s) || (!s.is_empty() && matches(p, &s[1..])),
            (Some('?'), Some(_)) => matches(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => matches(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let Some(glob) = glob else { return true };
    let p: Vec<char> = glob.chars().collect();
    let s: Vec<char> = path.to_string_lossy().chars().collect();
    matches(&p, &s)
}

/// The `n` lines of `text` sharing the most words with `query` (ties: earlier first),
/// in text order, with their 0-based line numbers: the snippet shown for a hit.
pub fn best_lines<'t>(text: &'t str, query: &str, n: usize) -> Vec<(usize, &'t str)> {
    let words = |s: &str| -> HashSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 1)
            .map(str::to_lowercase)
            .collect()
    };
    let q = words(query);
    let mut scored: Vec<(usize, usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (words(l).intersection(&q).count(), i, l))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.truncate(n);
    scored.sort_by_key(|s| s.1);
    scored.into_iter().map(|(_, i, l)| (i, l)).collect()
}

/// Words too common to mark a line for a query.
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "are", "was", "were", "with", "from", "that", "this", "these", "those",
    "into", "onto", "not", "but", "all", "any", "can", "has", "have", "had", "its", "our", "their",
    "his", "her", "how", "what", "when", "where", "which", "who", "why", "you", "your", "will",
    "would", "should", "could", "been", "being", "than", "then", "there", "about", "also", "like",
    "use", "used",
];

/// The query's words as a line is matched against them: lowercase, at least 3
/// characters, stopwords left out.
fn match_words(s: &str) -> HashSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .collect()
}

/// Whether two words match: equal, or one a prefix of the other of at least 4 characters
/// (`page` and `pages`, `parse` and `parsed`).
fn word_matches(a: &str, b: &str) -> bool {
    a == b || (a.len().min(b.len()) >= 4 && (a.starts_with(b) || b.starts_with(a)))
}

/// The indexes of the `lines` (at most `max`, in order) that share the most query words:
/// those with at least half as many as the best line (and at least one). The lines a
/// page view marks for a hit.
pub fn matching_lines(lines: &[&str], query: &str, max: usize) -> Vec<usize> {
    let q = match_words(query);
    let scores: Vec<usize> = lines
        .iter()
        .map(|l| {
            let words = match_words(l);
            q.iter()
                .filter(|qw| words.iter().any(|w| word_matches(w, qw)))
                .count()
        })
        .collect();
    let best = scores.iter().copied().max().unwrap_or(0);
    if best == 0 {
        return Vec::new();
    }
    let floor = best.div_ceil(2);
    let mut picked: Vec<usize> = (0..lines.len()).filter(|&i| scores[i] >= floor).collect();
    picked.sort_by(|&a, &b| scores[b].cmp(&scores[a]).then(a.cmp(&b)));
    picked.truncate(max);
    picked.sort_unstable();
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_fusion_weighs_scores_not_ranks() {
        // 1 wins semantically by a wide margin; 2 and 3 are close, and BM25 strongly
        // prefers 3; 4 is found by BM25 only, with the lowest semantic score.
        let semantic = [(1, 30.0), (2, 21.0), (3, 20.5), (4, 10.0)];
        let lexical = [(3, 12.0), (4, 11.0), (1, 1.0)];
        let fused = fuse(SearchMode::Hybrid, &semantic, &lexical, &[], LEXICAL_WEIGHT);
        let order: Vec<u64> = fused.iter().map(|f| f.0).collect();
        assert_eq!(order, [1, 3, 2, 4]);
        // Semantic weighs 1 - w after min-max, BM25 w after division by its best.
        let w = LEXICAL_WEIGHT;
        assert!((fused[0].1 - ((1.0 - w) + w / 12.0)).abs() < 1e-9);
        assert!((fused[1].1 - ((1.0 - w) * 10.5 / 20.0 + w)).abs() < 1e-9);
        // Equal scores normalise to 1, not to a division by zero.
        let tie = fuse(
            SearchMode::Hybrid,
            &[(7, 5.0), (8, 5.0)],
            &[],
            &[],
            LEXICAL_WEIGHT,
        );
        assert!(tie.iter().all(|t| (t.1 - (1.0 - w)).abs() < 1e-9));
        assert_eq!(
            fuse(SearchMode::Lexical, &semantic, &lexical, &[], 0.1)[0].0,
            3
        );
        assert_eq!(
            fuse(SearchMode::Semantic, &semantic, &lexical, &[], 0.1)[0].0,
            1
        );
        // An identifier query weighs BM25 above one half: its exact winner leads even
        // with the worst semantic score.
        let ident = fuse(
            SearchMode::Hybrid,
            &semantic,
            &[(4, 9.0)],
            &[],
            lexical_weight("PageRangeError"),
        );
        assert_eq!(ident[0].0, 4);
        // The pooled similarity takes its weight from the semantic side: a candidate
        // second by MaxSim and BM25 but far ahead by pooled similarity rises.
        let pooled = [(1, 0.2), (2, 0.9), (3, 0.3), (4, 0.1)];
        let with = fuse(SearchMode::Hybrid, &semantic, &[], &pooled, 0.0);
        let s1 = (1.0 - POOLED_WEIGHT) + POOLED_WEIGHT * (0.1 / 0.8);
        assert!((with.iter().find(|f| f.0 == 1).unwrap().1 - s1).abs() < 1e-9);
        let s2 = (1.0 - POOLED_WEIGHT) * 11.0 / 20.0 + POOLED_WEIGHT;
        assert!((with.iter().find(|f| f.0 == 2).unwrap().1 - s2).abs() < 1e-9);
        // Never more than BM25 leaves: weights still sum to one.
        let heavy = fuse(SearchMode::Hybrid, &semantic, &[(1, 5.0)], &pooled, 0.9);
        let top = heavy.iter().find(|f| f.0 == 1).unwrap().1;
        assert!((top - (0.9 + 0.1 * (0.1 / 0.8))).abs() < 1e-9, "{heavy:?}");
    }

    #[test]
    fn identifier_shaped_words_raise_the_lexical_weight() {
        for q in [
            "get_page_range",
            "where is PageRangeError raised",
            "`pdf.reader` usage",
            "what does open() return",
            "std::fs::read",
            "parseHTTPResponse",
        ] {
            assert_eq!(lexical_weight(q), IDENTIFIER_LEXICAL_WEIGHT, "{q}");
        }
        for q in [
            "how are page ranges split",
            "Why does the reader fail?",
            "version 1.2 notes",
            "e.g. a slice",
            "_private",
            "HTTP",
        ] {
            assert_eq!(lexical_weight(q), LEXICAL_WEIGHT, "{q}");
        }
    }

    #[test]
    fn long_questions_weigh_bm25_more() {
        let short = "how are page ranges split";
        let long = "If I pass the tables option to flex without naming a file, what file are \
                    the serialized scanner tables written to by default?";
        let longer = format!("{long} Does the prefix option change that name or its folder?");
        assert_eq!(lexical_weight(short), LEXICAL_WEIGHT);
        let (w, w2) = (lexical_weight(long), lexical_weight(&longer));
        assert!(
            w > LEXICAL_WEIGHT && w <= LONG_QUESTION_LEXICAL_WEIGHT,
            "{w}"
        );
        assert!(w2 >= w && w2 == LONG_QUESTION_LEXICAL_WEIGHT, "{w2}");
        // An identifier keeps at least its own weight, whatever the length.
        assert_eq!(
            lexical_weight("where is PageRangeError raised"),
            IDENTIFIER_LEXICAL_WEIGHT
        );
        assert_eq!(
            lexical_weight(&format!("{longer} get_page_range")),
            LONG_QUESTION_LEXICAL_WEIGHT
        );
    }

    #[test]
    fn globs_match_like_sqlite() {
        let p = Path::new("/src/pkg/reader.py");
        assert!(path_matches(Some("*/pkg/*.py"), p));
        assert!(path_matches(Some("*reader*"), p));
        assert!(!path_matches(Some("*.md"), p));
        assert!(path_matches(None, p));
    }

    #[test]
    fn snippets_are_the_lines_sharing_most_query_words() {
        let text = "def f():\n    x = 1\n    # parse the page range\n    return page\n";
        let lines = best_lines(text, "page range parser", 2);
        assert_eq!(
            lines,
            [(2, "    # parse the page range"), (3, "    return page")]
        );
        assert!("x".parse::<SearchMode>().is_err());
        assert_eq!("lexical".parse::<SearchMode>(), Ok(SearchMode::Lexical));
    }

    #[test]
    fn a_page_marks_the_lines_sharing_most_query_words() {
        let lines = [
            "THE SIEGE OF VICKSBURG. 49",
            "however, did not last long; it became too",
            "the sieges of the city went on",
            "and the other lines of the page",
        ];
        assert_eq!(matching_lines(&lines, "siege of Vicksburg", 8), [0, 2]);
        assert_eq!(matching_lines(&lines, "siege of Vicksburg", 1), [0]);
        assert!(matching_lines(&lines, "of the", 8).is_empty());
        assert!(matching_lines(&lines, "unrelated words", 8).is_empty());
    }
}
