//! `/api/v1/monitors` and `/api/v1/deliveries`: what is watched and what was sent.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tocsin_core::monitor::MonitorStatus;
use utoipa::{IntoParams, ToSchema};

use super::json as wire;
use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

/// A configured monitor and its state now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Monitor {
    id: String,
    name: String,
    /// `degraded`: the last check passed but not fully healthy (`last_error` says why); shown,
    /// never paged. `pending`: not checked yet.
    status: MonitorStatus,
    /// When it entered this status.
    since: Option<Timestamp>,
    last_check_at: Option<Timestamp>,
    last_latency_ms: Option<u64>,
    last_error: Option<String>,
    next_check_at: Option<Timestamp>,
    /// The maintenance window covering it now, if any.
    maintenance: Option<MaintenanceNow>,
}

/// A maintenance window in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceNow {
    id: String,
    title: String,
    until: Timestamp,
}

/// Every configured monitor, in configured order.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonitorList {
    monitors: Vec<Monitor>,
}

#[utoipa::path(
    get,
    path = "/api/v1/monitors",
    operation_id = "list_monitors",
    tag = "monitors",
    responses((status = 200, description = "Every monitor and its state", body = MonitorList))
)]
pub async fn list(
    _caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<MonitorList>, ApiError> {
    let stored: HashMap<String, _> = state
        .engine
        .monitor_records()
        .await?
        .into_iter()
        .map(|record| (record.id.clone(), record))
        .collect();
    let now = state.engine.now();
    let monitors: Vec<Monitor> = state
        .engine
        .config()
        .monitors
        .iter()
        .map(|monitor| (monitor, maintenance(&state, monitor, now)))
        .map(|(monitor, maintenance)| match stored.get(&monitor.id) {
            Some(record) => Monitor {
                id: monitor.id.clone(),
                name: monitor.name.clone(),
                status: record.state.status,
                since: record.state.since,
                last_check_at: record.state.last_check_at,
                last_latency_ms: record.state.last_latency_ms,
                last_error: record.state.last_error.clone(),
                next_check_at: Some(record.next_check_at),
                maintenance,
            },
            // Not checked yet (the engine registers every monitor at start-up).
            None => Monitor {
                id: monitor.id.clone(),
                name: monitor.name.clone(),
                status: MonitorStatus::Pending,
                since: None,
                last_check_at: None,
                last_latency_ms: None,
                last_error: None,
                next_check_at: None,
                maintenance,
            },
        })
        .collect();
    Ok(Json(MonitorList { monitors }))
}

/// The maintenance window covering a monitor now, if any.
fn maintenance(
    state: &AppState,
    monitor: &tocsin_config::Monitor,
    now: Timestamp,
) -> Option<MaintenanceNow> {
    state
        .engine
        .maintenance_for_monitor(monitor, now)
        .map(|(window, occurrence)| MaintenanceNow {
            id: window.id.clone(),
            title: window.title.clone(),
            until: occurrence.end,
        })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only this incident's deliveries.
    incident: Option<String>,
    /// At most this many (default 100, at most 1000).
    limit: Option<u32>,
}

/// Deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    deliveries: Vec<wire::Delivery>,
}

#[utoipa::path(
    get,
    path = "/api/v1/deliveries",
    operation_id = "list_deliveries",
    tag = "monitors",
    params(DeliveriesQuery),
    responses(
        (status = 200, description = "What was sent, or is being sent, to whom", body = DeliveryList),
        (status = 400, description = "A bad limit", body = ErrorBody),
    )
)]
pub async fn deliveries(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<DeliveriesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DeliveryList>, ApiError> {
    let Query(query) = query?;
    let limit = super::limit(query.limit)?;
    let deliveries = state
        .engine
        .recent_deliveries(query.incident.as_deref(), limit)
        .await?;
    Ok(Json(DeliveryList {
        deliveries: deliveries.iter().map(wire::delivery).collect(),
    }))
}
