//! Atlassian Statuspage's public `/api/v2` JSON, field for field (shared/ecosystem.md §3), so
//! existing aggregators, widgets and chat integrations read tocsin unchanged. Public, readable
//! from any origin, cached briefly. Descriptions are Statuspage's English ones whatever the
//! page's language: clients compare them as strings.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{ComponentView, PublicIncident, Rendered, Shared, Snapshot};
use crate::AppState;

/// `incidents.json` lists this many, like Statuspage.
const LATEST: usize = 50;

fn page_value(snapshot: &Snapshot) -> Value {
    json!({
        "id": snapshot.page_id,
        "name": snapshot.title,
        "url": snapshot.url,
        "time_zone": snapshot.time_zone,
        "updated_at": snapshot.updated_at.to_string(),
    })
}

fn status_value(snapshot: &Snapshot) -> Value {
    json!({
        "indicator": snapshot.indicator.as_str(),
        "description": snapshot.indicator.description(),
    })
}

fn component_value(snapshot: &Snapshot, component: &ComponentView) -> Value {
    json!({
        "id": component.id,
        "name": component.name,
        "status": component.status.as_str(),
        "position": component.position,
        "description": null,
        "group_id": null,
        "group": false,
        "only_show_if_degraded": false,
        "showcase": true,
        "page_id": snapshot.page_id,
        "created_at": snapshot.created_at.to_string(),
        "updated_at": component.updated_at.to_string(),
    })
}

fn incident_value(snapshot: &Snapshot, incident: &PublicIncident) -> Value {
    let id = &incident.incident.id;
    let components: Vec<Value> = incident
        .component
        .as_ref()
        .and_then(|(shown, _)| snapshot.components.iter().find(|c| c.id == *shown))
        .map(|shown| component_value(snapshot, shown))
        .into_iter()
        .collect();
    let mut updates: Vec<Value> = incident
        .updates
        .iter()
        .map(|update| {
            let at = update.at.to_string();
            json!({
                "id": format!("{id}-{}", update.seq),
                "incident_id": id,
                "status": update.state.map_or("investigating", tocsin_core::status::public_state),
                "body": update.text,
                "display_at": at,
                "created_at": at,
                "updated_at": at,
                "affected_components": null,
            })
        })
        .collect();
    // Statuspage always closes an incident with a "resolved" update; readers expect one.
    if let Some(resolved_at) = incident.incident.resolved_at {
        let at = resolved_at.to_string();
        updates.insert(
            0,
            json!({
                "id": format!("{id}-resolved"),
                "incident_id": id,
                "status": "resolved",
                "body": "This incident has been resolved.",
                "display_at": at,
                "created_at": at,
                "updated_at": at,
                "affected_components": null,
            }),
        );
    }
    let opened = incident.incident.opened_at.to_string();
    json!({
        "id": id,
        // The page's own language: the JSON has no `?lang=`.
        "name": incident.title(&snapshot.locale),
        "status": incident.status(),
        "impact": incident.impact.as_str(),
        "shortlink": format!("{}#incident-{id}", snapshot.url),
        "started_at": opened,
        "created_at": opened,
        "updated_at": incident.updated_at.to_string(),
        "monitoring_at": null,
        "resolved_at": incident.incident.resolved_at.map(|at| at.to_string()),
        "page_id": snapshot.page_id,
        "components": components,
        "incident_updates": updates,
    })
}

fn component_list(snapshot: &Snapshot) -> Vec<Value> {
    snapshot
        .components
        .iter()
        .map(|c| component_value(snapshot, c))
        .collect()
}

fn unresolved_list(snapshot: &Snapshot) -> Vec<Value> {
    snapshot
        .open()
        .map(|open| incident_value(snapshot, open))
        .collect()
}

/// Answers with JSON built from the current snapshot.
async fn answer(
    state: &AppState,
    status: &Shared,
    headers: &HeaderMap,
    build: impl FnOnce(&Snapshot) -> Value,
) -> Response {
    match status.current(state).await {
        Ok(cached) => Rendered::new("application/json", build(&cached.snapshot).to_string())
            .respond(headers, true),
        Err(error) => error.into_response(),
    }
}

/// `summary.json`: rendered once per snapshot (aggregators poll it hardest).
pub(super) async fn summary(
    State(state): State<AppState>,
    status: Shared,
    headers: HeaderMap,
) -> Response {
    let rendered = status
        .rendered(&state, "summary".to_owned(), |_, snapshot| {
            let body = json!({
                "page": page_value(snapshot),
                "status": status_value(snapshot),
                "components": component_list(snapshot),
                "incidents": unresolved_list(snapshot),
                "scheduled_maintenances": maintenance_list(snapshot),
            });
            Ok(Rendered::new("application/json", body.to_string()))
        })
        .await;
    match rendered {
        Ok(rendered) => rendered.respond(&headers, true),
        Err(error) => error.into_response(),
    }
}

pub(super) async fn status(
    State(state): State<AppState>,
    shared: Shared,
    headers: HeaderMap,
) -> Response {
    answer(
        &state,
        &shared,
        &headers,
        |snapshot| json!({ "page": page_value(snapshot), "status": status_value(snapshot) }),
    )
    .await
}

pub(super) async fn components(
    State(state): State<AppState>,
    shared: Shared,
    headers: HeaderMap,
) -> Response {
    answer(
        &state,
        &shared,
        &headers,
        |snapshot| json!({ "page": page_value(snapshot), "components": component_list(snapshot) }),
    )
    .await
}

pub(super) async fn incidents(
    State(state): State<AppState>,
    shared: Shared,
    headers: HeaderMap,
) -> Response {
    answer(&state, &shared, &headers, |snapshot| {
        let latest: Vec<Value> = snapshot
            .incidents
            .iter()
            .take(LATEST)
            .map(|one| incident_value(snapshot, one))
            .collect();
        json!({ "page": page_value(snapshot), "incidents": latest })
    })
    .await
}

pub(super) async fn unresolved(
    State(state): State<AppState>,
    shared: Shared,
    headers: HeaderMap,
) -> Response {
    answer(
        &state,
        &shared,
        &headers,
        |snapshot| json!({ "page": page_value(snapshot), "incidents": unresolved_list(snapshot) }),
    )
    .await
}

/// Maintenance windows in force or scheduled within a week, in Statuspage's shape.
fn maintenance_list(snapshot: &Snapshot) -> Value {
    Value::Array(
        snapshot
            .maintenance
            .iter()
            .map(|window| {
                json!({
                    "id": format!("{}-{}", window.id, window.start.as_second()),
                    "name": window.title,
                    "status": if window.active { "in_progress" } else { "scheduled" },
                    "impact": "maintenance",
                    "scheduled_for": window.start.to_string(),
                    "scheduled_until": window.end.to_string(),
                    "created_at": snapshot.created_at.to_string(),
                    "updated_at": snapshot.created_at.to_string(),
                    "page_id": snapshot.page_id,
                    "shortlink": snapshot.url,
                    "incident_updates": [],
                    "components": window
                        .components
                        .iter()
                        .map(|(id, name)| json!({ "id": id, "name": name }))
                        .collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}
