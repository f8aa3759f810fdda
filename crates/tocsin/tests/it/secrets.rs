//! Secrets never leave: a real `tocsin serve`, configured with a distinctive value in every
//! secret field (from the environment and from `${file:…}`), driven through a realistic run —
//! a signal on every integration type and forged ones, a page, an action, the heartbeat, the API,
//! the UI with the configuration page — logging at trace level. Neither its whole log nor any
//! answer it gave holds a configured secret. And a link signed for one purpose opens no other.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::support::{Sink, TestApp, basic_config};

const ADMIN_TOKEN: &str = "admin-token-from-a-file-a1b2c3d4e5";
const SLACK_PATH: &str = "slack-path-secret-5d6e7f8091a2";
const SLACK_SIGNING: &str = "slack-signing-secret-b3c4d5e6f7";
const RELAY_PASS: &str = "relay-password-c4d5e6f708";
const RELAY_KEY: &str = "relay-api-key-d5e6f7081929";
const SMS_WHSEC_KEY: &str = "c21zLXNpZ25pbmcta2V5LWZyb20tYS1maWxlLTAwMDE=";
const SMTP_PASSWORD: &str = "smtp-password-e6f708192a3b";
const PROBE_HEADER: &str = "probe-header-token-f708192a3b4c";
const PROBE_QUERY: &str = "probe-query-token-08192a3b4c5d";
const DB_PASSWORD: &str = "monitor-db-password-192a3b4c5d6e";
const PING_KEY: &str = "heartbeat-ping-key-2a3b4c5d6e7f";
const SENTRY: &str = "sentry-client-secret-3b4c5d6e7f80";
const ROUTING_KEY: &str = "pagerduty-routing-key-4c5d6e7f8091";
const ALERTMANAGER: &str = "alertmanager-token-5d6e7f8091a2";
const UPTIMEROBOT: &str = "uptimerobot-token-6e7f8091a2b3";
const GITHUB: &str = "github-webhook-secret-7f8091a2b3c4";
const RAILWAY: &str = "railway-hook-token-8091a2b3c4d5";
const GENERIC_KEY: &str = "Z2VuZXJpYy1zaWduaW5nLWtleS1mcm9tLWVudi0wMDI=";
const WATCHDOG_PATH: &str = "watchdog-ping-secret-91a2b3c4d5e6";
const HOST_TOKEN: &str = "host-api-token-a2b3c4d5e6f7";
const ACTION_PASS: &str = "action-url-password-b3c4d5e6f708";
const ACTION_QUERY: &str = "action-query-key-c4d5e6f70819";
const ARGV_TOKEN: &str = "argv-token-from-a-file-d5e6f7081a2b";
const PASSWORD: &str = "correct horse battery staple";

const SECRETS: &[&str] = &[
    ADMIN_TOKEN,
    SLACK_PATH,
    SLACK_SIGNING,
    RELAY_PASS,
    RELAY_KEY,
    SMS_WHSEC_KEY,
    SMTP_PASSWORD,
    PROBE_HEADER,
    PROBE_QUERY,
    DB_PASSWORD,
    PING_KEY,
    SENTRY,
    ROUTING_KEY,
    ALERTMANAGER,
    UPTIMEROBOT,
    GITHUB,
    RAILWAY,
    GENERIC_KEY,
    WATCHDOG_PATH,
    HOST_TOKEN,
    ACTION_PASS,
    ACTION_QUERY,
    ARGV_TOKEN,
    PASSWORD,
];

fn config(sink: &Sink) -> String {
    let sink_url = &sink.url;
    let with_credentials = |user: &str, password: &str| {
        sink_url.replace("http://", &format!("http://{user}:{password}@"))
    };
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://tocsin.test"
database = "sqlite://data/tocsin.db"
admin_token = "${{file:secrets/admin-token}}"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"
locales = ["en"]

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = ["slack-alerts"]
status_page = "major_outage"

[[contact]]
id = "sami"
name = "Sami"
phone = "+966500000001"
methods = ["sms"]

[[escalation]]
id = "backend"
steps = [{{ targets = ["contact:sami"], after = "5m" }}]

[[route]]
category = "backend"
title = "Backend down"
escalation = "backend"

[smtp]
host = "127.0.0.1"
port = 9
username = "tocsin"
password = "${{SMTP_PASSWORD}}"
from = "Dealix <status@dealix.example>"
tls = "none"

[[channel]]
id = "slack-alerts"
type = "slack"
webhook_url = "${{file:secrets/slack-url}}"
signing_secret = "${{SLACK_SIGNING_SECRET}}"

[[channel]]
id = "sms"
type = "webhook"
url = "{relay}/sms?api_key={RELAY_KEY}"
secret = "${{file:secrets/sms-secret}}"

[[monitor]]
id = "api-health"
name = "API"
type = "http"
url = "{sink_url}/health?token={PROBE_QUERY}"
headers = {{ X-Api-Key = "${{PROBE_API_KEY}}" }}
interval = "1s"
timeout = "1s"
severity = "SEV-1"
category = "backend"

[[monitor]]
id = "database"
name = "Database"
type = "postgres"
dsn = "postgres://tocsin:${{APP_DATABASE_PASSWORD}}@127.0.0.1:9/tocsin"
interval = "1s"
timeout = "1s"
severity = "SEV-1"
category = "backend"

[[monitor]]
id = "nightly-backup"
name = "Nightly backup"
type = "heartbeat"
key = "${{file:secrets/ping-key}}"
every = "1d"
grace = "1h"
severity = "SEV-1"
category = "backend"

[[integration]]
id = "sentry"
type = "sentry"
secret = "${{file:secrets/sentry}}"
severity = "SEV-1"
category = "backend"

[[integration]]
id = "events"
type = "pagerduty"
key = "${{TOCSIN_ROUTING_KEY}}"
category = "backend"
severity_map = {{ critical = "SEV-1" }}

[[integration]]
id = "alertmanager"
type = "alertmanager"
token = "${{ALERTMANAGER_TOKEN}}"
category = "backend"
severity_map = {{ critical = "SEV-1" }}

[[integration]]
id = "uptimerobot"
type = "uptimerobot"
token = "${{UPTIMEROBOT_TOKEN}}"
severity = "SEV-1"
category = "backend"

[[integration]]
id = "github"
type = "github"
secret = "${{file:secrets/github}}"

[[integration]]
id = "railway"
type = "railway"
token = "${{RAILWAY_HOOK_TOKEN}}"

[[integration]]
id = "ci"
type = "generic"
secret = "${{GENERIC_WEBHOOK_SECRET}}"
severity = "SEV-1"
category = "backend"

[watchdog]
url = "{sink_url}/watchdog/{WATCHDOG_PATH}"
every = "1s"

[[action]]
id = "rollback"
title = "Roll back"
type = "http"
url = "{action}/rollback?key={ACTION_QUERY}&incident={{{{ incident.id }}}}"
headers = {{ Authorization = "Bearer ${{HOST_API_TOKEN}}" }}
confirm = true

[[action]]
id = "restart"
title = "Restart"
type = "command"
argv = ["/usr/bin/printf", "%s\n", "--token=${{file:secrets/argv-token}}"]
confirm = false

[[action]]
id = "unreachable"
title = "Unreachable"
type = "http"
url = "http://deployer:{ACTION_PASS}@127.0.0.1:9/rollback?key={ACTION_QUERY}"
headers = {{ Authorization = "Bearer ${{HOST_API_TOKEN}}" }}
confirm = false
"#,
        relay = with_credentials("relay", RELAY_PASS),
        action = with_credentials("deployer", ACTION_PASS),
    )
}

/// The environment the server gets: the secrets that do not come from files.
fn environment() -> Vec<(&'static str, String)> {
    vec![
        ("SMTP_PASSWORD", SMTP_PASSWORD.to_owned()),
        ("SLACK_SIGNING_SECRET", SLACK_SIGNING.to_owned()),
        ("PROBE_API_KEY", PROBE_HEADER.to_owned()),
        ("APP_DATABASE_PASSWORD", DB_PASSWORD.to_owned()),
        ("TOCSIN_ROUTING_KEY", ROUTING_KEY.to_owned()),
        ("ALERTMANAGER_TOKEN", ALERTMANAGER.to_owned()),
        ("UPTIMEROBOT_TOKEN", UPTIMEROBOT.to_owned()),
        ("RAILWAY_HOOK_TOKEN", RAILWAY.to_owned()),
        ("GENERIC_WEBHOOK_SECRET", format!("whsec_{GENERIC_KEY}")),
        ("HOST_API_TOKEN", HOST_TOKEN.to_owned()),
    ]
}

fn write_secret_files(dir: &std::path::Path, sink: &Sink) {
    let secrets = dir.join("secrets");
    std::fs::create_dir_all(&secrets).expect("secrets folder");
    for (name, value) in [
        ("admin-token", ADMIN_TOKEN.to_owned()),
        (
            "slack-url",
            format!("{}/services/T0/B0/{SLACK_PATH}", sink.url),
        ),
        ("sms-secret", format!("whsec_{SMS_WHSEC_KEY}")),
        ("ping-key", PING_KEY.to_owned()),
        ("sentry", SENTRY.to_owned()),
        ("github", GITHUB.to_owned()),
        ("argv-token", ARGV_TOKEN.to_owned()),
    ] {
        std::fs::write(secrets.join(name), format!("{value}\n")).expect("write a secret file");
    }
}

/// Everything the server answered, to search for secrets with its log.
#[derive(Default)]
struct Answers(Vec<String>);

struct Client {
    base: String,
    http: reqwest::Client,
    answers: Answers,
}

impl Client {
    async fn send(&mut self, request: reqwest::RequestBuilder) -> (u16, String) {
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let mut seen = format!("{status}");
        for (name, value) in response.headers() {
            seen.push_str(&format!("\n{name}: {}", value.to_str().unwrap_or_default()));
        }
        let body = response.text().await.unwrap_or_default();
        seen.push_str(&format!("\n\n{body}"));
        self.answers.0.push(seen);
        (status, body)
    }

    fn post(&self, path: &str, body: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .body(body.to_owned())
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }
}

#[tokio::test]
#[allow(
    clippy::disallowed_methods,
    reason = "the server under test is a real process on the real clock: signed requests carry its time"
)]
async fn a_full_run_logs_and_answers_none_of_the_configured_secrets() {
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    write_secret_files(dir.path(), &sink);
    let config = dir.path().join("tocsin.toml");
    std::fs::write(&config, self::config(&sink)).expect("write the configuration");
    let binary = env!("CARGO_BIN_EXE_tocsin");

    // `tocsin check` reads the same files and variables, and says nothing of them.
    let checked = Command::new(binary)
        .args(["check", "--config"])
        .arg(&config)
        .envs(environment())
        .output()
        .await
        .expect("run tocsin check");
    let mut everything = String::from_utf8_lossy(&checked.stdout).into_owned();
    everything.push_str(&String::from_utf8_lossy(&checked.stderr));
    assert!(checked.status.success(), "{everything}");

    // An admin for the UI, made the way an operator would.
    let mut add = Command::new(binary)
        .args([
            "user",
            "add",
            "admin@example.com",
            "--role",
            "admin",
            "--config",
        ])
        .arg(&config)
        .envs(environment())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tocsin user add");
    let mut stdin = add.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .await
        .expect("type the password");
    drop(stdin);
    let added = add.wait_with_output().await.expect("tocsin user add");
    everything.push_str(&String::from_utf8_lossy(&added.stdout));
    everything.push_str(&String::from_utf8_lossy(&added.stderr));
    assert!(added.status.success(), "{everything}");

    // The server, logging everything at trace level.
    let mut server = Command::new(binary)
        .args(["--log-format", "json", "serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "trace")
        .envs(environment())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start tocsin serve");
    let log = Arc::new(Mutex::new(String::new()));
    let mut lines = BufReader::new(server.stderr.take().expect("stderr")).lines();
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read the log") {
            log.lock().unwrap().push_str(&format!("{line}\n"));
            let entry = serde_json::from_str::<Value>(&line).unwrap_or_default();
            if entry["fields"]["message"] == "tocsin is serving" {
                return entry["fields"]["url"].as_str().expect("url").to_owned();
            }
        }
        panic!("tocsin exited before serving:\n{}", log.lock().unwrap());
    })
    .await
    .expect("tocsin serves within a minute");
    let reader = {
        let log = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                log.lock().unwrap().push_str(&format!("{line}\n"));
            }
        })
    };
    let mut stdout = server.stdout.take().expect("stdout");
    let stdout_reader = tokio::spawn(async move {
        let mut text = String::new();
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut text).await;
        text
    });

    let mut client = Client {
        base: base.clone(),
        http: reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        answers: Answers::default(),
    };

    // A signal on every integration type, and forged or unauthenticated ones.
    let pd = json!({
        "routing_key": ROUTING_KEY, "event_action": "trigger", "dedup_key": "db-down",
        "payload": { "summary": "Database down", "source": "db-1", "severity": "critical" },
    })
    .to_string();
    let (status, body) = client.send(client.post("/v2/enqueue", &pd)).await;
    assert_eq!(status, 202, "{body}");
    let wrong_key = pd.replace(ROUTING_KEY, "not-the-routing-key-000000");
    assert_eq!(
        client.send(client.post("/v2/enqueue", &wrong_key)).await.0,
        400
    );

    let alerts = json!({
        "version": "4", "groupKey": "g", "status": "firing", "receiver": "tocsin",
        "alerts": [{ "status": "firing", "labels": { "alertname": "HighErrorRate", "severity": "critical" },
            "annotations": { "summary": "API error rate above 5%" }, "startsAt": "2026-11-26T00:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "fp1" }],
    })
    .to_string();
    let (status, body) = client
        .send(
            client
                .post("/hooks/alertmanager", &alerts)
                .bearer_auth(ALERTMANAGER),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let forged = client
        .post("/hooks/alertmanager", &alerts)
        .bearer_auth("wrong-token-00000000");
    assert_eq!(client.send(forged).await.0, 401);

    let sentry = json!({
        "action": "triggered",
        "data": { "event": { "issue_id": "42", "title": "ZeroDivisionError", "level": "error" } },
    })
    .to_string();
    let now = jiff::Timestamp::now().as_second();
    let signed = |secret: &[u8]| {
        client
            .post("/hooks/sentry", &sentry)
            .header("sentry-hook-resource", "event_alert")
            .header(
                "sentry-hook-signature",
                crate::inbound::hex_hmac(secret, sentry.as_bytes()),
            )
            .header("sentry-hook-timestamp", now.to_string())
    };
    let (good, bad) = (signed(SENTRY.as_bytes()), signed(b"not the secret"));
    let (status, body) = client.send(good).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(client.send(bad).await.0, 401);

    let push = json!({
        "ref": "refs/heads/main", "after": "59b20b8d5c6ff8d09518216e5c4ea1ce8ce0d7de",
        "repository": { "full_name": "dealix/app", "default_branch": "main" },
        "head_commit": { "id": "59b20b8d5c6ff8d09518216e5c4ea1ce8ce0d7de", "message": "Fix", "author": { "name": "Sami" } },
    })
    .to_string();
    let github = |secret: &[u8]| {
        client
            .post("/hooks/github", &push)
            .header("x-github-event", "push")
            .header("x-github-delivery", "delivery-1")
            .header(
                "x-hub-signature-256",
                format!(
                    "sha256={}",
                    crate::inbound::hex_hmac(secret, push.as_bytes())
                ),
            )
    };
    for request in [
        github(GITHUB.as_bytes()),
        github(GITHUB.as_bytes()),
        github(b"nope"),
    ] {
        client.send(request).await;
    }

    let down = "monitorID=7&monitorURL=https%3A%2F%2Fapi.example%2F&monitorFriendlyName=API&alertType=1&alertDetails=HTTP%20503";
    for token in [UPTIMEROBOT, "wrong-token-000000000"] {
        let request = client
            .post(&format!("/hooks/uptimerobot?token={token}"), down)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        client.send(request).await;
    }

    let deploy = json!({
        "type": "Deployment.deployed", "timestamp": "2026-11-26T00:00:00.000Z",
        "details": { "id": "dep-2", "status": "SUCCESS", "branch": "main", "commitHash": "abc123", "commitMessage": "Fix" },
        "resource": { "project": { "id": "p", "name": "dealix" }, "environment": { "id": "e", "name": "production" }, "service": { "id": "s", "name": "api" }, "deployment": { "id": "dep-2" } },
    })
    .to_string();
    for token in [RAILWAY, "wrong-token-000000000"] {
        client
            .send(client.post(&format!("/hooks/railway?token={token}"), &deploy))
            .await;
    }

    let event = json!({ "type": "alert", "status": "firing", "key": "ci-1", "title": "CI is red" })
        .to_string();
    let signature = tocsin_core::standard_webhooks::sign(
        &format!("whsec_{GENERIC_KEY}"),
        "msg_1",
        now,
        event.as_bytes(),
    )
    .expect("sign");
    for signature in [signature, "v1,AAAA".to_owned()] {
        let request = client
            .post("/hooks/ci", &event)
            .header("webhook-id", "msg_1")
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", signature);
        client.send(request).await;
    }

    for path in [
        format!("/ping/{PING_KEY}"),
        "/ping/not-a-key-000000".to_owned(),
    ] {
        client.send(client.get(&path)).await;
    }

    // The page goes out to Slack and to the SMS relay, signed with the channel's secret.
    sink.wait_until(Duration::from_secs(30), |received| {
        received.iter().any(|r| r.path.ends_with(SLACK_PATH))
            && received.iter().any(|r| r.path == "/sms")
    })
    .await;

    // The API, with the admin token and with a wrong one.
    let (status, body) = client
        .send(client.get("/api/v1/incidents").bearer_auth(ADMIN_TOKEN))
        .await;
    assert_eq!(status, 200, "{body}");
    let incidents: Value = serde_json::from_str(&body).expect("JSON");
    let id = incidents["incidents"][0]["id"]
        .as_str()
        .expect("an incident")
        .to_owned();
    assert_eq!(
        client
            .send(
                client
                    .get("/api/v1/incidents")
                    .bearer_auth("wrong-admin-token-0000")
            )
            .await
            .0,
        401
    );
    for action in ["rollback", "restart", "unreachable"] {
        let request = client
            .post(
                &format!("/api/v1/incidents/{id}/actions/{action}"),
                r#"{"confirm": true}"#,
            )
            .header(CONTENT_TYPE, "application/json")
            .bearer_auth(ADMIN_TOKEN);
        let (status, body) = client.send(request).await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    for path in [
        format!("/api/v1/incidents/{id}"),
        format!("/api/v1/incidents/{id}/timeline"),
        format!("/api/v1/incidents/{id}/actions"),
        "/api/v1/monitors".to_owned(),
        "/api/v1/deliveries".to_owned(),
    ] {
        client
            .send(client.get(&path).bearer_auth(ADMIN_TOKEN))
            .await;
    }

    // The UI as the admin, the configuration page included.
    let login = client
        .post(
            "/login",
            &format!(
                "email=admin%40example.com&password={}&next=",
                PASSWORD.replace(' ', "+")
            ),
        )
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    let response = login.send().await.expect("sign in");
    assert!(
        response.status().is_redirection(),
        "signed in: {}",
        response.status()
    );
    assert!(response.headers().get(LOCATION).is_some());
    let session = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookie| cookie.strip_prefix("tocsin_session="))
        .and_then(|rest| rest.split(';').next())
        .expect("a session cookie")
        .to_owned();
    for path in [
        "/incidents".to_owned(),
        format!("/incidents/{id}"),
        "/monitors".to_owned(),
        "/deliveries".to_owned(),
        "/config".to_owned(),
    ] {
        let request = client
            .get(&path)
            .header(COOKIE, format!("tocsin_session={session}"));
        let (status, body) = client.send(request).await;
        assert_eq!(status, 200, "{path}: {body}");
    }

    // Let the probes, the watchdog and the deliveries run a little more, then stop.
    sink.wait_until(Duration::from_secs(30), |received| {
        received
            .iter()
            .filter(|r| r.path.ends_with(WATCHDOG_PATH))
            .count()
            >= 2
    })
    .await;
    crate::crash::stop_with_sigterm(server).await;
    reader.await.expect("the log is read to its end");
    everything.push_str(&stdout_reader.await.expect("stdout"));
    let log = log.lock().unwrap().clone();
    assert!(
        log.lines().count() > 100,
        "a trace-level log of a whole run: {log}"
    );

    for secret in SECRETS {
        if let Some(at) = log.find(secret) {
            let start = log[..at].rfind('\n').map_or(0, |n| n + 1);
            let end = log[at..].find('\n').map_or(log.len(), |n| at + n);
            panic!("the log holds {secret}: {}", &log[start..end]);
        }
        assert!(!everything.contains(secret), "the CLI printed {secret}");
        for answer in &client.answers.0 {
            assert!(
                !answer.contains(secret),
                "an answer holds {secret}: {answer}"
            );
        }
    }
}

/// An acknowledge link's token opens nothing else: not a drill link, not a status-page
/// subscription, not a calendar feed.
#[tokio::test]
async fn an_acknowledge_token_opens_no_drill_subscription_or_calendar_link() {
    let target = crate::support::Target::start(503).await;
    let sink = Sink::start().await;
    let text = format!(
        "{}\n[[contact]]\nid = \"sami\"\nname = \"Sami\"\nmethods = [\"slack-alerts\"]\n\n[[schedule]]\nid = \"backend\"\ntimezone = \"Asia/Riyadh\"\nrotation = {{ members = [\"sami\"], every = \"1w\", handoff = \"sun 09:00\" }}\n",
        basic_config(&target, &sink, "10s", 1)
    );
    let app = TestApp::start(&text).await;
    app.advance(Duration::from_secs(30), Duration::from_secs(10))
        .await;
    let slack = sink.accepted();
    let link = slack
        .iter()
        .find_map(|request| crate::support::ack_link(&request.body))
        .expect("the page carries an acknowledge link");
    let token = link.rsplit('/').next().expect("a token").to_owned();
    assert!(
        app.app.engine.check_ack_token(&token).await.is_ok(),
        "it is a valid acknowledge token"
    );

    let drill = app
        .http
        .get(app.url(&format!("/drill/confirm/{token}")))
        .send()
        .await
        .expect("GET");
    assert_eq!(drill.status().as_u16(), 403);
    let drill = app
        .http
        .post(app.url(&format!("/drill/confirm/{token}")))
        .send()
        .await
        .expect("POST");
    assert_eq!(drill.status().as_u16(), 403);
    assert!(app.app.engine.confirm_subscription(&token).await.is_err());
    assert!(app.app.engine.unsubscribe(&token).await.is_err());
    let calendar = app
        .http
        .get(app.url(&format!("/oncall/backend.ics?token={token}")))
        .send()
        .await
        .expect("GET");
    assert_eq!(calendar.status().as_u16(), 403);
    let good = app
        .http
        .get(
            app.app
                .engine
                .calendar_url("backend")
                .replace("http://tocsin.test", &app.app.url()),
        )
        .send()
        .await
        .expect("GET");
    assert_eq!(good.status().as_u16(), 200, "the feed's own token opens it");
    // And the acknowledge link still works for what it was made for.
    assert!(app.app.engine.acknowledge_with_token(&token).await.is_ok());
}
