//! What `/metrics` reads from the store at scrape time: counts and ages only, never titles.

use jiff::Timestamp;

/// The store's gauges at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpsGauges {
    /// Incidents per state (`triggered`, `acknowledged`, `resolved`).
    pub incidents_by_state: Vec<(String, u64)>,
    /// Per channel: messages waiting in the outbox, and when the oldest of them was queued.
    pub outbox_pending: Vec<OutboxChannel>,
    /// Timers already due and not yet fired.
    pub timers_due: u64,
    /// The database's file, when it is one (not in memory): where to look for free disk.
    pub database_file: Option<std::path::PathBuf>,
}

/// One channel's share of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxChannel {
    pub channel: String,
    pub pending: u64,
    pub oldest_queued_at: Timestamp,
}
