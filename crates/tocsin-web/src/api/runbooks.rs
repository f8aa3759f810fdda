//! `/api/v1/…` for runbooks: an incident's checklist ticks, the change log (deploys, merges),
//! and the knowledge base search. The checklist itself, the first-five-minutes card and the
//! suggestions are part of `GET /api/v1/incidents/{id}` (see `incident_extras`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tocsin_core::inbound::{Change, ChangeKind};
use tocsin_core::incident::Incident;
use tocsin_engine::runbooks::{Card, ChangeView, ChecklistView, Suggestion};
use utoipa::{IntoParams, ToSchema};

use super::ApiJson;
use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

/// The runbook fields of an incident's JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunbookExtras {
    /// The matched runbook's checklist with who ticked what; `null` without a runbook.
    checklist: Option<ChecklistView>,
    first_five_minutes: FirstFiveMinutes,
    /// Runbooks of common issues that resemble this incident, best first.
    suggestions: Vec<Suggestion>,
}

/// What a responder needs in the first five minutes: the failing monitor, recent changes,
/// dependencies, who is on call and who to call.
#[derive(Debug, Serialize, ToSchema)]
pub struct FirstFiveMinutes {
    #[serde(flatten)]
    card: Card,
    /// One line per recent change, e.g. "deployed 4 minutes before".
    flags: Vec<String>,
}

/// The runbook fields added to an incident's JSON: `checklist`, `first_five_minutes`,
/// `suggestions`.
pub(crate) async fn incident_extras(
    state: &AppState,
    incident: &Incident,
    alert_text: &[String],
) -> Result<RunbookExtras, ApiError> {
    let engine = &state.engine;
    let card = engine.card(incident).await?;
    let flags = card.changes.iter().filter_map(ChangeView::flag).collect();
    Ok(RunbookExtras {
        checklist: engine.checklist(incident).await?,
        first_five_minutes: FirstFiveMinutes { card, flags },
        suggestions: engine.suggestions(incident, alert_text),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TickBody {
    /// `true` ticks the item, `false` unticks it.
    done: bool,
}

/// An incident's checklist after a tick.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ticked {
    /// The incident's id.
    incident: String,
    checklist: Option<ChecklistView>,
}

/// `POST /api/v1/incidents/{id}/checklist/{item}` `{"done": true}`.
#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/checklist/{item}",
    operation_id = "tick_checklist_item",
    tag = "runbooks",
    params(
        ("id" = String, Path, description = "The incident's id"),
        ("item" = String, Path, description = "The checklist item's id"),
    ),
    request_body = TickBody,
    responses(
        (status = 200, description = "Ticked (ticking a ticked item changes nothing)", body = Ticked),
        (status = 400, description = "An item the runbook lacks, or an incident without a runbook", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
    )
)]
pub async fn tick(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
    ApiJson(body): ApiJson<TickBody>,
) -> Result<Json<Ticked>, ApiError> {
    let incident = state
        .engine
        .tick(&id, &item, body.done, &caller.name)
        .await?;
    let checklist = state.engine.checklist(&incident).await?;
    Ok(Json(Ticked {
        incident: incident.id,
        checklist,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Only this service's changes.
    service: Option<String>,
    /// `deploy`, `merge`, `push` or `other`.
    kind: Option<String>,
    /// RFC 3339; default: 24 hours ago.
    since: Option<String>,
    /// At most this many (default 100, at most 1000).
    limit: Option<u32>,
}

fn kind(text: &str) -> Result<ChangeKind, ApiError> {
    ChangeKind::parse(text).ok_or_else(|| {
        ApiError::bad_request(format!(
            "unknown change kind `{text}`; use deploy, merge, push or other"
        ))
    })
}

/// A deploy, merge or push, recorded by an integration or by hand.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeJson {
    /// `deploy`, `merge`, `push` or `other`.
    kind: &'static str,
    service: Option<String>,
    title: String,
    author: Option<String>,
    url: Option<String>,
    commit: Option<String>,
    environment: Option<String>,
    /// The sender's own state of it, e.g. Railway's `SUCCESS`.
    status: Option<String>,
    /// Who recorded it: an integration id, or `api:<caller>`.
    source: String,
    occurred_at: Timestamp,
}

fn change_json(change: &Change) -> ChangeJson {
    ChangeJson {
        kind: change.kind.as_str(),
        service: change.service.clone(),
        title: change.summary.clone(),
        author: change.author.clone(),
        url: change.url.clone(),
        commit: change.commit.clone(),
        environment: change.environment.clone(),
        status: change.status.clone(),
        source: change.source.clone(),
        occurred_at: change.occurred_at,
    }
}

/// Changes, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeList {
    changes: Vec<ChangeJson>,
}

/// `GET /api/v1/changes?service=&kind=&since=&limit=`: newest first.
#[utoipa::path(
    get,
    path = "/api/v1/changes",
    operation_id = "list_changes",
    tag = "runbooks",
    params(ChangesQuery),
    responses(
        (status = 200, description = "Changes, newest first", body = ChangeList),
        (status = 400, description = "An unknown kind, a bad time or limit", body = ErrorBody),
    )
)]
pub async fn list_changes(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ChangeList>, ApiError> {
    let Query(query) = query?;
    let kind = query.kind.as_deref().map(kind).transpose()?;
    let since = match query.since.as_deref() {
        Some(text) => text.parse::<Timestamp>().map_err(|e| {
            ApiError::bad_request(format!(
                "`since` must be an RFC 3339 time like 2026-01-01T00:00:00Z: {e}"
            ))
        })?,
        None => state
            .engine
            .now()
            .saturating_sub(jiff::SignedDuration::from_hours(24))
            .unwrap_or(Timestamp::UNIX_EPOCH),
    };
    let limit = super::limit(query.limit)?;
    let changes = state
        .engine
        .changes(query.service, kind, since, limit)
        .await?;
    Ok(Json(ChangeList {
        changes: changes
            .iter()
            .map(|record| change_json(&record.change))
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// `deploy`, `merge`, `push` or `other`.
    kind: String,
    service: String,
    title: String,
    url: Option<String>,
    author: Option<String>,
    commit: Option<String>,
    environment: Option<String>,
    /// RFC 3339; default: now.
    occurred_at: Option<Timestamp>,
}

/// `POST /api/v1/changes`: records a deploy or merge by hand; 201 with the change.
#[utoipa::path(
    post,
    path = "/api/v1/changes",
    operation_id = "record_change",
    tag = "runbooks",
    request_body = RecordBody,
    responses(
        (status = 201, description = "Recorded", body = ChangeJson),
        (status = 400, description = "An unknown kind, an empty service or title, a non-http(s) url", body = ErrorBody),
    )
)]
pub async fn record_change(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RecordBody>,
) -> Result<(StatusCode, Json<ChangeJson>), ApiError> {
    let kind = kind(&body.kind)?;
    for (name, value) in [("service", &body.service), ("title", &body.title)] {
        if value.trim().is_empty() {
            return Err(ApiError::bad_request(format!("`{name}` must not be empty")));
        }
    }
    if let Some(url) = &body.url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(ApiError::bad_request(
            "`url` must start with http:// or https://",
        ));
    }
    let change = Change {
        source: format!("api:{}", caller.name),
        kind,
        external_id: None,
        summary: body.title.trim().to_owned(),
        service: Some(body.service.trim().to_owned()),
        environment: body.environment,
        commit: body.commit,
        branch: None,
        author: body.author,
        status: None,
        url: body.url,
        occurred_at: body.occurred_at.unwrap_or_else(|| state.engine.now()),
        details: Value::Null,
    };
    state.engine.record_change(change.clone()).await?;
    Ok((StatusCode::CREATED, Json(change_json(&change))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to look for: symptoms, an error message, a component.
    q: String,
}

/// The knowledge base's answer, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunbookHits {
    runbooks: Vec<Suggestion>,
}

/// `GET /api/v1/runbooks?q=`: the knowledge base, best first.
#[utoipa::path(
    get,
    path = "/api/v1/runbooks",
    operation_id = "search_runbooks",
    tag = "runbooks",
    params(SearchQuery),
    responses(
        (status = 200, description = "Runbooks ranked against `q`, best first", body = RunbookHits),
        (status = 400, description = "No `q`", body = ErrorBody),
    )
)]
pub async fn search(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RunbookHits>, ApiError> {
    let Query(query) = query?;
    let config = state.engine.config();
    let hits = tocsin_config::knowledge::search(&config.runbooks, &query.q);
    Ok(Json(RunbookHits {
        runbooks: hits
            .iter()
            .map(|hit| Suggestion {
                id: hit.runbook.id.clone(),
                title: hit.runbook.title.clone(),
                likely_cause: hit.runbook.likely_cause.clone(),
                score: hit.score,
                reasons: hit.reasons.clone(),
            })
            .collect(),
    }))
}
