//! tocsin-store: the `Store` trait — everything tocsin keeps — and its SQLite implementation.
//! SQL lives only in this crate. Every decision is committed with [`Store::commit`] in one
//! transaction: state, timeline events, outbox rows and timers together or not at all.

mod actions;
mod review;
mod sqlite;
mod types;

pub use actions::*;
pub use review::ReviewDigest;
pub use sqlite::{SqliteOptions, SqliteStore};
pub use types::*;
// The records the engine hands on to its callers live in the core; the store keeps them.
pub use tocsin_core::access::Role;
pub use tocsin_core::delivery::{DeliveryRecord, DeliveryStatus};
pub use tocsin_core::drill::*;
pub use tocsin_core::incident_filter::{IncidentFilter, StateFilter};
pub use tocsin_core::monitor_records::{CheckCounts, LatencyBucket, MonitorRecord};
pub use tocsin_core::oncall::OverrideRecord;
pub use tocsin_core::ops_gauges::{OpsGauges, OutboxChannel};
pub use tocsin_core::public_update::PublicUpdate;

use async_trait::async_trait;
use jiff::Timestamp;
use tocsin_core::decide::Situation;
use tocsin_core::incident::{Incident, TimelineEvent};

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The acknowledge link's nonce was already used; nothing was committed.
    #[error("this link was already used")]
    TokenUsed,
    #[error("the stored data is not what tocsin wrote: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything tocsin keeps. Shaped for several replicas: due work (monitors, timers, deliveries)
/// is claimed with a lease that expires, never held only in memory.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Answers when the database does (for `/healthz`).
    async fn ping(&self) -> Result<()>;

    /// The incident with this id, with its alerts (an empty situation when there is none).
    async fn situation_for_incident(&self, incident_id: &str) -> Result<Situation>;

    /// Commits one decision and everything that goes with it, in one transaction.
    async fn commit(&self, commit: Commit) -> Result<()>;

    /// Decides a batch in ONE transaction: for each item, reads its situation (seeing the
    /// items before it), asks `decider`, and writes the commit. The group commit behind
    /// durable, fast ingest; also the way every decision avoids reading stale state.
    async fn transact(
        &self,
        items: Vec<Item>,
        decider: &mut Decider<'_>,
    ) -> Result<Vec<ItemOutcome>>;

    /// Recent changes of a kind (newest first), e.g. the last deploys.
    async fn changes(
        &self,
        kind: Option<tocsin_core::inbound::ChangeKind>,
        limit: u32,
    ) -> Result<Vec<ChangeRecord>>;

    async fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>>;
    async fn timeline(&self, incident_id: &str) -> Result<Vec<TimelineEvent>>;
    async fn deliveries(
        &self,
        incident_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>>;

    /// Makes the configured monitors the active ones; new ones are first due at their `first_due`.
    async fn sync_monitors(&self, monitors: &[(String, Timestamp)]) -> Result<()>;
    async fn monitors(&self) -> Result<Vec<MonitorRecord>>;
    async fn monitor(&self, id: &str) -> Result<Option<MonitorRecord>>;
    async fn recent_checks(&self, monitor_id: &str, limit: u32) -> Result<Vec<CheckRecord>>;

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
    /// Puts a claimed delivery back in the queue until `until`, without counting an attempt.
    async fn postpone_delivery(&self, delivery_id: &str, until: Timestamp) -> Result<()>;
    /// Records one delivery attempt and its consequence, in one transaction.
    async fn record_attempt(&self, attempt: Attempt) -> Result<()>;
    /// The earliest time any timer, delivery or monitor is due, to sleep until then.
    async fn next_due(&self) -> Result<Option<Timestamp>>;

    /// Schedule overrides.
    async fn add_override(&self, entry: &OverrideRecord) -> Result<()>;
    /// Overrides that end after `ending_after` (current and future ones).
    async fn overrides(&self, ending_after: Timestamp) -> Result<Vec<OverrideRecord>>;
    async fn delete_override(&self, id: &str) -> Result<bool>;

    /// Whether an acknowledge link's nonce was already consumed.
    async fn token_used(&self, nonce: &str) -> Result<bool>;

    /// A named value kept across restarts, created by `create` on first use.
    async fn setting_or_insert(&self, name: &str, create: String) -> Result<String>;

    /// Adds a person who signs in to the web UI; `false` when the e-mail is taken (any case).
    async fn add_user(&self, user: &UserRecord) -> Result<bool>;
    /// The person with this e-mail (any case).
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>>;
    /// Sets a person's password hash and ends all of their sessions, in one transaction;
    /// `false` when there is no such person.
    async fn set_password(&self, email: &str, password_hash: &str, at: Timestamp) -> Result<bool>;
    /// Records a new session (and deletes sessions that ended before `session.created_at`).
    async fn add_session(&self, session: &SessionRecord) -> Result<()>;
    /// The session with this id and its person, whether or not it has expired.
    async fn session(&self, id: &str) -> Result<Option<(SessionRecord, UserRecord)>>;
    /// Records activity on a session (for the idle timeout).
    async fn touch_session(&self, id: &str, at: Timestamp) -> Result<()>;
    async fn delete_session(&self, id: &str) -> Result<()>;
    /// How many checks of a monitor ran at or after `since`, and how many passed.
    async fn check_counts(&self, monitor_id: &str, since: Timestamp) -> Result<CheckCounts>;
    /// A monitor's checks at or after `since`, in slices of `bucket` (empty slices left out).
    async fn latency_buckets(
        &self,
        monitor_id: &str,
        since: Timestamp,
        bucket: std::time::Duration,
    ) -> Result<Vec<LatencyBucket>>;

    // ── The public status page ──────────────────────────────────────────────────────────────
    /// Incidents still open, or opened or resolved at or after `since`, newest first.
    async fn status_incidents(&self, since: Timestamp) -> Result<Vec<Incident>>;
    /// The public updates (timeline `update` events with `data.public = true`) of these
    /// incidents, newest first.
    async fn public_updates(&self, incident_ids: &[String]) -> Result<Vec<PublicUpdate>>;
    /// A monitor's checks per day. `day_starts` are `n + 1` boundaries of `n` days; the answer
    /// has one entry per day, oldest first, with zeros for a day without checks.
    async fn daily_checks(
        &self,
        monitor_id: &str,
        day_starts: &[Timestamp],
    ) -> Result<Vec<DailyChecks>>;
    /// Adds a subscription awaiting confirmation (or starts over an unsubscribed or
    /// unconfirmed one) and queues its confirmation mail, in one transaction. No new mail when
    /// one was asked for after `ask_again_after`, or when the address is already confirmed.
    async fn add_subscriber(
        &self,
        email: &str,
        locale: &str,
        now: Timestamp,
        ask_again_after: Timestamp,
    ) -> Result<Subscribed>;
    /// Keeps a link's stored half.
    async fn add_subscriber_token(&self, token: &SubscriberToken) -> Result<()>;
    /// The link with this selector and its subscriber.
    async fn subscriber_token(
        &self,
        selector: &str,
    ) -> Result<Option<(SubscriberToken, SubscriberRecord)>>;
    /// Confirms a subscription; `false` when there is nothing left to confirm (unsubscribed).
    async fn confirm_subscriber(&self, subscriber_id: i64, at: Timestamp) -> Result<bool>;
    /// Ends a subscription and withdraws its unsent mail; `false` when it had already ended.
    async fn unsubscribe(&self, subscriber_id: i64, at: Timestamp) -> Result<bool>;
    /// Queues one mail per confirmed subscriber for every public update posted since the last
    /// call on an incident of one of `severities`, and moves the cursor past them, in one
    /// transaction. Returns how many mails were queued.
    async fn queue_subscriber_updates(&self, severities: &[String], now: Timestamp) -> Result<u64>;
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

    // ── The scheduler, batched checks and uptime rollups ────────────────────────────────────
    /// Writes many check results and the monitor states they led to, in ONE transaction: the
    /// results that changed no status, batched off the probe path. A state older than the
    /// stored one (a change of status committed since) is not written back.
    async fn record_checks(&self, checks: &[CheckCommit]) -> Result<()>;
    /// A monitor's first check and its outages overlapping `[from, to)`, oldest first.
    async fn monitor_history(
        &self,
        monitor_id: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<tocsin_core::uptime::MonitorHistory>;
    /// A monitor's aggregates of one span starting in `[from, to)`, oldest first.
    async fn rollups(
        &self,
        monitor_id: &str,
        span: RollupSpan,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Rollup>>;
    /// Folds raw results of whole minutes ended `retention.settle` before `now` into the
    /// per-minute, per-hour and per-day aggregates (each result exactly once), then deletes what
    /// is older than `retention` allows, in short transactions.
    async fn roll_up_and_prune(
        &self,
        now: Timestamp,
        retention: &Retention,
    ) -> Result<Housekeeping>;
    // ── watching the watcher ──
    /// Counts and ages for `/metrics`: incidents by state, the outbox per channel, due timers.
    async fn ops_gauges(&self, now: Timestamp) -> Result<OpsGauges>;
    // ── The monthly drill ───────────────────────────────────────────────────────────────────
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
    /// Claims drills not yet final whose `confirm_by` passed, until `lease_until`.
    async fn claim_drills_to_close(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<DrillRecord>>;
    /// Contacts' numbers confirmed through drill links (the newest date per contact).
    async fn contact_verifications(&self) -> Result<Vec<ContactVerification>>;
    /// When a signal or change from `source` (like `integration:sentry`) last arrived.
    async fn last_signal_at(&self, source: &str) -> Result<Option<Timestamp>>;
    // ── post-mortems, weekly review, response metrics ──────────────────────────────────────
    /// Every post-mortem, latest deadline first.
    async fn postmortems(&self) -> Result<Vec<PostmortemRecord>>;
    /// The post-mortem of one incident.
    async fn postmortem(&self, incident_id: &str) -> Result<Option<PostmortemRecord>>;
    /// Claims up to `limit` post-mortems whose file is not written yet, until `lease_until`.
    async fn claim_unwritten_postmortems(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PostmortemRecord>>;
    /// Records that a post-mortem's file exists (written now, or found already there).
    async fn mark_postmortem_written(&self, incident_id: &str, at: Timestamp) -> Result<()>;
    /// Incidents opened in `[from, until)`, oldest first (the review and the metrics).
    async fn incidents_opened(&self, from: Timestamp, until: Timestamp) -> Result<Vec<Incident>>;
    // ── runbooks ──
    /// Changes matching `query` (service, kind, window), newest first.
    async fn changes_in(&self, query: &ChangeQuery) -> Result<Vec<ChangeRecord>>;
    /// A monitor's latest check at or before `before` that passed (`ok`) or failed.
    async fn last_check(
        &self,
        monitor_id: &str,
        ok: bool,
        before: Timestamp,
    ) -> Result<Option<CheckRecord>>;
    // ── mitigation actions and customer communications ──────────────────────────────────────
    /// Records that a person asked for an action run, with its `action_requested` event, in
    /// one transaction (before anything runs). A run refused before it started is recorded
    /// here already finished, with its `action_failed` event.
    async fn record_action_requested(&self, run: &ActionRun, event: &TimelineEvent) -> Result<()>;
    /// Records how a run ended, with its `action_succeeded`/`action_failed` event, in one
    /// transaction.
    async fn record_action_result(&self, run: &ActionRun, event: &TimelineEvent) -> Result<()>;
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
    // ── weekly review digest ──
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
    /// Claims the digests not yet tried whose lease is free, until `lease_until`.
    async fn claim_unsent_review_digests(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<ReviewDigest>>;
    /// Records what came of sending a digest.
    async fn record_review_digest(&self, id: &str, at: Timestamp, result: &str) -> Result<()>;
    /// The newest digests first.
    async fn review_digests(&self, limit: u32) -> Result<Vec<ReviewDigest>>;
    // ── API tokens ──
    /// Keeps a new API token's hash and role.
    async fn add_api_token(
        &self,
        id: &str,
        token_hash: &str,
        role: Role,
        at: Timestamp,
    ) -> Result<()>;
    /// The role of the token with this hash, if one was created.
    async fn api_token_role(&self, token_hash: &str) -> Result<Option<Role>>;
}
