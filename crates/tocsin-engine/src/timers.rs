//! Fires due timers back into the engine: each firing is a decision committed together with the
//! timer's deletion, so a crash fires it again rather than never.

use std::time::Duration;

use tocsin_core::decide::{Input, TimerKind, decide};
use tocsin_store::Commit;

use crate::{Engine, EngineError};

const LEASE: Duration = Duration::from_secs(30);
const BATCH: u32 = 100;

impl Engine {
    pub(crate) async fn timer_round(&self) -> Result<usize, EngineError> {
        let now = self.now();
        let lease_until = now
            .saturating_add(jiff::SignedDuration::try_from(LEASE).unwrap_or_default())
            .unwrap_or(now);
        let timers = self.store.claim_due_timers(now, lease_until, BATCH).await?;
        let fired = timers.len();
        for timer in timers {
            let _turn = self.decisions.lock().await;
            let now = self.now();
            let decision = match TimerKind::parse(&timer.kind) {
                Some(TimerKind::ResponseDue) => {
                    let situation = self
                        .store
                        .situation_for_incident(&timer.incident_id)
                        .await?;
                    decide(&self.policy, &situation, Input::ResponseDue, &self.ctx(now))
                        .unwrap_or_default()
                }
                None => {
                    tracing::warn!(timer = timer.id, kind = %timer.kind, "dropping a timer of an unknown kind");
                    Default::default()
                }
            };
            self.commit(Commit {
                now,
                decision,
                fired_timer: Some(timer.id),
                ..Commit::default()
            })
            .await?;
        }
        Ok(fired)
    }
}
