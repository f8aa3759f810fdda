//! `[self_monitoring]`: tocsin opens an incident about itself, through the normal path, when a
//! page is stuck in the outbox, probes fall behind, or the disk fills; it resolves on its own
//! when the condition clears.

use std::time::Duration;

use serde_json::Value;

use crate::support::{Sink, Target, TestApp, basic_config};

fn config(target: &Target, sink: &Sink, disk_free_below_mb: u64) -> String {
    format!(
        "{}\n[self_monitoring]\nseverity = \"SEV-2\"\noutbox_age = \"1m\"\nprobe_lag = \"1m\"\ndisk_free_below_mb = {disk_free_below_mb}\n",
        basic_config(target, sink, "10s", 1)
    )
}

async fn self_incident(app: &TestApp, title_part: &str) -> Option<Value> {
    app.incidents("all").await.into_iter().find(|incident| {
        incident["title"]
            .as_str()
            .unwrap_or("")
            .contains(title_part)
    })
}

#[tokio::test]
async fn a_page_stuck_in_the_outbox_opens_a_sev2_about_tocsin_that_resolves_once_it_is_sent() {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    sink.answer(503);
    let app = TestApp::start(&config(&target, &sink, 0)).await;
    // The monitor fails; Slack refuses the page, which stays in the outbox.
    app.advance(Duration::from_secs(20), Duration::from_secs(5))
        .await;
    assert_eq!(app.incidents("open").await.len(), 1);
    assert!(self_incident(&app, "outbox").await.is_none());

    // Past a minute in the outbox: a SEV-2 about tocsin itself, with the channel named.
    app.advance(Duration::from_secs(60), Duration::from_secs(5))
        .await;
    let stuck = self_incident(&app, "outbox")
        .await
        .expect("a self-incident opened");
    assert_eq!(stuck["severity"], "SEV-2");
    assert_eq!(stuck["state"], "triggered");
    assert_eq!(stuck["title"], "tocsin: pages are stuck in the outbox");
    let id = stuck["id"].as_str().unwrap().to_owned();
    let (_, timeline) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    assert!(timeline.to_string().contains("slack-alerts"), "{timeline}");

    // Slack accepts again: the pages go out, and the self-incident resolves by itself.
    sink.answer(200);
    let resolved = app
        .advance_until(Duration::from_secs(3600), || async {
            self_incident(&app, "outbox")
                .await
                .is_some_and(|i| i["state"] == "resolved")
        })
        .await;
    assert!(
        resolved.is_some(),
        "{:#?}",
        self_incident(&app, "outbox").await
    );
    assert!(!sink.accepted().is_empty());
}

#[tokio::test]
async fn probes_behind_schedule_open_a_self_incident_that_clears_when_they_catch_up() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&target, &sink, 0)).await;
    app.settle().await;
    // The workers stall for five minutes (the clock moves, nothing runs), then a self-check.
    app.clock.advance(Duration::from_secs(300));
    app.app.engine.self_check_round().await.expect("self-check");
    let lagging = self_incident(&app, "behind schedule")
        .await
        .expect("opened");
    assert_eq!(lagging["state"], "triggered");
    // The workers catch up: the next round finds the check on time and clears it.
    app.settle().await;
    let cleared = self_incident(&app, "behind schedule")
        .await
        .expect("still there");
    assert_eq!(cleared["state"], "resolved");
}

#[tokio::test]
async fn a_nearly_full_disk_opens_a_self_incident() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    // No disk has a petabyte free: the threshold is always crossed. The disk watched is the
    // SQLite database's; on PostgreSQL the database server's disk is its operator's to watch.
    let app = TestApp::start_on_file(&config(&target, &sink, 1 << 30)).await;
    app.settle().await;
    let disk = self_incident(&app, "disk").await.expect("opened");
    assert_eq!(disk["state"], "triggered");
    assert_eq!(disk["severity"], "SEV-2");
}
