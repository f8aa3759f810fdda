//! `/api/v1/drills`: run the monthly drill now (its report in the answer) and its history.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_store::DrillRecord;

use crate::auth::Caller;
use crate::{ApiError, AppState};

/// A drill and its report as the API and the UI's JSON show it.
pub fn wire(record: &DrillRecord) -> Value {
    json!({
        "id": record.id,
        "trigger": record.trigger,
        "status": record.status.as_str(),
        "started_at": record.started_at,
        "confirm_by": record.confirm_by,
        "finished_at": record.finished_at,
        "incident": record.incident_id,
        "report_sent": record.report_sent,
        "items": record.items.iter().map(|item| json!({
            "kind": item.kind,
            "subject": item.subject,
            "status": item.status.as_str(),
            "reason": item.reason,
            "confirmed_at": item.confirmed_at,
        })).collect::<Vec<_>>(),
    })
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<u32>,
}

pub async fn list(
    _caller: Caller,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = super::limit(query.limit)?;
    let drills = state.engine.drills(limit).await?;
    Ok(Json(
        json!({ "drills": drills.iter().map(wire).collect::<Vec<_>>() }),
    ))
}

pub async fn show(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match state.engine.drill(&id).await? {
        Some(record) => Ok(Json(wire(&record))),
        None => Err(ApiError::not_found(format!("no drill with id `{id}`"))),
    }
}

/// Runs a drill now (every API token is the admin's) → 201 with its report.
pub async fn run(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if state.engine.config().drill.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_drill",
            "no [drill] section is configured; add one with `schedule` and `report_to`",
        ));
    }
    let record = state.engine.run_drill(&caller.name).await?;
    Ok((StatusCode::CREATED, Json(wire(&record))))
}
