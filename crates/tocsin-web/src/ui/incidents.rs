//! `/incidents` (filtered list, refreshed through `/incidents/fragment`), `/incidents/{id}` (the
//! incident with its live part at `/incidents/{id}/live`) and the forms that act on it. Each form
//! calls the engine as the signed-in person and redirects back (post/redirect/get), so a reload
//! never repeats an action.

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};
use tocsin_core::decide::{Input, Refusal};
use tocsin_core::incident::IncidentState;
use tocsin_core::incident_filter::{IncidentFilter, StateFilter};
use tocsin_engine::EngineError;

use super::auth::percent_encode;
use super::csrf::Act;
use super::view::{self, Times, value};
use super::{SignedInUser, Ui};
use crate::AppState;

/// The list shows this many incidents, newest first.
const LIST_LIMIT: u32 = 100;

/// The state filter's choices, in the order the select shows them.
const STATES: [(&str, &str); 5] = [
    ("open", "Open"),
    ("triggered", "Not acknowledged"),
    ("acknowledged", "Acknowledged"),
    ("resolved", "Resolved"),
    ("all", "All"),
];

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    severity: Option<String>,
}

/// The filters as understood: a value the select does not offer falls back to its default.
#[derive(Debug, Serialize)]
struct Filters {
    state: String,
    severity: String,
    /// The same filters as a query string, for the fragment's URL.
    query: String,
}

fn filters(state: &AppState, query: Option<Query<ListQuery>>) -> (Filters, IncidentFilter) {
    let query = query.map(|Query(query)| query).unwrap_or_default();
    let chosen = query
        .state
        .filter(|chosen| STATES.iter().any(|(value, _)| value == chosen))
        .unwrap_or_else(|| "open".to_owned());
    let severity = query
        .severity
        .filter(|id| state.engine.config().severity(id).is_some())
        .unwrap_or_default();
    let state_filter = match chosen.as_str() {
        "all" => None,
        "open" => Some(StateFilter::Open),
        "resolved" => Some(StateFilter::Resolved),
        other => IncidentState::parse(other).map(StateFilter::Is),
    };
    let filter = IncidentFilter {
        state: state_filter,
        severity: (!severity.is_empty()).then(|| severity.clone()),
        limit: LIST_LIMIT,
        before: None,
    };
    let query = format!(
        "state={}&severity={}",
        percent_encode(&chosen),
        percent_encode(&severity)
    );
    (
        Filters {
            state: chosen,
            severity,
            query,
        },
        filter,
    )
}

async fn rows_context(
    state: &AppState,
    filter: &IncidentFilter,
) -> Result<minijinja::Value, EngineError> {
    let incidents = state.engine.incidents(filter).await?;
    let times = Times::of(state);
    let views: Vec<_> = incidents
        .iter()
        .map(|i| view::incident(&times, i))
        .collect();
    Ok(context! {
        incidents => value(views),
        more => incidents.len() == LIST_LIMIT as usize,
        refreshed => value(times.when(times.now)),
    })
}

pub async fn list(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let (chosen, filter) = filters(&state, query.ok());
    let rows = match rows_context(&state, &filter).await {
        Ok(rows) => rows,
        Err(error) => return ui.failure(&user, &error),
    };
    let severities: Vec<_> = state
        .engine
        .config()
        .severities
        .iter()
        .map(|severity| context! { id => &severity.id, definition => &severity.definition })
        .collect();
    let states: Vec<_> = STATES
        .iter()
        .map(|(choice, label)| context! { value => *choice, label => *label })
        .collect();
    ui.page(
        StatusCode::OK,
        &user,
        "incidents",
        "ui/incidents.html",
        context! {
            filters => value(chosen),
            severities => severities,
            states => states,
            ..rows
        },
    )
}

/// The list's rows alone, for the script that keeps the list fresh.
pub async fn rows(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let (_, filter) = filters(&state, query.ok());
    match rows_context(&state, &filter).await {
        Ok(rows) => ui.render(StatusCode::OK, "ui/incident_rows.html", rows),
        Err(error) => ui.failure(&user, &error),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

/// What the page says after a form worked (fixed sentences: the query names one, it cannot
/// put text of its own on the page).
fn done_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "acknowledged" => "Acknowledged. Nobody else will be paged for it.",
        "resolved" => "Resolved.",
        "severity" => "Severity changed.",
        "note" => "Note added to the timeline.",
        "update" => "Update posted for the team.",
        "update_public" => "Update posted and shown on the status page.",
        "checklist" => "Checklist updated; the timeline records who ticked it.",
        "action_succeeded" => "The action ran and succeeded; its output is in the timeline.",
        "action_failed" => "The action ran and FAILED; its output is in the timeline.",
        "comms_approved" => "Customer notice approved; it is being sent.",
        "public_title" => {
            "Public title set: the status page, its feeds and customer mail use it now."
        }
        "role" => "Role assigned; the timeline says who handed over.",
        "merged" => "Merged: this incident ended and its alerts now lead to the other one.",
        "snoozed" => "Snoozed: reminders are held until then; if it is still open, it pages again.",
        _ => return None,
    })
}

/// The incident's live part: state, countdown, alerts and timeline.
async fn live_context(
    state: &AppState,
    id: &str,
    user_email: &str,
) -> Result<Option<minijinja::Value>, EngineError> {
    let situation = state.engine.situation(id).await?;
    let Some(incident) = situation.incident else {
        return Ok(None);
    };
    // Both timelines are kept: one that had incidents merged in shows theirs too.
    let events = state.engine.timeline_with_merged(id).await?;
    let merged = state.engine.merged_into_it(id).await?;
    let roles = super::coordination::roles_view(&incident, user_email);
    let times = Times::of(state);
    let alerts: Vec<_> = situation
        .alerts
        .iter()
        .map(|alert| view::alert(&times, alert))
        .collect();
    let events: Vec<_> = events
        .iter()
        .rev()
        .map(|event| view::event(&times, event))
        .collect();
    let alert_text: Vec<String> = situation.alerts.iter().map(|a| a.summary.clone()).collect();
    let runbook = super::runbooks::incident_context(state, &incident, &alert_text).await?;
    let public_title = state
        .engine
        .public_title(&incident, state.engine.config().org.default_locale());
    let ticket = state
        .engine
        .tickets(id)
        .await?
        .into_iter()
        .find(|ticket| ticket.item.is_none())
        .map(|ticket| {
            context! {
                label => ticket.label(),
                state => ticket.state.as_str(),
                // A tracker's answer is text from outside: only an http(s) address is a link.
                url => ticket.url.filter(|url| super::links::is_web_link(url)),
            }
        });
    Ok(Some(context! {
        ticket => ticket,
        incident => value(view::incident(&times, &incident)),
        public_title => public_title,
        public_title_written => incident.public_title.is_some(),
        alerts => value(alerts),
        events => value(events),
        call => value(crate::api::incidents::call(state, incident.category.as_deref())),
        refreshed => value(times.when(times.now)),
        zone => times.zone_name(),
        roles => value(roles),
        merged => merged,
        merged_into => &incident.merged_into,
        snoozed_until => value(times.when_opt(incident.snoozed_until)),
        ..runbook
    }))
}

/// What a failed form sends back with the page: why, and the text typed, so nothing is lost.
#[derive(Debug, Default)]
pub(super) struct Problem {
    text: String,
    note: String,
    update: String,
    public: bool,
    public_title: String,
}

async fn incident_page(
    state: &AppState,
    ui: &Ui,
    user: &SignedInUser,
    id: &str,
    status: StatusCode,
    done: Option<&str>,
    problem: Option<Problem>,
) -> Response {
    let live = match live_context(state, id, &user.email).await {
        Ok(Some(live)) => live,
        Ok(None) => {
            return ui.message(
                StatusCode::NOT_FOUND,
                Some(user),
                "There is no such incident",
                "Its address may be mistyped. The incident list has every incident.",
            );
        }
        Err(error) => return ui.failure(user, &error),
    };
    let severities: Vec<_> = state
        .engine
        .config()
        .severities
        .iter()
        .map(|severity| context! { id => &severity.id, definition => &severity.definition })
        .collect();
    let actions: Vec<_> = state
        .engine
        .config()
        .actions
        .iter()
        .map(|action| context! { id => &action.id, title => &action.title, confirm => action.confirm })
        .collect();
    let comms = match state.engine.comms(id).await {
        Ok(comms) => comms,
        Err(error) => return ui.failure(user, &error),
    };
    let problem = problem.unwrap_or_default();
    ui.page(
        status,
        user,
        "incidents",
        "ui/incident.html",
        context! {
            severities => severities,
            mitigations => actions,
            comms => value(comms),
            done => done.and_then(done_text),
            problem => (!problem.text.is_empty()).then_some(problem.text),
            draft_note => problem.note,
            draft_update => problem.update,
            draft_public => problem.public,
            draft_public_title => problem.public_title,
            ..live
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
    Path(id): Path<String>,
    query: Result<Query<ShowQuery>, QueryRejection>,
) -> Response {
    let done = query.ok().and_then(|Query(query)| query.done);
    incident_page(
        &state,
        &ui,
        &user,
        &id,
        StatusCode::OK,
        done.as_deref(),
        None,
    )
    .await
}

/// The live part alone, for the script that keeps the incident page fresh.
pub async fn live(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
    Path(id): Path<String>,
) -> Response {
    match live_context(&state, &id, &user.email).await {
        // With the person and the form token: the live part holds the checklist's tick forms.
        Ok(Some(live)) => ui.page(
            StatusCode::OK,
            &user,
            "incidents",
            "ui/incident_live.html",
            live,
        ),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => ui.failure(&user, &error),
    }
}

/// Runs one person's action and goes back to the incident; a refusal is shown on the page with
/// the text the person typed.
async fn act(
    state: &AppState,
    ui: &Ui,
    user: &SignedInUser,
    id: &str,
    input: Input,
    done: &str,
    problem: Problem,
) -> Response {
    let result = state.engine.act(id, input).await;
    answer(state, ui, user, id, result, done, problem).await
}

/// Back to the incident after a person's action: a redirect saying it worked, or the page with
/// the refusal (and the text the person typed), with the API's status for the same refusal.
pub(super) async fn answer(
    state: &AppState,
    ui: &Ui,
    user: &SignedInUser,
    id: &str,
    result: Result<tocsin_core::incident::Incident, EngineError>,
    done: &str,
    mut problem: Problem,
) -> Response {
    match result {
        Ok(_) => {
            Redirect::to(&format!("/incidents/{}?done={done}", percent_encode(id))).into_response()
        }
        Err(error @ (EngineError::Refused(_) | EngineError::NoIncident(_))) => {
            // The same statuses as the API gives for the same refusals.
            let status = match &error {
                EngineError::Refused(Refusal::State { .. } | Refusal::Conflict(_)) => {
                    StatusCode::CONFLICT
                }
                EngineError::Refused(Refusal::UnknownSeverity(_) | Refusal::Invalid(_)) => {
                    StatusCode::BAD_REQUEST
                }
                _ => StatusCode::NOT_FOUND,
            };
            problem.text = format!("Nothing was changed: {error}.");
            incident_page(state, ui, user, id, status, None, Some(problem)).await
        }
        Err(error) => ui.failure(user, &error),
    }
}

pub async fn acknowledge(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(id): Path<String>,
    Act(posted): Act,
) -> Response {
    let actor = posted.user.email.clone();
    let input = Input::Acknowledge { actor };
    act(
        &state,
        &ui,
        &posted.user,
        &id,
        input,
        "acknowledged",
        Problem::default(),
    )
    .await
}

pub async fn resolve(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(id): Path<String>,
    Act(posted): Act,
) -> Response {
    let actor = posted.user.email.clone();
    let input = Input::Resolve { actor };
    act(
        &state,
        &ui,
        &posted.user,
        &id,
        input,
        "resolved",
        Problem::default(),
    )
    .await
}

pub async fn severity(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(id): Path<String>,
    Act(posted): Act,
) -> Response {
    let input = Input::ChangeSeverity {
        actor: posted.user.email.clone(),
        severity: posted.field("severity").unwrap_or_default().to_owned(),
    };
    act(
        &state,
        &ui,
        &posted.user,
        &id,
        input,
        "severity",
        Problem::default(),
    )
    .await
}

pub async fn note(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(id): Path<String>,
    Act(posted): Act,
) -> Response {
    let text = posted.field("text").unwrap_or_default().to_owned();
    let problem = Problem {
        note: text.clone(),
        ..Problem::default()
    };
    let input = Input::Note {
        actor: posted.user.email.clone(),
        text,
    };
    act(&state, &ui, &posted.user, &id, input, "note", problem).await
}

pub async fn update(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(id): Path<String>,
    Act(posted): Act,
) -> Response {
    let text = posted.field("text").unwrap_or_default().to_owned();
    // A checkbox is sent only when ticked, with the value "on" unless the form says otherwise.
    let public = posted
        .field("status_page")
        .is_some_and(|value| matches!(value, "on" | "true" | "1"));
    let problem = Problem {
        update: text.clone(),
        public,
        ..Problem::default()
    };
    let input = Input::Update {
        actor: posted.user.email.clone(),
        text,
        public,
    };
    let done = if public { "update_public" } else { "update" };
    act(&state, &ui, &posted.user, &id, input, done, problem).await
}

pub async fn public_title(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(id): Path<String>,
    Act(posted): Act,
) -> Response {
    let title = posted.field("title").unwrap_or_default().to_owned();
    let problem = Problem {
        public_title: title.clone(),
        ..Problem::default()
    };
    let input = Input::SetPublicTitle {
        actor: posted.user.email.clone(),
        title,
    };
    act(
        &state,
        &ui,
        &posted.user,
        &id,
        input,
        "public_title",
        problem,
    )
    .await
}
