//! `/api/v1/incidents…`: list, show, timeline, declare, and a person's actions on one.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tocsin_core::decide::{Declaration, Input};
use tocsin_core::incident::IncidentState;
use tocsin_core::incident_filter::{IncidentFilter, StateFilter};
use utoipa::{IntoParams, ToSchema};

use super::runbooks::RunbookExtras;
use super::{ApiJson, json as wire};
use crate::auth::Caller;
use crate::error::ErrorBody;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `open`, `resolved`, `all` (the default), `triggered` or `acknowledged`.
    state: Option<String>,
    /// A configured severity id, e.g. `SEV-1`.
    severity: Option<String>,
    /// At most this many (default 100, at most 1000).
    limit: Option<u32>,
    /// The `next` cursor of the previous page.
    cursor: Option<String>,
}

/// A page of incidents, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentList {
    incidents: Vec<wire::Incident>,
    /// The `cursor` of the next page; `null` on the last one.
    next: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    operation_id = "list_incidents",
    tag = "incidents",
    params(ListQuery),
    responses(
        (status = 200, description = "Incidents, newest first", body = IncidentList),
        (status = 400, description = "An unknown state or severity, or a bad limit", body = ErrorBody),
    )
)]
pub async fn list(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<IncidentList>, ApiError> {
    let Query(query) = query?;
    let state_filter = match query.state.as_deref() {
        None | Some("all") => None,
        Some("open") => Some(StateFilter::Open),
        Some("resolved") => Some(StateFilter::Resolved),
        Some(other) => match IncidentState::parse(other) {
            Some(exact) => Some(StateFilter::Is(exact)),
            None => {
                return Err(ApiError::bad_request(format!(
                    "unknown state `{other}`; use open, resolved, all, triggered or acknowledged"
                )));
            }
        },
    };
    if let Some(severity) = &query.severity
        && state.engine.config().severity(severity).is_none()
    {
        return Err(ApiError::bad_request(format!(
            "unknown severity `{severity}`"
        )));
    }
    let limit = super::limit(query.limit)?;
    let filter = IncidentFilter {
        state: state_filter,
        severity: query.severity,
        limit,
        before: query.cursor,
    };
    let incidents = state.engine.incidents(&filter).await?;
    let next = (incidents.len() == limit as usize)
        .then(|| incidents.last().map(|i| i.id.clone()))
        .flatten();
    Ok(Json(IncidentList {
        incidents: incidents
            .iter()
            .map(|incident| wire_incident(&state, incident))
            .collect(),
        next,
    }))
}

/// One incident with its alerts, who to call, and its runbook's live view.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentDetail {
    #[serde(flatten)]
    incident: wire::Incident,
    alerts: Vec<wire::Alert>,
    /// The incidents merged into this one (their timelines are in its timeline).
    merged: Vec<String>,
    /// Who its route says to call ("Who to contact").
    call: Vec<CallParty>,
    #[serde(flatten)]
    runbook: RunbookExtras,
    /// The ticket it opened instead of paging (`[tickets]`); `null` when none.
    ticket: Option<super::tickets::TicketJson>,
    /// Every ticket of the incident: its own and its post-mortem's action items'.
    tickets: Vec<super::tickets::TicketJson>,
}

#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}",
    operation_id = "show_incident",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident's id")),
    responses(
        (status = 200, description = "The incident", body = IncidentDetail),
        (status = 404, description = "No such incident", body = ErrorBody),
    )
)]
pub async fn show(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<IncidentDetail>, ApiError> {
    let situation = state.engine.situation(&id).await?;
    let incident = situation
        .incident
        .ok_or_else(|| ApiError::not_found(format!("no incident with id `{id}`")))?;
    let alert_text: Vec<String> = situation.alerts.iter().map(|a| a.summary.clone()).collect();
    let runbook = super::runbooks::incident_extras(&state, &incident, &alert_text).await?;
    let tickets = state.engine.tickets(&incident.id).await?;
    Ok(Json(IncidentDetail {
        incident: wire_incident(&state, &incident),
        alerts: situation.alerts.iter().map(wire::alert).collect(),
        merged: state.engine.merged_into_it(&incident.id).await?,
        call: call(&state, incident.category.as_deref()),
        runbook,
        ticket: tickets
            .iter()
            .find(|ticket| ticket.item.is_none())
            .map(super::tickets::ticket_json),
        tickets: tickets.iter().map(super::tickets::ticket_json).collect(),
    }))
}

/// An incident's timeline, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    events: Vec<wire::TimelineEvent>,
}

#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/timeline",
    operation_id = "incident_timeline",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident's id")),
    responses(
        (status = 200, description = "Its events, oldest first, with those of the incidents merged into it", body = Timeline),
        (status = 404, description = "No such incident", body = ErrorBody),
    )
)]
pub async fn timeline(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Timeline>, ApiError> {
    if state.engine.incident(&id).await?.is_none() {
        return Err(ApiError::not_found(format!("no incident with id `{id}`")));
    }
    // Both timelines are kept: an incident that had others merged in shows theirs too.
    let events = state.engine.timeline_with_merged(&id).await?;
    Ok(Json(Timeline {
        events: events.iter().map(wire::event).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareBody {
    title: String,
    /// A configured severity id, e.g. `SEV-1`.
    severity: String,
    category: Option<String>,
    component: Option<String>,
    summary: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/incidents",
    operation_id = "declare_incident",
    tag = "incidents",
    request_body = DeclareBody,
    responses(
        (status = 201, description = "Declared", body = wire::Incident),
        (status = 400, description = "A bad body or an unknown severity", body = ErrorBody),
    )
)]
pub async fn declare(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<DeclareBody>,
) -> Result<(StatusCode, Json<wire::Incident>), ApiError> {
    let incident = state
        .engine
        .declare(Declaration {
            title: body.title,
            severity: body.severity,
            category: body.category,
            component: body.component,
            summary: body.summary,
            actor: caller.name,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(wire_incident(&state, &incident))))
}

/// The incident's wire form, with its public title in the organisation's default language.
pub(crate) fn wire_incident(
    state: &AppState,
    incident: &tocsin_core::incident::Incident,
) -> wire::Incident {
    let config = state.engine.config();
    wire::incident(
        incident,
        &state
            .engine
            .public_title(incident, config.org.default_locale()),
    )
}

pub(crate) async fn act(
    state: &AppState,
    id: &str,
    input: Input,
) -> Result<Json<wire::Incident>, ApiError> {
    let incident = state.engine.act(id, input).await?;
    Ok(Json(wire_incident(state, &incident)))
}

#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/acknowledge",
    operation_id = "acknowledge_incident",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident's id")),
    responses(
        (status = 200, description = "Acknowledged: paging stops", body = wire::Incident),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 409, description = "Its state forbids it (e.g. already resolved)", body = ErrorBody),
    )
)]
pub async fn acknowledge(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<wire::Incident>, ApiError> {
    act(&state, &id, Input::Acknowledge { actor: caller.name }).await
}

#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/resolve",
    operation_id = "resolve_incident",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident's id")),
    responses(
        (status = 200, description = "Resolved", body = wire::Incident),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 409, description = "Its state forbids it (e.g. already resolved)", body = ErrorBody),
    )
)]
pub async fn resolve(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<wire::Incident>, ApiError> {
    act(&state, &id, Input::Resolve { actor: caller.name }).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    text: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/notes",
    operation_id = "add_note",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident's id")),
    request_body = NoteBody,
    responses(
        (status = 200, description = "A `note` event added", body = wire::Incident),
        (status = 400, description = "A bad body", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 409, description = "Its state forbids it (e.g. already resolved)", body = ErrorBody),
    )
)]
pub async fn note(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<wire::Incident>, ApiError> {
    act(
        &state,
        &id,
        Input::Note {
            actor: caller.name,
            text: body.text,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityBody {
    severity: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/severity",
    operation_id = "change_severity",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident's id")),
    request_body = SeverityBody,
    responses(
        (status = 200, description = "Its severity changed", body = wire::Incident),
        (status = 400, description = "A bad body", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 409, description = "Its state forbids it (e.g. already resolved)", body = ErrorBody),
    )
)]
pub async fn severity(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SeverityBody>,
) -> Result<Json<wire::Incident>, ApiError> {
    act(
        &state,
        &id,
        Input::ChangeSeverity {
            actor: caller.name,
            severity: body.severity,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicTitleBody {
    /// At most 200 characters, no control characters.
    title: String,
}

/// The title the status page, its feeds and customer mail use from now on (`public_title_set`
/// on the timeline).
#[utoipa::path(
    put,
    path = "/api/v1/incidents/{id}/public_title",
    operation_id = "set_public_title",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident's id")),
    request_body = PublicTitleBody,
    responses(
        (status = 200, description = "The public title is set", body = wire::Incident),
        (status = 400, description = "An empty, too long or control-character title", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
    )
)]
pub async fn public_title(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PublicTitleBody>,
) -> Result<Json<wire::Incident>, ApiError> {
    act(
        &state,
        &id,
        Input::SetPublicTitle {
            actor: caller.name,
            title: body.title,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    text: String,
    /// Show it on the public status page (default false: team-only).
    status_page: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/updates",
    operation_id = "post_update",
    tag = "incidents",
    params(("id" = String, Path, description = "The incident's id")),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "An `update` event added (and shown on `/status` when asked)", body = wire::Incident),
        (status = 400, description = "A bad body", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 409, description = "Its state forbids it (e.g. already resolved)", body = ErrorBody),
    )
)]
pub async fn post_update(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<wire::Incident>, ApiError> {
    let input = Input::Update {
        actor: caller.name,
        text: body.text,
        public: body.status_page.unwrap_or(false),
    };
    act(&state, &id, input).await
}

/// An outside party to call about an incident, from `[[contact]]`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallParty {
    id: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    url: Option<String>,
}

/// The outside parties the incident's route says to call ("Who to contact"), with their links.
pub(crate) fn call(state: &AppState, category: Option<&str>) -> Vec<CallParty> {
    let config = state.engine.config();
    let route = category.and_then(|category| {
        config
            .routes
            .iter()
            .find(|route| route.category == category)
    });
    route
        .map(|route| {
            route
                .call
                .iter()
                .filter_map(|id| config.contact(id))
                .map(|contact| CallParty {
                    id: contact.id.clone(),
                    name: contact.name.clone(),
                    email: contact.email.clone(),
                    phone: contact.phone.clone(),
                    url: contact.url.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}
