//! The HTTP server's accept loop: HTTP/1.1 with a header timeout (slowloris connections that
//! never finish their headers are closed), a whole-request timeout, at most `max_connections`
//! connections at once, the peer's address on every request (axum's `ConnectInfo`), and a
//! graceful stop.
//!
//! Its own loop rather than `axum::serve`, which has no header timeout and no connection cap.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt as _;

/// Open files kept for the database, outbound requests and the like when the connection cap is
/// lowered to fit the process's open-files limit.
const RESERVED_FILES: u64 = 128;

/// How the server bounds what clients can make it hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
}

impl ServeLimits {
    /// The configured limits, the connection cap lowered to fit the open-files limit and the
    /// request timeout raised to outlast the longest action.
    pub fn from_config(config: &tocsin_config::Config) -> ServeLimits {
        let server = &config.server;
        let configured = u64::from(server.max_connections);
        let max_connections = match open_files_limit() {
            Some(files) if files < configured.saturating_add(RESERVED_FILES) => {
                let fitted = files.saturating_sub(RESERVED_FILES).max(16);
                tracing::warn!(
                    configured,
                    open_files_limit = files,
                    serving = fitted,
                    "server.max_connections is lowered to fit the open-files limit; raise the \
                     limit (`ulimit -n`, systemd's LimitNOFILE) to serve more at once"
                );
                fitted
            }
            _ => configured,
        };
        let longest_action = config
            .actions
            .iter()
            .map(|action| action.timeout + Duration::from_secs(5))
            .max()
            .unwrap_or_default();
        ServeLimits {
            max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
            header_timeout: server.header_timeout,
            request_timeout: server.request_timeout.max(longest_action),
        }
    }
}

/// The soft limit on open files (`ulimit -n`), from `/proc/self/limits`; `None` off Linux or
/// when unlimited.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    soft_open_files(&limits)
}

fn soft_open_files(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Serves `router` on `listener` until `stop` completes, then stops accepting, lets every
/// request in flight finish, and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    stop: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (closing, closing_seen) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        // A free slot first: at the cap, new connections wait in the kernel's queue rather than
        // being accepted and held.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_closed) => break,
            },
            () = &mut stop => break,
            Some(_) = connections.join_next() => continue,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most likely; every other error concerns one
                    // connection. Pause so a full table does not spin the loop.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
            Some(_) = connections.join_next() => continue,
        };
        let router = router.clone();
        let closing = closing_seen.clone();
        connections.spawn(async move {
            let _slot = slot;
            let _ = stream.set_nodelay(true);
            let request_timeout = limits.request_timeout;
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                answer(router.clone(), peer, request_timeout, request)
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, %peer, "connection ended with an error");
                    }
                }
                () = closed(closing) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

/// Completes once the server is closing.
async fn closed(mut closing: watch::Receiver<bool>) {
    let _ = closing.wait_for(|closing| *closing).await;
}

/// One request: the peer's address added, answered by the router within `timeout`, else 408.
async fn answer(
    router: Router,
    peer: SocketAddr,
    timeout: Duration,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let mut request = request.map(Body::new);
    request.extensions_mut().insert(ConnectInfo(peer));
    match tokio::time::timeout(timeout, router.oneshot(request)).await {
        Ok(response) => response,
        Err(_elapsed) => {
            tracing::warn!(%peer, "a request took longer than server.request_timeout");
            let mut response = Response::new(Body::from(
                "tocsin did not finish this request in time (server.request_timeout); retry it\n",
            ));
            *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
            let headers = response.headers_mut();
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            Ok(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_files_limit_is_read_from_proc() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             63704                63704                processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(soft_open_files(limits), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(soft_open_files(unlimited), None);
    }
}
