//! `plait ingest DIR...`: bring the code and docs indexes in step with folders.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use plait_ingest::{ChunkBudget, DiscoverConfig, IngestConfig, IngestReport, Ingester, Progress};

use crate::assets::Home;
use crate::commands::runtime;
use crate::term;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub opts: IngestOpts,
    /// Print the report as JSON
    #[arg(long)]
    json: bool,
    /// Check the index root first and move damaged parts aside (`plait check` lists
    /// them); this run then rebuilds them from the folders, keeping the rest
    #[arg(long)]
    repair: bool,
}

/// Options shared by `plait ingest` and `plait watch`.
#[derive(Debug, Clone, clap::Args)]
pub struct IngestOpts {
    /// Folders to ingest
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Index root holding code/, docs/ and manifest.sqlite [default: ./indexes]
    #[arg(long, value_name = "DIR")]
    pub index_dir: Option<PathBuf>,
    /// Skip files larger than this many bytes
    #[arg(long, value_name = "BYTES", default_value_t = 20 * 1024 * 1024)]
    pub max_file_bytes: u64,
    #[command(flatten)]
    pub models: runtime::ModelOpts,
}

impl IngestOpts {
    /// Checks the folders and builds the ingest configuration.
    pub fn config(&self) -> Result<IngestConfig> {
        for d in &self.dirs {
            anyhow::ensure!(
                d.is_dir(),
                "{} is not a folder (give the folders to ingest)",
                d.display()
            );
        }
        Ok(IngestConfig {
            index_root: runtime::index_root(self.index_dir.clone()),
            discover: DiscoverConfig {
                max_file_bytes: self.max_file_bytes,
                ..DiscoverConfig::default()
            },
            budget: ChunkBudget::default(),
            index: plait_colbert::IndexConfig::default(),
        })
    }
}

/// Interval of plain progress lines when stderr is not a terminal.
const PLAIN_PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    let config = args.opts.config()?;
    if args.repair {
        for moved in plait_ingest::check::repair_root(&config.index_root)? {
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "plait ingest: repair: moved the damaged {} aside; rebuilding it from the folders (delete it once you no longer need it)",
                    term::path(&moved)
                );
            }
        }
    }
    let encoders = runtime::Encoders::load(home, &args.opts.models)?;
    let reader = runtime::PdfReader::load(home)?;
    let pdf = reader.pdf_text();
    let terminal = std::io::stderr().is_terminal();
    let bar = runtime::progress_bar(args.json);
    // Without a terminal (logs, CI), a plain line every few seconds instead of a bar.
    let plain = !terminal && !args.json;
    let last_line = std::sync::Mutex::new(std::time::Instant::now());
    let plain_line = |what: &str, done: usize, total: usize| {
        let mut last = last_line.lock().unwrap_or_else(|e| e.into_inner());
        if plain && total > 0 && (done == total || last.elapsed() >= PLAIN_PROGRESS_EVERY) {
            *last = std::time::Instant::now();
            #[allow(clippy::print_stderr)]
            {
                eprintln!("plait ingest: {what} {done}/{total}");
            }
        }
    };
    let on_progress = |p: Progress| match p {
        Progress::Files { done, total } => {
            bar.set_message("files");
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            plain_line("files", done, total);
        }
        Progress::Pages { done, total } => {
            bar.set_message("PDF pages");
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            plain_line("PDF pages read", done, total);
        }
        Progress::Encoded { done, total } => {
            bar.set_message("encoding");
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            plain_line("chunks encoded", done, total);
        }
    };
    let stop = runtime::stop_flag();
    let ingester = Ingester::new(config.clone(), &*encoders.code, &*encoders.docs, Some(&pdf))
        .with_cancel(stop);
    let report = ingester.run(&args.opts.dirs, &on_progress)?;
    bar.finish_and_clear();
    print_report(args, &config.index_root, &report)?;
    let ingested = report.files_added + report.files_changed + report.files_unchanged;
    Ok(if report.cancelled {
        ExitCode::from(130)
    } else if ingested == 0 && !report.errors.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The report: one JSON object, or a summary line, the skipped files and an early stop
/// on stdout; errors and warnings on stderr, one line per file.
fn print_report(args: &Args, index_root: &Path, report: &IngestReport) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "ingested into {}: {} added, {} changed, {} unchanged, {} removed; {} chunks encoded, {} reused",
            term::path(index_root),
            report.files_added,
            report.files_changed,
            report.files_unchanged,
            report.files_removed,
            report.chunks_encoded,
            report.chunks_reused
        )?;
        for (path, reason) in &report.skipped {
            writeln!(out, "skipped {}: {}", term::path(path), term::line(reason))?;
        }
        if report.cancelled {
            writeln!(
                out,
                "stopped early: what was committed is kept; run the same command again to finish"
            )?;
        }
    }
    out.flush()?;
    drop(out);
    #[allow(clippy::print_stderr)]
    for (path, reason) in &report.errors {
        eprintln!("plait ingest: {}: {}", term::path(path), term::line(reason));
    }
    #[allow(clippy::print_stderr)]
    for (path, reason) in &report.warnings {
        eprintln!(
            "plait ingest: warning: {}: {}",
            term::path(path),
            term::line(reason)
        );
    }
    Ok(())
}
