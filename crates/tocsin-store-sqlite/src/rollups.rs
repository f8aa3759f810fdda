//! Batched check results, outage intervals, and the roll-up of raw results into per-minute,
//! per-hour and per-day aggregates, with pruning by age so the database stays bounded.

use jiff::Timestamp;
use sqlx::Row;
use tocsin_core::uptime::{MonitorHistory, Outage};

use crate::SqliteStore;
use crate::rows::{self, ms, ts, ts_opt};
use tocsin_store::Result;
use tocsin_store::{CheckCommit, Housekeeping, Retention, Rollup, RollupSpan};

/// The settings row holding the end of what was rolled up (epoch ms, exclusive).
const WATERMARK: &str = "rollup_watermark_ms";
/// Raw results rolled up per transaction, at most: an hour of them.
const ROLLUP_STEP_MS: i64 = 3_600_000;
/// Rows deleted per transaction, so pruning never holds the writer for long.
const PRUNE_CHUNK: i64 = 10_000;

/// The writer's usual wait for a lock (as set when the store opens).
const BUSY_TIMEOUT_DEFAULT: &str = "PRAGMA busy_timeout = 10000";

fn duration_ms(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn floor_minute(millis: i64) -> i64 {
    millis.div_euclid(60_000) * 60_000
}

fn whole(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl SqliteStore {
    pub(super) async fn record_checks_sql(&self, checks: &[CheckCommit]) -> Result<()> {
        if checks.is_empty() {
            return Ok(());
        }
        let mut conn = self.writer.acquire().await?;
        // Nothing waits on a batch: when another writer holds the database, give up soon and
        // let the engine retry on its next flush instead of stalling the one writer connection.
        sqlx::query("PRAGMA busy_timeout = 1000")
            .execute(&mut *conn)
            .await?;
        let written = async {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            for check in checks {
                rows::record_check(&mut tx, check).await?;
            }
            tx.commit().await?;
            Ok::<(), tocsin_store::StoreError>(())
        }
        .await;
        sqlx::query(BUSY_TIMEOUT_DEFAULT)
            .execute(&mut *conn)
            .await?;
        written
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
        let outages = rows
            .iter()
            .map(|row| {
                Ok(Outage {
                    from: ts(row.try_get("down_from")?)?,
                    until: ts_opt(row.try_get("down_until")?)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
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
             WHERE monitor_id = ? AND span = ? AND start >= ? AND start < ? ORDER BY start",
        )
        .bind(monitor_id)
        .bind(span.as_str())
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Rollup {
                    start: ts(row.try_get("start")?)?,
                    checks: whole(row.try_get("checks")?),
                    failures: whole(row.try_get("failures")?),
                    latency_sum_ms: whole(row.try_get("latency_sum")?),
                    latency_max_ms: whole(row.try_get("latency_max")?),
                })
            })
            .collect()
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
                .fetch_optional(&self.writer)
                .await?;
        let mut watermark = match stored.and_then(|value| value.parse::<i64>().ok()) {
            Some(watermark) => watermark,
            None => {
                let oldest: Option<i64> = sqlx::query_scalar("SELECT min(at) FROM check_results")
                    .fetch_one(&self.writer)
                    .await?;
                oldest.map_or(settled, floor_minute)
            }
        };
        while watermark < settled {
            let end = settled.min(watermark.saturating_add(ROLLUP_STEP_MS));
            let mut tx = self.writer.begin().await?;
            let raw: i64 =
                sqlx::query_scalar("SELECT count(*) FROM check_results WHERE at >= ? AND at < ?")
                    .bind(watermark)
                    .bind(end)
                    .fetch_one(&mut *tx)
                    .await?;
            done.rolled_up = done.rolled_up.saturating_add(whole(raw));
            for span in RollupSpan::ALL {
                sqlx::query(
                    "INSERT INTO check_rollups (monitor_id, span, start, checks, failures, latency_sum, latency_max) \
                     SELECT monitor_id, ?1, (at / ?2) * ?2 AS bucket, count(*), sum(1 - ok), sum(latency_ms), max(latency_ms) \
                     FROM check_results WHERE at >= ?3 AND at < ?4 GROUP BY monitor_id, bucket \
                     ON CONFLICT (monitor_id, span, start) DO UPDATE SET \
                       checks = checks + excluded.checks, failures = failures + excluded.failures, \
                       latency_sum = latency_sum + excluded.latency_sum, \
                       latency_max = max(latency_max, excluded.latency_max)",
                )
                .bind(span.as_str())
                .bind(span.width_ms())
                .bind(watermark)
                .bind(end)
                .execute(&mut *tx)
                .await?;
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
                "DELETE FROM check_results WHERE seq IN (SELECT seq FROM check_results WHERE at < ?1 LIMIT ?2)",
                raw_cutoff,
            )
            .await?;
        let minute_cutoff = now.saturating_sub(duration_ms(retention.keep_minute_rollups));
        let long_cutoff = now.saturating_sub(duration_ms(retention.keep_rollups));
        done.pruned_rollups = self
            .prune(
                "DELETE FROM check_rollups WHERE (monitor_id, span, start) IN (SELECT monitor_id, span, start \
                 FROM check_rollups WHERE span = 'minute' AND start < ?1 LIMIT ?2)",
                minute_cutoff,
            )
            .await?;
        done.pruned_rollups = done.pruned_rollups.saturating_add(
            self.prune(
                "DELETE FROM check_rollups WHERE (monitor_id, span, start) IN (SELECT monitor_id, span, start \
                 FROM check_rollups WHERE span IN ('hour', 'day') AND start < ?1 LIMIT ?2)",
                long_cutoff,
            )
            .await?,
        );
        done.pruned_outages = self
            .prune(
                "DELETE FROM outages WHERE id IN (SELECT id FROM outages \
                 WHERE down_until IS NOT NULL AND down_until < ?1 LIMIT ?2)",
                long_cutoff,
            )
            .await?;
        Ok(done)
    }

    /// Runs a chunked delete (`?1` the cutoff, `?2` the chunk) until nothing is left to delete.
    async fn prune(&self, sql: &'static str, cutoff: i64) -> Result<u64> {
        let mut deleted = 0u64;
        loop {
            let done = sqlx::query(sql)
                .bind(cutoff)
                .bind(PRUNE_CHUNK)
                .execute(&self.writer)
                .await?
                .rows_affected();
            deleted = deleted.saturating_add(done);
            if done < u64::try_from(PRUNE_CHUNK).unwrap_or(u64::MAX) {
                return Ok(deleted);
            }
        }
    }
}
