//! `plait mcp`: serve the indexes to agents over the Model Context Protocol (stdio).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::assets::Home;
use crate::commands::runtime;
use crate::mcp::PlaitMcp;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Index root holding code/, docs/ and manifest.sqlite [default: ./indexes]
    #[arg(long, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    /// Model role answering the `ask` tool (loaded once, on the first question)
    #[arg(long, value_name = "NAME", default_value = plait_summarize::role_names::FRONTDOOR)]
    ask_role: String,
    /// Role file replacing the built-in roles by name [env: PLAIT_ROLES]
    #[arg(long, value_name = "FILE")]
    roles: Option<PathBuf>,
    #[command(flatten)]
    models: runtime::ModelOpts,
}

#[allow(clippy::print_stderr)]
pub fn run(home: &Home, args: &Args) -> Result<ExitCode> {
    runtime::limit_malloc_arenas();
    let root = runtime::index_root(args.index_dir.clone());
    let service = runtime::search_service(home, &args.models, &root)?;
    let service = std::sync::Arc::new(service.resident_lexical());
    let asker = crate::ask_worker::AskWorker::start(
        home.clone(),
        args.roles.clone(),
        args.ask_role.clone(),
        service.clone(),
    );
    let server = PlaitMcp::new(service, std::sync::Arc::new(asker));
    eprintln!("plait mcp: serving {} over stdio", crate::term::path(&root));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(crate::mcp::serve_stdio(server))?;
    eprintln!("plait mcp: client disconnected");
    Ok(ExitCode::SUCCESS)
}
