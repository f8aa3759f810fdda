//! Real peers, unchanged, pointed at tocsin: PagerDuty's Python client library (pdpyras) and a
//! real Prometheus Alertmanager delivering webhooks over loopback.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::support::{Sink, Target, TestApp, basic_config};

const ROUTING_KEY: &str = "PDPYRAS0ROUTING0KEY0000000000000";
const AM_TOKEN: &str = "alertmanager-peer-token";

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
token = "{AM_TOKEN}"
category = "backend"
severity_label = "severity"
severity_map = {{ critical = "SEV-1", warning = "SEV-2" }}
"#
        )
}

async fn app() -> (TestApp, Sink) {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&target, &sink)).await;
    (app, sink)
}

/// The scripts the tests run live in the repository's `tests/peers/`.
fn peer_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/peers")
        .join(name)
}

/// `tests/peers/pagerduty_client.py`, driven one command at a time.
struct PagerdutyClient {
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    _child: Child,
}

impl PagerdutyClient {
    fn start(base_url: &str) -> PagerdutyClient {
        let mut child = Command::new("python3")
            .arg(peer_script("pagerduty_client.py"))
            .args([base_url, ROUTING_KEY])
            // requests honours proxy variables; tocsin is on loopback.
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start python3 (scripts/test installs pdpyras)");
        PagerdutyClient {
            stdin: child.stdin.take().expect("stdin"),
            stdout: BufReader::new(child.stdout.take().expect("stdout")).lines(),
            _child: child,
        }
    }

    /// Sends one command and returns the script's one-line answer, which comes after pdpyras's
    /// call returned (and so after tocsin answered).
    async fn call(&mut self, command: &str) -> String {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .expect("write to the client");
        self.stdin.flush().await.expect("flush");
        tokio::time::timeout(Duration::from_secs(30), self.stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("pdpyras did not answer `{command}` within 30 s"))
            .expect("read the client")
            .unwrap_or_else(|| {
                panic!("the client exited during `{command}` (is pdpyras installed?)")
            })
    }
}

#[tokio::test]
async fn pdpyras_triggers_acknowledges_and_resolves_an_incident_unchanged() {
    let (app, sink) = app().await;
    let mut client = PagerdutyClient::start(&app.url(""));

    // pdpyras returns the dedup_key from tocsin's answer: the body is PagerDuty's shape.
    let answer = client
        .call("trigger db-primary/replication-lag Replication lag over 30s on db-primary")
        .await;
    assert_eq!(answer, "ok db-primary/replication-lag");
    let open = app.incidents("open").await;
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(open[0]["state"], "triggered");
    assert_eq!(open[0]["severity"], "SEV-1", "critical maps to SEV-1");
    assert_eq!(open[0]["title"], "Replication lag over 30s on db-primary");
    app.settle().await;
    assert_eq!(sink.accepted().len(), 1, "the trigger paged once");

    // A retrying client sends the trigger again: same incident, nobody paged twice.
    let answer = client
        .call("trigger db-primary/replication-lag Replication lag over 30s on db-primary")
        .await;
    assert_eq!(answer, "ok db-primary/replication-lag");
    app.settle().await;
    assert_eq!(app.incidents("all").await.len(), 1);
    assert_eq!(sink.accepted().len(), 1);

    let answer = client.call("acknowledge db-primary/replication-lag").await;
    assert_eq!(answer, "ok db-primary/replication-lag");
    let open = app.incidents("open").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["state"], "acknowledged");
    assert!(open[0]["acknowledged_at"].is_string(), "{}", open[0]);

    let answer = client.call("resolve db-primary/replication-lag").await;
    assert_eq!(answer, "ok db-primary/replication-lag");
    assert!(app.incidents("open").await.is_empty());
    let all = app.incidents("all").await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["state"], "resolved");
    let id = all[0]["id"].as_str().expect("id");
    let kinds = app.timeline_kinds(id).await;
    for kind in ["opened", "acknowledged", "resolved"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

#[tokio::test]
async fn a_pdpyras_change_event_is_recorded_and_opens_nothing() {
    let (app, sink) = app().await;
    let mut client = PagerdutyClient::start(&app.url(""));
    let answer = client.call("change Deploy api v42 to production").await;
    if answer == "unsupported" {
        // Older pdpyras releases have no ChangeEventsAPISession; nothing to drive.
        return;
    }
    assert_eq!(answer, "ok");
    app.settle().await;
    assert!(app.incidents("all").await.is_empty());
    assert!(sink.received().is_empty(), "a change never pages");
    let changes = app.app.engine.store().changes(None, 10).await.unwrap();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0].change.summary, "Deploy api v42 to production");
}

/// A real `prometheus-alertmanager` on loopback, gossip off, its state in a tempdir.
struct Alertmanager {
    url: String,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<String>>>,
    _child: Child,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    async fn start(webhook_url: &str) -> Alertmanager {
        let dir = tempfile::tempdir().expect("tempdir");
        // Short waits so a notification follows each change within a second; `resolve_timeout`
        // outlasts the test so the only resolve tocsin can see is the one the test posts.
        let config = format!(
            r#"
global:
  resolve_timeout: 1m
route:
  receiver: tocsin
  group_by: ['alertname']
  group_wait: 100ms
  group_interval: 500ms
  repeat_interval: 1h
receivers:
  - name: tocsin
    webhook_configs:
      - url: "{webhook_url}"
        send_resolved: true
        http_config:
          authorization:
            credentials: "{AM_TOKEN}"
"#
        );
        let config_path = dir.path().join("alertmanager.yml");
        std::fs::write(&config_path, config).expect("write alertmanager.yml");
        let mut child = Command::new("/usr/bin/prometheus-alertmanager")
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            // Port 0: the kernel picks a free port and Alertmanager logs the one it got.
            .arg("--web.listen-address=127.0.0.1:0")
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start /usr/bin/prometheus-alertmanager (scripts/test installs it)");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let log = Arc::new(Mutex::new(Vec::new()));
        let address = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read alertmanager's log") {
                log.lock().unwrap().push(line.clone());
                if line.contains("msg=\"Listening on\"") {
                    let address = line
                        .split_whitespace()
                        .find_map(|field| field.strip_prefix("address="))
                        .expect("the listening line names its address");
                    return address.to_owned();
                }
            }
            panic!(
                "alertmanager exited before listening:\n{}",
                log.lock().unwrap().join("\n")
            );
        })
        .await
        .expect("alertmanager listens within 30 s");
        // Keep its log (notification failures show up there) and never let the pipe fill.
        let kept = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                kept.lock().unwrap().push(line);
            }
        });
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let am = Alertmanager {
            url: format!("http://{address}"),
            http,
            log,
            _child: child,
            _dir: dir,
        };
        // Listening is not ready: /-/ready answers 200 once the configuration is applied. It
        // announces that by no event, so poll it.
        am.wait_for("/-/ready to answer 200", || async {
            am.http
                .get(format!("{}/-/ready", am.url))
                .send()
                .await
                .is_ok_and(|response| response.status().is_success())
        })
        .await;
        am
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Polls `done` until it holds; Alertmanager sends notifications on its own timers and tells
    /// nobody, so there is no event to wait on. Panics with Alertmanager's log after 30 s.
    async fn wait_for<F, Fut>(&self, what: &str, mut done: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let poll = async {
            let mut every = tokio::time::interval(Duration::from_millis(50));
            loop {
                every.tick().await;
                if done().await {
                    return;
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(30), poll)
            .await
            .is_err()
        {
            panic!(
                "waited 30 s for {what}; alertmanager's log:\n{}",
                self.log()
            );
        }
    }

    async fn post_alerts(&self, alerts: &Value) {
        let response = self
            .http
            .post(format!("{}/api/v2/alerts", self.url))
            .json(alerts)
            .send()
            .await
            .expect("POST /api/v2/alerts");
        assert_eq!(
            response.status().as_u16(),
            200,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }

    async fn alerts(&self) -> Vec<Value> {
        let response = self
            .http
            .get(format!("{}/api/v2/alerts", self.url))
            .send()
            .await
            .expect("GET /api/v2/alerts");
        response.json().await.expect("alerts JSON")
    }
}

fn high_error_rate(instance: &str) -> Value {
    json!({
        "labels": { "alertname": "HighErrorRate", "severity": "critical", "instance": instance, "job": "api" },
        "annotations": { "summary": "API error rate above 5%", "description": "5xx rate is 12%" },
        "generatorURL": "http://prometheus.local/graph?g0.expr=rate",
    })
}

#[tokio::test]
async fn a_real_alertmanager_opens_one_incident_and_resolves_it() {
    let (app, sink) = app().await;
    let am = Alertmanager::start(&app.url("/hooks/alertmanager")).await;
    let instances = ["api-1", "api-2", "api-3"];

    // Firing: no startsAt or endsAt, so Alertmanager stamps them (start now, end after
    // resolve_timeout) as it does for Prometheus's alerts.
    let firing: Vec<Value> = instances.iter().map(|i| high_error_rate(i)).collect();
    am.post_alerts(&json!(firing)).await;
    am.wait_for(
        "tocsin to open an incident with all three alerts",
        || async {
            app.incidents("open")
                .await
                .first()
                .is_some_and(|incident| incident["alert_count"] == 3)
        },
    )
    .await;
    let open = app.incidents("open").await;
    assert_eq!(open.len(), 1, "one group is one incident: {open:#?}");
    assert_eq!(open[0]["state"], "triggered");
    assert_eq!(open[0]["severity"], "SEV-1");
    assert_eq!(open[0]["title"], "API error rate above 5%");
    let id = open[0]["id"].as_str().expect("id").to_owned();
    app.settle().await;
    assert_eq!(sink.accepted().len(), 1, "one page for the group");

    // Resolved: the same alerts with endsAt in the past. Alertmanager's own startsAt is a
    // moment that has passed (it came before the incident did), so it serves as that endsAt.
    let resolved: Vec<Value> = am
        .alerts()
        .await
        .into_iter()
        .map(|alert| {
            json!({
                "labels": alert["labels"],
                "annotations": alert["annotations"],
                "generatorURL": alert["generatorURL"],
                "startsAt": alert["startsAt"],
                "endsAt": alert["startsAt"],
            })
        })
        .collect();
    assert_eq!(resolved.len(), 3, "alertmanager holds the three alerts");
    am.post_alerts(&json!(resolved)).await;
    am.wait_for("tocsin to resolve the incident", || async {
        app.incidents("open").await.is_empty()
    })
    .await;

    let all = app.incidents("all").await;
    assert_eq!(all.len(), 1, "still one incident: {all:#?}");
    assert_eq!(all[0]["id"], id.as_str());
    assert_eq!(all[0]["state"], "resolved");
    assert_eq!(all[0]["alert_count"], 3);
    let kinds = app.timeline_kinds(&id).await;
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("opened"),
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|k| k == "resolved"), "{kinds:?}");
    assert!(
        !kinds.iter().any(|k| k == "reopened"),
        "opened once, resolved once: {kinds:?}"
    );
}
