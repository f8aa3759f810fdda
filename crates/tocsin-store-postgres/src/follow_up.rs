//! FollowUpStore on PostgreSQL: drills, post-mortems, action runs, customer notices and the
//! weekly review, each method a thin call into the module that owns its tables.

pub(crate) mod drills;
pub(crate) mod records;
pub(crate) mod review;
mod schedule;

use async_trait::async_trait;
use jiff::Timestamp;
use tocsin_core::incident::TimelineEvent;
use tocsin_store::*;

use crate::PgStore;
use crate::write::follow_up as write;

#[async_trait]
impl FollowUpStore for PgStore {
    async fn sync_drill_schedule(&self, expr: Option<&str>, first_due: Timestamp) -> Result<()> {
        schedule::DRILL.sync(self.pool(), expr, first_due).await
    }

    async fn drill_due_at(&self) -> Result<Option<Timestamp>> {
        schedule::DRILL.due_at(self.pool()).await
    }

    async fn start_drill(
        &self,
        drill: &DrillRecord,
        schedule: Option<(Timestamp, Timestamp)>,
    ) -> Result<bool> {
        drills::start(self.pool(), drill, schedule).await
    }

    async fn set_drill_item(
        &self,
        drill_id: &str,
        seq: i64,
        status: DrillItemStatus,
        reason: &str,
    ) -> Result<()> {
        drills::set_item(self.pool(), drill_id, seq, status, reason).await
    }

    async fn expire_drill_items(&self, drill_id: &str, reason: &str) -> Result<()> {
        drills::expire_items(self.pool(), drill_id, reason).await
    }

    async fn set_drill_outcome(
        &self,
        drill_id: &str,
        status: DrillStatus,
        finished_at: Option<Timestamp>,
        incident_id: Option<&str>,
        report_sent: Option<&str>,
    ) -> Result<()> {
        drills::set_outcome(
            self.pool(),
            drill_id,
            status,
            finished_at,
            incident_id,
            report_sent,
        )
        .await
    }

    async fn drills(&self, limit: u32) -> Result<Vec<DrillRecord>> {
        drills::newest(self.pool(), limit).await
    }

    async fn drill(&self, id: &str) -> Result<Option<DrillRecord>> {
        drills::one(self.pool(), id).await
    }

    async fn drill_item_by_nonce(&self, nonce: &str) -> Result<Option<(String, DrillItem)>> {
        drills::item_by_nonce(self.pool(), nonce).await
    }

    async fn confirm_drill_item(
        &self,
        nonce: &str,
        at: Timestamp,
        reason: &str,
        verified: Option<(&str, jiff::civil::Date)>,
    ) -> Result<bool> {
        drills::confirm_item(self.pool(), nonce, at, reason, verified).await
    }

    async fn contact_verifications(&self) -> Result<Vec<ContactVerification>> {
        drills::contact_verifications(self.pool()).await
    }

    async fn postmortems(&self) -> Result<Vec<PostmortemRecord>> {
        records::postmortems(self.pool()).await
    }

    async fn postmortem(&self, incident_id: &str) -> Result<Option<PostmortemRecord>> {
        records::postmortem_of(self.pool(), incident_id).await
    }

    async fn action_runs(&self, incident_id: &str) -> Result<Vec<ActionRun>> {
        records::action_runs(self.pool(), incident_id).await
    }

    async fn comms(&self, incident_id: &str) -> Result<Vec<CommsRecord>> {
        records::comms_of(self.pool(), incident_id).await
    }

    async fn approve_comms(
        &self,
        incident_id: &str,
        comms_id: &str,
        approved_by: &str,
        texts: Option<&std::collections::BTreeMap<String, tocsin_core::notice::CustomerText>>,
        event: &TimelineEvent,
    ) -> Result<ApproveOutcome> {
        let mut tx = self.pool().begin().await?;
        let outcome =
            write::approve_comms(&mut tx, incident_id, comms_id, approved_by, texts, event).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn add_affected(
        &self,
        incident_id: &str,
        emails: &[String],
        event: &TimelineEvent,
    ) -> Result<Vec<String>> {
        let mut tx = self.pool().begin().await?;
        let added = write::add_affected(&mut tx, incident_id, emails, event).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn affected(&self, incident_id: &str) -> Result<Vec<String>> {
        records::affected(self.pool(), incident_id).await
    }

    async fn sync_review_schedule(&self, rule: Option<&str>, first_due: Timestamp) -> Result<()> {
        schedule::REVIEW.sync(self.pool(), rule, first_due).await
    }

    async fn review_due_at(&self) -> Result<Option<Timestamp>> {
        schedule::REVIEW.due_at(self.pool()).await
    }

    async fn start_review_digest(
        &self,
        digest: &ReviewDigest,
        due: Timestamp,
        next: Timestamp,
    ) -> Result<bool> {
        review::start(self.pool(), digest, due, next).await
    }

    async fn review_digests(&self, limit: u32) -> Result<Vec<ReviewDigest>> {
        review::newest(self.pool(), limit).await
    }

    async fn tickets(&self, incident_id: &str) -> Result<Vec<tocsin_core::ticket_record::Ticket>> {
        records::tickets(self.pool(), incident_id).await
    }

    async fn ticket(&self, id: &str) -> Result<Option<tocsin_core::ticket_record::Ticket>> {
        records::ticket(self.pool(), id).await
    }

    async fn ticket_by_number(
        &self,
        number: i64,
    ) -> Result<Option<tocsin_core::ticket_record::Ticket>> {
        records::ticket_by_number(self.pool(), number).await
    }
}
