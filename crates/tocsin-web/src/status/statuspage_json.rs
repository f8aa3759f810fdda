//! Atlassian Statuspage's public `/api/v2` JSON, field for field (shared/ecosystem.md §3), so
//! existing aggregators, widgets and chat integrations read tocsin unchanged. Public, readable
//! from any origin, cached briefly. Descriptions are Statuspage's English ones whatever the
//! page's language: clients compare them as strings. Times are RFC 3339 strings, as there.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ComponentView, PublicIncident, Rendered, Shared, Snapshot, encoding};
use crate::{ApiError, AppState};

/// `incidents.json` lists this many, like Statuspage.
const LATEST: usize = 50;

/// The page itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatuspagePage {
    id: String,
    name: String,
    url: String,
    time_zone: String,
    updated_at: String,
}

/// The page's overall indicator.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatuspageStatus {
    /// `none`, `minor`, `major` or `critical`.
    indicator: &'static str,
    /// e.g. `All Systems Operational`.
    description: &'static str,
}

/// A status-page component.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatuspageComponent {
    id: String,
    name: String,
    /// `operational`, `degraded_performance`, `partial_outage`, `major_outage` or
    /// `under_maintenance`.
    status: &'static str,
    position: usize,
    /// Always `null`.
    description: Option<String>,
    /// Always `null`: tocsin has no component groups.
    group_id: Option<String>,
    group: bool,
    only_show_if_degraded: bool,
    showcase: bool,
    page_id: String,
    created_at: String,
    updated_at: String,
}

/// One update of an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatuspageIncidentUpdate {
    id: String,
    incident_id: String,
    /// `investigating`, `identified`, `monitoring` or `resolved`.
    status: &'static str,
    body: String,
    display_at: String,
    created_at: String,
    updated_at: String,
    /// Always `null`.
    affected_components: Option<Vec<StatuspageComponentRef>>,
}

/// An incident as Statuspage shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatuspageIncident {
    id: String,
    name: String,
    /// `investigating`, `identified`, `monitoring` or `resolved`.
    status: &'static str,
    /// `none`, `minor`, `major` or `critical`.
    impact: &'static str,
    shortlink: String,
    started_at: String,
    created_at: String,
    updated_at: String,
    /// Always `null`.
    monitoring_at: Option<String>,
    resolved_at: Option<String>,
    page_id: String,
    components: Vec<StatuspageComponent>,
    /// Newest first.
    incident_updates: Vec<StatuspageIncidentUpdate>,
}

/// A maintenance window in force or scheduled within a week.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatuspageMaintenance {
    id: String,
    name: String,
    /// `in_progress` or `scheduled`.
    status: &'static str,
    /// `maintenance`.
    impact: &'static str,
    scheduled_for: String,
    scheduled_until: String,
    created_at: String,
    updated_at: String,
    page_id: String,
    shortlink: String,
    /// Always empty.
    incident_updates: Vec<StatuspageIncidentUpdate>,
    components: Vec<StatuspageComponentRef>,
}

/// A component by id and name.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatuspageComponentRef {
    id: String,
    name: String,
}

/// `summary.json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatuspageSummary {
    page: StatuspagePage,
    status: StatuspageStatus,
    components: Vec<StatuspageComponent>,
    /// The unresolved incidents.
    incidents: Vec<StatuspageIncident>,
    scheduled_maintenances: Vec<StatuspageMaintenance>,
}

/// `status.json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatuspageStatusAnswer {
    page: StatuspagePage,
    status: StatuspageStatus,
}

/// `components.json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatuspageComponents {
    page: StatuspagePage,
    components: Vec<StatuspageComponent>,
}

/// `incidents.json` and `incidents/unresolved.json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatuspageIncidents {
    page: StatuspagePage,
    incidents: Vec<StatuspageIncident>,
}

fn page_value(snapshot: &Snapshot) -> StatuspagePage {
    StatuspagePage {
        id: snapshot.page_id.clone(),
        name: snapshot.title.clone(),
        url: snapshot.url.clone(),
        time_zone: snapshot.time_zone.clone(),
        updated_at: snapshot.updated_at.to_string(),
    }
}

fn status_value(snapshot: &Snapshot) -> StatuspageStatus {
    StatuspageStatus {
        indicator: snapshot.indicator.as_str(),
        description: snapshot.indicator.description(),
    }
}

fn component_value(snapshot: &Snapshot, component: &ComponentView) -> StatuspageComponent {
    StatuspageComponent {
        id: component.id.clone(),
        name: component.name.clone(),
        status: component.status.as_str(),
        position: component.position,
        description: None,
        group_id: None,
        group: false,
        only_show_if_degraded: false,
        showcase: true,
        page_id: snapshot.page_id.clone(),
        created_at: snapshot.created_at.to_string(),
        updated_at: component.updated_at.to_string(),
    }
}

fn incident_value(snapshot: &Snapshot, incident: &PublicIncident) -> StatuspageIncident {
    let id = &incident.incident.id;
    let components: Vec<StatuspageComponent> = incident
        .component
        .as_ref()
        .and_then(|(shown, _)| snapshot.components.iter().find(|c| c.id == *shown))
        .map(|shown| component_value(snapshot, shown))
        .into_iter()
        .collect();
    let mut updates: Vec<StatuspageIncidentUpdate> = incident
        .updates
        .iter()
        .map(|update| {
            let at = update.at.to_string();
            StatuspageIncidentUpdate {
                id: format!("{id}-{}", update.seq),
                incident_id: id.clone(),
                status: update
                    .state
                    .map_or("investigating", tocsin_core::status::public_state),
                body: update.text.clone(),
                display_at: at.clone(),
                created_at: at.clone(),
                updated_at: at,
                affected_components: None,
            }
        })
        .collect();
    // Statuspage always closes an incident with a "resolved" update; readers expect one.
    if let Some(resolved_at) = incident.incident.resolved_at {
        let at = resolved_at.to_string();
        updates.insert(
            0,
            StatuspageIncidentUpdate {
                id: format!("{id}-resolved"),
                incident_id: id.clone(),
                status: "resolved",
                body: "This incident has been resolved.".to_owned(),
                display_at: at.clone(),
                created_at: at.clone(),
                updated_at: at,
                affected_components: None,
            },
        );
    }
    let opened = incident.incident.opened_at.to_string();
    StatuspageIncident {
        id: id.clone(),
        // The public title in the page's own language: the JSON has no `?lang=`.
        name: incident.title(&snapshot.locale).to_owned(),
        status: incident.status(),
        impact: incident.impact.as_str(),
        shortlink: format!("{}#incident-{id}", snapshot.url),
        started_at: opened.clone(),
        created_at: opened,
        updated_at: incident.updated_at.to_string(),
        monitoring_at: None,
        resolved_at: incident.incident.resolved_at.map(|at| at.to_string()),
        page_id: snapshot.page_id.clone(),
        components,
        incident_updates: updates,
    }
}

fn component_list(snapshot: &Snapshot) -> Vec<StatuspageComponent> {
    snapshot
        .components
        .iter()
        .map(|c| component_value(snapshot, c))
        .collect()
}

fn unresolved_list(snapshot: &Snapshot) -> Vec<StatuspageIncident> {
    snapshot
        .open()
        .map(|open| incident_value(snapshot, open))
        .collect()
}

/// A body as JSON text; serializing these plain structs cannot fail, but if it did the client
/// gets the API's error rather than an empty page.
fn to_json<T: Serialize>(body: &T) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|error| {
        tracing::error!(%error, "could not serialize a Statuspage answer");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "tocsin could not render this answer",
        )
    })
}

/// Answers with JSON built from the current snapshot.
async fn answer<T: Serialize>(
    state: &AppState,
    status: &Shared,
    headers: &HeaderMap,
    build: impl FnOnce(&Snapshot) -> T,
) -> Response {
    let body = match status.current(state).await {
        Ok(cached) => to_json(&build(&cached.snapshot)),
        Err(error) => Err(error),
    };
    match body {
        Ok(body) => encoding::respond_once("application/json", body, headers, true),
        Err(error) => error.into_response(),
    }
}

/// `summary.json`: rendered once per snapshot (aggregators poll it hardest).
#[utoipa::path(
    get,
    path = "/api/v2/summary.json",
    operation_id = "statuspage_summary",
    tag = "status page",
    security(()),
    responses((status = 200, description = "The page, its indicator, components, unresolved incidents and maintenance", body = StatuspageSummary))
)]
pub(super) async fn summary(
    State(state): State<AppState>,
    status: Shared,
    headers: HeaderMap,
) -> Response {
    let cached = match status.current(&state).await {
        Ok(cached) => cached,
        Err(error) => return error.into_response(),
    };
    let rendered = status
        .rendered(&cached, "summary".to_owned(), |_, snapshot| {
            let body = StatuspageSummary {
                page: page_value(snapshot),
                status: status_value(snapshot),
                components: component_list(snapshot),
                incidents: unresolved_list(snapshot),
                scheduled_maintenances: maintenance_list(snapshot),
            };
            Ok(Rendered::new("application/json", to_json(&body)?))
        })
        .await;
    match rendered {
        Ok(rendered) => rendered.respond(&headers, true),
        Err(error) => error.into_response(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v2/status.json",
    operation_id = "statuspage_status",
    tag = "status page",
    security(()),
    responses((status = 200, description = "The page and its indicator", body = StatuspageStatusAnswer))
)]
pub(super) async fn status(
    State(state): State<AppState>,
    shared: Shared,
    headers: HeaderMap,
) -> Response {
    answer(&state, &shared, &headers, |snapshot| {
        StatuspageStatusAnswer {
            page: page_value(snapshot),
            status: status_value(snapshot),
        }
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v2/components.json",
    operation_id = "statuspage_components",
    tag = "status page",
    security(()),
    responses((status = 200, description = "The page and its components", body = StatuspageComponents))
)]
pub(super) async fn components(
    State(state): State<AppState>,
    shared: Shared,
    headers: HeaderMap,
) -> Response {
    answer(&state, &shared, &headers, |snapshot| StatuspageComponents {
        page: page_value(snapshot),
        components: component_list(snapshot),
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v2/incidents.json",
    operation_id = "statuspage_incidents",
    tag = "status page",
    security(()),
    responses((status = 200, description = "The latest 50 incidents, newest first", body = StatuspageIncidents))
)]
pub(super) async fn incidents(
    State(state): State<AppState>,
    shared: Shared,
    headers: HeaderMap,
) -> Response {
    answer(&state, &shared, &headers, |snapshot| StatuspageIncidents {
        page: page_value(snapshot),
        incidents: snapshot
            .incidents
            .iter()
            .take(LATEST)
            .map(|one| incident_value(snapshot, one))
            .collect(),
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v2/incidents/unresolved.json",
    operation_id = "statuspage_unresolved",
    tag = "status page",
    security(()),
    responses((status = 200, description = "The unresolved incidents", body = StatuspageIncidents))
)]
pub(super) async fn unresolved(
    State(state): State<AppState>,
    shared: Shared,
    headers: HeaderMap,
) -> Response {
    answer(&state, &shared, &headers, |snapshot| StatuspageIncidents {
        page: page_value(snapshot),
        incidents: unresolved_list(snapshot),
    })
    .await
}

/// Maintenance windows in force or scheduled within a week, in Statuspage's shape.
fn maintenance_list(snapshot: &Snapshot) -> Vec<StatuspageMaintenance> {
    snapshot
        .maintenance
        .iter()
        .map(|window| StatuspageMaintenance {
            id: format!("{}-{}", window.id, window.start.as_second()),
            name: window.title.clone(),
            status: if window.active {
                "in_progress"
            } else {
                "scheduled"
            },
            impact: "maintenance",
            scheduled_for: window.start.to_string(),
            scheduled_until: window.end.to_string(),
            created_at: snapshot.created_at.to_string(),
            updated_at: snapshot.created_at.to_string(),
            page_id: snapshot.page_id.clone(),
            shortlink: snapshot.url.clone(),
            incident_updates: Vec::new(),
            components: window
                .components
                .iter()
                .map(|(id, name)| StatuspageComponentRef {
                    id: id.clone(),
                    name: name.clone(),
                })
                .collect(),
        })
        .collect()
}
