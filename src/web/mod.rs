//! The web page of `plait serve` (its own port, 8090 by default): the page's files
//! (embedded in the binary: HTML, CSS and a little JavaScript, no inline script), and
//! its API under `/api`. Glue only: searches are the index servers' own endpoints mounted
//! under `/api/code` and `/api/docs` (`http::index_routes`), page images and line boxes
//! come from `plait_ingest::PageViewer`, summaries from `plait_summarize`.
//!
//! The page's files pass the `Host`/`Origin` check only (they hold no data, and a page
//! served off loopback must load to ask for its token); every `/api` request passes the
//! same guard as the index servers (Host, Origin, bearer token). Every answer carries a
//! strict Content-Security-Policy.

mod summary;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plait_ingest::{IndexName, IngestError, PageViewer, SearchService, MAX_QUERY_CHARS};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::http::{self, api_error, guard, guard_host, ApiError, ApiState, Guarded};
pub use summary::Summaries;

/// The page's own files, compiled in.
const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");
const ICON_SVG: &str = include_str!("assets/icon.svg");

/// What the page may load and run: only its own files and API (images also as blobs,
/// which is how the page shows API images fetched with the token), no inline script or
/// style, no frames, no forms posted elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Longest a page render may take before the request is answered with 503 (the render
/// itself finishes in the background, holding its slot).
pub const RENDER_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest the line boxes of a page may take (a scanned page is OCR'd the first time).
pub const BOXES_TIMEOUT: Duration = Duration::from_secs(60);
/// Page renders (and line reads) running at once; more wait for a slot.
pub const RENDER_SLOTS: usize = 2;

/// What the watcher is doing, as the status panel shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WatchState {
    /// Whether `serve --watch` is watching folders.
    pub enabled: bool,
    /// The watched folders.
    pub roots: Vec<String>,
    /// `off`, `starting` (first sync), `watching`, `retrying` (the last sync failed) or
    /// `stopped`.
    pub state: String,
    /// Syncs that committed changes since the server started.
    pub syncs: u64,
    /// When the last sync ended (seconds since the epoch).
    pub last_sync_unix: Option<u64>,
    /// Files added, changed, removed and chunks encoded by the last sync with changes.
    pub last_changes: Option<[usize; 4]>,
    /// The last failure, while it lasts.
    pub last_error: Option<String>,
}

/// What the web server holds.
pub struct WebState {
    /// The code index's API state (its endpoints are mounted under `/api/code`).
    pub code: Arc<ApiState>,
    /// The docs index's API state (under `/api/docs`).
    pub docs: Arc<ApiState>,
    pub service: Arc<SearchService>,
    pub viewer: Arc<PageViewer>,
    pub token: Option<String>,
    pub listen: IpAddr,
    pub watch: Arc<Mutex<WatchState>>,
    pub summaries: Summaries,
    pub renders: Arc<Semaphore>,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState")
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

impl Guarded for WebState {
    fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
    fn listen(&self) -> IpAddr {
        self.listen
    }
}

/// The web server's router.
pub fn router(state: Arc<WebState>) -> Router {
    let page = Router::new()
        .route("/", get(|| asset(INDEX_HTML, "text/html; charset=utf-8")))
        .route(
            "/app.js",
            get(|| asset(APP_JS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/app.css",
            get(|| asset(APP_CSS, "text/css; charset=utf-8")),
        )
        .route("/icon.svg", get(|| asset(ICON_SVG, "image/svg+xml")))
        .layer(from_fn_with_state(state.clone(), guard_host::<WebState>));
    let own = Router::new()
        .route("/status", get(status))
        .route("/files", get(files))
        .route("/page", get(page_image))
        .route("/boxes", get(page_boxes))
        .route("/summary", post(summary::summary))
        // The hook for `plait ask`: POST /api/ask answers here once it exists.
        .with_state(state.clone());
    let api = Router::new()
        .nest("/code", http::index_routes(state.code.clone()))
        .nest("/docs", http::index_routes(state.docs.clone()))
        .merge(own)
        .layer(from_fn_with_state(state, guard::<WebState>));
    Router::new()
        .merge(page)
        .nest("/api", api)
        .fallback(not_found)
        .layer(from_fn(security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            http::on_panic,
        ))
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no such page or endpoint: {} {} (the page is at /, its API under /api)",
            request.method(),
            request.uri().path().chars().take(200).collect::<String>()
        ),
    )
}

/// The security headers of every answer.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Both indexes' status and the watcher's.
#[derive(Debug, Serialize)]
struct StatusBody {
    code: plait_ingest::IndexStatus,
    docs: plait_ingest::IndexStatus,
    watch: WatchState,
}

async fn status(State(state): State<Arc<WebState>>) -> Result<Json<StatusBody>, ApiError> {
    let watch = state
        .watch
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let service = state.service.clone();
    let (code, docs) = blocking(move || {
        Ok((
            service.status(IndexName::Code)?,
            service.status(IndexName::Docs)?,
        ))
    })
    .await?;
    Ok(Json(StatusBody { code, docs, watch }))
}

/// One file of the docs index, for the summary picker.
#[derive(Debug, Serialize)]
struct FileEntry {
    path: String,
    /// `pdf`, `markdown` or `text`.
    kind: &'static str,
}

/// What a summary can be written of: `pdf`, `markdown` or `text` by extension.
fn doc_kind(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => Some("pdf"),
        "md" | "markdown" => Some("markdown"),
        "txt" | "rst" => Some("text"),
        _ => None,
    }
}

async fn files(State(state): State<Arc<WebState>>) -> Result<Json<Vec<FileEntry>>, ApiError> {
    let service = state.service.clone();
    let paths = blocking(move || service.files_of(IndexName::Docs)).await?;
    Ok(Json(
        paths
            .iter()
            .filter_map(|p| {
                Some(FileEntry {
                    path: p.to_string_lossy().into_owned(),
                    kind: doc_kind(p)?,
                })
            })
            .collect(),
    ))
}

/// Runs library work on the blocking pool, library errors as answers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> plait_ingest::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::internal("internal error while answering"))?
        .map_err(|e| view_error(&e))
}

/// A page-view error as an answer naming the file and what to do.
fn view_error(e: &IngestError) -> ApiError {
    use plait_ocr::OcrError as O;
    let text = e.to_string();
    match e {
        IngestError::Extract { source, .. } => match source {
            O::NoSuchPage { .. } => ApiError::new(StatusCode::NOT_FOUND, text),
            O::TooLarge { .. } => ApiError::new(StatusCode::BAD_REQUEST, text),
            O::InvalidPdf { .. } | O::Empty { .. } | O::PasswordRequired { .. } => {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("{text}; plait cannot show its pages (repair or re-save the file, then let the watcher or `plait ingest` read it again)"),
                )
            }
            _ => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, text),
        },
        IngestError::Io { .. } | IngestError::NotRegular { .. } => ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{text} (the file changed since it was indexed; ingest its folder again)"),
        ),
        _ => api_error(e),
    }
}

/// Which page of which file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageParams {
    path: String,
    page: usize,
    #[serde(default)]
    dpi: Option<f32>,
    /// For `/api/boxes`: the query whose lines are marked.
    #[serde(default)]
    q: Option<String>,
}

fn params(q: Result<Query<PageParams>, QueryRejection>) -> Result<PageParams, ApiError> {
    q.map(|Query(p)| p).map_err(|e| {
        ApiError::bad_request(format!(
            "{}: give path (an indexed PDF), page (from 1) and optionally dpi",
            e.body_text()
        ))
    })
}

/// The indexed PDF a request names.
fn indexed_pdf(service: &SearchService, path: &str) -> plait_ingest::Result<PathBuf> {
    let file = service.indexed_file(path)?;
    if doc_kind(&file) == Some("pdf") {
        Ok(file)
    } else {
        Err(IngestError::BadQuery {
            reason: format!(
                "{} is not a PDF: the page view shows pages of PDFs",
                file.display()
            ),
        })
    }
}

/// Runs a page job in a render slot, within `limit`.
async fn in_slot<T: Send + 'static>(
    state: &WebState,
    limit: Duration,
    what: String,
    f: impl FnOnce() -> plait_ingest::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let slots = state.renders.clone();
    let job = async move {
        let permit = slots
            .acquire_owned()
            .await
            .map_err(|_| ApiError::internal("the server is stopping"))?;
        blocking(move || {
            let _permit = permit;
            f()
        })
        .await
    };
    tokio::time::timeout(limit, job).await.unwrap_or_else(|_| {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{what} took longer than {} s; try again in a moment (the server is busy or the page is very complex)",
                limit.as_secs()
            ),
        ))
    })
}

async fn page_image(
    State(state): State<Arc<WebState>>,
    q: Result<Query<PageParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = params(q)?;
    let what = format!("rendering page {} of {}", p.page, short(&p.path));
    let (service, viewer) = (state.service.clone(), state.viewer.clone());
    let image = in_slot(&state, RENDER_TIMEOUT, what, move || {
        let file = indexed_pdf(&service, &p.path)?;
        viewer.image(&file, p.page, p.dpi)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, no-cache"),
            (
                header::HeaderName::from_static("x-plait-cache"),
                if image.cached { "hit" } else { "miss" },
            ),
        ],
        image.png,
    )
        .into_response())
}

async fn page_boxes(
    State(state): State<Arc<WebState>>,
    q: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<plait_ingest::PageBoxes>, ApiError> {
    let p = params(q)?;
    let query = p.q.clone().unwrap_or_default();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_request(format!(
            "the query is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    let what = format!("reading the lines of page {} of {}", p.page, short(&p.path));
    let (service, viewer) = (state.service.clone(), state.viewer.clone());
    let boxes = in_slot(&state, BOXES_TIMEOUT, what, move || {
        let file = indexed_pdf(&service, &p.path)?;
        viewer.boxes(&file, p.page, &query)
    })
    .await?;
    Ok(Json(boxes))
}

/// A client's path cut for a message.
fn short(path: &str) -> String {
    let n = path.chars().count();
    if n <= 200 {
        path.to_string()
    } else {
        format!("...{}", path.chars().skip(n - 200).collect::<String>())
    }
}
