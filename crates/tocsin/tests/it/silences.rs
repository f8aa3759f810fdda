//! Routing and noise, end to end with simulated time: label routes send an Alertmanager alert to
//! its label route's escalation; a silence records matching signals but pages nobody until it
//! ends, then the next signal pages; an open SEV-1 on a component holds back lower pages there;
//! the silences API refuses bad silences and stores nothing; the command line makes, lists and
//! expires silences through the API.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Sink, TOKEN, TestApp};

const AM_TOKEN: &str = "am-token-0123456789abcdef";
const MINUTE: Duration = Duration::from_secs(60);

fn config(slack: &Sink, ann: &Sink, bo: &Sink) -> String {
    format!(
        r#"
[server]
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "{TOKEN}"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = ["slack-alerts"]

[[severity]]
id = "SEV-2"
definition = "Major feature broken"
respond_within = "1h"
notify = ["slack-alerts"]

[[channel]]
id = "slack-alerts"
type = "slack"
webhook_url = "{slack}/slack"

[[channel]]
id = "pager-ann"
type = "webhook"
url = "{ann}/page"

[[channel]]
id = "pager-bo"
type = "webhook"
url = "{bo}/page"

[[contact]]
id = "ann"
name = "Ann"
email = "ann@dealix.example"
phone = "+966500000001"
methods = ["pager-ann"]

[[contact]]
id = "bo"
name = "Bo"
email = "bo@dealix.example"
phone = "+966500000002"
methods = ["pager-bo"]

[[escalation]]
id = "backend"
steps = [{{ targets = ["contact:ann"], after = "10m" }}]

[[escalation]]
id = "payments"
steps = [{{ targets = ["contact:bo"], after = "10m" }}]

# Routes may match alert labels (exact, or `~regex`), before the category routes.
[[route]]
match = {{ service = "checkout", env = "prod" }}
title = "Checkout in production"
escalation = "payments"

[[route]]
category = "*"
escalation = "backend"

[[integration]]
id = "alertmanager"
type = "alertmanager"
token = "{AM_TOKEN}"
severity_label = "severity"
severity_map = {{ critical = "SEV-1", warning = "SEV-2" }}
"#,
        slack = slack.url,
        ann = ann.url,
        bo = bo.url,
    )
}

struct World {
    app: TestApp,
    slack: Sink,
    ann: Sink,
    bo: Sink,
}

async fn world() -> World {
    let (slack, ann, bo) = (
        Sink::start().await,
        Sink::start().await,
        Sink::start().await,
    );
    let app = TestApp::start(&config(&slack, &ann, &bo)).await;
    World {
        app,
        slack,
        ann,
        bo,
    }
}

/// Sends one Alertmanager notification with one firing alert, and settles.
async fn alert(app: &TestApp, fingerprint: &str, severity: &str, labels: &[(&str, &str)]) {
    notify(app, "firing", fingerprint, severity, labels).await;
}

/// Sends one Alertmanager notification saying the alert is resolved, and settles.
async fn resolved(app: &TestApp, fingerprint: &str, severity: &str, labels: &[(&str, &str)]) {
    notify(app, "resolved", fingerprint, severity, labels).await;
}

async fn notify(
    app: &TestApp,
    status: &str,
    fingerprint: &str,
    severity: &str,
    labels: &[(&str, &str)],
) {
    let mut all: serde_json::Map<String, Value> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    all.insert("alertname".into(), Value::from("HighErrorRate"));
    all.insert("severity".into(), Value::from(severity));
    let body = json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"HighErrorRate\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "tocsin",
        "groupLabels": { "alertname": "HighErrorRate" },
        "commonLabels": { "alertname": "HighErrorRate" },
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "alerts": [{
            "status": status,
            "labels": all,
            "annotations": { "summary": format!("{fingerprint}: error rate above 5%") },
            "startsAt": "2026-11-26T00:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": fingerprint,
        }],
    });
    let response = app
        .http
        .post(app.url("/hooks/alertmanager"))
        .bearer_auth(AM_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 202);
    app.settle().await;
}

/// Silences every alert of `service=checkout` for an hour; its id.
async fn silence_checkout_for_an_hour(app: &TestApp) -> String {
    let (status, silence) = app
        .post(
            "/api/v1/silences",
            json!({ "matchers": { "service": "checkout" }, "for": "1h" }),
        )
        .await;
    assert_eq!(status, 201, "{silence}");
    silence["id"].as_str().expect("id").to_owned()
}

async fn delete(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app
        .http
        .delete(app.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("DELETE");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn timeline(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().cloned().unwrap_or_default()
}

const CHECKOUT_PROD: &[(&str, &str)] = &[("service", "checkout"), ("env", "prod")];
/// Labels no silence or SEV-1 of these tests touches: an alert with them pages Ann.
const SEARCH_STAGING: &[(&str, &str)] = &[("service", "search"), ("env", "staging")];

#[tokio::test]
async fn a_silence_on_checkout_records_signals_that_page_nobody_then_the_next_signal_after_it_pages()
 {
    let World {
        app,
        slack,
        ann,
        bo,
    } = world().await;
    let (status, silence) = app
        .post(
            "/api/v1/silences",
            json!({ "matchers": { "service": "checkout" }, "for": "1h", "comment": "checkout deploy" }),
        )
        .await;
    assert_eq!(status, 201, "{silence}");
    let id = silence["id"].as_str().expect("id").to_owned();
    assert_eq!(silence["matchers"], json!({ "service": "checkout" }));
    assert_eq!(silence["created_by"], "admin");
    assert_eq!(silence["comment"], "checkout deploy");
    let starts: jiff::Timestamp = silence["starts_at"].as_str().unwrap().parse().unwrap();
    let ends: jiff::Timestamp = silence["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(starts, app.now());
    assert_eq!(ends.duration_since(starts).as_secs(), 3600);

    // Two alerts during the silence: recorded, paging nobody, telling no channel.
    alert(&app, "fp-1", "warning", CHECKOUT_PROD).await;
    app.advance(30 * MINUTE, MINUTE).await;
    alert(&app, "fp-2", "critical", CHECKOUT_PROD).await;
    let recorded = app
        .app
        .engine
        .store()
        .last_signal_at("integration:alertmanager")
        .await
        .expect("read");
    assert_eq!(recorded, Some(app.now()), "every silenced signal is kept");
    let open = app.incidents("open").await;
    assert!(!open.is_empty());
    for incident in &open {
        assert_eq!(incident["held_by"], format!("silence:{id}"), "{incident}");
        assert_eq!(incident["paging"], false);
        let events = timeline(&app, incident["id"].as_str().unwrap()).await;
        let silenced = events
            .iter()
            .find(|event| event["kind"] == "silenced")
            .expect("a silenced event");
        assert!(silenced["text"].as_str().unwrap().contains(&id));
    }
    // Past the response target too: a silenced incident is never overdue.
    app.advance(29 * MINUTE, MINUTE).await;
    assert!(
        bo.received().is_empty() && ann.received().is_empty(),
        "nobody paged"
    );
    assert!(slack.received().is_empty(), "no channel told");

    // The silence ends; nothing is paged for what arrived during it.
    app.advance(2 * MINUTE, MINUTE).await;
    assert!(bo.received().is_empty() && slack.received().is_empty());
    let (_, list) = app.get("/api/v1/silences").await;
    assert_eq!(list["silences"][0]["active"], false);

    // The next signal pages: the label route's escalation, and the channel is told.
    alert(&app, "fp-1", "warning", CHECKOUT_PROD).await;
    assert_eq!(
        bo.accepted().len(),
        1,
        "Bo is paged by the label route's ladder"
    );
    assert!(ann.received().is_empty());
    assert_eq!(slack.accepted().len(), 1);
    let incident = app
        .incidents("open")
        .await
        .into_iter()
        .find(|incident| incident["held_by"].is_null())
        .expect("released");
    assert_eq!(incident["escalation"], "payments");
}

#[tokio::test]
async fn an_expired_silence_matches_nothing() {
    let World { app, bo, .. } = world().await;
    let id = silence_checkout_for_an_hour(&app).await;
    let (status, expired) = delete(&app, &format!("/api/v1/silences/{id}")).await;
    assert_eq!(status, 200, "{expired}");
    assert_eq!(expired["active"], false);
    assert_eq!(expired["ends_at"], json!(app.now()));
    alert(&app, "fp-1", "warning", CHECKOUT_PROD).await;
    assert_eq!(bo.accepted().len(), 1);
}

/// Between two batches of signals a single node keeps what holds pages back in memory; a silence
/// made or ended in between must reach the very next signal.
#[tokio::test]
async fn a_silence_made_then_ended_between_signals_holds_then_frees_the_next_one() {
    let World { app, ann, bo, .. } = world().await;
    // A first signal elsewhere: pages as usual (and has what holds pages back read once).
    alert(&app, "fp-1", "warning", SEARCH_STAGING).await;
    assert_eq!(ann.accepted().len(), 1);

    let id = silence_checkout_for_an_hour(&app).await;
    alert(
        &app,
        "fp-2",
        "warning",
        &[
            ("service", "checkout"),
            ("env", "prod"),
            ("component", "checkout-web"),
        ],
    )
    .await;
    assert!(bo.received().is_empty(), "the new silence holds the page");
    let held = app
        .incidents("open")
        .await
        .into_iter()
        .find(|incident| incident["component"] == "checkout-web")
        .expect("recorded");
    assert_eq!(held["held_by"], format!("silence:{id}"), "{held}");

    let (status, expired) = delete(&app, &format!("/api/v1/silences/{id}")).await;
    assert_eq!(status, 200, "{expired}");
    alert(
        &app,
        "fp-3",
        "warning",
        &[
            ("service", "checkout"),
            ("env", "prod"),
            ("component", "checkout-api"),
        ],
    )
    .await;
    assert_eq!(
        bo.accepted().len(),
        1,
        "the ended silence holds nothing back"
    );
}

/// A SEV-1 opened by an alert holds its component for the alerts of every later batch (the
/// kept `Quiet` takes in what a batch's own decisions changed), and an alert resolving it frees
/// the component again.
#[tokio::test]
async fn a_sev1_opened_by_an_alert_holds_later_batches_until_an_alert_resolves_it() {
    let World { app, ann, .. } = world().await;
    const CHECKOUT: &[(&str, &str)] = &[
        ("service", "checkout"),
        ("env", "staging"),
        ("component", "checkout"),
    ];
    alert(&app, "fp-elsewhere", "warning", SEARCH_STAGING).await;
    assert_eq!(ann.accepted().len(), 1);
    alert(&app, "fp-sev1", "critical", CHECKOUT).await;
    assert_eq!(ann.accepted().len(), 2, "the SEV-1 pages");
    let sev1 = app
        .incidents("open")
        .await
        .into_iter()
        .find(|incident| incident["severity"] == "SEV-1")
        .expect("the SEV-1");

    // Another category on the same component: its own incident, not a member of the SEV-1's.
    const LOWER: &[(&str, &str)] = &[
        ("service", "checkout"),
        ("env", "staging"),
        ("component", "checkout"),
        ("category", "latency"),
    ];
    alert(&app, "fp-lower", "warning", LOWER).await;
    assert_eq!(ann.accepted().len(), 2, "held back by the SEV-1");
    let held = app
        .incidents("open")
        .await
        .into_iter()
        .find(|incident| incident["severity"] == "SEV-2" && incident["component"] == "checkout")
        .expect("the lower incident is recorded");
    assert_eq!(
        held["held_by"],
        format!("incident:{}", sev1["id"].as_str().unwrap())
    );

    // Alertmanager says the SEV-1's alert is resolved: the incident resolves, the component is
    // free, and the lower alert's next repeat pages.
    resolved(&app, "fp-sev1", "critical", CHECKOUT).await;
    let (_, after) = app
        .get(&format!(
            "/api/v1/incidents/{}",
            sev1["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(after["state"], "resolved", "{after}");
    alert(&app, "fp-lower", "warning", LOWER).await;
    assert_eq!(ann.accepted().len(), 3, "freed: the lower incident pages");
}

#[tokio::test]
async fn bad_silences_are_refused_with_a_reason_and_nothing_is_stored() {
    let World { app, .. } = world().await;
    let past = app
        .now()
        .checked_sub(jiff::SignedDuration::from_mins(1))
        .unwrap();
    for (body, says) in [
        (
            json!({ "matchers": {}, "for": "1h" }),
            "at least one matcher",
        ),
        (
            json!({ "matchers": { "env": "~prod(" }, "for": "1h" }),
            "regex for `env`",
        ),
        (
            json!({ "matchers": { "service": "checkout" }, "ends_at": past }),
            "in the future",
        ),
        (
            json!({ "matchers": { "service": "checkout" } }),
            "either `ends_at`",
        ),
        (
            json!({ "matchers": { "service": "checkout" }, "for": "soon" }),
            "not a duration",
        ),
    ] {
        let (status, answer) = app.post("/api/v1/silences", body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body} → {message}");
    }
    let (status, list) = app.get("/api/v1/silences").await;
    assert_eq!(status, 200);
    assert_eq!(list["silences"], json!([]), "nothing stored");
    let (status, _) = delete(&app, "/api/v1/silences/no-such-silence").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_alert_labelled_checkout_in_prod_goes_to_the_label_routes_escalation() {
    let World { app, ann, bo, .. } = world().await;
    alert(&app, "fp-1", "warning", CHECKOUT_PROD).await;
    assert_eq!(bo.accepted().len(), 1, "the label route pages Bo");
    assert!(ann.received().is_empty());
    // The same service in staging falls through to the category route.
    alert(
        &app,
        "fp-2",
        "warning",
        &[
            ("service", "checkout"),
            ("env", "staging"),
            ("component", "checkout-staging"),
        ],
    )
    .await;
    assert_eq!(ann.accepted().len(), 1, "the `*` route pages Ann");
    assert_eq!(bo.accepted().len(), 1);
}

#[tokio::test]
async fn an_open_sev1_on_a_component_holds_back_lower_pages_there_until_it_resolves() {
    let World { app, ann, bo, .. } = world().await;
    let (status, sev1) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "Checkout is down", "severity": "SEV-1", "component": "checkout" }),
        )
        .await;
    assert_eq!(status, 201, "{sev1}");
    let sev1 = sev1["id"].as_str().unwrap().to_owned();
    app.settle().await;
    let paged_for_sev1 = ann.accepted().len();
    assert_eq!(paged_for_sev1, 1, "the SEV-1 itself pages");

    // A lower alert on the same component: recorded, not paged, the timeline names the SEV-1.
    alert(
        &app,
        "fp-1",
        "warning",
        &[("service", "checkout"), ("env", "staging")],
    )
    .await;
    let held = app
        .incidents("open")
        .await
        .into_iter()
        .find(|incident| incident["id"] != sev1.as_str())
        .expect("the lower incident is recorded");
    assert_eq!(held["held_by"], format!("incident:{sev1}"));
    let events = timeline(&app, held["id"].as_str().unwrap()).await;
    let inhibited = events
        .iter()
        .find(|event| event["kind"] == "inhibited")
        .expect("an inhibited event");
    assert!(inhibited["text"].as_str().unwrap().contains(&sev1));
    assert_eq!(ann.accepted().len(), paged_for_sev1);
    assert!(bo.received().is_empty());

    // Another component is not held.
    alert(&app, "fp-2", "warning", SEARCH_STAGING).await;
    assert_eq!(ann.accepted().len(), paged_for_sev1 + 1);

    // Resolving the SEV-1 pages nothing retroactively; the held alert's next repeat pages.
    let (status, body) = app
        .post(&format!("/api/v1/incidents/{sev1}/resolve"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;
    assert_eq!(ann.accepted().len(), paged_for_sev1 + 1);
    alert(
        &app,
        "fp-1",
        "warning",
        &[("service", "checkout"), ("env", "staging")],
    )
    .await;
    assert_eq!(ann.accepted().len(), paged_for_sev1 + 2);
}

fn cli(url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["silence", "--url", url, "--token", TOKEN])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run tocsin")
}

async fn run_cli(url: &str, args: &[&str]) -> std::process::Output {
    let url = url.to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli(&url, &args)
    })
    .await
    .expect("join")
}

#[tokio::test]
async fn the_cli_adds_lists_and_expires_silences_through_the_api() {
    let World { app, .. } = world().await;
    let url = app.app.url();
    let added = run_cli(
        &url,
        &[
            "add",
            "--match",
            "service=checkout",
            "--match",
            "env=~prod.*",
            "--for",
            "1h",
            "--comment",
            "deploy",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&added.stdout).into_owned();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(stdout.contains("active"), "{stdout}");
    assert!(
        stdout.contains("env=~prod.*") && stdout.contains("service=checkout"),
        "{stdout}"
    );
    let id = stdout.split_whitespace().next().expect("an id").to_owned();
    let (_, list) = app.get("/api/v1/silences").await;
    assert_eq!(list["silences"][0]["id"], id.as_str());
    let ends: jiff::Timestamp = list["silences"][0]["ends_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        ends.duration_since(app.now()).as_secs(),
        3600,
        "on the server's clock"
    );

    let listed = run_cli(&url, &["list"]).await;
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&id));

    let expired = run_cli(&url, &["expire", &id]).await;
    assert!(expired.status.success());
    assert!(String::from_utf8_lossy(&expired.stdout).contains("ended"));
    let (_, list) = app.get("/api/v1/silences").await;
    assert_eq!(list["silences"][0]["active"], false);

    // A bad regex is refused by the server; the command says why and fails.
    let refused = run_cli(&url, &["add", "--match", "env=~prod(", "--for", "1h"]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("regex"));
    let unknown = run_cli(&url, &["expire", "no-such-silence"]).await;
    assert!(!unknown.status.success());
}

#[tokio::test]
async fn a_responder_silences_and_expires_from_the_ui_and_a_viewer_only_sees() {
    use crate::ui::{Browser, add_user, csrf};
    use reqwest::StatusCode;
    use tocsin_store::Role;

    let World { app, .. } = world().await;
    add_user(&app, "rita@example.com", Role::Responder).await;
    add_user(&app, "vic@example.com", Role::Viewer).await;
    let mut browser = Browser::signed_in(&app, "rita@example.com").await;
    let page = browser.get("/silences").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"id="nav-silences""#));
    assert!(page.body.contains("No silence is in force"));
    let token = csrf(&page.body);

    // A bad regex: shown above the form, nothing stored.
    let refused = browser
        .post(
            "/silences",
            &[("csrf", &token), ("matchers", "env=~prod("), ("for", "1h")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("regex for `env`"), "{}", refused.body);
    let (_, list) = app.get("/api/v1/silences").await;
    assert_eq!(list["silences"], json!([]));

    let made = browser
        .post(
            "/silences",
            &[
                ("csrf", &token),
                ("matchers", "service=checkout\r\nenv=~prod.*"),
                ("for", "2h"),
                ("comment", "checkout deploy"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    let (_, list) = app.get("/api/v1/silences").await;
    let silence = &list["silences"][0];
    assert_eq!(silence["created_by"], "rita@example.com");
    assert_eq!(
        silence["matchers"],
        json!({ "service": "checkout", "env": "~prod.*" })
    );
    let id = silence["id"].as_str().unwrap().to_owned();
    let page = browser.get("/silences").await;
    assert!(page.body.contains("checkout deploy"));
    assert!(page.body.contains(&format!("/silences/{id}/expire")));

    // A viewer sees it, has no form, and cannot expire it.
    let mut viewer = Browser::signed_in(&app, "vic@example.com").await;
    let seen = viewer.get("/silences").await;
    assert!(seen.body.contains("checkout deploy"));
    assert!(!seen.body.contains("new-silence") && !seen.body.contains("/expire"));
    let forged = viewer
        .post(
            &format!("/silences/{id}/expire"),
            &[("csrf", &csrf(&seen.body))],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let (_, list) = app.get("/api/v1/silences").await;
    assert_eq!(list["silences"][0]["active"], true);

    let expired = browser
        .post(&format!("/silences/{id}/expire"), &[("csrf", &token)])
        .await;
    assert_eq!(expired.status, StatusCode::SEE_OTHER);
    let (_, list) = app.get("/api/v1/silences").await;
    assert_eq!(list["silences"][0]["active"], false);
}
