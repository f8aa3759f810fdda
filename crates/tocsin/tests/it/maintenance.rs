//! Maintenance windows: a failing monitor inside a window pages nobody and the status page says
//! "under maintenance"; the same failure still there after the window pages as usual.

use std::time::Duration;

use crate::support::{Sink, Target, TestApp, basic_config};

const THIRTY_SECONDS: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_failure_inside_a_window_pages_nobody_until_the_window_ends() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    // The tests' clock starts at 2026-11-26 00:00 UTC; the window is 00:10–00:20 UTC.
    let config = basic_config(&target, &sink, "30s", 1).replace(
        "[status_page]",
        r#"[[maintenance]]
id = "db-upgrade"
title = "Database upgrade"
components = ["api"]
from = 2026-11-26T03:10:00+03:00
until = 2026-11-26T00:20:00Z

[status_page]"#,
    );
    let app = TestApp::start(&config).await;

    // Before the window the page lists it as scheduled and the component is operational.
    app.advance(Duration::from_secs(60), THIRTY_SECONDS).await;
    let summary = app.get("/api/v2/summary.json").await.1;
    assert_eq!(summary["components"][0]["status"], "operational");
    assert_eq!(summary["scheduled_maintenances"][0]["status"], "scheduled");
    assert_eq!(
        summary["scheduled_maintenances"][0]["name"],
        "Database upgrade"
    );
    assert_eq!(
        summary["scheduled_maintenances"][0]["scheduled_for"],
        "2026-11-26T00:10:00Z"
    );

    // Into the window; the service fails and stays failing.
    app.advance(Duration::from_secs(9 * 60), THIRTY_SECONDS)
        .await;
    target.answer(503);
    app.advance(Duration::from_secs(3 * 60), THIRTY_SECONDS)
        .await;

    let monitors = app.get("/api/v1/monitors").await.1;
    let monitor = &monitors["monitors"][0];
    assert_eq!(
        monitor["status"], "down",
        "the monitor still sees the failure"
    );
    assert_eq!(monitor["maintenance"]["id"], "db-upgrade");
    assert!(
        app.incidents("all").await.is_empty(),
        "no incident opens inside the window"
    );
    assert!(
        sink.accepted().is_empty(),
        "nobody is paged inside the window"
    );

    let summary = app.get("/api/v2/summary.json").await.1;
    assert_eq!(summary["components"][0]["status"], "under_maintenance");
    assert_eq!(
        summary["scheduled_maintenances"][0]["status"],
        "in_progress"
    );
    let page = app
        .http
        .get(app.url("/status"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("الصيانة المجدولة"),
        "the Arabic page lists the window"
    );
    assert!(page.contains("Database upgrade"));
    assert!(
        page.contains("st-under_maintenance"),
        "the component shows maintenance"
    );

    // Past the window, still failing: the monitor pages.
    let paged = app
        .advance_until(Duration::from_secs(10 * 60), || async {
            !app.incidents("open").await.is_empty()
        })
        .await;
    assert!(
        paged.is_some(),
        "the still-failing monitor opens an incident after the window"
    );
    assert!(
        app.now() >= "2026-11-26T00:20:00Z".parse().unwrap(),
        "and not before the window ends"
    );
    let incident = app.incidents("open").await.remove(0);
    assert_eq!(incident["severity"], "SEV-1");
    let opened_at: jiff::Timestamp = incident["opened_at"].as_str().unwrap().parse().unwrap();
    assert!(
        opened_at >= "2026-11-26T00:20:00Z".parse().unwrap(),
        "the incident opens after the window: {opened_at}"
    );
    assert_eq!(
        sink.accepted().len(),
        1,
        "one page, once the window is over"
    );
    let summary = app.get("/api/v2/summary.json").await.1;
    assert_eq!(summary["components"][0]["status"], "major_outage");
    assert!(
        summary["scheduled_maintenances"]
            .as_array()
            .unwrap()
            .is_empty(),
        "the window is over"
    );
}
