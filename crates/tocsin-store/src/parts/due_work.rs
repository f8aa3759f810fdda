//! Due work: every leased queue (claim, finish, release) and the per-contact throttle's sends.

use async_trait::async_trait;
use jiff::Timestamp;

use crate::*;

/// Due work: every leased queue (claim, finish, release) and the per-contact throttle's sends.
#[async_trait]
pub trait DueWork: Send + Sync {
    /// Releases every lease this store's owner holds, on every queue ([`crate::Queue::ALL`]):
    /// at start-up, work a killed process had claimed is due again at once. Leases of other
    /// owners (other replicas) are left to expire.
    async fn release_leases(&self) -> Result<()>;

    /// Whether several replicas may share this store (PostgreSQL). The engine asks this once
    /// per decision that only matters among replicas; the bodies below are a single node's
    /// answers (one process holds everything), which a shared store replaces.
    fn shared(&self) -> bool {
        false
    }

    /// Says this replica is alive at `now`; answers how many replicas are, this one included:
    /// those that said so since `alive_since`.
    async fn replica_alive(&self, _now: Timestamp, _alive_since: Timestamp) -> Result<u32> {
        Ok(1)
    }

    /// Holds this replica's share of the probed monitors `ids` until `lease_until`: renews those
    /// it still holds, lets go of any beyond `share` (those due last), and takes free ones (never
    /// leased, or whose lease ended by `now`) up to `share`. Answers the ids it holds now. Called
    /// only on a shared store; a single node probes every monitor.
    async fn hold_monitors(
        &self,
        ids: &[String],
        _now: Timestamp,
        _lease_until: Timestamp,
        _share: usize,
    ) -> Result<HeldMonitors> {
        Ok(HeldMonitors {
            ids: ids.to_vec(),
            lapsed: Default::default(),
        })
    }

    /// Whether this store's owner still holds the row `key` of `queue` at `now` (its lease has
    /// not ended and no other owner took it); if so the lease is renewed until `until`. A
    /// replica about to send checks this first (fencing): work it lost while it was stalled is
    /// another replica's now.
    async fn still_holds(
        &self,
        _queue: crate::Queue,
        _key: &str,
        _now: Timestamp,
        _until: Timestamp,
    ) -> Result<bool> {
        Ok(true)
    }

    /// Claims up to `limit` monitors due at `now` until `lease_until`.
    async fn claim_due_monitors(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<MonitorRecord>>;

    /// Claims up to `limit` timers due at `now` until `lease_until`.
    async fn claim_due_timers(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Timer>>;

    /// Claims up to `limit` pending deliveries due at `now` until `lease_until`.
    async fn claim_due_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>>;

    /// When pages to `recipient` by `channel` were sent since `since` (for the per-contact throttle).
    async fn page_sends(
        &self,
        recipient: &str,
        channel: &str,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>>;

    /// How many pages to `recipient` by `channel` another replica holds at `now` (claimed,
    /// pending: about to be sent or being sent) that were queued before `delivery_id`: the
    /// per-contact throttle counts them as sent, so two replicas never both take the last
    /// place, and the older page goes first. A single-node store (SQLite) answers 0: its one
    /// process counts its own pages in flight.
    async fn pages_ahead_elsewhere(
        &self,
        _delivery_id: &str,
        _recipient: &str,
        _channel: &str,
        _now: Timestamp,
    ) -> Result<u32> {
        Ok(0)
    }

    /// Puts a claimed delivery back in the queue until `until`, without counting an attempt.
    async fn postpone_delivery(&self, delivery_id: &str, until: Timestamp) -> Result<()>;

    /// Records one delivery attempt and its consequence, in one transaction.
    async fn record_attempt(&self, attempt: Attempt) -> Result<()>;

    /// Keeps the reply code an SMS page carries, before its first send; a resend of the same
    /// delivery keeps the row already there.
    async fn record_reply_code(&self, code: &tocsin_core::reply_code::ReplyCode) -> Result<()>;

    /// The pages sent on `channel` with this reply code, newest first.
    async fn reply_codes(
        &self,
        channel: &str,
        code: &str,
    ) -> Result<Vec<tocsin_core::reply_code::ReplyCode>>;
    /// The message a chat app posted for `incident_id` in `channel`, if any.
    async fn chat_message(&self, incident_id: &str, channel: &str) -> Result<Option<ChatMessage>>;

    /// Keeps the message a chat app just posted. The first one kept for an incident and channel
    /// stays: a second is ignored, so every later update goes to one message.
    async fn remember_chat_message(&self, message: &ChatMessage) -> Result<()>;

    /// The earliest time any timer, delivery or monitor is due, to sleep until then.
    async fn next_due(&self) -> Result<Option<Timestamp>>;

    /// Claims up to `limit` subscriber mails due at `now` until `lease_until`.
    async fn claim_subscriber_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<SubscriberMail>>;

    /// Records one attempt to send a subscriber mail.
    async fn record_subscriber_mail(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()>;

    /// Counts and ages for `/metrics`: incidents by state, the outbox per channel, due timers.
    async fn ops_gauges(&self, now: Timestamp) -> Result<OpsGauges>;

    /// Claims drills not yet final whose `confirm_by` passed, until `lease_until`.
    async fn claim_drills_to_close(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<DrillRecord>>;

    /// Claims up to `limit` post-mortems whose file is not written yet, until `lease_until`.
    async fn claim_unwritten_postmortems(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PostmortemRecord>>;

    /// Records that a post-mortem's file exists (written now, or found already there).
    async fn mark_postmortem_written(&self, incident_id: &str, at: Timestamp) -> Result<()>;

    /// Claims up to `limit` customer mails due at `now` until `lease_until`.
    async fn claim_comms_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<CommsMail>>;

    /// Records one attempt to send a customer mail.
    async fn record_comms_mail(
        &self,
        mail_id: &str,
        at: Timestamp,
        outcome: &AttemptOutcome,
    ) -> Result<()>;

    /// Claims the digests not yet tried whose lease is free, until `lease_until`.
    async fn claim_unsent_review_digests(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<ReviewDigest>>;

    /// Records what came of sending a digest.
    async fn record_review_digest(&self, id: &str, at: Timestamp, result: &str) -> Result<()>;
}
