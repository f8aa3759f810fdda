//! The probe scheduler, batched check writes and uptime from outage intervals: checks keep their
//! rhythm for days, a retry interval confirms a failure sooner, a busy database fails no check,
//! and uptime over a day with two known outages is exactly what the outages say.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::support::{Sink, Target, TestApp, basic_config};

const MONITOR: &str = "api-health";

fn next_check(app: &TestApp) -> Timestamp {
    app.app
        .engine
        .next_check_at(MONITOR)
        .expect("the monitor is scheduled")
}

/// Runs every check due up to `until`, each at its due instant, then leaves the clock at `until`.
async fn run_to(app: &TestApp, until: Timestamp) {
    while next_check(app) <= until {
        app.clock.set(next_check(app));
        app.settle().await;
    }
    app.clock.set(until);
    app.settle().await;
}

fn minutes(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

#[tokio::test]
async fn checks_keep_their_rhythm_over_two_thousand_intervals_however_late_each_starts() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    // Raw results kept a week, so every one of the 2,000 (33 hours) can be read back.
    let config = format!(
        "{}\n[engine]\nkeep_raw_checks = \"7d\"\n",
        basic_config(&target, &sink, "1m", 1)
    );
    let app = TestApp::start(&config).await;
    let first = next_check(&app);
    assert!(first >= app.now() && first < app.now() + minutes(1));
    for k in 0..2000i64 {
        // Each check starts 37 ms after its instant; the schedule must not slide by that.
        let due = first + minutes(k);
        assert_eq!(next_check(&app), due, "check {k} is on its minute");
        app.clock.set(due + SignedDuration::from_millis(37));
        app.settle().await;
    }
    assert_eq!(next_check(&app), first + minutes(2000));
    let lag = app.app.engine.schedule_lag();
    assert_eq!((lag.count, lag.sum_ms, lag.max_ms), (2000, 2000 * 37, 37));
    let checks = app
        .app
        .engine
        .store()
        .recent_checks(MONITOR, 5000)
        .await
        .expect("checks");
    assert_eq!(checks.len(), 2000, "every check was written");
}

#[tokio::test]
async fn retry_interval_confirms_a_failure_in_seconds_not_intervals() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let config = basic_config(&target, &sink, "5m", 3)
        .replace("confirm = 3\n", "confirm = 3\nretry_interval = \"10s\"\n");
    let app = TestApp::start(&config).await;
    let first = next_check(&app);
    run_to(&app, first).await;
    target.answer(503);
    let failed_at = first + minutes(5);
    run_to(&app, failed_at).await;
    assert_eq!(
        next_check(&app),
        failed_at + SignedDuration::from_secs(10),
        "an unconfirmed failure is checked again after retry_interval"
    );
    assert!(
        app.incidents("open").await.is_empty(),
        "one failure is not an outage yet"
    );
    run_to(&app, failed_at + SignedDuration::from_secs(20)).await;
    let open = app.incidents("open").await;
    assert_eq!(
        open.len(),
        1,
        "confirmed by the third failure, 20 s after the first"
    );
    assert_eq!(
        next_check(&app),
        failed_at + SignedDuration::from_secs(20) + minutes(5),
        "once down, checks go back to the interval"
    );
    let (status, uptime) = app
        .get(&format!("/api/v1/monitors/{MONITOR}/uptime?from={first}"))
        .await;
    assert_eq!(status, 200, "{uptime}");
    assert_eq!(
        uptime["outages"][0]["from"].as_str(),
        Some(failed_at.to_string().as_str()),
        "the outage began at the first failed check"
    );
}

#[tokio::test]
async fn uptime_over_a_day_with_two_known_outages_is_exact() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let config = basic_config(&target, &sink, "5m", 1)
        .replace("timezone = \"Asia/Riyadh\"", "timezone = \"UTC\"");
    let day: Timestamp = "2026-11-27T00:00:00Z".parse().expect("valid");
    // Start so the monitor's first check, at its stable offset, falls one hour before the day:
    // every check is then on a five-minute boundary.
    let offset = tocsin_engine::jitter(MONITOR, Duration::from_secs(300));
    let start = day - minutes(60) - SignedDuration::try_from(offset).expect("small");
    let app = TestApp::start_at(&config, start).await;
    assert_eq!(next_check(&app), day - minutes(60));

    run_to(&app, day - minutes(5)).await;
    target.answer(503); // the checks from 00:00 fail …
    run_to(&app, day + minutes(10)).await;
    target.answer(200); // … until the one at 00:15
    run_to(&app, day + minutes(15)).await;
    run_to(&app, day + minutes(23 * 60 + 45)).await;
    target.answer(503); // from 23:50 …
    run_to(&app, day + minutes(24 * 60 + 15)).await;
    target.answer(200); // … until 00:20 the next day
    run_to(&app, day + minutes(24 * 60 + 20)).await;

    let next_day = day + minutes(24 * 60);
    let (status, body) = app
        .get(&format!(
            "/api/v1/monitors/{MONITOR}/uptime?from={day}&to={next_day}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["down_ms"], 25 * 60_000, "{body}");
    assert_eq!(body["monitored_ms"], 24 * 3_600_000);
    assert_eq!(
        body["uptime"].as_f64(),
        Some((1440.0 - 15.0 - 10.0) / 1440.0)
    );
    assert_eq!(body["uptime_percent"], "98.26%");
    let outages = body["outages"].as_array().expect("outages");
    assert_eq!(outages.len(), 2);
    assert_eq!(
        outages[1]["until"].as_str(),
        Some((day + minutes(24 * 60 + 20)).to_string().as_str())
    );

    // The status page's bar for that day says the same.
    let page = app
        .http
        .get(app.url("/status?lang=en"))
        .send()
        .await
        .expect("status page")
        .text()
        .await
        .expect("body");
    assert!(page.contains(": 98.26%\""), "the day's bar shows 98.26%");

    // Bad windows are refused with a clear error.
    let (status, body) = app
        .get(&format!(
            "/api/v1/monitors/{MONITOR}/uptime?from={next_day}&to={day}"
        ))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = app.get("/api/v1/monitors/nope/uptime").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_locked_database_delays_the_write_but_fails_no_check_and_opens_no_incident() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    // SQLite's own lock on its file: on a database file whatever the suite's backend.
    let app = TestApp::start_on_file(&basic_config(&target, &sink, "30s", 1)).await;
    let store = app.app.engine.store().clone();
    run_to(&app, next_check(&app)).await;
    assert_eq!(
        store
            .recent_checks(MONITOR, 10)
            .await
            .expect("checks")
            .len(),
        1
    );

    // Another connection holds the write lock on the same SQLite file.
    let url = format!("sqlite://{}", app.dir().join("tocsin.db").display());
    let mut other = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("second connection");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .expect("take the write lock");
    let due = next_check(&app);
    app.clock.set(due);
    assert_eq!(app.app.engine.probe_due().await.expect("probe round"), 1);
    assert_eq!(
        app.app.engine.pending_checks(),
        1,
        "held for the next write"
    );
    assert!(
        app.incidents("all").await.is_empty(),
        "no incident from a busy store"
    );
    assert_eq!(
        next_check(&app),
        due + SignedDuration::from_secs(30),
        "the rhythm goes on"
    );

    sqlx::query("ROLLBACK")
        .execute(&mut other)
        .await
        .expect("release the lock");
    assert_eq!(app.app.engine.flush_checks().await.expect("flush"), 1);
    let checks = store.recent_checks(MONITOR, 10).await.expect("checks");
    assert_eq!(checks.len(), 2);
    assert!(
        checks.iter().all(|check| check.outcome.ok),
        "no failed check was recorded"
    );
    let (_, monitors) = app.get("/api/v1/monitors").await;
    assert_eq!(monitors["monitors"][0]["status"], "up");
    assert!(app.incidents("all").await.is_empty());
}

#[tokio::test]
async fn raw_checks_past_retention_live_on_as_exact_hourly_and_daily_aggregates() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let config = format!(
        "{}\n[engine]\nkeep_raw_checks = \"1d\"\n",
        basic_config(&target, &sink, "5m", 1)
    );
    let day: Timestamp = "2026-11-27T00:00:00Z".parse().expect("valid");
    let offset = tocsin_engine::jitter(MONITOR, Duration::from_secs(300));
    let start = day - SignedDuration::try_from(offset).expect("small");
    let app = TestApp::start_at(&config, start).await;
    // Three whole days of checks, failing for one hour (10:00–11:00) on the second day.
    run_to(&app, day + minutes(24 * 60 + 10 * 60 - 5)).await;
    target.answer(503);
    run_to(&app, day + minutes(24 * 60 + 11 * 60 - 5)).await;
    target.answer(200);
    run_to(&app, day + minutes(3 * 24 * 60 + 30)).await;

    let store = app.app.engine.store();
    let raw = store.recent_checks(MONITOR, 10_000).await.expect("checks");
    let cutoff = app.now() - minutes(24 * 60);
    assert!(
        raw.iter().all(|check| check.at >= cutoff - minutes(1)),
        "raw checks older than keep_raw_checks are pruned"
    );
    let days = store
        .rollups(
            MONITOR,
            tocsin_store::RollupSpan::Day,
            day,
            day + minutes(3 * 24 * 60),
        )
        .await
        .expect("day rollups");
    let counts: Vec<(u64, u64)> = days.iter().map(|d| (d.checks, d.failures)).collect();
    assert_eq!(counts, [(288, 0), (288, 12), (288, 0)]);
    let hours = store
        .rollups(
            MONITOR,
            tocsin_store::RollupSpan::Hour,
            day + minutes(24 * 60 + 10 * 60),
            day + minutes(24 * 60 + 11 * 60),
        )
        .await
        .expect("hour rollups");
    assert_eq!(hours.len(), 1);
    assert_eq!((hours[0].checks, hours[0].failures), (12, 12));
    // Counts over the whole window (the monitors page) still include the pruned checks.
    let counts = store.check_counts(MONITOR, day).await.expect("counts");
    assert_eq!((counts.total, counts.ok), (3 * 288 + 7, 3 * 288 + 7 - 12));
    // Uptime still comes out exact after the raw checks are gone.
    let from = day + minutes(24 * 60);
    let to = day + minutes(2 * 24 * 60);
    let (_, body) = app
        .get(&format!(
            "/api/v1/monitors/{MONITOR}/uptime?from={from}&to={to}"
        ))
        .await;
    assert_eq!(body["down_ms"], 60 * 60_000, "{body}");
}

/// A slow site that records how many requests it was serving at once.
async fn slow_site() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (serving, peak) = (now.clone(), most.clone());
    let app = axum::Router::new().route(
        "/slow",
        axum::routing::get(move || {
            let (serving, peak) = (serving.clone(), peak.clone());
            async move {
                let in_flight = serving.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(in_flight, Ordering::SeqCst);
                // The site is slow (this is its behaviour, not the test waiting for something).
                tokio::time::sleep(Duration::from_millis(50)).await;
                serving.fetch_sub(1, Ordering::SeqCst);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, most)
}

#[tokio::test]
async fn twenty_monitors_of_one_host_take_turns_three_at_a_time() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let (site, peak) = slow_site().await;
    let mut config = format!(
        "{}\n[engine]\nprobe_concurrency_per_host = 3\n",
        basic_config(&target, &sink, "30s", 1)
    );
    for n in 0..20 {
        config.push_str(&format!(
            "\n[[monitor]]\nid = \"page-{n}\"\ntype = \"http\"\nurl = \"{site}/slow\"\ninterval = \"30s\"\nseverity = \"SEV-2\"\n"
        ));
    }
    let app = TestApp::start(&config).await;
    // Half a minute on, every monitor is due at once.
    app.clock.advance(Duration::from_secs(30));
    assert_eq!(app.app.engine.probe_due().await.expect("probe round"), 21);
    assert_eq!(
        peak.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "never more than three checks at once against 127.0.0.1"
    );
    let (_, monitors) = app.get("/api/v1/monitors").await;
    let up = monitors["monitors"]
        .as_array()
        .expect("monitors")
        .iter()
        .filter(|m| m["status"] == "up")
        .count();
    assert_eq!(up, 21, "every check ran and passed");
}
