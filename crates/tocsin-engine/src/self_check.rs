//! Self-monitoring (`[self_monitoring]`): a periodic check of tocsin's own health that opens an
//! incident through the normal path — the same decision, timeline and paging as any alert — when
//! the outbox holds a message too long, a probe lags its schedule, or the database's disk is
//! nearly full, and resolves it when the condition clears. Each condition is its own alert
//! (`tocsin:self:<check>`), so they open, join and clear independently.

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;
use tocsin_core::signal::{Signal, SignalStatus};
use tocsin_store::OpsGauges;

use crate::{Engine, EngineError};

/// Watching the watcher: what the self-check round and the watchdog's pings hold.
#[derive(Debug)]
pub(crate) struct SelfMonitoring {
    /// What each self-check last reported.
    pub(crate) checks: SelfChecks,
    /// The watchdog's client: the senders' (the operator's proxy, no redirects).
    pub(crate) watchdog_client: reqwest::Client,
}

impl SelfMonitoring {
    pub(crate) fn new(watchdog_client: reqwest::Client) -> Self {
        SelfMonitoring {
            checks: SelfChecks::default(),
            watchdog_client,
        }
    }
}

/// What each check last reported, to send a signal only when it changes. Unknown after a start:
/// the first round reports every check once, so an incident left open by the previous run
/// resolves if its condition cleared meanwhile.
#[derive(Debug, Default)]
pub(crate) struct SelfChecks {
    last: std::sync::Mutex<HashMap<&'static str, bool>>,
}

const MIB: u64 = 1024 * 1024;

/// Free space for unprivileged writers on the file system holding `file`, in MiB.
fn free_mib(file: &Path) -> Option<u64> {
    let dir = file.parent().filter(|dir| !dir.as_os_str().is_empty())?;
    let stats = rustix::fs::statvfs(dir).ok()?;
    Some(stats.f_bavail.saturating_mul(stats.f_frsize) / MIB)
}

fn seconds(duration: std::time::Duration) -> String {
    tocsin_core::format_duration(duration)
}

/// Each check and, when it is failing, what is wrong (in words for the incident's summary).
fn findings(
    settings: &tocsin_config::SelfMonitoring,
    now: Timestamp,
    gauges: &OpsGauges,
    monitors: &[tocsin_store::MonitorRecord],
) -> [(&'static str, &'static str, Option<String>); 3] {
    let limit = jiff::SignedDuration::try_from(settings.outbox_age).unwrap_or_default();
    let stuck: Vec<&str> = gauges
        .outbox_pending
        .iter()
        .filter(|channel| now.duration_since(channel.oldest_queued_at) > limit)
        .map(|channel| channel.channel.as_str())
        .collect();
    let outbox = (!stuck.is_empty()).then(|| {
        format!(
            "a message has waited over {} in the outbox for: {}",
            seconds(settings.outbox_age),
            stuck.join(", ")
        )
    });
    let lag_limit = jiff::SignedDuration::try_from(settings.probe_lag).unwrap_or_default();
    let lagging: Vec<&str> = monitors
        .iter()
        .filter(|monitor| now.duration_since(monitor.next_check_at) > lag_limit)
        .map(|monitor| monitor.id.as_str())
        .collect();
    let probes = (!lagging.is_empty()).then(|| {
        format!(
            "checks are over {} late for: {}",
            seconds(settings.probe_lag),
            lagging.join(", ")
        )
    });
    let disk = match (settings.disk_free_below_mb, &gauges.database_file) {
        (0, _) | (_, None) => None,
        (below, Some(file)) => free_mib(file)
            .filter(|free| *free < below)
            .map(|free| format!("{free} MiB free beside the database (alert below {below} MiB)")),
    };
    [
        ("outbox", "tocsin: pages are stuck in the outbox", outbox),
        ("probe-lag", "tocsin: probes are behind schedule", probes),
        ("disk", "tocsin: the database's disk is nearly full", disk),
    ]
}

impl Engine {
    /// Answers when the database does (for `/healthz`).
    pub async fn ping_database(&self) -> Result<(), EngineError> {
        Ok(self.store.ping().await?)
    }

    /// One round of self-checks; returns how many alerts changed (opened or cleared).
    pub async fn self_check_round(&self) -> Result<usize, EngineError> {
        let Some(settings) = &self.config().self_monitoring else {
            return Ok(0);
        };
        let now = self.now();
        let gauges = self.store.ops_gauges(now).await?;
        let monitors = self.store.monitors().await?;
        let mut changed = 0;
        for (check, title, problem) in findings(settings, now, &gauges, &monitors) {
            let failing = problem.is_some();
            let last = self
                .self_monitoring
                .checks
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(check)
                .copied();
            if last == Some(failing) {
                continue;
            }
            if failing {
                tracing::warn!(
                    check,
                    problem = problem.as_deref().unwrap_or(""),
                    "self-check failing"
                );
            }
            let signal = Signal {
                source: "tocsin".to_owned(),
                dedup_key: format!("tocsin:self:{check}"),
                status: if failing {
                    SignalStatus::Firing
                } else {
                    SignalStatus::Resolved
                },
                severity: Some(settings.severity.clone()),
                title: title.to_owned(),
                summary: Some(problem.unwrap_or_else(|| "cleared".to_owned())),
                category: None,
                component: None,
                runbook: None,
                occurred_at: now,
                details: serde_json::json!({ "self_check": check }),
                labels: Default::default(),
            };
            self.ingest(signal).await?;
            self.self_monitoring
                .checks
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(check, failing);
            // The first report of a healthy check changes nothing a person would notice.
            if failing || last.is_some() {
                changed += 1;
            }
        }
        Ok(changed)
    }
}
