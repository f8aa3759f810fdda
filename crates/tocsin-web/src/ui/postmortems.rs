//! `/postmortems` (due, overdue, published), `/postmortems/{incident}` (the file's text in an
//! editor; saving writes the file back, publishing marks it done) and `/review` (the weekly
//! review with the response metrics as SVG bar charts).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Serialize;
use tocsin_engine::EngineError;
use tocsin_engine::postmortem::PostmortemView;

use super::csrf::Act;
use super::view::{Times, When, span, value};
use super::{SignedInUser, Ui};
use crate::AppState;

#[derive(Debug, Serialize)]
struct Row {
    incident: String,
    title: String,
    severity: String,
    status: &'static str,
    due: When,
    path: String,
}

/// The last failed push of post-mortem commits, as the pages show it.
#[derive(Debug, Serialize)]
struct PushFailureView {
    remote: String,
    branch: Option<String>,
    at: When,
    error: String,
}

fn push_failure(state: &AppState, times: &Times) -> Option<PushFailureView> {
    state
        .engine
        .postmortem_push_failure()
        .map(|failure| PushFailureView {
            remote: failure.remote,
            branch: failure.branch,
            at: times.when(failure.at),
            error: failure.error,
        })
}

fn row(times: &Times, view: &PostmortemView) -> Row {
    Row {
        incident: view.incident_id.clone(),
        title: view.title.clone(),
        severity: view.severity.clone(),
        status: view.status,
        due: times.when(view.due_at),
        path: view.path.display().to_string(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
) -> Response {
    let times = Times::of(&state);
    let views = match state.engine.postmortems().await {
        Ok(views) => views,
        Err(error) => return ui.failure(&user, &error),
    };
    let rows: Vec<Row> = views.iter().map(|view| row(&times, view)).collect();
    ui.page(
        StatusCode::OK,
        &user,
        "postmortems",
        "ui/postmortems.html",
        context! {
            postmortems => value(rows),
            zone => times.zone_name(),
            push_failure => value(push_failure(&state, &times)),
        },
    )
}

fn not_found(ui: &Ui, user: &SignedInUser) -> Response {
    ui.message(
        StatusCode::NOT_FOUND,
        Some(user),
        "No such post-mortem",
        "This incident has no post-mortem. Post-mortems are created when an incident of a \
         severity that requires one is resolved.",
    )
}

async fn editor(
    state: &AppState,
    ui: &Ui,
    user: &SignedInUser,
    incident: &str,
    saved: bool,
) -> Response {
    let times = Times::of(state);
    let (view, text) = match state.engine.postmortem_text(incident).await {
        Ok(found) => found,
        Err(EngineError::NoIncident(_)) => return not_found(ui, user),
        Err(error) => return ui.failure(user, &error),
    };
    let mut items = text
        .as_deref()
        .map(tocsin_core::postmortem::action_items)
        .unwrap_or_default();
    // An item whose ticket was closed is done, whatever its checkbox says.
    let tickets = match state.engine.tickets(incident).await {
        Ok(tickets) => tickets,
        Err(error) => return ui.failure(user, &error),
    };
    for item in &mut items {
        let (_, link) = tocsin_core::tickets::split_link(&item.text);
        let closed = link.is_some_and(|url| {
            tickets.iter().any(|ticket| {
                ticket.url.as_deref() == Some(url)
                    && ticket.state == tocsin_core::ticket_record::TicketState::Closed
            })
        });
        item.done |= closed;
    }
    ui.page(
        StatusCode::OK,
        user,
        "postmortems",
        "ui/postmortem.html",
        context! {
            postmortem => value(row(&times, &view)),
            text => text,
            action_items => value(items),
            saved => saved,
            push_failure => value(push_failure(state, &times)),
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(incident): Path<String>,
    user: SignedInUser,
) -> Response {
    editor(&state, &ui, &user, &incident, false).await
}

/// Saves the editor's text to the file.
pub async fn save(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(incident): Path<String>,
    Act(posted): Act,
) -> Response {
    let text = posted.field("text").unwrap_or_default();
    if text.trim().is_empty() {
        return ui.message(
            StatusCode::BAD_REQUEST,
            Some(&posted.user),
            "The post-mortem is empty",
            "An empty text would erase the file, so nothing was saved. Go back and write it again.",
        );
    }
    match state.engine.save_postmortem(&incident, text).await {
        Ok(()) => editor(&state, &ui, &posted.user, &incident, true).await,
        Err(EngineError::NoIncident(_)) => not_found(&ui, &posted.user),
        Err(error) => ui.failure(&posted.user, &error),
    }
}

pub async fn publish(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(incident): Path<String>,
    Act(posted): Act,
) -> Response {
    match state
        .engine
        .publish_postmortem(&incident, &posted.user.email)
        .await
    {
        Ok(()) => Redirect::to(&format!("/postmortems/{incident}")).into_response(),
        Err(EngineError::NoIncident(_)) => not_found(&ui, &posted.user),
        Err(error) => ui.failure(&posted.user, &error),
    }
}

#[derive(Debug, Serialize)]
struct ResponseRow {
    severity: String,
    incidents: u32,
    mtta: Option<String>,
    mttr: Option<String>,
    target: Option<String>,
    within_percent: u32,
}

fn seconds_text(seconds: Option<u64>) -> Option<String> {
    seconds.map(|s| span(std::time::Duration::from_secs(s)))
}

fn percent(share: f64) -> u32 {
    // A share is within 0..=1, so the product fits.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let value = (share * 100.0).round().clamp(0.0, 100.0) as u32;
    value
}

pub async fn review(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
) -> Response {
    let times = Times::of(&state);
    let review = match state.engine.weekly_review().await {
        Ok(review) => review,
        Err(error) => return ui.failure(&user, &error),
    };
    let metrics = match state.engine.response_metrics(6).await {
        Ok(rows) => rows,
        Err(error) => return ui.failure(&user, &error),
    };
    let response: Vec<ResponseRow> = review
        .response
        .iter()
        .map(|row| ResponseRow {
            severity: row.severity.clone(),
            incidents: row.incidents,
            mtta: seconds_text(row.mtta_seconds),
            mttr: seconds_text(row.mttr_seconds),
            target: review
                .targets
                .get(&row.severity)
                .map(|target| span(*target)),
            within_percent: percent(row.acknowledged_within_target),
        })
        .collect();
    let incidents: Vec<_> = review
        .incidents
        .iter()
        .map(|incident| super::view::incident(&times, incident))
        .collect();
    let without_runbook: Vec<_> = review
        .without_runbook
        .iter()
        .map(|incident| super::view::incident(&times, incident))
        .collect();
    let postmortems: Vec<Row> = review
        .postmortems
        .iter()
        .map(|view| row(&times, view))
        .collect();
    let charts = super::charts::response_charts(&metrics);
    ui.page(
        StatusCode::OK,
        &user,
        "review",
        "ui/review.html",
        context! {
            from => value(times.when(review.from)),
            until => value(times.when(review.until)),
            incidents => value(incidents),
            response => value(response),
            postmortems => value(postmortems),
            action_items => value(review.action_items.iter().map(|(incident, item)| context! {
                incident => incident, text => &item.text, owner => &item.owner,
                due => item.due.map(|d| d.to_string()),
            }).collect::<Vec<_>>()),
            without_runbook => value(without_runbook),
            charts => charts,
            zone => times.zone_name(),
        },
    )
}
