//! `plait summarize FILE`: an executive summary of a PDF, Markdown or text file with page
//! (or line) citations, streamed as it is written.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use plait_summarize::{
    role_names, Document, Llama, Role, RoleRunner, Summarizer, Summary, SummaryConfig, SummaryEvent,
};

use crate::assets::Home;
use crate::commands::runtime;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A PDF, Markdown or text file
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Role writing the summary (one pass, or the final reduce)
    #[arg(long, value_name = "NAME", default_value = role_names::LONG_CONTEXT)]
    role: String,
    /// Role summarizing chunks in the map phase of long documents
    #[arg(long, value_name = "NAME", default_value = role_names::WORKER)]
    worker_role: String,
    /// Length of the summary in tokens [default: the role's max_tokens]
    #[arg(long, value_name = "N")]
    max_tokens: Option<usize>,
    /// Share of a long document's sentences the map phase reads, the most informative
    /// first: lower is faster, 1 reads everything [default: 0.5]
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    map_share: Option<f64>,
    /// CPU threads for every role [default: each role's setting]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..=256))]
    threads: Option<i32>,
    /// Also write the summary to FILE (Markdown)
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print one JSON object: summary, cited sentences, timings, tokens/s, acceptance
    #[arg(long)]
    json: bool,
    /// Role file replacing the built-in roles by name [env: PLAIT_ROLES]
    #[arg(long, value_name = "FILE")]
    roles: Option<PathBuf>,
}

fn parse_share(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(format!("{s} is not a share between 0 (exclusive) and 1")),
    }
}

fn read_document(home: &Home, file: &std::path::Path) -> Result<Document> {
    read_document_with(file, || runtime::PdfReader::load(home))
}

/// The document to summarize: a PDF's pages (through `reader`, called only for a PDF),
/// or a UTF-8 text or Markdown file.
pub(crate) fn read_document_with<R: std::borrow::Borrow<runtime::PdfReader>>(
    file: &std::path::Path,
    reader: impl FnOnce() -> Result<R>,
) -> Result<Document> {
    let meta =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    anyhow::ensure!(meta.is_file(), "{} is not a file", file.display());
    let is_pdf = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if is_pdf {
        let reader = reader()?;
        let (pages, title) = runtime::pdf_pages(reader.borrow(), file)?;
        Ok(Document::from_pages(file, title, pages))
    } else {
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            anyhow::anyhow!(
                "{} is not UTF-8 text; plait summarize reads PDF, Markdown and text files",
                file.display()
            )
        })?;
        Ok(Document::from_text(file, &text))
    }
}

/// The roles writing a summary, from the registry (`--roles`, `$PLAIT_ROLES`, the
/// user's file), with every role's threads set to `threads` when given.
pub(crate) struct SummaryRoles {
    pub summarizer: Role,
    pub worker: Role,
}

impl SummaryRoles {
    pub(crate) fn load(
        home: &Home,
        roles: Option<&std::path::Path>,
        names: (&str, &str),
        threads: Option<i32>,
    ) -> Result<Self> {
        let mut registry = runtime::roles(home, roles)?;
        if let Some(t) = threads {
            for role in registry.roles.values_mut() {
                role.threads = t;
            }
        }
        Ok(Self {
            summarizer: registry.role(names.0)?.clone(),
            worker: registry.role(names.1)?.clone(),
        })
    }

    /// Loads the models (a file shared by both roles once): (summarizer, worker).
    pub(crate) fn runners(&self, names: (&str, &str)) -> Result<(RoleRunner, RoleRunner)> {
        let llama = Llama::init()?;
        let mut runners = RoleRunner::load_all(
            llama,
            &[(names.0, &self.summarizer), (names.1, &self.worker)],
        )?;
        let worker = runners.pop().context("the worker role")?;
        let summarizer = runners.pop().context("the summarizer role")?;
        Ok((summarizer, worker))
    }
}

pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    let names = (args.role.as_str(), args.worker_role.as_str());
    let roles = SummaryRoles::load(home, args.roles.as_deref(), names, args.threads)?;
    let summarizer_role = roles.summarizer.clone();
    // Arguments are checked before any work starts.
    check_args(args, &summarizer_role)?;
    let doc = read_document(home, &args.file)?;
    // The summarizer and the worker share a model file by default: it is loaded once.
    let (summarizer, worker) = roles.runners(names)?;
    let worker_ref = &worker;
    for r in [&summarizer, worker_ref] {
        if r.plan.speculation.used == "plain" && r.plan.speculation.requested != "none" {
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "plait summarize: role {}: {}",
                    r.name, r.plan.speculation.reason
                );
            }
        }
    }

    let terminal = std::io::stderr().is_terminal();
    let bar = runtime::progress_bar(args.json);
    let plain_progress = !terminal && !args.json;
    let mut stdout = std::io::stdout().lock();
    let mut write_err = None;
    let summary = Summarizer {
        summarizer: &summarizer,
        worker: worker_ref,
    }
    .summarize(
        &doc,
        &SummaryConfig {
            max_tokens: args.max_tokens,
            note_tokens: None,
            map_share: args.map_share,
        },
        |event| match event {
            SummaryEvent::MapStart { chunks } => {
                bar.set_message("map");
                bar.set_length(chunks as u64);
                bar.set_position(0);
            }
            SummaryEvent::MapDone { done, of, label } => {
                bar.set_position(done as u64);
                if plain_progress {
                    #[allow(clippy::print_stderr)]
                    {
                        eprintln!("plait summarize: summarized {label} ({done}/{of})");
                    }
                }
            }
            SummaryEvent::FinalStart { .. } => bar.finish_and_clear(),
            SummaryEvent::Text(piece) => {
                if !args.json {
                    if let Err(e) = stdout
                        .write_all(piece.as_bytes())
                        .and_then(|()| stdout.flush())
                    {
                        write_err.get_or_insert(e);
                    }
                }
            }
        },
    )?;
    if let Some(e) = write_err {
        return Err(e).context("writing the summary to stdout");
    }
    if let Some(out) = &args.out {
        let tmp = out.with_extension("partial");
        std::fs::write(&tmp, format!("{}\n", summary.text))
            .and_then(|()| std::fs::rename(&tmp, out))
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&summary)?)?;
    } else {
        writeln!(stdout)?;
        let facts = facts(&summary, &doc);
        #[allow(clippy::print_stderr)]
        {
            eprintln!("plait summarize: {}", facts.join("; "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses an `--out` in a missing folder and a `--max-tokens` the role cannot give.
fn check_args(args: &Args, summarizer_role: &Role) -> Result<()> {
    if let Some(out) = &args.out {
        let dir = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        anyhow::ensure!(
            dir.is_dir(),
            "cannot write the summary to {}: the folder {} does not exist; create it or choose another --out",
            out.display(),
            dir.display()
        );
    }
    if let Some(n) = args.max_tokens {
        let limit = summarizer_role.context as usize / 2;
        anyhow::ensure!(
            (1..=limit).contains(&n),
            "--max-tokens {n} is out of range: role {} has a context of {} tokens, so a summary may take 1 to {limit} of them",
            args.role,
            summarizer_role.context
        );
    }
    Ok(())
}

/// What the summary run did, for the closing line on stderr.
fn facts(summary: &Summary, doc: &Document) -> Vec<String> {
    let cited = summary
        .sentences
        .iter()
        .filter(|s| s.citation.is_some())
        .count();
    let mut facts = vec![format!(
        "{} {} read, {}",
        summary.sections,
        match doc.unit {
            plait_summarize::Unit::Page => "pages",
            plait_summarize::Unit::Line => "sections",
        },
        if summary.mode == "map-reduce" {
            format!(
                "map-reduce over {} chunks{}",
                summary.chunks,
                if summary.reduce_levels > 0 {
                    format!(" and {} reduce level(s)", summary.reduce_levels)
                } else {
                    String::new()
                }
            )
        } else {
            "one pass".into()
        }
    )];
    facts.push(format!(
        "{cited} of {} sentences cited",
        summary.sentences.len()
    ));
    if !summary.dropped.is_empty() {
        facts.push(format!(
            "{} sentence(s) left out (unsupported by their pages, repeated or naming what the document does not)",
            summary.dropped.len()
        ));
    }
    for p in &summary.phases {
        let mut f = format!(
            "{} ({}, {}): {} tokens at {:.1} tok/s",
            p.phase, p.role, p.strategy, p.generated_tokens, p.tokens_per_second
        );
        if p.drafted > 0 {
            f.push_str(&format!(
                ", {:.0}% of drafts accepted",
                100.0 * p.acceptance_rate
            ));
        }
        facts.push(f);
    }
    facts.push(format!("{:.1} s", summary.seconds));
    facts
}
