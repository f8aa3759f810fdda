//! MonitorStore on PostgreSQL.

use async_trait::async_trait;
use jiff::Timestamp;
use tocsin_store::*;

use crate::PgStore;

#[async_trait]
impl MonitorStore for PgStore {
    async fn sync_monitors(&self, monitors: &[(String, Timestamp)]) -> Result<()> {
        todo!("sync_monitors on PostgreSQL")
    }

    async fn monitors(&self) -> Result<Vec<MonitorRecord>> {
        todo!("monitors on PostgreSQL")
    }

    async fn monitor(&self, id: &str) -> Result<Option<MonitorRecord>> {
        todo!("monitor on PostgreSQL")
    }

    async fn recent_checks(&self, monitor_id: &str, limit: u32) -> Result<Vec<CheckRecord>> {
        todo!("recent_checks on PostgreSQL")
    }

    async fn check_counts(&self, monitor_id: &str, since: Timestamp) -> Result<CheckCounts> {
        todo!("check_counts on PostgreSQL")
    }

    async fn latency_buckets(
        &self,
        monitor_id: &str,
        since: Timestamp,
        bucket: std::time::Duration,
    ) -> Result<Vec<LatencyBucket>> {
        todo!("latency_buckets on PostgreSQL")
    }

    async fn daily_checks(
        &self,
        monitor_id: &str,
        day_starts: &[Timestamp],
    ) -> Result<Vec<DailyChecks>> {
        todo!("daily_checks on PostgreSQL")
    }

    async fn record_checks(&self, checks: &[CheckCommit]) -> Result<()> {
        todo!("record_checks on PostgreSQL")
    }

    async fn monitor_history(
        &self,
        monitor_id: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<tocsin_core::uptime::MonitorHistory> {
        todo!("monitor_history on PostgreSQL")
    }

    async fn rollups(
        &self,
        monitor_id: &str,
        span: RollupSpan,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Rollup>> {
        todo!("rollups on PostgreSQL")
    }

    async fn roll_up_and_prune(
        &self,
        now: Timestamp,
        retention: &Retention,
    ) -> Result<Housekeeping> {
        todo!("roll_up_and_prune on PostgreSQL")
    }

    async fn last_check(
        &self,
        monitor_id: &str,
        ok: bool,
        before: Timestamp,
    ) -> Result<Option<CheckRecord>> {
        todo!("last_check on PostgreSQL")
    }
}
