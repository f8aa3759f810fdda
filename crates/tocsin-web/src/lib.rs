//! tocsin-web: the HTTP face of the engine — the API, acknowledge links, health endpoints.
//! Handlers are thin: parse, call the engine, render.

pub mod access;
pub mod access_log;
mod ack;
mod api;
pub mod auth;
mod client_addr;
mod drill_link;
mod error;
mod headers;
mod health;
mod inbound;
mod limit;
mod metrics;
pub mod openapi;
mod pages;
mod process_metrics;
mod reload;
mod slack;
mod slack_app;
mod sms;
mod status;
mod ui;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::{Extension, Router};
use tocsin_engine::Engine;

pub use error::ApiError;
/// The browser's session token, for pages served beside the UI (the demo's) that show who is
/// signed in.
pub use ui::session_token;

/// Largest request body accepted anywhere (PagerDuty's own limit).
pub const BODY_LIMIT: usize = 512 * 1024;

#[derive(Clone, Debug)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pages: Arc<pages::Pages>,
    limits: Arc<limit::IntegrationLimits>,
}

/// The whole router. `extra` lets the binary mount more (the demo's pages).
pub fn router(engine: Arc<Engine>) -> Router {
    let limits = Arc::new(limit::IntegrationLimits::new(
        engine.config().engine.integration_rate_limit,
    ));
    let security_headers = headers::Policy::new(&engine.config().server.public_url);
    let trusted = access_log::Trusted(engine.config().server.trusted_proxies.clone().into());
    let state = AppState {
        engine,
        pages: Arc::new(pages::Pages::new()),
        limits,
    };
    // The machine interfaces and their OpenAPI document come from one list of handlers.
    let (documented, document) = openapi::documented().split_for_parts();
    let document = openapi::Served::new(&openapi::finish(document));
    Router::new()
        .merge(documented)
        .merge(ack::routes())
        .merge(drill_link::routes())
        .merge(pages::routes())
        .merge(slack::routes())
        .merge(ui::routes())
        // After every route is mounted: a route the access table does not name is not served.
        .route_layer(axum::middleware::from_fn(access::guard))
        .layer(Extension(document))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            security_headers,
            headers::apply,
        ))
        // Outermost: the line has the status and bytes every layer above decided.
        .layer(axum::middleware::from_fn_with_state(
            trusted,
            access_log::log,
        ))
        .with_state(state)
}
