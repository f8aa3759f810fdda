//! The Slack app's requests: `POST /hooks/slack/interactive` (its buttons) and
//! `POST /hooks/slack/commands` (`/tocsin`). Each is verified with a `slack_app` channel's
//! signing secret and must be under 5 minutes old — else 401 and nothing changes — then handed
//! to the engine, whose answer (an ephemeral message) is Slack's to show.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use tocsin_engine::{Engine, SlackAppRefusal};

use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/hooks/slack/interactive", post(interactive))
        .route("/hooks/slack/commands", post(commands))
}

/// The refusal of a request that is not the Slack app's, if it is not.
fn refusal(engine: &Engine, headers: &HeaderMap, body: &[u8]) -> Option<Response> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    engine
        .verify_slack_app(
            header("x-slack-request-timestamp"),
            header("x-slack-signature"),
            body,
        )
        .err()
        .map(|refusal| match refusal {
            SlackAppRefusal::Off => ApiError::not_found(refusal.to_string()).into_response(),
            SlackAppRefusal::Unsigned(error) => {
                ApiError::unauthorized(error.to_string()).into_response()
            }
        })
}

async fn interactive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refusal(&state.engine, &headers, &body) {
        return refused;
    }
    let engine: &Arc<Engine> = &state.engine;
    match engine.slack_app_press(&body).await {
        Ok(Some(answer)) => Json(answer).into_response(),
        // Slack wants a quick, empty 200; the message is redrawn by its own delivery.
        Ok(None) => StatusCode::OK.into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}

async fn commands(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refusal(&state.engine, &headers, &body) {
        return refused;
    }
    match state.engine.slack_app_command(&body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}
