//! The JSON API under `/api/v1` (spec/API.md): incidents, monitors, deliveries.

mod actions;
mod coordination;
pub(crate) mod drill;
pub(crate) mod incidents;
pub mod json;
mod monitors;
mod oncall;
mod postmortems;
mod runbooks;
pub(crate) mod silences;
pub(crate) mod tickets;
mod uptime;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub use json::ApiJson;

/// Lists return at most this many unless `?limit=` says otherwise.
pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

/// Every `/api/v1` route, each registered from its handler's `#[utoipa::path]` so that what is
/// served and what `/api/v1/openapi.json` describes are one list. One `routes!` per path:
/// utoipa-axum mounts every handler of a `routes!` on each of its paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(incidents::list, incidents::declare))
        .routes(routes!(incidents::show))
        .routes(routes!(incidents::timeline))
        .routes(routes!(incidents::acknowledge))
        .routes(routes!(incidents::resolve))
        .routes(routes!(incidents::note))
        .routes(routes!(incidents::severity))
        .routes(routes!(incidents::public_title))
        .routes(routes!(incidents::post_update))
        // ── mitigation actions and customer communications ──
        .routes(routes!(actions::list))
        .routes(routes!(actions::run))
        .routes(routes!(actions::comms))
        .routes(routes!(actions::approve))
        .routes(routes!(actions::add_affected))
        .routes(routes!(monitors::list))
        .routes(routes!(uptime::show))
        .routes(routes!(monitors::deliveries))
        .routes(routes!(oncall::now))
        .routes(routes!(oncall::list_overrides, oncall::add_override))
        .routes(routes!(oncall::delete_override))
        .routes(routes!(drill::list, drill::run))
        .routes(routes!(drill::show))
        // ── post-mortems, weekly review, response metrics ──
        .routes(routes!(postmortems::list))
        .routes(routes!(postmortems::show, postmortems::save))
        .routes(routes!(postmortems::publish))
        .routes(routes!(postmortems::metrics))
        .routes(routes!(postmortems::review))
        // ── runbooks ──
        .routes(routes!(runbooks::tick))
        .routes(routes!(runbooks::list_changes, runbooks::record_change))
        .routes(routes!(runbooks::search))
        // ── incident roles, merging, snoozing ──
        .routes(routes!(coordination::assign_role))
        .routes(routes!(coordination::merge))
        .routes(routes!(coordination::snooze))
        // ── silences ──
        .routes(routes!(silences::list, silences::add))
        .routes(routes!(silences::expire))
        // ── tickets ──
        .routes(routes!(tickets::close))
        .routes(routes!(tickets::reopen))
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
