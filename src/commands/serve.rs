//! `plait serve`: the code index on 127.0.0.1:8088, the docs index on 127.0.0.1:8089 and
//! the web page on 127.0.0.1:8090 (one process), optionally watching folders and
//! ingesting changes in-process.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use plait_ingest::{ChunkBudget, DiscoverConfig, IndexName, IngestConfig, Ingester, WatchEvent};

use crate::assets::Home;
use crate::commands::runtime;
use crate::commands::watch::WatchOpts;
use crate::http::{router, ApiState};
use crate::listen;
use crate::term;
use crate::web::{self, WatchState, WebState};

/// Longest a search waits for others to share its query-encoder run.
const QUERY_WAIT: std::time::Duration = std::time::Duration::from_millis(3);
/// Most queries encoded in one run.
const QUERY_BATCH: usize = 8;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Index root holding code/, docs/ and manifest.sqlite [default: ./indexes]
    #[arg(long, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    /// Address to listen on; anything but loopback requires a token
    #[arg(long, default_value = "127.0.0.1", value_name = "IP")]
    host: IpAddr,
    /// Port of the code index (0: any free port)
    #[arg(long, default_value_t = 8088, value_name = "PORT")]
    code_port: u16,
    /// Port of the docs index (0: any free port)
    #[arg(long, default_value_t = 8089, value_name = "PORT")]
    docs_port: u16,
    /// Port of the web page (search, page view, summaries, status; 0: any free port)
    #[arg(long, default_value_t = 8090, value_name = "PORT")]
    web_port: u16,
    /// Role file replacing the built-in roles by name, for `POST /ask` and the page's summaries [env: PLAIT_ROLES]
    #[arg(long, value_name = "FILE")]
    roles: Option<PathBuf>,
    /// CPU threads of the summary models [default: each role's setting]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..=256))]
    summary_threads: Option<i32>,
    /// Bearer token every request must carry (prefer --token-file: arguments are visible to other users)
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// File holding the bearer token (first line)
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Also watch these folders and ingest their changes while serving
    #[arg(long = "watch", value_name = "DIR")]
    watch: Vec<PathBuf>,
    #[command(flatten)]
    watch_opts: WatchOpts,
    /// Model role answering `POST /ask` (loaded once, on the first question)
    #[arg(long, value_name = "NAME", default_value = plait_summarize::role_names::FRONTDOOR)]
    ask_role: String,
    #[command(flatten)]
    models: runtime::ModelOpts,
}

#[allow(clippy::print_stderr)]
pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    runtime::limit_malloc_arenas();
    let token = checked_token(args)?;
    let root = prepared_root(args)?;
    let encoders = runtime::Encoders::load_with(
        home,
        &args.models,
        runtime::LoadOptions {
            spinning: false,
            ..Default::default()
        },
    )?;
    let stop = Arc::new(AtomicBool::new(false));
    let reader = Arc::new(runtime::PdfReader::load(home)?);
    let watch_state = Arc::new(Mutex::new(WatchState {
        enabled: !args.watch.is_empty(),
        roots: args.watch.iter().map(|d| d.display().to_string()).collect(),
        state: if args.watch.is_empty() {
            "off"
        } else {
            "starting"
        }
        .into(),
        ..WatchState::default()
    }));

    let watcher = start_watcher(args, &root, &encoders, &reader, &stop, &watch_state);

    // Searches run on the blocking pool; concurrent queries are encoded together
    // (micro-batches of up to QUERY_BATCH gathered for at most QUERY_WAIT), so the pool
    // holds a batch's worth of waiting searches plus one per core.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.min(2))
        .max_blocking_threads(QUERY_BATCH + cores)
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let service = Arc::new(
            encoders
                .search_service(&root)
                .batching(QUERY_WAIT, QUERY_BATCH)
                .resident_lexical(),
        );
        let asker = Arc::new(crate::ask_worker::AskWorker::start(
            home.clone(),
            args.roles.clone(),
            args.ask_role.clone(),
            service.clone(),
        ));
        let state = |name| {
            Arc::new(ApiState {
                name,
                service: service.clone(),
                token: token.clone(),
                listen: args.host,
                asker: asker.clone(),
            })
        };
        let (code, docs) = (state(IndexName::Code), state(IndexName::Docs));
        let web = web_state(args, home, &root, (&code, &docs), &reader, &watch_state);
        serve_all(args, code, docs, web).await
    });
    stop.store(true, Ordering::SeqCst);
    if let Some(w) = watcher {
        let _ = w.join();
    }
    result?;
    eprintln!("plait serve: stopped");
    Ok(ExitCode::SUCCESS)
}

/// The bearer token of `--token` or `--token-file`, refused when short, and required
/// off loopback.
fn checked_token(args: &Args) -> Result<Option<String>> {
    let token = match (&args.token, &args.token_file) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(f)) => Some(
            std::fs::read_to_string(f)
                .with_context(|| format!("reading the token file {}", f.display()))?
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string(),
        ),
        (None, None) => None,
    };
    if let Some(t) = &token {
        anyhow::ensure!(t.len() >= 16, "the token is shorter than 16 characters; use a long random one (e.g. `openssl rand -hex 32`)");
    }
    anyhow::ensure!(
        args.host.is_loopback() || token.is_some(),
        "listening on {} exposes the indexes beyond this machine: give --token-file FILE (or --token) so every request must carry it",
        args.host
    );
    Ok(token)
}

/// The index root, checked: serving alone needs an existing index (never an empty new
/// folder); with `--watch` the folders must exist and the root is created.
fn prepared_root(args: &Args) -> Result<PathBuf> {
    for d in &args.watch {
        anyhow::ensure!(
            d.is_dir(),
            "{} is not a folder (--watch takes folders)",
            d.display()
        );
    }
    let root = runtime::index_root(args.index_dir.clone());
    if args.watch.is_empty() {
        anyhow::ensure!(
            root.join("manifest.sqlite").is_file(),
            "{}",
            plait_ingest::IngestError::NoIndex { path: root.clone() }
        );
    } else {
        std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    }
    Ok(root)
}

/// Binds the three ports, prints their addresses and serves until a signal, finishing
/// the requests in flight.
#[allow(clippy::print_stderr)]
async fn serve_all(
    args: &Args,
    code: Arc<ApiState>,
    docs: Arc<ApiState>,
    web: Arc<WebState>,
) -> Result<()> {
    let bind = |port: u16| async move {
        let addr = SocketAddr::new(args.host, port);
        tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!("cannot listen on {addr} (in use? pick another with --code-port/--docs-port/--web-port)")
        })
    };
    let code_listener = bind(args.code_port).await?;
    let docs_listener = bind(args.docs_port).await?;
    let web_listener = bind(args.web_port).await?;
    {
        let mut out = std::io::stdout().lock();
        for (what, listener, slash) in [
            ("code index", &code_listener, ""),
            ("docs index", &docs_listener, ""),
            ("web page", &web_listener, "/"),
        ] {
            writeln!(
                out,
                "plait serve: {what} on http://{}{slash}",
                listener.local_addr()?
            )?;
        }
        out.flush()?;
    }
    let (tx, rx) = tokio::sync::watch::channel(false);
    let code_server = listen::serve(code_listener, router(code), rx.clone());
    let docs_server = listen::serve(docs_listener, router(docs), rx.clone());
    let web_server = listen::serve(web_listener, web::router(web), rx);
    let signals = async move {
        wait_for_signal().await;
        eprintln!("plait serve: shutting down (finishing requests in flight)");
        let _ = tx.send(true);
    };
    let (a, b, c, ()) = tokio::join!(code_server, docs_server, web_server, signals);
    a?;
    b?;
    c?;
    Ok(())
}

/// The web page's state: the two index APIs it mounts, the page viewer (cache under
/// the index root) and the summaries.
fn web_state(
    args: &Args,
    home: &Home,
    root: &std::path::Path,
    (code, docs): (&Arc<ApiState>, &Arc<ApiState>),
    reader: &Arc<runtime::PdfReader>,
    watch: &Arc<Mutex<WatchState>>,
) -> Arc<WebState> {
    Arc::new(WebState {
        code: code.clone(),
        docs: docs.clone(),
        service: code.service.clone(),
        viewer: Arc::new(plait_ingest::PageViewer::new(
            reader.pdfium(),
            Some(reader.shared_engine()),
            plait_ingest::PageViewConfig::new(root.join("cache").join("pages")),
        )),
        token: code.token.clone(),
        listen: args.host,
        watch: watch.clone(),
        summaries: web::Summaries::new(
            home.clone(),
            args.roles.clone(),
            args.summary_threads,
            reader.clone(),
        ),
        renders: Arc::new(tokio::sync::Semaphore::new(web::RENDER_SLOTS)),
    })
}

/// The watcher thread of `serve --watch` (none without folders): the watch loop of
/// `plait watch`, its events printed and kept for the status panel.
#[allow(clippy::print_stderr)]
fn start_watcher(
    args: &Args,
    root: &std::path::Path,
    encoders: &runtime::Encoders,
    reader: &Arc<runtime::PdfReader>,
    stop: &Arc<AtomicBool>,
    watch_state: &Arc<Mutex<WatchState>>,
) -> Option<std::thread::JoinHandle<()>> {
    if args.watch.is_empty() {
        return None;
    }
    let reader = reader.clone();
    let watch_state = watch_state.clone();
    let config = IngestConfig {
        index_root: root.to_path_buf(),
        discover: DiscoverConfig::default(),
        budget: ChunkBudget::default(),
        index: plait_colbert::IndexConfig::default(),
    };
    let (code, docs) = (encoders.code.clone(), encoders.docs.clone());
    let dirs = args.watch.clone();
    let watch_config = args.watch_opts.config();
    let stop = stop.clone();
    Some(std::thread::spawn(move || {
        let pdf = reader.pdf_text();
        let ingester = Ingester::new(config, &*code, &*docs, Some(&pdf)).with_cancel(&stop);
        let mut on_event = |e: WatchEvent<'_>| {
            note_watch(&watch_state, &e);
            match e {
                WatchEvent::Synced {
                    report, elapsed, ..
                } if report.files_added + report.files_changed + report.files_removed > 0 => {
                    eprintln!(
                    "plait serve: synced {} added, {} changed, {} removed; {} chunks encoded in {:.2} s",
                    report.files_added, report.files_changed, report.files_removed,
                    report.chunks_encoded, elapsed.as_secs_f64()
                );
                }
                WatchEvent::Failed { error, .. } => eprintln!(
                    "plait serve: watch: {} (retrying)",
                    term::line(&error.to_string())
                ),
                _ => {}
            }
        };
        if let Err(e) = plait_ingest::watch(&ingester, &dirs, &watch_config, &stop, &mut on_event) {
            eprintln!(
                "plait serve: the watcher stopped: {}",
                term::line(&e.to_string())
            );
            let mut w = watch_state.lock().unwrap_or_else(|e| e.into_inner());
            w.state = "stopped".into();
            w.last_error = Some(e.to_string());
        }
    }))
}

/// Keeps the status panel's view of the watcher up to date.
fn note_watch(state: &Mutex<WatchState>, event: &WatchEvent<'_>) {
    let mut w = state.lock().unwrap_or_else(|e| e.into_inner());
    match event {
        WatchEvent::Watching { .. } => w.state = "watching".into(),
        WatchEvent::Synced { report, .. } => {
            w.state = "watching".into();
            w.last_error = None;
            w.last_sync_unix = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_secs());
            let changed = [
                report.files_added,
                report.files_changed,
                report.files_removed,
                report.chunks_encoded,
            ];
            if changed.iter().any(|&n| n > 0) {
                w.syncs += 1;
                w.last_changes = Some(changed);
            }
        }
        WatchEvent::Failed { error, .. } => {
            w.state = "retrying".into();
            w.last_error = Some(error.to_string());
        }
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
