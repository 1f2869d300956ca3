//! `plait search [code|docs] QUERY`: semantic, lexical or hybrid search over one index
//! or both.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use plait_ingest::search::best_lines;
use plait_ingest::{IndexName, Query, SearchMode};

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

pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    let first = args.query.first().map(|w| w.parse::<IndexName>());
    let (indexes, words): (Vec<IndexName>, &[String]) = match first {
        Some(Ok(name)) if args.query.len() > 1 => (vec![name], &args.query[1..]),
        _ => (IndexName::ALL.to_vec(), &args.query[..]),
    };
    let query = Query {
        k: args.k,
        path_glob: args.path.clone(),
        language: args.lang.clone(),
        mode: args.mode,
        ..Query::new(words.join(" "))
    };
    // A bad query is refused before any model loads.
    query.validate()?;
    let root = runtime::index_root(args.index_dir.clone());
    let service = runtime::search_service(home, &args.models, &root)?;
    let hits = service.search_all(&indexes, &query)?;
    let text = &query.text;
    let mut out = std::io::stdout().lock();
    let color = std::io::stdout().is_terminal() && !args.json;
    for h in &hits {
        if args.json {
            writeln!(out, "{}", serde_json::to_string(h)?)?;
            continue;
        }
        let path = std::path::Path::new(&h.path);
        let place = match (h.start_line.zip(h.end_line), h.page) {
            (Some((a, b)), _) => format!("{}:{a}-{b}", term::path(path)),
            (None, Some(p)) => format!("{} p.{p}", term::path(path)),
            _ => term::path(path),
        };
        let symbol = match (&h.symbol, &h.container) {
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
        let first = h.start_line.unwrap_or(1);
        for (i, line) in best_lines(&h.text, text, 3) {
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
