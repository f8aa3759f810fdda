//! `/api/v1/oncall`: who is on call now and next per schedule, and overrides.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_store::OverrideRecord;

use super::ApiJson;
use crate::auth::Caller;
use crate::{ApiError, AppState};

pub async fn now(_caller: Caller, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let roster = state.engine.on_call_at(state.engine.now()).await?;
    let oncall: Vec<Value> = roster
        .into_iter()
        .map(|(schedule, on_call)| match on_call {
            Some(on_call) => json!({
                "schedule": schedule,
                "now": on_call.contact,
                "since": on_call.since,
                "until": on_call.until,
                "next": on_call.next,
                "calendar": state.engine.calendar_url(&schedule),
            }),
            None => json!({ "schedule": schedule, "now": null, "since": null, "until": null, "next": null }),
        })
        .collect();
    Ok(Json(json!({ "oncall": oncall })))
}

fn wire(record: &OverrideRecord) -> Value {
    json!({
        "id": record.id,
        "schedule": record.schedule,
        "contact": record.contact,
        "from": record.starts_at,
        "until": record.ends_at,
        "created_by": record.created_by,
        "created_at": record.created_at,
    })
}

pub async fn list_overrides(
    _caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let overrides = state.engine.overrides().await?;
    Ok(Json(
        json!({ "overrides": overrides.iter().map(wire).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    schedule: String,
    contact: String,
    from: jiff::Timestamp,
    until: jiff::Timestamp,
}

pub async fn add_override(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<OverrideBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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

pub async fn delete_override(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.engine.store().delete_override(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no override with id `{id}`")))
    }
}
