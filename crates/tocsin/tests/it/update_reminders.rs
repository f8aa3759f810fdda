//! `update_every`: while a SEV-1 is open the team is reminded every 30 minutes that an update is
//! due and who owns it; posting an update moves the next reminder, resolving stops them.

use std::time::Duration;

use serde_json::json;

use crate::support::{Sink, Target, TestApp, basic_config};

const MINUTE: Duration = Duration::from_secs(60);

/// Slack messages saying an update is due.
fn reminders(sink: &Sink) -> Vec<String> {
    sink.received()
        .into_iter()
        .map(|received| received.body.to_string())
        .filter(|body| body.contains("Update due"))
        .collect()
}

async fn update_due_events(app: &TestApp, id: &str) -> usize {
    app.timeline_kinds(id)
        .await
        .iter()
        .filter(|kind| *kind == "update_due")
        .count()
}

#[tokio::test]
async fn a_sev1_is_reminded_every_30_minutes_an_update_moves_the_next_and_resolving_stops_them() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let config = basic_config(&target, &sink, "1m", 1).replace(
        "respond_within = \"15m\"\n",
        "respond_within = \"15m\"\nupdate_every = \"30m\"\n",
    );
    let app = TestApp::start(&config).await;
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "Checkout down", "severity": "SEV-1" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    let (status, _) = app
        .post(&format!("/api/v1/incidents/{id}/acknowledge"), json!({}))
        .await;
    assert_eq!(status, 200);
    let owner = app.timeline_kinds(&id).await;
    assert!(owner.contains(&"acknowledged".to_owned()), "{owner:?}");

    // 29 minutes: nothing is due yet.
    app.advance(29 * MINUTE, MINUTE).await;
    assert!(reminders(&sink).is_empty());
    assert_eq!(update_due_events(&app, &id).await, 0);

    // 30 minutes: the reminder, on the timeline and in Slack, naming the acknowledger.
    app.advance(MINUTE, MINUTE).await;
    assert_eq!(update_due_events(&app, &id).await, 1);
    let slack = reminders(&sink);
    assert_eq!(slack.len(), 1, "{slack:?}");
    let (_, timeline) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    let acknowledger = timeline["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|event| event["kind"] == "acknowledged")
        .and_then(|event| event["actor"].as_str())
        .expect("acknowledger")
        .to_owned();
    assert!(
        slack[0].contains(&format!("{acknowledger} owns the next update")),
        "{}",
        slack[0]
    );

    // An update at 40 minutes: nothing at 60, the next reminder at 70.
    app.advance(10 * MINUTE, MINUTE).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            json!({ "text": "Rolling back the deploy" }),
        )
        .await;
    assert_eq!(status, 200);
    app.advance(29 * MINUTE, MINUTE).await;
    assert_eq!(reminders(&sink).len(), 1, "no reminder at 60 minutes");
    assert_eq!(update_due_events(&app, &id).await, 1);
    app.advance(MINUTE, MINUTE).await;
    assert_eq!(reminders(&sink).len(), 2, "the reminder at 70 minutes");
    assert_eq!(update_due_events(&app, &id).await, 2);

    // Resolved: no more reminders.
    let (status, _) = app
        .post(&format!("/api/v1/incidents/{id}/resolve"), json!({}))
        .await;
    assert_eq!(status, 200);
    app.advance(90 * MINUTE, 5 * MINUTE).await;
    assert_eq!(reminders(&sink).len(), 2);
    assert_eq!(update_due_events(&app, &id).await, 2);
}
