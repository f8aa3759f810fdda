//! The engine's own counters for `/metrics`: plain atomics and small maps owned by the
//! [`Engine`](crate::Engine) (no global registry), read as a snapshot at scrape time. Gauges
//! (incidents by state, the outbox, probe lag) are not kept here: they are read from the store
//! when scraped, so they can never drift from what is on disk.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;

/// Counts since this process started (Prometheus counters reset on restart by design).
#[derive(Debug, Default)]
pub struct Counters {
    /// Signals accepted (committed) per integration id.
    signals_accepted: Mutex<BTreeMap<String, u64>>,
    /// Requests refused per integration id (bad auth, unparseable body, over the rate limit).
    signals_rejected: Mutex<BTreeMap<String, u64>>,
    /// Delivery attempts per (channel, outcome): `sent`, `failed` (for good), `retried`.
    deliveries: Mutex<BTreeMap<(String, &'static str), u64>>,
    watchdog_ok: AtomicU64,
    watchdog_failed: AtomicU64,
    /// The last successful watchdog ping, epoch seconds (0: none yet).
    watchdog_last_ok: AtomicU64,
}

/// What a delivery attempt came to, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryResult {
    Sent,
    Failed,
    Retried,
}

impl From<&tocsin_store::AttemptOutcome> for DeliveryResult {
    fn from(outcome: &tocsin_store::AttemptOutcome) -> Self {
        match outcome {
            tocsin_store::AttemptOutcome::Sent => DeliveryResult::Sent,
            tocsin_store::AttemptOutcome::Retry { .. } => DeliveryResult::Retried,
            tocsin_store::AttemptOutcome::Failed { .. } => DeliveryResult::Failed,
        }
    }
}

impl DeliveryResult {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryResult::Sent => "sent",
            DeliveryResult::Failed => "failed",
            DeliveryResult::Retried => "retried",
        }
    }
}

/// A copy of the counters at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    pub signals_accepted: BTreeMap<String, u64>,
    pub signals_rejected: BTreeMap<String, u64>,
    pub deliveries: BTreeMap<(String, &'static str), u64>,
    pub watchdog_ok: u64,
    pub watchdog_failed: u64,
    pub watchdog_last_ok: Option<Timestamp>,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K, by: u64) {
    // A panic while holding this lock cannot leave a count half-written: keep counting.
    let mut map = map
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let count = map.entry(key).or_insert(0);
    *count = count.saturating_add(by);
}

fn copy<K: Ord + Clone>(map: &Mutex<BTreeMap<K, u64>>) -> BTreeMap<K, u64> {
    map.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

impl Counters {
    pub fn signals_accepted(&self, integration: &str, count: u64) {
        bump(&self.signals_accepted, integration.to_owned(), count);
    }

    pub fn signal_rejected(&self, integration: &str) {
        bump(&self.signals_rejected, integration.to_owned(), 1);
    }

    pub fn delivery(&self, channel: &str, result: DeliveryResult) {
        bump(&self.deliveries, (channel.to_owned(), result.as_str()), 1);
    }

    pub(crate) fn watchdog_ping(&self, ok: bool, at: Timestamp) {
        if ok {
            self.watchdog_ok.fetch_add(1, Ordering::Relaxed);
            let seconds = u64::try_from(at.as_second()).unwrap_or(0);
            self.watchdog_last_ok.store(seconds, Ordering::Relaxed);
        } else {
            self.watchdog_failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> CountersSnapshot {
        let last = self.watchdog_last_ok.load(Ordering::Relaxed);
        CountersSnapshot {
            signals_accepted: copy(&self.signals_accepted),
            signals_rejected: copy(&self.signals_rejected),
            deliveries: copy(&self.deliveries),
            watchdog_ok: self.watchdog_ok.load(Ordering::Relaxed),
            watchdog_failed: self.watchdog_failed.load(Ordering::Relaxed),
            watchdog_last_ok: (last > 0)
                .then(|| Timestamp::from_second(i64::try_from(last).unwrap_or(0)).ok())
                .flatten(),
        }
    }
}

impl crate::Engine {
    /// The gauges read from the store at scrape time: incidents by state, the outbox, due timers.
    pub async fn ops_gauges(
        &self,
        now: Timestamp,
    ) -> Result<tocsin_core::ops_gauges::OpsGauges, crate::EngineError> {
        Ok(self.store.ops_gauges(now).await?)
    }
}
