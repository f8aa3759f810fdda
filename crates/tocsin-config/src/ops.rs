//! Watching the watcher: `[watchdog]`, the outside check tocsin pings so its own death is
//! noticed, and `[self_monitoring]`, the incidents tocsin opens about itself.

use std::time::Duration;

use tocsin_core::Secret;

/// `[watchdog]`: an outside check (a Healthchecks-style URL, or another tocsin's `/ping/{key}`)
/// that tocsin pings while it runs; when the pings stop, that check pages someone. The section
/// is optional: without it nothing is pinged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watchdog {
    /// The URL pinged with a `GET` (`http://` or `https://`), like
    /// `"https://hc-ping.com/<uuid>"`. It is a secret: whoever has it can ping. Required.
    pub url: Secret,
    /// How often it is pinged; at least `"1s"`. Set the outside check's period to this and its
    /// grace to a few periods. Default `"1m"`.
    pub every: Duration,
}

impl Watchdog {
    /// The shortest `every` accepted: a ping a second is already more than any check needs.
    pub const MIN_EVERY: Duration = Duration::from_secs(1);
    /// `every` when left out.
    pub const DEFAULT_EVERY: Duration = Duration::from_secs(60);
}

/// `[self_monitoring]`: tocsin opens an incident about itself, through the normal path, when the
/// outbox holds a message too long, probes lag their schedule, or the database's disk is nearly
/// full; the incident resolves when the condition clears. The section is optional: without it
/// these are only visible in `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfMonitoring {
    /// The `[[severity]]` of these incidents, which decides who is told. Required.
    pub severity: String,
    /// Alert when a message has waited in the outbox longer than this. Default `"5m"`.
    pub outbox_age: Duration,
    /// Alert when a monitor's check is this late. Default `"1m"`.
    pub probe_lag: Duration,
    /// Alert when the database's file system has fewer than this many MiB free. Default `1024`.
    pub disk_free_below_mb: u64,
}

impl SelfMonitoring {
    /// `outbox_age` when left out.
    pub const DEFAULT_OUTBOX_AGE: Duration = Duration::from_secs(300);
    /// `probe_lag` when left out.
    pub const DEFAULT_PROBE_LAG: Duration = Duration::from_secs(60);
    /// `disk_free_below_mb` when left out.
    pub const DEFAULT_DISK_FREE_BELOW_MB: u64 = 1024;
}
