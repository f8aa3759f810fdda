//! The types `decide` takes and returns: the situation an input is decided against, the input,
//! the values the shell provides (`Ctx`), and the decision with its effects. Data only: the rules
//! and the dispatcher import these, and these import no rule.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::incident::{Alert, Incident, TimelineEvent};
use crate::notice::Notice;
use crate::signal::Signal;

/// The state an input is decided against, loaded by the shell.
#[derive(Debug, Clone, Default)]
pub struct Situation {
    /// For a signal: the latest incident holding an alert with its dedup key. For a command or
    /// a timer: the incident it names.
    pub incident: Option<Incident>,
    pub alerts: Vec<Alert>,
    /// For a firing signal with no open incident of its own: an open incident of the same
    /// group (source, category, component) that received an alert within the grouping window.
    pub group: Option<Incident>,
    /// For a signal: whether any of the incident's alerts with OTHER keys is firing. The store
    /// loads only the signal's own alerts and asks whether one other fires (one index seek),
    /// never how many, so an incident holding a storm of 100,000 alerts costs the same to
    /// decide on as one holding one, when Alertmanager re-sends every alert of the group.
    pub others_firing: bool,
    /// For a command or a timer: the incident's checklist items' latest ticks, by item id.
    pub checklist: std::collections::BTreeMap<String, Tick>,
    /// For `Input::PageFailed`: the pages of the incident's ladder at its current step and
    /// round, as they stand.
    pub pages: Vec<PageState>,
    /// For a merge: the incident it merges into (the situation's `incident` is the one merged).
    pub target: Option<Incident>,
}

/// One page to a person, as it stands: whether the delivery worker gave up on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageState {
    pub contact: String,
    /// `email` or a channel id.
    pub method: String,
    /// Failed for good: no attempt left (or withdrawn).
    pub failed: bool,
    /// The last attempt's error, if any.
    pub error: Option<String>,
}

/// A person's or a timer's input; signals come from sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Signal(Signal),
    Declare(Declaration),
    Acknowledge {
        actor: String,
    },
    Resolve {
        actor: String,
    },
    Note {
        actor: String,
        text: String,
    },
    /// A status update; `public` ones appear on the status page and in its feed.
    Update {
        actor: String,
        text: String,
        public: bool,
    },
    ChangeSeverity {
        actor: String,
        severity: String,
    },
    /// A person gives the incident the title the public sees (status page, feeds, customer mail).
    SetPublicTitle {
        actor: String,
        title: String,
    },
    /// The response-target timer of the situation's incident fired.
    ResponseDue,
    /// The escalation timer set for `due_at` fired.
    EscalationDue {
        due_at: Timestamp,
    },
    /// A page to a person failed for good (the delivery worker has no attempt left); decided
    /// against the current step's pages in `Situation::pages`.
    PageFailed,
    // ── post-mortems ──
    /// A day before the post-mortem's deadline.
    PostmortemReminder,
    /// The post-mortem's deadline.
    PostmortemDue,
    /// A person marked the post-mortem done.
    PublishPostmortem {
        actor: String,
        /// The texts of its action items that have no ticket yet (read from the file by the
        /// shell): with `[tickets]`, each gets one.
        untracked_items: Vec<String>,
    },

    /// The runbook phase timer set for `due_at` fired.
    PhaseDue {
        due_at: Timestamp,
    },
    /// A person ticks (or unticks) a runbook checklist item.
    Tick {
        actor: String,
        item: String,
        done: bool,
    },
    // ── update reminders ──
    /// The `update_every` reminder set for `due_at` fired.
    UpdateDue {
        due_at: Timestamp,
    },
    // ── mitigation actions ──
    /// A person asked for an `[[action]]`; the shell rendered what will run (`what`), or found
    /// it cannot run (`refused`: the reason, recorded as a failed run and nothing sent).
    RequestAction(ActionRequest),
    /// An action's run ended; the shell ran it and feeds the result back.
    ActionFinished(Box<ActionResult>),
    // ── roles, merging, snoozing ──
    /// A person gives one of the incident's roles to someone (themself, for a take-over).
    AssignRole(RoleAssignment),
    /// A person merges the situation's incident into `into` (`situation.target`).
    Merge {
        actor: String,
        into: String,
    },
    /// A person snoozes the acknowledged incident until then.
    Snooze {
        actor: String,
        until: Timestamp,
    },
    /// The snooze set to end at `due_at` ended.
    SnoozeEnds {
        due_at: Timestamp,
    },
    // ── tickets ──
    /// The tracker opened the ticket (its number and page filled in by the shell).
    TicketOpened(Box<crate::ticket_record::Ticket>),
    /// The tracker says the ticket was closed (`closed`) or reopened.
    TicketChanged {
        ticket: Box<crate::ticket_record::Ticket>,
        closed: bool,
        actor: String,
    },
}

/// `Input::AssignRole`: the role by its name and the person as the caller named them; the shell
/// looked the person up (`person`, `None` when nobody has that e-mail or contact id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    pub actor: String,
    /// `commander`, `communications` or `scribe`.
    pub role: String,
    /// As the caller named them: a tocsin user's e-mail or a contact's id.
    pub user: String,
    pub person: Option<crate::roles::Person>,
}

/// `Input::RequestAction`: who asked for which action, and what the shell prepared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    pub actor: String,
    /// A fresh id for the run.
    pub run_id: String,
    pub action_id: String,
    /// The action's title, as the timeline says it.
    pub title: String,
    /// What will run: the argv as JSON or `METHOD url` (the templates as configured when
    /// nothing was rendered).
    pub what: String,
    /// Why it cannot run; `None` when it runs.
    pub refused: Option<String>,
}

/// `Input::ActionFinished`: how a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionResult {
    /// The run as it was requested (status `running`).
    pub run: crate::action_run::ActionRun,
    pub title: String,
    pub ok: bool,
    /// A command's exit status or a request's HTTP status.
    pub exit_status: Option<i64>,
    /// Output, truncated.
    pub output: String,
    /// One line for the timeline.
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub title: String,
    pub severity: String,
    pub category: Option<String>,
    pub component: Option<String>,
    pub summary: Option<String>,
    pub actor: String,
}

/// Values the shell provides so that the decision stays a pure function.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub now: Timestamp,
    /// A fresh id, used if the decision creates an incident.
    pub new_incident_id: String,
    /// A fresh id, used if the decision creates an alert.
    pub new_alert_id: String,
    /// Who is on call now, per schedule id (resolved by the shell from rotations and overrides).
    pub on_call: std::collections::BTreeMap<String, String>,
    /// A fresh id for the decision's customer notices: the n-th (from 1) is `<id>-<n>`.
    pub new_comms_id: String,
    /// The silences in force and the incidents holding their components (`noise`); shared by
    /// a batch's decisions.
    pub quiet: std::sync::Arc<crate::noise::Quiet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    ResponseDue,
    Escalate,
    PostmortemReminder,
    PostmortemDue,
    PhaseDue,
    UpdateDue,
    SnoozeEnds,
}

impl TimerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TimerKind::ResponseDue => "response_due",
            TimerKind::Escalate => "escalate",
            TimerKind::PostmortemReminder => "postmortem_reminder",
            TimerKind::PostmortemDue => "postmortem_due",
            TimerKind::PhaseDue => "phase_due",
            TimerKind::UpdateDue => "update_due",
            TimerKind::SnoozeEnds => "snooze_ends",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "response_due" => Some(TimerKind::ResponseDue),
            "escalate" => Some(TimerKind::Escalate),
            "postmortem_reminder" => Some(TimerKind::PostmortemReminder),
            "postmortem_due" => Some(TimerKind::PostmortemDue),
            "phase_due" => Some(TimerKind::PhaseDue),
            "update_due" => Some(TimerKind::UpdateDue),
            "snooze_ends" => Some(TimerKind::SnoozeEnds),
            _ => None,
        }
    }
}

/// What must happen outside the engine once the decision is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Notify {
        channel: String,
        notice: Notice,
    },
    SetTimer {
        kind: TimerKind,
        incident_id: String,
        due_at: Timestamp,
    },
    CancelTimers {
        kind: TimerKind,
        incident_id: String,
    },
    /// Page one person by one method; at most once per (incident, step, round, contact, method).
    Page {
        contact: String,
        method: String,
        /// Which of the incident's ladders: with the step and round, it names the page uniquely.
        ladder: u32,
        step: u32,
        round: u32,
        notice: Notice,
    },
    /// Withdraw pages to people not yet delivered (the incident was acknowledged or resolved).
    CancelPages {
        incident_id: String,
    },
    /// The incident's post-mortem: its row (file name inside `postmortem.dir`, deadline) is
    /// kept; the file is written by a worker after the commit.
    RequirePostmortem {
        incident_id: String,
        file: String,
        due_at: Timestamp,
    },
    /// The incident's post-mortem is done.
    PublishPostmortem {
        incident_id: String,
    },
    /// A notice to customers through a customer-facing channel: queued at once, or kept as a
    /// draft for a person to approve. Decided here; the shell renders its template's texts
    /// before the commit.
    CustomerComms(crate::notice::CustomerComms),
    /// A mitigation action's run, written as it is (inserted when requested, updated when it
    /// ends), with the decision's timeline event in the same transaction.
    RecordActionRun(crate::action_run::ActionRun),
    /// Another incident this decision changes, written as it is (a merge's target).
    WriteIncident(Box<Incident>),
    /// Every alert of `from` now belongs to `into` (a merge): later signals with their keys
    /// find `into`.
    MoveAlerts {
        from: String,
        into: String,
    },
    /// Opens a ticket: its row and a delivery on the `tickets` channel whose id is the
    /// ticket's, committed with the decision; the delivery worker asks the tracker.
    OpenTicket {
        ticket: Box<crate::ticket_record::Ticket>,
        notice: Notice,
    },
    /// Writes a ticket's row as it now is (opened, closed, reopened).
    RecordTicket(Box<crate::ticket_record::Ticket>),
}

/// The whole outcome of one input; empty when the input changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// The incident as it is after the input (inserted or updated).
    pub incident: Option<Incident>,
    /// Alerts inserted or updated.
    pub alerts: Vec<Alert>,
    /// Every alert of the incident still firing ends at this time (a resolve by hand): the
    /// store ends them in one statement, so resolving a storm of 100,000 alerts reads none.
    pub alerts_end_at: Option<Timestamp>,
    pub events: Vec<TimelineEvent>,
    pub effects: Vec<Effect>,
}

impl Decision {
    pub fn is_empty(&self) -> bool {
        self.incident.is_none()
            && self.alerts.is_empty()
            && self.alerts_end_at.is_none()
            && self.events.is_empty()
    }
}

/// Why an input was refused; nothing changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("unknown severity `{0}`")]
    UnknownSeverity(String),
    #[error("no such incident")]
    NoIncident,
    #[error("the incident is {state}; {action} is not possible")]
    State {
        state: &'static str,
        action: &'static str,
    },
    #[error("{0}")]
    Invalid(String),
    /// The state of something other than the incident itself forbids it (a merge's target).
    #[error("{0}")]
    Conflict(String),
}

/// Who is ticked, by whom and when: the state of one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tick {
    pub done: bool,
    pub by: String,
    pub at: Timestamp,
}
