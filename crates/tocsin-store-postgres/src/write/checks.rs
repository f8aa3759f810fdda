//! A check's result and the monitor state it led to, written inside a transaction.

use sqlx::PgConnection;
use tocsin_core::check::CheckOutcome;
use tocsin_core::monitor::MonitorStatus;
use tocsin_store::rows::ms;
use tocsin_store::{CheckCommit, Result};

/// Records one check: its raw result, the monitor's new state and its outage interval.
pub(crate) async fn record_check(tx: &mut PgConnection, check: &CheckCommit) -> Result<()> {
    if let Some(outcome) = &check.outcome {
        insert_result(tx, check, outcome).await?;
    }
    let state = &check.state;
    // Batched results may reach the database after a newer state committed on its own (a change
    // of status commits at once): a state older than the stored one is not written back.
    let updated = sqlx::query(
        "UPDATE monitors SET status = $1, since = $2, failures = $3, failing_since = $4, \
           last_check_at = $5, last_latency_ms = $6, last_error = $7, next_check_at = $8, \
           claimed_until = NULL, first_check_at = coalesce(first_check_at, $10) \
         WHERE id = $9 AND ($5 IS NULL OR last_check_at IS NULL OR last_check_at <= $5)",
    )
    .bind(state.status.as_str())
    .bind(state.since.map(ms))
    .bind(i64::from(state.failures))
    .bind(state.failing_since.map(ms))
    .bind(state.last_check_at.map(ms))
    .bind(
        state
            .last_latency_ms
            .map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
    )
    .bind(&state.last_error)
    .bind(ms(check.next_check_at))
    .bind(&check.monitor_id)
    .bind(check.outcome.is_some().then(|| ms(check.at)))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated > 0 {
        sync_outage(tx, check).await?;
    }
    if let Some(started) = check.run_started_at {
        sqlx::query("UPDATE monitors SET run_started_at = $1 WHERE id = $2")
            .bind(started.map(ms))
            .bind(&check.monitor_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Inserts the check's raw result, keyed by the monitor's integer key and the instant; `n`
/// counts results of the same monitor in the same millisecond (heartbeat pings can arrive
/// together).
async fn insert_result(
    tx: &mut PgConnection,
    check: &CheckCommit,
    outcome: &CheckOutcome,
) -> Result<()> {
    let key = lock_monitor(tx, check).await?;
    sqlx::query(
        "INSERT INTO check_results (monitor, at, n, ok, status, latency_ms, error) \
         VALUES ($1, $2, coalesce((SELECT max(c.n) + 1 FROM check_results c \
           WHERE c.monitor = $1 AND c.at = $2), 0), $3, $4, $5, $6)",
    )
    .bind(key)
    .bind(ms(check.at))
    .bind(i64::from(outcome.ok))
    .bind(outcome.status.map(i64::from))
    .bind(i64::try_from(outcome.latency_ms).unwrap_or(i64::MAX))
    // One column for both: why a failed check failed, or why a passing one is degraded.
    .bind(outcome.error.as_ref().or(outcome.degraded.as_ref()))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The monitor's key, its row locked until the transaction ends. The lock makes two replicas
/// recording checks of one monitor take turns, so the second reads the first's `n` (a fresh
/// snapshot per statement) instead of colliding on the same key; the state update below would
/// take the same lock anyway.
async fn lock_monitor(tx: &mut PgConnection, check: &CheckCommit) -> Result<i64> {
    const LOCK: &str = "SELECT key FROM monitors WHERE id = $1 FOR UPDATE";
    let key: Option<i64> = sqlx::query_scalar(LOCK)
        .bind(&check.monitor_id)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(key) = key {
        return Ok(key);
    }
    // A result for a monitor never registered (the engine registers every monitor at start):
    // it gets an inactive row and a key, so its result is kept, not dropped.
    sqlx::query(
        "INSERT INTO monitors (id, active, status, next_check_at) VALUES ($1, 0, 'pending', $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&check.monitor_id)
    .bind(ms(check.next_check_at))
    .execute(&mut *tx)
    .await?;
    Ok(sqlx::query_scalar(LOCK)
        .bind(&check.monitor_id)
        .fetch_one(&mut *tx)
        .await?)
}

/// Keeps the monitor's outage intervals in step with its state: down opens one (from the
/// outage's first failed check), anything else closes the open one (at the check that found it
/// answering). Both are idempotent, so any check may call it.
async fn sync_outage(tx: &mut PgConnection, check: &CheckCommit) -> Result<()> {
    let state = &check.state;
    let since = ms(state.since.unwrap_or(check.at));
    let sql = match state.status {
        MonitorStatus::Pending => return Ok(()),
        // At most one open outage per monitor (the `outages_open` index).
        MonitorStatus::Down => {
            "INSERT INTO outages (monitor_id, down_from) VALUES ($1, $2) \
             ON CONFLICT (monitor_id) WHERE down_until IS NULL DO NOTHING"
        }
        MonitorStatus::Up | MonitorStatus::Degraded => {
            "UPDATE outages SET down_until = GREATEST(down_from, $2) \
             WHERE monitor_id = $1 AND down_until IS NULL"
        }
    };
    sqlx::query(sql)
        .bind(&check.monitor_id)
        .bind(since)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
