//! `/monitors`: every configured monitor with its status, uptime over 24 h / 7 d / 30 d / 90 d
//! (from its outage intervals, exact to the millisecond; the number of checks beside it) and the
//! last day's latency as an inline SVG chart (no script, no image request).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use minijinja::context;
use serde::Serialize;
use tocsin_config::MonitorKind;
use tocsin_core::monitor_records::LatencyBucket;
use tocsin_core::uptime::Measured;

use super::view::{Times, When, value};
use super::{SignedInUser, Ui};
use crate::AppState;

const DAY: Duration = Duration::from_secs(86_400);
/// Uptime windows, as labelled on the page.
const WINDOWS: [(&str, u64); 4] = [("24 h", 1), ("7 d", 7), ("30 d", 30), ("90 d", 90)];
/// The chart's slices: a day in quarter hours.
const SLICE: Duration = Duration::from_secs(15 * 60);
const SLICES: u64 = 96;
/// The chart's drawing box, in SVG units (it scales to the page's width).
const CHART_WIDTH: u64 = 384;
const CHART_HEIGHT: u64 = 64;

#[derive(Debug, Serialize)]
struct Uptime {
    window: &'static str,
    /// "99.95%", rounded down so that any down time never shows as 100%; "—" when the monitor
    /// was not watched in the window.
    text: String,
    checks: u64,
}

fn uptime(window: &'static str, measured: Measured, checks: u64) -> Uptime {
    let watched = u64::try_from(measured.monitored_ms).unwrap_or(0);
    let down = u64::try_from(measured.down_ms).unwrap_or(0).min(watched);
    let text = if watched == 0 {
        "—".to_owned()
    } else if down == 0 {
        "100%".to_owned()
    } else {
        let hundredths = (watched - down).saturating_mul(10_000) / watched;
        format!("{}.{:02}%", hundredths / 100, hundredths % 100)
    };
    Uptime {
        window,
        text,
        checks,
    }
}

#[derive(Debug, Serialize, Default)]
struct Chart {
    width: u64,
    height: u64,
    /// Polylines' `points`, one per run of slices with checks (gaps stay gaps).
    lines: Vec<String>,
    /// x of each slice with a failed check.
    failures: Vec<u64>,
    peak_ms: u64,
    checks: u64,
}

fn chart(buckets: &[LatencyBucket], since: Timestamp) -> Chart {
    let step = CHART_WIDTH / SLICES;
    let peak = buckets
        .iter()
        .map(|bucket| bucket.avg_latency_ms)
        .max()
        .unwrap_or(0)
        .max(1);
    let slice_ms = i64::try_from(SLICE.as_millis()).unwrap_or(i64::MAX);
    let mut chart = Chart {
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
        peak_ms: buckets.iter().map(|b| b.max_latency_ms).max().unwrap_or(0),
        checks: buckets.iter().map(|b| b.checks).sum(),
        ..Chart::default()
    };
    let mut line: Vec<String> = Vec::new();
    let mut previous: Option<u64> = None;
    for bucket in buckets {
        let offset = bucket.start.as_millisecond() - since.as_millisecond();
        let Ok(index) = u64::try_from(offset / slice_ms) else {
            continue;
        };
        if index >= SLICES {
            continue;
        }
        if previous.is_some_and(|previous| previous + 1 != index) {
            finish(&mut line, &mut chart.lines);
        }
        let x = index * step + step / 2;
        // The top 4 units stay free; the line's peak is the day's highest average.
        let drawable = CHART_HEIGHT - 8;
        let y = CHART_HEIGHT - 4 - bucket.avg_latency_ms.min(peak) * drawable / peak;
        line.push(format!("{x},{y}"));
        if bucket.failures > 0 {
            chart.failures.push(index * step);
        }
        previous = Some(index);
    }
    finish(&mut line, &mut chart.lines);
    chart
}

/// Ends a run of points as one polyline.
fn finish(line: &mut Vec<String>, lines: &mut Vec<String>) {
    if let [point] = line.as_slice() {
        // A lone point draws nothing as a polyline: a second, equal one gives it a round cap.
        let point = point.clone();
        line.push(point);
    }
    if !line.is_empty() {
        lines.push(std::mem::take(line).join(" "));
    }
}

/// Where a monitor looks, without anything secret: no credentials, no query string.
pub(super) fn target(kind: &MonitorKind) -> String {
    fn bare(url: &str) -> String {
        let url = url.split(['?', '#']).next().unwrap_or("");
        match url.split_once("://") {
            Some((scheme, rest)) => {
                let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
                let host = authority.rsplit('@').next().unwrap_or(authority);
                format!("{scheme}://{host}/{path}")
            }
            None => url.to_owned(),
        }
    }
    match kind {
        MonitorKind::Http(http) => format!("{} {}", http.method, bare(&http.url)),
        MonitorKind::Tcp { host } | MonitorKind::Tls { host, .. } => host.clone(),
        MonitorKind::Dns { query, record, .. } => format!("{record} {query}"),
        MonitorKind::Postgres { .. } => "a PostgreSQL database".to_owned(),
        MonitorKind::Statuspage { url } => bare(url),
        MonitorKind::Heartbeat { every, grace, .. } => format!(
            "pings every {} (grace {})",
            tocsin_core::duration::format_duration(*every),
            tocsin_core::duration::format_duration(*grace)
        ),
    }
}

#[derive(Debug, Serialize)]
struct MonitorView {
    id: String,
    name: String,
    kind: &'static str,
    target: String,
    status: &'static str,
    since: Option<When>,
    last_check: Option<When>,
    last_latency_ms: Option<u64>,
    last_error: Option<String>,
    uptime: Vec<Uptime>,
    chart: Chart,
}

fn days_before(now: Timestamp, days: u64) -> Timestamp {
    jiff::SignedDuration::try_from(DAY.saturating_mul(u32::try_from(days).unwrap_or(u32::MAX)))
        .ok()
        .and_then(|span| now.checked_sub(span).ok())
        .unwrap_or(Timestamp::MIN)
}

pub async fn page(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
) -> Response {
    let times = Times::of(&state);
    let engine = &state.engine;
    let stored: HashMap<String, _> = match engine.monitor_records().await {
        Ok(records) => records.into_iter().map(|r| (r.id.clone(), r)).collect(),
        Err(error) => return ui.failure(&user, &error),
    };
    let mut monitors = Vec::new();
    for monitor in &state.engine.config().monitors {
        let record = stored.get(&monitor.id);
        let mut uptimes = Vec::new();
        for (label, days) in WINDOWS {
            let from = days_before(times.now, days);
            // Uptime from the outages (raw checks are long pruned for the longer windows).
            let history = match engine.monitor_history(&monitor.id, from, times.now).await {
                Ok(history) => history,
                Err(error) => return ui.failure(&user, &error),
            };
            let measured = tocsin_core::uptime::measure(&history, from, times.now);
            match engine.check_counts(&monitor.id, from).await {
                Ok(counts) => uptimes.push(uptime(label, measured, counts.total)),
                Err(error) => return ui.failure(&user, &error),
            }
        }
        let since = days_before(times.now, 1);
        let buckets = match engine.latency_buckets(&monitor.id, since, SLICE).await {
            Ok(buckets) => buckets,
            Err(error) => return ui.failure(&user, &error),
        };
        let state = record.map(|record| &record.state);
        monitors.push(MonitorView {
            id: monitor.id.clone(),
            name: monitor.name.clone(),
            kind: monitor.kind.type_name(),
            target: target(&monitor.kind),
            // Monitors this build does not probe have no record: pending, as in the API.
            status: state.map_or("pending", |state| state.status.as_str()),
            since: times.when_opt(state.and_then(|state| state.since)),
            last_check: times.when_opt(state.and_then(|state| state.last_check_at)),
            last_latency_ms: state.and_then(|state| state.last_latency_ms),
            last_error: state.and_then(|state| state.last_error.clone()),
            uptime: uptimes,
            chart: chart(&buckets, since),
        });
    }
    ui.page(
        StatusCode::OK,
        &user,
        "monitors",
        "ui/monitors.html",
        context! { monitors => value(monitors), zone => times.zone_name() },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_never_rounds_a_failure_up_to_a_hundred_percent() {
        let measured = |monitored_ms, down_ms| Measured {
            monitored_ms,
            down_ms,
        };
        assert_eq!(uptime("24 h", measured(0, 0), 0).text, "—");
        assert_eq!(uptime("24 h", measured(86_400_000, 0), 4).text, "100%");
        // One second down in a day.
        assert_eq!(
            uptime("24 h", measured(86_400_000, 1_000), 2_880).text,
            "99.99%"
        );
        assert_eq!(
            uptime("24 h", measured(86_400_000, 21_600_000), 2_880).text,
            "75.00%"
        );
    }

    #[test]
    fn targets_show_no_credentials_or_query_strings() {
        let kind = MonitorKind::Statuspage {
            url: "https://user:pw@status.example.com/api/v2/status.json?token=x".to_owned(),
        };
        assert_eq!(
            target(&kind),
            "https://status.example.com/api/v2/status.json"
        );
    }

    #[test]
    fn the_chart_breaks_its_line_where_there_were_no_checks() {
        let since: Timestamp = "2026-11-26T00:00:00Z".parse().expect("time");
        let at = |minutes: i64| since + jiff::SignedDuration::from_mins(minutes);
        let bucket = |start, avg, failures| LatencyBucket {
            start,
            checks: 3,
            failures,
            avg_latency_ms: avg,
            max_latency_ms: avg * 2,
        };
        let drawn = chart(
            &[
                bucket(at(0), 100, 0),
                bucket(at(15), 200, 1),
                bucket(at(60), 50, 0),
            ],
            since,
        );
        assert_eq!(drawn.lines.len(), 2, "{:?}", drawn.lines);
        assert_eq!(drawn.failures, vec![4]);
        assert_eq!(drawn.peak_ms, 400);
        assert_eq!(drawn.checks, 9);
    }
}
