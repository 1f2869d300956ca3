//! `plait search [code|docs] QUERY`: semantic, lexical or hybrid search over one index
//! or both.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

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
    #[command(flatten)]
    search: SearchFlags,
    /// One JSON object per result line
    #[arg(long)]
    json: bool,
    /// Print where the time went (model load, index open, search, output) to stderr
    #[arg(long)]
    timings: bool,
}

/// How one CLI search loads the encoder: all rewrites (as every other door, so the
/// CLI's scores are the server's) from the cache of optimised graphs, without spinning
/// threads. `scripts/bench-search-cold` compares other settings
/// through `PLAIT_ORT_OPTIMIZATION=all|basic`, `PLAIT_ORT_CACHE=on|off` and
/// `PLAIT_ORT_SPIN=on|off`.
fn cli_load_options() -> Result<runtime::LoadOptions> {
    let optimization = match std::env::var("PLAIT_ORT_OPTIMIZATION").as_deref() {
        Err(_) | Ok("all") => plait_colbert::Optimization::All,
        Ok("basic") => plait_colbert::Optimization::Basic,
        Ok(other) => anyhow::bail!("PLAIT_ORT_OPTIMIZATION={other}: use all or basic"),
    };
    let switch = |name: &str, default: bool| -> Result<bool> {
        match std::env::var(name).as_deref() {
            Err(_) => Ok(default),
            Ok("on") => Ok(true),
            Ok("off") => Ok(false),
            Ok(other) => anyhow::bail!("{name}={other}: use on or off"),
        }
    };
    Ok(runtime::LoadOptions {
        optimization,
        cache: switch("PLAIT_ORT_CACHE", true)?,
        spinning: switch("PLAIT_ORT_SPIN", false)?,
    })
}

/// Stage times of one command, printed to stderr with `--timings`.
struct Stages {
    on: bool,
    /// When the command started: the total is the wall time since, as some stages
    /// overlap (the tokenizer loads beside the encoder session).
    started: Instant,
    lap: Instant,
    rows: Vec<(&'static str, Duration)>,
}

impl Stages {
    fn new(on: bool) -> Self {
        Self {
            on,
            started: Instant::now(),
            lap: Instant::now(),
            rows: Vec::new(),
        }
    }

    fn lap(&mut self, name: &'static str) {
        self.rows.push((name, self.lap.elapsed()));
        self.lap = Instant::now();
    }

    #[allow(clippy::print_stderr)]
    fn print(&self) {
        if !self.on {
            return;
        }
        let total = self.started.elapsed();
        for (name, d) in &self.rows {
            eprintln!("timing {:<22} {:>8.1} ms", name, d.as_secs_f64() * 1e3);
        }
        eprintln!(
            "timing {:<22} {:>8.1} ms",
            "in main (total)",
            total.as_secs_f64() * 1e3
        );
    }
}

/// The flags of a search, shared by `plait search` and `plait ask`.
#[derive(Debug, clap::Args)]
pub struct SearchFlags {
    /// Number of results (1 to 100)
    #[arg(short, long, default_value_t = plait_ingest::DEFAULT_K)]
    pub k: usize,
    /// Ranking: hybrid (ColBERT and BM25 scores fused, tests and change logs lowered),
    /// semantic (ColBERT) or lexical (BM25 over text, symbols and paths); `plait eval`
    /// scores all three [default: hybrid]
    #[arg(long, value_parser = runtime::parse_mode)]
    pub mode: Option<SearchMode>,
    /// Index root holding code/, docs/ and manifest.sqlite [default: ./indexes]
    #[arg(long, value_name = "DIR")]
    pub index_dir: Option<PathBuf>,
    /// Only files whose path matches this glob (`*` and `?` match `/` too), e.g. '*/src/*.py'
    #[arg(long, value_name = "GLOB")]
    pub path: Option<String>,
    /// Only code in this language (python, rust, ...)
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    #[command(flatten)]
    pub models: runtime::ModelOpts,
}

impl SearchFlags {
    /// The indexes named by the first word (`code` or `docs`; both when it is neither)
    /// and the query of the remaining words, validated (a bad query is refused before
    /// any model loads).
    /// `default_mode` ranks when `--mode` is not given.
    pub fn query(
        &self,
        words: &[String],
        default_mode: SearchMode,
    ) -> Result<(Vec<IndexName>, Query)> {
        let first = words.first().map(|w| w.parse::<IndexName>());
        let (indexes, words): (Vec<IndexName>, &[String]) = match first {
            Some(Ok(name)) if words.len() > 1 => (vec![name], &words[1..]),
            _ => (IndexName::ALL.to_vec(), words),
        };
        let query = Query {
            k: self.k,
            path_glob: self.path.clone(),
            language: self.lang.clone(),
            mode: self.mode.unwrap_or(default_mode),
            ..Query::new(words.join(" "))
        };
        query.validate()?;
        Ok((indexes, query))
    }

    /// The index root.
    pub fn root(&self) -> PathBuf {
        runtime::index_root(self.index_dir.clone())
    }
}

pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    let mut stages = Stages::new(args.timings);
    let (indexes, query) = args.search.query(&args.query, SearchMode::default())?;
    let root = args.search.root();
    stages.lap("arguments");
    let encoders = runtime::Encoders::load_with(home, &args.search.models, cli_load_options()?)?;
    stages.lap = Instant::now();
    stages.rows.extend(encoders.load_times.iter().copied());
    let service = encoders.search_service(&root);
    service.open_manifest()?;
    stages.lap("manifest open");
    service.open_indexes(&indexes)?;
    stages.lap("index open (mmap)");
    let hits = service.search_all(&indexes, &query)?;
    stages.lap("search");
    print_hits(args, &hits, &query.text)?;
    stages.lap("print");
    stages.print();
    // The process exits next: the encoders' session and tokenizer (tens of MB in many
    // allocations) are left to the OS rather than freed one by one. The service (its
    // SQLite connection) closes as usual.
    drop(service);
    std::mem::forget(encoders);
    Ok(ExitCode::SUCCESS)
}

fn print_hits(args: &Args, hits: &[plait_ingest::Hit], text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let color = std::io::stdout().is_terminal() && !args.json;
    for h in hits {
        if args.json {
            writeln!(out, "{}", serde_json::to_string(h)?)?;
            continue;
        }
        let place = format!(
            "{}{}",
            term::path(std::path::Path::new(&h.path)),
            h.place_suffix()
        );
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
    out.flush()?;
    Ok(())
}
