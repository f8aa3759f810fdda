//! `/api/v1/postmortems`, `/api/v1/metrics/response` and `/api/v1/review`: post-mortems (the
//! file on disk is their text), response metrics, and the weekly review.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::postmortem::{ActionItem, action_items};
use tocsin_engine::postmortem::PostmortemView;

use crate::auth::Caller;
use crate::{ApiError, AppState};

fn view(view: &PostmortemView) -> Value {
    json!({
        "incident": view.incident_id,
        "title": view.title,
        "severity": view.severity,
        "due_at": view.due_at,
        "status": view.status,
        "path": view.path.display().to_string(),
        "written": view.written,
    })
}

fn item(incident: Option<&str>, item: &ActionItem) -> Value {
    let mut value = json!({
        "text": item.text,
        "owner": item.owner,
        "due": item.due.map(|due| due.to_string()),
        "done": item.done,
    });
    if let Some(incident) = incident {
        value["incident"] = json!(incident);
    }
    value
}

/// The post-mortems, and the last failed `git push` of their commits (`null` when none).
pub async fn list(_caller: Caller, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let views = state.engine.postmortems().await?;
    Ok(Json(json!({
        "postmortems": views.iter().map(view).collect::<Vec<_>>(),
        "push_failure": state.engine.postmortem_push_failure(),
    })))
}

/// One post-mortem with its file's text as it is on disk now and its action items.
pub async fn show(
    _caller: Caller,
    State(state): State<AppState>,
    Path(incident): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (found, text) = state.engine.postmortem_text(&incident).await?;
    let mut body = view(&found);
    body["action_items"] = json!(
        text.as_deref()
            .map(action_items)
            .unwrap_or_default()
            .iter()
            .map(|one| item(None, one))
            .collect::<Vec<_>>()
    );
    body["text"] = json!(text);
    body["push_failure"] = json!(state.engine.postmortem_push_failure());
    Ok(Json(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    text: String,
}

/// Replaces the file's text.
pub async fn save(
    _caller: Caller,
    State(state): State<AppState>,
    Path(incident): Path<String>,
    body: Result<Json<Edit>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(edit) = body?;
    if edit.text.trim().is_empty() {
        return Err(ApiError::bad_request("text must not be empty"));
    }
    state.engine.save_postmortem(&incident, &edit.text).await?;
    show(_caller, State(state), Path(incident)).await
}

/// Marks it done (`published`): its reminders stop.
pub async fn publish(
    caller: Caller,
    State(state): State<AppState>,
    Path(incident): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state
        .engine
        .publish_postmortem(&incident, &caller.name)
        .await?;
    show(caller, State(state), Path(incident)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    months: Option<u32>,
}

pub async fn metrics(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<MetricsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let months = query.months.unwrap_or(6);
    if months == 0 || months > tocsin_engine::response::MAX_MONTHS {
        return Err(ApiError::bad_request(format!(
            "months must be between 1 and {}",
            tocsin_engine::response::MAX_MONTHS
        )));
    }
    let rows = state.engine.response_metrics(months).await?;
    Ok(Json(json!({ "months": rows })))
}

pub async fn review(
    _caller: Caller,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let review = state.engine.weekly_review().await?;
    Ok(Json(json!({
        "from": review.from,
        "until": review.until,
        "incidents": review.incidents.iter().map(|i| json!({
            "id": i.id, "title": i.title, "severity": i.severity, "state": i.state.as_str(),
            "opened_at": i.opened_at, "runbook": i.runbook,
        })).collect::<Vec<_>>(),
        "response": review.response.iter().map(|row| json!({
            "severity": row.severity,
            "incidents": row.incidents,
            "mtta_seconds": row.mtta_seconds,
            "mttr_seconds": row.mttr_seconds,
            "acknowledged_within_target": row.acknowledged_within_target,
            "respond_within_seconds": review.targets.get(&row.severity).map(|d| d.as_secs()),
        })).collect::<Vec<_>>(),
        "postmortems": review.postmortems.iter().map(view).collect::<Vec<_>>(),
        "action_items": review.action_items.iter().map(|(incident, one)| item(Some(incident), one)).collect::<Vec<_>>(),
        "without_runbook": review.without_runbook.iter().map(|i| json!({"id": i.id, "title": i.title})).collect::<Vec<_>>(),
    })))
}
