//! The due job that rolls raw check results up into five-minute, per-hour and per-day
//! aggregates and prunes what is past its retention, once a minute; it also forgets status-page
//! sign-ups never confirmed and senders' delivery ids once no redelivery can come.

use std::time::Duration;

use jiff::Timestamp;

use tocsin_store::Retention;

use crate::probes::add;
use crate::{Engine, EngineError};

/// How often the roll-up and pruning run.
pub(crate) const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);

/// How long a sender's delivery id (`X-GitHub-Delivery`, `webhook-id`) is remembered to refuse
/// its redelivery: GitHub lets a person redeliver the past three days' deliveries, senders'
/// retry schedules end within days, and a Standard Webhooks request older than five minutes
/// is refused by its timestamp anyway. A week covers them all with room to spare.
pub(crate) const KEEP_DELIVERY_IDS: Duration = Duration::from_secs(7 * 24 * 3600);

/// The housekeeping round's part: when it is next due.
#[derive(Debug, Default)]
pub(crate) struct Housekeeping {
    pub(crate) next: std::sync::Mutex<Option<Timestamp>>,
}

impl Engine {
    fn retention(&self) -> Retention {
        let longest = self
            .config
            .monitors
            .iter()
            .map(|m| m.timeout)
            .max()
            .unwrap_or_default();
        // Raw results as configured; the aggregates and outages as `Retention::standard` says
        // (five-minute 7 days, hourly 90 days, daily and outages 400 days).
        Retention::standard(
            self.config.engine.keep_raw_checks,
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
        let forget_before = now
            .checked_sub(jiff::SignedDuration::try_from(KEEP_DELIVERY_IDS).unwrap_or_default())
            .unwrap_or(Timestamp::MIN);
        let forgotten = self.store.prune_delivery_ids(forget_before).await?;
        if forgotten > 0 {
            tracing::debug!(forgotten, "forgot senders' delivery ids past redelivery");
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
