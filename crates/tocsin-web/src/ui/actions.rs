//! The incident page's mitigation actions and customer-notice drafts: `POST
//! /incidents/{id}/actions/{action}` (a confirmation step first when the action has
//! `confirm = true`; runbooks' `{{ action "id" }}` buttons post here) and
//! `POST /incidents/{id}/comms/{draft}/approve`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use tocsin_config::ActionKind;
use tocsin_core::action_run::RunStatus;
use tocsin_engine::{DraftEdit, EngineError};

use super::Ui;
use super::auth::percent_encode;
use super::csrf::Act;
use crate::AppState;

fn back(id: &str, done: &str) -> Response {
    Redirect::to(&format!("/incidents/{}?done={done}", percent_encode(id))).into_response()
}

fn refused(ui: &Ui, user: &super::SignedInUser, error: &EngineError) -> Response {
    let status = match error {
        EngineError::NoIncident(_) => StatusCode::NOT_FOUND,
        EngineError::Refused(tocsin_core::decide::Refusal::State { .. }) => StatusCode::CONFLICT,
        EngineError::Refused(_) => StatusCode::BAD_REQUEST,
        _ => return ui.failure(user, error),
    };
    ui.message(status, Some(user), "Nothing was done", &format!("{error}."))
}

/// Runs an action, asking first when it says so.
pub async fn run(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path((id, action_id)): Path<(String, String)>,
    Act(posted): Act,
) -> Response {
    let user = &posted.user;
    let Some(action) = state.engine.config().action(&action_id).cloned() else {
        return ui.message(
            StatusCode::NOT_FOUND,
            Some(user),
            "There is no such action",
            &format!("No action `{action_id}` is configured."),
        );
    };
    let confirmed = posted.field("confirm") == Some("yes");
    if action.confirm && !confirmed {
        let incident = match state.engine.incident(&id).await {
            Ok(incident) => incident,
            Err(error) => return ui.failure(user, &error),
        };
        let Some(incident) = incident else {
            return refused(&ui, user, &EngineError::NoIncident(id));
        };
        // What will run, as a run record keeps it: without credentials or secrets.
        let what = state.engine.config().redactor.scrub(&match &action.kind {
            ActionKind::Http { method, url, .. } => format!("{method} {url}"),
            ActionKind::Command { argv } => argv.join(" "),
        });
        return ui.page(
            StatusCode::OK,
            user,
            "incidents",
            "ui/action_confirm.html",
            context! {
                incident => context! { id => &incident.id, title => &incident.title, severity => &incident.severity },
                action => context! { id => &action.id, title => &action.title },
                what => what,
                timeout => format!("{} seconds", action.timeout.as_secs()),
            },
        );
    }
    match state
        .engine
        .run_action(&id, &action.id, &user.email, confirmed || !action.confirm)
        .await
    {
        Ok(run) if run.status == RunStatus::Succeeded => back(&id, "action_succeeded"),
        Ok(_) => back(&id, "action_failed"),
        Err(error) => refused(&ui, user, &error),
    }
}

/// Approves a customer-notice draft, with the default locale's text as edited on the page.
pub async fn approve(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path((id, draft)): Path<(String, String)>,
    Act(posted): Act,
) -> Response {
    let field = |name: &str| {
        posted
            .field(name)
            .filter(|value| !value.trim().is_empty())
            .map(str::to_owned)
    };
    let edit = DraftEdit {
        locale: field("locale"),
        subject: field("subject"),
        body: field("body"),
    };
    match state
        .engine
        .approve_comms(&id, &draft, &posted.user.email, edit)
        .await
    {
        Ok(_) => back(&id, "comms_approved"),
        Err(error) => refused(&ui, &posted.user, &error),
    }
}
