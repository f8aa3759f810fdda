//! Batched check results, outage intervals, and the roll-up of raw results into five-minute,
//! per-hour and per-day aggregates, with pruning by age so the database stays bounded.
//!
//! Raw results and aggregates are keyed by (monitor key, time) with no other index: the roll-up
//! and the pruning walk the monitors and seek each one's key range (`CROSS JOIN` keeps SQLite
//! from choosing to scan the results instead).

use jiff::Timestamp;
use tocsin_core::uptime::MonitorHistory;

use crate::SqliteStore;
use crate::rows::{self, ms, ts_opt};
use tocsin_store::Result;
use tocsin_store::history::{
    ROLLUP_STEP_MS, WATERMARK, duration_ms, floor_minute, span_column, whole,
};
use tocsin_store::{CheckCommit, Housekeeping, Retention, Rollup, RollupSpan};

/// Rows deleted per transaction, so pruning never holds the writer for long.
const PRUNE_CHUNK: i64 = 10_000;

/// How long a batch of check results waits for another process's write lock before giving up
/// (the engine keeps the batch and retries on its next flush).
const BATCH_PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

impl SqliteStore {
    pub(super) async fn record_checks_sql(&self, checks: &[CheckCommit]) -> Result<()> {
        if checks.is_empty() {
            return Ok(());
        }
        // Nothing waits on a batch: when another writer holds the database, give up soon and
        // let the engine retry on its next flush instead of stalling the one writing connection.
        self.write
            .write_patiently(BATCH_PATIENCE, |tx| {
                checks
                    .iter()
                    .try_for_each(|check| crate::write::record_check(tx, check))
            })
            .await
    }

    pub(super) async fn monitor_history_sql(
        &self,
        monitor_id: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<MonitorHistory> {
        let since: Option<Option<i64>> =
            sqlx::query_scalar("SELECT first_check_at FROM monitors WHERE id = ?")
                .bind(monitor_id)
                .fetch_optional(&self.reader)
                .await?;
        let rows = sqlx::query(
            "SELECT down_from, down_until FROM outages WHERE monitor_id = ?1 AND down_from < ?3 \
             AND (down_until IS NULL OR down_until > ?2) ORDER BY down_from",
        )
        .bind(monitor_id)
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.reader)
        .await?;
        let outages = rows.iter().map(rows::outage).collect::<Result<Vec<_>>>()?;
        Ok(MonitorHistory {
            monitored_since: ts_opt(since.flatten())?,
            outages,
        })
    }

    pub(super) async fn rollups_sql(
        &self,
        monitor_id: &str,
        span: RollupSpan,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Rollup>> {
        let rows = sqlx::query(
            "SELECT start, checks, failures, latency_sum, latency_max FROM check_rollups \
             WHERE monitor = (SELECT key FROM monitors WHERE id = ?) AND span = ? \
             AND start >= ? AND start < ? ORDER BY start",
        )
        .bind(monitor_id)
        .bind(span_column(span))
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(rows::rollup).collect()
    }

    pub(super) async fn roll_up_and_prune_sql(
        &self,
        now: Timestamp,
        retention: &Retention,
    ) -> Result<Housekeeping> {
        let mut done = Housekeeping::default();
        let now = ms(now);
        let settled = floor_minute(now.saturating_sub(duration_ms(retention.settle)));
        let stored: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
                .bind(WATERMARK)
                .fetch_optional(&*self.writer.turn().await)
                .await?;
        let mut watermark = match stored.and_then(|value| value.parse::<i64>().ok()) {
            Some(watermark) => watermark,
            None => {
                // Nothing was rolled up yet, so nothing was pruned: the first check of any
                // monitor is the oldest result (read from the small table, not a scan of the
                // results, which have no index by time).
                let oldest: Option<i64> =
                    sqlx::query_scalar("SELECT min(first_check_at) FROM monitors")
                        .fetch_one(&*self.writer.turn().await)
                        .await?;
                oldest.map_or(settled, floor_minute)
            }
        };
        while watermark < settled {
            // The oldest result not rolled up yet (one seek per monitor): a stretch without any
            // (tocsin was stopped, or nothing is checked) is skipped in one step, not an hour at
            // a time.
            let next: Option<i64> = sqlx::query_scalar(
                "SELECT min((SELECT c.at FROM check_results c WHERE c.monitor = m.key \
                   AND c.at >= ?1 AND c.at < ?2 ORDER BY c.at LIMIT 1)) FROM monitors m",
            )
            .bind(watermark)
            .bind(settled)
            .fetch_one(&*self.writer.turn().await)
            .await?;
            let start = next.map_or(settled, |at| floor_minute(at).max(watermark));
            let end = settled.min(start.saturating_add(ROLLUP_STEP_MS));
            let turn = self.writer.turn().await;
            let mut tx = turn.begin().await?;
            // Each monitor's results of [start, end): one seek into its key range.
            let raw: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM monitors m CROSS JOIN check_results c \
                 ON c.monitor = m.key AND c.at >= ?1 AND c.at < ?2",
            )
            .bind(start)
            .bind(end)
            .fetch_one(&mut *tx)
            .await?;
            done.rolled_up = done.rolled_up.saturating_add(whole(raw));
            if raw > 0 {
                for span in RollupSpan::ALL {
                    sqlx::query(
                        "INSERT INTO check_rollups (monitor, span, start, checks, failures, latency_sum, latency_max) \
                         SELECT c.monitor, ?1, (c.at / ?2) * ?2 AS bucket, count(*), sum(1 - c.ok), \
                           sum(c.latency_ms), max(c.latency_ms) \
                         FROM monitors m CROSS JOIN check_results c ON c.monitor = m.key \
                         WHERE c.at >= ?3 AND c.at < ?4 GROUP BY c.monitor, bucket \
                         ON CONFLICT (monitor, span, start) DO UPDATE SET \
                           checks = checks + excluded.checks, failures = failures + excluded.failures, \
                           latency_sum = latency_sum + excluded.latency_sum, \
                           latency_max = max(latency_max, excluded.latency_max)",
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
                "INSERT INTO settings (name, value) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )
            .bind(WATERMARK)
            .bind(end.to_string())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            watermark = end;
        }
        // Raw results go only once they are in the aggregates.
        let raw_cutoff = now
            .saturating_sub(duration_ms(retention.keep_raw_checks))
            .min(watermark);
        done.pruned_checks = self
            .prune(
                "DELETE FROM check_results WHERE (monitor, at, n) IN (SELECT c.monitor, c.at, c.n \
                 FROM monitors m CROSS JOIN check_results c ON c.monitor = m.key AND c.at < ?1 LIMIT ?2)",
                raw_cutoff,
                None,
            )
            .await?;
        for (span, keep) in [
            (RollupSpan::FiveMinutes, retention.keep_five_minute_rollups),
            (RollupSpan::Hour, retention.keep_hour_rollups),
            (RollupSpan::Day, retention.keep_day_rollups),
        ] {
            let pruned = self
                .prune(
                    "DELETE FROM check_rollups WHERE (monitor, span, start) IN (SELECT r.monitor, r.span, r.start \
                     FROM monitors m CROSS JOIN check_rollups r ON r.monitor = m.key AND r.span = ?3 AND r.start < ?1 \
                     LIMIT ?2)",
                    now.saturating_sub(duration_ms(keep)),
                    Some(span_column(span)),
                )
                .await?;
            done.pruned_rollups = done.pruned_rollups.saturating_add(pruned);
        }
        done.pruned_outages = self
            .prune(
                "DELETE FROM outages WHERE id IN (SELECT id FROM outages \
                 WHERE down_until IS NOT NULL AND down_until < ?1 LIMIT ?2)",
                now.saturating_sub(duration_ms(retention.keep_day_rollups)),
                None,
            )
            .await?;
        Ok(done)
    }

    /// Runs a chunked delete (`?1` the cutoff, `?2` the chunk, `?3` the span if any) until
    /// nothing is left to delete.
    async fn prune(&self, sql: &'static str, cutoff: i64, span: Option<i64>) -> Result<u64> {
        let mut deleted = 0u64;
        loop {
            let mut query = sqlx::query(sql).bind(cutoff).bind(PRUNE_CHUNK);
            if let Some(span) = span {
                query = query.bind(span);
            }
            let done = query
                .execute(&*self.writer.turn().await)
                .await?
                .rows_affected();
            deleted = deleted.saturating_add(done);
            if done < u64::try_from(PRUNE_CHUNK).unwrap_or(u64::MAX) {
                return Ok(deleted);
            }
        }
    }
}
