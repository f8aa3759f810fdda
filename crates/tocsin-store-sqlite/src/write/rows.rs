//! The rows a decision writes, as SQL for the writing connection: incidents, alerts, timeline
//! events, changes and check results.

use jiff::Timestamp;
use rusqlite::{Transaction, params};
use tocsin_core::inbound::Change;
use tocsin_core::incident::{Alert, Incident, TimelineEvent};
use tocsin_core::monitor::MonitorStatus;
use tocsin_store::plan::attempt_event;
use tocsin_store::{Attempt, CheckCommit, Result};

use super::failure;
use crate::rows::{attempt_columns, ms};

/// Runs one cached statement; the rows it changed.
pub(super) fn run(tx: &Transaction<'_>, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
    tx.prepare_cached(sql)
        .and_then(|mut statement| statement.execute(params))
        .map_err(failure)
}

pub(super) fn upsert_incident(tx: &Transaction<'_>, incident: &Incident) -> Result<()> {
    run(
        tx,
        "INSERT INTO incidents (id, title, severity, state, category, component, summary, runbook, source, \
           opened_at, acknowledged_at, acknowledged_by, resolved_at, respond_by, alert_count, \
           escalation, escalation_step, escalation_round, escalation_due_at, escalation_ladder, public_title, \
           roles, merged_into, snoozed_until, held_by, route_escalation) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, public_title = excluded.public_title, \
           severity = excluded.severity, \
           state = excluded.state, category = excluded.category, component = excluded.component, \
           summary = excluded.summary, runbook = excluded.runbook, acknowledged_at = excluded.acknowledged_at, \
           acknowledged_by = excluded.acknowledged_by, resolved_at = excluded.resolved_at, \
           respond_by = excluded.respond_by, alert_count = excluded.alert_count, escalation = excluded.escalation, \
           escalation_step = excluded.escalation_step, escalation_round = excluded.escalation_round, \
           escalation_due_at = excluded.escalation_due_at, escalation_ladder = excluded.escalation_ladder, \
           roles = excluded.roles, merged_into = excluded.merged_into, snoozed_until = excluded.snoozed_until, held_by = excluded.held_by, route_escalation = excluded.route_escalation",
        params![
            incident.id,
            incident.title,
            incident.severity,
            incident.state.as_str(),
            incident.category,
            incident.component,
            incident.summary,
            incident.runbook,
            incident.source,
            ms(incident.opened_at),
            incident.acknowledged_at.map(ms),
            incident.acknowledged_by,
            incident.resolved_at.map(ms),
            ms(incident.respond_by),
            i64::from(incident.alert_count),
            incident.escalation,
            i64::from(incident.escalation_step),
            i64::from(incident.escalation_round),
            incident.escalation_due_at.map(ms),
            i64::from(incident.escalation_ladder),
            incident.public_title,
            tocsin_store::rows::roles_json(&incident.roles)?,
            incident.merged_into,
            incident.snoozed_until.map(ms),
            incident.held_by,
            incident.route_escalation,
        ],
    )?;
    Ok(())
}

pub(super) fn upsert_alert(tx: &Transaction<'_>, alert: &Alert) -> Result<()> {
    run(
        tx,
        "INSERT INTO alerts (id, incident_id, dedup_key, source, status, summary, first_seen, last_seen, resolved_at, count) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, summary = excluded.summary, \
           last_seen = excluded.last_seen, resolved_at = excluded.resolved_at, count = excluded.count",
        params![
            alert.id,
            alert.incident_id,
            alert.dedup_key,
            alert.source,
            alert.status.as_str(),
            alert.summary,
            ms(alert.first_seen),
            ms(alert.last_seen),
            alert.resolved_at.map(ms),
            i64::from(alert.count),
        ],
    )?;
    Ok(())
}

/// Appends one event to an incident's timeline.
pub(crate) fn insert_event(tx: &Transaction<'_>, event: &TimelineEvent) -> Result<()> {
    run(
        tx,
        "INSERT INTO timeline_events (incident_id, at, kind, actor, text, data) VALUES (?, ?, ?, ?, ?, ?)",
        params![
            event.incident_id,
            ms(event.at),
            event.kind.as_str(),
            event.actor,
            event.text,
            event.data.to_string(),
        ],
    )?;
    Ok(())
}

pub(super) fn insert_change(
    tx: &Transaction<'_>,
    change: &Change,
    received_at: Timestamp,
) -> Result<()> {
    run(
        tx,
        "INSERT INTO changes (source, kind, external_id, summary, service, environment, commit_sha, branch, \
           author, status, url, occurred_at, received_at, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            change.source,
            change.kind.as_str(),
            change.external_id,
            change.summary,
            change.service,
            change.environment,
            change.commit,
            change.branch,
            change.author,
            change.status,
            change.url,
            ms(change.occurred_at),
            ms(received_at),
            change.details.to_string(),
        ],
    )?;
    Ok(())
}

/// Writes one check: its result (when it has one) and the monitor's state after it.
pub(crate) fn record_check(tx: &Transaction<'_>, check: &CheckCommit) -> Result<()> {
    if let Some(outcome) = &check.outcome {
        let latency = i64::try_from(outcome.latency_ms).unwrap_or(i64::MAX);
        // Keyed by the monitor's integer key and the instant; `n` counts results of the same
        // monitor in the same millisecond (heartbeat pings can arrive together).
        let insert = || {
            run(
                tx,
                "INSERT INTO check_results (monitor, at, n, ok, status, latency_ms, error) \
                 SELECT m.key, ?2, coalesce((SELECT max(c.n) + 1 FROM check_results c \
                   WHERE c.monitor = m.key AND c.at = ?2), 0), ?3, ?4, ?5, ?6 \
                 FROM monitors m WHERE m.id = ?1",
                params![
                    check.monitor_id,
                    ms(check.at),
                    outcome.ok,
                    outcome.status.map(i64::from),
                    latency,
                    // One column for both: why a failed check failed, or why a passing one is degraded.
                    outcome.error.as_ref().or(outcome.degraded.as_ref()),
                ],
            )
        };
        if insert()? == 0 {
            // A result for a monitor never registered (the engine registers every monitor at
            // start): it gets an inactive row and a key, so its result is kept, not dropped.
            run(
                tx,
                "INSERT INTO monitors (id, active, status, next_check_at) VALUES (?, 0, 'pending', ?) \
                 ON CONFLICT (id) DO NOTHING",
                params![check.monitor_id, ms(check.next_check_at)],
            )?;
            insert()?;
        }
    }
    let state = &check.state;
    // Batched results may reach the disk after a newer state committed on its own (a change of
    // status commits at once): a state older than the stored one is not written back.
    let updated = run(
        tx,
        "UPDATE monitors SET status = ?1, since = ?2, failures = ?3, failing_since = ?4, last_check_at = ?5, \
           last_latency_ms = ?6, last_error = ?7, next_check_at = ?8, claimed_until = NULL, \
           first_check_at = coalesce(first_check_at, ?10) \
         WHERE id = ?9 AND (?5 IS NULL OR last_check_at IS NULL OR last_check_at <= ?5)",
        params![
            state.status.as_str(),
            state.since.map(ms),
            i64::from(state.failures),
            state.failing_since.map(ms),
            state.last_check_at.map(ms),
            state
                .last_latency_ms
                .map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
            state.last_error,
            ms(check.next_check_at),
            check.monitor_id,
            check.outcome.is_some().then(|| ms(check.at)),
        ],
    )?;
    if updated > 0 {
        sync_outage(tx, check)?;
    }
    if let Some(started) = check.run_started_at {
        run(
            tx,
            "UPDATE monitors SET run_started_at = ? WHERE id = ?",
            params![started.map(ms), check.monitor_id],
        )?;
    }
    Ok(())
}

/// Keeps the monitor's outage intervals in step with its state: down opens one (from the
/// outage's first failed check), anything else closes the open one (at the check that found it
/// answering). Both are idempotent, so any check may call it.
fn sync_outage(tx: &Transaction<'_>, check: &CheckCommit) -> Result<()> {
    let state = &check.state;
    let since = ms(state.since.unwrap_or(check.at));
    match state.status {
        MonitorStatus::Pending => {}
        MonitorStatus::Down => {
            run(
                tx,
                "INSERT INTO outages (monitor_id, down_from) SELECT ?1, ?2 \
                 WHERE NOT EXISTS (SELECT 1 FROM outages WHERE monitor_id = ?1 AND down_until IS NULL)",
                params![check.monitor_id, since],
            )?;
        }
        _ => {
            run(
                tx,
                "UPDATE outages SET down_until = max(down_from, ?2) WHERE monitor_id = ?1 AND down_until IS NULL",
                params![check.monitor_id, since],
            )?;
        }
    }
    Ok(())
}

/// Records one send attempt of a delivery and its outcome; the timeline says what a person
/// would want to know (a page sent, a page given up on). As on PostgreSQL, a failure reported by
/// `owner` after another owner claimed the delivery leaves it to that owner; a send is recorded
/// whoever reports it.
pub(crate) fn record_attempt(tx: &Transaction<'_>, attempt: &Attempt, owner: &str) -> Result<()> {
    let columns = attempt_columns(&attempt.outcome, attempt.at);
    run(
        tx,
        "INSERT INTO delivery_attempts (delivery_id, at, ok, http_status, error) VALUES (?, ?, ?, ?, ?)",
        params![
            attempt.delivery_id,
            ms(attempt.at),
            columns.ok,
            attempt.http_status.map(i64::from),
            columns.error,
        ],
    )?;
    let updated = run(
        tx,
        "UPDATE deliveries SET status = ?1, attempts = attempts + 1, claimed_until = NULL, last_error = ?2, \
         next_attempt_at = COALESCE(?3, next_attempt_at), sent_at = COALESCE(?4, sent_at) \
         WHERE id = ?5 AND status = 'pending' AND (?1 = 'sent' OR claimed_by IS NULL OR claimed_by = ?6)",
        params![
            columns.status,
            columns.error,
            columns.next_attempt_at,
            columns.sent_at,
            attempt.delivery_id,
            owner
        ],
    )?;
    // A delivery already finished (an outcome recorded twice) says nothing new.
    if updated > 0
        && let Some(event) = attempt_event(attempt)
    {
        insert_event(tx, &event)?;
    }
    Ok(())
}
