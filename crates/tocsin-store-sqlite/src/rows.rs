//! Row ↔ type mapping for the SQLite store: times as epoch milliseconds, enums as their names.

use jiff::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use tocsin_core::check::CheckOutcome;
use tocsin_core::incident::{
    Alert, AlertStatus, EventKind, Incident, IncidentState, TimelineEvent,
};
use tocsin_core::monitor::{MonitorState, MonitorStatus};

use tocsin_core::inbound::{Change, ChangeKind};

use tocsin_store::{AttemptOutcome, ChangeRecord, CheckCommit, CheckRecord};
use tocsin_store::{DeliveryRecord, DeliveryStatus, MonitorRecord, Result, StoreError};

pub fn ms(at: Timestamp) -> i64 {
    at.as_millisecond()
}

pub fn ts(millis: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(millis).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn ts_opt(millis: Option<i64>) -> Result<Option<Timestamp>> {
    millis.map(ts).transpose()
}

fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} `{value}`"))
}

pub fn incident(row: &SqliteRow) -> Result<Incident> {
    let state: String = row.try_get("state")?;
    Ok(Incident {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        public_title: row.try_get("public_title")?,
        severity: row.try_get("severity")?,
        state: IncidentState::parse(&state).ok_or_else(|| corrupt("incident state", &state))?,
        category: row.try_get("category")?,
        component: row.try_get("component")?,
        summary: row.try_get("summary")?,
        runbook: row.try_get("runbook")?,
        source: row.try_get("source")?,
        opened_at: ts(row.try_get("opened_at")?)?,
        acknowledged_at: ts_opt(row.try_get("acknowledged_at")?)?,
        acknowledged_by: row.try_get("acknowledged_by")?,
        resolved_at: ts_opt(row.try_get("resolved_at")?)?,
        respond_by: ts(row.try_get("respond_by")?)?,
        alert_count: count(row.try_get("alert_count")?),
        escalation: row.try_get("escalation")?,
        escalation_step: count(row.try_get("escalation_step")?),
        escalation_round: count(row.try_get("escalation_round")?),
        escalation_due_at: ts_opt(row.try_get("escalation_due_at")?)?,
        escalation_ladder: count(row.try_get("escalation_ladder")?),
    })
}

pub fn alert(row: &SqliteRow) -> Result<Alert> {
    let status: String = row.try_get("status")?;
    Ok(Alert {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        dedup_key: row.try_get("dedup_key")?,
        source: row.try_get("source")?,
        status: AlertStatus::parse(&status).ok_or_else(|| corrupt("alert status", &status))?,
        summary: row.try_get("summary")?,
        first_seen: ts(row.try_get("first_seen")?)?,
        last_seen: ts(row.try_get("last_seen")?)?,
        resolved_at: ts_opt(row.try_get("resolved_at")?)?,
        count: count(row.try_get("count")?),
    })
}

pub fn event(row: &SqliteRow) -> Result<TimelineEvent> {
    let kind: String = row.try_get("kind")?;
    let data: String = row.try_get("data")?;
    Ok(TimelineEvent {
        incident_id: row.try_get("incident_id")?,
        at: ts(row.try_get("at")?)?,
        kind: EventKind::parse(&kind).ok_or_else(|| corrupt("timeline kind", &kind))?,
        actor: row.try_get("actor")?,
        text: row.try_get("text")?,
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
    })
}

pub fn delivery(row: &SqliteRow) -> Result<DeliveryRecord> {
    let status: String = row.try_get("status")?;
    Ok(DeliveryRecord {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        channel: row.try_get("channel")?,
        recipient: row.try_get("recipient")?,
        status: match status.as_str() {
            "pending" => DeliveryStatus::Pending,
            "sent" => DeliveryStatus::Sent,
            "failed" => DeliveryStatus::Failed,
            other => return Err(corrupt("delivery status", other)),
        },
        attempts: count(row.try_get("attempts")?),
        last_error: row.try_get("last_error")?,
        created_at: ts(row.try_get("created_at")?)?,
        sent_at: ts_opt(row.try_get("sent_at")?)?,
    })
}

pub fn monitor(row: &SqliteRow) -> Result<MonitorRecord> {
    let status: String = row.try_get("status")?;
    Ok(MonitorRecord {
        id: row.try_get("id")?,
        next_check_at: ts(row.try_get("next_check_at")?)?,
        run_started_at: ts_opt(row.try_get("run_started_at")?)?,
        state: MonitorState {
            status: MonitorStatus::parse(&status)
                .ok_or_else(|| corrupt("monitor status", &status))?,
            since: ts_opt(row.try_get("since")?)?,
            failures: count(row.try_get("failures")?),
            failing_since: ts_opt(row.try_get("failing_since")?)?,
            last_check_at: ts_opt(row.try_get("last_check_at")?)?,
            last_latency_ms: row
                .try_get::<Option<i64>, _>("last_latency_ms")?
                .map(|v| u64::try_from(v).unwrap_or(0)),
            last_error: row.try_get("last_error")?,
        },
    })
}

pub fn check(row: &SqliteRow) -> Result<CheckRecord> {
    let ok: bool = row.try_get("ok")?;
    // A passing check with an `error` is a degraded one: the column holds why (see `record_check`).
    let note: Option<String> = row.try_get("error")?;
    let (error, degraded) = if ok { (None, note) } else { (note, None) };
    Ok(CheckRecord {
        at: ts(row.try_get("at")?)?,
        outcome: CheckOutcome {
            ok,
            status: row
                .try_get::<Option<i64>, _>("status")?
                .and_then(|v| u16::try_from(v).ok()),
            latency_ms: u64::try_from(row.try_get::<i64, _>("latency_ms")?).unwrap_or(0),
            error,
            degraded,
        },
    })
}

pub async fn upsert_incident(tx: &mut Transaction<'_, Sqlite>, incident: &Incident) -> Result<()> {
    sqlx::query(
        "INSERT INTO incidents (id, title, severity, state, category, component, summary, runbook, source, \
           opened_at, acknowledged_at, acknowledged_by, resolved_at, respond_by, alert_count, \
           escalation, escalation_step, escalation_round, escalation_due_at, escalation_ladder, public_title) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, public_title = excluded.public_title, \
           severity = excluded.severity, \
           state = excluded.state, category = excluded.category, component = excluded.component, \
           summary = excluded.summary, runbook = excluded.runbook, acknowledged_at = excluded.acknowledged_at, \
           acknowledged_by = excluded.acknowledged_by, resolved_at = excluded.resolved_at, \
           respond_by = excluded.respond_by, alert_count = excluded.alert_count, escalation = excluded.escalation, \
           escalation_step = excluded.escalation_step, escalation_round = excluded.escalation_round, \
           escalation_due_at = excluded.escalation_due_at, escalation_ladder = excluded.escalation_ladder",
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn upsert_alert(tx: &mut Transaction<'_, Sqlite>, alert: &Alert) -> Result<()> {
    sqlx::query(
        "INSERT INTO alerts (id, incident_id, dedup_key, source, status, summary, first_seen, last_seen, resolved_at, count) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn record_check(tx: &mut Transaction<'_, Sqlite>, check: &CheckCommit) -> Result<()> {
    if let Some(outcome) = &check.outcome {
        let latency = i64::try_from(outcome.latency_ms).unwrap_or(i64::MAX);
        // Keyed by the monitor's integer key and the instant; `n` counts results of the same
        // monitor in the same millisecond (heartbeat pings can arrive together).
        let insert = || {
            sqlx::query(
                "INSERT INTO check_results (monitor, at, n, ok, status, latency_ms, error) \
                 SELECT m.key, ?2, coalesce((SELECT max(c.n) + 1 FROM check_results c \
                   WHERE c.monitor = m.key AND c.at = ?2), 0), ?3, ?4, ?5, ?6 \
                 FROM monitors m WHERE m.id = ?1",
            )
            .bind(&check.monitor_id)
            .bind(ms(check.at))
            .bind(outcome.ok)
            .bind(outcome.status.map(i64::from))
            .bind(latency)
            // One column for both: why a failed check failed, or why a passing one is degraded.
            .bind(outcome.error.as_ref().or(outcome.degraded.as_ref()))
        };
        if insert().execute(&mut **tx).await?.rows_affected() == 0 {
            // A result for a monitor never registered (the engine registers every monitor at
            // start): it gets an inactive row and a key, so its result is kept, not dropped.
            sqlx::query(
                "INSERT INTO monitors (id, active, status, next_check_at) VALUES (?, 0, 'pending', ?) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&check.monitor_id)
            .bind(ms(check.next_check_at))
            .execute(&mut **tx)
            .await?;
            insert().execute(&mut **tx).await?;
        }
    }
    let state = &check.state;
    // Batched results may reach the disk after a newer state committed on its own (a change of
    // status commits at once): a state older than the stored one is not written back.
    let updated = sqlx::query(
        "UPDATE monitors SET status = ?1, since = ?2, failures = ?3, failing_since = ?4, last_check_at = ?5, \
           last_latency_ms = ?6, last_error = ?7, next_check_at = ?8, claimed_until = NULL, \
           first_check_at = coalesce(first_check_at, ?10) \
         WHERE id = ?9 AND (?5 IS NULL OR last_check_at IS NULL OR last_check_at <= ?5)",
    )
    .bind(state.status.as_str())
    .bind(state.since.map(ms))
    .bind(i64::from(state.failures))
    .bind(state.failing_since.map(ms))
    .bind(state.last_check_at.map(ms))
    .bind(state.last_latency_ms.map(|v| i64::try_from(v).unwrap_or(i64::MAX)))
    .bind(&state.last_error)
    .bind(ms(check.next_check_at))
    .bind(&check.monitor_id)
    .bind(check.outcome.is_some().then(|| ms(check.at)))
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() > 0 {
        sync_outage(tx, check).await?;
    }
    if let Some(started) = check.run_started_at {
        sqlx::query("UPDATE monitors SET run_started_at = ? WHERE id = ?")
            .bind(started.map(ms))
            .bind(&check.monitor_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Keeps the monitor's outage intervals in step with its state: down opens one (from the
/// outage's first failed check), anything else closes the open one (at the check that found it
/// answering). Both are idempotent, so any check may call it.
async fn sync_outage(tx: &mut Transaction<'_, Sqlite>, check: &CheckCommit) -> Result<()> {
    let state = &check.state;
    let since = ms(state.since.unwrap_or(check.at));
    match state.status {
        MonitorStatus::Pending => {}
        MonitorStatus::Down => {
            sqlx::query(
                "INSERT INTO outages (monitor_id, down_from) SELECT ?1, ?2 \
                 WHERE NOT EXISTS (SELECT 1 FROM outages WHERE monitor_id = ?1 AND down_until IS NULL)",
            )
            .bind(&check.monitor_id)
            .bind(since)
            .execute(&mut **tx)
            .await?;
        }
        _ => {
            sqlx::query(
                "UPDATE outages SET down_until = max(down_from, ?2) WHERE monitor_id = ?1 AND down_until IS NULL",
            )
            .bind(&check.monitor_id)
            .bind(since)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

pub fn change(row: &SqliteRow) -> Result<ChangeRecord> {
    let kind: String = row.try_get("kind")?;
    let details: String = row.try_get("details")?;
    Ok(ChangeRecord {
        seq: row.try_get("seq")?,
        received_at: ts(row.try_get("received_at")?)?,
        change: Change {
            source: row.try_get("source")?,
            kind: ChangeKind::parse(&kind).ok_or_else(|| corrupt("change kind", &kind))?,
            external_id: row.try_get("external_id")?,
            summary: row.try_get("summary")?,
            service: row.try_get("service")?,
            environment: row.try_get("environment")?,
            commit: row.try_get("commit_sha")?,
            branch: row.try_get("branch")?,
            author: row.try_get("author")?,
            status: row.try_get("status")?,
            url: row.try_get("url")?,
            occurred_at: ts(row.try_get("occurred_at")?)?,
            details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
        },
    })
}

pub async fn insert_change(
    tx: &mut Transaction<'_, Sqlite>,
    change: &Change,
    received_at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO changes (source, kind, external_id, summary, service, environment, commit_sha, branch, \
           author, status, url, occurred_at, received_at, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records one send attempt of a mail outbox row (subscriber mail, customer notices) with
/// `statement`, that outbox's `UPDATE … WHERE id = ? AND status = 'pending'`: sent, retried later,
/// or failed for good.
pub(super) async fn record_mail_attempt(
    pool: &sqlx::SqlitePool,
    statement: &'static str,
    mail_id: &str,
    at: Timestamp,
    outcome: &AttemptOutcome,
) -> Result<()> {
    let (status, error, next, sent_at) = match outcome {
        AttemptOutcome::Sent => ("sent", None, None, Some(ms(at))),
        AttemptOutcome::Retry {
            error,
            next_attempt_at,
        } => ("pending", Some(error), Some(ms(*next_attempt_at)), None),
        AttemptOutcome::Failed { error } => ("failed", Some(error), None, None),
    };
    sqlx::query(statement)
        .bind(status)
        .bind(error)
        .bind(next)
        .bind(sent_at)
        .bind(mail_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Appends one event to an incident's timeline.
pub async fn insert_event(tx: &mut Transaction<'_, Sqlite>, event: &TimelineEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO timeline_events (incident_id, at, kind, actor, text, data) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&event.incident_id)
    .bind(ms(event.at))
    .bind(event.kind.as_str())
    .bind(&event.actor)
    .bind(&event.text)
    .bind(event.data.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
