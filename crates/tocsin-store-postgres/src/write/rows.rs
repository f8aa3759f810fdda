//! The rows a decision writes about its incident: the incident, its alerts, its timeline
//! events, and the changes (deploys, merges) recorded with it.

use jiff::Timestamp;
use sqlx::PgConnection;
use tocsin_core::inbound::Change;
use tocsin_core::incident::{Alert, Incident, TimelineEvent};
use tocsin_store::Result;
use tocsin_store::rows::ms;

/// Inserts the incident, or updates it to this state (all but its id, source and opening).
pub(super) async fn upsert_incident(tx: &mut PgConnection, incident: &Incident) -> Result<()> {
    sqlx::query(
        "INSERT INTO incidents (id, title, severity, state, category, component, summary, runbook, source, \
           opened_at, acknowledged_at, acknowledged_by, resolved_at, respond_by, alert_count, \
           escalation, escalation_step, escalation_round, escalation_due_at, escalation_ladder, public_title, \
           roles, merged_into, snoozed_until, held_by, route_escalation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
           $22, $23, $24, $25, $26) \
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, public_title = excluded.public_title, \
           severity = excluded.severity, \
           state = excluded.state, category = excluded.category, component = excluded.component, \
           summary = excluded.summary, runbook = excluded.runbook, acknowledged_at = excluded.acknowledged_at, \
           acknowledged_by = excluded.acknowledged_by, resolved_at = excluded.resolved_at, \
           respond_by = excluded.respond_by, alert_count = excluded.alert_count, escalation = excluded.escalation, \
           escalation_step = excluded.escalation_step, escalation_round = excluded.escalation_round, \
           escalation_due_at = excluded.escalation_due_at, escalation_ladder = excluded.escalation_ladder, \
           roles = excluded.roles, merged_into = excluded.merged_into, snoozed_until = excluded.snoozed_until, held_by = excluded.held_by, route_escalation = excluded.route_escalation",
    )
    .bind(&incident.id)
    .bind(&incident.title)
    .bind(&incident.severity)
    .bind(incident.state.as_str())
    .bind(&incident.category)
    .bind(&incident.component)
    .bind(&incident.summary)
    .bind(&incident.runbook)
    .bind(&incident.source)
    .bind(ms(incident.opened_at))
    .bind(incident.acknowledged_at.map(ms))
    .bind(&incident.acknowledged_by)
    .bind(incident.resolved_at.map(ms))
    .bind(ms(incident.respond_by))
    .bind(i64::from(incident.alert_count))
    .bind(&incident.escalation)
    .bind(i64::from(incident.escalation_step))
    .bind(i64::from(incident.escalation_round))
    .bind(incident.escalation_due_at.map(ms))
    .bind(i64::from(incident.escalation_ladder))
    .bind(&incident.public_title)
    .bind(tocsin_store::rows::roles_json(&incident.roles)?)
    .bind(&incident.merged_into)
    .bind(incident.snoozed_until.map(ms))
    .bind(&incident.held_by)
    .bind(&incident.route_escalation)
    .execute(tx)
    .await?;
    Ok(())
}

/// Inserts the alert, or updates what changes of it (status, summary, sightings).
pub(super) async fn upsert_alert(tx: &mut PgConnection, alert: &Alert) -> Result<()> {
    sqlx::query(
        "INSERT INTO alerts (id, incident_id, dedup_key, source, status, summary, first_seen, last_seen, resolved_at, count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, summary = excluded.summary, \
           last_seen = excluded.last_seen, resolved_at = excluded.resolved_at, count = excluded.count",
    )
    .bind(&alert.id)
    .bind(&alert.incident_id)
    .bind(&alert.dedup_key)
    .bind(&alert.source)
    .bind(alert.status.as_str())
    .bind(&alert.summary)
    .bind(ms(alert.first_seen))
    .bind(ms(alert.last_seen))
    .bind(alert.resolved_at.map(ms))
    .bind(i64::from(alert.count))
    .execute(tx)
    .await?;
    Ok(())
}

/// Appends one event to its incident's timeline.
pub(crate) async fn insert_event(tx: &mut PgConnection, event: &TimelineEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO timeline_events (incident_id, at, kind, actor, text, data) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&event.incident_id)
    .bind(ms(event.at))
    .bind(event.kind.as_str())
    .bind(&event.actor)
    .bind(&event.text)
    .bind(event.data.to_string())
    .execute(tx)
    .await?;
    Ok(())
}

/// Records a change (a deploy, a merge) as received at `received_at`.
pub(super) async fn insert_change(
    tx: &mut PgConnection,
    change: &Change,
    received_at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO changes (source, kind, external_id, summary, service, environment, commit_sha, branch, \
           author, status, url, occurred_at, received_at, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&change.source)
    .bind(change.kind.as_str())
    .bind(&change.external_id)
    .bind(&change.summary)
    .bind(&change.service)
    .bind(&change.environment)
    .bind(&change.commit)
    .bind(&change.branch)
    .bind(&change.author)
    .bind(&change.status)
    .bind(&change.url)
    .bind(ms(change.occurred_at))
    .bind(ms(received_at))
    .bind(change.details.to_string())
    .execute(tx)
    .await?;
    Ok(())
}
