//! The records the store takes and gives, beyond the core's own types.

use jiff::Timestamp;
use tocsin_core::check::CheckOutcome;
use tocsin_core::decide::Decision;
use tocsin_core::inbound::Change;
use tocsin_core::incident::IncidentState;
use tocsin_core::monitor::MonitorState;
use tocsin_core::notice::Notice;
use tocsin_core::signal::Signal;

/// One transaction's worth of change.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    pub now: Timestamp,
    pub decision: Decision,
    /// The accepted signal, kept as received.
    pub signal: Option<Signal>,
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
    /// The incident with this id.
    Incident(String),
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

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub state: Option<StateFilter>,
    pub severity: Option<String>,
    pub limit: u32,
    /// Only incidents with an id before this one (ids sort by creation time).
    pub before: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    Open,
    Resolved,
    Is(IncidentState),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorRecord {
    pub id: String,
    pub state: MonitorState,
    pub next_check_at: Timestamp,
    /// A heartbeat job's `/start` ping not yet followed by its finish.
    pub run_started_at: Option<Timestamp>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// A delivery as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: String,
    pub incident_id: Option<String>,
    pub channel: String,
    pub recipient: Option<String>,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
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

/// Someone else on call for a while: `[starts_at, ends_at)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideRecord {
    pub id: String,
    pub schedule: String,
    pub contact: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub created_by: String,
    pub created_at: Timestamp,
}
