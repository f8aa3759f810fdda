//! Reloading the configuration of a running `tocsin serve` (the real binary, real clock): by
//! `POST /-/reload` (admins only) and by SIGHUP. A new file takes effect without losing the open
//! incident or its pending escalation step, which goes to the channel's new URL exactly once; a
//! broken file changes nothing and says why.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Notify;

use crate::crash::{get_json, signal};
use crate::support::{Sink, TOKEN};

const ANN: &str = "+966500000001";
const BO: &str = "+966500000002";
/// How long the test waits for what a running server does on the real clock.
const LIMIT: Duration = Duration::from_secs(30);

/// The file: a monitor `api-health` on `watched`, a ladder paging Ann then (`step_after` later)
/// Bo by SMS through the `sms` webhook at `sms`, and optionally a second monitor `web` on
/// `extra`.
fn config(watched: &Sink, sms: &Sink, team: &Sink, extra: Option<&Sink>) -> String {
    let mut text = format!(
        r#"
[server]
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
notify = ["team"]

[[contact]]
id = "ann"
name = "Ann"
phone = "{ANN}"
methods = ["sms"]

[[contact]]
id = "bo"
name = "Bo"
phone = "{BO}"
methods = ["sms"]

[[escalation]]
id = "backend"
repeat = 0
steps = [
  {{ targets = ["contact:ann"], after = "15s" }},
  {{ targets = ["contact:bo"], after = "2s" }},
]

[[route]]
category = "backend"
escalation = "backend"

[[channel]]
id = "team"
type = "webhook"
url = "{team}/team"

[[channel]]
id = "sms"
type = "webhook"
url = "{sms}/sms"

[[monitor]]
id = "api-health"
name = "API /healthz"
type = "http"
url = "{watched}/healthz"
interval = "1s"
timeout = "1s"
severity = "SEV-1"
category = "backend"
"#,
        watched = watched.url,
        sms = sms.url,
        team = team.url,
    );
    if let Some(extra) = extra {
        text.push_str(&format!(
            r#"
[[monitor]]
id = "web"
name = "Website"
type = "http"
url = "{extra}/web"
interval = "1s"
timeout = "1s"
severity = "SEV-1"
category = "backend"
"#,
            extra = extra.url
        ));
    }
    text
}

/// A running `tocsin serve` whose log lines the test can wait on.
struct Server {
    child: Child,
    url: String,
    log: Arc<(Mutex<Vec<String>>, Notify)>,
}

impl Server {
    async fn start(config: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .args(["--log-format", "json", "serve", "--config"])
            .arg(config)
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .env_remove("TOCSIN_CONFIG")
            .env_remove("TOCSIN_DATABASE")
            .envs(crate::support::example_env())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start tocsin serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let log: Arc<(Mutex<Vec<String>>, Notify)> = Arc::default();
        let (url_tx, url_rx) = tokio::sync::oneshot::channel();
        let kept = log.clone();
        tokio::spawn(async move {
            let mut url_tx = Some(url_tx);
            while let Ok(Some(line)) = lines.next_line().await {
                let parsed = serde_json::from_str::<Value>(&line).unwrap_or_default();
                if parsed["fields"]["message"] == "tocsin is serving"
                    && let Some(tx) = url_tx.take()
                {
                    let _ = tx.send(parsed["fields"]["url"].as_str().unwrap_or("").to_owned());
                }
                kept.0.lock().unwrap().push(line);
                kept.1.notify_waiters();
            }
        });
        let url = tokio::time::timeout(Duration::from_secs(60), url_rx)
            .await
            .expect("tocsin serves within a minute")
            .expect("tocsin exited before serving");
        Server { child, url, log }
    }

    /// Waits (on new log lines) until a line contains every one of `words`; returns it.
    async fn log_line(&self, words: &[&str]) -> String {
        let wait = async {
            loop {
                let arrived = self.log.1.notified();
                if let Some(line) = self
                    .log
                    .0
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|line| words.iter().all(|word| line.contains(word)))
                {
                    return line.clone();
                }
                arrived.await;
            }
        };
        tokio::time::timeout(LIMIT, wait)
            .await
            .unwrap_or_else(|_| panic!("no log line with {words:?} within {LIMIT:?}"))
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut request = http.post(format!("{}{path}", self.url)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn metrics(&self) -> String {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text")
    }

    async fn monitor_ids(&self) -> Vec<String> {
        let monitors = get_json(&self.url, "/api/v1/monitors").await;
        let mut ids: Vec<String> = monitors["monitors"]
            .as_array()
            .expect("monitors")
            .iter()
            .map(|m| m["id"].as_str().unwrap_or("").to_owned())
            .collect();
        ids.sort();
        ids
    }
}

/// Who each SMS went to, in order.
fn texted(sms: &Sink) -> Vec<String> {
    sms.accepted()
        .iter()
        .map(|r| r.body["to"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// Waits until `sink` has received more than `seen` requests: the monitor on it was probed again.
async fn probed_again(sink: &Sink, seen: usize) {
    sink.wait_until(LIMIT, |received| received.len() > seen)
        .await;
}

/// A role's API token, made with the CLI on the running server's database.
fn token(config: &Path, role: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["token", "create", "--role", role, "--config"])
        .arg(config)
        .env_remove("TOCSIN_CONFIG")
        .env_remove("TOCSIN_DATABASE")
        .envs(crate::support::example_env())
        .output()
        .expect("run tocsin token create");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned()
}

/// Polls the server's own record until `done` holds: the real binary on the real clock offers
/// no event to wait on.
async fn until_the_server_says(server: &Server, path: &str, done: impl Fn(&Value) -> bool) {
    let poll = async {
        while !done(&get_json(&server.url, path).await) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(LIMIT, poll)
        .await
        .unwrap_or_else(|_| panic!("{path} did not say so within {LIMIT:?}"));
}

/// A broken copy of `text`: the `web` monitor removed (a change that must not happen) and an
/// interval that is not a duration.
fn broken(text: &str) -> String {
    let without_web = text
        .split("\n[[monitor]]\nid = \"web\"")
        .next()
        .unwrap()
        .to_owned();
    without_web.replace("interval = \"1s\"", "interval = \"every second\"")
}

#[tokio::test]
async fn a_reload_by_api_adds_a_monitor_and_sends_the_pending_step_to_the_new_url_once_and_a_broken_file_changes_nothing()
 {
    let (watched, extra) = (Sink::start().await, Sink::start().await);
    let (old_sms, new_sms, team) = (
        Sink::start().await,
        Sink::start().await,
        Sink::start().await,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(&path, config(&watched, &old_sms, &team, None)).unwrap();
    let mut server = Server::start(&path).await;
    let responder = token(&path, "responder");

    // An incident open, Ann paged on the old URL, Bo's step pending (15 s after hers).
    let (status, incident) = server
        .post(
            "/api/v1/incidents",
            Some(TOKEN),
            json!({ "title": "Checkout fails", "severity": "SEV-1", "category": "backend" }),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let id = incident["id"].as_str().unwrap().to_owned();
    old_sms
        .wait_until(LIMIT, |received| {
            received.iter().any(|r| r.body["to"] == ANN)
        })
        .await;

    // The new file: a second monitor, and the SMS channel moved to another URL.
    std::fs::write(&path, config(&watched, &new_sms, &team, Some(&extra))).unwrap();
    let (status, refused) = server.post("/-/reload", None, json!({})).await;
    assert_eq!(status, 401, "no token: {refused}");
    let (status, refused) = server.post("/-/reload", Some(&responder), json!({})).await;
    assert_eq!(status, 403, "a responder may not reload: {refused}");
    assert_eq!(refused["error"]["code"], "forbidden");
    assert!(
        extra.received().is_empty(),
        "a refused caller reloaded nothing"
    );
    let (status, answer) = server.post("/-/reload", Some(TOKEN), json!({})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["reloaded"], true);
    assert_eq!(answer["changes"]["monitors"]["added"], json!(["web"]));
    assert_eq!(answer["changes"]["channels"]["changed"], json!(["sms"]));
    assert_eq!(answer["changes"]["ignored"], json!([]), "{answer}");
    server.log_line(&["configuration reloaded", "admin"]).await;

    // The new monitor is probed.
    extra
        .wait_until(LIMIT, |received| received.iter().any(|r| r.path == "/web"))
        .await;
    // Bo's step goes out once, to the new URL; the old one hears nothing more.
    new_sms
        .wait_until(LIMIT, |received| {
            received.iter().any(|r| r.body["to"] == BO)
        })
        .await;
    until_the_server_says(&server, &format!("/api/v1/incidents/{id}/timeline"), |t| {
        t.to_string().contains("every step")
    })
    .await;
    assert_eq!(texted(&old_sms), [ANN], "the old URL got Ann's page only");
    assert_eq!(
        texted(&new_sms),
        [BO],
        "Bo's page went to the new URL, once"
    );
    let open = get_json(&server.url, "/api/v1/incidents?state=open").await;
    assert_eq!(
        open["incidents"][0]["id"],
        id.as_str(),
        "still open: {open}"
    );

    // A broken file: refused with its errors, and nothing changes.
    let working = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, broken(&working)).unwrap();
    let (status, refused) = server.post("/-/reload", Some(TOKEN), json!({})).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid_configuration");
    let problems = refused["problems"].as_array().expect("problems");
    assert!(!problems.is_empty(), "{refused}");
    assert!(
        problems.iter().all(|p| p["line"].as_u64() > Some(0)
            && p["file"]
                .as_str()
                .is_some_and(|f| f.ends_with("tocsin.toml"))),
        "each problem says where: {refused}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p["message"].as_str().unwrap_or("").contains("every second")),
        "the errors say what was wrong: {refused}"
    );
    server
        .log_line(&["configuration reload refused", "admin"])
        .await;
    // The old monitors are still probed, and the old configuration is still served.
    let (watched_seen, extra_seen) = (watched.received().len(), extra.received().len());
    probed_again(&watched, watched_seen).await;
    probed_again(&extra, extra_seen).await;
    assert_eq!(server.monitor_ids().await, ["api-health", "web"]);
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("\ntocsin_config_last_reload_successful 0\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("\ntocsin_config_last_reload_success_timestamp_seconds "),
        "{metrics}"
    );
    assert_eq!(texted(&old_sms), [ANN], "nothing more to the old URL");
    server.child.start_kill().unwrap();
    server.child.wait().await.unwrap();
}

#[tokio::test]
async fn sighup_reloads_the_file_and_a_broken_one_is_logged_and_changes_nothing() {
    let (watched, extra) = (Sink::start().await, Sink::start().await);
    let (sms, team) = (Sink::start().await, Sink::start().await);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(&path, config(&watched, &sms, &team, None)).unwrap();
    let mut server = Server::start(&path).await;
    assert!(
        server
            .metrics()
            .await
            .contains("\ntocsin_config_last_reload_successful 1\n")
    );

    // SIGHUP with a new monitor in the file: it is probed, and the server is still serving.
    std::fs::write(&path, config(&watched, &sms, &team, Some(&extra))).unwrap();
    signal(&server.child, "HUP").await;
    server.log_line(&["configuration reloaded", "SIGHUP"]).await;
    extra
        .wait_until(LIMIT, |received| received.iter().any(|r| r.path == "/web"))
        .await;
    assert_eq!(server.monitor_ids().await, ["api-health", "web"]);

    // SIGHUP with a broken file: the log names the problem, and nothing changes.
    let working = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, broken(&working)).unwrap();
    signal(&server.child, "HUP").await;
    let problem = server.log_line(&["tocsin.toml", "every second"]).await;
    assert!(problem.contains("ERROR"), "{problem}");
    server
        .log_line(&["configuration reload refused", "SIGHUP"])
        .await;
    let (watched_seen, extra_seen) = (watched.received().len(), extra.received().len());
    probed_again(&watched, watched_seen).await;
    probed_again(&extra, extra_seen).await;
    assert_eq!(server.monitor_ids().await, ["api-health", "web"]);
    assert!(
        server
            .metrics()
            .await
            .contains("\ntocsin_config_last_reload_successful 0\n")
    );

    // Fixed again, the next SIGHUP succeeds: `web` removed this time stops being probed.
    std::fs::write(&path, config(&watched, &sms, &team, None)).unwrap();
    signal(&server.child, "HUP").await;
    until_the_server_says_metrics(&server, "\ntocsin_config_last_reload_successful 1\n").await;
    assert_eq!(server.monitor_ids().await, ["api-health"]);
    server.child.start_kill().unwrap();
    server.child.wait().await.unwrap();
}

/// Polls `/metrics` until it contains `text`.
async fn until_the_server_says_metrics(server: &Server, text: &str) {
    let poll = async {
        while !server.metrics().await.contains(text) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(LIMIT, poll)
        .await
        .unwrap_or_else(|_| panic!("/metrics did not say {text:?} within {LIMIT:?}"));
}

/// In process, on the manual clock: a setting read only at start-up keeps its running value and
/// the answer names it; the rest of the file is in force.
#[tokio::test]
async fn settings_read_at_start_up_keep_their_running_value_and_the_answer_names_them() {
    let target = crate::support::Target::start(200).await;
    let sink = Sink::start().await;
    let text = crate::support::basic_config(&target, &sink, "30s", 2);
    let app = crate::support::TestApp::start(&text).await;
    let path = app.app.engine.config().path.clone();
    let edited = text
        .replace("listen = \"127.0.0.1:0\"", "listen = \"127.0.0.1:9999\"")
        .replace("respond_within = \"1h\"", "respond_within = \"2h\"");
    std::fs::write(&path, edited).unwrap();
    let (status, answer) = app.post("/-/reload", json!({})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["changes"]["ignored"], json!(["server.listen"]));
    assert_eq!(answer["changes"]["sections"], json!(["severity"]));
    assert_eq!(answer["changes"]["monitors"]["changed"], json!([]));
    let config = app.app.engine.config();
    assert_eq!(config.server.listen, "127.0.0.1:0", "kept until a restart");
    assert_eq!(
        config.severity("SEV-2").map(|s| s.respond_within),
        Some(Duration::from_secs(2 * 3600)),
        "the rest is in force"
    );
}
