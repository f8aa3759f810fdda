//! Incidents, their alerts and their timeline: the records the engine decides about.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::roles::Roles;

/// Where an incident is in its life. `reopened` is a timeline event, not a state: a reopened
/// incident is `triggered` again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IncidentState {
    Triggered,
    Acknowledged,
    Resolved,
}

impl IncidentState {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Triggered => "triggered",
            IncidentState::Acknowledged => "acknowledged",
            IncidentState::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "triggered" => Some(IncidentState::Triggered),
            "acknowledged" => Some(IncidentState::Acknowledged),
            "resolved" => Some(IncidentState::Resolved),
            _ => None,
        }
    }

    pub fn is_open(self) -> bool {
        self != IncidentState::Resolved
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    /// Internal: often an alert's own words. The public sees [`Incident::public_title`] or the
    /// title derived from the component and severity (`crate::public_title`).
    pub title: String,
    /// A title a person wrote for the public (declaring the incident, or setting it later);
    /// `None` while nobody has.
    pub public_title: Option<String>,
    pub severity: String,
    pub state: IncidentState,
    pub category: Option<String>,
    pub component: Option<String>,
    pub summary: Option<String>,
    pub runbook: Option<String>,
    /// What opened it: `monitor:<id>`, `integration:<id>` or `manual`.
    pub source: String,
    pub opened_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<Timestamp>,
    /// opened_at (or the last reopening / severity change) + the severity's respond_within.
    pub respond_by: Timestamp,
    pub alert_count: u32,
    /// The escalation policy paging for it; `None` when nobody is paged.
    pub escalation: Option<String>,
    /// The ladder's position: the step last paged (0-based) and the repeat round.
    pub escalation_step: u32,
    pub escalation_round: u32,
    /// When the next step runs, while the ladder is moving.
    pub escalation_due_at: Option<Timestamp>,
    /// How many ladders have started for this incident: a reopened incident starts a new one,
    /// whose pages must not be mistaken for the old one's.
    pub escalation_ladder: u32,
    /// Who holds its roles (commander, communications, scribe).
    #[serde(default)]
    pub roles: Roles,
    /// The incident this one was merged into: it ended then, and its alerts lead there.
    #[serde(default)]
    pub merged_into: Option<String>,
    /// Acknowledged and snoozed until then: reminders are held, and at that time, if still
    /// open, it is un-acknowledged and paged again.
    #[serde(default)]
    pub snoozed_until: Option<Timestamp>,
    /// What holds its pages back (`silence:<id>` or `incident:<id>`, see `noise::Hold`);
    /// `None` when it pages as its severity and route say. Kept after it resolves: the
    /// record shows it was silenced.
    #[serde(default)]
    pub held_by: Option<String>,
    /// The escalation policy a label route chose when it opened; `None` when no label route
    /// matched (its category's route applies).
    #[serde(default)]
    pub route_escalation: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AlertStatus {
    Firing,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "firing" => Some(AlertStatus::Firing),
            "resolved" => Some(AlertStatus::Resolved),
            _ => None,
        }
    }
}

/// One alert inside an incident: everything that arrived with the same dedup key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    pub incident_id: String,
    pub dedup_key: String,
    pub source: String,
    pub status: AlertStatus,
    pub summary: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub resolved_at: Option<Timestamp>,
    /// How many signals carried this key (repeats of a firing alert only count).
    pub count: u32,
}

/// The timeline's vocabulary (spec/API.md lists the kinds outside tools rely on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Opened,
    Alert,
    Notified,
    NotifyFailed,
    Acknowledged,
    Escalated,
    ResponseOverdue,
    SeverityChanged,
    Note,
    Update,
    Resolved,
    Reopened,
    PostmortemRequired,
    PostmortemReminder,
    PostmortemOverdue,
    PostmortemPublished,
    PhaseOverdue,
    ChecklistTicked,
    // ── mitigation actions and customer communications ──
    ActionRequested,
    ActionSucceeded,
    ActionFailed,
    CommsDrafted,
    CommsApproved,
    AffectedAdded,
    // ── update reminders ──
    UpdateDue,
    // ── public text ──
    PublicTitleSet,
    /// A customer notice was not sent, and why (no template for the event).
    CommsSkipped,
    // ── roles, merging, snoozing ──
    RoleAssigned,
    Merged,
    Snoozed,
    SnoozeEnded,
    // ── routing and noise ──
    /// A silence matched: recorded, nobody paged, no channel told.
    Silenced,
    /// An open incident of the most severe level on the component holds its pages back.
    Inhibited,
    // ── tickets ──
    TicketOpened,
    TicketClosed,
    TicketReopened,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Opened => "opened",
            EventKind::Alert => "alert",
            EventKind::Notified => "notified",
            EventKind::NotifyFailed => "notify_failed",
            EventKind::Acknowledged => "acknowledged",
            EventKind::Escalated => "escalated",
            EventKind::ResponseOverdue => "response_overdue",
            EventKind::SeverityChanged => "severity_changed",
            EventKind::Note => "note",
            EventKind::Update => "update",
            EventKind::Resolved => "resolved",
            EventKind::Reopened => "reopened",
            EventKind::PostmortemRequired => "postmortem_required",
            EventKind::PostmortemReminder => "postmortem_reminder",
            EventKind::PostmortemOverdue => "postmortem_overdue",
            EventKind::PostmortemPublished => "postmortem_published",
            EventKind::PhaseOverdue => "phase_overdue",
            EventKind::ChecklistTicked => "checklist_ticked",
            EventKind::ActionRequested => "action_requested",
            EventKind::ActionSucceeded => "action_succeeded",
            EventKind::ActionFailed => "action_failed",
            EventKind::CommsDrafted => "comms_drafted",
            EventKind::CommsApproved => "comms_approved",
            EventKind::AffectedAdded => "affected_added",
            EventKind::UpdateDue => "update_due",
            EventKind::PublicTitleSet => "public_title_set",
            EventKind::CommsSkipped => "comms_skipped",
            EventKind::RoleAssigned => "role_assigned",
            EventKind::Merged => "merged",
            EventKind::Snoozed => "snoozed",
            EventKind::SnoozeEnded => "snooze_ended",
            EventKind::Silenced => "silenced",
            EventKind::Inhibited => "inhibited",
            EventKind::TicketOpened => "ticket_opened",
            EventKind::TicketClosed => "ticket_closed",
            EventKind::TicketReopened => "ticket_reopened",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            EventKind::Opened,
            EventKind::Alert,
            EventKind::Notified,
            EventKind::NotifyFailed,
            EventKind::Acknowledged,
            EventKind::Escalated,
            EventKind::ResponseOverdue,
            EventKind::SeverityChanged,
            EventKind::Note,
            EventKind::Update,
            EventKind::Resolved,
            EventKind::Reopened,
            EventKind::PostmortemRequired,
            EventKind::PostmortemReminder,
            EventKind::PostmortemOverdue,
            EventKind::PostmortemPublished,
            EventKind::PhaseOverdue,
            EventKind::ChecklistTicked,
            EventKind::ActionRequested,
            EventKind::ActionSucceeded,
            EventKind::ActionFailed,
            EventKind::CommsDrafted,
            EventKind::CommsApproved,
            EventKind::AffectedAdded,
            EventKind::UpdateDue,
            EventKind::PublicTitleSet,
            EventKind::CommsSkipped,
            EventKind::RoleAssigned,
            EventKind::Merged,
            EventKind::Snoozed,
            EventKind::SnoozeEnded,
            EventKind::Silenced,
            EventKind::Inhibited,
            EventKind::TicketOpened,
            EventKind::TicketClosed,
            EventKind::TicketReopened,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// One line of an incident's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub incident_id: String,
    pub at: Timestamp,
    pub kind: EventKind,
    /// Who did it: a person's name, `tocsin` for the engine, `monitor:<id>` for a probe.
    pub actor: String,
    pub text: String,
    pub data: serde_json::Value,
}
