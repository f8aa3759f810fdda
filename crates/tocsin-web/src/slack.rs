//! `POST /slack/interactive`: Slack's interactivity requests. The "Acknowledge" button in every
//! Slack page acknowledges the incident, once the request is verified with a configured Slack
//! channel's signing secret and is under 5 minutes old.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tocsin_config::ChannelKind;
use tocsin_core::decide::Input;
use tocsin_core::inbound::slack;

use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/slack/interactive", post(interactive))
}

async fn interactive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let secrets: Vec<_> = state
        .engine
        .config()
        .channels
        .iter()
        .filter_map(|channel| match &channel.kind {
            ChannelKind::Slack {
                signing_secret: Some(secret),
                ..
            } => Some(secret.clone()),
            _ => None,
        })
        .collect();
    if secrets.is_empty() {
        return ApiError::not_found(
            "Slack interactivity is off: no slack channel has a `signing_secret`",
        )
        .into_response();
    }
    let now = state.engine.now();
    let mut last_error = None;
    let verified = secrets.iter().any(|secret| {
        let result = slack::verify(
            secret.expose().as_bytes(),
            header("x-slack-request-timestamp"),
            header("x-slack-signature"),
            &body,
            now,
        );
        if let Err(error) = &result {
            last_error = Some(error.to_string());
        }
        result.is_ok()
    });
    if !verified {
        return ApiError::unauthorized(
            last_error.unwrap_or_else(|| "the request is not signed by Slack".into()),
        )
        .into_response();
    }
    let ack = match slack::parse_interaction(&body) {
        Ok(Some(ack)) => ack,
        // Other interactions are accepted and ignored, as Slack expects a quick 200.
        Ok(None) => return StatusCode::OK.into_response(),
        Err(error) => return ApiError::bad_request(error.to_string()).into_response(),
    };
    match state
        .engine
        .act(&ack.incident_id, Input::Acknowledge { actor: ack.actor })
        .await
    {
        // Already acknowledged or resolved: the button press changes nothing, and that is fine.
        Ok(_) | Err(tocsin_engine::EngineError::Refused(_)) => StatusCode::OK.into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}
