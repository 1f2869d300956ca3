//! `POST /api/summary`: a file of the docs index summarized by the same code as
//! `plait summarize` (roles from the same registry), streamed as JSON lines while it is
//! written: `start`, `map` progress, `final`, `text` pieces (each a sentence with its
//! `[p. N]` citation), then `done` with the cited sentences, or `error`. One summary is
//! written at a time.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use plait_summarize::{role_names, Summarizer, SummaryConfig, SummaryEvent};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Semaphore;

use super::{blocking, doc_kind, WebState};
use crate::assets::Home;
use crate::commands::runtime::PdfReader;
use crate::commands::summarize::{read_document_with, SummaryRoles};
use crate::http::{json_body, ApiError};

/// What summaries are written with.
#[derive(Clone)]
pub struct Summaries {
    home: Home,
    roles: Option<PathBuf>,
    threads: Option<i32>,
    reader: Arc<PdfReader>,
    busy: Arc<Semaphore>,
}

impl std::fmt::Debug for Summaries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Summaries")
            .field("roles", &self.roles)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl Summaries {
    /// Summaries with the roles of the registry (`roles`: the user's role file, as
    /// `plait summarize --roles`), every role on `threads` threads when given, PDFs read
    /// through `reader`.
    pub fn new(
        home: Home,
        roles: Option<PathBuf>,
        threads: Option<i32>,
        reader: Arc<PdfReader>,
    ) -> Self {
        Self {
            home,
            roles,
            threads,
            reader,
            busy: Arc::new(Semaphore::new(1)),
        }
    }

    /// Writes the summary of `file`, sending each event as a JSON value.
    fn write(&self, file: &Path, send: &dyn Fn(serde_json::Value)) -> anyhow::Result<()> {
        let names = (role_names::LONG_CONTEXT, role_names::WORKER);
        let roles = SummaryRoles::load(&self.home, self.roles.as_deref(), names, self.threads)?;
        let doc = read_document_with(file, || Ok(self.reader.clone()))?;
        send(json!({
            "event": "start",
            "path": file.to_string_lossy(),
            "unit": doc.unit,
            "sections": doc.sections.len(),
        }));
        let (summarizer, worker) = roles.runners(names)?;
        let summary = Summarizer {
            summarizer: &summarizer,
            worker: &worker,
        }
        .summarize(
            &doc,
            &SummaryConfig {
                max_tokens: None,
                note_tokens: None,
                map_share: None,
            },
            |event| match event {
                SummaryEvent::MapStart { chunks } => {
                    send(json!({"event": "map", "done": 0, "of": chunks}));
                }
                SummaryEvent::MapDone { done, of, label } => {
                    send(json!({"event": "map", "done": done, "of": of, "label": label}));
                }
                SummaryEvent::FinalStart { one_pass } => {
                    send(json!({"event": "final", "one_pass": one_pass}));
                }
                SummaryEvent::Text(piece) => send(json!({"event": "text", "text": piece})),
            },
        )?;
        send(json!({
            "event": "done",
            "mode": summary.mode,
            "sentences": summary.sentences,
            "dropped": summary.dropped.len(),
            "seconds": summary.seconds,
        }));
        Ok(())
    }
}

/// The body of `POST /api/summary`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryRequest {
    /// An indexed PDF, Markdown or text file.
    path: String,
}

pub(super) async fn summary(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let request: SummaryRequest = json_body(&headers, body, "summary request").await?;
    let service = state.service.clone();
    let file = blocking(move || service.indexed_file(&request.path)).await?;
    if doc_kind(&file).is_none() {
        return Err(ApiError::bad_request(format!(
            "{} is not a PDF, Markdown or text file: only those are summarized",
            file.display()
        )));
    }
    let permit = state
        .summaries
        .busy
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "a summary is being written; ask again when it is done",
            )
        })?;
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(256);
    let summaries = state.summaries.clone();
    std::thread::Builder::new()
        .name("plait-summary".into())
        .spawn(move || {
            let _permit = permit;
            let send = |v: serde_json::Value| {
                // The page may have gone; the summary is finished all the same.
                let _ = tx.blocking_send(format!("{v}\n"));
            };
            if let Err(e) = summaries.write(&file, &send) {
                send(json!({"event": "error", "error": crate::term::error(&e)}));
            }
        })
        .map_err(|e| ApiError::internal(format!("cannot start the summary: {e}")))?;
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|line| (Ok::<_, Infallible>(line), rx))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::internal(e.to_string()))
}
