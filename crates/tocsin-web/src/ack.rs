//! Acknowledge links: `GET /ack/{token}` shows what will be acknowledged with one button;
//! `POST /ack/{token}` acknowledges. A forged, expired or used token → 403, nothing changes.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tocsin_engine::EngineError;

use crate::AppState;
use crate::api::incidents::wire_incident;

pub fn routes() -> Router<AppState> {
    Router::new().route("/ack/{token}", get(show).post(acknowledge))
}

fn refused(state: &AppState, error: EngineError) -> Response {
    let status = match &error {
        EngineError::Token(_) => StatusCode::FORBIDDEN,
        EngineError::NoIncident(_) | EngineError::NoTicket(_) => StatusCode::NOT_FOUND,
        EngineError::Refused(_) => StatusCode::CONFLICT,
        EngineError::Store(_) | EngineError::Busy | EngineError::Unavailable(_) => {
            return crate::ApiError::from(error).into_response();
        }
    };
    state.pages.render(
        status,
        "refused.html",
        minijinja::context! { reason => error.to_string() },
    )
}

async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let claims = match state.engine.check_ack_token(&token).await {
        Ok(claims) => claims,
        Err(error) => return refused(&state, error),
    };
    let incident = match state.engine.incident(&claims.incident_id).await {
        Ok(incident) => incident,
        Err(error) => return crate::ApiError::from(error).into_response(),
    };
    let Some(incident) = incident else {
        return refused(&state, EngineError::NoIncident(claims.incident_id));
    };
    state.pages.render(
        StatusCode::OK,
        "ack.html",
        minijinja::context! {
            incident => minijinja::Value::from(minijinja::value::Serde(wire_incident(&state, &incident))),
            person => claims.person,
            done => false,
            incident_url => format!("{}/incidents/{}", state.engine.config().server.public_url, incident.id),
        },
    )
}

async fn acknowledge(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match state.engine.acknowledge_with_token(&token).await {
        Ok(incident) => state.pages.render(
            StatusCode::OK,
            "ack.html",
            minijinja::context! {
                incident => minijinja::Value::from(minijinja::value::Serde(wire_incident(&state, &incident))),
                done => true,
                incident_url => format!("{}/incidents/{}", state.engine.config().server.public_url, incident.id),
            },
        ),
        Err(error) => refused(&state, error),
    }
}
