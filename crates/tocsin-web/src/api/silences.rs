//! `/api/v1/silences`: silences made, listed and expired. A matching signal is recorded but
//! pages nobody and tells no channel until the silence ends (docs/routing.md).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tocsin_core::silence::SilenceRecord;
use tocsin_engine::{NewSilence, SilenceEnd};
use utoipa::ToSchema;

use super::ApiJson;
use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

/// A silence: signals whose labels satisfy every matcher are recorded but page nobody from
/// `starts_at` until `ends_at`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Silence {
    id: String,
    /// Label → value, or `~regex` matched against the whole value.
    matchers: BTreeMap<String, String>,
    starts_at: Timestamp,
    /// Expiring a silence moves its end to that moment.
    ends_at: Timestamp,
    comment: String,
    created_by: String,
    /// In force now.
    active: bool,
}

pub(crate) fn wire(record: &SilenceRecord, now: Timestamp) -> Silence {
    Silence {
        id: record.id.clone(),
        matchers: record.matchers.clone(),
        starts_at: record.starts_at,
        ends_at: record.ends_at,
        comment: record.comment.clone(),
        created_by: record.created_by.clone(),
        active: record.is_active(now),
    }
}

/// The latest silences, newest first, ended ones included.
#[derive(Debug, Serialize, ToSchema)]
pub struct SilenceList {
    silences: Vec<Silence>,
}

#[utoipa::path(
    get,
    path = "/api/v1/silences",
    operation_id = "list_silences",
    tag = "silences",
    responses((status = 200, description = "The latest silences, newest first", body = SilenceList))
)]
pub async fn list(
    _caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<SilenceList>, ApiError> {
    let now = state.engine.now();
    let silences = state.engine.silences().await?;
    Ok(Json(SilenceList {
        silences: silences.iter().map(|record| wire(record, now)).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SilenceBody {
    /// Label → value, or `~regex` (anchored): at least one.
    matchers: BTreeMap<String, String>,
    /// When it ends; must be in the future. Give this or `for`.
    #[serde(default)]
    ends_at: Option<Timestamp>,
    /// How long from tocsin's now, like `"1h"`, instead of `ends_at`.
    #[serde(default, rename = "for")]
    duration: Option<String>,
    #[serde(default)]
    comment: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/silences",
    operation_id = "add_silence",
    tag = "silences",
    request_body = SilenceBody,
    responses(
        (status = 201, description = "In force from now until `ends_at`", body = Silence),
        (status = 400, description = "No matchers, a bad regex, `ends_at` not in the future, or neither or both of `ends_at` and `for`; nothing stored", body = ErrorBody),
    )
)]
pub async fn add(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SilenceBody>,
) -> Result<(StatusCode, Json<Silence>), ApiError> {
    let ends = match (body.ends_at, body.duration.as_deref()) {
        (Some(at), None) => SilenceEnd::At(at),
        (None, Some(text)) => {
            SilenceEnd::After(tocsin_core::parse_duration(text).map_err(|error| {
                ApiError::bad_request(format!("`for` is not a duration: {error}"))
            })?)
        }
        _ => {
            return Err(ApiError::bad_request(
                "give either `ends_at` (an RFC 3339 time) or `for` (like \"1h\")",
            ));
        }
    };
    let record = state
        .engine
        .add_silence(
            NewSilence {
                matchers: body.matchers,
                ends,
                comment: body.comment,
            },
            &caller.name,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(wire(&record, state.engine.now()))))
}

#[utoipa::path(
    delete,
    path = "/api/v1/silences/{id}",
    operation_id = "expire_silence",
    tag = "silences",
    params(("id" = String, Path, description = "The silence's id")),
    responses(
        (status = 200, description = "Expired: it ends now (one already ended keeps its end)", body = Silence),
        (status = 404, description = "No such silence", body = ErrorBody),
    )
)]
pub async fn expire(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Silence>, ApiError> {
    match state.engine.expire_silence(&id).await? {
        Some(record) => Ok(Json(wire(&record, state.engine.now()))),
        None => Err(ApiError::not_found(format!("no silence with id `{id}`"))),
    }
}
