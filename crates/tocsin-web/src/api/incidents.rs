//! `/api/v1/incidents…`: list, show, timeline, declare, and a person's actions on one.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use tocsin_core::decide::{Declaration, Input};
use tocsin_core::incident::IncidentState;
use tocsin_store::{IncidentFilter, StateFilter};

use super::{ApiJson, json as wire};
use crate::auth::Caller;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    severity: Option<String>,
    limit: Option<u32>,
    /// The `next` cursor of the previous page.
    cursor: Option<String>,
}

pub async fn list(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
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
    let incidents = state.engine.store().incidents(&filter).await?;
    let next = (incidents.len() == limit as usize)
        .then(|| incidents.last().map(|i| i.id.clone()))
        .flatten();
    Ok(Json(json!({
        "incidents": incidents.iter().map(|incident| wire_incident(&state, incident)).collect::<Vec<_>>(),
        "next": next,
    })))
}

pub async fn show(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let situation = state.engine.store().situation_for_incident(&id).await?;
    let incident = situation
        .incident
        .ok_or_else(|| ApiError::not_found(format!("no incident with id `{id}`")))?;
    let mut body = wire_incident(&state, &incident);
    body["alerts"] = situation.alerts.iter().map(wire::alert).collect();
    body["call"] = call(&state, incident.category.as_deref());
    let alert_text: Vec<String> = situation.alerts.iter().map(|a| a.summary.clone()).collect();
    super::runbooks::incident_extras(&state, &incident, &alert_text, &mut body).await?;
    Ok(Json(body))
}

pub async fn timeline(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if state
        .engine
        .store()
        .situation_for_incident(&id)
        .await?
        .incident
        .is_none()
    {
        return Err(ApiError::not_found(format!("no incident with id `{id}`")));
    }
    let events = state.engine.store().timeline(&id).await?;
    Ok(Json(
        json!({ "events": events.iter().map(wire::event).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclareBody {
    title: String,
    severity: String,
    category: Option<String>,
    component: Option<String>,
    summary: Option<String>,
}

pub async fn declare(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<DeclareBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
pub(crate) fn wire_incident(state: &AppState, incident: &tocsin_core::incident::Incident) -> Value {
    let locale = state.engine.config().org.default_locale();
    wire::incident(incident, &state.engine.public_title(incident, locale))
}

async fn act(state: &AppState, id: &str, input: Input) -> Result<Json<Value>, ApiError> {
    let incident = state.engine.act(id, input).await?;
    Ok(Json(wire_incident(state, &incident)))
}

pub async fn acknowledge(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    act(&state, &id, Input::Acknowledge { actor: caller.name }).await
}

pub async fn resolve(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    act(&state, &id, Input::Resolve { actor: caller.name }).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    text: String,
}

pub async fn note(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<Value>, ApiError> {
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityBody {
    severity: String,
}

pub async fn severity(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SeverityBody>,
) -> Result<Json<Value>, ApiError> {
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicTitleBody {
    title: String,
}

/// `PUT /api/v1/incidents/{id}/public_title`: the title the status page, its feeds and customer
/// mail use from now on (`public_title_set` on the timeline).
pub async fn public_title(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PublicTitleBody>,
) -> Result<Json<Value>, ApiError> {
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    text: String,
    /// Show it on the public status page (default false: team-only).
    status_page: Option<bool>,
}

pub async fn post_update(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<Value>, ApiError> {
    let input = Input::Update {
        actor: caller.name,
        text: body.text,
        public: body.status_page.unwrap_or(false),
    };
    act(&state, &id, input).await
}

/// The outside parties the incident's route says to call ("Who to contact"), with their links.
pub(crate) fn call(state: &AppState, category: Option<&str>) -> Value {
    let config = state.engine.config();
    let route = category.and_then(|category| {
        config
            .routes
            .iter()
            .find(|route| route.category == category)
    });
    let parties: Vec<Value> = route
        .map(|route| {
            route
                .call
                .iter()
                .filter_map(|id| config.contact(id))
                .map(|contact| {
                    json!({
                        "id": contact.id,
                        "name": contact.name,
                        "email": contact.email,
                        "phone": contact.phone,
                        "url": contact.url,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Value::Array(parties)
}
