//! DueWork on PostgreSQL.

use async_trait::async_trait;
use jiff::Timestamp;
use tocsin_store::*;

use crate::PgStore;

#[async_trait]
impl DueWork for PgStore {
    async fn release_leases(&self) -> Result<()> {
        todo!("release_leases on PostgreSQL")
    }

    async fn claim_due_monitors(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<MonitorRecord>> {
        todo!("claim_due_monitors on PostgreSQL")
    }

    async fn claim_due_timers(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Timer>> {
        todo!("claim_due_timers on PostgreSQL")
    }

    async fn claim_due_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>> {
        todo!("claim_due_deliveries on PostgreSQL")
    }

    async fn page_sends(
        &self,
        recipient: &str,
        channel: &str,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        todo!("page_sends on PostgreSQL")
    }

    async fn postpone_delivery(&self, delivery_id: &str, until: Timestamp) -> Result<()> {
        todo!("postpone_delivery on PostgreSQL")
    }

    async fn record_attempt(&self, attempt: Attempt) -> Result<()> {
        todo!("record_attempt on PostgreSQL")
    }

    async fn next_due(&self) -> Result<Option<Timestamp>> {
        todo!("next_due on PostgreSQL")
    }

    async fn claim_subscriber_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<SubscriberMail>> {
        todo!("claim_subscriber_mail on PostgreSQL")
    }

    async fn record_subscriber_mail(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        todo!("record_subscriber_mail on PostgreSQL")
    }

    async fn ops_gauges(&self, now: Timestamp) -> Result<OpsGauges> {
        todo!("ops_gauges on PostgreSQL")
    }

    async fn claim_drills_to_close(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<DrillRecord>> {
        todo!("claim_drills_to_close on PostgreSQL")
    }

    async fn claim_unwritten_postmortems(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PostmortemRecord>> {
        todo!("claim_unwritten_postmortems on PostgreSQL")
    }

    async fn mark_postmortem_written(&self, incident_id: &str, at: Timestamp) -> Result<()> {
        todo!("mark_postmortem_written on PostgreSQL")
    }

    async fn claim_comms_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<CommsMail>> {
        todo!("claim_comms_mail on PostgreSQL")
    }

    async fn record_comms_mail(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        todo!("record_comms_mail on PostgreSQL")
    }

    async fn claim_unsent_review_digests(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<ReviewDigest>> {
        todo!("claim_unsent_review_digests on PostgreSQL")
    }

    async fn record_review_digest(&self, id: &str, at: Timestamp, result: &str) -> Result<()> {
        todo!("record_review_digest on PostgreSQL")
    }
}
