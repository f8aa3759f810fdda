//! Monitors and checks: the active monitors, their results, roll-ups and history.

use async_trait::async_trait;
use jiff::Timestamp;

use crate::*;

/// Monitors and checks: the active monitors, their results, roll-ups and history.
#[async_trait]
pub trait MonitorStore: Send + Sync {
    /// Makes the configured monitors the active ones; new ones are first due at their `first_due`.
    async fn sync_monitors(&self, monitors: &[(String, Timestamp)]) -> Result<()>;

    async fn monitors(&self) -> Result<Vec<MonitorRecord>>;

    async fn monitor(&self, id: &str) -> Result<Option<MonitorRecord>>;

    /// The monitors with these ids (those that exist), in any order: what a group commit of
    /// heartbeat pings reads before folding them. A backend may answer in one query.
    async fn monitors_by_id(&self, ids: &[String]) -> Result<Vec<MonitorRecord>> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.extend(self.monitor(id).await?);
        }
        Ok(found)
    }

    async fn recent_checks(&self, monitor_id: &str, limit: u32) -> Result<Vec<CheckRecord>>;

    /// How many checks of a monitor ran at or after `since`, and how many passed. Checks already
    /// rolled up are counted from the aggregates (the coarsest that fits whole, finer ones at
    /// the window's start, raw results for what is left under five minutes), the rest from the
    /// raw results; checks past every retention no longer count.
    async fn check_counts(&self, monitor_id: &str, since: Timestamp) -> Result<CheckCounts>;

    /// A monitor's checks at or after `since`, in slices of `bucket` (empty slices left out).
    /// Checks already rolled up come from the coarsest aggregate whose width divides `bucket`,
    /// each aggregate counted in the slice its start falls in (so a slice's edges are exact to
    /// that width); with none (slices under five minutes) only the raw results answer.
    async fn latency_buckets(
        &self,
        monitor_id: &str,
        since: Timestamp,
        bucket: std::time::Duration,
    ) -> Result<Vec<LatencyBucket>>;

    /// A monitor's checks per day. `day_starts` are `n + 1` boundaries of `n` days; the answer
    /// has one entry per day, oldest first, with zeros for a day without checks. Counted as
    /// `check_counts` counts (exact to five minutes at a day's edges while those are kept).
    async fn daily_checks(
        &self,
        monitor_id: &str,
        day_starts: &[Timestamp],
    ) -> Result<Vec<DailyChecks>>;

    /// Writes many check results and the monitor states they led to, in ONE transaction: the
    /// results that changed no status, batched off the probe path. A state older than the
    /// stored one (a change of status committed since) is not written back.
    async fn record_checks(&self, checks: &[CheckCommit]) -> Result<()>;

    /// A monitor's first check and its outages overlapping `[from, to)`, oldest first.
    async fn monitor_history(
        &self,
        monitor_id: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<tocsin_core::uptime::MonitorHistory>;

    /// A monitor's aggregates of one span starting in `[from, to)`, oldest first.
    async fn rollups(
        &self,
        monitor_id: &str,
        span: RollupSpan,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Rollup>>;

    /// Folds raw results of whole minutes ended `retention.settle` before `now` into the
    /// five-minute, per-hour and per-day aggregates (each result exactly once), then deletes what
    /// is older than `retention` allows, in short transactions.
    async fn roll_up_and_prune(
        &self,
        now: Timestamp,
        retention: &Retention,
    ) -> Result<Housekeeping>;

    /// A monitor's latest check at or before `before` that passed (`ok`) or failed.
    async fn last_check(
        &self,
        monitor_id: &str,
        ok: bool,
        before: Timestamp,
    ) -> Result<Option<CheckRecord>>;
}
