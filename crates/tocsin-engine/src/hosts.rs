//! The per-host limit on checks in flight (`engine.probe_concurrency_per_host`): many monitors
//! of one site take turns instead of hitting it all at the same instant.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tocsin_config::{Monitor, MonitorKind};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug)]
pub(crate) struct HostLimits {
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl HostLimits {
    pub fn new(per_host: u32) -> Self {
        HostLimits {
            per_host: usize::try_from(per_host).unwrap_or(1).max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a turn on the monitor's host; `None` for a monitor with no host (heartbeats).
    pub async fn turn(&self, monitor: &Monitor) -> Option<OwnedSemaphorePermit> {
        let host = probe_host(monitor)?;
        let semaphore = self
            .hosts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
            .clone();
        // The semaphore is never closed, so acquiring only waits.
        semaphore.acquire_owned().await.ok()
    }
}

/// The host a monitor's check talks to, lowercased.
pub(crate) fn probe_host(monitor: &Monitor) -> Option<String> {
    match &monitor.kind {
        MonitorKind::Http(http) => reqwest::Url::parse(&http.url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_ascii_lowercase)),
        MonitorKind::Tcp { host } => Some(
            host.rsplit_once(':')
                .map_or(host.as_str(), |(name, _)| name)
                .trim_matches(['[', ']'])
                .to_ascii_lowercase(),
        ),
        _ => None,
    }
}
