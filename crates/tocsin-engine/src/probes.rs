//! Runs due probes: claims monitors whose check is due, checks them concurrently, and commits
//! each result with the monitor's new state and whatever incident change it causes.

use std::time::Duration;

use futures_util::{StreamExt, stream};

use jiff::{SignedDuration, Timestamp};
use tocsin_config::{Monitor, MonitorKind};
use tocsin_core::check::CheckOutcome;
use tocsin_core::decide::Input;
use tocsin_core::monitor::{Transition, observe};
use tocsin_core::signal::{Signal, SignalStatus};
use tocsin_store::{CheckCommit, Item, ItemOutcome, Lookup, MonitorRecord};

use crate::work::Work;

use crate::{Engine, EngineError};

/// Claimed at most this many at once; the rest wait for the next round.
const BATCH: u32 = 500;
/// Checks in flight at once; bounded so a burst of due monitors cannot exhaust sockets.
const CONCURRENCY: usize = 256;

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

impl Engine {
    /// Claims every due monitor and checks them all, returning once each result is committed.
    pub(crate) async fn probe_round(&self) -> Result<usize, EngineError> {
        let claimed = self.claim_due_monitors().await?;
        let count = claimed.len();
        let mut checks = stream::iter(claimed)
            .map(|record| self.probe(record))
            .buffer_unordered(CONCURRENCY);
        while let Some(result) = checks.next().await {
            result?;
        }
        Ok(count)
    }

    pub(crate) async fn claim_due_monitors(&self) -> Result<Vec<MonitorRecord>, EngineError> {
        let now = self.now();
        // The lease outlives the longest check, so no other worker takes a monitor mid-check.
        let longest = self
            .config
            .monitors
            .iter()
            .map(|m| m.timeout)
            .max()
            .unwrap_or_default();
        let lease_until = add(now, longest + Duration::from_secs(30));
        Ok(self
            .store
            .claim_due_monitors(now, lease_until, BATCH)
            .await?)
    }

    /// Checks one claimed monitor and commits what came of it.
    pub(crate) async fn probe(&self, record: MonitorRecord) -> Result<(), EngineError> {
        let Some(monitor) = self.config.monitor(&record.id).filter(|m| is_probed(m)) else {
            return Ok(());
        };
        if let MonitorKind::Heartbeat { .. } = monitor.kind {
            return self.heartbeat_due(monitor, record).await;
        }
        let at = self.now();
        let outcome = match monitor.to_check() {
            Some(check) => tocsin_probe::run(&self.probers, &check, at).await,
            None => crate::work::failed("this monitor kind is not probed".into()),
        };
        // Keep the rhythm: the next check is one interval after the scheduled one, unless the
        // engine fell behind by more than that, in which case it starts again from now.
        let mut next_check_at = add(record.next_check_at, monitor.interval);
        if next_check_at <= at {
            next_check_at = add(at, monitor.interval);
        }
        self.record_check(monitor, &record, at, outcome, next_check_at, None)
            .await
    }

    /// Folds a check into the monitor's state and commits it with whatever incident change the
    /// state change causes, in one transaction.
    pub(crate) async fn record_check(
        &self,
        monitor: &Monitor,
        record: &MonitorRecord,
        at: Timestamp,
        outcome: CheckOutcome,
        next_check_at: Timestamp,
        run_started_at: Option<Option<Timestamp>>,
    ) -> Result<(), EngineError> {
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
        let signal = transition.map(|transition| monitor_signal(monitor, transition));
        let mut work = match &signal {
            Some(signal) => Work::new(
                Item {
                    lookup: Lookup::Key {
                        dedup_key: signal.dedup_key.clone(),
                        group: None,
                    },
                    delivery: None,
                },
                Some(Input::Signal(signal.clone())),
            ),
            None => Work::new(
                Item {
                    lookup: Lookup::Nothing,
                    delivery: None,
                },
                None,
            ),
        };
        work.signal = signal;
        work.check = Some(check.clone());
        match self.decide_one(work).await? {
            ItemOutcome::Done(Some(incident)) => {
                tracing::info!(monitor = %monitor.id, incident = %incident.id, state = incident.state.as_str(), "monitor changed an incident");
            }
            ItemOutcome::Refused(refusal) => {
                // The check itself must still be recorded, or the monitor would stay claimed.
                tracing::error!(monitor = %monitor.id, %refusal, "monitor signal refused");
                let mut work = Work::new(
                    Item {
                        lookup: Lookup::Nothing,
                        delivery: None,
                    },
                    None,
                );
                work.check = Some(check);
                self.decide_one(work).await?;
            }
            _ => {}
        }
        Ok(())
    }
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
    }
}
