//! The demo's sample app: answers `/healthz` with 200 while healthy and 503 once broken.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::net::TcpListener;

/// Serves the sample app on a free loopback port; returns its base URL.
pub async fn start(healthy: Arc<AtomicBool>) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = Router::new()
        .route("/healthz", get(health))
        .route("/api/v1/ping", get(ping))
        .with_state(healthy);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the demo's sample app stopped");
        }
    });
    Ok(url)
}

async fn health(State(healthy): State<Arc<AtomicBool>>) -> (StatusCode, &'static str) {
    if healthy.load(Ordering::SeqCst) {
        (StatusCode::OK, "ok")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the sample app is broken (tocsin demo)",
        )
    }
}

async fn ping(State(healthy): State<Arc<AtomicBool>>) -> (StatusCode, &'static str) {
    if healthy.load(Ordering::SeqCst) {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "down")
    }
}
