//! Heartbeat monitors (Healthchecks conventions): a job pings `/ping/<key>`; silence past
//! `every + grace`, a failure ping, or a run started and not finished within `max_runtime`
//! makes the monitor go down and open its incident; the next success brings it back up. Pings
//! are committed in groups: a burst costs one transaction, and a monitor's pings in one group fold
//! into one check unless one of them changes its status.

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::Timestamp;
use tocsin_config::{Config, Monitor, MonitorKind};
use tocsin_core::check::CheckOutcome;
use tocsin_core::format_duration;
use tocsin_core::inbound::heartbeat::Ping;
use tocsin_core::monitor::Transition;
use tocsin_store::{CheckCommit, ItemOutcome, MonitorRecord};
use tokio::sync::oneshot;

use crate::probes::{add, check_work};
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

/// A ping waiting for the next heartbeat commit; its caller waits for the answer.
#[derive(Debug)]
pub(crate) struct PendingPing {
    monitor_id: String,
    ping: Ping,
    at: Timestamp,
    reply: oneshot::Sender<Result<bool, EngineError>>,
}

/// Pings waiting for the next commit. The committer (`committer.rs`), or without it whoever
/// holds the heartbeat turn, commits everything queued so far in one transaction and answers
/// every waiter, so a burst of pings costs one commit, not one each; pings of one monitor in the
/// same commit fold into one check.
#[derive(Debug, Default)]
pub(crate) struct PingInbox {
    waiting: Mutex<Vec<PendingPing>>,
}

impl PingInbox {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PendingPing>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Engine {
    /// Records a ping; returns after it is on disk. `Ok(false)` when no heartbeat monitor has
    /// this key.
    pub async fn ping(&self, key: &str, ping: Ping) -> Result<bool, EngineError> {
        let Some(monitor_id) = self.live().ping_keys.get(key).cloned() else {
            return Ok(false);
        };
        let (reply, mut answer) = oneshot::channel();
        let delegated = {
            let mut waiting = self.prober.pings.lock();
            waiting.push(PendingPing {
                monitor_id,
                ping,
                at: self.now(),
                reply,
            });
            self.committer.running()
        };
        if delegated {
            self.committer.wake();
        } else {
            let _turn = self.prober.heartbeats.lock().await;
            // Committed by the previous holder of the turn while we waited: nothing to lead.
            if let Ok(result) = answer.try_recv() {
                return result;
            }
            let batch = self.take_pings();
            self.commit_pings(batch).await;
        }
        answer
            .await
            .map_err(|_| EngineError::Unavailable("the ping's commit was abandoned".into()))?
    }

    /// Every ping queued so far.
    pub(crate) fn take_pings(&self) -> Vec<PendingPing> {
        std::mem::take(&mut *self.prober.pings.lock())
    }

    /// Commits a group of pings for the committer, holding the heartbeat turn as a leading
    /// request would (silence checks take it too).
    pub(crate) async fn commit_ping_group(&self, pings: Vec<PendingPing>) {
        let _turn = self.prober.heartbeats.lock().await;
        self.commit_pings(pings).await;
    }

    /// Folds each monitor's queued pings into its state, in arrival order, and commits them all in
    /// one transaction: a change of status keeps its own check (with the incident it opens or
    /// resolves); pings that change nothing coalesce into the monitor's last check.
    async fn commit_pings(&self, batch: Vec<PendingPing>) {
        let mut by_monitor: Vec<(String, Vec<PendingPing>)> = Vec::new();
        for pending in batch {
            match by_monitor
                .iter_mut()
                .find(|(id, _)| *id == pending.monitor_id)
            {
                Some((_, pings)) => pings.push(pending),
                None => by_monitor.push((pending.monitor_id.clone(), vec![pending])),
            }
        }
        let live = self.live();
        let mut works = Vec::new();
        let mut replies = Vec::new();
        let mut deadlines = Vec::new();
        // Every pinged monitor's stored state, in one read; without it no ping can be folded.
        let ids: Vec<String> = by_monitor.iter().map(|(id, _)| id.clone()).collect();
        let mut records: HashMap<String, MonitorRecord> =
            match self.store.monitors_by_id(&ids).await {
                Ok(records) => records
                    .into_iter()
                    .map(|record| (record.id.clone(), record))
                    .collect(),
                Err(error) => {
                    let error = EngineError::from(error).to_string();
                    for (_, pings) in by_monitor {
                        for pending in pings {
                            let _ = pending
                                .reply
                                .send(Err(EngineError::Unavailable(error.clone())));
                        }
                    }
                    return;
                }
            };
        for (monitor_id, pings) in by_monitor {
            let found = live.monitor(&monitor_id).zip(records.remove(&monitor_id));
            let Some((monitor, mut record)) = found else {
                for pending in pings {
                    let _ = pending.reply.send(Ok(false));
                }
                continue;
            };
            let mut unchanged = None;
            for pending in pings {
                let Some((check, transition)) =
                    self.ping_check(monitor, &record, pending.ping, pending.at)
                else {
                    let _ = pending.reply.send(Ok(false));
                    continue;
                };
                record.state = check.state.clone();
                record.next_check_at = check.next_check_at;
                if let Some(started) = check.run_started_at {
                    record.run_started_at = started;
                }
                replies.push(pending.reply);
                match transition {
                    Some(transition) => {
                        unchanged = None;
                        works.push(check_work(monitor, check, Some(transition)));
                    }
                    None => unchanged = Some(check),
                }
            }
            if let Some(check) = unchanged {
                works.push(check_work(monitor, check, None));
            }
            deadlines.push((monitor, record.next_check_at));
        }
        let result = self.commit_ping_works(works).await;
        for reply in replies {
            let _ = reply.send(match &result {
                Ok(()) => Ok(true),
                Err(error) => Err(EngineError::Unavailable(error.to_string())),
            });
        }
        if result.is_ok() {
            // The schedule wakes for the deadline the pings set (a `/start` may bring it closer).
            for (monitor, due) in deadlines {
                self.prober.schedule.set_due(&monitor.id, due);
            }
        }
    }

    /// Commits the pings' checks in one transaction. A change of status whose signal the core
    /// refuses still records its check (in a second transaction), or the deadline would not move.
    async fn commit_ping_works(&self, works: Vec<crate::work::Work>) -> Result<(), EngineError> {
        if works.is_empty() {
            return Ok(());
        }
        let checks: Vec<_> = works.iter().map(|work| work.check.clone()).collect();
        let outcomes = self.decide_all(works).await?;
        let live = self.live();
        let mut refused = Vec::new();
        for (outcome, check) in outcomes.into_iter().zip(checks) {
            if let (ItemOutcome::Refused(refusal), Some(check)) = (outcome, check) {
                tracing::error!(monitor = %check.monitor_id, %refusal, "heartbeat signal refused");
                if let Some(monitor) = live.monitor(&check.monitor_id) {
                    refused.push(check_work(monitor, check, None));
                }
            }
        }
        if !refused.is_empty() {
            self.decide_all(refused).await?;
        }
        Ok(())
    }

    /// The check one ping makes of the monitor's state as it stands after the pings before it;
    /// `None` when the monitor is not a heartbeat.
    fn ping_check(
        &self,
        monitor: &Monitor,
        record: &MonitorRecord,
        ping: Ping,
        now: Timestamp,
    ) -> Option<(CheckCommit, Option<Transition>)> {
        let MonitorKind::Heartbeat {
            every,
            grace,
            max_runtime,
            ..
        } = &monitor.kind
        else {
            return None;
        };
        let deadline = add(now, *every + *grace);
        let outcome = match ping {
            Ping::Start => {
                // A start changes no status; it only sets the run's deadline.
                let next = match max_runtime {
                    Some(limit) => add(now, *limit).min(record.next_check_at.max(now)),
                    None => record.next_check_at,
                };
                let check = CheckCommit {
                    monitor_id: monitor.id.clone(),
                    at: now,
                    outcome: None,
                    state: record.state.clone(),
                    next_check_at: next,
                    run_started_at: Some(Some(now)),
                };
                return Some((check, None));
            }
            Ping::Success | Ping::Exit(0) => CheckOutcome::up(None, 0),
            Ping::Fail => failed("the job reported a failure".to_owned()),
            Ping::Exit(status) => failed(format!("the job exited with status {status}")),
        };
        Some(self.fold_check(monitor, record, now, outcome, deadline, Some(None)))
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
        let (check, transition) = self.fold_check(
            monitor,
            &record,
            now,
            failed(error),
            add(now, *every),
            overran.map(|_| None),
        );
        self.commit_check(monitor, check, transition).await
    }
}
