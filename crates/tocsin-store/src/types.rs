//! The records the store takes and gives, beyond the core's own types.

use jiff::Timestamp;
use tocsin_core::check::CheckOutcome;
use tocsin_core::decide::Decision;
use tocsin_core::inbound::Change;
use tocsin_core::incident::IncidentState;
use tocsin_core::monitor::MonitorState;
use tocsin_core::notice::Notice;

use crate::{PublicUpdate, Role};

/// One transaction's worth of change.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    pub now: Timestamp,
    pub decision: Decision,
    /// The accepted signal, kept as received (`StoredSignal::of`).
    pub signal: Option<crate::plan::StoredSignal>,
    /// A check's result and the monitor state it led to.
    pub check: Option<CheckCommit>,
    /// The timer whose firing this decision answers; deleted with the commit.
    pub fired_timer: Option<i64>,
    /// An acknowledge link's nonce: the commit fails with `TokenUsed` if it was used before.
    pub consume_token: Option<String>,
    /// Changes (deploys, merges) to record.
    pub changes: Vec<Change>,
}

/// How to find the state an item is decided against, inside the deciding transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Nothing to read (a declaration, a change).
    Nothing,
    /// The latest incident holding an alert with this key; when it has none open, an open
    /// incident of `group` with an alert seen since `group.since`.
    Key {
        dedup_key: String,
        group: Option<GroupKey>,
    },
    /// The incident with this id and its checklist, none of its alerts: a person's note,
    /// acknowledgement or resolve (which ends the alerts in one statement, `Write::EndAlerts`),
    /// or a timer, on an incident holding a storm of 100,000 alerts costs what it does on one
    /// holding one.
    Incident(String),
    /// The incident with this id and the pages of its ladder at its current step and round
    /// (`Situation::pages`), for a page that failed for good.
    IncidentPages(String),
    /// A merge: the incident `from` (with its alerts) and, as the situation's `target`, the
    /// incident `into`.
    Merge { from: String, into: String },
}

impl Lookup {
    /// Whether the situation holds every alert of the incident (a merge moves them all), not
    /// only a signal's own or none.
    pub fn reads_every_alert(&self) -> bool {
        matches!(self, Lookup::Merge { .. })
    }
}

/// Alerts of one source, category and component group into one open incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupKey {
    pub source: String,
    pub category: Option<String>,
    pub component: Option<String>,
    pub since: Timestamp,
}

/// One item of a batch decided in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub lookup: Lookup,
    /// A sender's delivery id (`X-GitHub-Delivery`, `webhook-id`): an item already seen is a
    /// duplicate and changes nothing; a new one is remembered with the item's commit.
    pub delivery: Option<(String, String)>,
}

/// What came of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Committed; the incident as it is afterwards, if the item concerned one.
    Done(Option<Box<tocsin_core::incident::Incident>>),
    /// Refused by the engine; nothing of this item was written.
    Refused(tocsin_core::decide::Refusal),
    /// Its delivery id was seen before; nothing was written.
    Duplicate,
}

/// What one `transact` committed: an outcome per item, in order, and the deliveries its
/// decisions created that were handed over (see [`IncidentStore::transact`]).
#[derive(Debug, Clone, Default)]
pub struct Transacted {
    pub outcomes: Vec<ItemOutcome>,
    /// Written already leased to this store's owner, so whoever delivers sends them without
    /// claiming them first; if that process dies, the lease ends and any owner claims them.
    pub handed: Vec<PendingDelivery>,
    /// When the commit is on disk. Nothing of it may be answered or sent before: a backend may
    /// return as soon as the commit is visible and flush it beside the next one.
    pub durable: Durable,
}

/// How far a backend's flushes to disk have come: every commit numbered up to `through` is on
/// disk; once `failed`, no later commit ever will be (the backend refuses to go on).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flushed {
    pub through: u64,
    pub failed: bool,
}

/// When one commit is on disk: already (the default: the backend flushed before it returned),
/// or once the backend's flusher reports its number flushed.
#[derive(Debug, Clone, Default)]
pub struct Durable(Option<(tokio::sync::watch::Receiver<Flushed>, u64)>);

impl Durable {
    /// The commit numbered `commit`, on disk once `flushed` reaches it.
    pub fn after_flush(flushed: tokio::sync::watch::Receiver<Flushed>, commit: u64) -> Self {
        Durable(Some((flushed, commit)))
    }

    /// Whether the commit is known to be on disk already.
    pub fn is_on_disk(&self) -> bool {
        match &self.0 {
            None => true,
            Some((flushed, commit)) => flushed.borrow().through >= *commit,
        }
    }

    /// Returns once the commit is on disk; an error when the flush that should have carried it
    /// failed (or the flusher is gone): then nothing of it may be treated as kept.
    pub async fn wait(self) -> crate::Result<()> {
        let Some((mut flushed, commit)) = self.0 else {
            return Ok(());
        };
        let state = flushed
            .wait_for(|state| state.through >= commit || state.failed)
            .await
            .map(|state| *state)
            .map_err(|_| not_flushed("the flusher stopped before this commit was flushed"))?;
        if state.through >= commit {
            Ok(())
        } else {
            Err(not_flushed(
                "flushing the database's log to disk failed; tocsin keeps nothing more until it restarts",
            ))
        }
    }
}

/// A commit that did not reach the disk, as the store's error.
fn not_flushed(message: &str) -> crate::StoreError {
    std::io::Error::other(message.to_owned()).into()
}

/// Decides one item of a batch: its index and its situation in, the commit out.
pub type Decider<'a> = dyn FnMut(usize, &tocsin_core::decide::Situation) -> Result<Commit, tocsin_core::decide::Refusal>
    + Send
    + 'a;

/// One recorded change, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    pub seq: i64,
    pub change: Change,
    pub received_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct CheckCommit {
    /// Also sets the heartbeat run start (Some(Some(t)) on `/start`, Some(None) when it ends).
    pub run_started_at: Option<Option<Timestamp>>,
    pub monitor_id: String,
    pub at: Timestamp,
    /// The check's result; `None` for a heartbeat's `/start` ping, which changes no status.
    pub outcome: Option<CheckOutcome>,
    pub state: MonitorState,
    pub next_check_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    pub at: Timestamp,
    pub outcome: CheckOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub id: i64,
    pub kind: String,
    pub incident_id: String,
    pub due_at: Timestamp,
}

/// A delivery claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDelivery {
    pub id: String,
    pub channel: String,
    pub recipient: Option<String>,
    pub notice: Notice,
    pub attempts: u32,
}

/// What came of one attempt to deliver.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivery_id: String,
    pub incident_id: String,
    pub channel: String,
    pub at: Timestamp,
    pub http_status: Option<u16>,
    pub outcome: AttemptOutcome,
}

#[derive(Debug, Clone)]
pub enum AttemptOutcome {
    Sent,
    /// Try again at `next_attempt_at`.
    Retry {
        error: String,
        next_attempt_at: Timestamp,
    },
    /// Given up: permanent error or attempts exhausted.
    Failed {
        error: String,
    },
}

/// A person who signs in to the web UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Assigned by the store; ignored when adding a user.
    pub id: i64,
    /// Unique regardless of case.
    pub email: String,
    pub role: Role,
    /// Argon2id in a PHC string. Never shown.
    pub password_hash: String,
    pub created_at: Timestamp,
    pub password_changed_at: Timestamp,
    /// Set while the person may not sign in; their sessions were ended when it was set.
    pub disabled_at: Option<Timestamp>,
}

/// What an admin changes about a person (`tocsin user disable|enable|role|remove`). Every
/// change ends all of that person's sessions in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserChange {
    /// May no longer sign in; `at` is kept as `disabled_at` (the first time, if already set).
    Disable {
        at: Timestamp,
    },
    Enable,
    SetRole(Role),
    Remove,
}

/// How a [`UserChange`] went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChanged {
    /// Done; the person as they are now (as they were, for `Remove`).
    Changed(UserRecord),
    NoSuchUser,
    /// Refused, nothing changed: it would leave no enabled admin, and the caller asked to keep
    /// one.
    LastAdmin,
}

/// An API token as listed: never its secret, nor even its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    /// `tok_` and the secret's first 8 characters: names the token in lists and commands.
    pub id: String,
    /// Who or what holds it, as the timeline names it (like `ci-deploy`).
    pub name: String,
    pub role: Role,
    pub created_at: Timestamp,
    /// After this the token is refused; `None` never expires.
    pub expires_at: Option<Timestamp>,
    /// Recorded at most about once a minute, so it is approximate by that much.
    pub last_used_at: Option<Timestamp>,
    /// Set once, when the token was revoked; a revoked token is refused and kept for the record.
    pub revoked_at: Option<Timestamp>,
}

/// A signed-in browser. `id` is the SHA-256 of the cookie's token, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: i64,
    /// The token every form of this session must carry back.
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// The absolute end, whatever the activity.
    pub expires_at: Timestamp,
}

// ── The public status page ───────────────────────────────────────────────────────────────────

/// Checks of one monitor in one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyChecks {
    pub day_start: Timestamp,
    pub total: u64,
    pub ok: u64,
}

/// Someone who asked for status-page mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberRecord {
    pub id: i64,
    pub email: String,
    /// The language they subscribed in, one of `org.locales`.
    pub locale: String,
    pub created_at: Timestamp,
    /// Mail goes out only once this is set (double opt-in).
    pub confirmed_at: Option<Timestamp>,
    pub unsubscribed_at: Option<Timestamp>,
}

impl SubscriberRecord {
    /// Confirmed and not unsubscribed since.
    pub fn is_active(&self) -> bool {
        self.confirmed_at.is_some() && self.unsubscribed_at.is_none()
    }
}

/// What a subscriber's link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    Confirm,
    Unsubscribe,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Confirm => "confirm",
            TokenPurpose::Unsubscribe => "unsubscribe",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "confirm" => Some(TokenPurpose::Confirm),
            "unsubscribe" => Some(TokenPurpose::Unsubscribe),
            _ => None,
        }
    }
}

/// A link's stored half: the selector that finds it and the SHA-256 (hex) of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberToken {
    pub selector: String,
    pub verifier_hash: String,
    pub subscriber_id: i64,
    pub purpose: TokenPurpose,
    pub created_at: Timestamp,
}

/// What came of a subscribe request. The page says the same thing in every case, so the form
/// never tells a stranger whether an address is subscribed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    /// A confirmation mail was queued.
    Queued,
    /// Already confirmed; nothing sent.
    AlreadyConfirmed,
    /// A confirmation was sent lately; not asking again yet.
    Recently,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriberMailKind {
    /// "Confirm your subscription", with the confirm link.
    Confirm,
    /// A public update.
    Update,
}

/// A public update as mailed: the update and the incident it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailedUpdate {
    pub update: PublicUpdate,
    /// The incident's public title as a person wrote it; `None` → derive it (never the
    /// internal title, which is not read here at all).
    pub public_title: Option<String>,
    pub component: Option<String>,
    pub severity: String,
    pub incident_state: IncidentState,
}

/// A subscriber mail claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberMail {
    /// Also its Message-ID, the same on every retry.
    pub id: String,
    pub kind: SubscriberMailKind,
    pub attempts: u32,
    pub subscriber: SubscriberRecord,
    /// For an update mail.
    pub update: Option<MailedUpdate>,
}

// ── The scheduler, batched checks and uptime rollups ─────────────────────────────────────────

/// The width of a check aggregate (UTC-aligned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupSpan {
    FiveMinutes,
    Hour,
    Day,
}

impl RollupSpan {
    /// Finest first.
    pub const ALL: [RollupSpan; 3] = [RollupSpan::FiveMinutes, RollupSpan::Hour, RollupSpan::Day];

    pub fn as_str(self) -> &'static str {
        match self {
            RollupSpan::FiveMinutes => "5m",
            RollupSpan::Hour => "hour",
            RollupSpan::Day => "day",
        }
    }

    pub fn width_ms(self) -> i64 {
        match self {
            RollupSpan::FiveMinutes => 300_000,
            RollupSpan::Hour => 3_600_000,
            RollupSpan::Day => 86_400_000,
        }
    }
}

/// A monitor's checks within one five minutes, hour or day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rollup {
    pub start: Timestamp,
    pub checks: u64,
    pub failures: u64,
    pub latency_sum_ms: u64,
    pub latency_max_ms: u64,
}

const DAY_S: u64 = 86_400;

/// How long each kind of check history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Raw check results (never before they were rolled up).
    pub keep_raw_checks: std::time::Duration,
    /// Five-minute aggregates.
    pub keep_five_minute_rollups: std::time::Duration,
    /// Per-hour aggregates.
    pub keep_hour_rollups: std::time::Duration,
    /// Per-day aggregates, and closed outages (the status page's daily bars and uptime).
    pub keep_day_rollups: std::time::Duration,
    /// How long after a minute ends its checks are rolled up: longer than any check takes plus
    /// the write batch's delay, so no result lands behind the roll-up.
    pub settle: std::time::Duration,
}

impl Retention {
    /// Five-minute aggregates: a week of latency at five-minute resolution.
    pub const FIVE_MINUTE_ROLLUPS: std::time::Duration = std::time::Duration::from_secs(7 * DAY_S);
    /// Per-hour aggregates: the monitors page's longest window (90 days).
    pub const HOUR_ROLLUPS: std::time::Duration = std::time::Duration::from_secs(90 * DAY_S);
    /// Per-day aggregates and closed outages: the 400 days of daily bars.
    pub const DAY_ROLLUPS: std::time::Duration = std::time::Duration::from_secs(400 * DAY_S);

    /// The engine's retention: raw results as configured (`engine.keep_raw_checks`), the
    /// aggregates and outages as the constants above say. One place, so the growth benchmark
    /// measures what the engine keeps.
    pub fn standard(
        keep_raw_checks: std::time::Duration,
        settle: std::time::Duration,
    ) -> Retention {
        Retention {
            keep_raw_checks,
            keep_five_minute_rollups: Self::FIVE_MINUTE_ROLLUPS,
            keep_hour_rollups: Self::HOUR_ROLLUPS,
            keep_day_rollups: Self::DAY_ROLLUPS,
            settle,
        }
    }
}

/// What one round of roll-up and pruning did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Housekeeping {
    /// Raw results folded into the aggregates.
    pub rolled_up: u64,
    pub pruned_checks: u64,
    pub pruned_rollups: u64,
    pub pruned_outages: u64,
}

// ── post-mortems ──

/// An incident's post-mortem as the store keeps it; its text lives in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostmortemRecord {
    pub incident_id: String,
    /// A plain file name inside `postmortem.dir`.
    pub file: String,
    pub due_at: Timestamp,
    /// `draft` or `published` (overdue is a draft past `due_at`, computed when shown).
    pub status: String,
    pub created_at: Timestamp,
    /// When the worker wrote the file (or found it already there).
    pub written_at: Option<Timestamp>,
}

/// Which changes to list: one service's (or all), one kind (or all), within `since..=until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeQuery {
    pub service: Option<String>,
    pub kind: Option<tocsin_core::inbound::ChangeKind>,
    pub since: Timestamp,
    pub until: Timestamp,
    pub limit: u32,
}

/// The monitors a replica holds after renewing its share (`DueWork::hold_monitors`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldMonitors {
    /// The id of every monitor it holds now.
    pub ids: Vec<String>,
    /// Those it just took from a replica that is gone (its lease ended and it has not said it
    /// is alive for a lease), rather than from one that let them go or stalled: a check the
    /// gone replica missed may be owed.
    pub lapsed: std::collections::HashSet<String>,
}

/// The message a chat app posted for an incident in one of its channels: what later notices
/// update in place and reply to in its thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub incident_id: String,
    /// The tocsin channel's id (`[[channel]] id`), or that id with a suffix for a second
    /// message of the same channel (the incident's own Slack channel: `<id>#incident`).
    pub channel: String,
    /// The chat's own id of where it was posted (Slack's channel id).
    pub conversation: String,
    /// The message's id there (Slack's `ts`).
    pub ts: String,
    pub posted_at: Timestamp,
}
