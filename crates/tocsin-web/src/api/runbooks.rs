//! `/api/v1/…` for runbooks: an incident's checklist ticks, the change log (deploys, merges),
//! and the knowledge base search. The checklist itself, the first-five-minutes card and the
//! suggestions are part of `GET /api/v1/incidents/{id}` (see `incident_extras`).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::inbound::{Change, ChangeKind};
use tocsin_core::incident::Incident;
use tocsin_engine::runbooks::ChangeView;

use super::ApiJson;
use crate::auth::Caller;
use crate::{ApiError, AppState};

/// The runbook fields added to an incident's JSON: `checklist`, `first_five_minutes`,
/// `suggestions`.
pub(crate) async fn incident_extras(
    state: &AppState,
    incident: &Incident,
    alert_text: &[String],
    body: &mut Value,
) -> Result<(), ApiError> {
    let engine = &state.engine;
    body["checklist"] =
        serde_json::to_value(engine.checklist(incident).await?).unwrap_or(Value::Null);
    let card = engine.card(incident).await?;
    // Plain data: serializing it cannot fail.
    let mut card_json = serde_json::to_value(&card).unwrap_or(Value::Null);
    card_json["flags"] = card
        .changes
        .iter()
        .filter_map(ChangeView::flag)
        .map(Value::String)
        .collect();
    body["first_five_minutes"] = card_json;
    body["suggestions"] =
        serde_json::to_value(engine.suggestions(incident, alert_text)).unwrap_or(Value::Null);
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TickBody {
    done: bool,
}

/// `POST /api/v1/incidents/{id}/checklist/{item}` `{"done": true}`.
pub async fn tick(
    caller: Caller,
    State(state): State<AppState>,
    Path((id, item)): Path<(String, String)>,
    ApiJson(body): ApiJson<TickBody>,
) -> Result<Json<Value>, ApiError> {
    let incident = state
        .engine
        .tick(&id, &item, body.done, &caller.name)
        .await?;
    let checklist = state.engine.checklist(&incident).await?;
    Ok(Json(
        json!({ "incident": incident.id, "checklist": checklist }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    service: Option<String>,
    kind: Option<String>,
    /// RFC 3339; default: 24 hours ago.
    since: Option<String>,
    limit: Option<u32>,
}

fn kind(text: &str) -> Result<ChangeKind, ApiError> {
    ChangeKind::parse(text).ok_or_else(|| {
        ApiError::bad_request(format!(
            "unknown change kind `{text}`; use deploy, merge, push or other"
        ))
    })
}

fn change_json(change: &Change) -> Value {
    json!({
        "kind": change.kind.as_str(),
        "service": change.service,
        "title": change.summary,
        "author": change.author,
        "url": change.url,
        "commit": change.commit,
        "environment": change.environment,
        "status": change.status,
        "source": change.source,
        "occurred_at": change.occurred_at,
    })
}

/// `GET /api/v1/changes?service=&kind=&since=&limit=`: newest first.
pub async fn list_changes(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({
        "changes": changes.iter().map(|record| change_json(&record.change)).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
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
pub async fn record_change(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RecordBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: String,
}

/// `GET /api/v1/runbooks?q=`: the knowledge base, best first.
pub async fn search(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let hits = tocsin_config::knowledge::search(&state.engine.config().runbooks, &query.q);
    Ok(Json(json!({
        "runbooks": hits.iter().map(|hit| json!({
            "id": hit.runbook.id,
            "title": hit.runbook.title,
            "likely_cause": hit.runbook.likely_cause,
            "score": hit.score,
            "reasons": hit.reasons,
        })).collect::<Vec<_>>(),
    })))
}
