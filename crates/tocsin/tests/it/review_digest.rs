//! The weekly review digest: at `postmortem.review`'s time (Sunday 10:00 in Riyadh) exactly one
//! digest with the week's figures reaches its Slack channel, and restarts neither skip nor
//! double it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tocsin::app::{App, AppOptions};
use tocsin_engine::ManualClock;

use crate::support::{Sink, TOKEN};

const MINUTE: Duration = Duration::from_secs(60);

fn config(sink: &Sink) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "{TOKEN}"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"
locales = ["ar", "en"]

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = ["slack-alerts"]
status_page = "major_outage"
postmortem_within = "48h"

[[severity]]
id = "SEV-3"
definition = "Minor bug"
respond_within = "4h"
notify = []
status_page = "none"

[[channel]]
id = "slack-alerts"
type = "slack"
webhook_url = "{sink}/slack"

[postmortem]
required_for = ["SEV-1"]
dir = "postmortems"
review = {{ every = "1w", at = "sun 10:00", channel = "slack-alerts" }}
"#,
        sink = sink.url,
    )
}

/// tocsin on the database and configuration in `dir`, its clock at `at`, due work settled.
async fn start(dir: &Path, sink: &Sink, at: &str) -> (App, Arc<ManualClock>) {
    let text = config(sink);
    let path = dir.join("tocsin.toml");
    std::fs::write(&path, &text).expect("write config");
    let config = tocsin_config::load_str(&text, &path, &|_| None).expect("config");
    let clock = Arc::new(ManualClock::new(at.parse().expect("instant")));
    let options = AppOptions {
        config: Arc::new(config),
        database: Some(format!("sqlite://{}", dir.join("tocsin.db").display())),
        clock: clock.clone(),
        run_workers: false,
        extra_routes: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let app = App::start(options, listener).await.expect("start tocsin");
    settle(&app).await;
    (app, clock)
}

async fn settle(app: &App) {
    for _ in 0..100 {
        if app.engine.run_due().await.expect("run due work") == 0 {
            return;
        }
    }
    panic!("work kept coming due at one instant");
}

async fn post(app: &App, path: &str, body: serde_json::Value) -> serde_json::Value {
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .post(format!("{}{path}", app.url()))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("POST");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("json")
}

/// The digests Slack received, as the text of their summary section.
fn digests(sink: &Sink) -> Vec<String> {
    sink.received()
        .into_iter()
        .filter(|received| received.body["text"].to_string().contains("Weekly review"))
        .map(|received| received.body["blocks"][2]["text"]["text"].to_string())
        .collect()
}

#[tokio::test]
async fn one_digest_arrives_on_sunday_at_ten_with_the_weeks_figures_across_restarts() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().expect("tempdir");

    // Thursday: a SEV-1 acknowledged after 5 minutes and resolved after an hour (its post-mortem
    // is due 48 hours later), and a SEV-3 left open; neither matched a runbook.
    let (app, clock) = start(dir.path(), &sink, "2026-11-26T00:00:00Z").await;
    let sev1 = post(
        &app,
        "/api/v1/incidents",
        json!({ "title": "Checkout API down", "severity": "SEV-1" }),
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    clock.advance(5 * MINUTE);
    post(
        &app,
        &format!("/api/v1/incidents/{sev1}/acknowledge"),
        json!({}),
    )
    .await;
    clock.advance(55 * MINUTE);
    post(
        &app,
        &format!("/api/v1/incidents/{sev1}/resolve"),
        json!({}),
    )
    .await;
    post(
        &app,
        "/api/v1/incidents",
        json!({ "title": "Invoice export slow", "severity": "SEV-3" }),
    )
    .await;
    settle(&app).await;
    // One open action item in the post-mortem file.
    let postmortems = dir.path().join("postmortems");
    let file = std::fs::read_dir(&postmortems)
        .expect("post-mortem folder")
        .next()
        .expect("the SEV-1's post-mortem")
        .expect("entry")
        .path();
    let mut text = std::fs::read_to_string(&file).expect("read");
    text.push_str("- [ ] Add a canary — owner: Sara\n- [x] Done already\n");
    std::fs::write(&file, text).expect("edit");

    // A minute before Sunday 10:00 in Riyadh (07:00 UTC): nothing yet.
    clock.set("2026-11-29T06:59:00Z".parse().expect("instant"));
    settle(&app).await;
    assert!(digests(&sink).is_empty());
    app.stop().await.expect("stop");

    // Down over the due time: the digest is not skipped when tocsin comes back…
    let (app, _) = start(dir.path(), &sink, "2026-11-29T07:00:00Z").await;
    let sent = digests(&sink);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let digest = &sent[0];
    for line in [
        "Week 2026-11-22 to 2026-11-29 (Asia/Riyadh)",
        "Incidents: 2 (SEV-1 1, SEV-3 1)",
        "SEV-1: MTTA 5m, MTTR 1h; target 15m, 100% acknowledged within it",
        "SEV-3: MTTA n/a, MTTR n/a; target 4h, 0% acknowledged within it",
        "Post-mortems: 0 due, 1 overdue",
        "Open action items: 1",
        "Incidents without a runbook: 2",
        "Review: http://tocsin.test/review",
    ] {
        assert!(digest.contains(line), "missing {line:?} in {digest}");
    }
    let message = sink
        .received()
        .into_iter()
        .find(|received| received.body["text"].to_string().contains("Weekly review"))
        .expect("the digest")
        .body;
    assert_eq!(
        message["blocks"][3]["elements"][0]["url"],
        "http://tocsin.test/review"
    );
    assert_eq!(
        message["blocks"][3]["elements"][0]["text"]["text"],
        "Open the review"
    );
    let recorded = app.engine.review_digests(10).await.expect("digests");
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].result.as_deref(), Some("sent"));
    app.stop().await.expect("stop");

    // …nor doubled by another restart the same day.
    let (app, clock) = start(dir.path(), &sink, "2026-11-29T08:00:00Z").await;
    assert_eq!(digests(&sink).len(), 1);

    // The next Sunday: the next one, for a quiet week.
    clock.set("2026-12-06T06:59:00Z".parse().expect("instant"));
    settle(&app).await;
    assert_eq!(digests(&sink).len(), 1);
    clock.set("2026-12-06T07:00:00Z".parse().expect("instant"));
    settle(&app).await;
    let sent = digests(&sink);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[1].contains("Incidents: 0"), "{}", sent[1]);
    app.stop().await.expect("stop");
}
