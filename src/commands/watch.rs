//! `plait watch DIR...`: ingest, then keep the indexes in step with the folders as they
//! change, until Ctrl-C.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use plait_ingest::{IngestReport, Ingester, Trigger, WatchConfig, WatchEvent};

use crate::assets::Home;
use crate::commands::ingest::IngestOpts;
use crate::commands::runtime;
use crate::term;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    opts: IngestOpts,
    #[command(flatten)]
    watch: WatchOpts,
    /// Print one JSON object per sync instead of a line
    #[arg(long)]
    json: bool,
}

/// Settings of the watch loop, shared by `plait watch` and `plait serve --watch`.
#[derive(Debug, Clone, clap::Args)]
pub struct WatchOpts {
    /// Quiet time after a file's last change before it is ingested
    #[arg(long, value_name = "MS", default_value_t = 200)]
    debounce_ms: u64,
    /// Full reconcile of every folder this often, catching anything events missed
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    rescan_secs: u64,
}

impl WatchOpts {
    /// The watch configuration these options ask for.
    pub fn config(&self) -> WatchConfig {
        WatchConfig {
            debounce: Duration::from_millis(self.debounce_ms),
            rescan_every: Duration::from_secs(self.rescan_secs.max(1)),
            ..WatchConfig::default()
        }
    }
}

pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    runtime::limit_malloc_arenas();
    let config = args.opts.config()?;
    let encoders = runtime::Encoders::load(home, &args.opts.models)?;
    let reader = runtime::PdfReader::load(home)?;
    let pdf = reader.pdf_text();
    let stop = runtime::stop_flag();
    let ingester =
        Ingester::new(config, &*encoders.code, &*encoders.docs, Some(&pdf)).with_cancel(stop);
    let watch_config = args.watch.config();
    let mut failure: Option<std::io::Error> = None;
    let mut on_event = |event: WatchEvent<'_>| {
        if let Err(e) = print_event(&event, args.json) {
            failure.get_or_insert(e);
        }
    };
    plait_ingest::watch(
        &ingester,
        &args.opts.dirs,
        &watch_config,
        stop,
        &mut on_event,
    )?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("plait watch: stopped; every commit is complete");
    }
    Ok(ExitCode::SUCCESS)
}

fn trigger_text(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Start => "initial ingest".into(),
        Trigger::Events { paths } => format!("{paths} changed path(s)"),
        Trigger::Rescan { reason } => format!("rescan: {}", term::line(reason)),
        Trigger::Periodic => "periodic rescan".into(),
        Trigger::Collect => "dropping unused contents".into(),
    }
}

fn changed(report: &IngestReport) -> bool {
    report.files_added + report.files_changed + report.files_removed > 0
        || !report.errors.is_empty()
}

#[allow(clippy::print_stderr)]
fn print_event(event: &WatchEvent<'_>, json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match event {
        WatchEvent::Watching { roots } => {
            let list: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
            let shown: Vec<String> = roots.iter().map(|r| term::path(r)).collect();
            if json {
                serde_json::to_writer(
                    &mut out,
                    &serde_json::json!({"event": "watching", "roots": list}),
                )?;
                writeln!(out)?;
            } else {
                eprintln!(
                    "plait watch: watching {} (Ctrl-C to stop)",
                    shown.join(", ")
                );
            }
        }
        WatchEvent::Synced {
            trigger,
            report,
            elapsed,
        } => {
            if json {
                serde_json::to_writer(
                    &mut out,
                    &serde_json::json!({
                        "event": "synced",
                        "trigger": trigger,
                        "elapsed_ms": elapsed.as_secs_f64() * 1e3,
                        "report": report,
                    }),
                )?;
                writeln!(out)?;
            } else if changed(report) || *trigger == Trigger::Start {
                writeln!(
                    out,
                    "synced ({}): {} added, {} changed, {} removed, {} unchanged; {} chunks encoded, {} reused; {:.2} s",
                    trigger_text(trigger),
                    report.files_added,
                    report.files_changed,
                    report.files_removed,
                    report.files_unchanged,
                    report.chunks_encoded,
                    report.chunks_reused,
                    elapsed.as_secs_f64()
                )?;
            }
            if !json {
                for (path, reason) in &report.errors {
                    eprintln!("plait watch: {}: {}", term::path(path), term::line(reason));
                }
                for (path, reason) in &report.warnings {
                    eprintln!(
                        "plait watch: warning: {}: {}",
                        term::path(path),
                        term::line(reason)
                    );
                }
            }
        }
        WatchEvent::Failed { trigger, error } => {
            if json {
                serde_json::to_writer(
                    &mut out,
                    &serde_json::json!({
                        "event": "failed",
                        "trigger": trigger,
                        "error": error.to_string(),
                    }),
                )?;
                writeln!(out)?;
            } else {
                eprintln!(
                    "plait watch: sync after {} failed (retrying): {}",
                    term::line(&trigger_text(trigger)),
                    term::line(&error.to_string())
                );
            }
        }
    }
    out.flush()
}
