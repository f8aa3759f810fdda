//! `GET /status`: the server-rendered page. No script: the overall line, each component's status
//! in words (colour only repeats it) with a 90-day uptime bar, open incidents with their public
//! updates, and the history, in the requested language and direction.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tocsin_core::status::{ComponentStatus, percent};

use super::i18n::{self, Strings};
use super::{LangQuery, PublicIncident, Rendered, Shared, Snapshot};
use crate::AppState;

/// History beyond this many incidents is left to the feed: the page stays small on a bad month.
const HISTORY_LIMIT: usize = 30;
/// Updates shown per open incident, and per past one (whose latest word matters most); the
/// feed and the JSON carry them all.
const UPDATES_LIMIT: usize = 10;
const PAST_UPDATES_LIMIT: usize = 3;

pub(super) async fn page(
    State(state): State<AppState>,
    status: Shared,
    query: Result<Query<LangQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let requested = query.ok().and_then(|Query(query)| query.lang);
    let cached = match status.current(&state).await {
        Ok(cached) => cached,
        Err(error) => return error.into_response(),
    };
    let locale = cached.snapshot.locale(requested.as_deref()).to_owned();
    let rendered = status
        .rendered(&state, format!("page:{locale}"), |status, snapshot| {
            let view = view(snapshot, &locale);
            let html = status.render(
                "status/page.html",
                minijinja::Value::from(minijinja::value::Serde(&view)),
            )?;
            Ok(Rendered::new("text/html; charset=utf-8", html))
        })
        .await;
    match rendered {
        Ok(rendered) => rendered.respond(&headers, false),
        Err(error) => error.into_response(),
    }
}

#[derive(Debug, Serialize)]
struct Language {
    code: String,
    name: String,
    current: bool,
}

#[derive(Debug, Serialize)]
struct UpdateView {
    state: &'static str,
    text: String,
    at: String,
    at_iso: String,
}

#[derive(Debug, Serialize)]
struct IncidentView {
    id: String,
    title: String,
    impact: &'static str,
    impact_label: &'static str,
    state: &'static str,
    state_label: &'static str,
    component: Option<String>,
    started: String,
    started_iso: String,
    resolved: Option<String>,
    resolved_iso: Option<String>,
    updates: Vec<UpdateView>,
}

#[derive(Debug, Serialize)]
struct Day {
    class: &'static str,
    title: String,
}

#[derive(Debug, Serialize)]
struct ComponentRow {
    id: String,
    name: String,
    status: &'static str,
    status_label: &'static str,
    /// A shape beside the words, so the status never rests on colour alone.
    symbol: &'static str,
    /// The 90-day share as a sentence: the bar's accessible name and its caption.
    uptime: String,
    days: Vec<Day>,
}

#[derive(Debug, Serialize)]
struct PageView<'a> {
    t: &'static Strings,
    title: &'a str,
    org: &'a str,
    indicator: &'static str,
    overall: &'static str,
    symbol: &'static str,
    updated: String,
    updated_iso: String,
    languages: Vec<Language>,
    feed_url: String,
    open: Vec<IncidentView>,
    components: Vec<ComponentRow>,
    history: Vec<IncidentView>,
    more_history: bool,
    subscribe: bool,
    zone: String,
    maintenance: Vec<MaintenanceRow>,
}

#[derive(Debug, Serialize)]
struct MaintenanceRow {
    id: String,
    title: String,
    active: bool,
    state_label: &'static str,
    start: String,
    start_iso: String,
    end: String,
    end_iso: String,
    components: Vec<String>,
}

fn symbol(status: ComponentStatus) -> &'static str {
    match status {
        ComponentStatus::Operational => "✓",
        ComponentStatus::UnderMaintenance => "ⓘ",
        ComponentStatus::DegradedPerformance => "!",
        ComponentStatus::PartialOutage => "▲",
        ComponentStatus::MajorOutage => "✕",
    }
}

/// A day's colour class: `nd` without data, then full, slightly, partly, mostly down.
fn day_class(uptime: Option<f64>) -> &'static str {
    match uptime {
        None => "nd",
        Some(share) if share >= 0.999 => "ok",
        Some(share) if share >= 0.99 => "mi",
        Some(share) if share >= 0.95 => "pa",
        Some(_) => "ma",
    }
}

fn incident_view(
    incident: &PublicIncident,
    locale: &str,
    t: &'static Strings,
    snapshot: &Snapshot,
    limit: usize,
) -> IncidentView {
    let tz = &snapshot.tz;
    let state = incident.status();
    IncidentView {
        id: incident.incident.id.clone(),
        title: incident.title(locale).to_owned(),
        impact: incident.impact.as_str(),
        impact_label: t.impact(incident.impact),
        state,
        state_label: t.state(state),
        component: incident.component.as_ref().map(|(_, name)| name.clone()),
        started: t.date_time(incident.incident.opened_at, tz),
        started_iso: incident.incident.opened_at.to_string(),
        resolved: incident.incident.resolved_at.map(|at| t.date_time(at, tz)),
        resolved_iso: incident.incident.resolved_at.map(|at| at.to_string()),
        updates: incident
            .updates
            .iter()
            .take(limit)
            .map(|update| UpdateView {
                state: t.state(
                    update
                        .state
                        .map_or("investigating", tocsin_core::status::public_state),
                ),
                text: update.text.clone(),
                at: t.date_time(update.at, tz),
                at_iso: update.at.to_string(),
            })
            .collect(),
    }
}

fn view<'a>(snapshot: &'a Snapshot, locale: &str) -> PageView<'a> {
    let t = i18n::strings(locale);
    let tz = &snapshot.tz;
    let days = &snapshot.day_starts;
    let components = snapshot
        .components
        .iter()
        .map(|component| {
            let uptime = component.uptime.overall.map_or_else(
                || t.no_checks.to_owned(),
                |share| t.uptime_over_90_days.replace("{pct}", &percent(share)),
            );
            ComponentRow {
                id: component.id.clone(),
                name: component.name.clone(),
                status: component.status.as_str(),
                status_label: t.component_status(component.status),
                symbol: symbol(component.status),
                uptime,
                days: component
                    .uptime
                    .days
                    .iter()
                    .zip(days.iter())
                    .map(|(share, start)| Day {
                        class: day_class(*share),
                        title: format!(
                            "{}: {}",
                            t.date(*start, tz),
                            share.map_or_else(|| t.no_data.to_owned(), percent)
                        ),
                    })
                    .collect(),
            }
        })
        .collect();
    let history: Vec<&PublicIncident> = snapshot
        .incidents
        .iter()
        .filter(|incident| !incident.incident.state.is_open())
        .collect();
    PageView {
        t,
        title: &snapshot.title,
        org: &snapshot.org,
        indicator: snapshot.indicator.as_str(),
        overall: t.overall(snapshot.indicator),
        symbol: if snapshot.indicator == tocsin_core::status::Impact::None {
            "✓"
        } else {
            "!"
        },
        updated: t.date_time(snapshot.updated_at, tz),
        updated_iso: snapshot.updated_at.to_string(),
        languages: snapshot
            .locales
            .iter()
            .map(|code| Language {
                code: code.clone(),
                name: i18n::language_name(code).to_owned(),
                current: i18n::strings(code).lang == t.lang && code.starts_with(t.lang),
            })
            .collect(),
        feed_url: format!("{}/status/feed.atom?lang={}", snapshot.public_url, t.lang),
        open: snapshot
            .open()
            .map(|incident| incident_view(incident, locale, t, snapshot, UPDATES_LIMIT))
            .collect(),
        components,
        more_history: history.len() > HISTORY_LIMIT,
        history: history
            .into_iter()
            .take(HISTORY_LIMIT)
            .map(|incident| incident_view(incident, locale, t, snapshot, PAST_UPDATES_LIMIT))
            .collect(),
        subscribe: snapshot.subscriptions_open,
        maintenance: snapshot
            .maintenance
            .iter()
            .map(|window| MaintenanceRow {
                id: window.id.clone(),
                title: window.title.clone(),
                active: window.active,
                state_label: if window.active {
                    t.maintenance_in_progress
                } else {
                    t.maintenance_scheduled
                },
                start: t.date_time(window.start, tz),
                start_iso: window.start.to_string(),
                end: t.date_time(window.end, tz),
                end_iso: window.end.to_string(),
                components: window
                    .components
                    .iter()
                    .map(|(_, name)| name.clone())
                    .collect(),
            })
            .collect(),
        zone: format!(
            "{} ({})",
            snapshot.time_zone,
            i18n::utc_offset(snapshot.now, tz)
        ),
    }
}
