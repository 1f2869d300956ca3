//! `plait search [code|docs] QUERY`: semantic, lexical or hybrid search over one index
//! or both.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use plait_colbert::{Encoder, Index, SearchParams};
use plait_ingest::manifest::Manifest;
use plait_ingest::search::best_lines;
use plait_ingest::{search_index, Hit, Query, SearchMode, CODE, DOCS};

use crate::assets::Home;
use crate::commands::runtime;
use crate::term;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Optional index (`code` or `docs`) followed by the query words
    #[arg(required = true, value_name = "QUERY")]
    query: Vec<String>,
    /// Number of results (1 to 100)
    #[arg(short, long, default_value_t = 10)]
    k: usize,
    /// Ranking: semantic (ColBERT), lexical (BM25 over text, symbols and paths), or
    /// hybrid (both, fused by reciprocal rank); `plait eval` scores all three
    #[arg(long, default_value_t = SearchMode::Semantic, value_parser = runtime::parse_mode)]
    mode: SearchMode,
    /// Index root holding code/, docs/ and manifest.sqlite [default: ./indexes]
    #[arg(long, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    /// Only files whose path matches this glob (`*` and `?` match `/` too), e.g. '*/src/*.py'
    #[arg(long, value_name = "GLOB")]
    path: Option<String>,
    /// Only code in this language (python, rust, ...)
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,
    /// One JSON object per result line
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    models: runtime::ModelOpts,
}

/// Runs `query` over the named indexes of `root`, merged by score, best first.
pub fn search_root(
    root: &std::path::Path,
    indexes: &[&str],
    encoders: &runtime::Encoders,
    query: &Query<'_>,
) -> Result<Vec<Hit>> {
    query.validate()?;
    let manifest = Manifest::open_existing(root)?;
    let mut hits = Vec::new();
    let mut any = false;
    for &name in indexes {
        let dir = root.join(name);
        let index = match Index::open(&dir) {
            Ok(i) => Some(i),
            Err(plait_colbert::ColbertError::NoIndex { .. }) => None,
            Err(e) => return Err(e).with_context(|| format!("opening {}", dir.display())),
        };
        any |= index.is_some();
        let encoder: &dyn Encoder = if name == CODE {
            &*encoders.code
        } else {
            &*encoders.docs
        };
        hits.extend(search_index(
            &manifest,
            name,
            index.as_ref(),
            encoder,
            query,
        )?);
    }
    anyhow::ensure!(
        any,
        "no index in {}: run `plait ingest DIR` first",
        root.display()
    );
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    hits.truncate(query.k.min(plait_ingest::MAX_K));
    Ok(hits)
}

pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    let (indexes, words): (Vec<&'static str>, &[String]) =
        match args.query.first().map(String::as_str) {
            Some("code") if args.query.len() > 1 => (vec![CODE], &args.query[1..]),
            Some("docs") if args.query.len() > 1 => (vec![DOCS], &args.query[1..]),
            _ => (vec![CODE, DOCS], &args.query[..]),
        };
    let text = words.join(" ");
    anyhow::ensure!(!text.trim().is_empty(), "the query is empty");
    let root = runtime::index_root(args.index_dir.clone());
    let encoders = runtime::Encoders::load(home, &args.models)?;
    let query = Query {
        text: &text,
        k: args.k,
        path_glob: args.path.as_deref(),
        language: args.lang.as_deref(),
        mode: args.mode,
        params: SearchParams::default(),
    };
    let hits = search_root(&root, &indexes, &encoders, &query)?;
    let mut out = std::io::stdout().lock();
    let color = std::io::stdout().is_terminal() && !args.json;
    for h in &hits {
        let c = &h.chunk;
        if args.json {
            let v = serde_json::json!({
                "index": h.index,
                "path": c.path,
                "start_line": c.lines.map(|l| l.0),
                "end_line": c.lines.map(|l| l.1),
                "page": c.page,
                "symbol": c.symbol,
                "container": c.container,
                "kind": c.kind,
                "language": c.language,
                "score": h.score,
                "semantic_rank": h.semantic_rank,
                "lexical_rank": h.lexical_rank,
                "text": c.text,
            });
            writeln!(out, "{v}")?;
            continue;
        }
        let place = match (c.lines, c.page) {
            (Some((a, b)), _) => format!("{}:{a}-{b}", term::path(&c.path)),
            (None, Some(p)) => format!("{} p.{p}", term::path(&c.path)),
            _ => term::path(&c.path),
        };
        let symbol = match (&c.symbol, &c.container) {
            (Some(s), Some(k)) => format!("{s} (in {k})"),
            (Some(s), None) => s.clone(),
            _ => String::new(),
        };
        let symbol = term::line(&symbol);
        if color {
            writeln!(
                out,
                "\x1b[35m{place}\x1b[0m  \x1b[1m{symbol}\x1b[0m  \x1b[32m{:.3}\x1b[0m",
                h.score
            )?;
        } else {
            writeln!(out, "{place}  {symbol}  {:.3}", h.score)?;
        }
        let first = c.lines.map_or(1, |l| l.0);
        for (i, line) in best_lines(&c.text, &text, 3) {
            let line = term::line(line.trim_end());
            if color {
                writeln!(out, "  \x1b[2m{:>5}\x1b[0m {line}", first + i)?;
            } else {
                writeln!(out, "  {:>5} {line}", first + i)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
