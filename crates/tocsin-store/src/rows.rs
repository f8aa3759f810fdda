//! Row ↔ type mapping shared by every backend: times as epoch milliseconds, enums as their
//! names, JSON as text. A backend says how to read a column by name ([`Columns`]); what the
//! columns mean is said here once.

mod follow_up;
mod outbox;
mod people;
mod status_page;

pub use follow_up::*;
pub use outbox::*;
pub use people::*;
pub use status_page::*;

use jiff::Timestamp;
use sqlx::Row;
use tocsin_core::check::CheckOutcome;
use tocsin_core::inbound::{Change, ChangeKind};
use tocsin_core::incident::{
    Alert, AlertStatus, EventKind, Incident, IncidentState, TimelineEvent,
};
use tocsin_core::monitor::{MonitorState, MonitorStatus};
use tocsin_core::roles::Roles;
use tocsin_core::uptime::Outage;

use crate::history::whole;
use crate::{ChangeRecord, CheckRecord, Rollup};
use crate::{DeliveryRecord, DeliveryStatus, MonitorRecord, Result, StoreError};

/// A time as the columns keep it: epoch milliseconds.
pub fn ms(at: Timestamp) -> i64 {
    at.as_millisecond()
}

/// A time read back from its epoch milliseconds.
pub fn ts(millis: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(millis).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn ts_opt(millis: Option<i64>) -> Result<Option<Timestamp>> {
    millis.map(ts).transpose()
}

/// A stored count as the core's `u32` (a count past it reads as the largest).
pub fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// A stored name tocsin does not know: the row is not what tocsin wrote.
pub fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} `{value}`"))
}

/// A row's columns by name, whichever driver and backend read it: sqlx's SQLite and PostgreSQL
/// rows here, rusqlite's in the SQLite backend. Every mapping is written once against this, so
/// the two backends cannot read the same row two ways.
pub trait Columns {
    fn text(&self, name: &str) -> Result<String>;
    fn maybe_text(&self, name: &str) -> Result<Option<String>>;
    fn int(&self, name: &str) -> Result<i64>;
    fn maybe_int(&self, name: &str) -> Result<Option<i64>>;
}

/// sqlx reads a column by name the same way whichever database the row came from, so its
/// SQLite and PostgreSQL rows share one implementation.
macro_rules! sqlx_columns {
    ($row:ty) => {
        impl Columns for $row {
            fn text(&self, name: &str) -> Result<String> {
                Ok(self.try_get(name)?)
            }
            fn maybe_text(&self, name: &str) -> Result<Option<String>> {
                Ok(self.try_get(name)?)
            }
            fn int(&self, name: &str) -> Result<i64> {
                Ok(self.try_get(name)?)
            }
            fn maybe_int(&self, name: &str) -> Result<Option<i64>> {
                Ok(self.try_get(name)?)
            }
        }
    };
}

sqlx_columns!(sqlx::sqlite::SqliteRow);
sqlx_columns!(sqlx::postgres::PgRow);

pub fn incident(row: &(impl Columns + ?Sized)) -> Result<Incident> {
    let state = row.text("state")?;
    Ok(Incident {
        id: row.text("id")?,
        title: row.text("title")?,
        public_title: row.maybe_text("public_title")?,
        severity: row.text("severity")?,
        state: IncidentState::parse(&state).ok_or_else(|| corrupt("incident state", &state))?,
        category: row.maybe_text("category")?,
        component: row.maybe_text("component")?,
        summary: row.maybe_text("summary")?,
        runbook: row.maybe_text("runbook")?,
        source: row.text("source")?,
        opened_at: ts(row.int("opened_at")?)?,
        acknowledged_at: ts_opt(row.maybe_int("acknowledged_at")?)?,
        acknowledged_by: row.maybe_text("acknowledged_by")?,
        resolved_at: ts_opt(row.maybe_int("resolved_at")?)?,
        respond_by: ts(row.int("respond_by")?)?,
        alert_count: count(row.int("alert_count")?),
        escalation: row.maybe_text("escalation")?,
        escalation_step: count(row.int("escalation_step")?),
        escalation_round: count(row.int("escalation_round")?),
        escalation_due_at: ts_opt(row.maybe_int("escalation_due_at")?)?,
        escalation_ladder: count(row.int("escalation_ladder")?),
        roles: roles(&row.text("roles")?)?,
        merged_into: row.maybe_text("merged_into")?,
        snoozed_until: ts_opt(row.maybe_int("snoozed_until")?)?,
        held_by: row.maybe_text("held_by")?,
        route_escalation: row.maybe_text("route_escalation")?,
    })
}

/// An incident's roles as the `roles` column keeps them: JSON, `{}` while nobody holds one.
pub fn roles(text: &str) -> Result<Roles> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("incident roles: {e}")))
}

/// The `roles` column's text for an incident's roles.
pub fn roles_json(roles: &Roles) -> Result<String> {
    serde_json::to_string(roles).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn alert(row: &(impl Columns + ?Sized)) -> Result<Alert> {
    let status = row.text("status")?;
    Ok(Alert {
        id: row.text("id")?,
        incident_id: row.text("incident_id")?,
        dedup_key: row.text("dedup_key")?,
        source: row.text("source")?,
        status: AlertStatus::parse(&status).ok_or_else(|| corrupt("alert status", &status))?,
        summary: row.text("summary")?,
        first_seen: ts(row.int("first_seen")?)?,
        last_seen: ts(row.int("last_seen")?)?,
        resolved_at: ts_opt(row.maybe_int("resolved_at")?)?,
        count: count(row.int("count")?),
    })
}

pub fn event(row: &(impl Columns + ?Sized)) -> Result<TimelineEvent> {
    let kind = row.text("kind")?;
    let data = row.text("data")?;
    Ok(TimelineEvent {
        incident_id: row.text("incident_id")?,
        at: ts(row.int("at")?)?,
        kind: EventKind::parse(&kind).ok_or_else(|| corrupt("timeline kind", &kind))?,
        actor: row.text("actor")?,
        text: row.text("text")?,
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
    })
}

pub fn delivery(row: &(impl Columns + ?Sized)) -> Result<DeliveryRecord> {
    let status = row.text("status")?;
    Ok(DeliveryRecord {
        id: row.text("id")?,
        incident_id: row.maybe_text("incident_id")?,
        channel: row.text("channel")?,
        recipient: row.maybe_text("recipient")?,
        status: match status.as_str() {
            "pending" => DeliveryStatus::Pending,
            "sent" => DeliveryStatus::Sent,
            "failed" => DeliveryStatus::Failed,
            other => return Err(corrupt("delivery status", other)),
        },
        attempts: count(row.int("attempts")?),
        last_error: row.maybe_text("last_error")?,
        created_at: ts(row.int("created_at")?)?,
        sent_at: ts_opt(row.maybe_int("sent_at")?)?,
    })
}

pub fn monitor(row: &(impl Columns + ?Sized)) -> Result<MonitorRecord> {
    let status = row.text("status")?;
    Ok(MonitorRecord {
        id: row.text("id")?,
        next_check_at: ts(row.int("next_check_at")?)?,
        run_started_at: ts_opt(row.maybe_int("run_started_at")?)?,
        state: MonitorState {
            status: MonitorStatus::parse(&status)
                .ok_or_else(|| corrupt("monitor status", &status))?,
            since: ts_opt(row.maybe_int("since")?)?,
            failures: count(row.int("failures")?),
            failing_since: ts_opt(row.maybe_int("failing_since")?)?,
            last_check_at: ts_opt(row.maybe_int("last_check_at")?)?,
            last_latency_ms: row.maybe_int("last_latency_ms")?.map(whole),
            last_error: row.maybe_text("last_error")?,
        },
    })
}

pub fn check(row: &(impl Columns + ?Sized)) -> Result<CheckRecord> {
    let ok = row.int("ok")? != 0;
    // A passing check with an `error` is a degraded one: the column holds why (see `record_check`).
    let note = row.maybe_text("error")?;
    let (error, degraded) = if ok { (None, note) } else { (note, None) };
    Ok(CheckRecord {
        at: ts(row.int("at")?)?,
        outcome: CheckOutcome {
            ok,
            status: row.maybe_int("status")?.and_then(|v| u16::try_from(v).ok()),
            latency_ms: whole(row.int("latency_ms")?),
            error,
            degraded,
        },
    })
}

pub fn change(row: &(impl Columns + ?Sized)) -> Result<ChangeRecord> {
    let kind = row.text("kind")?;
    let details = row.text("details")?;
    Ok(ChangeRecord {
        seq: row.int("seq")?,
        received_at: ts(row.int("received_at")?)?,
        change: Change {
            source: row.text("source")?,
            kind: ChangeKind::parse(&kind).ok_or_else(|| corrupt("change kind", &kind))?,
            external_id: row.maybe_text("external_id")?,
            summary: row.text("summary")?,
            service: row.maybe_text("service")?,
            environment: row.maybe_text("environment")?,
            commit: row.maybe_text("commit_sha")?,
            branch: row.maybe_text("branch")?,
            author: row.maybe_text("author")?,
            status: row.maybe_text("status")?,
            url: row.maybe_text("url")?,
            occurred_at: ts(row.int("occurred_at")?)?,
            details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
        },
    })
}

pub fn outage(row: &(impl Columns + ?Sized)) -> Result<Outage> {
    Ok(Outage {
        from: ts(row.int("down_from")?)?,
        until: ts_opt(row.maybe_int("down_until")?)?,
    })
}

pub fn rollup(row: &(impl Columns + ?Sized)) -> Result<Rollup> {
    Ok(Rollup {
        start: ts(row.int("start")?)?,
        checks: whole(row.int("checks")?),
        failures: whole(row.int("failures")?),
        latency_sum_ms: whole(row.int("latency_sum")?),
        latency_max_ms: whole(row.int("latency_max")?),
    })
}
