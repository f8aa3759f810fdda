//! `/api/v1/incidents/{id}/roles`, `/merge`, `/snooze`: assigning an incident role, merging an
//! incident into another, snoozing an acknowledged one.

use axum::Json;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiJson, json as wire};
use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// `commander`, `communications` or `scribe`.
    role: String,
    /// Who takes it: a tocsin user's e-mail, or a contact's id from the configuration.
    user: String,
}

/// Gives one of the incident's roles to a person: a `role_assigned` event (`data: {role, user,
/// from}`, `from` the previous holder).
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/roles",
    operation_id = "assign_role",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident's id")),
    request_body = RoleBody,
    responses(
        (status = 200, description = "The role is assigned", body = wire::Incident),
        (status = 400, description = "An unknown role or person, or they hold it already", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 409, description = "The incident is resolved or merged", body = ErrorBody),
    )
)]
pub async fn assign_role(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<wire::Incident>, ApiError> {
    let incident = state
        .engine
        .assign_role(&id, &body.role, &body.user, &caller.name)
        .await?;
    Ok(Json(super::incidents::wire_incident(&state, &incident)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The incident to merge into: open, not itself merged.
    into: String,
}

/// Merges the incident into another: it ends (`merged_into`), its alerts and their dedup keys
/// lead to the other, its pages and escalation stop; both timelines get a `merged` event and are
/// kept, and the other's timeline shows this one's too.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/merge",
    operation_id = "merge_incident",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident to merge")),
    request_body = MergeBody,
    responses(
        (status = 200, description = "Merged: the merged incident, ended", body = wire::Incident),
        (status = 400, description = "Into itself, or `into` names no incident", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 409, description = "It is resolved or merged, or `into` is", body = ErrorBody),
    )
)]
pub async fn merge(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<wire::Incident>, ApiError> {
    let incident = state.engine.merge(&id, &body.into, &caller.name).await?;
    Ok(Json(super::incidents::wire_incident(&state, &incident)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnoozeBody {
    /// When the snooze ends (RFC 3339): after now, within 7 days.
    until: Option<Timestamp>,
    /// Instead of `until`: how long from now, like `30m` or `2h`.
    #[serde(rename = "for")]
    for_: Option<String>,
}

/// Snoozes an acknowledged incident: its reminders are held until then; if it is still open
/// then, it is un-acknowledged and paged from the first step again (`snooze_ended`).
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/snooze",
    operation_id = "snooze_incident",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident's id")),
    request_body = SnoozeBody,
    responses(
        (status = 200, description = "Snoozed", body = wire::Incident),
        (status = 400, description = "`until` in the past or over 7 days away, or neither or both of `until` and `for`", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 409, description = "It is not acknowledged, or is resolved", body = ErrorBody),
    )
)]
pub async fn snooze(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SnoozeBody>,
) -> Result<Json<wire::Incident>, ApiError> {
    let incident = match (body.until, body.for_) {
        (Some(until), None) => state.engine.snooze(&id, until, &caller.name).await?,
        (None, Some(span)) => {
            let span = snooze_span(&span)?;
            state.engine.snooze_for(&id, span, &caller.name).await?
        }
        _ => {
            return Err(ApiError::bad_request(
                "give either `until` (an RFC 3339 time) or `for` (like `2h`), not both",
            ));
        }
    };
    Ok(Json(super::incidents::wire_incident(&state, &incident)))
}

/// `for` as a duration (`30m`, `2h`, `1d`), with a clear error.
pub(crate) fn snooze_span(text: &str) -> Result<std::time::Duration, ApiError> {
    tocsin_core::parse_duration(text.trim()).map_err(|error| {
        ApiError::bad_request(format!(
            "`for`: {error} (write a span like `30m`, `2h` or `1d`)"
        ))
    })
}
