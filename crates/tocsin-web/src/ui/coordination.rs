//! The incident page's roles, merge and snooze forms: assign a role (or take one over with one
//! click), merge this incident into another, snooze it once acknowledged.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;
use tocsin_core::incident::Incident;
use tocsin_core::roles::{IncidentRole, Person};

use super::Ui;
use super::csrf::Act;
use super::incidents::{Problem, answer};
use crate::AppState;

/// One role as the page shows it.
#[derive(Debug, Serialize)]
pub struct RoleView {
    /// `commander`, `communications`, `scribe`: the form's value and the element ids.
    pub role: &'static str,
    pub title: &'static str,
    pub holder: Option<Person>,
    /// The signed-in person holds it (no "Take over" for them).
    pub mine: bool,
}

/// The incident's roles for the page, each with whether `email` (the signed-in person) holds it.
pub fn roles_view(incident: &Incident, email: &str) -> Vec<RoleView> {
    IncidentRole::ALL
        .into_iter()
        .map(|role| {
            let holder = incident.roles.get(role).cloned();
            RoleView {
                role: role.as_str(),
                title: role.title(),
                mine: holder
                    .as_ref()
                    .is_some_and(|holder| holder.id.eq_ignore_ascii_case(email)),
                holder,
            }
        })
        .collect()
}

/// `POST /incidents/{id}/roles`: `role` and `user` (an e-mail or a contact id), or `role` and
/// `take_over` — the signed-in person takes the role, and the timeline names who handed over.
pub async fn assign(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(id): Path<String>,
    Act(posted): Act,
) -> Response {
    let role = posted.field("role").unwrap_or_default().to_owned();
    let actor = posted.user.email.clone();
    let user = if posted.field("take_over").is_some() {
        actor.clone()
    } else {
        posted.field("user").unwrap_or_default().to_owned()
    };
    let result = state.engine.assign_role(&id, &role, &user, &actor).await;
    answer(
        &state,
        &ui,
        &posted.user,
        &id,
        result,
        "role",
        Problem::default(),
    )
    .await
}

/// `POST /incidents/{id}/merge`: `into`, the incident to merge this one into.
pub async fn merge(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(id): Path<String>,
    Act(posted): Act,
) -> Response {
    let into = posted.field("into").unwrap_or_default().trim().to_owned();
    let result = state.engine.merge(&id, &into, &posted.user.email).await;
    answer(
        &state,
        &ui,
        &posted.user,
        &id,
        result,
        "merged",
        Problem::default(),
    )
    .await
}

/// `POST /incidents/{id}/snooze`: `for`, a span from now like `2h`.
pub async fn snooze(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    Path(id): Path<String>,
    Act(posted): Act,
) -> Response {
    let span = posted.field("for").unwrap_or_default();
    let result = match tocsin_core::parse_duration(span.trim()) {
        Ok(span) => state.engine.snooze_for(&id, span, &posted.user.email).await,
        Err(error) => Err(tocsin_engine::EngineError::Refused(
            tocsin_core::decide::Refusal::Invalid(format!(
                "snooze for: {error} (like `30m` or `2h`)"
            )),
        )),
    };
    answer(
        &state,
        &ui,
        &posted.user,
        &id,
        result,
        "snoozed",
        Problem::default(),
    )
    .await
}
