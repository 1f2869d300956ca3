//! `plait eval SET --corpus DIR`: ingest the corpus a labelled query set refers to, then
//! score a plain BM25 baseline and every search mode with recall@10, MRR@10 and nDCG@10
//! (and time the queries).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use plait_ingest::eval::{mean, ranked_files, score, EvalQuery, EvalSet, Scores};
use plait_ingest::lexical::baseline::Bm25Baseline;
use plait_ingest::{
    ChunkBudget, DiscoverConfig, Hit, IndexName, IngestConfig, Ingester, Query, SearchMode,
    SearchService,
};

use crate::assets::Home;
use crate::commands::runtime;

/// Chunks retrieved per query before reducing them to distinct files.
const RETRIEVE: usize = 50;

/// Depth of the `--fidelity` comparison.
const FIDELITY_K: usize = 10;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Labelled query set (TOML), e.g. tests/eval/pypdf.toml
    #[arg(value_name = "SET")]
    set: PathBuf,
    /// The corpus folder the labels refer to; it is ingested (incrementally) first
    #[arg(long, value_name = "DIR")]
    corpus: PathBuf,
    /// Index root for the corpus [default: ./indexes]
    #[arg(long, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    /// Modes to score, comma-separated [default: semantic,lexical,hybrid; with --ask:
    /// the mode `plait ask` retrieves with]
    #[arg(long, value_delimiter = ',', value_parser = runtime::parse_mode)]
    modes: Vec<SearchMode>,
    /// Chunks retrieved per query (reduced to distinct files before scoring)
    #[arg(short, long, default_value_t = RETRIEVE)]
    k: usize,
    /// BM25's weight in the hybrid rows (0 to 1) instead of the one chosen by each
    /// query's words: to study fusion
    #[arg(long, value_name = "W")]
    lexical_weight: Option<f64>,
    /// Also print each query's scores
    #[arg(long)]
    verbose: bool,
    /// Print the scores as one JSON object
    #[arg(long)]
    json: bool,
    /// Also print PLAID's fidelity: the mean share of each query's exhaustive top-10
    /// (exact MaxSim over the same compressed vectors) that the default search returns
    #[arg(long)]
    fidelity: bool,
    /// SET is an ask set (tests/eval/ask.toml): answer each question with `plait ask`
    /// (retrieving with the first mode of --modes) and score answers, citations, declines, time to
    /// first token and tokens/s
    #[arg(long)]
    pub ask: bool,
    /// With --ask: score retrieval alone, no model: where the first chunk at a labelled
    /// place comes in each mode (--modes) and in plain BM25 (MRR@10, first, top 5, top 10)
    #[arg(long, requires = "ask")]
    pub retrieval: bool,
    /// With --ask: search both indexes for every question, as `plait ask QUESTION` does,
    /// whichever index the set labels it with
    #[arg(long, requires = "ask")]
    pub any_index: bool,
    /// With --ask: the model role answering
    #[arg(long, value_name = "NAME", default_value = plait_summarize::role_names::FRONTDOOR)]
    pub role: String,
    /// With --ask: answer length in tokens [default: the role's max_tokens]
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<usize>,
    /// With --ask: role file replacing the built-in roles by name [env: PLAIT_ROLES]
    #[arg(long, value_name = "FILE")]
    pub roles: Option<PathBuf>,
    /// With --ask: compare decoding speed of these roles (comma-separated; the first is
    /// the baseline) on the set's answerable questions instead of scoring answers
    #[arg(long, value_delimiter = ',', value_name = "ROLES")]
    pub compare_roles: Vec<String>,
    /// With --ask: only the first N questions (answerable ones with --compare-roles)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[command(flatten)]
    models: runtime::ModelOpts,
}

impl Args {
    pub fn set(&self) -> &Path {
        &self.set
    }
    pub fn json(&self) -> bool {
        self.json
    }
    /// The mode answers retrieve with: the first of --modes, else `plait ask`'s own.
    pub fn ask_mode(&self) -> SearchMode {
        self.modes
            .first()
            .copied()
            .unwrap_or(plait_ask::RETRIEVAL_MODE)
    }
    /// BM25's weight in hybrid rows, when --lexical-weight gives it.
    pub fn lexical_weight(&self) -> Option<f64> {
        self.lexical_weight
    }
    /// The modes scored: --modes, else semantic, lexical and hybrid.
    pub fn modes(&self) -> Vec<SearchMode> {
        if self.modes.is_empty() {
            vec![
                SearchMode::Semantic,
                SearchMode::Lexical,
                SearchMode::Hybrid,
            ]
        } else {
            self.modes.clone()
        }
    }
}

/// Ingests `corpus` (incrementally) into the index root of `args`; returns the encoders
/// (for the search service), the root and the corpus's canonical path.
#[allow(clippy::print_stderr)]
pub fn ingest_corpus(
    home: &Home,
    args: &Args,
    corpus_name: &str,
) -> Result<(runtime::Encoders, PathBuf, PathBuf)> {
    anyhow::ensure!(
        args.corpus.is_dir(),
        "{} is not a folder: give the corpus of {} (`{corpus_name}`)",
        args.corpus.display(),
        args.set.display(),
    );
    let corpus = std::fs::canonicalize(&args.corpus)?;
    let root = runtime::index_root(args.index_dir.clone());
    let encoders = runtime::Encoders::load(home, &args.models)?;
    let reader = runtime::PdfReader::load(home)?;
    let pdf = reader.pdf_text();
    let config = IngestConfig {
        index_root: root.clone(),
        discover: DiscoverConfig::default(),
        budget: ChunkBudget::default(),
        index: plait_colbert::IndexConfig::default(),
    };
    let started = Instant::now();
    let report = Ingester::new(config, &*encoders.code, &*encoders.docs, Some(&pdf))
        .with_cancel(runtime::stop_flag())
        .run(std::slice::from_ref(&corpus), &|_| {})?;
    anyhow::ensure!(!report.cancelled, "stopped while ingesting the corpus");
    eprintln!(
        "plait eval: corpus {} in {}: {} files, {} chunks encoded, {} reused ({:.1} s)",
        corpus.display(),
        root.display(),
        report.files_added + report.files_changed + report.files_unchanged,
        report.chunks_encoded,
        report.chunks_reused,
        started.elapsed().as_secs_f64()
    );
    Ok((encoders, root, corpus))
}

#[allow(clippy::print_stderr)]
pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.set)
        .with_context(|| format!("reading {}", args.set.display()))?;
    if args.ask {
        return crate::commands::eval_ask::run(home, args, &text);
    }
    let set =
        EvalSet::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.set.display()))?;
    let (encoders, root, corpus) = ingest_corpus(home, args, &set.corpus)?;
    // Many searches: the full-text index is read into memory once, before any is timed.
    let service = encoders.search_service(&root).resident_lexical();
    service.load_lexical();
    let mut out = std::io::stdout().lock();
    let mut results = serde_json::Map::new();
    if !args.json {
        writeln!(
            out,
            "{} queries from {} ({})\nmode       recall@10  MRR@10  nDCG@10   ms/query (mean, p95)",
            set.query.len(),
            args.set.display(),
            set.corpus
        )?;
    }
    // The plain BM25 baseline (whole functions and pages), built once per index.
    let mut baselines = HashMap::new();
    for q in &set.query {
        let index: IndexName = q.index.parse().map_err(anyhow::Error::msg)?;
        if let std::collections::hash_map::Entry::Vacant(e) = baselines.entry(index) {
            e.insert(service.bm25_baseline(index)?);
        }
    }
    let searcher = RowSearcher {
        service: &service,
        baselines: &baselines,
        corpus: &corpus,
        args,
    };
    let mut rows: Vec<Option<SearchMode>> = vec![None];
    rows.extend(args.modes().into_iter().map(Some));
    for row in rows {
        let label = row.map_or_else(|| "bm25".to_string(), |m| m.to_string());
        let (per_query, mut times, details) = searcher.row(&mut out, &set, row, &label)?;
        let m = mean(&per_query);
        let (mean_ms, p95) = mean_and_p95(&mut times);
        if args.json {
            results.insert(
                label,
                serde_json::json!({
                    "recall_at_10": m.recall,
                    "mrr_at_10": m.reciprocal_rank,
                    "ndcg_at_10": m.ndcg,
                    "mean_ms": mean_ms,
                    "p95_ms": p95,
                    "queries": details,
                }),
            );
        } else {
            writeln!(
                out,
                "{label:<10} {:>9.3}  {:>6.3}  {:>7.3}   {mean_ms:.1}, {p95:.1}",
                m.recall, m.reciprocal_rank, m.ndcg
            )?;
        }
    }
    let mut fidelity = serde_json::Value::Null;
    if args.fidelity {
        let (mean, n) = mean_fidelity(&service, &set)?;
        if args.json {
            fidelity = serde_json::json!({ "top10_overlap": mean, "queries": n });
        } else {
            writeln!(
                out,
                "PLAID top-{FIDELITY_K} vs exhaustive MaxSim (same compressed vectors, default settings): mean overlap {mean:.3} over {n} queries"
            )?;
        }
    }
    if args.json {
        let v = serde_json::json!({
            "set": args.set,
            "corpus": set.corpus,
            "queries": set.query.len(),
            "modes": results,
            "fidelity": fidelity,
        });
        writeln!(out, "{v}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// What scoring one row of the table needs: the search service, the BM25 baselines and
/// the corpus the labelled paths are under.
struct RowSearcher<'a> {
    service: &'a SearchService,
    baselines: &'a HashMap<IndexName, Bm25Baseline>,
    corpus: &'a Path,
    args: &'a Args,
}

/// Per query of a row: its scores, its time in ms and its JSON detail.
type RowRun = (Vec<Scores>, Vec<f64>, Vec<serde_json::Value>);

impl RowSearcher<'_> {
    /// Every query of `set` searched in `row` (a mode, or the BM25 baseline when `None`)
    /// and scored; with `--verbose`, a line per query.
    fn row(
        &self,
        out: &mut impl Write,
        set: &EvalSet,
        row: Option<SearchMode>,
        label: &str,
    ) -> Result<RowRun> {
        let args = self.args;
        let mut per_query: Vec<Scores> = Vec::new();
        let mut times = Vec::new();
        let mut details = Vec::new();
        for q in &set.query {
            let index: IndexName = q.index.parse().map_err(anyhow::Error::msg)?;
            let t = Instant::now();
            let (files, hits) = row_files(
                self.service,
                self.baselines,
                self.corpus,
                args,
                row,
                q,
                index,
            )?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            let s = score(&files, &q.relevant);
            per_query.push(s);
            details.push(query_detail(q, &s, &files, &hits));
            if args.verbose && !args.json {
                writeln!(
                    out,
                    "  {label:<8} {:>5.2} {:>5.2} {:>5.2}  {}  -> {}",
                    s.recall,
                    s.reciprocal_rank,
                    s.ndcg,
                    q.text,
                    files.first().map_or("(nothing)", String::as_str)
                )?;
            }
        }
        Ok((per_query, times, details))
    }
}

/// The files one labelled query ranks first in `row` (a search mode, or the plain BM25
/// baseline when `None`), as paths under `corpus`, and the hits of a search mode.
fn row_files(
    service: &SearchService,
    baselines: &HashMap<IndexName, Bm25Baseline>,
    corpus: &Path,
    args: &Args,
    row: Option<SearchMode>,
    q: &EvalQuery,
    index: IndexName,
) -> Result<(Vec<String>, Vec<Hit>)> {
    Ok(match row {
        Some(mode) => {
            let query = Query {
                k: args.k,
                mode,
                lexical_weight: args.lexical_weight,
                ..Query::new(q.text.as_str())
            };
            let hits = service.search(index, &query)?;
            (ranked_files(&hits, corpus), hits)
        }
        None => {
            let prefix = format!("{}/", corpus.display());
            let files = baselines[&index]
                .ranked_paths(&q.text, args.k)
                .into_iter()
                .map(|p| p.strip_prefix(&prefix).map_or(p.clone(), str::to_string))
                .collect();
            (files, Vec::new())
        }
    })
}

/// One query's scores, its top files and every hit retrieved, without its text: enough
/// to study or re-rank offline.
fn query_detail(q: &EvalQuery, s: &Scores, files: &[String], hits: &[Hit]) -> serde_json::Value {
    serde_json::json!({
        "query": q.text,
        "index": q.index,
        "scores": s,
        "top": files.iter().take(3).collect::<Vec<_>>(),
        "hits": hits.iter().map(|h| {
            let mut v = serde_json::to_value(h).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.remove("text");
            }
            v
        }).collect::<Vec<_>>(),
    })
}

/// The mean and 95th percentile of `times` (sorted in place).
fn mean_and_p95(times: &mut [f64]) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let p95 = times
        .get(((times.len().max(1) - 1) as f64 * 0.95).round() as usize)
        .copied()
        .unwrap_or(0.0);
    (mean, p95)
}

/// PLAID's mean top-10 overlap with exhaustive MaxSim over the set's queries, and how
/// many queries had an index to measure.
fn mean_fidelity(service: &SearchService, set: &EvalSet) -> Result<(f64, usize)> {
    let (mut sum, mut n) = (0f64, 0usize);
    for q in &set.query {
        let index: IndexName = q.index.parse().map_err(anyhow::Error::msg)?;
        if let Some(f) = service.plaid_fidelity(index, &q.text, FIDELITY_K)? {
            sum += f;
            n += 1;
        }
    }
    Ok((sum / n.max(1) as f64, n))
}
