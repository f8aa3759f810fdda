//! DueWork on PostgreSQL: every leased queue, claimed by several replicas at once.

mod deliveries;
mod fencing;
mod follow_up;
mod lease;
mod mail;
mod ops;
mod replicas;
mod reply_codes;

use async_trait::async_trait;
use jiff::Timestamp;
use tocsin_store::rows::{self, ts_opt};
use tocsin_store::*;

use crate::PgStore;

#[async_trait]
impl DueWork for PgStore {
    async fn release_leases(&self) -> Result<()> {
        lease::release(self).await
    }

    fn shared(&self) -> bool {
        true
    }

    async fn replica_alive(&self, now: Timestamp, alive_since: Timestamp) -> Result<u32> {
        replicas::replica_alive(self, now, alive_since).await
    }

    async fn still_holds(
        &self,
        queue: Queue,
        key: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool> {
        fencing::still_holds(self, queue, key, now, until).await
    }

    async fn hold_monitors(
        &self,
        ids: &[String],
        now: Timestamp,
        lease_until: Timestamp,
        share: usize,
    ) -> Result<HeldMonitors> {
        replicas::hold_monitors(self, ids, now, lease_until, share).await
    }

    async fn claim_due_monitors(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<MonitorRecord>> {
        lease::claim(self, Queue::Monitors, now, lease_until, limit)
            .await?
            .iter()
            .map(rows::monitor)
            .collect()
    }

    async fn claim_due_timers(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Timer>> {
        lease::claim(self, Queue::Timers, now, lease_until, limit)
            .await?
            .iter()
            .map(rows::timer)
            .collect()
    }

    async fn claim_due_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>> {
        self.claim_due_deliveries_sql(now, lease_until, limit).await
    }

    async fn page_sends(
        &self,
        recipient: &str,
        channel: &str,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        self.page_sends_sql(recipient, channel, since).await
    }

    async fn pages_ahead_elsewhere(
        &self,
        delivery_id: &str,
        recipient: &str,
        channel: &str,
        now: Timestamp,
    ) -> Result<u32> {
        let ahead: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deliveries d, deliveries mine \
             WHERE mine.id = $1 AND d.recipient = $2 AND d.channel = $3 AND d.status = 'pending' \
             AND d.claimed_until > $4 AND d.claimed_by IS DISTINCT FROM $5 \
             AND (d.created_at, d.id) < (mine.created_at, mine.id)",
        )
        .bind(delivery_id)
        .bind(recipient)
        .bind(channel)
        .bind(rows::ms(now))
        .bind(&self.lease_owner)
        .fetch_one(self.pool())
        .await?;
        Ok(rows::count(ahead))
    }

    async fn postpone_delivery(&self, delivery_id: &str, until: Timestamp) -> Result<()> {
        self.postpone_delivery_sql(delivery_id, until).await
    }

    async fn record_attempt(&self, attempt: Attempt) -> Result<()> {
        self.record_attempt_sql(&attempt).await
    }

    async fn record_reply_code(&self, code: &tocsin_core::reply_code::ReplyCode) -> Result<()> {
        self.record_reply_code_sql(code).await
    }

    async fn reply_codes(
        &self,
        channel: &str,
        code: &str,
    ) -> Result<Vec<tocsin_core::reply_code::ReplyCode>> {
        self.reply_codes_sql(channel, code).await
    }

    async fn chat_message(&self, incident_id: &str, channel: &str) -> Result<Option<ChatMessage>> {
        self.chat_message_sql(incident_id, channel).await
    }

    async fn remember_chat_message(&self, message: &ChatMessage) -> Result<()> {
        self.remember_chat_message_sql(message).await
    }

    // Due is due whatever the lease: a claimed row wakes the loop, whose claim then finds it
    // held (as on SQLite).
    async fn next_due(&self) -> Result<Option<Timestamp>> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT min(due) FROM (\
               SELECT min(due_at) AS due FROM timers \
               UNION ALL SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending' \
               UNION ALL SELECT min(next_check_at) FROM monitors WHERE active = 1) AS queues",
        )
        .fetch_one(self.pool())
        .await?;
        ts_opt(next)
    }

    async fn claim_subscriber_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<SubscriberMail>> {
        self.claim_subscriber_mail_sql(now, lease_until, limit)
            .await
    }

    async fn record_subscriber_mail(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        self.record_subscriber_mail_sql(mail_id, at, outcome).await
    }

    async fn ops_gauges(&self, now: Timestamp) -> Result<OpsGauges> {
        self.ops_gauges_sql(now).await
    }

    async fn claim_drills_to_close(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<DrillRecord>> {
        self.claim_drills_to_close_sql(now, lease_until).await
    }

    async fn claim_unwritten_postmortems(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PostmortemRecord>> {
        self.claim_unwritten_postmortems_sql(now, lease_until, limit)
            .await
    }

    async fn mark_postmortem_written(&self, incident_id: &str, at: Timestamp) -> Result<()> {
        self.mark_postmortem_written_sql(incident_id, at).await
    }

    async fn claim_comms_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<CommsMail>> {
        self.claim_comms_mail_sql(now, lease_until, limit).await
    }

    async fn record_comms_mail(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        self.record_comms_mail_sql(mail_id, at, outcome).await
    }

    async fn claim_unsent_review_digests(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<ReviewDigest>> {
        self.claim_unsent_review_digests_sql(now, lease_until).await
    }

    async fn record_review_digest(&self, id: &str, at: Timestamp, result: &str) -> Result<()> {
        self.record_review_digest_sql(id, at, result).await
    }
}
