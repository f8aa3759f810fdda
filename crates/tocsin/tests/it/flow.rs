//! The runbook's first line of defence, end to end: a failing /healthz becomes one SEV-1, one
//! page with an acknowledge link, an acknowledgement, and a resolution when it heals.

use std::time::Duration;

use serde_json::json;

use crate::support::{Sink, Target, TestApp, ack_link, basic_config};

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn a_failing_healthz_opens_one_sev1_pages_once_and_resolves_when_it_heals() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "1s", 2)).await;
    app.advance(Duration::from_secs(3), SECOND).await;
    assert!(
        app.incidents("all").await.is_empty(),
        "a healthy target opens nothing"
    );

    target.answer(503);
    let opened = app
        .advance_until(Duration::from_secs(5), || async {
            !app.incidents("open").await.is_empty()
        })
        .await;
    assert!(
        opened.is_some(),
        "a SEV-1 is open within 5 s of the target failing"
    );
    let incident = app.incidents("open").await.remove(0);
    assert_eq!(incident["severity"], "SEV-1");
    assert_eq!(incident["state"], "triggered");
    assert_eq!(incident["title"], "API /healthz is down");
    let id = incident["id"].as_str().unwrap().to_owned();

    let messages = sink.accepted();
    assert_eq!(
        messages.len(),
        1,
        "exactly one Slack message: {messages:#?}"
    );
    assert_eq!(
        messages[0].path, "/slack",
        "posted to the channel's webhook URL"
    );
    assert_eq!(messages[0].headers["content-type"], "application/json");
    let text = messages[0].body.to_string();
    assert!(
        text.contains("API /healthz is down"),
        "the page names the incident: {text}"
    );
    let link = ack_link(&messages[0].body).expect("the page carries an acknowledge link");
    assert!(
        link.starts_with("http://tocsin.test/ack/"),
        "links are built on server.public_url: {link}"
    );

    let (status, acked) = app
        .post(&format!("/api/v1/incidents/{id}/acknowledge"), json!({}))
        .await;
    assert_eq!(status, 200, "{acked}");
    assert_eq!(acked["state"], "acknowledged");

    // Past the 15-minute response target: acknowledged in time, so no response_overdue.
    app.advance(Duration::from_secs(16 * 60), Duration::from_secs(30))
        .await;
    assert!(
        !app.timeline_kinds(&id)
            .await
            .contains(&"response_overdue".to_owned())
    );

    target.answer(200);
    let resolved = app
        .advance_until(Duration::from_secs(5), || async {
            app.incidents("open").await.is_empty()
        })
        .await;
    assert!(
        resolved.is_some(),
        "the incident resolves itself within 5 s of the target healing"
    );
    let (_, timeline) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    let resolved_event = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "resolved")
        .cloned();
    let resolved_event = resolved_event.expect("a resolved event");
    assert!(
        resolved_event["text"]
            .as_str()
            .unwrap()
            .contains("every alert has cleared"),
        "{resolved_event}"
    );
    assert_eq!(app.incidents("all").await.len(), 1);
}

#[tokio::test]
async fn without_acknowledgement_response_overdue_appears_at_respond_by() {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "1m", 1)).await;
    app.advance_until(Duration::from_secs(120), || async {
        !app.incidents("open").await.is_empty()
    })
    .await;
    let incident = app.incidents("open").await.remove(0);
    let id = incident["id"].as_str().unwrap().to_owned();
    let respond_by: jiff::Timestamp = incident["respond_by"].as_str().unwrap().parse().unwrap();
    let opened_at: jiff::Timestamp = incident["opened_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        respond_by.duration_since(opened_at),
        jiff::SignedDuration::from_mins(15)
    );

    // Up to 2 s before the target: nothing.
    let before = respond_by.duration_since(app.now()) - jiff::SignedDuration::from_secs(2);
    app.advance(Duration::try_from(before).unwrap(), Duration::from_secs(30))
        .await;
    assert!(
        !app.timeline_kinds(&id)
            .await
            .contains(&"response_overdue".to_owned())
    );
    // By 2 s after it: there.
    app.advance(Duration::from_secs(4), SECOND).await;
    let (_, timeline) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    let overdue = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "response_overdue")
        .cloned();
    let overdue = overdue.expect("response_overdue in the timeline");
    let at: jiff::Timestamp = overdue["at"].as_str().unwrap().parse().unwrap();
    assert!(
        at.duration_since(respond_by).abs() <= jiff::SignedDuration::from_secs(2),
        "at {at}, due {respond_by}"
    );
}

#[tokio::test]
async fn ten_minutes_of_failure_open_no_second_incident_and_send_no_second_page() {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "1s", 2)).await;
    app.advance(Duration::from_secs(600), SECOND).await;
    assert_eq!(app.incidents("all").await.len(), 1);
    let pages: Vec<_> = sink
        .accepted()
        .into_iter()
        .filter(|r| r.body.to_string().contains("is down"))
        .collect();
    assert_eq!(pages.len(), 1, "one page for one outage");
}

/// A commit hands its notices to the sender, leased to it; when the sender has not started
/// them before that lease ends (a database too busy to answer), its own claim finds the same
/// notices due again. Both roads lead to one send, not two.
#[tokio::test]
async fn a_notice_handed_over_then_claimed_again_after_its_lease_is_sent_once() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "1h", 1)).await;
    let (status, _) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "Checkout broken", "severity": "SEV-2" }),
        )
        .await;
    assert_eq!(status, 201);
    // Nothing has been sent yet, and the hand-over's lease (a minute at most) runs out.
    app.clock.advance(Duration::from_secs(61));
    app.settle().await;
    let told: Vec<_> = sink
        .received()
        .into_iter()
        .filter(|request| request.path == "/slack")
        .collect();
    assert_eq!(told.len(), 1, "one notice for one incident: {told:#?}");
}

#[tokio::test]
async fn the_acknowledge_link_works_once_and_a_forged_one_changes_nothing() {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "1s", 1)).await;
    app.advance_until(Duration::from_secs(5), || async {
        !sink.accepted().is_empty()
    })
    .await;
    let link = ack_link(&sink.accepted()[0].body).expect("ack link");
    let local = link.replace("http://tocsin.test", &app.app.url());
    let id = app.incidents("open").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A tampered token: refused, nothing changes.
    let forged = format!("{}x", local);
    let response = app.http.post(&forged).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(app.incidents("open").await[0]["state"], "triggered");

    let page = app.http.get(&local).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("healthz is down") && html.contains("<button"),
        "the page shows what will be acknowledged"
    );
    assert_eq!(
        app.incidents("open").await[0]["state"],
        "triggered",
        "GET changes nothing"
    );

    let response = app.http.post(&local).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(app.incidents("open").await[0]["state"], "acknowledged");
    let (_, incident) = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["acknowledged_by"], "slack-alerts");

    let again = app.http.post(&local).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 403, "a used link is refused");
}

#[tokio::test]
async fn the_acknowledge_link_expires_after_a_day() {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "1m", 1)).await;
    app.advance_until(Duration::from_secs(60), || async {
        !sink.accepted().is_empty()
    })
    .await;
    let link = ack_link(&sink.accepted()[0].body)
        .unwrap()
        .replace("http://tocsin.test", &app.app.url());
    app.clock.advance(Duration::from_secs(24 * 3600 + 1));
    let response = app.http.post(&link).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(app.incidents("open").await[0]["state"], "triggered");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_until_it_accepts() {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    sink.answer(503);
    let app = TestApp::start(&basic_config(&target, &sink, "1m", 1)).await;
    app.advance_until(Duration::from_secs(60), || async {
        !sink.received().is_empty()
    })
    .await;
    app.advance(Duration::from_secs(10), SECOND).await;
    let tries = sink.received().len();
    assert!(tries >= 2, "retried while the receiver fails: {tries}");
    assert!(sink.accepted().is_empty());
    let (_, deliveries) = app.get("/api/v1/deliveries").await;
    assert_eq!(deliveries["deliveries"][0]["status"], "pending");
    assert_eq!(
        deliveries["deliveries"][0]["attempts"].as_u64().unwrap() as usize,
        tries
    );

    sink.answer(200);
    app.advance(Duration::from_secs(120), SECOND).await;
    assert_eq!(
        sink.accepted().len(),
        1,
        "delivered once after the receiver recovered"
    );
    let (_, deliveries) = app.get("/api/v1/deliveries").await;
    assert_eq!(deliveries["deliveries"][0]["status"], "sent");
    let id = app.incidents("all").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        app.timeline_kinds(&id)
            .await
            .contains(&"notified".to_owned())
    );
}

#[tokio::test]
async fn a_permanent_refusal_is_not_retried_and_is_on_the_timeline() {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    sink.answer(404);
    let app = TestApp::start(&basic_config(&target, &sink, "1m", 1)).await;
    app.advance(Duration::from_secs(120), SECOND).await;
    assert_eq!(sink.received().len(), 1);
    let (_, deliveries) = app.get("/api/v1/deliveries").await;
    assert_eq!(deliveries["deliveries"][0]["status"], "failed");
    let id = app.incidents("all").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        app.timeline_kinds(&id)
            .await
            .contains(&"notify_failed".to_owned())
    );
}
