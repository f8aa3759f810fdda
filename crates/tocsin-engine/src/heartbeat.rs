//! Heartbeat monitors (Healthchecks conventions): a job pings `/ping/<key>`; silence past
//! `every + grace`, a failure ping, or a run started and not finished within `max_runtime`
//! makes the monitor go down and open its incident; the next success brings it back up.

use std::collections::HashMap;

use jiff::Timestamp;
use tocsin_config::{Config, Monitor, MonitorKind};
use tocsin_core::check::CheckOutcome;
use tocsin_core::format_duration;
use tocsin_core::inbound::heartbeat::Ping;
use tocsin_store::MonitorRecord;

use crate::probes::add;
use crate::work::failed;
use crate::{Engine, EngineError};

pub(crate) fn ping_keys(config: &Config) -> HashMap<String, String> {
    config
        .monitors
        .iter()
        .filter_map(|monitor| match &monitor.kind {
            MonitorKind::Heartbeat { key, .. } => {
                Some((key.expose().to_owned(), monitor.id.clone()))
            }
            _ => None,
        })
        .collect()
}

impl Engine {
    /// Records a ping. `Ok(false)` when no heartbeat monitor has this key.
    pub async fn ping(&self, key: &str, ping: Ping) -> Result<bool, EngineError> {
        let Some(monitor) = self
            .prober
            .ping_keys
            .get(key)
            .and_then(|id| self.config.monitor(id))
        else {
            return Ok(false);
        };
        let MonitorKind::Heartbeat {
            every,
            grace,
            max_runtime,
            ..
        } = &monitor.kind
        else {
            return Ok(false);
        };
        let _turn = self.prober.heartbeats.lock().await;
        let Some(record) = self.store.monitor(&monitor.id).await? else {
            return Ok(false);
        };
        let now = self.now();
        let deadline = add(now, *every + *grace);
        match ping {
            Ping::Start => {
                // A start changes no status; it only sets the run's deadline.
                let next = match max_runtime {
                    Some(limit) => add(now, *limit).min(record.next_check_at.max(now)),
                    None => record.next_check_at,
                };
                let check = tocsin_store::CheckCommit {
                    monitor_id: monitor.id.clone(),
                    at: now,
                    outcome: None,
                    state: record.state.clone(),
                    next_check_at: next,
                    run_started_at: Some(Some(now)),
                };
                let mut work = crate::work::Work::new(
                    tocsin_store::Item {
                        lookup: tocsin_store::Lookup::Nothing,
                        delivery: None,
                    },
                    None,
                );
                work.check = Some(check);
                self.decide_one(work).await?;
            }
            Ping::Success | Ping::Exit(0) => {
                let ok = CheckOutcome::up(None, 0);
                self.record_check(monitor, &record, now, ok, deadline, Some(None))
                    .await?;
            }
            Ping::Fail => {
                let outcome = failed("the job reported a failure".to_owned());
                self.record_check(monitor, &record, now, outcome, deadline, Some(None))
                    .await?;
            }
            Ping::Exit(status) => {
                let outcome = failed(format!("the job exited with status {status}"));
                self.record_check(monitor, &record, now, outcome, deadline, Some(None))
                    .await?;
            }
        }
        // The schedule wakes for the deadline the ping set (a `/start` may bring it closer).
        if let Some(stored) = self.store.monitor(&monitor.id).await? {
            self.prober
                .schedule
                .set_due(&monitor.id, stored.next_check_at);
        }
        Ok(true)
    }

    /// A heartbeat came due without its ping: the job is late, or a started run overran.
    pub(crate) async fn heartbeat_due(
        &self,
        monitor: &Monitor,
        claimed: MonitorRecord,
    ) -> Result<(), EngineError> {
        let MonitorKind::Heartbeat {
            every,
            grace,
            max_runtime,
            ..
        } = &monitor.kind
        else {
            return Ok(());
        };
        let _turn = self.prober.heartbeats.lock().await;
        // A ping may have arrived since the claim and moved the deadline.
        let record = self.store.monitor(&monitor.id).await?.unwrap_or(claimed);
        let now = self.now();
        if record.next_check_at > now {
            return Ok(());
        }
        let overran = match (record.run_started_at, max_runtime) {
            (Some(started), Some(limit)) if add(started, *limit) <= now => Some(started),
            _ => None,
        };
        let error = match overran {
            Some(started) => format!(
                "the run started at {} did not finish within {}",
                started.round(jiff::Unit::Second).unwrap_or(started),
                format_duration(max_runtime.unwrap_or_default())
            ),
            None => format!("no ping for {}", format_duration(*every + *grace)),
        };
        let last: Option<Timestamp> = record.state.last_check_at;
        tracing::warn!(monitor = %monitor.id, ?last, %error, "heartbeat missed");
        // Check again one period later; the next ping resolves it sooner.
        self.record_check(
            monitor,
            &record,
            now,
            failed(error),
            add(now, *every),
            overran.map(|_| None),
        )
        .await
    }
}
