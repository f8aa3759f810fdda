//! The follow-up queues: drills whose confirm window ended, post-mortem files to write, review
//! digests to send — their claims and marking them done (`tocsin_store::rows` reads their rows).

use jiff::Timestamp;
use tocsin_store::rows::{self, ms};
use tocsin_store::*;

use super::lease;
use crate::PgStore;
use crate::follow_up::drills;

/// Drills closed per claim: a drill runs monthly, so one claim always takes them all.
const DRILLS_PER_CLAIM: u32 = 100;

/// Digests sent per claim: one is started per review period.
const DIGESTS_PER_CLAIM: u32 = 10;

impl PgStore {
    /// Claims the drills to close, each with its items in report order.
    pub(super) async fn claim_drills_to_close_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<DrillRecord>> {
        let drills = lease::claim(
            self,
            Queue::DrillsToClose,
            now,
            lease_until,
            DRILLS_PER_CLAIM,
        )
        .await?
        .iter()
        .map(rows::drill)
        .collect::<Result<Vec<_>>>()?;
        drills::with_items(self.pool(), drills).await
    }

    pub(super) async fn claim_unwritten_postmortems_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PostmortemRecord>> {
        lease::claim(self, Queue::Postmortems, now, lease_until, limit)
            .await?
            .iter()
            .map(rows::postmortem)
            .collect()
    }

    pub(super) async fn mark_postmortem_written_sql(
        &self,
        incident_id: &str,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE postmortems SET written_at = $1, claimed_until = NULL WHERE incident_id = $2",
        )
        .bind(ms(at))
        .bind(incident_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub(super) async fn claim_unsent_review_digests_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<ReviewDigest>> {
        lease::claim(
            self,
            Queue::ReviewDigests,
            now,
            lease_until,
            DIGESTS_PER_CLAIM,
        )
        .await?
        .iter()
        .map(rows::review_digest)
        .collect()
    }

    pub(super) async fn record_review_digest_sql(
        &self,
        id: &str,
        at: Timestamp,
        result: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE review_digests SET sent_at = $1, result = $2, claimed_until = NULL WHERE id = $3",
        )
        .bind(ms(at))
        .bind(result)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
