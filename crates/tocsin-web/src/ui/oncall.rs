//! `/oncall`: who is on call now and next in each schedule (from the engine's roster, overrides
//! included), and the current and future overrides.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::view::{Times, When, value};
use super::{SignedInUser, Ui};
use crate::AppState;

#[derive(Debug, Serialize)]
struct Shift {
    schedule: String,
    timezone: String,
    now: Option<String>,
    since: Option<When>,
    until: Option<When>,
    next: Option<String>,
    calendar: String,
}

#[derive(Debug, Serialize)]
struct OverrideView {
    schedule: String,
    contact: String,
    from: When,
    until: When,
    created_by: String,
}

pub async fn page(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
) -> Response {
    let times = Times::of(&state);
    let config = state.engine.config();
    // People by name; an id the configuration does not know is shown as it is.
    let name = |id: &str| {
        config
            .contact(id)
            .map_or_else(|| id.to_owned(), |contact| contact.name.clone())
    };
    let roster = match state.engine.on_call_at(times.now).await {
        Ok(roster) => roster,
        Err(error) => return ui.failure(&user, &error),
    };
    let overrides = match state.engine.overrides().await {
        Ok(overrides) => overrides,
        Err(error) => return ui.failure(&user, &error),
    };
    let shifts: Vec<Shift> = roster
        .into_iter()
        .map(|(schedule, on_call)| Shift {
            timezone: config
                .schedule(&schedule)
                .map(|s| s.timezone.clone())
                .unwrap_or_default(),
            now: on_call.as_ref().map(|o| name(&o.contact)),
            since: on_call.as_ref().map(|o| times.when(o.since)),
            until: on_call.as_ref().map(|o| times.when(o.until)),
            next: on_call.as_ref().and_then(|o| o.next.as_deref()).map(name),
            calendar: state.engine.calendar_url(&schedule),
            schedule,
        })
        .collect();
    let overrides: Vec<OverrideView> = overrides
        .iter()
        .map(|record| OverrideView {
            schedule: record.schedule.clone(),
            contact: name(&record.contact),
            from: times.when(record.starts_at),
            until: times.when(record.ends_at),
            created_by: record.created_by.clone(),
        })
        .collect();
    ui.page(
        StatusCode::OK,
        &user,
        "oncall",
        "ui/oncall.html",
        context! { shifts => value(shifts), overrides => value(overrides), zone => times.zone_name() },
    )
}
