//! `/api/v1/monitors` and `/api/v1/deliveries`: what is watched and what was sent.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json as wire;
use crate::auth::Caller;
use crate::{ApiError, AppState};

pub async fn list(_caller: Caller, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let stored: HashMap<String, _> = state
        .engine
        .store()
        .monitors()
        .await?
        .into_iter()
        .map(|record| (record.id.clone(), record))
        .collect();
    let now = state.engine.now();
    let monitors: Vec<Value> = state
        .engine
        .config()
        .monitors
        .iter()
        .map(|monitor| (monitor, maintenance(&state, monitor, now)))
        .map(|(monitor, maintenance)| match stored.get(&monitor.id) {
            Some(record) => json!({
                "id": monitor.id,
                "name": monitor.name,
                "status": record.state.status.as_str(),
                "since": record.state.since,
                "last_check_at": record.state.last_check_at,
                "last_latency_ms": record.state.last_latency_ms,
                "last_error": record.state.last_error,
                "next_check_at": record.next_check_at,
                "maintenance": maintenance,
            }),
            // Not checked yet (the engine registers every monitor at start-up).
            None => json!({
                "id": monitor.id,
                "name": monitor.name,
                "status": "pending",
                "since": null,
                "last_check_at": null,
                "last_latency_ms": null,
                "maintenance": maintenance,
            }),
        })
        .collect();
    Ok(Json(json!({ "monitors": monitors })))
}

/// The maintenance window covering a monitor now, if any: `{id, title, until}`.
fn maintenance(state: &AppState, monitor: &tocsin_config::Monitor, now: jiff::Timestamp) -> Value {
    state
        .engine
        .maintenance_for_monitor(monitor, now)
        .map_or(Value::Null, |(window, occurrence)| {
            json!({ "id": window.id, "title": window.title, "until": occurrence.end })
        })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    incident: Option<String>,
    limit: Option<u32>,
}

pub async fn deliveries(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<DeliveriesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let limit = super::limit(query.limit)?;
    let deliveries = state
        .engine
        .store()
        .deliveries(query.incident.as_deref(), limit)
        .await?;
    Ok(Json(
        json!({ "deliveries": deliveries.iter().map(wire::delivery).collect::<Vec<_>>() }),
    ))
}
