//! `/api/v1/drills`: run the monthly drill now (its report in the answer) and its history.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tocsin_core::access::Role;
use tocsin_core::drill::DrillRecord;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

/// A drill and its report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Drill {
    id: String,
    /// `schedule`, or who ran it by hand.
    trigger: String,
    /// `running`, `waiting`, `passed` or `failed`.
    status: &'static str,
    started_at: Timestamp,
    /// When unconfirmed test pages count as failed.
    confirm_by: Timestamp,
    finished_at: Option<Timestamp>,
    /// The SEV-3 a failure opened.
    incident: Option<String>,
    /// What came of sending the report: `sent`, or the error.
    report_sent: Option<String>,
    items: Vec<DrillItem>,
}

/// One checked item of a drill.
#[derive(Debug, Serialize, ToSchema)]
pub struct DrillItem {
    /// `channel`, `page`, `monitor`, `heartbeat`, `integration` or `contact`.
    kind: String,
    /// What was checked: a channel id, `contact via method`, a monitor or integration id.
    subject: String,
    /// `pass`, `fail`, `waiting` or `skipped`.
    status: &'static str,
    reason: String,
    confirmed_at: Option<Timestamp>,
}

/// A drill and its report as the API shows it.
pub fn wire(record: &DrillRecord) -> Drill {
    Drill {
        id: record.id.clone(),
        trigger: record.trigger.clone(),
        status: record.status.as_str(),
        started_at: record.started_at,
        confirm_by: record.confirm_by,
        finished_at: record.finished_at,
        incident: record.incident_id.clone(),
        report_sent: record.report_sent.clone(),
        items: record
            .items
            .iter()
            .map(|item| DrillItem {
                kind: item.kind.clone(),
                subject: item.subject.clone(),
                status: item.status.as_str(),
                reason: item.reason.clone(),
                confirmed_at: item.confirmed_at,
            })
            .collect(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// At most this many (default 100, at most 1000).
    limit: Option<u32>,
}

/// Drills, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DrillList {
    drills: Vec<Drill>,
}

#[utoipa::path(
    get,
    path = "/api/v1/drills",
    operation_id = "list_drills",
    tag = "drills",
    params(ListQuery),
    responses(
        (status = 200, description = "Drills, newest first", body = DrillList),
        (status = 400, description = "A bad limit", body = ErrorBody),
    )
)]
pub async fn list(
    _caller: Caller,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<DrillList>, ApiError> {
    let limit = super::limit(query.limit)?;
    let drills = state.engine.drills(limit).await?;
    Ok(Json(DrillList {
        drills: drills.iter().map(wire).collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/drills/{id}",
    operation_id = "show_drill",
    tag = "drills",
    params(("id" = String, Path, description = "The drill's id")),
    responses(
        (status = 200, description = "The drill and its report", body = Drill),
        (status = 404, description = "No such drill", body = ErrorBody),
    )
)]
pub async fn show(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Drill>, ApiError> {
    match state.engine.drill(&id).await? {
        Some(record) => Ok(Json(wire(&record))),
        None => Err(ApiError::not_found(format!("no drill with id `{id}`"))),
    }
}

/// Runs a drill now → 201 with its report.
#[utoipa::path(
    post,
    path = "/api/v1/drills",
    operation_id = "run_drill",
    tag = "drills",
    responses(
        (status = 201, description = "The drill ran; its report", body = Drill),
        (status = 409, description = "No `[drill]` section is configured", body = ErrorBody),
    )
)]
pub async fn run(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<(StatusCode, Json<Drill>), ApiError> {
    // The drill pages every rung of the ladder on every channel: an admin's decision (the
    // access table, `crate::access::TABLE`, says the same).
    if caller.role < Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "running the drill pages everyone, so it needs an admin token",
        ));
    }
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
