//! MonitorStore on PostgreSQL: the active monitors, their check results, roll-ups and history.

mod history;
mod rollups;

use std::collections::BTreeMap;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::PgConnection;
use tocsin_store::rows::ms;
use tocsin_store::*;

use crate::PgStore;
use crate::write::checks::record_check;

/// Advisory lock keys of the jobs replicas take turns at ("tocsin" and a number).
const SYNC_TURN: i64 = 0x746f_6373_696e_0101;
const ROLLUP_TURN: i64 = 0x746f_6373_696e_0102;

/// How long a batch of check results waits for a row another replica has locked before giving
/// up (the engine keeps the batch and retries on its next flush).
const BATCH_PATIENCE: &str = "SET LOCAL lock_timeout = '1s'";

/// Waits for this transaction's turn at `job`: a transaction-scoped advisory lock, released at
/// its commit or rollback, so replicas doing the same job run one after another.
async fn take_turn(tx: &mut PgConnection, job: i64) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(job)
        .execute(tx)
        .await?;
    Ok(())
}

#[async_trait]
impl MonitorStore for PgStore {
    async fn sync_monitors(&self, monitors: &[(String, Timestamp)]) -> Result<()> {
        // One row per id, the first `first_due` given winning (as inserting them one by one
        // would), in id order.
        let mut wanted: BTreeMap<&str, i64> = BTreeMap::new();
        for (id, first_due) in monitors {
            wanted.entry(id.as_str()).or_insert(ms(*first_due));
        }
        let ids: Vec<&str> = wanted.keys().copied().collect();
        let first_dues: Vec<i64> = wanted.values().copied().collect();
        let mut tx = self.pool().begin().await?;
        // Replicas starting at once each sync their configuration; one after another, the
        // last one's is what stands (no interleaving of one's activation with another's).
        take_turn(&mut tx, SYNC_TURN).await?;
        sqlx::query(
            "INSERT INTO monitors (id, active, status, next_check_at) \
             SELECT id, 1, 'pending', first_due FROM unnest($1::TEXT[], $2::BIGINT[]) AS w (id, first_due) \
             ON CONFLICT (id) DO UPDATE SET active = 1",
        )
        .bind(&ids)
        .bind(&first_dues)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE monitors SET active = 0 WHERE active = 1 AND id <> ALL($1)")
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn monitors(&self) -> Result<Vec<MonitorRecord>> {
        // Byte order, as SQLite sorts, whatever the database's collation.
        sqlx::query(r#"SELECT * FROM monitors WHERE active = 1 ORDER BY id COLLATE "C""#)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(rows::monitor)
            .collect()
    }

    async fn monitor(&self, id: &str) -> Result<Option<MonitorRecord>> {
        sqlx::query("SELECT * FROM monitors WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(|row| rows::monitor(&row))
            .transpose()
    }

    async fn monitors_by_id(&self, ids: &[String]) -> Result<Vec<MonitorRecord>> {
        sqlx::query("SELECT * FROM monitors WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(rows::monitor)
            .collect()
    }

    async fn recent_checks(&self, monitor_id: &str, limit: u32) -> Result<Vec<CheckRecord>> {
        sqlx::query(
            "SELECT * FROM check_results WHERE monitor = (SELECT key FROM monitors WHERE id = $1) \
             ORDER BY at DESC, n DESC LIMIT $2",
        )
        .bind(monitor_id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(rows::check)
        .collect()
    }

    async fn check_counts(&self, monitor_id: &str, since: Timestamp) -> Result<CheckCounts> {
        history::check_counts(self.pool(), monitor_id, since).await
    }

    async fn latency_buckets(
        &self,
        monitor_id: &str,
        since: Timestamp,
        bucket: std::time::Duration,
    ) -> Result<Vec<LatencyBucket>> {
        history::latency_buckets(self.pool(), monitor_id, since, bucket).await
    }

    async fn daily_checks(
        &self,
        monitor_id: &str,
        day_starts: &[Timestamp],
    ) -> Result<Vec<DailyChecks>> {
        history::daily_checks(self.pool(), monitor_id, day_starts).await
    }

    async fn record_checks(&self, checks: &[CheckCommit]) -> Result<()> {
        if checks.is_empty() {
            return Ok(());
        }
        // Each check locks its monitor's row; taken in id order, two replicas' batches sharing
        // monitors wait for each other instead of deadlocking. The sort is stable: one
        // monitor's checks keep their order, and checks of different monitors are independent.
        let mut ordered: Vec<&CheckCommit> = checks.iter().collect();
        ordered.sort_by(|a, b| a.monitor_id.cmp(&b.monitor_id));
        let mut tx = self.pool().begin().await?;
        // Nothing waits on a batch: give up soon rather than stall behind another replica.
        sqlx::query(BATCH_PATIENCE).execute(&mut *tx).await?;
        for check in ordered {
            record_check(&mut tx, check).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn monitor_history(
        &self,
        monitor_id: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<tocsin_core::uptime::MonitorHistory> {
        rollups::monitor_history(self.pool(), monitor_id, from, to).await
    }

    async fn rollups(
        &self,
        monitor_id: &str,
        span: RollupSpan,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Rollup>> {
        rollups::rollups(self.pool(), monitor_id, span, from, to).await
    }

    async fn roll_up_and_prune(
        &self,
        now: Timestamp,
        retention: &Retention,
    ) -> Result<Housekeeping> {
        rollups::roll_up_and_prune(self.pool(), now, retention).await
    }

    async fn last_check(
        &self,
        monitor_id: &str,
        ok: bool,
        before: Timestamp,
    ) -> Result<Option<CheckRecord>> {
        sqlx::query(
            "SELECT * FROM check_results WHERE monitor = (SELECT key FROM monitors WHERE id = $1) \
             AND ok = $2 AND at <= $3 ORDER BY at DESC, n DESC LIMIT 1",
        )
        .bind(monitor_id)
        .bind(i64::from(ok))
        .bind(ms(before))
        .fetch_optional(self.pool())
        .await?
        .map(|row| rows::check(&row))
        .transpose()
    }
}
