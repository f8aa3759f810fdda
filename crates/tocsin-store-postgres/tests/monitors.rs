//! MonitorStore on a real PostgreSQL: monitors synced and read back, checks recorded and read
//! back through every view (values worked out by hand), outages opened and closed, the
//! roll-up and pruning boundaries, and replicas doing the same at once.

use std::time::Duration;

use jiff::Timestamp;
use tocsin_core::check::CheckOutcome;
use tocsin_core::monitor::{MonitorState, MonitorStatus, observe};
use tocsin_core::uptime::Outage;
use tocsin_store::{CheckCommit, Housekeeping, MonitorStore, Retention, RollupSpan};
use tocsin_store_postgres::{PgOptions, PgStore};
use tocsin_testkit::PgScratch;

const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// `seconds` after midnight UTC of a day (so five-minute, hour and day edges fall on round
/// offsets).
fn t(seconds: i64) -> Timestamp {
    Timestamp::from_second(20_718 * DAY + seconds).expect("a valid instant")
}

async fn open(database: &PgScratch, owner: &str) -> PgStore {
    let options = PgOptions {
        lease_owner: owner.to_owned(),
        ..PgOptions::default()
    };
    PgStore::open(database.url(), &options).await.expect("open")
}

fn up(latency_ms: u64) -> CheckOutcome {
    CheckOutcome::up(Some(200), latency_ms)
}

fn down(latency_ms: u64) -> CheckOutcome {
    CheckOutcome::down(Some(500), latency_ms, "500")
}

/// A monitor's checks, each with the state `observe` folds it into (one failure confirms), as
/// the engine writes them.
struct Checks {
    monitor_id: String,
    state: MonitorState,
}

impl Checks {
    fn of(monitor_id: &str) -> Checks {
        Checks {
            monitor_id: monitor_id.to_owned(),
            state: MonitorState::pending(),
        }
    }

    fn at(&mut self, second: i64, outcome: CheckOutcome) -> CheckCommit {
        let at = t(second);
        self.state = observe(&self.state, &outcome, 1, at).0;
        CheckCommit {
            run_started_at: None,
            monitor_id: self.monitor_id.clone(),
            at,
            outcome: Some(outcome),
            state: self.state.clone(),
            next_check_at: t(second + MINUTE),
        }
    }
}

/// Raw results two days, five-minute aggregates three, hourly four, daily (and closed
/// outages) five; a minute settles for a minute.
fn retention() -> Retention {
    let days = |n: u64| Duration::from_secs(n * DAY as u64);
    Retention {
        keep_raw_checks: days(2),
        keep_five_minute_rollups: days(3),
        keep_hour_rollups: days(4),
        keep_day_rollups: days(5),
        settle: Duration::from_secs(MINUTE as u64),
    }
}

/// `(start seconds, checks, failures, latency sum, latency max)` of a span's aggregates.
async fn rollups(store: &PgStore, span: RollupSpan) -> Vec<(i64, u64, u64, u64, u64)> {
    store
        .rollups("web", span, t(-DAY), t(10 * DAY))
        .await
        .expect("rollups")
        .iter()
        .map(|r| {
            (
                r.start.as_second() - t(0).as_second(),
                r.checks,
                r.failures,
                r.latency_sum_ms,
                r.latency_max_ms,
            )
        })
        .collect()
}

fn ids(monitors: &[tocsin_store::MonitorRecord]) -> Vec<&str> {
    monitors.iter().map(|m| m.id.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synced_monitors_read_back_and_a_resync_keeps_their_state() {
    let database = PgScratch::create().await;
    let store = open(&database, "a").await;
    store
        .sync_monitors(&[
            ("web".into(), t(0)),
            ("db".into(), t(30)),
            ("api".into(), t(60)),
            // Named twice: the first one counts, as when inserted one by one.
            ("db".into(), t(90)),
        ])
        .await
        .expect("sync");
    let monitors = store.monitors().await.expect("monitors");
    assert_eq!(ids(&monitors), ["api", "db", "web"], "by id");
    assert_eq!(
        monitors.iter().map(|m| m.next_check_at).collect::<Vec<_>>(),
        [t(60), t(30), t(0)]
    );
    assert!(monitors.iter().all(|m| m.state == MonitorState::pending()));

    // A check moves `web` on; a new configuration drops `db` and `api` and adds `cron`.
    let mut web = Checks::of("web");
    store
        .record_checks(&[web.at(0, up(12))])
        .await
        .expect("record");
    store
        .sync_monitors(&[("web".into(), t(999)), ("cron".into(), t(5))])
        .await
        .expect("resync");
    let monitors = store.monitors().await.expect("monitors");
    assert_eq!(ids(&monitors), ["cron", "web"]);
    let web_now = store.monitor("web").await.expect("web").expect("kept");
    assert_eq!(
        web_now.next_check_at,
        t(MINUTE),
        "its own schedule, not t(999)"
    );
    assert_eq!(web_now.state.status, MonitorStatus::Up);
    assert_eq!(web_now.state.last_latency_ms, Some(12));
    // An inactive monitor is still there to read.
    assert!(store.monitor("api").await.expect("api").is_some());
    assert!(store.monitor("nope").await.expect("nope").is_none());
    let mut found = store
        .monitors_by_id(&["web".into(), "api".into(), "nope".into()])
        .await
        .expect("by id");
    found.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(ids(&found), ["api", "web"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_at_once_all_sync() {
    let database = PgScratch::create().await;
    let (a, b) = (open(&database, "a").await, open(&database, "b").await);
    let config: Vec<(String, Timestamp)> = (0..20).map(|k| (format!("m{k:02}"), t(k))).collect();
    for _ in 0..5 {
        let (first, second) = tokio::join!(a.sync_monitors(&config), b.sync_monitors(&config));
        first.expect("a syncs");
        second.expect("b syncs");
    }
    let monitors = a.monitors().await.expect("monitors");
    assert_eq!(monitors.len(), 20);
    assert_eq!(monitors[7].next_check_at, t(7));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_checks_read_back_in_every_view() {
    let database = PgScratch::create().await;
    let store = open(&database, "a").await;
    store
        .sync_monitors(&[("web".into(), t(0))])
        .await
        .expect("sync");
    let mut web = Checks::of("web");
    let checks = [
        web.at(0, up(100)),
        web.at(60, up(300)),
        web.at(120, down(40)),
        // A second result in the same millisecond (heartbeat pings can arrive together).
        web.at(120, up(50)),
        web.at(600, up(20)),
        web.at(DAY + 30, up(10)),
    ];
    store.record_checks(&checks).await.expect("record");

    // Newest first; the same instant's later result first.
    let recent = store.recent_checks("web", 10).await.expect("recent");
    assert_eq!(
        recent
            .iter()
            .map(|c| (c.at, c.outcome.ok, c.outcome.latency_ms))
            .collect::<Vec<_>>(),
        [
            (t(DAY + 30), true, 10),
            (t(600), true, 20),
            (t(120), true, 50),
            (t(120), false, 40),
            (t(60), true, 300),
            (t(0), true, 100),
        ]
    );
    assert_eq!(recent[3].outcome, down(40), "status and error kept");
    assert_eq!(store.recent_checks("web", 2).await.expect("two").len(), 2);

    let store = &store;
    let counts = |since| async move { store.check_counts("web", since).await.expect("counts") };
    assert_eq!((counts(t(0)).await.total, counts(t(0)).await.ok), (6, 5));
    assert_eq!((counts(t(60)).await.total, counts(t(60)).await.ok), (5, 4));
    assert_eq!(
        (counts(t(121)).await.total, counts(t(121)).await.ok),
        (2, 2)
    );

    // Five-minute slices from t(0): [0, 300) has 100+300+40+50 = 490 ms over 4 checks
    // (average 122.5, rounded up to 123); [600, 900) one; the next day's first slice one.
    let five = Duration::from_secs(300);
    let slices = store
        .latency_buckets("web", t(0), five)
        .await
        .expect("latency");
    assert_eq!(
        slices
            .iter()
            .map(|s| (
                s.start,
                s.checks,
                s.failures,
                s.avg_latency_ms,
                s.max_latency_ms
            ))
            .collect::<Vec<_>>(),
        [
            (t(0), 4, 1, 123, 300),
            (t(600), 1, 0, 20, 20),
            (t(DAY), 1, 0, 10, 10),
        ]
    );
    // Slices are counted from `since`: from t(30), 390 ms over 3 checks, then [330, 630).
    let slices = store
        .latency_buckets("web", t(30), five)
        .await
        .expect("latency");
    assert_eq!(
        slices
            .iter()
            .map(|s| (s.start, s.checks, s.avg_latency_ms))
            .collect::<Vec<_>>(),
        [(t(30), 3, 130), (t(330), 1, 20), (t(DAY + 30), 1, 10)]
    );

    let days = store
        .daily_checks("web", &[t(0), t(DAY), t(2 * DAY), t(3 * DAY)])
        .await
        .expect("days");
    assert_eq!(
        days.iter()
            .map(|d| (d.day_start, d.total, d.ok))
            .collect::<Vec<_>>(),
        [(t(0), 5, 4), (t(DAY), 1, 1), (t(2 * DAY), 0, 0)]
    );

    let last = |ok, before| async move {
        store
            .last_check("web", ok, before)
            .await
            .expect("last")
            .map(|c| (c.at, c.outcome.latency_ms))
    };
    assert_eq!(last(false, t(DAY)).await, Some((t(120), 40)));
    assert_eq!(last(true, t(120)).await, Some((t(120), 50)));
    assert_eq!(last(false, t(119)).await, None);

    let history = store
        .monitor_history("web", t(0), t(DAY))
        .await
        .expect("history");
    assert_eq!(history.monitored_since, Some(t(0)));
    // An unknown monitor has nothing to show.
    assert_eq!(
        store.check_counts("nope", t(0)).await.expect("none").total,
        0
    );
    assert!(
        store
            .latency_buckets("nope", t(0), five)
            .await
            .expect("none")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_then_passing_checks_open_and_close_an_outage() {
    let database = PgScratch::create().await;
    let store = open(&database, "a").await;
    store
        .sync_monitors(&[("web".into(), t(0))])
        .await
        .expect("sync");
    let mut web = Checks::of("web");
    // Each in its own batch, as a change of status commits at once.
    for check in [
        web.at(0, up(10)),
        web.at(60, down(10)),
        web.at(120, down(10)),
        web.at(180, up(10)),
        web.at(240, down(10)),
    ] {
        store.record_checks(&[check]).await.expect("record");
    }
    let history = store
        .monitor_history("web", t(0), t(HOUR))
        .await
        .expect("history");
    assert_eq!(
        history.outages,
        [
            Outage {
                from: t(60),
                until: Some(t(180)),
            },
            Outage {
                from: t(240),
                until: None,
            },
        ]
    );
    // Outages overlapping the window only: the first ended at its start.
    let between = store
        .monitor_history("web", t(180), t(240))
        .await
        .expect("history");
    assert!(between.outages.is_empty(), "{between:?}");

    // A late result carrying an older state is kept, but the newer state stands (and the open
    // outage stays open).
    let late = CheckCommit {
        run_started_at: None,
        monitor_id: "web".into(),
        at: t(100),
        outcome: Some(up(7)),
        state: MonitorState {
            status: MonitorStatus::Up,
            since: Some(t(100)),
            last_check_at: Some(t(100)),
            ..MonitorState::pending()
        },
        next_check_at: t(160),
    };
    store.record_checks(&[late]).await.expect("late");
    let state = store.monitor("web").await.expect("web").expect("web").state;
    assert_eq!(
        (state.status, state.since, state.failures),
        (MonitorStatus::Down, Some(t(240)), 1)
    );
    let history = store
        .monitor_history("web", t(0), t(HOUR))
        .await
        .expect("history");
    assert_eq!(history.outages.len(), 2);
    assert_eq!(history.outages[1].until, None);
    assert_eq!(
        store.check_counts("web", t(0)).await.expect("counts").total,
        6
    );

    // A result for a monitor never synced is kept, on an inactive row.
    store
        .record_checks(&[Checks::of("ghost").at(0, up(1))])
        .await
        .expect("ghost");
    assert_eq!(
        store.recent_checks("ghost", 5).await.expect("ghost").len(),
        1
    );
    assert_eq!(ids(&store.monitors().await.expect("monitors")), ["web"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settled_minutes_roll_up_then_each_kind_is_pruned_at_its_age() {
    let database = PgScratch::create().await;
    let store = open(&database, "a").await;
    store
        .sync_monitors(&[("web".into(), t(0))])
        .await
        .expect("sync");
    let mut web = Checks::of("web");
    let checks = [
        web.at(10, up(10)),
        web.at(299, up(20)),
        web.at(300, down(30)),    // the second five minutes; down from here …
        web.at(HOUR - 1, up(40)), // … until here
        web.at(HOUR, up(50)),     // the second hour
    ];
    store.record_checks(&checks).await.expect("record");

    // At 1:01:30 the minute before 1:00:30 has settled: everything before 1:00 is rolled up,
    // the check at 1:00 exactly is not.
    let store = &store;
    let round = |now| async move {
        store
            .roll_up_and_prune(t(now), &retention())
            .await
            .expect("housekeeping")
    };
    let done = round(HOUR + 90).await;
    assert_eq!(
        done,
        Housekeeping {
            rolled_up: 4,
            ..Housekeeping::default()
        }
    );
    assert_eq!(
        rollups(store, RollupSpan::FiveMinutes).await,
        [
            (0, 2, 0, 30, 20),
            (300, 1, 1, 30, 30),
            (HOUR - 300, 1, 0, 40, 40)
        ]
    );
    assert_eq!(rollups(store, RollupSpan::Hour).await, [(0, 4, 1, 100, 40)]);
    assert_eq!(rollups(store, RollupSpan::Day).await, [(0, 4, 1, 100, 40)]);
    // Nothing is folded twice.
    assert_eq!(round(HOUR + 90).await, Housekeeping::default());
    assert_eq!(rollups(store, RollupSpan::Day).await, [(0, 4, 1, 100, 40)]);
    // Each check counted once: the aggregates up to the watermark, raw results after it.
    let counts = store.check_counts("web", t(0)).await.expect("counts");
    assert_eq!((counts.total, counts.ok), (5, 4));
    // Fifteen-minute slices read the five-minute aggregates, then the raw result.
    let slices = store
        .latency_buckets("web", t(0), Duration::from_secs(15 * MINUTE as u64))
        .await
        .expect("latency");
    assert_eq!(
        slices
            .iter()
            .map(|s| (
                s.start,
                s.checks,
                s.failures,
                s.avg_latency_ms,
                s.max_latency_ms
            ))
            .collect::<Vec<_>>(),
        [
            (t(0), 3, 1, 20, 30),
            (t(HOUR - 15 * MINUTE), 1, 0, 40, 40),
            (t(HOUR), 1, 0, 50, 50),
        ]
    );

    // Two days and five minutes on, raw results kept two days go: before 0:05, not at it.
    let done = round(2 * DAY + 300).await;
    assert_eq!(
        done,
        Housekeeping {
            rolled_up: 1,
            pruned_checks: 2,
            ..Housekeeping::default()
        }
    );
    assert_eq!(
        store
            .recent_checks("web", 10)
            .await
            .expect("recent")
            .iter()
            .map(|c| c.at)
            .collect::<Vec<_>>(),
        [t(HOUR), t(HOUR - 1), t(300)]
    );
    let day = store
        .daily_checks("web", &[t(0), t(DAY)])
        .await
        .expect("days");
    assert_eq!((day[0].total, day[0].ok), (5, 4));

    // Three days on, the five-minute aggregates before 0:05 go, and the raw results of the
    // first day.
    let done = round(3 * DAY + 300).await;
    assert_eq!(
        done,
        Housekeeping {
            pruned_checks: 3,
            pruned_rollups: 1,
            ..Housekeeping::default()
        }
    );
    assert_eq!(
        rollups(store, RollupSpan::FiveMinutes)
            .await
            .iter()
            .map(|r| r.0)
            .collect::<Vec<_>>(),
        [300, HOUR - 300, HOUR]
    );
    assert_eq!(
        rollups(store, RollupSpan::Hour).await,
        [(0, 4, 1, 100, 40), (HOUR, 1, 0, 50, 50)]
    );

    // The outage (0:05 to 0:59:59) and the daily aggregate are kept five days: at 0:59:59
    // five days on the daily aggregate of day one goes, the outage not yet …
    let done = round(5 * DAY + HOUR - 1).await;
    assert_eq!(
        done,
        Housekeeping {
            pruned_rollups: 3 + 2 + 1,
            ..Housekeeping::default()
        }
    );
    assert_eq!(
        store
            .monitor_history("web", t(0), t(DAY))
            .await
            .expect("history")
            .outages
            .len(),
        1
    );
    // … a millisecond later, it does.
    let done = store
        .roll_up_and_prune(
            Timestamp::from_millisecond(t(5 * DAY + HOUR - 1).as_millisecond() + 1).expect("t"),
            &retention(),
        )
        .await
        .expect("housekeeping");
    assert_eq!(
        done,
        Housekeeping {
            pruned_outages: 1,
            ..Housekeeping::default()
        }
    );
    assert!(
        store
            .monitor_history("web", t(0), t(DAY))
            .await
            .expect("history")
            .outages
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_recording_and_rolling_up_at_once_keep_every_check_once() {
    let database = PgScratch::create().await;
    let (a, b) = (open(&database, "a").await, open(&database, "b").await);
    a.sync_monitors(&[("web".into(), t(0)), ("api".into(), t(0))])
        .await
        .expect("sync");
    // Both replicas record results of both monitors, many in the same millisecond.
    let batch = |owner: &str, round: i64| -> Vec<CheckCommit> {
        let (mut web, mut api) = (Checks::of("web"), Checks::of("api"));
        let latency = if owner == "a" { 1 } else { 2 };
        vec![
            web.at(round * MINUTE, up(latency)),
            api.at(round * MINUTE, up(latency)),
            web.at(round * MINUTE, up(latency)),
        ]
    };
    for round in 0..10 {
        let (of_a, of_b) = (batch("a", round), batch("b", round));
        let (first, second) = tokio::join!(a.record_checks(&of_a), b.record_checks(&of_b));
        first.expect("a records");
        second.expect("b records");
    }
    let web = a.recent_checks("web", 100).await.expect("web");
    assert_eq!(web.len(), 40, "no result lost to a key collision");
    assert_eq!(a.recent_checks("api", 100).await.expect("api").len(), 20);

    // Two replicas' housekeeping at once fold each result exactly once between them.
    let retention = retention();
    let (first, second) = tokio::join!(
        a.roll_up_and_prune(t(HOUR), &retention),
        b.roll_up_and_prune(t(HOUR), &retention)
    );
    let rolled = first.expect("a").rolled_up + second.expect("b").rolled_up;
    assert_eq!(rolled, 60);
    let hour = a
        .rollups("web", RollupSpan::Hour, t(0), t(DAY))
        .await
        .expect("rollups");
    assert_eq!(hour.iter().map(|r| r.checks).sum::<u64>(), 40);
    assert_eq!(a.check_counts("web", t(0)).await.expect("counts").total, 40);
}
