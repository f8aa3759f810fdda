//! Drills, mitigation actions, customer notices, post-mortems and the weekly review.

use async_trait::async_trait;
use jiff::Timestamp;

use tocsin_core::incident::TimelineEvent;

use crate::*;

/// Drills, mitigation actions, customer notices, post-mortems and the weekly review.
#[async_trait]
pub trait FollowUpStore: Send + Sync {
    /// Keeps the drill's schedule row: none without `[drill]`; a new or changed `expr` is first
    /// due at `first_due`; an unchanged one keeps its due time (a run missed while down is due).
    async fn sync_drill_schedule(&self, expr: Option<&str>, first_due: Timestamp) -> Result<()>;

    /// When the next scheduled drill is due.
    async fn drill_due_at(&self) -> Result<Option<Timestamp>>;

    /// Inserts a drill and its items. With `schedule = Some((due, next))` it is the scheduled
    /// run due at `due`: the schedule moves to `next` in the same transaction, and `false` (no
    /// insert) means another worker already started that run.
    async fn start_drill(
        &self,
        drill: &DrillRecord,
        schedule: Option<(Timestamp, Timestamp)>,
    ) -> Result<bool>;

    /// Sets one item's outcome (a test message's answer).
    async fn set_drill_item(
        &self,
        drill_id: &str,
        seq: i64,
        status: DrillItemStatus,
        reason: &str,
    ) -> Result<()>;

    /// Fails the items still waiting with `reason` (the confirm window ended).
    async fn expire_drill_items(&self, drill_id: &str, reason: &str) -> Result<()>;

    /// Sets a drill's summary: status, finished_at, and (when given) its incident and what came
    /// of sending its report.
    async fn set_drill_outcome(
        &self,
        drill_id: &str,
        status: DrillStatus,
        finished_at: Option<Timestamp>,
        incident_id: Option<&str>,
        report_sent: Option<&str>,
    ) -> Result<()>;

    /// The newest drills first, with their items.
    async fn drills(&self, limit: u32) -> Result<Vec<DrillRecord>>;

    async fn drill(&self, id: &str) -> Result<Option<DrillRecord>>;

    /// The drill and item a link's nonce belongs to.
    async fn drill_item_by_nonce(&self, nonce: &str) -> Result<Option<(String, DrillItem)>>;

    /// Uses an item's link once: a waiting page passes with `reason`; a contact item records
    /// `verified` (contact, date) in the same transaction. `false` when it was already used.
    async fn confirm_drill_item(
        &self,
        nonce: &str,
        at: Timestamp,
        reason: &str,
        verified: Option<(&str, jiff::civil::Date)>,
    ) -> Result<bool>;

    /// Contacts' numbers confirmed through drill links (the newest date per contact).
    async fn contact_verifications(&self) -> Result<Vec<ContactVerification>>;

    /// Every post-mortem, latest deadline first.
    async fn postmortems(&self) -> Result<Vec<PostmortemRecord>>;

    /// The post-mortem of one incident.
    async fn postmortem(&self, incident_id: &str) -> Result<Option<PostmortemRecord>>;

    /// An incident's action runs, oldest first.
    async fn action_runs(&self, incident_id: &str) -> Result<Vec<ActionRun>>;

    /// An incident's customer notices (drafts and approved ones), oldest first.
    async fn comms(&self, incident_id: &str) -> Result<Vec<CommsRecord>>;

    /// Approves a draft (with its text replaced when `texts` is given), queues its mail and
    /// writes `event`, in one transaction.
    async fn approve_comms(
        &self,
        incident_id: &str,
        comms_id: &str,
        approved_by: &str,
        texts: Option<&std::collections::BTreeMap<String, tocsin_core::notice::CustomerText>>,
        event: &TimelineEvent,
    ) -> Result<ApproveOutcome>;

    /// Names customers on an incident and queues the incident's approved `affected` notices to
    /// the new ones, with `event`, in one transaction. Returns the addresses that were new.
    async fn add_affected(
        &self,
        incident_id: &str,
        emails: &[String],
        event: &TimelineEvent,
    ) -> Result<Vec<String>>;

    /// The customers named on an incident.
    async fn affected(&self, incident_id: &str) -> Result<Vec<String>>;

    /// Keeps the digest's schedule row: none without `postmortem.review`; a new or changed
    /// `rule` is first due at `first_due`, an unchanged one keeps its due time.
    async fn sync_review_schedule(&self, rule: Option<&str>, first_due: Timestamp) -> Result<()>;

    /// When the next digest is due.
    async fn review_due_at(&self) -> Result<Option<Timestamp>>;

    /// Moves the schedule from `due` to `next` and inserts `digest`, in one transaction; `false`
    /// (nothing written) when the schedule is no longer at `due` (started elsewhere).
    async fn start_review_digest(
        &self,
        digest: &ReviewDigest,
        due: Timestamp,
        next: Timestamp,
    ) -> Result<bool>;

    /// The newest digests first.
    async fn review_digests(&self, limit: u32) -> Result<Vec<ReviewDigest>>;

    /// An incident's tickets (its own and its action items'), oldest first.
    async fn tickets(&self, incident_id: &str) -> Result<Vec<tocsin_core::ticket_record::Ticket>>;

    /// One ticket by tocsin's id.
    async fn ticket(&self, id: &str) -> Result<Option<tocsin_core::ticket_record::Ticket>>;

    /// The ticket the tracker numbered `number` (the configured repository's issue).
    async fn ticket_by_number(
        &self,
        number: i64,
    ) -> Result<Option<tocsin_core::ticket_record::Ticket>>;
}
