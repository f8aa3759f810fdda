//! The demo's sample app: answers `/healthz` with 200 while healthy and 503 once broken, and
//! stands in for what the seed runbook checks beside it (the database, the payment provider) and
//! for the host's rollback and restart APIs that the runbook's action buttons call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tokio::net::TcpListener;

/// Serves the sample app on a free loopback port; returns its base URL.
pub async fn start(healthy: Arc<AtomicBool>) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = Router::new()
        .route("/healthz", get(health))
        .route("/api/v1/ping", get(ping))
        // A bad deploy breaks the app, not what it depends on: these stay up.
        .route("/db", get(|| async { "ok" }))
        .route("/payments", get(|| async { "ok" }))
        .route("/rollback", post(rollback))
        .route("/restart", post(restart))
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

/// The host's rollback: the previous deployment goes back live, and with it a working app.
async fn rollback(State(healthy): State<Arc<AtomicBool>>, body: String) -> String {
    healthy.store(true, Ordering::SeqCst);
    format!("rolled back: {body}")
}

/// The host's restart: the same (bad) deployment starts again, so a broken app stays broken.
async fn restart(State(healthy): State<Arc<AtomicBool>>) -> &'static str {
    if healthy.load(Ordering::SeqCst) {
        "restarted"
    } else {
        "restarted; the deploy that broke it is still live"
    }
}
