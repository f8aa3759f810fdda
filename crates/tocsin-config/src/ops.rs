//! Watching the watcher: `[watchdog]`, the outside check tocsin pings so its own death is noticed.

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
