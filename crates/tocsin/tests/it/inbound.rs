//! Signals in: every alert source points at tocsin unchanged, and a 2xx means on disk.

use std::time::Duration;

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

use crate::support::{Sink, Target, TestApp, basic_config};

const ROUTING_KEY: &str = "R0UT1NGKEY000000000000000000000";
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn config(target: &Target, sink: &Sink) -> String {
    basic_config(target, sink, "1h", 1)
        + &format!(
            r#"
[[integration]]
id = "events"
type = "pagerduty"
key = "{ROUTING_KEY}"
category = "backend"
severity_map = {{ critical = "SEV-1", error = "SEV-2", warning = "SEV-2", info = "SEV-2" }}

[[integration]]
id = "alertmanager"
type = "alertmanager"
token = "am-token-0123456789abcdef"
category = "backend"
severity_label = "severity"
severity_map = {{ critical = "SEV-1", warning = "SEV-2" }}

[[integration]]
id = "sentry"
type = "sentry"
secret = "sentry-secret-0123456789"
severity = "SEV-2"
category = "backend"
component = "api"

[[integration]]
id = "github"
type = "github"
secret = "github-secret-0123456789"

[[integration]]
id = "uptimerobot"
type = "uptimerobot"
token = "ur-token-0123456789abcdef"
severity = "SEV-1"
category = "backend"

[[integration]]
id = "railway"
type = "railway"
token = "rw-token-0123456789abcdef"

[[integration]]
id = "ci"
type = "generic"
secret = "{WHSEC}"
severity = "SEV-2"

"#
        )
}

const HEARTBEAT: &str = r#"
[[monitor]]
id = "nightly-backup"
name = "Nightly backup"
type = "heartbeat"
key = "backup-key-0123456789abcdef"
every = "3s"
grace = "2s"
severity = "SEV-2"
category = "backend"
"#;

async fn app() -> (TestApp, Sink) {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&target, &sink)).await;
    (app, sink)
}

async fn post_raw(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, Value) {
    let mut request = app.http.post(app.url(path)).body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The hex HMAC-SHA256 of `body`: how Sentry and GitHub sign their hooks.
pub(crate) fn hex_hmac(secret: &[u8], body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn pd(action: &str, key: Option<&str>, summary: &str) -> String {
    let mut event = json!({
        "routing_key": ROUTING_KEY,
        "event_action": action,
        "payload": { "summary": summary, "source": "db-1", "severity": "critical", "component": "postgres" },
    });
    if let Some(key) = key {
        event["dedup_key"] = json!(key);
    }
    event.to_string()
}

#[tokio::test]
async fn pagerduty_events_trigger_acknowledge_and_resolve_with_pagerdutys_answers() {
    let (app, sink) = app().await;
    let (status, body) = post_raw(
        &app,
        "/v2/enqueue",
        &[],
        &pd("trigger", Some("db-down"), "DB is down"),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body,
        json!({ "status": "success", "message": "Event processed", "dedup_key": "db-down" })
    );
    let open = app.incidents("open").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["severity"], "SEV-1");
    assert_eq!(open[0]["title"], "DB is down");

    // The same key again joins the open incident: no second incident, no second page.
    post_raw(
        &app,
        "/v2/enqueue",
        &[],
        &pd("trigger", Some("db-down"), "DB is down"),
    )
    .await;
    app.settle().await;
    assert_eq!(app.incidents("all").await.len(), 1);
    assert_eq!(sink.accepted().len(), 1);

    let (status, _) = post_raw(
        &app,
        "/v2/enqueue",
        &[],
        &pd("acknowledge", Some("db-down"), "x"),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(app.incidents("open").await[0]["state"], "acknowledged");
    let (status, _) = post_raw(
        &app,
        "/v2/enqueue",
        &[],
        &pd("resolve", Some("db-down"), "x"),
    )
    .await;
    assert_eq!(status, 202);
    assert!(app.incidents("open").await.is_empty());

    // Unknown keys are accepted and change nothing.
    let (status, _) = post_raw(
        &app,
        "/v2/enqueue",
        &[],
        &pd("resolve", Some("nobody-knows"), "x"),
    )
    .await;
    assert_eq!(status, 202);

    // A trigger without a key gets one generated and returned.
    let (_, body) = post_raw(&app, "/v2/enqueue", &[], &pd("trigger", None, "Disk full")).await;
    assert!(
        body["dedup_key"].as_str().is_some_and(|k| !k.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn a_bad_pagerduty_event_gets_pagerdutys_400_and_changes_nothing() {
    let (app, _) = app().await;
    let bad = json!({ "routing_key": ROUTING_KEY, "event_action": "trigger", "payload": { "source": "x", "severity": "loud" } });
    let (status, body) = post_raw(&app, "/v2/enqueue", &[], &bad.to_string()).await;
    assert_eq!(status, 400);
    assert_eq!(body["status"], "invalid event");
    let errors = body["errors"].to_string();
    assert!(
        errors.contains("summary") && errors.contains("severity"),
        "names both fields: {errors}"
    );
    let (status, body) = post_raw(
        &app,
        "/v2/enqueue",
        &[],
        &pd("trigger", Some("k"), "x").replace(ROUTING_KEY, "wrong"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = post_raw(&app, "/v2/enqueue", &[], "{not json").await;
    assert_eq!(status, 400);
    assert!(app.incidents("all").await.is_empty());
}

#[tokio::test]
async fn change_events_are_recorded_and_never_page() {
    let (app, sink) = app().await;
    let change = json!({ "routing_key": ROUTING_KEY, "payload": { "summary": "Deploy v42", "source": "railway" } });
    let (status, _) = post_raw(&app, "/v2/change/enqueue", &[], &change.to_string()).await;
    assert_eq!(status, 202);
    app.settle().await;
    assert!(app.incidents("all").await.is_empty());
    assert!(sink.received().is_empty());
    let changes = app.app.engine.store().changes(None, 10).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].change.summary, "Deploy v42");
}

fn alertmanager_payload(status: &str, count: usize) -> String {
    let alerts: Vec<Value> = (0..count)
        .map(|n| {
            json!({
                "status": status,
                "labels": { "alertname": "HighErrorRate", "severity": "critical", "instance": format!("api-{n}") },
                "annotations": { "summary": "API error rate above 5%", "description": "5xx rate is 12%" },
                "startsAt": "2026-11-26T00:00:00Z",
                "endsAt": if status == "resolved" { "2026-11-26T00:05:00Z" } else { "0001-01-01T00:00:00Z" },
                "generatorURL": "http://prometheus.local/graph?g0.expr=rate",
                "fingerprint": format!("fp{n:04}"),
            })
        })
        .collect();
    json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"HighErrorRate\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "tocsin",
        "groupLabels": { "alertname": "HighErrorRate" },
        "commonLabels": { "alertname": "HighErrorRate", "severity": "critical" },
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local",
        "alerts": alerts,
    })
    .to_string()
}

#[tokio::test]
async fn alertmanager_firing_then_resolved_opens_and_resolves_one_incident() {
    let (app, sink) = app().await;
    let bearer = [
        (
            "authorization",
            "Bearer am-token-0123456789abcdef".to_owned(),
        ),
        ("content-type", "application/json".to_owned()),
    ];
    let (status, body) = post_raw(
        &app,
        "/hooks/alertmanager",
        &bearer,
        &alertmanager_payload("firing", 3),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    app.settle().await;
    let open = app.incidents("open").await;
    assert_eq!(open.len(), 1, "three alerts of one group are one incident");
    assert_eq!(open[0]["alert_count"], 3);
    assert_eq!(sink.accepted().len(), 1, "one page");
    let (status, _) = post_raw(
        &app,
        "/hooks/alertmanager",
        &bearer,
        &alertmanager_payload("resolved", 3),
    )
    .await;
    assert_eq!(status, 202);
    assert!(
        app.incidents("open").await.is_empty(),
        "resolved when every alert cleared"
    );

    let wrong = [("authorization", "Bearer nope".to_owned())];
    let (status, _) = post_raw(
        &app,
        "/hooks/alertmanager",
        &wrong,
        &alertmanager_payload("firing", 1),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn five_hundred_alerts_in_ten_seconds_are_one_incident_and_one_page() {
    let (app, sink) = app().await;
    let bearer = [(
        "authorization",
        "Bearer am-token-0123456789abcdef".to_owned(),
    )];
    for second in 0..10 {
        let batch: Value = serde_json::from_str(&alertmanager_payload("firing", 50)).unwrap();
        let mut batch = batch;
        for (n, alert) in batch["alerts"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            alert["fingerprint"] = json!(format!("s{second}-a{n}"));
        }
        let (status, _) = post_raw(&app, "/hooks/alertmanager", &bearer, &batch.to_string()).await;
        assert_eq!(status, 202);
        app.advance(Duration::from_secs(1), Duration::from_secs(1))
            .await;
    }
    let incidents = app.incidents("all").await;
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    assert_eq!(incidents[0]["alert_count"], 500);
    assert_eq!(sink.accepted().len(), 1);
}

#[tokio::test]
async fn sentry_and_github_with_a_wrong_signature_get_401_and_nothing_is_stored() {
    let (app, _) = app().await;
    let sentry = json!({
        "action": "triggered",
        "installation": { "uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9" },
        "data": { "event": { "issue_id": "1117540176", "event_id": "e4874d664c3540c1a32eab185f12c5ab", "title": "ZeroDivisionError: division by zero", "level": "error", "web_url": "https://sentry.io/x/1117540176/" }, "triggered_rule": "Send to tocsin" },
        "actor": { "type": "application", "id": "sentry", "name": "Sentry" },
    })
    .to_string();
    let now = app.now().as_second();
    let forged = [
        ("sentry-hook-resource", "event_alert".to_owned()),
        (
            "sentry-hook-signature",
            hex_hmac(b"other", sentry.as_bytes()),
        ),
        ("sentry-hook-timestamp", now.to_string()),
    ];
    let (status, _) = post_raw(&app, "/hooks/sentry", &forged, &sentry).await;
    assert_eq!(status, 401);
    assert!(app.incidents("all").await.is_empty());
    let signed_at = |timestamp: i64| {
        [
            ("sentry-hook-resource", "event_alert".to_owned()),
            (
                "sentry-hook-signature",
                hex_hmac(b"sentry-secret-0123456789", sentry.as_bytes()),
            ),
            ("sentry-hook-timestamp", timestamp.to_string()),
        ]
    };
    // A rightly signed request captured six minutes ago and sent again: a replay, refused.
    let (status, body) = post_raw(&app, "/hooks/sentry", &signed_at(now - 360), &sentry).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Sentry-Hook-Timestamp"),
        "{body}"
    );
    assert!(app.incidents("all").await.is_empty());
    let (status, body) = post_raw(&app, "/hooks/sentry", &signed_at(now - 10), &sentry).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        app.incidents("open").await[0]["title"],
        "ZeroDivisionError: division by zero"
    );

    let push = json!({
        "ref": "refs/heads/main",
        "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "after": "59b20b8d5c6ff8d09518216e5c4ea1ce8ce0d7de",
        "compare": "https://github.com/dealix/app/compare/6113728f27ae...59b20b8d5c6f",
        "repository": { "full_name": "dealix/app", "default_branch": "main" },
        "pusher": { "name": "sami" },
        "head_commit": { "id": "59b20b8d5c6ff8d09518216e5c4ea1ce8ce0d7de", "message": "Fix checkout\n\nlonger text", "author": { "name": "Sami", "username": "sami" } },
    })
    .to_string();
    let github = |signature: String, delivery: &str| {
        vec![
            ("x-github-event", "push".to_owned()),
            ("x-github-delivery", delivery.to_owned()),
            ("x-hub-signature-256", signature),
        ]
    };
    let (status, _) = post_raw(
        &app,
        "/hooks/github",
        &github(
            format!("sha256={}", hex_hmac(b"nope", push.as_bytes())),
            "d-1",
        ),
        &push,
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        app.app
            .engine
            .store()
            .changes(None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let good = format!(
        "sha256={}",
        hex_hmac(b"github-secret-0123456789", push.as_bytes())
    );
    let (status, body) = post_raw(&app, "/hooks/github", &github(good.clone(), "d-2"), &push).await;
    assert_eq!(status, 202, "{body}");
    // A redelivery (same X-GitHub-Delivery) changes nothing.
    let (status, body) = post_raw(&app, "/hooks/github", &github(good.clone(), "d-2"), &push).await;
    assert_eq!((status, body["ignored"].as_u64()), (202, Some(1)), "{body}");
    let changes = app.app.engine.store().changes(None, 10).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0].change.commit.as_deref(),
        Some("59b20b8d5c6ff8d09518216e5c4ea1ce8ce0d7de")
    );
    // Delivery ids are kept a week, then housekeeping forgets them: the table stays bounded.
    app.advance(
        Duration::from_secs(6 * 24 * 3600),
        Duration::from_secs(24 * 3600),
    )
    .await;
    let (status, body) = post_raw(&app, "/hooks/github", &github(good.clone(), "d-2"), &push).await;
    assert_eq!((status, body["ignored"].as_u64()), (202, Some(1)), "{body}");
    app.advance(
        Duration::from_secs(2 * 24 * 3600),
        Duration::from_secs(24 * 3600),
    )
    .await;
    let (status, body) = post_raw(&app, "/hooks/github", &github(good, "d-2"), &push).await;
    assert_eq!((status, body["applied"].as_u64()), (202, Some(1)), "{body}");
}

#[tokio::test]
async fn uptimerobot_down_opens_and_up_resolves() {
    let (app, _) = app().await;
    let down = "monitorID=777&monitorURL=https%3A%2F%2Fapi.dealix.example%2Fhealthz&monitorFriendlyName=Dealix%20API&alertType=1&alertDetails=HTTP%20503&alertDateTime=1795651200";
    let form = [(
        "content-type",
        "application/x-www-form-urlencoded".to_owned(),
    )];
    let (status, _) = post_raw(&app, "/hooks/uptimerobot?token=wrong", &form, down).await;
    assert_eq!(status, 401);
    let (status, body) = post_raw(
        &app,
        "/hooks/uptimerobot?token=ur-token-0123456789abcdef",
        &form,
        down,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(app.incidents("open").await.len(), 1);
    let up = down.replace("alertType=1", "alertType=2");
    post_raw(
        &app,
        "/hooks/uptimerobot?token=ur-token-0123456789abcdef",
        &form,
        &up,
    )
    .await;
    assert!(app.incidents("open").await.is_empty());
}

#[tokio::test]
async fn railway_deployments_and_signed_generic_changes_are_recorded() {
    let (app, _) = app().await;
    let deploy = json!({
        "type": "Deployment.deployed",
        "timestamp": "2026-11-26T00:00:00.000Z",
        "details": { "id": "dep-2", "status": "SUCCESS", "branch": "main", "commitHash": "abc123", "commitMessage": "Fix checkout", "commitAuthor": "sami" },
        "resource": { "project": { "id": "p", "name": "dealix" }, "environment": { "id": "e", "name": "production" }, "service": { "id": "s", "name": "api" }, "deployment": { "id": "dep-2" } },
        "severity": "INFO",
    })
    .to_string();
    let (status, _) = post_raw(&app, "/hooks/railway", &[], &deploy).await;
    assert_eq!(status, 401, "no token");
    let (status, body) = post_raw(
        &app,
        "/hooks/railway?token=rw-token-0123456789abcdef",
        &[],
        &deploy,
    )
    .await;
    assert_eq!(status, 202, "{body}");

    let change =
        json!({ "type": "change", "kind": "deploy", "summary": "CI deployed v43", "id": "run-9" })
            .to_string();
    let now = app.now().as_second().to_string();
    let sign = |id: &str| {
        let key = base64::engine::general_purpose::STANDARD
            .decode(WHSEC.trim_start_matches("whsec_"))
            .unwrap();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{id}.{now}.{change}").as_bytes());
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        )
    };
    let headers = |id: &str, signature: String| {
        vec![
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", now.clone()),
            ("webhook-signature", signature),
        ]
    };
    let (status, _) = post_raw(
        &app,
        "/hooks/ci",
        &headers("msg_1", "v1,AAAA".to_owned()),
        &change,
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) =
        post_raw(&app, "/hooks/ci", &headers("msg_1", sign("msg_1")), &change).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) =
        post_raw(&app, "/hooks/ci", &headers("msg_1", sign("msg_1")), &change).await;
    assert_eq!(
        (status, body["ignored"].as_u64()),
        (202, Some(1)),
        "a replayed webhook-id changes nothing: {body}"
    );
    let deploys = app
        .app
        .engine
        .store()
        .changes(Some(tocsin_core::inbound::ChangeKind::Deploy), 10)
        .await
        .unwrap();
    assert_eq!(deploys.len(), 2, "{deploys:#?}");
}

#[tokio::test]
async fn an_integration_over_its_rate_limit_is_told_when_to_retry() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app =
        TestApp::start(&(config(&target, &sink) + "\n[engine]\nintegration_rate_limit = 1\n"))
            .await;
    let bearer = [(
        "authorization",
        "Bearer am-token-0123456789abcdef".to_owned(),
    )];
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = app
            .http
            .post(app.url("/hooks/alertmanager"))
            .header("authorization", &bearer[0].1)
            .body(alertmanager_payload("firing", 1))
            .send()
            .await
            .unwrap();
        statuses.push((
            response.status().as_u16(),
            response.headers().get("retry-after").is_some(),
        ));
    }
    assert_eq!(
        statuses,
        [(202, false), (202, false), (429, true)],
        "a burst of 2, then 429 with Retry-After"
    );
}

#[tokio::test]
async fn unknown_integrations_404_and_oversized_bodies_413() {
    let (app, _) = app().await;
    let (status, body) = post_raw(&app, "/hooks/nope", &[], "{}").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let huge = format!("{{\"x\": \"{}\"}}", "a".repeat(600 * 1024));
    let (status, body) = post_raw(
        &app,
        "/hooks/alertmanager",
        &[(
            "authorization",
            "Bearer am-token-0123456789abcdef".to_owned(),
        )],
        &huge,
    )
    .await;
    assert_eq!(status, 413, "{body}");
}

#[tokio::test]
async fn a_silent_heartbeat_opens_an_incident_and_a_ping_resolves_it() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&(config(&target, &sink) + HEARTBEAT)).await;
    let ping = |suffix: &'static str| {
        let url = app.url(&format!("/ping/backup-key-0123456789abcdef{suffix}"));
        let http = app.http.clone();
        async move { http.get(url).send().await.unwrap() }
    };
    let response = ping("").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.unwrap(), "OK");
    app.advance(Duration::from_secs(4), Duration::from_secs(1))
        .await;
    assert!(
        app.incidents("open").await.is_empty(),
        "within every + grace: fine"
    );
    app.advance(Duration::from_secs(2), Duration::from_secs(1))
        .await;
    let open = app.incidents("open").await;
    assert_eq!(
        open.len(),
        1,
        "silent for 6 s (every 3 s + grace 2 s): down"
    );
    assert_eq!(open[0]["title"], "Nightly backup is down");
    assert_eq!(ping("").await.status().as_u16(), 200);
    assert!(
        app.incidents("open").await.is_empty(),
        "a ping brings it back up"
    );

    assert_eq!(ping("/fail").await.status().as_u16(), 200);
    assert_eq!(
        app.incidents("open").await.len(),
        1,
        "a failure ping is down at once"
    );
    assert_eq!(ping("/0").await.status().as_u16(), 200);
    assert!(
        app.incidents("open").await.is_empty(),
        "exit status 0 is success"
    );
    assert_eq!(
        app.http
            .get(app.url("/ping/unknown"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    assert_eq!(ping("/bogus").await.status().as_u16(), 400);
}

/// Sends `count` pings to one heartbeat URL at once and returns their HTTP statuses.
async fn ping_burst(app: &TestApp, suffix: &str, count: usize) -> Vec<u16> {
    let url = app.url(&format!("/ping/backup-key-0123456789abcdef{suffix}"));
    let pings: Vec<_> = (0..count)
        .map(|_| {
            let (http, url) = (app.http.clone(), url.clone());
            tokio::spawn(async move { http.get(url).send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for ping in pings {
        statuses.push(ping.await.unwrap());
    }
    statuses
}

#[tokio::test]
async fn a_burst_of_pings_to_one_key_is_answered_and_opens_and_resolves_one_incident() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&(config(&target, &sink) + HEARTBEAT)).await;
    assert_eq!(
        ping_burst(&app, "", 48).await,
        vec![200; 48],
        "every ping answered"
    );
    assert!(
        app.incidents("open").await.is_empty(),
        "pings of a live job"
    );

    assert_eq!(ping_burst(&app, "/fail", 48).await, vec![200; 48]);
    let open = app.incidents("open").await;
    assert_eq!(
        open.len(),
        1,
        "48 failure pings: one incident, not 48: {open:#?}"
    );
    let id = open[0]["id"].as_str().unwrap().to_owned();

    assert_eq!(ping_burst(&app, "", 48).await, vec![200; 48]);
    assert!(
        app.incidents("open").await.is_empty(),
        "a burst of successes resolves it"
    );
    let all = app.incidents("resolved").await;
    assert_eq!(all.len(), 1, "the same incident, resolved: {all:#?}");
    assert_eq!(all[0]["id"], id.as_str());
    // Still silent-checked from the last ping on: 6 s of silence (every 3 s + grace 2 s) is down.
    app.advance(Duration::from_secs(6), Duration::from_secs(1))
        .await;
    assert_eq!(
        app.incidents("open").await.len(),
        1,
        "silence after the burst is noticed"
    );
}

#[tokio::test]
async fn a_new_heartbeat_waits_every_plus_grace_for_its_first_ping() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let slow = HEARTBEAT
        .replace("every = \"3s\"", "every = \"10s\"")
        .replace("grace = \"2s\"", "grace = \"1h\"");
    let app = TestApp::start(&(config(&target, &sink) + &slow)).await;
    app.advance(Duration::from_secs(3600), Duration::from_secs(60))
        .await;
    let open = app.incidents("open").await;
    assert!(
        open.is_empty(),
        "an hour in, still within every + grace: {open:#?}"
    );
    app.advance(Duration::from_secs(20), Duration::from_secs(1))
        .await;
    assert_eq!(
        app.incidents("open").await.len(),
        1,
        "silent past 1h10s: down"
    );
}
