//! Drill links: `GET /drill/confirm/{token}` shows what the link confirms (a test page was
//! received, or a contact's numbers are current) with one button; `POST` records it. No session
//! and no CSRF token: the signed single-use link is the credential, as for `/ack/{token}`.
//! A forged, expired or used link → 403 and nothing changes.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tocsin_engine::EngineError;
use tocsin_engine::drill::DrillLink;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/drill/confirm/{token}", get(show).post(confirm))
}

fn refused(state: &AppState, error: EngineError) -> Response {
    match &error {
        EngineError::Token(_) => state.pages.render(
            StatusCode::FORBIDDEN,
            "refused.html",
            minijinja::context! { reason => error.to_string(), drill => true },
        ),
        _ => crate::ApiError::from(error).into_response(),
    }
}

fn page(state: &AppState, link: &DrillLink, done: bool) -> Response {
    let configured = state
        .engine
        .config()
        .contact(&link.item.subject)
        .and_then(|c| c.verified_on)
        .map(|d| d.to_string());
    state.pages.render(
        StatusCode::OK,
        "drill_link.html",
        minijinja::context! {
            purpose => link.purpose,
            subject => &link.item.subject,
            reason => &link.item.reason,
            numbers => &link.numbers,
            configured_verified_on => configured,
            done => done,
        },
    )
}

async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match state.engine.check_drill_link(&token).await {
        Ok(link) => page(&state, &link, false),
        Err(error) => refused(&state, error),
    }
}

async fn confirm(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match state.engine.confirm_drill_link(&token).await {
        Ok(link) => page(&state, &link, true),
        Err(error) => refused(&state, error),
    }
}
