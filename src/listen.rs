//! The connection layer of the HTTP servers: a cap on open connections, a time limit
//! on request headers that also closes idle keep-alive connections, and a graceful stop.
//! Slow or silent clients (slowloris) cost a connection slot for at most
//! [`HEADER_TIMEOUT`], and the server keeps answering everyone else meanwhile.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// Longest time a client may take to send a request's headers; a connection waiting
/// that long for its next request (idle keep-alive) is closed too.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections open at once per server; further clients wait in the listen backlog
/// until a slot frees.
pub const MAX_CONNECTIONS: usize = 256;

/// Serves `router` on `listener` until `stop` turns true; connections in flight then
/// finish their current request.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stop.wait_for(|&s| s) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: wait a little, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.wait_for(|&s| s) => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let mut conn_stop = stop.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let stopping = async move {
                let _ = conn_stop.wait_for(|&s| s).await;
            };
            tokio::select! {
                _ = conn.as_mut() => return,
                () = stopping => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
        // Reap finished connections so the set does not grow.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}
