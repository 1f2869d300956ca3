//! `plait`: the command-line front end. Glue only; the logic lives in the crates.

mod ask_worker;
mod assets;
mod commands;
mod http;
mod listen;
mod mcp;
mod request;
mod term;
mod web;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Local retrieval-augmented ingest for code and papers.
///
/// plait watches folders, chunks code along its syntax tree and PDFs by page (OCR'ing
/// scanned pages), encodes chunks with a ColBERT model into two PLAID indexes (code and
/// docs), serves searches from the CLI and HTTP, and summarizes long documents with a
/// local llama.cpp model. Run `scripts/setup` once to fetch the models and libraries.
#[derive(Debug, Parser)]
#[command(
    name = "plait",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    /// Assets directory made by scripts/setup [env: PLAIT_HOME] [default: ~/.cache/plait]
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check that every asset is installed and intact and that the runtimes load
    Doctor(commands::doctor::Args),
    /// Ingest folders into the code and docs indexes (incremental)
    Ingest(commands::ingest::Args),
    /// Check every byte of an index root (checksums, arrays, the manifest database)
    Check(commands::check::Args),
    /// Watch folders and keep the indexes in step with them
    Watch(commands::watch::Args),
    /// Search the code index, the docs index, or both: `search [code|docs] QUERY`
    ///
    /// Searching both merges their hits by score relative to each index's best hit (the
    /// scores of two indexes do not compare: each has its own encoder, and PDF pages
    /// score higher than functions), an index counting less when its first hits hold
    /// fewer of the query's words than the other's.
    Search(commands::search::Args),
    /// Answer a question from the indexes, with checked citations: `ask [code|docs] QUESTION`
    Ask(commands::ask::Args),
    /// Score search quality on a labelled query set (recall@10, MRR@10, nDCG@10 per mode)
    Eval(commands::eval::Args),
    /// Serve the indexes over HTTP (code :8088, docs :8089) and the web page (:8090)
    Serve(commands::serve::Args),
    /// Serve both indexes to agents over the Model Context Protocol on stdio
    Mcp(commands::mcp::Args),
    /// Print the text of a PDF or image per page, OCR'ing scanned pages
    Ocr(commands::ocr::Args),
    /// Summarize a PDF, Markdown or text file with page citations
    Summarize(commands::summarize::Args),
    /// List model roles, their files, and the acceleration each will use
    Models(commands::models::Args),
}

fn main() -> ExitCode {
    // ONNX Runtime 1.31 on Linux collects usage telemetry (queued in an SQLite file
    // under ~/.cache/Microsoft and sent to Microsoft where there is a network, synced to
    // disk as each process exits) unless this is set; a local tool reports nothing. Set
    // here, before any thread starts, as the runtime reads it when it loads; a value the
    // user set is kept.
    if std::env::var_os("ORT_DISABLE_TELEMETRY").is_none() {
        std::env::set_var("ORT_DISABLE_TELEMETRY", "1");
    }
    let cli = Cli::parse();
    let result = assets::Home::resolve(cli.home).and_then(|home| match cli.command {
        Command::Doctor(args) => commands::doctor::run(&home, &args),
        Command::Ingest(args) => commands::ingest::run(&home, &args),
        Command::Watch(args) => commands::watch::run(&home, &args),
        Command::Check(args) => commands::check::run(&home, &args),
        Command::Search(args) => commands::search::run(&home, &args),
        Command::Ask(args) => commands::ask::run(&home, &args),
        Command::Eval(args) => commands::eval::run(&home, &args),
        Command::Serve(args) => commands::serve::run(&home, &args),
        Command::Mcp(args) => commands::mcp::run(&home, &args),
        Command::Ocr(args) => commands::ocr::run(&home, &args),
        Command::Summarize(args) => commands::summarize::run(&home, &args),
        Command::Models(args) => commands::models::run(&home, &args),
    });
    match result {
        Ok(code) => code,
        // The reader of stdout went away (`plait search ... | head`): what it wanted was
        // written, so this is a quiet success, as for other Unix tools.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One readable line (plus causes), no backtrace, for every user error.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("plait: error: {}{}", term::error(&e), damage_hint(&e));
            }
            ExitCode::FAILURE
        }
    }
}

/// Whether `e` comes from writing to a pipe whose reader has closed.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The fix for a damaged index, added to errors that come from one: a corrupt or
/// missing index file, or a manifest database SQLite cannot read.
fn damage_hint(e: &anyhow::Error) -> &'static str {
    use plait_colbert::ColbertError as C;
    use plait_ingest::IngestError as I;
    let index_damage = |c: &C| match c {
        C::CorruptIndex { .. } => true,
        C::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    };
    let damaged = e.chain().any(|c| {
        if let Some(c) = c.downcast_ref::<C>() {
            return index_damage(c);
        }
        match c.downcast_ref::<I>() {
            Some(I::Index { source, .. }) => index_damage(source),
            Some(I::Manifest { reason, .. }) => {
                reason.contains("not a database") || reason.contains("malformed")
            }
            _ => false,
        }
    });
    if damaged {
        " (the index is damaged: `plait check --index-dir DIR` lists what, and `plait ingest FOLDERS... --index-dir DIR --repair` rebuilds the damaged parts from the folders)"
    } else {
        ""
    }
}
