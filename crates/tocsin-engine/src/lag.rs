//! Schedule lag: how late each check started after the instant it was due, as a histogram a
//! `/metrics` endpoint or a benchmark can read ([`crate::Engine::schedule_lag`]).

use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;

/// Upper bounds (inclusive, milliseconds) of the buckets; a last bucket takes the rest.
pub const LAG_BUCKETS_MS: [u64; 12] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 5_000, 30_000];

/// A copy of the histogram: `counts[i]` checks started at most `LAG_BUCKETS_MS[i]` late (and
/// more than the bucket before); the last count is for later than every bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LagSnapshot {
    pub bounds_ms: Vec<u64>,
    pub counts: Vec<u64>,
    pub count: u64,
    pub sum_ms: u64,
    pub max_ms: u64,
}

#[derive(Debug, Default)]
pub(crate) struct ScheduleLag {
    counts: [AtomicU64; LAG_BUCKETS_MS.len() + 1],
    count: AtomicU64,
    sum_ms: AtomicU64,
    max_ms: AtomicU64,
}

impl ScheduleLag {
    /// Records a check due at `due` that started at `started`.
    pub fn record(&self, due: Timestamp, started: Timestamp) -> u64 {
        let lag = u64::try_from(
            started
                .as_millisecond()
                .saturating_sub(due.as_millisecond()),
        )
        .unwrap_or(0);
        let bucket = LAG_BUCKETS_MS
            .iter()
            .position(|bound| lag <= *bound)
            .unwrap_or(LAG_BUCKETS_MS.len());
        if let Some(counter) = self.counts.get(bucket) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ms.fetch_add(lag, Ordering::Relaxed);
        self.max_ms.fetch_max(lag, Ordering::Relaxed);
        lag
    }

    pub fn snapshot(&self) -> LagSnapshot {
        LagSnapshot {
            bounds_ms: LAG_BUCKETS_MS.to_vec(),
            counts: self
                .counts
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect(),
            count: self.count.load(Ordering::Relaxed),
            sum_ms: self.sum_ms.load(Ordering::Relaxed),
            max_ms: self.max_ms.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lag_lands_in_its_bucket() {
        let lag = ScheduleLag::default();
        let due = Timestamp::from_millisecond(1_000).expect("valid");
        let plus = |ms: i64| Timestamp::from_millisecond(1_000 + ms).expect("valid");
        assert_eq!(lag.record(due, plus(0)), 0);
        lag.record(due, plus(7));
        lag.record(due, plus(60_000));
        let snapshot = lag.snapshot();
        assert_eq!(snapshot.counts[0], 1);
        assert_eq!(snapshot.counts[3], 1, "7 ms is in the ≤10 ms bucket");
        assert_eq!(snapshot.counts[LAG_BUCKETS_MS.len()], 1);
        assert_eq!(
            (snapshot.count, snapshot.sum_ms, snapshot.max_ms),
            (3, 60_007, 60_000)
        );
    }
}
