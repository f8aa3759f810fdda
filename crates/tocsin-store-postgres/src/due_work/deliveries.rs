//! The delivery outbox (pages and channel notices): claiming what is due, the per-contact
//! throttle's sends, holding a delivery back, and recording what came of an attempt.

use jiff::Timestamp;
use sqlx::PgConnection;
use tocsin_store::plan::attempt_event;
use tocsin_store::rows::{ms, ts};
use tocsin_store::*;

use super::lease;
use crate::PgStore;
use crate::write::rows::insert_event;

impl PgStore {
    pub(super) async fn claim_due_deliveries_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>> {
        lease::claim(self, Queue::Deliveries, now, lease_until, limit)
            .await?
            .iter()
            .map(rows::pending_delivery)
            .collect()
    }

    /// Read on the pool at READ COMMITTED, so it counts every send any replica has committed:
    /// the throttle is per contact, not per replica.
    pub(super) async fn page_sends_sql(
        &self,
        recipient: &str,
        channel: &str,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        let sent: Vec<i64> = sqlx::query_scalar(
            "SELECT sent_at FROM deliveries WHERE recipient = $1 AND channel = $2 \
             AND status = 'sent' AND sent_at >= $3 ORDER BY sent_at",
        )
        .bind(recipient)
        .bind(channel)
        .bind(ms(since))
        .fetch_all(self.pool())
        .await?;
        sent.into_iter().map(ts).collect()
    }

    pub(super) async fn postpone_delivery_sql(
        &self,
        delivery_id: &str,
        until: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE deliveries SET next_attempt_at = $1, claimed_until = NULL, \
               last_error = 'held back by the per-contact throttle' \
             WHERE id = $2 AND status = 'pending'",
        )
        .bind(ms(until))
        .bind(delivery_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The attempt, the delivery's new state and the timeline's word on it commit together.
    pub(super) async fn record_attempt_sql(&self, attempt: &Attempt) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        record_attempt(&mut tx, attempt, &self.lease_owner).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Records one send attempt of a delivery and its outcome; the timeline says what a person
/// would want to know (a page sent, a page given up on).
async fn record_attempt(tx: &mut PgConnection, attempt: &Attempt, owner: &str) -> Result<()> {
    let columns = rows::attempt_columns(&attempt.outcome, attempt.at);
    sqlx::query(
        "INSERT INTO delivery_attempts (delivery_id, at, ok, http_status, error) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&attempt.delivery_id)
    .bind(ms(attempt.at))
    .bind(i64::from(columns.ok))
    .bind(attempt.http_status.map(i64::from))
    .bind(columns.error)
    .execute(&mut *tx)
    .await?;
    let updated = lease::record_outcome(
        &mut *tx,
        Queue::Deliveries,
        &attempt.delivery_id,
        owner,
        &columns,
    )
    .await?;
    // A delivery already finished (an outcome recorded twice), or another replica's now, says
    // nothing new.
    if updated && let Some(event) = attempt_event(attempt) {
        insert_event(tx, &event).await?;
    }
    Ok(())
}
