//! FollowUpStore on PostgreSQL.

use async_trait::async_trait;
use jiff::Timestamp;
use tocsin_core::incident::TimelineEvent;
use tocsin_store::*;

use crate::PgStore;

#[async_trait]
impl FollowUpStore for PgStore {
    async fn sync_drill_schedule(&self, expr: Option<&str>, first_due: Timestamp) -> Result<()> {
        todo!("sync_drill_schedule on PostgreSQL")
    }

    async fn drill_due_at(&self) -> Result<Option<Timestamp>> {
        todo!("drill_due_at on PostgreSQL")
    }

    async fn start_drill(
        &self,
        drill: &DrillRecord,
        schedule: Option<(Timestamp, Timestamp)>,
    ) -> Result<bool> {
        todo!("start_drill on PostgreSQL")
    }

    async fn set_drill_item(
        &self,
        drill_id: &str,
        seq: i64,
        status: DrillItemStatus,
        reason: &str,
    ) -> Result<()> {
        todo!("set_drill_item on PostgreSQL")
    }

    async fn expire_drill_items(&self, drill_id: &str, reason: &str) -> Result<()> {
        todo!("expire_drill_items on PostgreSQL")
    }

    async fn set_drill_outcome(
        &self,
        drill_id: &str,
        status: DrillStatus,
        finished_at: Option<Timestamp>,
        incident_id: Option<&str>,
        report_sent: Option<&str>,
    ) -> Result<()> {
        todo!("set_drill_outcome on PostgreSQL")
    }

    async fn drills(&self, limit: u32) -> Result<Vec<DrillRecord>> {
        todo!("drills on PostgreSQL")
    }

    async fn drill(&self, id: &str) -> Result<Option<DrillRecord>> {
        todo!("drill on PostgreSQL")
    }

    async fn drill_item_by_nonce(&self, nonce: &str) -> Result<Option<(String, DrillItem)>> {
        todo!("drill_item_by_nonce on PostgreSQL")
    }

    async fn confirm_drill_item(
        &self,
        nonce: &str,
        at: Timestamp,
        reason: &str,
        verified: Option<(&str, jiff::civil::Date)>,
    ) -> Result<bool> {
        todo!("confirm_drill_item on PostgreSQL")
    }

    async fn contact_verifications(&self) -> Result<Vec<ContactVerification>> {
        todo!("contact_verifications on PostgreSQL")
    }

    async fn postmortems(&self) -> Result<Vec<PostmortemRecord>> {
        todo!("postmortems on PostgreSQL")
    }

    async fn postmortem(&self, incident_id: &str) -> Result<Option<PostmortemRecord>> {
        todo!("postmortem on PostgreSQL")
    }

    async fn action_runs(&self, incident_id: &str) -> Result<Vec<ActionRun>> {
        todo!("action_runs on PostgreSQL")
    }

    async fn comms(&self, incident_id: &str) -> Result<Vec<CommsRecord>> {
        todo!("comms on PostgreSQL")
    }

    async fn approve_comms(
        &self,
        incident_id: &str,
        comms_id: &str,
        approved_by: &str,
        texts: Option<&std::collections::BTreeMap<String, tocsin_core::notice::CustomerText>>,
        event: &TimelineEvent,
    ) -> Result<ApproveOutcome> {
        todo!("approve_comms on PostgreSQL")
    }

    async fn add_affected(
        &self,
        incident_id: &str,
        emails: &[String],
        event: &TimelineEvent,
    ) -> Result<Vec<String>> {
        todo!("add_affected on PostgreSQL")
    }

    async fn affected(&self, incident_id: &str) -> Result<Vec<String>> {
        todo!("affected on PostgreSQL")
    }

    async fn sync_review_schedule(&self, rule: Option<&str>, first_due: Timestamp) -> Result<()> {
        todo!("sync_review_schedule on PostgreSQL")
    }

    async fn review_due_at(&self) -> Result<Option<Timestamp>> {
        todo!("review_due_at on PostgreSQL")
    }

    async fn start_review_digest(
        &self,
        digest: &ReviewDigest,
        due: Timestamp,
        next: Timestamp,
    ) -> Result<bool> {
        todo!("start_review_digest on PostgreSQL")
    }

    async fn review_digests(&self, limit: u32) -> Result<Vec<ReviewDigest>> {
        todo!("review_digests on PostgreSQL")
    }
}
