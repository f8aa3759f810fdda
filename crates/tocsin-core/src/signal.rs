//! The normalized signal every source produces: probes, heartbeats, inbound webhooks.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::labels::Labels;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalStatus {
    Firing,
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    /// `monitor:<id>` or `integration:<id>`.
    pub source: String,
    /// Signals with the same key are the same alert.
    pub dedup_key: String,
    pub status: SignalStatus,
    /// A severity id (e.g. `SEV-1`); a firing signal without one is refused by the engine.
    pub severity: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub category: Option<String>,
    pub component: Option<String>,
    pub runbook: Option<String>,
    /// When it happened at the source (a monitor's outage start), not when it arrived.
    pub occurred_at: Timestamp,
    pub details: serde_json::Value,
    /// The source's labels (bounded), which label routes and silences match on.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
}
