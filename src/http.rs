//! The HTTP API of one index (`plait serve` runs one per index): health, status, search
//! and its OpenAPI document. Glue: searching is `plait_ingest::SearchService`.
//!
//! Every request passes one guard first: its `Host` must name this machine's loopback
//! or the configured address and a browser's `Origin` must be one of those too (a web
//! page the user visits cannot reach the API by DNS rebinding or a cross-site POST),
//! then the bearer token when one is set. Every answer that is not a 200 carries
//! `{"error": ...}`. Connection-level limits (timeouts, connection cap) live in
//! `listen.rs`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plait_ingest::{Hit, IndexName, IngestError, Query, SearchMode, SearchService};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::ask_worker::{AskWorker, Failure, Reply};
pub use crate::request::{AskBody, SearchParamsBody, SearchRequest};

/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// Longest wait for a request body once its headers are in.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What one index's server holds.
#[derive(Debug)]
pub struct ApiState {
    /// Which index this server answers for.
    pub name: IndexName,
    /// The search service of the index root (shared by both servers of a process).
    pub service: Arc<SearchService>,
    /// Bearer token every request must carry, when set.
    pub token: Option<String>,
    /// The address the server listens on; `Host` and `Origin` must name it or loopback.
    pub listen: IpAddr,
    /// The answering thread of the process (one model load, shared by both servers).
    pub asker: Arc<AskWorker>,
}

/// An error answer: status and `{"error": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    /// An error answer with this status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do.
    pub error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response()
    }
}

/// One result: the serialised [`Hit`] (documentation mirror; a test checks the names).
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    /// `code` or `docs`.
    pub index: String,
    pub path: String,
    pub start_line: Option<usize>,
    pub end_line: Option<usize>,
    pub page: Option<usize>,
    pub symbol: Option<String>,
    /// Qualified name of the enclosing class, impl or module of a code chunk.
    pub container: Option<String>,
    pub kind: String,
    pub language: Option<String>,
    pub score: f64,
    pub semantic_rank: Option<usize>,
    pub lexical_rank: Option<usize>,
    pub text: String,
    /// Lines of `text` (0-based) matching the query's words best.
    pub matched_lines: Vec<usize>,
}

/// The answer to a search.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    #[schema(value_type = String)]
    pub index: IndexName,
    #[schema(value_type = String)]
    pub mode: SearchMode,
    pub took_ms: f64,
    #[schema(value_type = Vec<SearchResult>)]
    pub results: Vec<Hit>,
}

/// The state of the index (the serialised `plait_ingest::IndexStatus`).
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResponse {
    pub index: String,
    /// Distinct chunk contents in the index.
    pub documents: usize,
    /// Chunk locations (a content can sit in several files).
    pub chunks: usize,
    /// Files with at least one chunk in this index.
    pub files: usize,
    /// The committed generation (`metadata-N.json`) searches read now.
    pub last_commit: Option<String>,
    /// When it was committed (seconds since the epoch).
    pub last_commit_unix: Option<u64>,
    /// The encoder that built the index.
    pub model: Option<String>,
}

/// The health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    pub status: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "plait index server",
        description = "Search one plait index (code on :8088, docs on :8089 by default)."
    ),
    paths(health, status, search, ask),
    components(schemas(
        SearchRequest,
        AskBody,
        SearchParamsBody,
        SearchResponse,
        SearchResult,
        StatusResponse,
        HealthResponse,
        ErrorBody
    ))
)]
struct ApiDoc;

/// The OpenAPI 3 document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The endpoints of one index (health, status, search, OpenAPI), without the guard: the
/// index servers and the web page (under `/api/code` and `/api/docs`) both mount them.
pub fn index_routes(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/status", get(status))
        .route("/search", post(search))
        .route("/ask", post(ask))
        .route("/openapi.json", get(openapi_json))
        .with_state(state)
}

/// The router of one index's server, with auth, panic catching and JSON errors.
pub fn router(state: Arc<ApiState>) -> Router {
    index_routes(state.clone())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state,
            guard::<ApiState>,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
}

/// The answer when a handler panics.
pub(crate) fn on_panic(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("internal error while answering (the server keeps running)").into_response()
}

async fn not_found() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message:
            "no such endpoint: GET /health, GET /status, POST /search, POST /ask, GET /openapi.json"
                .into(),
    }
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: format!(
            "{} is not allowed on {}: GET /health, GET /status, POST /search, POST /ask, GET /openapi.json",
            request.method(),
            request.uri().path()
        ),
    }
}

/// The host part of a `Host` value or an origin's authority (no port, no brackets),
/// lowercased.
fn host_name(authority: &str) -> String {
    let a = authority.trim();
    let host = if let Some(rest) = a.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        a.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(a, |(h, _)| h)
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `host` (from `Host` or `Origin`) names this server: a loopback name or
/// address, or the address it listens on. Listening on every address (`0.0.0.0`, with
/// the token required) accepts any name.
fn is_our_host(host: &str, listen: IpAddr) -> bool {
    if listen.is_unspecified() || host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback() || ip == listen)
}

/// The host of an `Origin` value (`scheme://host[:port]`); `None` for `null` or junk.
fn origin_host(origin: &str) -> Option<String> {
    let (_, rest) = origin.split_once("://")?;
    let authority = rest.split('/').next()?;
    Some(host_name(authority))
}

fn refuse(status: StatusCode, message: String) -> Response {
    ApiError { status, message }.into_response()
}

/// What the guard checks a request against: the bearer token (when set) and the address
/// the server listens on.
pub trait Guarded: Send + Sync + 'static {
    /// Bearer token every request must carry, when set.
    fn token(&self) -> Option<&str>;
    /// The address listened on; `Host` and `Origin` must name it or loopback.
    fn listen(&self) -> IpAddr;
}

impl Guarded for ApiState {
    fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
    fn listen(&self) -> IpAddr {
        self.listen
    }
}

/// Host and Origin checks, then the bearer token.
pub async fn guard<S: Guarded>(
    State(state): State<Arc<S>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(refused) = check_host(request.headers(), state.listen()) {
        return refused;
    }
    if let Some(token) = state.token() {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim());
        if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
            return ApiError {
                status: StatusCode::UNAUTHORIZED,
                message: "missing or wrong bearer token (Authorization: Bearer <token>)".into(),
            }
            .into_response();
        }
    }
    next.run(request).await
}

/// Host and Origin checks only: for what any local browser may load without the token
/// (the web page's own files, which hold no data).
pub async fn guard_host<S: Guarded>(
    State(state): State<Arc<S>>,
    request: Request,
    next: Next,
) -> Response {
    match check_host(request.headers(), state.listen()) {
        Some(refused) => refused,
        None => next.run(request).await,
    }
}

/// The refusal of a request whose `Host` or `Origin` names another site, if it does.
fn check_host(headers: &axum::http::HeaderMap, listen: IpAddr) -> Option<Response> {
    if let Some(host) = headers.get(header::HOST) {
        let name = host.to_str().map(host_name).unwrap_or_default();
        if !is_our_host(&name, listen) {
            return Some(refuse(
                StatusCode::FORBIDDEN,
                format!("Host {:?} is not this server: it answers to localhost, 127.0.0.1, [::1] and {} (a web page cannot reach it through another name)", host_text(host), listen),
            ));
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .ok()
            .and_then(origin_host)
            .is_some_and(|h| is_our_host(&h, listen));
        if !ok {
            return Some(refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "requests from the web page at {:?} are refused: plait answers local clients only",
                    host_text(origin)
                ),
            ));
        }
    }
    None
}

/// A header value for an error message, at most 100 characters.
fn host_text(v: &axum::http::HeaderValue) -> String {
    String::from_utf8_lossy(v.as_bytes())
        .chars()
        .take(100)
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[utoipa::path(get, path = "/health", responses((status = 200, body = HealthResponse)))]
async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
    })
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

#[utoipa::path(get, path = "/status", responses((status = 200, body = StatusResponse), (status = 500, body = ErrorBody)))]
async fn status(
    State(state): State<Arc<ApiState>>,
) -> Result<Json<plait_ingest::IndexStatus>, ApiError> {
    tokio::task::spawn_blocking(move || state.service.status(state.name))
        .await
        .map_err(|_| ApiError::internal("the status task failed"))?
        .map(Json)
        .map_err(|e| api_error(&e))
}

#[utoipa::path(
    post,
    path = "/search",
    request_body = SearchRequest,
    responses(
        (status = 200, body = SearchResponse),
        (status = 400, body = ErrorBody, description = "malformed JSON, unknown field, empty or too long query, bad k or params"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Host or Origin names another site"),
        (status = 408, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody, description = "the body is not sent as application/json")
    )
)]
async fn search(
    State(state): State<Arc<ApiState>>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<Json<SearchResponse>, ApiError> {
    let request: SearchRequest = json_body(&headers, body, "search request").await?;
    let query = request.into_query().map_err(ApiError::bad_request)?;
    query.validate().map_err(|e| api_error(&e))?;
    tokio::task::spawn_blocking(move || search_blocking(&state, &query))
        .await
        .map_err(|_| ApiError::internal("internal error while searching"))?
}

/// Reads a JSON request body: only `application/json` (a form or text/plain POST, what
/// a web page may send anywhere without asking, is refused), at most [`MAX_BODY`] bytes,
/// arriving within [`BODY_TIMEOUT`]; `what` names it in errors.
pub(crate) async fn json_body<T: serde::de::DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: Body,
    what: &str,
) -> Result<T, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message: format!("send the {what} as JSON (Content-Type: application/json)"),
        });
    }
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY)).await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return Err(ApiError {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                message: format!("request body larger than {MAX_BODY} bytes"),
            })
        }
        Err(_) => {
            return Err(ApiError {
                status: StatusCode::REQUEST_TIMEOUT,
                message: format!(
                    "the request body did not arrive within {} s",
                    BODY_TIMEOUT.as_secs()
                ),
            })
        }
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid {what}: {e}")))
}

#[utoipa::path(
    post,
    path = "/ask",
    request_body = AskBody,
    responses(
        (status = 200, description = "newline-delimited JSON (application/x-ndjson): {\"event\":\"sources\"}, then {\"event\":\"token\"} per piece of the model's text and {\"event\":\"sentence\"} per checked sentence, then {\"event\":\"answer\"} with the answer, declined, the cited sources (search hits with their number) and timings; {\"event\":\"error\"} if generation fails midway"),
        (status = 400, body = ErrorBody, description = "malformed JSON, unknown field, empty or too long question, bad k, params or max_tokens"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 408, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 500, body = ErrorBody, description = "the model role cannot run"),
        (status = 503, body = ErrorBody, description = "nothing is indexed yet")
    )
)]
async fn ask(
    State(state): State<Arc<ApiState>>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let b: AskBody = json_body(&headers, body, "ask request").await?;
    let request = b
        .into_request(vec![state.name])
        .map_err(ApiError::bad_request)?;
    let mut replies = state.asker.submit(request);
    // The first reply says whether the answer started (else: a JSON error answer).
    let first = match replies.recv().await {
        Some(Reply::Event(e)) => e,
        Some(Reply::Failed(kind, message)) => {
            let status = match kind {
                Failure::BadRequest => StatusCode::BAD_REQUEST,
                Failure::NoIndex => StatusCode::SERVICE_UNAVAILABLE,
                Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            };
            return Err(ApiError { status, message });
        }
        None => return Err(ApiError::internal("the answering thread has stopped")),
    };
    let lines =
        futures_util::stream::unfold((Some(first), replies), |(first, mut replies)| async move {
            let event = match first {
                Some(e) => e,
                None => match replies.recv().await? {
                    Reply::Event(e) => e,
                    Reply::Failed(_, error) => plait_ask::StreamEvent::Error { error },
                },
            };
            let line = axum::body::Bytes::from(event.line());
            Some((Ok::<_, std::convert::Infallible>(line), (None, replies)))
        });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(lines),
    )
        .into_response())
}

/// A library error as an answer: a bad query or a file a client may not open is the
/// client's (400, 404), the rest ours.
pub(crate) fn api_error(e: &IngestError) -> ApiError {
    match e {
        IngestError::BadQuery { .. } => ApiError::bad_request(e.to_string()),
        IngestError::NotIndexed { .. } => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
        _ => ApiError::internal(e.to_string()),
    }
}

fn search_blocking(state: &ApiState, query: &Query) -> Result<Json<SearchResponse>, ApiError> {
    let started = Instant::now();
    let results = state
        .service
        .search(state.name, query)
        .map_err(|e| api_error(&e))?;
    Ok(Json(SearchResponse {
        index: state.name,
        mode: query.mode,
        took_ms: started.elapsed().as_secs_f64() * 1e3,
        results,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_origin_must_name_this_machine() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap_or_else(|_| unreachable!());
        for ok in [
            "localhost:8088",
            "127.0.0.1:8088",
            "[::1]:8089",
            "LOCALHOST",
            "127.0.0.2",
        ] {
            assert!(is_our_host(&host_name(ok), lo), "{ok}");
        }
        for bad in [
            "evil.example.com",
            "evil.example.com:8088",
            "10.0.0.1",
            "localhost.evil.com",
        ] {
            assert!(!is_our_host(&host_name(bad), lo), "{bad}");
        }
        assert_eq!(
            origin_host("http://localhost:3000").as_deref(),
            Some("localhost")
        );
        assert_eq!(
            origin_host("https://evil.example.com").as_deref(),
            Some("evil.example.com")
        );
        assert_eq!(origin_host("null"), None);
    }

    #[test]
    fn the_documented_result_has_the_hit_s_fields() {
        let doc = serde_json::to_value(openapi()).unwrap_or_default();
        let props = &doc["components"]["schemas"]["SearchResult"]["properties"];
        let mut names: Vec<&str> = props
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        names.sort_unstable();
        let mut fields = Hit::FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(names, fields);
    }
}
