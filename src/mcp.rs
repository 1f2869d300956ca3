//! `plait mcp`: a Model Context Protocol server over stdio (rmcp) with the tools
//! `search_code`, `search_docs`, `ask` and `index_status`. Stdout carries the protocol only;
//! logs go to stderr.

use std::sync::Arc;

use plait_ask::StreamEvent;
use plait_ingest::{IndexName, SearchService};

use crate::ask_worker::{AskWorker, Reply};
use crate::request::{AskBody, SearchRequest};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{tool, tool_handler, tool_router, ServerHandler};
use schemars::JsonSchema;
use serde::Deserialize;

/// Arguments of `search_code` and `search_docs`: the HTTP search request's fields.
pub type SearchArgs = SearchRequest;

/// Arguments of `ask`: the question, the index to ask (both when omitted) and the
/// search request's options; they become an HTTP `/ask` body, turned into the library's
/// request by the same code (`AskBody::into_request`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AskArgs {
    /// The question, in words.
    pub question: String,
    /// `code` or `docs`; both when omitted.
    #[serde(default)]
    pub index: Option<String>,
    /// Sources retrieved (default 10, at most 100).
    #[serde(default)]
    pub k: Option<usize>,
    /// Only files whose path matches this glob.
    #[serde(default)]
    pub path: Option<String>,
    /// Only code in this language, e.g. `python`.
    #[serde(default)]
    pub lang: Option<String>,
    /// Retrieval mode: `hybrid`, `semantic` or `lexical` (the answerer's default when
    /// omitted).
    #[serde(default)]
    pub mode: Option<String>,
    /// Answer length in tokens (1 to 2048; the role's default when omitted).
    #[serde(default)]
    pub max_tokens: Option<usize>,
}

impl AskArgs {
    /// The library's question.
    fn into_request(self) -> Result<plait_ask::AskRequest, String> {
        let indexes = match &self.index {
            Some(i) => vec![i.parse::<IndexName>()?],
            None => IndexName::ALL.to_vec(),
        };
        let body = AskBody {
            search: SearchRequest {
                query: self.question,
                k: self.k,
                path: self.path,
                lang: self.lang,
                mode: self.mode,
                params: None,
            },
            max_tokens: self.max_tokens,
        };
        body.into_request(indexes)
    }
}

/// The MCP server: the search service of one index root.
#[derive(Clone)]
pub struct PlaitMcp {
    service: Arc<SearchService>,
    asker: Arc<AskWorker>,
    tool_router: ToolRouter<Self>,
}

impl PlaitMcp {
    pub fn new(service: Arc<SearchService>, asker: Arc<AskWorker>) -> Self {
        Self {
            service,
            asker,
            tool_router: Self::tool_router(),
        }
    }

    /// Answers a question: the final answer object as JSON text.
    async fn run_ask(&self, args: AskArgs) -> Result<String, String> {
        let request = args.into_request()?;
        let mut replies = self.asker.submit(request);
        while let Some(reply) = replies.recv().await {
            match reply {
                Reply::Failed(_, message) => return Err(message),
                Reply::Event(StreamEvent::Error { error }) => return Err(error),
                Reply::Event(e @ StreamEvent::Answer(_)) => {
                    return Ok(e.line().trim_end().to_string())
                }
                Reply::Event(_) => {}
            }
        }
        Err("the answering thread has stopped".into())
    }

    fn run_search(&self, name: IndexName, args: SearchArgs) -> CallToolResult {
        match search(&self.service, name, args) {
            Ok(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        }
    }
}

/// Runs one search and renders the answer as JSON text: `index`, `mode` and `results`
/// (each the library's serialised hit, as over HTTP).
fn search(service: &SearchService, name: IndexName, args: SearchArgs) -> Result<String, String> {
    let query = args.into_query()?;
    let hits = service.search(name, &query).map_err(|e| e.to_string())?;
    Ok(serde_json::json!({ "index": name, "mode": query.mode, "results": hits }).to_string())
}

fn status(service: &SearchService) -> Result<String, String> {
    let mut out = serde_json::Map::new();
    for name in IndexName::ALL {
        let s = service.status(name).map_err(|e| e.to_string())?;
        out.insert(
            name.to_string(),
            serde_json::to_value(s).map_err(|e| e.to_string())?,
        );
    }
    Ok(serde_json::Value::Object(out).to_string())
}

#[tool_router(router = tool_router)]
impl PlaitMcp {
    /// Search the code index.
    #[tool(
        description = "Search the local code index (functions, classes and module code, chunked along the syntax tree). Returns JSON: results with index, path, start_line, end_line, symbol, container, kind, language, score and text."
    )]
    async fn search_code(&self, Parameters(args): Parameters<SearchArgs>) -> CallToolResult {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.run_search(IndexName::Code, args))
            .await
            .unwrap_or_else(|_| CallToolResult::error(vec![ContentBlock::text("search failed")]))
    }

    /// Search the docs index.
    #[tool(
        description = "Search the local docs index (Markdown sections, text, PDF pages). Returns JSON: results with index, path, page or lines, heading (symbol), kind, score and text."
    )]
    async fn search_docs(&self, Parameters(args): Parameters<SearchArgs>) -> CallToolResult {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.run_search(IndexName::Docs, args))
            .await
            .unwrap_or_else(|_| CallToolResult::error(vec![ContentBlock::text("search failed")]))
    }

    /// Answer a question from the indexes, with checked citations.
    #[tool(
        description = "Answer a question from the local code and documents with a local model. Returns JSON: answer (sentences citing sources as [n]; every citation checked against its source), declined (true when the indexed sources do not answer; the closest sources are then given), sources (number, path, start_line, end_line or page, symbol, text) and timings."
    )]
    async fn ask(&self, Parameters(args): Parameters<AskArgs>) -> CallToolResult {
        match self.run_ask(args).await {
            Ok(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        }
    }

    /// Counts of both indexes.
    #[tool(
        description = "Status of the code and docs indexes: documents, chunks, files and encoder model of each, as JSON."
    )]
    async fn index_status(&self) -> CallToolResult {
        let service = self.service.clone();
        match tokio::task::spawn_blocking(move || status(&service)).await {
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
                "Search the user's local code and documents: search_code for source code, search_docs for papers and notes, ask for an answer with checked citations, index_status for what is indexed.",
            )
    }
}

/// Longest JSON-RPC line read from the client; a longer one is answered with a parse
/// error and skipped.
const MAX_LINE: usize = 4 << 20;

/// What the server makes of one line from the client.
#[derive(Debug, PartialEq)]
enum Line {
    /// A JSON-RPC message for the MCP session.
    Message,
    /// Blank: nothing to do.
    Blank,
    /// Not a message: the JSON-RPC error answer to send back.
    Refused(serde_json::Value),
}

/// Parses one line the way JSON-RPC 2.0 asks: text that is not JSON gets `-32700 Parse
/// error`, JSON that is not a request or response gets `-32600 Invalid Request` (with
/// its `id` when it has one).
fn check_line(line: &[u8]) -> Line {
    let text = line.trim_ascii();
    if text.is_empty() {
        return Line::Blank;
    }
    let error = |code: i64, message: &str, id: serde_json::Value| {
        Line::Refused(serde_json::json!({
            "jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}
        }))
    };
    let value: serde_json::Value = match serde_json::from_slice(text) {
        Ok(v) => v,
        Err(e) => {
            return error(
                -32700,
                &format!("Parse error: {e}"),
                serde_json::Value::Null,
            )
        }
    };
    match &value {
        serde_json::Value::Object(m)
            if m.get("jsonrpc").and_then(|v| v.as_str()) == Some("2.0") =>
        {
            Line::Message
        }
        serde_json::Value::Array(items) if !items.is_empty() => Line::Message,
        serde_json::Value::Object(m) => error(
            -32600,
            "Invalid Request: not a JSON-RPC 2.0 message",
            m.get("id").cloned().unwrap_or(serde_json::Value::Null),
        ),
        _ => error(
            -32600,
            "Invalid Request: not a JSON-RPC 2.0 message",
            serde_json::Value::Null,
        ),
    }
}

/// Serves `server` on stdin and stdout. Lines are checked before the MCP session sees
/// them (see [`check_line`]); answers to bad lines and the session's own messages
/// share stdout one whole line at a time.
pub async fn serve_stdio(server: PlaitMcp) -> anyhow::Result<()> {
    use rmcp::ServiceExt;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let (mut to_session, session_in) = tokio::io::duplex(1 << 16);
    let (session_out, from_session) = tokio::io::duplex(1 << 16);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    let writer = tokio::spawn(async move {
        let mut out = tokio::io::stdout();
        while let Some(mut line) = rx.recv().await {
            line.push(b'\n');
            out.write_all(&line).await?;
            out.flush().await?;
        }
        std::io::Result::Ok(())
    });
    let session_tx = tx.clone();
    let forward = tokio::spawn(async move {
        let mut lines = BufReader::new(from_session);
        let mut line = Vec::new();
        while lines.read_until(b'\n', &mut line).await.unwrap_or(0) > 0 {
            let text = line.trim_ascii_end().to_vec();
            line.clear();
            if !text.is_empty() && session_tx.send(text).await.is_err() {
                break;
            }
        }
    });
    let reader = tokio::spawn(async move {
        let mut input = BufReader::new(tokio::io::stdin());
        let mut line = Vec::new();
        loop {
            line.clear();
            // Read one line, at most MAX_LINE bytes of it kept.
            let mut too_long = false;
            loop {
                let buf = match input.fill_buf().await {
                    Ok(b) => b,
                    Err(_) => return,
                };
                if buf.is_empty() {
                    break;
                }
                let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (buf.len(), false),
                };
                if line.len() + take <= MAX_LINE {
                    line.extend_from_slice(&buf[..take]);
                } else {
                    too_long = true;
                }
                input.consume(take);
                if done {
                    break;
                }
            }
            if line.is_empty() && !too_long {
                return; // end of input: the session sees it too
            }
            let verdict = if too_long {
                Line::Refused(serde_json::json!({"jsonrpc": "2.0", "id": null,
                    "error": {"code": -32700, "message": format!("Parse error: line longer than {MAX_LINE} bytes")}}))
            } else {
                check_line(&line)
            };
            match verdict {
                Line::Blank => {}
                Line::Message => {
                    if !line.ends_with(b"\n") {
                        line.push(b'\n');
                    }
                    if to_session.write_all(&line).await.is_err() {
                        return;
                    }
                }
                Line::Refused(answer) => {
                    if tx.send(answer.to_string().into_bytes()).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let result = match server.serve((session_in, session_out)).await {
        Ok(service) => service
            .waiting()
            .await
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("the MCP session failed: {e}")),
        Err(e) => Err(anyhow::anyhow!("starting the MCP session on stdio: {e}")),
    };
    // Every answer already queued (parse errors of a client that then hung up
    // included) is written before the process ends.
    let _ = reader.await;
    let _ = forward.await;
    writer.await??;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_get_json_rpc_errors() {
        let code = |l: &str| match check_line(l.as_bytes()) {
            Line::Refused(v) => v["error"]["code"].as_i64(),
            _ => None,
        };
        assert_eq!(
            code("{\"jsonrpc\": \"2.0\", \"id\": 1, \"meth"),
            Some(-32700)
        );
        assert_eq!(code("not json at all"), Some(-32700));
        assert_eq!(code("{\"id\": 7}"), Some(-32600));
        assert_eq!(code("42"), Some(-32600));
        assert_eq!(check_line(b"  \n"), Line::Blank);
        assert_eq!(
            check_line(br#"{"jsonrpc": "2.0", "method": "notifications/initialized"}"#),
            Line::Message
        );
    }
}
