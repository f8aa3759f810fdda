//! `GET /status`: the server-rendered page. No script: the overall line, each component's status
//! in words (colour only repeats it) with a 90-day uptime bar, open incidents with their public
//! updates, and the history, in the requested language and direction.
//!
//! The bar is run-length: consecutive days that read the same (same colour, same percentage, so
//! perfect days and days without data) are one element spanning them, and a day that differs
//! from its neighbours is its own element with its own tooltip. A thousand components stay a
//! small page while every day is still told apart; the CSS draws the day gaps over the runs.

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
        .rendered(
            &cached,
            format!("page:{locale}"),
            move |status, snapshot| {
                let view = view(snapshot, &locale);
                let html = status.render(
                    "status/page.html",
                    minijinja::Value::from(minijinja::value::Serde(&view)),
                )?;
                Ok(Rendered::new("text/html; charset=utf-8", html))
            },
        )
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

/// Consecutive days that read the same: one element of the bar, `days` wide.
#[derive(Debug, Serialize, PartialEq)]
struct Run {
    class: &'static str,
    days: usize,
    /// The day, or the first and last day, and the share they had: the element's tooltip.
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
    /// The bar, oldest day first.
    runs: Vec<Run>,
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

/// The bar of one component: its days (oldest first, `None` without data) as runs of days that
/// read the same. `dates` are the days' names in the page's language, as long as `days`.
fn runs(days: &[Option<f64>], dates: &[String], t: &Strings) -> Vec<Run> {
    let read: Vec<(&'static str, String)> = days
        .iter()
        .map(|share| {
            let label = share.map_or_else(|| t.no_data.to_owned(), percent);
            (day_class(*share), label)
        })
        .collect();
    let mut runs = Vec::new();
    let mut first = 0;
    while let Some((class, label)) = read.get(first) {
        let len = read[first..]
            .iter()
            .take_while(|day| day.0 == *class && day.1 == *label)
            .count();
        let date = |day: usize| dates.get(day).map_or("", String::as_str);
        let when = if len == 1 {
            date(first).to_owned()
        } else {
            t.date_range
                .replace("{from}", date(first))
                .replace("{to}", date(first + len - 1))
        };
        runs.push(Run {
            class,
            days: len,
            title: format!("{when}: {label}"),
        });
        first += len;
    }
    runs
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
    // Named once for the page, not once per component.
    let dates: Vec<String> = snapshot
        .day_starts
        .iter()
        .map(|start| t.date(*start, tz))
        .collect();
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
                runs: runs(&component.uptime.days, &dates, t),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::i18n::{AR, EN};

    fn dates(n: usize) -> Vec<String> {
        (1..=n).map(|day| format!("{day} Nov")).collect()
    }

    #[test]
    fn days_that_read_the_same_are_one_run_and_a_bad_day_stands_alone() {
        let mut days = vec![None; 3];
        days.extend([Some(1.0); 4]);
        days.push(Some(0.9826));
        days.extend([Some(1.0); 2]);
        days.extend([Some(0.5); 2]);
        let bar = runs(&days, &dates(days.len()), &EN);
        let read: Vec<(&str, usize, &str)> = bar
            .iter()
            .map(|run| (run.class, run.days, run.title.as_str()))
            .collect();
        assert_eq!(
            read,
            [
                ("nd", 3, "1 Nov – 3 Nov: No data"),
                ("ok", 4, "4 Nov – 7 Nov: 100.00%"),
                ("pa", 1, "8 Nov: 98.26%"),
                ("ok", 2, "9 Nov – 10 Nov: 100.00%"),
                ("ma", 2, "11 Nov – 12 Nov: 50.00%"),
            ]
        );
        assert_eq!(bar.iter().map(|run| run.days).sum::<usize>(), days.len());
    }

    #[test]
    fn a_day_just_below_perfect_keeps_its_own_tooltip() {
        // 99.95 % is the same colour as 100 % but not the same reading.
        let days = [Some(1.0), Some(0.9995), Some(1.0)];
        let bar = runs(&days, &dates(3), &AR);
        assert_eq!(bar.len(), 3);
        assert!(bar.iter().all(|run| run.class == "ok"));
        assert_eq!(bar[1].title, "2 Nov: 99.95%");
        let quiet = runs(&[None; 90], &dates(90), &AR);
        assert_eq!(quiet.len(), 1);
        assert_eq!(quiet[0].title, "من 1 Nov إلى 90 Nov: لا توجد بيانات");
        assert!(runs(&[], &[], &EN).is_empty());
    }
}
