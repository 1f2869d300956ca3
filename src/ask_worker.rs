//! The answering thread of a server process (`plait serve`, `plait mcp`): the model
//! role is loaded once, on the first question, and one session is kept, so every answer
//! starts from the cached instructions (and sources repeated first). Questions wait in
//! a queue; a caller that drops its receiver (an HTTP client that went away) cancels its
//! generation at the next token.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use plait_ask::{AskConfig, AskError, AskRequest, RoleGenerator, StreamEvent};
use plait_ingest::{IngestError, SearchService};
use tokio::sync::mpsc as tmpsc;

use crate::assets::Home;
use crate::commands::ask::load_role;

/// Events buffered per answer before the worker waits for the client.
const EVENT_BUFFER: usize = 64;

/// Why a question failed before its answer started, as an HTTP status class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The request is wrong (400).
    BadRequest,
    /// Nothing to answer from yet (503).
    NoIndex,
    /// The role cannot run, or the model failed (500).
    Internal,
}

/// What a caller receives: the first message says whether the answer started.
#[derive(Debug)]
pub enum Reply {
    Event(StreamEvent),
    Failed(Failure, String),
}

struct Job {
    request: AskRequest,
    replies: tmpsc::Sender<Reply>,
}

/// The handle of the answering thread.
#[derive(Debug)]
pub struct AskWorker {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").finish_non_exhaustive()
    }
}

impl AskWorker {
    /// Starts the thread; the role `role` (from `roles`, else the usual role files) is
    /// loaded on the first question.
    pub fn start(
        home: Home,
        roles: Option<PathBuf>,
        role: String,
        service: Arc<SearchService>,
    ) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::spawn(move || work(&home, roles, &role, &service, &rx));
        Self {
            jobs: Mutex::new(tx),
        }
    }

    /// Queues a question; its events arrive on the returned receiver.
    pub fn submit(&self, request: AskRequest) -> tmpsc::Receiver<Reply> {
        let (replies, rx) = tmpsc::channel(EVENT_BUFFER);
        let job = Job { request, replies };
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job);
        if let Err(mpsc::SendError(job)) = sent {
            let _ = job.replies.try_send(Reply::Failed(
                Failure::Internal,
                "the answering thread has stopped".into(),
            ));
        }
        rx
    }
}

fn work(
    home: &Home,
    roles: Option<PathBuf>,
    role: &str,
    service: &SearchService,
    jobs: &mpsc::Receiver<Job>,
) {
    while let Ok(first) = jobs.recv() {
        // A bad request is answered without loading anything.
        if let Err(e) = first.request.validate() {
            fail(&first, &e);
            continue;
        }
        let runner = match load_role(home, roles.as_deref(), role) {
            Ok(r) => r,
            Err(e) => {
                let message = crate::term::error(&e);
                let _ = first
                    .replies
                    .blocking_send(Reply::Failed(Failure::Internal, message));
                continue;
            }
        };
        let session = match runner.session() {
            Ok(s) => s,
            Err(e) => {
                let _ = first
                    .replies
                    .blocking_send(Reply::Failed(Failure::Internal, e.to_string()));
                continue;
            }
        };
        let mut generator = RoleGenerator::new(session);
        let mut next = Some(first);
        while let Some(job) = next.take().or_else(|| jobs.recv().ok()) {
            answer(service, &mut generator, &job);
        }
        return;
    }
}

fn fail(job: &Job, e: &AskError) {
    let kind = match e {
        AskError::BadRequest { .. } | AskError::Search(IngestError::BadQuery { .. }) => {
            Failure::BadRequest
        }
        AskError::Search(IngestError::NoIndex { .. }) => Failure::NoIndex,
        _ => Failure::Internal,
    };
    let _ = job
        .replies
        .blocking_send(Reply::Failed(kind, e.to_string()));
}

fn answer(service: &SearchService, generator: &mut RoleGenerator<'_>, job: &Job) {
    let cancel = AtomicBool::new(false);
    let mut started = false;
    let send = |event: StreamEvent, started: &mut bool| {
        *started = true;
        if job.replies.blocking_send(Reply::Event(event)).is_err() {
            // The client went away: stop generating for it.
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let result = plait_ask::ask(
        service,
        generator,
        &AskConfig::default(),
        &job.request,
        Some(&cancel),
        &mut |e| send(StreamEvent::from_event(&e), &mut started),
    );
    match result {
        Ok(a) => send(StreamEvent::Answer(Box::new(a)), &mut started),
        Err(e) if !started => fail(job, &e),
        Err(e) => send(
            StreamEvent::Error {
                error: e.to_string(),
            },
            &mut started,
        ),
    }
}
