//! `/api/v1/oncall`: who is on call now and next per schedule, and overrides.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tocsin_core::oncall::OverrideRecord;
use utoipa::ToSchema;

use super::ApiJson;
use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

/// Who is on call now in one schedule, and who is next.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCallNow {
    schedule: String,
    /// The contact on call now; `null` when nobody is.
    now: Option<String>,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    /// The contact on call at `until`.
    next: Option<String>,
    /// The schedule's iCalendar feed (signed URL).
    calendar: String,
}

/// Per schedule, in configured order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCallList {
    oncall: Vec<OnCallNow>,
}

#[utoipa::path(
    get,
    path = "/api/v1/oncall",
    operation_id = "on_call_now",
    tag = "oncall",
    responses((status = 200, description = "Who is on call now, per schedule", body = OnCallList))
)]
pub async fn now(
    _caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<OnCallList>, ApiError> {
    let roster = state.engine.on_call_at(state.engine.now()).await?;
    let oncall = roster
        .into_iter()
        .map(|(schedule, on_call)| {
            let calendar = state.engine.calendar_url(&schedule);
            match on_call {
                Some(on_call) => OnCallNow {
                    schedule,
                    now: Some(on_call.contact),
                    since: Some(on_call.since),
                    until: Some(on_call.until),
                    next: on_call.next,
                    calendar,
                },
                None => OnCallNow {
                    schedule,
                    now: None,
                    since: None,
                    until: None,
                    next: None,
                    calendar,
                },
            }
        })
        .collect();
    Ok(Json(OnCallList { oncall }))
}

/// Someone else on call in a schedule for a while: `[from, until)`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Override {
    id: String,
    schedule: String,
    contact: String,
    from: Timestamp,
    until: Timestamp,
    created_by: String,
    created_at: Timestamp,
}

fn wire(record: &OverrideRecord) -> Override {
    Override {
        id: record.id.clone(),
        schedule: record.schedule.clone(),
        contact: record.contact.clone(),
        from: record.starts_at,
        until: record.ends_at,
        created_by: record.created_by.clone(),
        created_at: record.created_at,
    }
}

/// The overrides that have not ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverrideList {
    overrides: Vec<Override>,
}

#[utoipa::path(
    get,
    path = "/api/v1/oncall/overrides",
    operation_id = "list_overrides",
    tag = "oncall",
    responses((status = 200, description = "The overrides", body = OverrideList))
)]
pub async fn list_overrides(
    _caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<OverrideList>, ApiError> {
    let overrides = state.engine.overrides().await?;
    Ok(Json(OverrideList {
        overrides: overrides.iter().map(wire).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    schedule: String,
    /// A configured contact who is not `external`.
    contact: String,
    from: Timestamp,
    until: Timestamp,
}

#[utoipa::path(
    post,
    path = "/api/v1/oncall/overrides",
    operation_id = "add_override",
    tag = "oncall",
    request_body = OverrideBody,
    responses(
        (status = 201, description = "Added", body = Override),
        (status = 400, description = "An unknown schedule or contact, an external contact, or `from >= until`", body = ErrorBody),
    )
)]
pub async fn add_override(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<OverrideBody>,
) -> Result<(StatusCode, Json<Override>), ApiError> {
    let record = state
        .engine
        .add_override(
            &body.schedule,
            &body.contact,
            body.from,
            body.until,
            &caller.name,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(wire(&record))))
}

#[utoipa::path(
    delete,
    path = "/api/v1/oncall/overrides/{id}",
    operation_id = "delete_override",
    tag = "oncall",
    params(("id" = String, Path, description = "The override's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such override", body = ErrorBody),
    )
)]
pub async fn delete_override(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.engine.remove_override(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no override with id `{id}`")))
    }
}
