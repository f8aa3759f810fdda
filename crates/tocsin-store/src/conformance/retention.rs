//! Stories of retention: raw check results are folded into five-minute, hourly and daily
//! roll-ups once settled, then each kind is pruned at its own age; uptime stays exact from the
//! outage intervals after the raw results are gone.

use std::time::Duration;

use jiff::Timestamp;
use tocsin_core::check::CheckOutcome;
use tocsin_core::monitor::{MonitorState, observe};
use tocsin_core::uptime::measure;

use super::Backend;
use super::fixtures::t;
use crate::{CheckCommit, Retention, RollupSpan, Store};

const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

fn days(n: u64) -> Duration {
    Duration::from_secs(n * DAY as u64)
}

/// Raw results a day, five-minute aggregates a week, hourly 90 days, daily 400 days.
fn retention() -> Retention {
    Retention {
        keep_raw_checks: days(1),
        keep_five_minute_rollups: days(7),
        keep_hour_rollups: days(90),
        keep_day_rollups: days(400),
        settle: Duration::from_secs(MINUTE as u64),
    }
}

/// Checks of `web` at each of `seconds` (after `t(0)`), failing where `fails` says, written as
/// the engine writes them: each with the state `observe` folds it into (one failure confirms).
async fn check_web(store: &dyn Store, seconds: &[i64], fails: impl Fn(i64) -> bool) {
    let mut state = MonitorState::pending();
    let checks: Vec<CheckCommit> = seconds
        .iter()
        .map(|&second| {
            let at = t(second);
            let outcome = if fails(second) {
                CheckOutcome::down(Some(500), 40, "500")
            } else {
                CheckOutcome::up(Some(200), 20)
            };
            state = observe(&state, &outcome, 1, at).0;
            CheckCommit {
                run_started_at: None,
                monitor_id: "web".into(),
                at,
                outcome: Some(outcome),
                state: state.clone(),
                next_check_at: t(second + MINUTE),
            }
        })
        .collect();
    store.record_checks(&checks).await.expect("record");
}

/// Housekeeping at `now` until a round has nothing left to do; what all rounds did.
async fn housekeep(store: &dyn Store, now: Timestamp) -> crate::Housekeeping {
    let mut total = crate::Housekeeping::default();
    for _ in 0..10 {
        let round = store
            .roll_up_and_prune(now, &retention())
            .await
            .expect("housekeeping");
        if round == crate::Housekeeping::default() {
            break;
        }
        total.rolled_up += round.rolled_up;
        total.pruned_checks += round.pruned_checks;
        total.pruned_rollups += round.pruned_rollups;
        total.pruned_outages += round.pruned_outages;
    }
    total
}

async fn rollups(store: &dyn Store, span: RollupSpan) -> Vec<crate::Rollup> {
    store
        .rollups("web", span, t(-400 * DAY), t(400 * DAY))
        .await
        .expect("rollups")
}

pub async fn old_checks_are_rolled_up_then_pruned(backend: &dyn Backend) {
    let store = backend.open("a").await;
    store
        .sync_monitors(&[("web".to_owned(), t(0))])
        .await
        .expect("sync");
    // One check a minute for ten minutes, the third one failing.
    let seconds: Vec<i64> = (0..10).map(|minute| minute * MINUTE).collect();
    check_web(store.as_ref(), &seconds, |second| second == 2 * MINUTE).await;
    assert_eq!(
        store.recent_checks("web", 100).await.expect("checks").len(),
        10
    );

    // Two days later: everything is rolled up, then the raw results (kept a day) are pruned.
    let done = housekeep(store.as_ref(), t(2 * DAY)).await;
    assert_eq!(done.rolled_up, 10, "each result folded in exactly once");
    assert_eq!(
        done.pruned_checks, 10,
        "every raw result older than a day is gone"
    );
    assert!(
        store
            .recent_checks("web", 100)
            .await
            .expect("checks")
            .is_empty()
    );

    // One aggregate per five minutes (UTC-aligned) that had checks, each holding its checks.
    let five = rollups(store.as_ref(), RollupSpan::FiveMinutes).await;
    let width = RollupSpan::FiveMinutes.width_ms();
    let mut expected: Vec<(i64, u64)> = Vec::new();
    for second in &seconds {
        let start = t(*second).as_millisecond().div_euclid(width) * width;
        match expected.last_mut() {
            Some((last, checks)) if *last == start => *checks += 1,
            _ => expected.push((start, 1)),
        }
    }
    assert_eq!(
        five.iter()
            .map(|r| (r.start.as_millisecond(), r.checks))
            .collect::<Vec<_>>(),
        expected,
        "{five:?}"
    );
    assert_eq!(five.iter().map(|r| r.failures).sum::<u64>(), 1);
    assert_eq!(
        five.iter().map(|r| r.latency_sum_ms).sum::<u64>(),
        9 * 20 + 40
    );
    assert_eq!(five.iter().map(|r| r.latency_max_ms).max(), Some(40));
    for span in [RollupSpan::Hour, RollupSpan::Day] {
        let rows = rollups(store.as_ref(), span).await;
        assert_eq!(
            rows.iter().fold((0, 0), |(checks, failures), r| (
                checks + r.checks,
                failures + r.failures
            )),
            (10, 1),
            "the {} keeps the count: {rows:?}",
            span.as_str()
        );
    }
    // Counts over a window reaching before the pruned results still see all of them.
    let counts = store.check_counts("web", t(-HOUR)).await.expect("counts");
    assert_eq!((counts.total, counts.ok), (10, 9));
    // The latency chart (15-minute slices) still answers, from the five-minute aggregates.
    let slices = store
        .latency_buckets("web", t(-HOUR), Duration::from_secs(15 * MINUTE as u64))
        .await
        .expect("latency");
    assert_eq!(
        slices.iter().map(|s| s.checks).sum::<u64>(),
        10,
        "{slices:?}"
    );
    assert_eq!(slices.iter().map(|s| s.failures).sum::<u64>(), 1);
    assert_eq!(slices.iter().map(|s| s.max_latency_ms).max(), Some(40));
    assert!(slices.iter().all(|s| s.start >= t(-HOUR)));

    // Each kind of aggregate goes at its own age: five-minute ones after a week, hourly ones
    // after 90 days, daily ones after 400.
    housekeep(store.as_ref(), t(8 * DAY)).await;
    assert!(
        rollups(store.as_ref(), RollupSpan::FiveMinutes)
            .await
            .is_empty()
    );
    assert!(!rollups(store.as_ref(), RollupSpan::Hour).await.is_empty());
    housekeep(store.as_ref(), t(91 * DAY)).await;
    assert!(rollups(store.as_ref(), RollupSpan::Hour).await.is_empty());
    let daily = rollups(store.as_ref(), RollupSpan::Day).await;
    assert_eq!(
        daily.iter().map(|r| r.checks).sum::<u64>(),
        10,
        "the daily bars outlive the rest"
    );
    housekeep(store.as_ref(), t(401 * DAY)).await;
    assert!(rollups(store.as_ref(), RollupSpan::Day).await.is_empty());
}

pub async fn uptime_is_exact_from_outages_after_the_raw_checks_are_pruned(backend: &dyn Backend) {
    let store = backend.open("a").await;
    store
        .sync_monitors(&[("web".to_owned(), t(0))])
        .await
        .expect("sync");
    // A check every 30 s for two days; down from the failed check at 10:00 on the first day
    // until the check at 10:25 found it answering again: 25 minutes.
    let down_from = 10 * HOUR;
    let down_until = 10 * HOUR + 25 * MINUTE;
    let seconds: Vec<i64> = (0..2 * DAY / 30).map(|k| k * 30).collect();
    check_web(store.as_ref(), &seconds, |second| {
        (down_from..down_until).contains(&second)
    })
    .await;

    // A week later the raw results of those days are gone …
    let done = housekeep(store.as_ref(), t(9 * DAY)).await;
    assert_eq!(done.pruned_checks, seconds.len() as u64);
    assert!(
        store
            .recent_checks("web", 10)
            .await
            .expect("checks")
            .is_empty()
    );
    // … and the first day's uptime is still exact to the millisecond.
    let (from, to) = (t(0), t(DAY));
    let history = store
        .monitor_history("web", from, to)
        .await
        .expect("history");
    assert_eq!(history.monitored_since, Some(t(0)));
    let measured = measure(&history, from, to);
    assert_eq!(measured.monitored_ms, DAY * 1000);
    assert_eq!(measured.down_ms, 25 * MINUTE * 1000);
    assert_eq!(measured.fraction(), Some((1440.0 - 25.0) / 1440.0));
    // A window holding only part of the outage counts only that part.
    let measured = measure(&history, t(10 * HOUR + 20 * MINUTE), t(11 * HOUR));
    assert_eq!(measured.down_ms, 5 * MINUTE * 1000);
    // The second day had none.
    let second = store
        .monitor_history("web", t(DAY), t(2 * DAY))
        .await
        .expect("history");
    assert_eq!(measure(&second, t(DAY), t(2 * DAY)).fraction(), Some(1.0));
    // The checks themselves live on in the aggregates: 50 failures in those two days (counted
    // from an hour before the first check, so whole aggregates hold every one of them).
    let counts = store.check_counts("web", t(-HOUR)).await.expect("counts");
    assert_eq!(
        (counts.total, counts.total - counts.ok),
        (seconds.len() as u64, 50)
    );
}
