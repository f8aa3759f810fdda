//! The runbook parts of the signed-in UI: the checklist, first-five-minutes card and suggested
//! common issues on the incident page; the tick form; and `/runbooks?q=`, the knowledge base.

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use minijinja::context;
use serde::Deserialize;
use serde_json::Value;
use tocsin_core::incident::Incident;
use tocsin_engine::EngineError;
use tocsin_engine::runbooks::ChangeView;

use super::auth::percent_encode;
use super::csrf::Act;
use super::view::{Times, value};
use super::{SignedInUser, Ui};
use crate::AppState;

/// Keys whose RFC 3339 values are shown as times in the organisation's zone.
const TIME_KEYS: [&str; 7] = [
    "since",
    "deadline",
    "at",
    "occurred_at",
    "last_success",
    "first_failure",
    "until",
];

/// Replaces each time under a `TIME_KEYS` key by `{text, ago, iso}`, as the other pages show.
fn localize(value: &mut Value, times: &Times) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if TIME_KEYS.contains(&key.as_str())
                    && let Some(at) = inner.as_str().and_then(|s| s.parse::<Timestamp>().ok())
                {
                    *inner = serde_json::to_value(times.when(at)).unwrap_or(Value::Null);
                } else {
                    localize(inner, times);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| localize(item, times)),
        _ => {}
    }
}

/// The runbook parts of the incident page's context: `checklist`, `card`, `flags`, `suggestions`.
pub(super) async fn incident_context(
    state: &AppState,
    incident: &Incident,
    alert_text: &[String],
) -> Result<minijinja::Value, EngineError> {
    let times = Times::of(state);
    let engine = &state.engine;
    // Plain data: serializing it cannot fail.
    let mut checklist = serde_json::to_value(engine.checklist(incident).await?).unwrap_or_default();
    localize(&mut checklist, &times);
    let card = engine.card(incident).await?;
    let flags: Vec<String> = card.changes.iter().filter_map(ChangeView::flag).collect();
    let mut card = serde_json::to_value(&card).unwrap_or_default();
    localize(&mut card, &times);
    let suggestions = engine.suggestions(incident, alert_text);
    Ok(context! {
        checklist => value(checklist),
        card => value(card),
        flags => flags,
        suggestions => value(suggestions),
    })
}

/// `POST /incidents/{id}/checklist/{item}` with `done=true|false`: ticks or unticks, then back
/// to the incident.
pub async fn tick(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path((id, item)): Path<(String, String)>,
    Act(posted): Act,
) -> Response {
    let done = matches!(posted.field("done"), Some("true" | "on" | "1"));
    match state
        .engine
        .tick(&id, &item, done, &posted.user.email)
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/incidents/{}?done=checklist#checklist",
            percent_encode(&id)
        ))
        .into_response(),
        Err(error @ (EngineError::Refused(_) | EngineError::NoIncident(_))) => ui.message(
            if matches!(error, EngineError::NoIncident(_)) {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::BAD_REQUEST
            },
            Some(&posted.user),
            "That item was not ticked",
            &format!("Nothing was changed: {error}. Go back and reload the incident."),
        ),
        Err(error) => ui.failure(&posted.user, &error),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

/// `/runbooks?q=`: every runbook, or those matching `q` best first, with why they matched.
pub async fn page(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Response {
    let q = query
        .ok()
        .and_then(|Query(query)| query.q)
        .unwrap_or_default();
    let runbooks = &state.engine.config().runbooks;
    let rows: Vec<minijinja::Value> = if q.trim().is_empty() {
        runbooks
            .iter()
            .map(|runbook| {
                context! {
                    id => &runbook.id,
                    title => &runbook.title,
                    likely_cause => &runbook.likely_cause,
                    match_rules => &runbook.match_rules,
                    body => &runbook.body,
                }
            })
            .collect()
    } else {
        tocsin_config::knowledge::search(runbooks, &q)
            .into_iter()
            .map(|hit| {
                context! {
                    id => &hit.runbook.id,
                    title => &hit.runbook.title,
                    likely_cause => &hit.runbook.likely_cause,
                    match_rules => &hit.runbook.match_rules,
                    body => &hit.runbook.body,
                    score => hit.score,
                    reasons => hit.reasons,
                }
            })
            .collect()
    };
    ui.page(
        StatusCode::OK,
        &user,
        "runbooks",
        "ui/runbooks.html",
        context! { q => q, runbooks => rows },
    )
}
