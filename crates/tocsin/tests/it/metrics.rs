//! `GET /metrics`: what an operator's Prometheus sees when a monitor fails and Slack refuses the
//! page — without a session, and without a word of the incident's title.

use std::time::Duration;

use serde_json::json;

use crate::support::{Sink, Target, TestApp, basic_config};

/// The sample `name{labels}`'s value, when present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_count_signals_incidents_deliveries_and_show_outbox_age_and_probe_lag() {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    sink.answer(503);
    let config = format!(
        "{}\n[[integration]]\nid = \"events\"\ntype = \"uptimerobot\"\ntoken = \"uptimerobot-token-0123456789\"\nseverity = \"SEV-2\"\ncategory = \"backend\"\n",
        basic_config(&target, &sink, "1s", 1)
    );
    let app = TestApp::start(&config).await;
    // The monitor fails, a SEV-1 opens, Slack answers 503: the page waits in the outbox.
    app.advance(Duration::from_secs(2), Duration::from_secs(1))
        .await;
    assert_eq!(app.incidents("open").await.len(), 1);
    // One refused request (wrong token) and one accepted alert.
    let refused = app
        .http
        .post(app.url("/hooks/events?token=wrong"))
        .json(&json!({ "monitorID": "1", "alertType": "1", "monitorFriendlyName": "Web" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let accepted = app
        .http
        .post(app.url("/hooks/events?token=uptimerobot-token-0123456789"))
        .json(&json!({ "monitorID": "1", "alertType": "1", "monitorFriendlyName": "Web" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        accepted.status().as_u16(),
        202,
        "{}",
        accepted.text().await.unwrap()
    );

    // Five minutes pass with the workers stalled (nothing settles): the page is five minutes
    // old in the outbox and the monitor's check five minutes late.
    app.clock.advance(Duration::from_secs(300));
    // No session, no token: a scraper reads it as it reads /healthz.
    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();

    assert_eq!(
        sample(
            &text,
            "tocsin_signals_accepted_total{integration=\"events\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "tocsin_signals_rejected_total{integration=\"events\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "tocsin_incidents{state=\"triggered\"}"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "tocsin_incidents{state=\"resolved\"}"),
        Some(0.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "tocsin_deliveries_total{channel=\"slack-alerts\",result=\"retried\"}"
        )
        .unwrap_or(0.0)
            >= 1.0,
        "{text}"
    );
    assert!(
        sample(&text, "tocsin_outbox_pending{channel=\"slack-alerts\"}").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    let age = sample(
        &text,
        "tocsin_outbox_oldest_pending_age_seconds{channel=\"slack-alerts\"}",
    )
    .expect("an outbox age");
    assert!((300.0..=302.0).contains(&age), "{age}");
    assert_eq!(
        sample(&text, "tocsin_monitor_up{monitor=\"api-health\"}"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "tocsin_monitors{status=\"down\"}"),
        Some(1.0),
        "{text}"
    );
    let lag =
        sample(&text, "tocsin_probe_lag_seconds{monitor=\"api-health\"}").expect("a probe lag");
    assert!((295.0..=300.0).contains(&lag), "{lag}");
    // Counts and ids only: no incident title, no alert text, no secret.
    assert!(!text.contains("/healthz is down"), "{text}");
    assert!(!text.contains("Web"), "{text}");
    assert!(!text.contains("uptimerobot-token"), "{text}");
    // Every sample belongs to a family announced with HELP and TYPE.
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap();
        // A histogram's samples carry suffixes on its family's name.
        let histogram = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|family| text.contains(&format!("# TYPE {family} histogram")));
        match histogram {
            Some(_) => {}
            None => assert!(text.contains(&format!("# TYPE {name} ")), "{line}"),
        }
    }
}
