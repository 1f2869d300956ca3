//! `plait search [code|docs] QUERY`: late-interaction search over one index or both.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use plait_colbert::{Encoder, Index, SearchParams};
use plait_ingest::manifest::{ChunkRecord, Manifest};
use plait_ingest::{CODE, DOCS};

use crate::assets::Home;
use crate::commands::runtime;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Optional index (`code` or `docs`) followed by the query words
    #[arg(required = true, value_name = "QUERY")]
    query: Vec<String>,
    /// Number of results
    #[arg(short, long, default_value_t = 10)]
    k: usize,
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

struct Hit {
    index: &'static str,
    score: f32,
    chunk: ChunkRecord,
}

/// Whether `path` matches the glob, the way SQLite's GLOB does for the filter (a content
/// can sit at several paths; only matching locations are shown).
fn glob_ok(glob: Option<&str>, path: &std::path::Path) -> bool {
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

pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    let (indexes, words): (Vec<&'static str>, &[String]) =
        match args.query.first().map(String::as_str) {
            Some("code") if args.query.len() > 1 => (vec![CODE], &args.query[1..]),
            Some("docs") if args.query.len() > 1 => (vec![DOCS], &args.query[1..]),
            _ => (vec![CODE, DOCS], &args.query[..]),
        };
    let query = words.join(" ");
    anyhow::ensure!(!query.trim().is_empty(), "the query is empty");
    let root = runtime::index_root(args.index_dir.clone());
    let manifest = Manifest::open(&root)?;
    let encoders = runtime::Encoders::load(home, &args.models)?;
    let mut queries: Vec<(String, plait_colbert::TokenEmbeddings)> = Vec::new();
    let params = SearchParams {
        k: args.k.clamp(1, 1000),
        ..SearchParams::default()
    };
    let mut hits = Vec::new();
    for name in indexes {
        let dir = root.join(name);
        let index = match Index::open(&dir) {
            Ok(i) => i,
            Err(plait_colbert::ColbertError::NoIndex { .. }) => continue,
            Err(e) => return Err(e).with_context(|| format!("opening {}", dir.display())),
        };
        let encoder: &dyn Encoder = if name == CODE {
            &*encoders.code
        } else {
            &*encoders.docs
        };
        let model = encoder.model_name();
        if let Some(built_with) = &index.manifest().model {
            anyhow::ensure!(
                *built_with == model,
                "{} was built with the encoder `{built_with}` but `{model}` is configured: \
                 pass --{name}-model with that model's directory",
                dir.display()
            );
        }
        if !queries.iter().any(|(m, _)| *m == model) {
            let q = encoder.encode_queries(&[&query])?.remove(0);
            queries.push((model.clone(), q));
        }
        let q = &queries.iter().find(|(m, _)| *m == model).map(|(_, q)| q);
        let Some(q) = q else { continue };
        let filter: Option<std::collections::HashSet<u64>> =
            if args.path.is_some() || args.lang.is_some() {
                let lang = args.lang.as_deref().map(str::to_lowercase);
                Some(
                    manifest
                        .keys_matching(name, args.path.as_deref(), lang.as_deref())?
                        .into_iter()
                        .collect(),
                )
            } else {
                None
            };
        if filter.as_ref().is_some_and(|f| f.is_empty()) {
            continue;
        }
        for h in index.search(q, &params, filter.as_ref())? {
            for chunk in manifest.chunks_of(name, h.key)? {
                let lang_ok = args.lang.as_deref().is_none_or(|l| {
                    chunk
                        .language
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(l))
                });
                if !lang_ok || !glob_ok(args.path.as_deref(), &chunk.path) {
                    continue;
                }
                hits.push(Hit {
                    index: name,
                    score: h.score,
                    chunk,
                });
            }
        }
    }
    anyhow::ensure!(
        root.join(CODE).join("CURRENT").exists() || root.join(DOCS).join("CURRENT").exists(),
        "no index in {}: run `plait ingest DIR` first",
        root.display()
    );
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    hits.truncate(params.k);
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
                "kind": c.kind,
                "score": h.score,
                "text": c.text,
            });
            writeln!(out, "{v}")?;
            continue;
        }
        let place = match (c.lines, c.page) {
            (Some((a, b)), _) => format!("{}:{a}-{b}", c.path.display()),
            (None, Some(p)) => format!("{} p.{p}", c.path.display()),
            _ => c.path.display().to_string(),
        };
        let symbol = c.symbol.as_deref().unwrap_or("");
        if color {
            writeln!(
                out,
                "\x1b[35m{place}\x1b[0m  \x1b[1m{symbol}\x1b[0m  \x1b[32m{:.2}\x1b[0m",
                h.score
            )?;
        } else {
            writeln!(out, "{place}  {symbol}  {:.2}", h.score)?;
        }
        for line in c.text.lines().filter(|l| !l.trim().is_empty()).take(3) {
            writeln!(out, "    {}", line.trim_end())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
