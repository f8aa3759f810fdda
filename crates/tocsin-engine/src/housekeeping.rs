//! The due job that rolls raw check results up into five-minute, per-hour and per-day
//! aggregates and prunes what is past its retention, once a minute; it also forgets status-page
//! sign-ups never confirmed and the replay guards (senders' delivery ids, used acknowledge-link
//! nonces) no replay could pass any more.

use std::time::Duration;

use jiff::Timestamp;

use tocsin_store::Retention;

use crate::probes::add;
use crate::{Engine, EngineError};

/// How often the roll-up and pruning run.
pub(crate) const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);

/// How long a sender's delivery id (`webhook-id`, `X-GitHub-Delivery`) is remembered: far past
/// the signatures' five-minute windows and GitHub's three days of manual redelivery.
pub(crate) const KEEP_DELIVERY_IDS: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a used acknowledge-link nonce is remembered: its link expires
/// [`crate::ACK_LINK_LIFETIME`] after it was minted, before it was used; a day more covers
/// replicas' clocks disagreeing.
pub(crate) const KEEP_USED_NONCES: Duration =
    Duration::from_secs(crate::ACK_LINK_LIFETIME.as_secs() + 24 * 3600);

/// The housekeeping round's part: when it is next due.
#[derive(Debug, Default)]
pub(crate) struct Housekeeping {
    pub(crate) next: std::sync::Mutex<Option<Timestamp>>,
}

impl Engine {
    fn retention(&self) -> Retention {
        let longest = self
            .config()
            .monitors
            .iter()
            .map(|m| m.timeout)
            .max()
            .unwrap_or_default();
        // Raw results as configured; the aggregates and outages as `Retention::standard` says
        // (five-minute 7 days, hourly 90 days, daily and outages 400 days).
        Retention::standard(
            self.config().engine.keep_raw_checks,
            // A result is written at most a flush after its check ends.
            longest + crate::batch::FLUSH_EVERY + Duration::from_secs(60),
        )
    }

    /// Rolls up and prunes when due (at start, then every minute). Returns whether it ran.
    pub(crate) async fn housekeeping_round(&self) -> Result<bool, EngineError> {
        let now = self.now();
        {
            let next = self
                .housekeeping
                .next
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if next.is_some_and(|next| next > now) {
                return Ok(false);
            }
        }
        let done = self.store.roll_up_and_prune(now, &self.retention()).await?;
        if done != tocsin_store::Housekeeping::default() {
            tracing::debug!(?done, "rolled up and pruned check history");
        }
        self.purge_unconfirmed_subscribers(now).await?;
        let forgotten = self
            .store
            .prune_replay_guards(
                before(now, KEEP_DELIVERY_IDS),
                before(now, KEEP_USED_NONCES),
            )
            .await?;
        if forgotten > 0 {
            tracing::debug!(forgotten, "pruned old delivery ids and used link nonces");
        }
        *self
            .housekeeping
            .next
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(add(now, HOUSEKEEPING_EVERY));
        Ok(true)
    }
}

/// `now` less `by`, or the beginning of time.
fn before(now: Timestamp, by: Duration) -> Timestamp {
    jiff::SignedDuration::try_from(by)
        .ok()
        .and_then(|by| now.checked_sub(by).ok())
        .unwrap_or(Timestamp::MIN)
}
