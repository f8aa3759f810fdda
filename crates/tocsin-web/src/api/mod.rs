//! The JSON API under `/api/v1` (spec/API.md): incidents, monitors, deliveries.

mod actions;
pub(crate) mod drill;
pub(crate) mod incidents;
pub mod json;
mod monitors;
mod oncall;
mod postmortems;
mod runbooks;
mod uptime;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub use json::ApiJson;

/// Lists return at most this many unless `?limit=` says otherwise.
pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/incidents",
            get(incidents::list).post(incidents::declare),
        )
        .route("/api/v1/incidents/{id}", get(incidents::show))
        .route("/api/v1/incidents/{id}/timeline", get(incidents::timeline))
        .route(
            "/api/v1/incidents/{id}/acknowledge",
            post(incidents::acknowledge),
        )
        .route("/api/v1/incidents/{id}/resolve", post(incidents::resolve))
        .route("/api/v1/incidents/{id}/notes", post(incidents::note))
        .route("/api/v1/incidents/{id}/severity", post(incidents::severity))
        .route(
            "/api/v1/incidents/{id}/public_title",
            axum::routing::put(incidents::public_title),
        )
        .route(
            "/api/v1/incidents/{id}/updates",
            post(incidents::post_update),
        )
        // ── mitigation actions and customer communications ──
        .route("/api/v1/incidents/{id}/actions", get(actions::list))
        .route(
            "/api/v1/incidents/{id}/actions/{action}",
            post(actions::run),
        )
        .route("/api/v1/incidents/{id}/comms", get(actions::comms))
        .route(
            "/api/v1/incidents/{id}/comms/{draft}/approve",
            post(actions::approve),
        )
        .route(
            "/api/v1/incidents/{id}/affected",
            post(actions::add_affected),
        )
        .route("/api/v1/monitors", get(monitors::list))
        .route("/api/v1/monitors/{id}/uptime", get(uptime::show))
        .route("/api/v1/deliveries", get(monitors::deliveries))
        .route("/api/v1/oncall", get(oncall::now))
        .route(
            "/api/v1/oncall/overrides",
            get(oncall::list_overrides).post(oncall::add_override),
        )
        .route(
            "/api/v1/oncall/overrides/{id}",
            axum::routing::delete(oncall::delete_override),
        )
        .route("/api/v1/drills", get(drill::list).post(drill::run))
        .route("/api/v1/drills/{id}", get(drill::show))
        // ── post-mortems, weekly review, response metrics ──
        .route("/api/v1/postmortems", get(postmortems::list))
        .route(
            "/api/v1/postmortems/{incident}",
            get(postmortems::show).put(postmortems::save),
        )
        .route(
            "/api/v1/postmortems/{incident}/publish",
            post(postmortems::publish),
        )
        .route("/api/v1/metrics/response", get(postmortems::metrics))
        .route("/api/v1/review", get(postmortems::review))
        // ── runbooks ──
        .route(
            "/api/v1/incidents/{id}/checklist/{item}",
            post(runbooks::tick),
        )
        .route(
            "/api/v1/changes",
            get(runbooks::list_changes).post(runbooks::record_change),
        )
        .route("/api/v1/runbooks", get(runbooks::search))
}

/// `?limit=`: default 100, at most 1000; anything else is a clear 400.
pub fn limit(requested: Option<u32>) -> Result<u32, crate::ApiError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(0) => Err(crate::ApiError::bad_request("limit must be at least 1")),
        Some(n) if n > MAX_LIMIT => Err(crate::ApiError::bad_request(format!(
            "limit must be at most {MAX_LIMIT}"
        ))),
        Some(n) => Ok(n),
    }
}
