//! JSON in and out: a body extractor whose rejections use the API's error shape, and the wire
//! forms of the core's records.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tocsin_core::incident::{Alert, Incident, TimelineEvent};
use tocsin_store::DeliveryRecord;

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

/// An incident; `public_title` is what the public sees (in the default locale), and
/// `public_title_written` says whether a person wrote it or tocsin derived it.
pub fn incident(incident: &Incident, public_title: &str) -> Value {
    json!({
        "id": incident.id,
        "title": incident.title,
        "public_title": public_title,
        "public_title_written": incident.public_title.is_some(),
        "severity": incident.severity,
        "state": incident.state.as_str(),
        "category": incident.category,
        "component": incident.component,
        "summary": incident.summary,
        "runbook": incident.runbook,
        "source": incident.source,
        "opened_at": incident.opened_at,
        "acknowledged_at": incident.acknowledged_at,
        "acknowledged_by": incident.acknowledged_by,
        "resolved_at": incident.resolved_at,
        "respond_by": incident.respond_by,
        "alert_count": incident.alert_count,
        "escalation": incident.escalation,
        "escalation_step": incident.escalation.as_ref().map(|_| incident.escalation_step + 1),
        "escalation_due_at": incident.escalation_due_at,
        "paging": incident.escalation_due_at.is_some(),
    })
}

pub fn alert(alert: &Alert) -> Value {
    json!({
        "id": alert.id,
        "dedup_key": alert.dedup_key,
        "source": alert.source,
        "status": alert.status.as_str(),
        "summary": alert.summary,
        "first_seen": alert.first_seen,
        "last_seen": alert.last_seen,
        "resolved_at": alert.resolved_at,
        "count": alert.count,
    })
}

pub fn event(event: &TimelineEvent) -> Value {
    json!({
        "at": event.at,
        "kind": event.kind.as_str(),
        "actor": event.actor,
        "text": event.text,
        "data": event.data,
    })
}

pub fn delivery(delivery: &DeliveryRecord) -> Value {
    json!({
        "id": delivery.id,
        "incident": delivery.incident_id,
        "channel": delivery.channel,
        "recipient": delivery.recipient,
        "status": delivery.status.as_str(),
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "sent_at": delivery.sent_at,
    })
}
