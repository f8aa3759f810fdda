//! Outage intervals, and the roll-up of raw results into five-minute, per-hour and per-day
//! aggregates, with pruning by age so the database stays bounded.
//!
//! Raw results and aggregates are keyed by (monitor key, time) with no other index: the roll-up
//! and the pruning join from the monitors so each one's key range is a seek.

use jiff::Timestamp;
use sqlx::{PgConnection, PgPool};
use tocsin_core::uptime::MonitorHistory;
use tocsin_store::history::{
    ROLLUP_STEP_MS, WATERMARK, duration_ms, floor_minute, span_column, whole,
};
use tocsin_store::rows::{self, ms, ts_opt};
use tocsin_store::{Housekeeping, Result, Retention, Rollup, RollupSpan};

use super::{ROLLUP_TURN, take_turn};

/// Rows deleted per transaction, so pruning never holds locks for long.
const PRUNE_CHUNK: i64 = 10_000;

/// The roll-up watermark, if anything was rolled up yet.
pub(super) async fn read_watermark(conn: &mut PgConnection) -> Result<Option<i64>> {
    let stored: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
        .bind(WATERMARK)
        .fetch_optional(conn)
        .await?;
    Ok(stored.and_then(|value| value.parse::<i64>().ok()))
}

pub(super) async fn monitor_history(
    pool: &PgPool,
    monitor_id: &str,
    from: Timestamp,
    to: Timestamp,
) -> Result<MonitorHistory> {
    let since: Option<Option<i64>> =
        sqlx::query_scalar("SELECT first_check_at FROM monitors WHERE id = $1")
            .bind(monitor_id)
            .fetch_optional(pool)
            .await?;
    let rows = sqlx::query(
        "SELECT down_from, down_until FROM outages WHERE monitor_id = $1 AND down_from < $3 \
         AND (down_until IS NULL OR down_until > $2) ORDER BY down_from",
    )
    .bind(monitor_id)
    .bind(ms(from))
    .bind(ms(to))
    .fetch_all(pool)
    .await?;
    let outages = rows.iter().map(rows::outage).collect::<Result<Vec<_>>>()?;
    Ok(MonitorHistory {
        monitored_since: ts_opt(since.flatten())?,
        outages,
    })
}

pub(super) async fn rollups(
    pool: &PgPool,
    monitor_id: &str,
    span: RollupSpan,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Rollup>> {
    let rows = sqlx::query(
        "SELECT start, checks, failures, latency_sum, latency_max FROM check_rollups \
         WHERE monitor = (SELECT key FROM monitors WHERE id = $1) AND span = $2 \
         AND start >= $3 AND start < $4 ORDER BY start",
    )
    .bind(monitor_id)
    .bind(span_column(span))
    .bind(ms(from))
    .bind(ms(to))
    .fetch_all(pool)
    .await?;
    rows.iter().map(rows::rollup).collect()
}

pub(super) async fn roll_up_and_prune(
    pool: &PgPool,
    now: Timestamp,
    retention: &Retention,
) -> Result<Housekeeping> {
    let mut done = Housekeeping::default();
    let now = ms(now);
    let settled = floor_minute(now.saturating_sub(duration_ms(retention.settle)));
    let watermark = loop {
        match roll_up_step(pool, settled).await? {
            Step::Rolled(raw) => done.rolled_up = done.rolled_up.saturating_add(raw),
            Step::Settled(watermark) => break watermark,
        }
    };
    // Raw results go only once they are in the aggregates.
    let raw_cutoff = now
        .saturating_sub(duration_ms(retention.keep_raw_checks))
        .min(watermark);
    done.pruned_checks = prune(
        pool,
        "DELETE FROM check_results WHERE (monitor, at, n) IN (SELECT c.monitor, c.at, c.n \
         FROM monitors m JOIN check_results c ON c.monitor = m.key AND c.at < $1 LIMIT $2)",
        raw_cutoff,
        None,
    )
    .await?;
    for (span, keep) in [
        (RollupSpan::FiveMinutes, retention.keep_five_minute_rollups),
        (RollupSpan::Hour, retention.keep_hour_rollups),
        (RollupSpan::Day, retention.keep_day_rollups),
    ] {
        let pruned = prune(
            pool,
            "DELETE FROM check_rollups WHERE (monitor, span, start) IN (SELECT r.monitor, r.span, r.start \
             FROM monitors m JOIN check_rollups r ON r.monitor = m.key AND r.span = $3 AND r.start < $1 \
             LIMIT $2)",
            now.saturating_sub(duration_ms(keep)),
            Some(span_column(span)),
        )
        .await?;
        done.pruned_rollups = done.pruned_rollups.saturating_add(pruned);
    }
    done.pruned_outages = prune(
        pool,
        "DELETE FROM outages WHERE id IN (SELECT id FROM outages \
         WHERE down_until IS NOT NULL AND down_until < $1 LIMIT $2)",
        now.saturating_sub(duration_ms(retention.keep_day_rollups)),
        None,
    )
    .await?;
    Ok(done)
}

/// What one step of the roll-up did.
enum Step {
    /// Folded this many raw results into the aggregates and moved the watermark on.
    Rolled(u64),
    /// Nothing left before `settled`: the watermark stands here.
    Settled(i64),
}

/// Rolls up at most an hour of raw results from the watermark on, in one transaction. Replicas
/// take turns (an advisory lock) and each reads the watermark after its turn began, so two
/// housekeeping at once never fold a result twice.
async fn roll_up_step(pool: &PgPool, settled: i64) -> Result<Step> {
    let mut tx = pool.begin().await?;
    take_turn(&mut tx, ROLLUP_TURN).await?;
    let watermark = match read_watermark(&mut tx).await? {
        Some(watermark) => watermark,
        None => {
            // Nothing was rolled up yet, so nothing was pruned: the first check of any monitor
            // is the oldest result (read from the small table, not a scan of the results,
            // which have no index by time).
            let oldest: Option<i64> =
                sqlx::query_scalar("SELECT min(first_check_at) FROM monitors")
                    .fetch_one(&mut *tx)
                    .await?;
            oldest.map_or(settled, floor_minute)
        }
    };
    if watermark >= settled {
        tx.commit().await?;
        return Ok(Step::Settled(watermark));
    }
    // The oldest result not rolled up yet (one seek per monitor): a stretch without any
    // (tocsin was stopped, or nothing is checked) is skipped in one step, not an hour at a time.
    let next: Option<i64> = sqlx::query_scalar(
        "SELECT min((SELECT c.at FROM check_results c WHERE c.monitor = m.key \
           AND c.at >= $1 AND c.at < $2 ORDER BY c.at LIMIT 1)) FROM monitors m",
    )
    .bind(watermark)
    .bind(settled)
    .fetch_one(&mut *tx)
    .await?;
    let start = next.map_or(settled, |at| floor_minute(at).max(watermark));
    let end = settled.min(start.saturating_add(ROLLUP_STEP_MS));
    // Each monitor's results of [start, end): one seek into its key range.
    let raw: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM monitors m JOIN check_results c \
         ON c.monitor = m.key AND c.at >= $1 AND c.at < $2",
    )
    .bind(start)
    .bind(end)
    .fetch_one(&mut *tx)
    .await?;
    if raw > 0 {
        for span in RollupSpan::ALL {
            sqlx::query(
                "INSERT INTO check_rollups (monitor, span, start, checks, failures, latency_sum, latency_max) \
                 SELECT c.monitor, $1, (c.at / $2) * $2 AS bucket, count(*), sum(1 - c.ok)::BIGINT, \
                   sum(c.latency_ms)::BIGINT, max(c.latency_ms) \
                 FROM monitors m JOIN check_results c ON c.monitor = m.key \
                 WHERE c.at >= $3 AND c.at < $4 GROUP BY c.monitor, bucket \
                 ON CONFLICT (monitor, span, start) DO UPDATE SET \
                   checks = check_rollups.checks + excluded.checks, \
                   failures = check_rollups.failures + excluded.failures, \
                   latency_sum = check_rollups.latency_sum + excluded.latency_sum, \
                   latency_max = GREATEST(check_rollups.latency_max, excluded.latency_max)",
            )
            .bind(span_column(span))
            .bind(span.width_ms())
            .bind(start)
            .bind(end)
            .execute(&mut *tx)
            .await?;
        }
    }
    sqlx::query(
        "INSERT INTO settings (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(WATERMARK)
    .bind(end.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Step::Rolled(whole(raw)))
}

/// Runs a chunked delete (`$1` the cutoff, `$2` the chunk, `$3` the span if any) until nothing
/// is left to delete. A replica pruning at the same time only makes a chunk come up short.
async fn prune(pool: &PgPool, sql: &'static str, cutoff: i64, span: Option<i64>) -> Result<u64> {
    let mut deleted = 0u64;
    loop {
        let mut query = sqlx::query(sql).bind(cutoff).bind(PRUNE_CHUNK);
        if let Some(span) = span {
            query = query.bind(span);
        }
        let done = query.execute(pool).await?.rows_affected();
        deleted = deleted.saturating_add(done);
        if done < u64::try_from(PRUNE_CHUNK).unwrap_or(u64::MAX) {
            return Ok(deleted);
        }
    }
}
