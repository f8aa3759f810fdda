//! `/silences`: the silences (in force first), a form to make one — matchers one per line as
//! `label=value` or `label=~regex`, how long, a comment — and a button to expire one. Responders
//! and admins act; viewers see.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Serialize;
use tocsin_core::silence::SilenceRecord;
use tocsin_engine::{NewSilence, SilenceEnd};

use super::csrf::Act;
use super::view::{Times, When, value};
use super::{SignedInUser, Ui};
use crate::AppState;

#[derive(Debug, Serialize)]
struct SilenceView {
    id: String,
    matchers: Vec<String>,
    starts: When,
    ends: When,
    comment: String,
    created_by: String,
    active: bool,
}

fn view(times: &Times, record: &SilenceRecord) -> SilenceView {
    SilenceView {
        id: record.id.clone(),
        matchers: record
            .matchers
            .iter()
            .map(|(label, value)| format!("{label}={value}"))
            .collect(),
        starts: times.when(record.starts_at),
        ends: times.when(record.ends_at),
        comment: record.comment.clone(),
        created_by: record.created_by.clone(),
        active: record.is_active(times.now),
    }
}

pub async fn page(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
) -> Response {
    render(&state, &ui, &user, StatusCode::OK, None).await
}

async fn render(
    state: &AppState,
    ui: &Ui,
    user: &SignedInUser,
    status: StatusCode,
    problem: Option<String>,
) -> Response {
    let times = Times::of(state);
    let silences = match state.engine.silences().await {
        Ok(silences) => silences,
        Err(error) => return ui.failure(user, &error),
    };
    let (active, ended): (Vec<_>, Vec<_>) = silences
        .iter()
        .map(|record| view(&times, record))
        .partition(|silence| silence.active);
    ui.page(
        status,
        user,
        "silences",
        "ui/silences.html",
        context! {
            active => value(active),
            ended => value(ended),
            problem => problem,
            zone => times.zone_name(),
        },
    )
}

/// Reads the form's matchers: one `label=value` (or `label=~regex`) per line.
fn matchers(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let Some((label, value)) = line.split_once('=') else {
            return Err(format!(
                "“{line}” is not a matcher; write label=value or label=~regex"
            ));
        };
        out.insert(label.trim().to_owned(), value.trim().to_owned());
    }
    Ok(out)
}

/// Makes a silence from the form, then shows the list; a refusal is shown above the form and
/// stores nothing.
pub async fn create(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Act(posted): Act,
) -> Response {
    let user = &posted.user;
    let refuse =
        |problem: String| render(&state, &ui, user, StatusCode::BAD_REQUEST, Some(problem));
    let matchers = match matchers(posted.field("matchers").unwrap_or_default()) {
        Ok(matchers) => matchers,
        Err(problem) => return refuse(problem).await,
    };
    let duration = posted.field("for").unwrap_or_default().trim();
    let duration = match tocsin_core::parse_duration(duration) {
        Ok(duration) => duration,
        Err(error) => return refuse(format!("“{duration}” is not a duration: {error}")).await,
    };
    let request = NewSilence {
        matchers,
        ends: SilenceEnd::After(duration),
        comment: posted.field("comment").unwrap_or_default().to_owned(),
    };
    match state.engine.add_silence(request, &user.email).await {
        Ok(_) => Redirect::to("/silences").into_response(),
        Err(tocsin_engine::EngineError::Refused(refusal)) => refuse(refusal.to_string()).await,
        Err(error) => ui.failure(user, &error),
    }
}

/// Ends a silence now.
pub async fn expire(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(id): Path<String>,
    Act(posted): Act,
) -> Response {
    match state.engine.expire_silence(&id).await {
        Ok(Some(_)) => Redirect::to("/silences").into_response(),
        Ok(None) => ui.message(
            StatusCode::NOT_FOUND,
            Some(&posted.user),
            "No such silence",
            "There is no silence with this id. Pick one from the list on /silences.",
        ),
        Err(error) => ui.failure(&posted.user, &error),
    }
}
