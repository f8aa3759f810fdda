//! JSON in and out: a body extractor whose rejections use the API's error shape, and the wire
//! forms of the core's records.

use axum::extract::{FromRequest, Request};
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tocsin_core::delivery::DeliveryRecord;
use tocsin_core::incident::{
    Alert as CoreAlert, AlertStatus, Incident as CoreIncident, IncidentState,
    TimelineEvent as CoreEvent,
};
use tocsin_core::roles::Person;
use utoipa::ToSchema;

use crate::ApiError;

/// Like `axum::Json`, but a bad body answers `{"error": …}` saying what was wrong.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

/// An incident as every API answer shows it (spec/API.md "`Incident` has at least").
#[derive(Debug, Serialize, ToSchema)]
pub struct Incident {
    pub id: String,
    /// The incident's own title (from the alert): internal, for the team.
    pub title: String,
    /// What the public sees (status page, feeds, customer mail), in the default locale.
    pub public_title: String,
    /// Whether a person wrote `public_title` (otherwise tocsin derived it from the component and
    /// the severity).
    pub public_title_written: bool,
    pub severity: String,
    pub state: IncidentState,
    pub category: Option<String>,
    pub component: Option<String>,
    pub summary: Option<String>,
    /// The id of the runbook that matched it.
    pub runbook: Option<String>,
    /// Where it came from: `monitor:<id>`, an integration id, or `api` for a declared one.
    pub source: String,
    pub opened_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<Timestamp>,
    /// `opened_at` plus the severity's `respond_within`.
    pub respond_by: Timestamp,
    pub alert_count: u32,
    /// The escalation policy paging for it.
    pub escalation: Option<String>,
    /// The step being paged, from 1; `null` without an escalation policy.
    pub escalation_step: Option<u32>,
    /// When the next step is paged unless someone acknowledges.
    pub escalation_due_at: Option<Timestamp>,
    /// Whether a next step is still due.
    pub paging: bool,
    /// Who holds its roles (`null` where nobody does): each `{id, name, kind}`, `id` a tocsin
    /// user's e-mail (`kind: user`) or a contact's id (`kind: contact`).
    pub roles: Roles,
    /// The incident this one was merged into (it ended then); `null` otherwise.
    pub merged_into: Option<String>,
    /// While an acknowledged incident is snoozed: when the snooze ends.
    pub snoozed_until: Option<Timestamp>,
    /// What held its pages back (`silence:<id>`, or `incident:<id>`: an open incident of the
    /// most severe level on its component); `null` when it paged as usual (docs/routing.md).
    pub held_by: Option<String>,
}

/// An incident's roles.
#[derive(Debug, Serialize, ToSchema)]
pub struct Roles {
    pub commander: Option<Person>,
    pub communications: Option<Person>,
    pub scribe: Option<Person>,
}

pub fn incident(incident: &CoreIncident, public_title: &str) -> Incident {
    Incident {
        id: incident.id.clone(),
        title: incident.title.clone(),
        public_title: public_title.to_owned(),
        public_title_written: incident.public_title.is_some(),
        severity: incident.severity.clone(),
        state: incident.state,
        category: incident.category.clone(),
        component: incident.component.clone(),
        summary: incident.summary.clone(),
        runbook: incident.runbook.clone(),
        source: incident.source.clone(),
        opened_at: incident.opened_at,
        acknowledged_at: incident.acknowledged_at,
        acknowledged_by: incident.acknowledged_by.clone(),
        resolved_at: incident.resolved_at,
        respond_by: incident.respond_by,
        alert_count: incident.alert_count,
        escalation: incident.escalation.clone(),
        escalation_step: incident
            .escalation
            .as_ref()
            .map(|_| incident.escalation_step + 1),
        escalation_due_at: incident.escalation_due_at,
        paging: incident.escalation_due_at.is_some(),
        roles: Roles {
            commander: incident.roles.commander.clone(),
            communications: incident.roles.communications.clone(),
            scribe: incident.roles.scribe.clone(),
        },
        merged_into: incident.merged_into.clone(),
        snoozed_until: incident.snoozed_until,
        held_by: incident.held_by.clone(),
    }
}

/// Everything that arrived with one dedup key.
#[derive(Debug, Serialize, ToSchema)]
pub struct Alert {
    pub id: String,
    pub dedup_key: String,
    pub source: String,
    pub status: AlertStatus,
    pub summary: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub resolved_at: Option<Timestamp>,
    /// How many times it arrived.
    pub count: u32,
}

pub fn alert(alert: &CoreAlert) -> Alert {
    Alert {
        id: alert.id.clone(),
        dedup_key: alert.dedup_key.clone(),
        source: alert.source.clone(),
        status: alert.status,
        summary: alert.summary.clone(),
        first_seen: alert.first_seen,
        last_seen: alert.last_seen,
        resolved_at: alert.resolved_at,
        count: alert.count,
    }
}

/// One line of an incident's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    /// The incident it belongs to: another one's id in the timeline of an incident that had it
    /// merged in.
    pub incident: String,
    pub at: Timestamp,
    /// `opened`, `alert`, `notified`, `acknowledged`, `escalated`, `response_overdue`,
    /// `severity_changed`, `note`, `update`, `resolved`, `reopened`, `postmortem_required`, …
    /// (spec/API.md lists them all).
    pub kind: &'static str,
    /// Who did it: a person, `tocsin` for the engine, `monitor:<id>` for a probe.
    pub actor: String,
    pub text: String,
    /// The kind's own details.
    pub data: Value,
}

pub fn event(event: &CoreEvent) -> TimelineEvent {
    TimelineEvent {
        incident: event.incident_id.clone(),
        at: event.at,
        kind: event.kind.as_str(),
        actor: event.actor.clone(),
        text: event.text.clone(),
        data: event.data.clone(),
    }
}

/// One notification to one channel or person.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: String,
    /// The incident it is about, if any.
    pub incident: Option<String>,
    pub channel: String,
    pub recipient: Option<String>,
    /// `pending`, `sent` or `failed`.
    pub status: &'static str,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

pub fn delivery(delivery: &DeliveryRecord) -> Delivery {
    Delivery {
        id: delivery.id.clone(),
        incident: delivery.incident_id.clone(),
        channel: delivery.channel.clone(),
        recipient: delivery.recipient.clone(),
        status: delivery.status.as_str(),
        attempts: delivery.attempts,
        last_error: delivery.last_error.clone(),
        created_at: delivery.created_at,
        sent_at: delivery.sent_at,
    }
}
