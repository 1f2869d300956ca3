//! `plait ask [code|docs] QUESTION`: an answer from the indexed code and documents,
//! streamed sentence by sentence with checked `[n]` citations, then the cited places.
//! Glue: the logic is `plait_ask::ask`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use plait_ask::{Answer, AskConfig, AskEvent, AskRequest, RoleGenerator};
use plait_summarize::{role_names, Llama, RoleRunner};

use crate::assets::Home;
use crate::commands::runtime;
use crate::commands::search::SearchFlags;
use crate::term;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Sources are retrieved as by `plait search` (same flags), packed into the role's \
context as numbered sources, and the answer cites them as [1], [2]. Every citation is \
checked: a number that was not a source, or a source that shares none of the sentence's \
distinctive words, is removed, and a sentence no source supports is left out. When the \
sources do not answer the question, plait says so and lists the closest sources."
)]
pub struct Args {
    /// Optional index (`code` or `docs`; both when neither) followed by the question
    #[arg(required = true, value_name = "QUESTION")]
    question: Vec<String>,
    #[command(flatten)]
    search: SearchFlags,
    /// Model role writing the answer (`plait models` lists them)
    #[arg(long, value_name = "NAME", default_value = role_names::FRONTDOOR)]
    role: String,
    /// Length of the answer in tokens [default: the role's max_tokens]
    #[arg(long, value_name = "N")]
    max_tokens: Option<usize>,
    /// Print one JSON object: answer, declined, sources (cited, as search hits), timings
    #[arg(long)]
    json: bool,
    /// Role file replacing the built-in roles by name [env: PLAIT_ROLES]
    #[arg(long, value_name = "FILE")]
    roles: Option<PathBuf>,
}

/// Loads the role that answers (its model once), refusing one that cannot run with the
/// reason and the fix.
pub fn load_role(home: &Home, roles: Option<&Path>, name: &str) -> Result<RoleRunner> {
    let registry = runtime::roles(home, roles)?;
    let role = registry.role(name)?;
    let llama = Llama::init()?;
    let plan = plait_summarize::plan_role(llama, name, role);
    if let Some(problem) = plan.problem {
        anyhow::bail!("model role `{name}` cannot run: {problem}");
    }
    RoleRunner::load(llama, name, role).with_context(|| format!("loading model role `{name}`"))
}

/// Refuses a root without a manifest before any model loads.
pub fn require_index(root: &Path) -> Result<()> {
    anyhow::ensure!(
        root.join("manifest.sqlite").is_file(),
        "{}",
        plait_ingest::IngestError::NoIndex {
            path: root.to_path_buf()
        }
    );
    Ok(())
}

pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    let (indexes, query) = args
        .search
        .query(&args.question, plait_ask::RETRIEVAL_MODE)?;
    let request = AskRequest {
        query,
        indexes,
        max_tokens: args.max_tokens,
    };
    request.validate()?;
    let root = args.search.root();
    require_index(&root)?;
    let service = runtime::search_service(home, &args.search.models, &root)?;
    let runner = load_role(home, args.roles.as_deref(), &args.role)?;
    let mut generator = RoleGenerator::new(runner.session()?);
    let mut stdout = std::io::stdout().lock();
    let mut write_err = None;
    let answer = plait_ask::ask(
        &service,
        &mut generator,
        &AskConfig::default(),
        &request,
        None,
        &mut |event| {
            if let (AskEvent::Sentence(s), false) = (event, args.json) {
                let text = format!("{}{}", term::text(&s.text), s.space);
                if let Err(e) = stdout
                    .write_all(text.as_bytes())
                    .and_then(|()| stdout.flush())
                {
                    write_err.get_or_insert(e);
                }
            }
        },
    )?;
    if let Some(e) = write_err {
        return Err(e).context("writing the answer to stdout");
    }
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&answer)?)?;
    } else {
        print_sources(&mut stdout, &answer)?;
        print_facts(&answer);
    }
    Ok(ExitCode::SUCCESS)
}

/// After the answer: the cited places, or the closest ones when it declined.
fn print_sources(out: &mut impl Write, answer: &Answer) -> Result<()> {
    let color = std::io::stdout().is_terminal();
    if answer.declined {
        writeln!(
            out,
            "{} ({})",
            answer.answer,
            answer.reason.as_deref().unwrap_or("")
        )?;
        if !answer.sources.is_empty() {
            writeln!(out, "Closest sources:")?;
        }
    } else {
        writeln!(out, "\n")?;
    }
    for s in &answer.sources {
        let place = format!(
            "{}{}",
            term::path(Path::new(&s.hit.path)),
            s.hit.place_suffix()
        );
        let symbol = s.hit.symbol.as_deref().map(term::line).unwrap_or_default();
        if color {
            writeln!(
                out,
                "[{}] \x1b[35m{place}\x1b[0m  \x1b[1m{symbol}\x1b[0m",
                s.number
            )?;
        } else {
            writeln!(out, "[{}] {place}  {symbol}", s.number)?;
        }
    }
    Ok(())
}

#[allow(clippy::print_stderr)]
fn print_facts(answer: &Answer) {
    let t = &answer.timings;
    let mut facts = vec![format!("retrieval {:.0} ms", t.retrieve_ms)];
    if let Some(ttft) = t.ttft_ms {
        facts.push(format!(
            "first token after {:.1} s ({} of {} prompt tokens reused)",
            ttft / 1e3,
            t.reused_prompt_tokens,
            t.prompt_tokens
        ));
        let mut f = format!(
            "{} tokens at {:.1} tok/s ({})",
            t.generated_tokens, t.tokens_per_second, t.strategy
        );
        if t.drafted > 0 {
            f.push_str(&format!(
                ", {:.0}% of drafts accepted",
                100.0 * t.accepted as f64 / t.drafted as f64
            ));
        }
        facts.push(f);
    }
    if !answer.dropped.is_empty() {
        facts.push(format!(
            "{} sentence(s) left out (no source supports them)",
            answer.dropped.len()
        ));
    }
    eprintln!("plait ask: {}", facts.join("; "));
}
