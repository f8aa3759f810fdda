//! Fires due timers back into the engine: each firing is a decision committed together with the
//! timer's deletion, so a crash fires it again rather than never.

use tocsin_core::decide::{Input, TimerKind};
use tocsin_store::{Item, Lookup};

use crate::work::Work;
use crate::{Engine, EngineError};

/// On a single node, how long claimed timers stay claimed: longer than firing a batch takes.
const ONE_NODE_LEASE: std::time::Duration = std::time::Duration::from_secs(30);
const BATCH: u32 = 100;

/// The timer worker's part: the wake a commit that set timers rings (`notify_one` keeps a
/// permit, so a commit landing mid-round is not missed until the next poll).
#[derive(Debug, Default)]
pub(crate) struct Timers {
    pub(crate) wake: tokio::sync::Notify,
}

impl Engine {
    pub(crate) async fn timer_round(&self) -> Result<usize, EngineError> {
        let now = self.now();
        let timers = self
            .store
            .claim_due_timers(now, self.claim_until(now, ONE_NODE_LEASE), BATCH)
            .await?;
        let fired = timers.len();
        let works = timers
            .into_iter()
            .map(|timer| {
                let (lookup, input) = match TimerKind::parse(&timer.kind) {
                    Some(TimerKind::ResponseDue) => (Lookup::Incident(timer.incident_id.clone()), Some(Input::ResponseDue)),
                    Some(TimerKind::Escalate) => (
                        Lookup::Incident(timer.incident_id.clone()),
                        Some(Input::EscalationDue { due_at: timer.due_at }),
                    ),
                    Some(TimerKind::PostmortemReminder) => (Lookup::Incident(timer.incident_id.clone()), Some(Input::PostmortemReminder)),
                    Some(TimerKind::PostmortemDue) => (Lookup::Incident(timer.incident_id.clone()), Some(Input::PostmortemDue)),
                    Some(TimerKind::PhaseDue) => (
                        Lookup::Incident(timer.incident_id.clone()),
                        Some(Input::PhaseDue { due_at: timer.due_at }),
                    ),
                    Some(TimerKind::UpdateDue) => (
                        Lookup::Incident(timer.incident_id.clone()),
                        Some(Input::UpdateDue { due_at: timer.due_at }),
                    ),
                    Some(TimerKind::SnoozeEnds) => (
                        Lookup::Incident(timer.incident_id.clone()),
                        Some(Input::SnoozeEnds { due_at: timer.due_at }),
                    ),
                    None => {
                        tracing::warn!(timer = timer.id, kind = %timer.kind, "dropping a timer of an unknown kind");
                        (Lookup::Nothing, None)
                    }
                };
                let mut work = Work::new(Item { lookup, delivery: None }, input);
                work.fired_timer = Some(timer.id);
                work
            })
            .collect::<Vec<_>>();
        if !works.is_empty() {
            // A stale timer (the incident acknowledged meanwhile) is refused by the core and
            // simply deleted; a refused item writes nothing, so delete those explicitly.
            let ids: Vec<i64> = works.iter().filter_map(|w| w.fired_timer).collect();
            let outcomes = self.decide_all(works).await?;
            let stale: Vec<Work> = ids
                .into_iter()
                .zip(outcomes)
                .filter(|(_, outcome)| matches!(outcome, tocsin_store::ItemOutcome::Refused(_)))
                .map(|(id, _)| {
                    let mut work = Work::new(
                        Item {
                            lookup: Lookup::Nothing,
                            delivery: None,
                        },
                        None,
                    );
                    work.fired_timer = Some(id);
                    work
                })
                .collect();
            if !stale.is_empty() {
                self.decide_all(stale).await?;
            }
        }
        Ok(fired)
    }
}
