//! On-call and escalation, end to end with simulated time: the right person paged by every
//! method, up the ladder and again, until someone acknowledges — from an e-mail's link or a
//! Slack button — and who is on call across a hand-off.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use tocsin_testkit::SmtpSink;

use crate::crash::get_json;
use crate::support::{Sink, Target, TestApp, ack_link};

const SECOND: Duration = Duration::from_secs(1);
const SLACK_SIGNING: &str = "slack-signing-secret";

fn config(target: &Target, sms: &Sink, slack: &Sink, smtp: &SmtpSink) -> String {
    format!(
        r#"
[server]
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "{token}"

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

[[contact]]
id = "ann"
name = "Ann"
email = "ann@dealix.example"
phone = "+966500000001"
methods = ["sms", "email"]

[[contact]]
id = "bo"
name = "Bo"
email = "bo@dealix.example"
phone = "+966500000002"
methods = ["sms"]

[[schedule]]
id = "primary"
timezone = "America/New_York"
rotation = {{ members = ["ann", "bo"], every = "1w", handoff = "sun 09:00" }}

[[escalation]]
id = "backend"
repeat = 1
steps = [
  {{ targets = ["contact:ann"], after = "3s" }},
  {{ targets = ["contact:bo"], after = "3s" }},
]

[[route]]
category = "backend"
escalation = "backend"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
from = "Dealix <status@dealix.example>"
tls = "none"

[[channel]]
id = "slack-alerts"
type = "slack"
webhook_url = "{slack}/slack"
signing_secret = "{SLACK_SIGNING}"

[[channel]]
id = "sms"
type = "webhook"
url = "{sms}/sms"

[[monitor]]
id = "api-health"
name = "API /healthz"
type = "http"
url = "{target}/healthz"
interval = "1h"
timeout = "1s"
severity = "SEV-1"
category = "backend"
component = "api"

[status_page]
title = "Dealix status"
locale = "ar"
components = [{{ id = "api", name = "API" }}]
"#,
        token = crate::support::TOKEN,
        smtp_port = smtp.port(),
        slack = slack.url,
        sms = sms.url,
        target = target.url,
    )
}

struct World {
    app: TestApp,
    sms: Sink,
    slack: Sink,
    smtp: SmtpSink,
}

async fn world() -> World {
    let target = Target::start(503).await;
    let (sms, slack, smtp) = (
        Sink::start().await,
        Sink::start().await,
        SmtpSink::start().await,
    );
    let app = TestApp::start(&config(&target, &sms, &slack, &smtp)).await;
    World {
        app,
        sms,
        slack,
        smtp,
    }
}

/// Who each SMS went to, in order.
fn texted(sms: &Sink) -> Vec<String> {
    sms.accepted()
        .iter()
        .map(|r| r.body["to"].as_str().unwrap_or("?").to_owned())
        .collect()
}

impl World {
    async fn open_incident(&self) -> String {
        let opened = self
            .app
            .advance_until(Duration::from_secs(3600), || async {
                !self.app.incidents("open").await.is_empty()
            })
            .await;
        assert!(opened.is_some());
        self.app.settle().await;
        self.app.incidents("open").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

#[tokio::test]
async fn the_ladder_pages_a_by_sms_and_email_then_b_then_repeats_then_stops() {
    let w = world().await;
    w.open_incident().await;
    assert_eq!(texted(&w.sms), ["+966500000001"], "step 1: Ann's SMS");
    assert_eq!(w.smtp.messages().len(), 1, "step 1: Ann's e-mail");
    assert!(
        w.smtp.messages()[0]
            .to
            .iter()
            .any(|to| to.contains("ann@dealix.example"))
    );

    w.app.advance(Duration::from_secs(2), SECOND).await;
    assert_eq!(texted(&w.sms).len(), 1, "nothing before `after`");
    w.app.advance(SECOND, SECOND).await;
    assert_eq!(
        texted(&w.sms),
        ["+966500000001", "+966500000002"],
        "step 2: Bo, 3 s later"
    );

    w.app.advance(Duration::from_secs(3), SECOND).await;
    assert_eq!(texted(&w.sms).len(), 3, "the ladder repeats: Ann again");
    assert_eq!(w.smtp.messages().len(), 2);
    w.app.advance(Duration::from_secs(3), SECOND).await;
    assert_eq!(texted(&w.sms).len(), 4, "then Bo again");
    w.app.advance(Duration::from_secs(30), SECOND).await;
    assert_eq!(texted(&w.sms).len(), 4, "repeat = 1: then it stops");
    assert_eq!(w.smtp.messages().len(), 2);
}

#[tokio::test]
async fn acknowledging_through_the_emails_link_stops_every_further_page() {
    let w = world().await;
    let id = w.open_incident().await;
    let mail = w.smtp.messages()[0]
        .part("text/plain")
        .expect("a text part");
    let link = mail
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .find(|word| word.starts_with("http://tocsin.test/ack/"))
        .expect("the e-mail carries an acknowledge link")
        .trim_end_matches(['.', ')'])
        .to_owned();
    let local = link.replace("http://tocsin.test", &w.app.app.url());

    let tampered = w.app.http.post(format!("{local}x")).send().await.unwrap();
    assert_eq!(tampered.status().as_u16(), 403);
    assert_eq!(
        w.app.incidents("open").await[0]["state"],
        "triggered",
        "a tampered link changes nothing"
    );

    let acked = w.app.http.post(&local).send().await.unwrap();
    assert_eq!(acked.status().as_u16(), 200);
    let (_, incident) = w.app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["state"], "acknowledged");
    assert_eq!(
        incident["acknowledged_by"], "ann",
        "the link names the person it was sent to"
    );

    w.app.advance(Duration::from_secs(60), SECOND).await;
    assert_eq!(texted(&w.sms).len(), 1, "no page after the acknowledgement");
    assert_eq!(w.smtp.messages().len(), 1);
}

#[tokio::test]
async fn an_expired_link_is_refused_and_changes_nothing() {
    let w = world().await;
    w.open_incident().await;
    let sms = w.sms.accepted()[0].body.clone();
    let link = ack_link(&sms)
        .expect("the SMS carries an acknowledge link")
        .replace("http://tocsin.test", &w.app.app.url());
    w.app.clock.advance(Duration::from_secs(24 * 3600 + 1));
    let response = w.app.http.post(&link).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(w.app.incidents("open").await[0]["state"], "triggered");
}

fn slack_signature(timestamp: i64, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SLACK_SIGNING.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!(
        "v0={}",
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

#[tokio::test]
async fn a_slack_button_acknowledges_and_bad_or_old_requests_get_401() {
    let w = world().await;
    let id = w.open_incident().await;
    assert!(!w.slack.accepted().is_empty(), "the channel was told");
    let payload = json!({ "type": "block_actions", "user": { "username": "sami" }, "actions": [{ "action_id": "acknowledge", "value": id }] });
    let body = format!("payload={}", urlencode(&payload.to_string()));
    let now = w.app.now().as_second();
    let post = |timestamp: i64, signature: String| {
        let request = w
            .app
            .http
            .post(w.app.url("/slack/interactive"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", signature)
            .body(body.clone());
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(now, "v0=00".to_owned()).await, 401, "bad signature");
    assert_eq!(
        post(now - 600, slack_signature(now - 600, &body)).await,
        401,
        "a 10-minute-old request"
    );
    assert_eq!(w.app.incidents("open").await[0]["state"], "triggered");
    assert_eq!(post(now, slack_signature(now, &body)).await, 200);
    let (_, incident) = w.app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(
        (
            incident["state"].as_str(),
            incident["acknowledged_by"].as_str()
        ),
        (Some("acknowledged"), Some("slack:sami"))
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn oncall_names_the_right_person_just_before_and_just_after_the_handoff() {
    let w = world().await;
    // Sunday 2026-11-29 09:00 in New York is 14:00 UTC (EST). One minute either side:
    let before: jiff::Timestamp = "2026-11-29T13:59:00Z".parse().unwrap();
    let after: jiff::Timestamp = "2026-11-29T14:01:00Z".parse().unwrap();
    w.app.clock.set(before);
    let (_, first) = w.app.get("/api/v1/oncall").await;
    w.app.clock.set(after);
    let (_, second) = w.app.get("/api/v1/oncall").await;
    let now = |body: &Value| body["oncall"][0]["now"].as_str().unwrap_or("").to_owned();
    assert_ne!(
        now(&first),
        now(&second),
        "the hand-off changed who is on call: {first} {second}"
    );
    assert_eq!(first["oncall"][0]["next"], second["oncall"][0]["now"]);
    let until: jiff::Timestamp = first["oncall"][0]["until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        until,
        "2026-11-29T14:00:00Z".parse::<jiff::Timestamp>().unwrap(),
        "hand-off at 09:00 New York time"
    );

    // An override puts Bo on for an hour, whoever the rotation says.
    let (status, body) = w
        .app
        .post(
            "/api/v1/oncall/overrides",
            json!({ "schedule": "primary", "contact": "bo", "from": "2026-11-29T14:30:00Z", "until": "2026-11-29T15:30:00Z" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    w.app.clock.set("2026-11-29T15:00:00Z".parse().unwrap());
    let (_, during) = w.app.get("/api/v1/oncall").await;
    assert_eq!(during["oncall"][0]["now"], "bo");
    let (status, _) = w
        .app
        .post("/api/v1/oncall/overrides", json!({ "schedule": "nope", "contact": "bo", "from": "2026-11-29T14:30:00Z", "until": "2026-11-29T15:30:00Z" }))
        .await;
    assert_eq!(status, 400);

    // The calendar feed: its signed URL works, a wrong token does not.
    let calendar = first["oncall"][0]["calendar"]
        .as_str()
        .unwrap()
        .replace("http://tocsin.test", &w.app.app.url());
    let ics = w.app.http.get(&calendar).send().await.unwrap();
    assert_eq!(ics.status().as_u16(), 200);
    assert!(ics.text().await.unwrap().contains("BEGIN:VCALENDAR"));
    let forged = w
        .app
        .http
        .get(w.app.url("/oncall/primary.ics?token=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
}

#[tokio::test]
async fn the_oncall_command_shows_who_is_on_and_sets_an_override() {
    let w = world().await;
    let url = w.app.app.url();
    let run = move |args: Vec<&'static str>| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
                .args(["oncall", "--url", &url, "--token", crate::support::TOKEN])
                .args(args)
                .output()
                .unwrap()
        })
    };
    let shown = run(vec![]).await.unwrap();
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let text = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(text.contains("primary") && text.contains("now:"), "{text}");
    let set = run(vec![
        "override",
        "--schedule",
        "primary",
        "--contact",
        "bo",
        "--from",
        "2026-11-26T00:00:00Z",
        "--until",
        "2026-11-27T00:00:00Z",
    ])
    .await
    .unwrap();
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let shown = run(vec![]).await.unwrap();
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("now: bo"),
        "{}",
        String::from_utf8_lossy(&shown.stdout)
    );
    let refused = run(vec![
        "override",
        "--schedule",
        "primary",
        "--contact",
        "nobody",
        "--from",
        "2026-11-26T00:00:00Z",
        "--until",
        "2026-11-27T00:00:00Z",
    ])
    .await
    .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unknown contact"));
}

#[tokio::test]
async fn kill_9_between_step_1_and_step_2_then_restart_sends_step_2_exactly_once() {
    let target = Target::start(503).await;
    let (sms, slack, smtp) = (
        Sink::start().await,
        Sink::start().await,
        SmtpSink::start().await,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    let text = config(&target, &sms, &slack, &smtp)
        .replace("interval = \"1h\"", "interval = \"1s\"")
        .replace("repeat = 1", "repeat = 0");
    std::fs::write(&path, text).unwrap();

    let (mut first, first_url) = crate::crash::serve(&path, &[]).await;
    sms.wait_until(Duration::from_secs(30), |received| {
        received.iter().any(|r| r.body["to"] == "+966500000001")
    })
    .await;
    // Kill between the steps: once step 1 is recorded as sent. (Killing in the instant between
    // the provider's answer and that record is the documented at-least-once window: the resend
    // carries the same webhook-id, so a receiver can drop it.)
    let sent = |deliveries: Value| {
        deliveries["deliveries"].as_array().is_some_and(|all| {
            all.iter()
                .any(|d| d["recipient"] == "ann" && d["channel"] == "sms" && d["status"] == "sent")
        })
    };
    until_the_server_says(&first_url, "/api/v1/deliveries", sent).await;
    let before_kill = sms.accepted().len();
    first.start_kill().expect("kill -9");
    first.wait().await.unwrap();
    assert!(
        texted(&sms).iter().all(|to| to == "+966500000001"),
        "killed before step 2: {:?}",
        texted(&sms)
    );

    let (mut second, url) = crate::crash::serve(&path, &[]).await;
    sms.wait_until(Duration::from_secs(30), |received| {
        received.iter().any(|r| r.body["to"] == "+966500000002")
    })
    .await;
    // The ladder has one round: wait until tocsin says every step was paged, then count.
    let open = get_json(&url, "/api/v1/incidents?state=open").await;
    let id = open["incidents"][0]["id"]
        .as_str()
        .expect("the incident is open")
        .to_owned();
    until_the_server_says(
        &url,
        &format!("/api/v1/incidents/{id}/timeline"),
        |timeline| timeline.to_string().contains("every step"),
    )
    .await;
    second.start_kill().unwrap();
    second.wait().await.unwrap();
    let to_bo = texted(&sms)
        .iter()
        .filter(|to| *to == "+966500000002")
        .count();
    let to_ann = texted(&sms)
        .iter()
        .filter(|to| *to == "+966500000001")
        .count();
    let seen: Vec<String> = sms
        .accepted()
        .iter()
        .map(|r| {
            format!(
                "{} {:?} {}",
                r.body["to"],
                r.headers.get("webhook-id"),
                r.body["type"]
            )
        })
        .collect();
    assert_eq!(
        (to_ann, to_bo),
        (1, 1),
        "each step paged exactly once across the crash ({before_kill} before the kill): {seen:#?}"
    );
}

#[tokio::test]
async fn a_flood_of_incidents_cannot_send_one_person_more_than_five_sms_in_15_minutes() {
    let w = world().await;
    for n in 0..6 {
        let (status, body) = w
            .app
            .post("/api/v1/incidents", json!({ "title": format!("flood {n}"), "severity": "SEV-1", "category": "backend" }))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    w.app.settle().await;
    let to_ann = |sms: &Sink| {
        texted(sms)
            .iter()
            .filter(|to| *to == "+966500000001")
            .count()
    };
    assert_eq!(to_ann(&w.sms), 5, "five SMS, the sixth held back");
    let (_, deliveries) = w.app.get("/api/v1/deliveries").await;
    let held = deliveries["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["recipient"] == "ann" && d["channel"] == "sms" && d["status"] == "pending")
        .count();
    assert_eq!(held, 1, "queued, not dropped");
    // Acknowledge every incident so the ladders stop, then let the window pass.
    for incident in w.app.incidents("open").await {
        let id = incident["id"].as_str().unwrap();
        w.app
            .post(&format!("/api/v1/incidents/{id}/acknowledge"), json!({}))
            .await;
    }
    w.app
        .advance(Duration::from_secs(16 * 60), Duration::from_secs(60))
        .await;
    assert_eq!(
        to_ann(&w.sms),
        5,
        "an acknowledged incident's held page is withdrawn, not sent late"
    );
}

/// Polls a running server's API until `done` holds. The real binary runs on the real clock and
/// offers no event to wait on; its own record is what says the work was committed.
async fn until_the_server_says(base: &str, path: &str, done: impl Fn(Value) -> bool) {
    let poll = async {
        while !done(get_json(base, path).await) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), poll)
        .await
        .unwrap_or_else(|_| panic!("{path} did not say so within 30 s"));
}
