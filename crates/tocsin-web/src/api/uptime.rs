//! `GET /api/v1/monitors/{id}/uptime?from=…&to=…`: a monitor's uptime over a window, from its
//! outage intervals, exact to the millisecond at the window's edges.

use axum::Json;
use axum::extract::{Path, Query, State};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tocsin_core::status::percent;
use tocsin_core::uptime::measure;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

/// The window when `from` is left out.
const DEFAULT_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UptimeQuery {
    /// RFC 3339; default: 24 hours before `to`.
    from: Option<String>,
    /// RFC 3339; default: now.
    to: Option<String>,
}

/// A monitor's uptime over a window, from its outages clipped exactly to the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct Uptime {
    monitor: String,
    from: Timestamp,
    to: Timestamp,
    /// How long it was watched within the window (the part after now is not counted).
    monitored_ms: i64,
    down_ms: i64,
    /// Share of `monitored_ms` it was up, 0 to 1; `null` when it was not watched in the window.
    uptime: Option<f64>,
    /// `uptime` as a percentage, floored to hundredths, e.g. `"99.95"`.
    uptime_percent: Option<String>,
    outages: Vec<OutageJson>,
}

/// One outage; `until` is `null` while it lasts.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutageJson {
    from: Timestamp,
    until: Option<Timestamp>,
}

fn instant(name: &str, text: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    text.map(|text| {
        text.parse::<Timestamp>().map_err(|_| {
            ApiError::bad_request(format!(
                "`{name}` must be an RFC 3339 time like 2026-11-26T00:00:00Z, not `{text}`"
            ))
        })
    })
    .transpose()
}

#[utoipa::path(
    get,
    path = "/api/v1/monitors/{id}/uptime",
    operation_id = "monitor_uptime",
    tag = "monitors",
    params(("id" = String, Path, description = "The monitor's id"), UptimeQuery),
    responses(
        (status = 200, description = "Its uptime over the window", body = Uptime),
        (status = 400, description = "A bad time, or `from >= to`", body = ErrorBody),
        (status = 404, description = "No such monitor", body = ErrorBody),
    )
)]
pub async fn show(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<UptimeQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Uptime>, ApiError> {
    let Query(query) = query?;
    if state.engine.config().monitor(&id).is_none() {
        return Err(ApiError::not_found(format!("no monitor `{id}`")));
    }
    let now = state.engine.now();
    let to = instant("to", query.to.as_deref())?.unwrap_or(now);
    let from = match instant("from", query.from.as_deref())? {
        Some(from) => from,
        None => to.checked_sub(DEFAULT_WINDOW).unwrap_or(to),
    };
    if from >= to {
        return Err(ApiError::bad_request("`from` must be before `to`"));
    }
    // The future is not measured: a window reaching past now ends now.
    let end = to.min(now);
    let history = state
        .engine
        .monitor_history(&id, from, end.max(from))
        .await?;
    let measured = measure(&history, from, end);
    let uptime = measured.fraction();
    Ok(Json(Uptime {
        monitor: id,
        from,
        to,
        monitored_ms: measured.monitored_ms,
        down_ms: measured.down_ms,
        uptime,
        uptime_percent: uptime.map(percent),
        outages: history
            .outages
            .iter()
            .map(|outage| OutageJson {
                from: outage.from,
                until: outage.until,
            })
            .collect(),
    }))
}
