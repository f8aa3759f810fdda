//! What is kept about a monitor and read back for its pages: its state, how many of its
//! checks passed, and its latency over time.

use jiff::Timestamp;

use crate::monitor::MonitorState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorRecord {
    pub id: String,
    pub state: MonitorState,
    pub next_check_at: Timestamp,
    /// A heartbeat job's `/start` ping not yet followed by its finish.
    pub run_started_at: Option<Timestamp>,
}

/// How many checks of a monitor ran in a window and how many of them passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckCounts {
    pub total: u64,
    pub ok: u64,
}

/// Checks of one monitor within one slice of time, for a latency chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyBucket {
    /// The slice's start.
    pub start: Timestamp,
    pub checks: u64,
    pub failures: u64,
    pub avg_latency_ms: u64,
    pub max_latency_ms: u64,
}
