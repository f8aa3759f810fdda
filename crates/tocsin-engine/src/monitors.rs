//! What the monitor pages and the uptime API read: each monitor's kept state, how many of its
//! checks passed, its latency over time and its up/down history.

use std::time::Duration;

use jiff::Timestamp;
use tocsin_core::monitor_records::{CheckCounts, LatencyBucket, MonitorRecord};
use tocsin_core::uptime::MonitorHistory;

use crate::{Engine, EngineError};

impl Engine {
    /// The state kept for each probed monitor (monitors never probed have none).
    pub async fn monitor_records(&self) -> Result<Vec<MonitorRecord>, EngineError> {
        Ok(self.store.monitors().await?)
    }

    /// How many checks of a monitor ran at or after `since`, and how many passed.
    pub async fn check_counts(
        &self,
        monitor_id: &str,
        since: Timestamp,
    ) -> Result<CheckCounts, EngineError> {
        Ok(self.store.check_counts(monitor_id, since).await?)
    }

    /// A monitor's checks at or after `since` in slices of `slice`, for its latency chart.
    pub async fn latency_buckets(
        &self,
        monitor_id: &str,
        since: Timestamp,
        slice: Duration,
    ) -> Result<Vec<LatencyBucket>, EngineError> {
        Ok(self.store.latency_buckets(monitor_id, since, slice).await?)
    }

    /// A monitor's checks and outages within `[from, to]`, for uptime.
    pub async fn monitor_history(
        &self,
        monitor_id: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<MonitorHistory, EngineError> {
        Ok(self.store.monitor_history(monitor_id, from, to).await?)
    }
}
