//! `GET /api/v1/monitors/{id}/uptime?from=…&to=…`: a monitor's uptime over a window, from its
//! outage intervals, exact to the millisecond at the window's edges.

use axum::Json;
use axum::extract::{Path, Query, State};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::status::percent;
use tocsin_core::uptime::measure;

use crate::auth::Caller;
use crate::{ApiError, AppState};

/// The window when `from` is left out.
const DEFAULT_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UptimeQuery {
    from: Option<String>,
    to: Option<String>,
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

pub async fn show(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<UptimeQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
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
        .store()
        .monitor_history(&id, from, end.max(from))
        .await?;
    let measured = measure(&history, from, end);
    let uptime = measured.fraction();
    Ok(Json(json!({
        "monitor": id,
        "from": from,
        "to": to,
        "monitored_ms": measured.monitored_ms,
        "down_ms": measured.down_ms,
        "uptime": uptime,
        "uptime_percent": uptime.map(percent),
        "outages": history.outages.iter().map(|outage| json!({
            "from": outage.from,
            "until": outage.until,
        })).collect::<Vec<_>>(),
    })))
}
