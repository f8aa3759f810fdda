//! `GET /metrics`: tocsin's own health in the Prometheus text format (version 0.0.4), open like
//! `/healthz` so a scraper needs no session. Only counts, ages and configured ids appear as
//! labels (integrations, channels, monitors): never incident titles, URLs or secrets.
//!
//! Written by hand rather than through a metrics crate: the format is a few lines per family,
//! counters live in the engine (no global registry) and gauges are read from the store at
//! scrape time, so a registry would only be a copy to keep in step. Names are documented in
//! docs/operations.md.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use tocsin_core::monitor::MonitorStatus;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// One metric family being written: its `# HELP` and `# TYPE` lines, then samples.
struct Family<'a> {
    out: &'a mut String,
}

fn family<'a>(out: &'a mut String, name: &str, kind: &str, help: &str) -> Family<'a> {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    Family { out }
}

impl Family<'_> {
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (at, (key, label)) in labels.iter().enumerate() {
                if at > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{key}=\"{}\"", escape_label(label));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Seconds from `then` to `now` (0 when `then` is in the future), with millisecond precision.
fn age_seconds(now: Timestamp, then: Timestamp) -> f64 {
    let millis = now
        .as_millisecond()
        .saturating_sub(then.as_millisecond())
        .max(0);
    // Exact for any age below 2^53 ms (285,000 years).
    #[allow(clippy::cast_precision_loss, reason = "see above")]
    let seconds = millis as f64 / 1000.0;
    seconds
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "service",
    security(()),
    responses(
        (status = 200, description = "The metric families listed in docs/operations.md", content_type = "text/plain; version=0.0.4", body = String),
        (status = 503, description = "The store does not answer", content_type = "text/plain", body = String),
    )
)]
async fn metrics(State(state): State<AppState>) -> Response {
    let engine = &state.engine;
    let now = engine.now();
    let (gauges, monitors) = match (engine.ops_gauges(now).await, engine.monitor_records().await) {
        (Ok(gauges), Ok(monitors)) => (gauges, monitors),
        (Err(error), _) | (_, Err(error)) => {
            tracing::error!(%error, "/metrics: the store does not answer");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the database does not answer\n",
            )
                .into_response();
        }
    };
    let counters = engine.counters().snapshot();
    let mut out = String::new();

    let mut f = family(
        &mut out,
        "tocsin_signals_accepted_total",
        "counter",
        "Signals committed from each integration since start.",
    );
    for (integration, n) in &counters.signals_accepted {
        f.sample(
            "tocsin_signals_accepted_total",
            &[("integration", integration)],
            n,
        );
    }
    let mut f = family(
        &mut out,
        "tocsin_signals_rejected_total",
        "counter",
        "Inbound requests of each integration refused (authentication, parsing, rate limit) since start.",
    );
    for (integration, n) in &counters.signals_rejected {
        f.sample(
            "tocsin_signals_rejected_total",
            &[("integration", integration)],
            n,
        );
    }
    let mut f = family(
        &mut out,
        "tocsin_deliveries_total",
        "counter",
        "Delivery attempts per channel since start, by result: sent, retried (will try again), failed (for good).",
    );
    for ((channel, result), n) in &counters.deliveries {
        f.sample(
            "tocsin_deliveries_total",
            &[("channel", channel), ("result", result)],
            n,
        );
    }
    let mut f = family(
        &mut out,
        "tocsin_incidents",
        "gauge",
        "Incidents in the database, by state.",
    );
    for state in ["triggered", "acknowledged", "resolved"] {
        let n = gauges
            .incidents_by_state
            .iter()
            .find(|(name, _)| name == state)
            .map_or(0, |(_, n)| *n);
        f.sample("tocsin_incidents", &[("state", state)], n);
    }
    let mut f = family(
        &mut out,
        "tocsin_outbox_pending",
        "gauge",
        "Messages waiting in the outbox, per channel.",
    );
    for channel in &gauges.outbox_pending {
        f.sample(
            "tocsin_outbox_pending",
            &[("channel", &channel.channel)],
            channel.pending,
        );
    }
    let mut f = family(
        &mut out,
        "tocsin_outbox_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest message waiting in the outbox, per channel.",
    );
    for channel in &gauges.outbox_pending {
        f.sample(
            "tocsin_outbox_oldest_pending_age_seconds",
            &[("channel", &channel.channel)],
            age_seconds(now, channel.oldest_queued_at),
        );
    }
    family(
        &mut out,
        "tocsin_timers_due",
        "gauge",
        "Response and escalation timers already due and not yet fired.",
    )
    .sample("tocsin_timers_due", &[], gauges.timers_due);
    let mut f = family(&mut out, "tocsin_monitors", "gauge", "Monitors by status.");
    for status in [
        MonitorStatus::Pending,
        MonitorStatus::Up,
        MonitorStatus::Degraded,
        MonitorStatus::Down,
    ] {
        let n = monitors.iter().filter(|m| m.state.status == status).count();
        f.sample("tocsin_monitors", &[("status", status.as_str())], n);
    }
    let mut f = family(
        &mut out,
        "tocsin_monitor_up",
        "gauge",
        "1 when the monitor's last checks passed, 0 when it is down (absent until first checked).",
    );
    for monitor in &monitors {
        match monitor.state.status {
            // Degraded still answers: up for alerting, its own status in `tocsin_monitors`.
            MonitorStatus::Up | MonitorStatus::Degraded => {
                f.sample("tocsin_monitor_up", &[("monitor", &monitor.id)], 1);
            }
            MonitorStatus::Down => f.sample("tocsin_monitor_up", &[("monitor", &monitor.id)], 0),
            MonitorStatus::Pending => {}
        }
    }
    let mut f = family(
        &mut out,
        "tocsin_monitor_latency_seconds",
        "gauge",
        "How long the monitor's last check took.",
    );
    for monitor in &monitors {
        if let Some(latency) = monitor.state.last_latency_ms {
            #[allow(
                clippy::cast_precision_loss,
                reason = "latencies are far below 2^53 ms"
            )]
            let seconds = latency as f64 / 1000.0;
            f.sample(
                "tocsin_monitor_latency_seconds",
                &[("monitor", &monitor.id)],
                seconds,
            );
        }
    }
    let mut f = family(
        &mut out,
        "tocsin_probe_lag_seconds",
        "gauge",
        "How far past its scheduled time the monitor's next check is (0 when on time).",
    );
    for monitor in &monitors {
        // The in-memory schedule is the truth; the stored time trails it by a batch write.
        let next = engine
            .next_check_at(&monitor.id)
            .unwrap_or(monitor.next_check_at);
        f.sample(
            "tocsin_probe_lag_seconds",
            &[("monitor", &monitor.id)],
            age_seconds(now, next),
        );
    }
    let lag = engine.schedule_lag();
    let mut f = family(
        &mut out,
        "tocsin_probe_start_lag_seconds",
        "histogram",
        "How late each check started after its scheduled instant, since start.",
    );
    let mut cumulative = 0;
    for (bound, count) in lag.bounds_ms.iter().zip(&lag.counts) {
        cumulative += count;
        #[expect(clippy::cast_precision_loss, reason = "bucket bounds are small")]
        let le = (*bound as f64 / 1000.0).to_string();
        f.sample(
            "tocsin_probe_start_lag_seconds_bucket",
            &[("le", &le)],
            cumulative,
        );
    }
    f.sample(
        "tocsin_probe_start_lag_seconds_bucket",
        &[("le", "+Inf")],
        lag.count,
    );
    #[expect(
        clippy::cast_precision_loss,
        reason = "a sum of milliseconds fits an f64"
    )]
    let sum = lag.sum_ms as f64 / 1000.0;
    f.sample("tocsin_probe_start_lag_seconds_sum", &[], sum);
    f.sample("tocsin_probe_start_lag_seconds_count", &[], lag.count);
    let mut f = family(
        &mut out,
        "tocsin_watchdog_pings_total",
        "counter",
        "Pings of the [watchdog] URL since start, by result.",
    );
    if engine.config().watchdog.is_some() {
        f.sample(
            "tocsin_watchdog_pings_total",
            &[("result", "ok")],
            counters.watchdog_ok,
        );
        f.sample(
            "tocsin_watchdog_pings_total",
            &[("result", "failed")],
            counters.watchdog_failed,
        );
    }
    let mut f = family(
        &mut out,
        "tocsin_watchdog_last_ok_timestamp_seconds",
        "gauge",
        "When the [watchdog] URL last answered 2xx (Unix time).",
    );
    if let Some(at) = counters.watchdog_last_ok {
        f.sample(
            "tocsin_watchdog_last_ok_timestamp_seconds",
            &[],
            at.as_second(),
        );
    }

    // The latest drill whose outcome is final: an alert on `tocsin_drill_passed == 0`, or on the
    // timestamp growing older than a month and a bit, catches a chain that rotted unnoticed.
    let last_drill = match engine.drills(20).await {
        Ok(drills) => drills.into_iter().find(|drill| drill.finished_at.is_some()),
        Err(error) => {
            tracing::error!(%error, "/metrics: cannot read the drills");
            None
        }
    };
    let mut f = family(
        &mut out,
        "tocsin_drill_passed",
        "gauge",
        "1 when the latest finished drill passed, 0 when it failed (absent before the first).",
    );
    if let Some(drill) = &last_drill {
        let passed = u8::from(drill.status == tocsin_core::drill::DrillStatus::Passed);
        f.sample("tocsin_drill_passed", &[], passed);
    }
    let mut f = family(
        &mut out,
        "tocsin_drill_last_finished_timestamp_seconds",
        "gauge",
        "When the latest drill's outcome became final (Unix time).",
    );
    if let Some(at) = last_drill.as_ref().and_then(|drill| drill.finished_at) {
        f.sample(
            "tocsin_drill_last_finished_timestamp_seconds",
            &[],
            at.as_second(),
        );
    }

    // Named as Prometheus and Alertmanager name theirs, so the same alert rule covers all three.
    let reload = engine.reload_status();
    let mut f = family(
        &mut out,
        "tocsin_config_last_reload_successful",
        "gauge",
        "1 when the last configuration reload succeeded (or none was tried since start), 0 when it was refused.",
    );
    f.sample(
        "tocsin_config_last_reload_successful",
        &[],
        u8::from(reload.last_successful),
    );
    let mut f = family(
        &mut out,
        "tocsin_config_last_reload_success_timestamp_seconds",
        "gauge",
        "When the configuration in force was put in force: start-up or the last successful reload (Unix time).",
    );
    f.sample(
        "tocsin_config_last_reload_success_timestamp_seconds",
        &[],
        reload.last_success_at.as_second(),
    );
    build_and_process(&mut out, &crate::process_metrics::read());

    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// `tocsin_build_info` and the `process_*` families, under the names every Prometheus client
/// library uses so the usual dashboards work unchanged.
fn build_and_process(out: &mut String, process: &crate::process_metrics::Process) {
    family(
        out,
        "tocsin_build_info",
        "gauge",
        "Always 1; the labels say which build is running.",
    )
    .sample(
        "tocsin_build_info",
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            ("os", std::env::consts::OS),
            ("arch", std::env::consts::ARCH),
        ],
        1,
    );
    let families: [(&str, &str, &str, Option<String>); 6] = [
        (
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            process.resident_memory_bytes.map(|v| v.to_string()),
        ),
        (
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes.",
            process.virtual_memory_bytes.map(|v| v.to_string()),
        ),
        (
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            process.cpu_seconds_total.map(|v| v.to_string()),
        ),
        (
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            process.open_fds.map(|v| v.to_string()),
        ),
        (
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
            process.max_fds.map(|v| v.to_string()),
        ),
        (
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            process.start_time_seconds.map(|v| v.to_string()),
        ),
    ];
    for (name, kind, help, value) in families {
        if let Some(value) = value {
            family(out, name, kind, help).sample(name, &[], value);
        }
    }
}
