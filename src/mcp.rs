//! `plait mcp`: a Model Context Protocol server over stdio (rmcp) with the tools
//! `search_code`, `search_docs` and `index_status`. Stdout carries the protocol only;
//! logs go to stderr.

use std::path::PathBuf;
use std::sync::Arc;

use plait_colbert::{Encoder, Index, OnnxEncoder, SearchParams};
use plait_ingest::manifest::Manifest;
use plait_ingest::{search_index, Query, SearchMode, CODE, DOCS};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{tool, tool_handler, tool_router, ServerHandler};
use schemars::JsonSchema;
use serde::Deserialize;

/// Results per call are capped at this.
const MAX_K: usize = 50;

/// Arguments of `search_code` and `search_docs`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// What to look for: words, a question, or an exact identifier.
    pub query: String,
    /// Number of results (default 10, at most 50).
    #[serde(default)]
    pub k: Option<usize>,
    /// Only files whose path matches this glob, e.g. `*/src/*.py`.
    #[serde(default)]
    pub path: Option<String>,
    /// Only code in this language, e.g. `python` (code index only).
    #[serde(default)]
    pub lang: Option<String>,
    /// `semantic` (default), `lexical` or `hybrid`.
    #[serde(default)]
    pub mode: Option<String>,
}

/// The MCP server: the index root and the encoders of its two indexes.
#[derive(Clone)]
pub struct PlaitMcp {
    root: PathBuf,
    code: Arc<OnnxEncoder>,
    docs: Arc<OnnxEncoder>,
    tool_router: ToolRouter<Self>,
}

impl PlaitMcp {
    pub fn new(root: PathBuf, code: Arc<OnnxEncoder>, docs: Arc<OnnxEncoder>) -> Self {
        Self {
            root,
            code,
            docs,
            tool_router: Self::tool_router(),
        }
    }

    fn run_search(&self, name: &'static str, args: SearchArgs) -> CallToolResult {
        let encoder: Arc<OnnxEncoder> = if name == CODE {
            self.code.clone()
        } else {
            self.docs.clone()
        };
        match search(&self.root, name, &*encoder, &args) {
            Ok(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        }
    }
}

/// Runs one search and renders the results as JSON text (one object per result).
fn search(
    root: &std::path::Path,
    name: &'static str,
    encoder: &dyn Encoder,
    args: &SearchArgs,
) -> Result<String, String> {
    if args.query.trim().is_empty() {
        return Err("the query is empty".into());
    }
    let mode: SearchMode = match &args.mode {
        Some(m) => m.parse()?,
        None => SearchMode::default(),
    };
    let manifest = Manifest::open(root).map_err(|e| e.to_string())?;
    let index = match Index::open(&root.join(name)) {
        Ok(i) => Some(i),
        Err(plait_colbert::ColbertError::NoIndex { .. }) => None,
        Err(e) => return Err(e.to_string()),
    };
    let query = Query {
        text: &args.query,
        k: args.k.unwrap_or(10).clamp(1, MAX_K),
        path_glob: args.path.as_deref(),
        language: args.lang.as_deref(),
        mode,
        params: SearchParams::default(),
    };
    let hits = search_index(&manifest, name, index.as_ref(), encoder, &query)
        .map_err(|e| e.to_string())?;
    let results: Vec<serde_json::Value> = hits
        .into_iter()
        .map(|h| {
            serde_json::json!({
                "path": h.chunk.path,
                "start_line": h.chunk.lines.map(|l| l.0),
                "end_line": h.chunk.lines.map(|l| l.1),
                "page": h.chunk.page,
                "symbol": h.chunk.symbol,
                "score": h.score,
                "text": h.chunk.text,
            })
        })
        .collect();
    Ok(
        serde_json::json!({ "index": name, "mode": mode.to_string(), "results": results })
            .to_string(),
    )
}

fn status(root: &std::path::Path) -> Result<String, String> {
    let manifest = Manifest::open(root).map_err(|e| e.to_string())?;
    let mut out = serde_json::Map::new();
    for name in [CODE, DOCS] {
        let (chunks, _) = manifest.counts(name).map_err(|e| e.to_string())?;
        let files = manifest.file_count(name).map_err(|e| e.to_string())?;
        let index = Index::open(&root.join(name)).ok();
        out.insert(
            name.to_string(),
            serde_json::json!({
                "documents": index.as_ref().map_or(0, |i| i.num_documents()),
                "chunks": chunks,
                "files": files,
                "model": index.as_ref().and_then(|i| i.manifest().model.clone()),
            }),
        );
    }
    Ok(serde_json::Value::Object(out).to_string())
}

#[tool_router(router = tool_router)]
impl PlaitMcp {
    /// Search the code index.
    #[tool(
        description = "Search the local code index (functions, classes and module code, chunked along the syntax tree). Returns JSON: results with path, start_line, end_line, symbol, score and text."
    )]
    async fn search_code(&self, Parameters(args): Parameters<SearchArgs>) -> CallToolResult {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.run_search(CODE, args))
            .await
            .unwrap_or_else(|_| CallToolResult::error(vec![ContentBlock::text("search failed")]))
    }

    /// Search the docs index.
    #[tool(
        description = "Search the local docs index (Markdown sections, text, PDF pages). Returns JSON: results with path, page or lines, heading, score and text."
    )]
    async fn search_docs(&self, Parameters(args): Parameters<SearchArgs>) -> CallToolResult {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.run_search(DOCS, args))
            .await
            .unwrap_or_else(|_| CallToolResult::error(vec![ContentBlock::text("search failed")]))
    }

    /// Counts of both indexes.
    #[tool(
        description = "Status of the code and docs indexes: documents, chunks, files and encoder model of each, as JSON."
    )]
    async fn index_status(&self) -> CallToolResult {
        let root = self.root.clone();
        match tokio::task::spawn_blocking(move || status(&root)).await {
            Ok(Ok(text)) => CallToolResult::success(vec![ContentBlock::text(text)]),
            Ok(Err(e)) => CallToolResult::error(vec![ContentBlock::text(e)]),
            Err(_) => CallToolResult::error(vec![ContentBlock::text("status failed")]),
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for PlaitMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("plait", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Search the user's local code and documents: search_code for source code, search_docs for papers and notes, index_status for what is indexed.",
            )
    }
}
