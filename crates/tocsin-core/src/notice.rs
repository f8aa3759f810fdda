//! A notice: what a channel is told about an incident. Stored in the outbox as data; each channel
//! renders it in its own format at delivery time.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::incident::Incident;

/// Why the channel is being told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeEvent {
    Opened,
    Acknowledged,
    Resolved,
    ResponseOverdue,
    PostmortemReminder,
    PostmortemOverdue,
    /// A runbook phase passed its deadline with items open; `actor` is the owner reminded.
    PhaseOverdue,
    /// An `update_every` promise is due; `actor` is the owner reminded.
    UpdateDue,
    /// Not about one incident: the weekly review digest (`incident_id` is the digest's id).
    ReviewDigest,
    /// The severity changed (`actor` changed it). Told only to channels that follow an incident
    /// in one message (`Policy::live_channels`), which redraw it.
    SeverityChanged,
    /// One line of the incident's timeline (`summary` is the line, `actor` who wrote it), for
    /// channels that follow an incident in one message: a reply in its thread.
    Timeline,
}

impl NoticeEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeEvent::Opened => "opened",
            NoticeEvent::Acknowledged => "acknowledged",
            NoticeEvent::Resolved => "resolved",
            NoticeEvent::ResponseOverdue => "response_overdue",
            NoticeEvent::PostmortemReminder => "postmortem_reminder",
            NoticeEvent::PostmortemOverdue => "postmortem_overdue",
            NoticeEvent::PhaseOverdue => "phase_overdue",
            NoticeEvent::UpdateDue => "update_due",
            NoticeEvent::ReviewDigest => "review_digest",
            NoticeEvent::SeverityChanged => "severity_changed",
            NoticeEvent::Timeline => "timeline",
        }
    }
}

/// Everything a channel needs to describe an incident, frozen at the moment of the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub event: NoticeEvent,
    pub incident_id: String,
    pub title: String,
    pub severity: String,
    pub category: Option<String>,
    pub component: Option<String>,
    pub summary: Option<String>,
    pub opened_at: Timestamp,
    pub runbook: Option<String>,
    /// Who caused this notice (the acknowledging person), if anyone.
    pub actor: Option<String>,
    /// What opened the incident (`monitor:<id>`, an integration…): the first message's card
    /// names the failing monitor from it without reading the incident back. Absent in
    /// deliveries queued before notices carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Notice {
    /// A notice of `event` about `incident`, with the incident's summary and no actor.
    pub fn about(incident: &Incident, event: NoticeEvent) -> Notice {
        Notice {
            event,
            incident_id: incident.id.clone(),
            title: incident.title.clone(),
            severity: incident.severity.clone(),
            category: incident.category.clone(),
            component: incident.component.clone(),
            summary: incident.summary.clone(),
            opened_at: incident.opened_at,
            runbook: incident.runbook.clone(),
            actor: None,
            source: Some(incident.source.clone()),
        }
    }
}

/// Links added at delivery time: the acknowledge link is signed and minted per delivery.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NoticeLinks {
    pub incident_url: String,
    /// Present while the incident can still be acknowledged.
    pub ack_url: Option<String>,
}

/// Why customers are told: each has its own template (`<id>`, `<id>-reopened`, `<id>-resolved`),
/// so a resolution or a reopening never resends the opening text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommsEvent {
    Opened,
    Reopened,
    Resolved,
}

impl CommsEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            CommsEvent::Opened => "opened",
            CommsEvent::Reopened => "reopened",
            CommsEvent::Resolved => "resolved",
        }
    }

    /// The template this event uses, from the channel's `template` (the opening one).
    pub fn template_id(self, opening: &str) -> String {
        match self {
            CommsEvent::Opened => opening.to_owned(),
            CommsEvent::Reopened => format!("{opening}-reopened"),
            CommsEvent::Resolved => format!("{opening}-resolved"),
        }
    }
}

/// One customer notice: decided by the core (which channel, which event, which template, draft
/// or not), its texts rendered by the shell from `template` in every locale that has one before
/// it is committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerComms {
    /// A fresh id (the draft's id in the API).
    pub id: String,
    pub incident_id: String,
    pub channel: String,
    pub event: CommsEvent,
    /// The template to render: the event's own (`CommsEvent::template_id`), known to exist.
    pub template: String,
    /// `subscribers` or `affected`: who the store addresses it to.
    pub audience: String,
    /// The locale used for a recipient whose own has no text.
    pub default_locale: String,
    /// Locale → text; empty as decided, filled in by the shell's rendering.
    pub texts: std::collections::BTreeMap<String, CustomerText>,
    /// Waits for a person's approval (`comms = "draft"`).
    pub draft: bool,
}

/// A customer notice's text in one locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerText {
    pub subject: String,
    pub body: String,
}
