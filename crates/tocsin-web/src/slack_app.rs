//! The Slack app's requests: `POST /hooks/slack/interactive` (its buttons) and
//! `POST /hooks/slack/commands` (`/tocsin`). Each is verified with a `slack_app` channel's
//! signing secret and must be under 5 minutes old — else 401 and nothing changes — then handed
//! to the engine, whose answer (an ephemeral message) is Slack's to show.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tocsin_engine::{Engine, SlackAppRefusal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::{ApiError, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(interactive))
        .routes(routes!(commands))
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

#[utoipa::path(
    post,
    path = "/hooks/slack/interactive",
    operation_id = "slack_app_interactive",
    tag = "signals",
    security(()),
    request_body(content = String, description = "Slack's form-encoded `payload` of a `block_actions` press (`acknowledge`, `resolve`, `run_action:<id>`, `confirm_action`), signed with the `slack_app` channel's signing secret (`X-Slack-Signature` v0 over `X-Slack-Request-Timestamp`)"),
    responses(
        (status = 200, description = "Done; an ephemeral message for the presser, or an empty body"),
        (status = 400, description = "Signed, but not a press tocsin reads; the message says what", body = ErrorBody),
        (status = 401, description = "Not signed by the Slack app, or over 5 minutes old; nothing changed", body = ErrorBody),
        (status = 404, description = "No `slack_app` channel is configured", body = ErrorBody),
    )
)]
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

#[utoipa::path(
    post,
    path = "/hooks/slack/commands",
    operation_id = "slack_app_command",
    tag = "signals",
    security(()),
    request_body(content = String, description = "Slack's form-encoded `/tocsin` command (`declare`, `ack`, `resolve`, `role`, `oncall`, `help`), signed like the presses"),
    responses(
        (status = 200, description = "The answer: `{response_type, text}`"),
        (status = 400, description = "Signed, but not a command tocsin reads", body = ErrorBody),
        (status = 401, description = "Not signed by the Slack app, or over 5 minutes old; nothing changed", body = ErrorBody),
        (status = 404, description = "No `slack_app` channel is configured", body = ErrorBody),
    )
)]
async fn commands(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = refusal(&state.engine, &headers, &body) {
        return refused;
    }
    match state.engine.slack_app_command(&body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}
