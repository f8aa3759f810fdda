//! `/drills`: the monthly drill's history, one report in full (the latest, or `/drills/{id}`),
//! the contacts' confirmation dates beside the configuration's, and — for admins — a button that
//! runs a drill now (which also re-checks an integration such as Sentry after a test error).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Serialize;
use tocsin_core::access::Role;
use tocsin_core::drill::DrillRecord;

use super::csrf::Posted;
use super::view::{Times, When, value};
use super::{SignedInUser, Ui};
use crate::AppState;

/// The history shows this many, newest first.
const LIMIT: u32 = 50;

#[derive(Debug, Serialize)]
struct ItemView {
    kind: String,
    subject: String,
    status: &'static str,
    reason: String,
    confirmed: Option<When>,
}

#[derive(Debug, Serialize)]
struct DrillView {
    id: String,
    trigger: String,
    status: &'static str,
    started: When,
    confirm_by: When,
    finished: Option<When>,
    incident: Option<String>,
    report_sent: Option<String>,
    failed: usize,
    waiting: usize,
    items: Vec<ItemView>,
}

#[derive(Debug, Serialize)]
struct ContactView {
    id: String,
    name: String,
    configured: Option<String>,
    confirmed: Option<String>,
}

fn view(times: &Times, record: &DrillRecord) -> DrillView {
    let count = |status: tocsin_core::drill::DrillItemStatus| {
        record.items.iter().filter(|i| i.status == status).count()
    };
    DrillView {
        id: record.id.clone(),
        trigger: record.trigger.clone(),
        status: record.status.as_str(),
        started: times.when(record.started_at),
        confirm_by: times.when(record.confirm_by),
        finished: times.when_opt(record.finished_at),
        incident: record.incident_id.clone(),
        report_sent: record.report_sent.clone(),
        failed: count(tocsin_core::drill::DrillItemStatus::Fail),
        waiting: count(tocsin_core::drill::DrillItemStatus::Waiting),
        items: record
            .items
            .iter()
            .map(|item| ItemView {
                kind: item.kind.clone(),
                subject: item.subject.clone(),
                status: item.status.as_str(),
                reason: item.reason.clone(),
                confirmed: times.when_opt(item.confirmed_at),
            })
            .collect(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
) -> Response {
    render(&state, &ui, &user, None).await
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
    Path(id): Path<String>,
) -> Response {
    render(&state, &ui, &user, Some(id)).await
}

async fn render(state: &AppState, ui: &Ui, user: &SignedInUser, id: Option<String>) -> Response {
    let times = Times::of(state);
    let history = match state.engine.drills(LIMIT).await {
        Ok(history) => history,
        Err(error) => return ui.failure(user, &error),
    };
    let shown = match &id {
        None => history.first().cloned(),
        Some(id) => match state.engine.drill(id).await {
            Ok(Some(found)) => Some(found),
            Ok(None) => {
                return ui.message(
                    StatusCode::NOT_FOUND,
                    Some(user),
                    "No such drill",
                    "There is no drill with this id. Pick one from the history on /drills.",
                );
            }
            Err(error) => return ui.failure(user, &error),
        },
    };
    let confirmed = match state.engine.contact_verifications().await {
        Ok(confirmed) => confirmed,
        Err(error) => return ui.failure(user, &error),
    };
    let config = state.engine.config();
    let contacts: Vec<ContactView> = config
        .contacts
        .iter()
        .filter(|c| !c.external)
        .map(|c| ContactView {
            id: c.id.clone(),
            name: c.name.clone(),
            configured: c.verified_on.map(|d| d.to_string()),
            confirmed: confirmed
                .iter()
                .find(|v| v.contact == c.id)
                .map(|v| v.verified_on.to_string()),
        })
        .collect();
    ui.page(
        StatusCode::OK,
        user,
        "drills",
        "ui/drills.html",
        context! {
            configured => config.drill.is_some(),
            schedule => config.drill.as_ref().map(|d| d.schedule.expr.clone()),
            report_to => config.drill.as_ref().map(|d| d.report_to.clone()),
            history => value(history.iter().map(|d| view(&times, d)).collect::<Vec<_>>()),
            shown => shown.as_ref().map(|d| value(view(&times, d))),
            contacts => value(contacts),
            can_run => user.role == Role::Admin && config.drill.is_some(),
            zone => times.zone_name(),
        },
    )
}

/// Runs a drill now (admins only) and shows its report.
pub async fn run(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    posted: Posted,
) -> Response {
    let user = &posted.user;
    if user.role != Role::Admin {
        return ui.message(
            StatusCode::FORBIDDEN,
            Some(user),
            "Only admins can run the drill",
            "Running a drill pages every contact with a test message. Ask an admin.",
        );
    }
    if state.engine.config().drill.is_none() {
        return ui.message(
            StatusCode::CONFLICT,
            Some(user),
            "No drill is configured",
            "Add a [drill] section with `schedule` and `report_to` to the configuration.",
        );
    }
    match state.engine.run_drill(&user.email).await {
        Ok(record) => Redirect::to(&format!("/drills/{}", record.id)).into_response(),
        Err(error) => ui.failure(user, &error),
    }
}
