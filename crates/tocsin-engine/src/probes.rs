//! Runs due probes: takes the monitors the in-memory schedule says are due, checks each at its
//! instant (within its host's limit), and records the result: a change of status commits its
//! decision at once, in one transaction; anything else joins the next batch write.

use std::time::Duration;

use futures_util::{StreamExt, stream};

use jiff::{SignedDuration, Timestamp};
use tocsin_config::{Monitor, MonitorKind};
use tocsin_core::check::CheckOutcome;
use tocsin_core::monitor::{Transition, observe};
use tocsin_core::signal::{Signal, SignalStatus};
use tocsin_store::{CheckCommit, Item, ItemOutcome, Lookup, MonitorRecord};

use crate::batch::CheckBatch;
use crate::hosts::HostLimits;
use crate::lag::ScheduleLag;
use crate::schedule::{Rescheduled, Schedule};
use crate::work::Work;

use crate::{Engine, EngineError};

/// Checks in flight at once in one `run_due` round; bounded so a burst of due monitors cannot
/// exhaust sockets (the production loop is bounded by `probe_slots`).
const CONCURRENCY: usize = 256;
/// A change of status whose commit failed is tried this many times before the check is left
/// unrecorded (the next check then finds the same change and commits it).
const COMMIT_ATTEMPTS: usize = 2;
/// A heartbeat whose deadline check failed on a store error is looked at again this soon.
const HEARTBEAT_RETRY: Duration = Duration::from_secs(5);

/// Whether the engine schedules this monitor: every kind is (probed, or for a heartbeat, checked
/// for silence).
pub(crate) fn is_probed(monitor: &Monitor) -> bool {
    matches!(
        monitor.kind,
        MonitorKind::Http(_)
            | MonitorKind::Tcp { .. }
            | MonitorKind::Dns { .. }
            | MonitorKind::Tls { .. }
            | MonitorKind::Postgres { .. }
            | MonitorKind::Statuspage { .. }
            | MonitorKind::Heartbeat { .. }
    )
}

pub(crate) fn add(at: Timestamp, duration: Duration) -> Timestamp {
    at.saturating_add(SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX))
        .unwrap_or(at)
}

/// `duration` before `at` (the earliest instant, for one too long).
pub(crate) fn before(at: Timestamp, duration: Duration) -> Timestamp {
    at.saturating_sub(SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX))
        .unwrap_or(at)
}

/// Checks in flight at once across all hosts.
const PROBE_SLOTS: usize = 1024;

/// The prober: what the probe round and the heartbeat checks hold, and nothing else does.
pub(crate) struct Prober {
    /// Probed monitors by next due instant, with their state (see `schedule.rs`).
    pub(crate) schedule: Schedule,
    /// Check results that changed nothing, waiting for the next batch write.
    pub(crate) checks: CheckBatch,
    pub(crate) hosts: HostLimits,
    /// Checks in flight at once, across hosts: bounds sockets on a burst.
    pub(crate) slots: tokio::sync::Semaphore,
    pub(crate) lag: ScheduleLag,
    pub(crate) probers: tocsin_probe::Probers,
    /// Heartbeat pings and silence checks of one monitor must not interleave; whoever holds it
    /// commits the pings queued in `pings`.
    pub(crate) heartbeats: tokio::sync::Mutex<()>,
    pub(crate) pings: crate::heartbeat::PingInbox,
}

impl Prober {
    pub(crate) fn new(config: &tocsin_config::Config) -> Self {
        Prober {
            schedule: Schedule::default(),
            checks: CheckBatch::default(),
            hosts: HostLimits::new(config.engine.probe_concurrency_per_host),
            slots: tokio::sync::Semaphore::new(PROBE_SLOTS),
            lag: ScheduleLag::default(),
            probers: tocsin_probe::Probers::new(),
            heartbeats: tokio::sync::Mutex::new(()),
            pings: crate::heartbeat::PingInbox::default(),
        }
    }
}

impl Engine {
    /// Checks every monitor due now and writes the batch of results: the test harness's step
    /// for probes (the production loop in `runtime.rs` does the same at each due instant). A
    /// batch the store refuses stays buffered; that is logged, never an error of the round.
    pub async fn probe_due(&self) -> Result<usize, EngineError> {
        let due = self.prober.schedule.take_due(self.now());
        let count = due.len();
        let mut checks = stream::iter(due)
            .map(|record| self.probe_scheduled(record))
            .buffer_unordered(CONCURRENCY);
        while checks.next().await.is_some() {}
        // Logged inside; the results stay buffered for the next flush.
        let _ = self.flush_checks().await;
        Ok(count)
    }

    /// Checks one monitor taken from the schedule and puts it back at its next instant.
    pub(crate) async fn probe_scheduled(&self, record: MonitorRecord) {
        let id = record.id.clone();
        let rescheduled = self.probe(record).await;
        self.prober.schedule.finish(&id, rescheduled);
    }

    /// Checks one due monitor and records what came of it; returns where it goes next. The
    /// check runs as the configuration in force when it started says, a reload meanwhile
    /// notwithstanding.
    pub(crate) async fn probe(&self, record: MonitorRecord) -> Rescheduled {
        let live = self.live();
        let Some(monitor) = live.monitor(&record.id).filter(|m| is_probed(m)) else {
            return Rescheduled {
                state: None,
                next: add(record.next_check_at, Duration::from_secs(3600)),
            };
        };
        if let MonitorKind::Heartbeat { .. } = monitor.kind {
            return self.heartbeat_scheduled(monitor, record).await;
        }
        let _slot = self.prober.slots.acquire().await.ok();
        let _turn = self.prober.hosts.turn(monitor).await;
        let at = self.now();
        let lag_ms = self.prober.lag.record(record.next_check_at, at);
        tracing::trace!(monitor = %monitor.id, lag_ms, "check started");
        let outcome = match monitor.to_check() {
            Some(check) => tocsin_probe::run(&self.prober.probers, &check, at).await,
            None => crate::work::failed("this monitor kind is not probed".into()),
        };
        self.record_probe(monitor, &record, at, outcome).await
    }

    /// Records a probe's result. A change of status commits at once (retried on a store
    /// error); any other result joins the batch. Returns the monitor's state and next instant.
    async fn record_probe(
        &self,
        monitor: &Monitor,
        record: &MonitorRecord,
        at: Timestamp,
        outcome: CheckOutcome,
    ) -> Rescheduled {
        let (state, transition) = observe(&record.state, &outcome, monitor.confirm, at);
        let transition = self.gate_for_maintenance(monitor, &record.state, &state, at, transition);
        // Keep the rhythm from the scheduled instant, sooner while confirming a failure.
        let next = tocsin_core::schedule::next_check(
            record.next_check_at,
            at,
            monitor.interval,
            monitor.retry_interval,
            &state,
        );
        let check = CheckCommit {
            monitor_id: monitor.id.clone(),
            at,
            outcome: Some(outcome),
            state: state.clone(),
            next_check_at: next,
            run_started_at: None,
        };
        let Some(transition) = transition else {
            self.prober.checks.push(check);
            return Rescheduled {
                state: Some(state),
                next,
            };
        };
        for attempt in 1..=COMMIT_ATTEMPTS {
            match self
                .commit_check(monitor, check.clone(), Some(transition.clone()))
                .await
            {
                Ok(()) => {
                    return Rescheduled {
                        state: Some(state),
                        next,
                    };
                }
                Err(error) => {
                    tracing::error!(monitor = %monitor.id, %error, attempt, "committing a change of status failed");
                }
            }
        }
        // Unrecorded: the monitor keeps its old state, so its next check makes the same change.
        Rescheduled { state: None, next }
    }

    /// A heartbeat's deadline came: check it against the store, then follow its deadline there.
    async fn heartbeat_scheduled(&self, monitor: &Monitor, record: MonitorRecord) -> Rescheduled {
        let id = record.id.clone();
        if let Err(error) = self.heartbeat_due(monitor, record).await {
            tracing::error!(monitor = %id, %error, "checking a heartbeat's deadline failed; trying again soon");
            return Rescheduled {
                state: None,
                next: add(self.now(), HEARTBEAT_RETRY),
            };
        }
        match self.store.monitor(&id).await {
            Ok(Some(stored)) => Rescheduled {
                state: None,
                next: stored.next_check_at,
            },
            _ => Rescheduled {
                state: None,
                next: add(self.now(), HEARTBEAT_RETRY),
            },
        }
    }

    /// The check a result makes of the monitor's state, and the change of status it causes (none
    /// while a maintenance window holds the monitor).
    pub(crate) fn fold_check(
        &self,
        monitor: &Monitor,
        record: &MonitorRecord,
        at: Timestamp,
        outcome: CheckOutcome,
        next_check_at: Timestamp,
        run_started_at: Option<Option<Timestamp>>,
    ) -> (CheckCommit, Option<Transition>) {
        let (state, transition) = observe(&record.state, &outcome, monitor.confirm, at);
        let transition = self.gate_for_maintenance(monitor, &record.state, &state, at, transition);
        let check = CheckCommit {
            monitor_id: monitor.id.clone(),
            at,
            outcome: Some(outcome),
            state,
            next_check_at,
            run_started_at,
        };
        (check, transition)
    }

    /// Commits a check with whatever incident change its transition causes, in one transaction.
    pub(crate) async fn commit_check(
        &self,
        monitor: &Monitor,
        check: CheckCommit,
        transition: Option<Transition>,
    ) -> Result<(), EngineError> {
        let work = check_work(monitor, check.clone(), transition);
        match self.decide_one(work).await? {
            ItemOutcome::Done(Some(incident)) => {
                tracing::info!(monitor = %monitor.id, incident = %incident.id, state = incident.state.as_str(), "monitor changed an incident");
            }
            ItemOutcome::Refused(refusal) => {
                // The check itself must still be recorded, or the monitor would stay claimed.
                tracing::error!(monitor = %monitor.id, %refusal, "monitor signal refused");
                self.decide_one(check_work(monitor, check, None)).await?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// The work that commits a check, with the signal its change of status sends (if any) deciding
/// on the monitor's incident in the same transaction.
pub(crate) fn check_work(
    monitor: &Monitor,
    check: CheckCommit,
    transition: Option<Transition>,
) -> Work {
    let mut work = match transition {
        Some(transition) => Work::for_signal(monitor_signal(monitor, transition)),
        None => Work::new(
            Item {
                lookup: Lookup::Nothing,
                delivery: None,
            },
            None,
        ),
    };
    work.check = Some(check);
    work
}

/// The signal a monitor's change of status sends.
fn monitor_signal(monitor: &Monitor, transition: Transition) -> Signal {
    let (status, occurred_at, summary) = match transition {
        Transition::Down { since, error } => (SignalStatus::Firing, since, Some(error)),
        Transition::Up { since, .. } => (
            SignalStatus::Resolved,
            since,
            Some("answering again".to_owned()),
        ),
    };
    Signal {
        source: format!("monitor:{}", monitor.id),
        dedup_key: format!("monitor:{}", monitor.id),
        status,
        severity: Some(monitor.severity.clone()),
        title: format!("{} is down", monitor.name),
        summary,
        category: monitor.category.clone(),
        component: monitor.component.clone(),
        runbook: monitor.runbook.clone(),
        occurred_at,
        details: serde_json::json!({ "monitor": monitor.id }),
        // A monitor's own labels: its id, category and component, for routes and silences.
        labels: tocsin_core::labels::Labels::bounded(
            [
                Some(("monitor", monitor.id.as_str())),
                monitor.category.as_deref().map(|c| ("category", c)),
                monitor.component.as_deref().map(|c| ("component", c)),
            ]
            .into_iter()
            .flatten(),
        ),
    }
}
