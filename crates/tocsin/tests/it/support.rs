//! The test harness: `TestApp` (real router, fresh SQLite, manual clock), a controllable target
//! app, and a sink that records every request it receives.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use jiff::Timestamp;
use serde_json::Value;
use tocsin::app::{App, AppOptions};
use tocsin_engine::ManualClock;
use tokio::net::TcpListener;

pub const TOKEN: &str = "test-admin-token";

/// The `[server]`, `[org]` (Arabic first, then English) and `[smtp]` tables that the tests of
/// customer-facing text share: links under `http://tocsin.test`, mail to `smtp`.
pub fn mail_header(smtp: &tocsin_testkit::SmtpSink) -> String {
    format!(
        r#"[server]
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "{TOKEN}"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"
locales = ["ar", "en"]

[smtp]
host = "{host}"
port = {port}
from = "Dealix <status@dealix.example>"
tls = "none"
"#,
        host = smtp.host(),
        port = smtp.port(),
    )
}

pub use tocsin_testkit::example_env;

/// A web app whose `/healthz` answers whatever status the test sets.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    status: Arc<AtomicU16>,
}

impl Target {
    pub async fn start(status: u16) -> Target {
        let status = Arc::new(AtomicU16::new(status));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind target");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = Router::new()
            .route(
                "/healthz",
                get(|State(status): State<Arc<AtomicU16>>| async move {
                    StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap_or(StatusCode::OK)
                }),
            )
            .with_state(status.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Target { url, status }
    }

    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }
}

/// A local stand-in for Slack or a webhook receiver: records every request, answers the status
/// the test sets (testkit's, shared with the other crates' tests).
pub use tocsin_testkit::HttpSink as Sink;

/// The configuration most tests use: one HTTP monitor on the target, Slack to the sink.
pub fn basic_config(target: &Target, sink: &Sink, interval: &str, confirm: u32) -> String {
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

[[severity]]
id = "SEV-2"
definition = "Major feature broken"
respond_within = "1h"
notify = ["slack-alerts"]
status_page = "partial_outage"

[[channel]]
id = "slack-alerts"
type = "slack"
webhook_url = "{sink}/slack"

[[monitor]]
id = "api-health"
name = "API /healthz"
type = "http"
url = "{target}/healthz"
interval = "{interval}"
timeout = "1s"
confirm = {confirm}
severity = "SEV-1"
category = "backend"
component = "api"

[status_page]
title = "Dealix status"
locale = "ar"
components = [{{ id = "api", name = "API" }}]
"#,
        sink = sink.url,
        target = target.url,
    )
}

/// A running tocsin whose clock moves only when the test says so.
#[derive(Debug)]
pub struct TestApp {
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    /// With `TOCSIN_TEST_DATABASE=postgres`: the app's own PostgreSQL database, dropped after it.
    _database: Option<tocsin_testkit::PgScratch>,
}

/// Whether this run keeps its apps on PostgreSQL (`TOCSIN_TEST_DATABASE=postgres`) rather than
/// SQLite: the whole suite runs on either backend.
pub fn on_postgres() -> bool {
    std::env::var("TOCSIN_TEST_DATABASE").is_ok_and(|backend| backend == "postgres")
}

/// 2026-11-26 00:00:00 UTC: the tests' epoch.
pub fn epoch() -> Timestamp {
    "2026-11-26T00:00:00Z".parse().expect("valid timestamp")
}

impl TestApp {
    pub async fn start(config_text: &str) -> TestApp {
        TestApp::start_at(config_text, epoch()).await
    }

    /// Starts with the clock at `start` (the monitors' first checks are scheduled from it).
    pub async fn start_at(config_text: &str, start: Timestamp) -> TestApp {
        TestApp::start_on(config_text, start, false).await
    }

    /// Starts on a SQLite database file in [`TestApp::dir`] (`tocsin.db`), whatever the suite's
    /// backend, for a test that must reach rows directly or is about SQLite's file itself.
    pub async fn start_on_file(config_text: &str) -> TestApp {
        TestApp::start_on(config_text, epoch(), true).await
    }

    async fn start_on(config_text: &str, start: Timestamp, on_file: bool) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tocsin.toml");
        std::fs::write(&path, config_text).expect("write config");
        let config = tocsin_config::load_str(config_text, &path, &|_| None)
            .unwrap_or_else(|errors| panic!("config: {errors}"));
        let clock = Arc::new(ManualClock::new(start));
        let database = match (on_file, on_postgres()) {
            (false, true) => Some(tocsin_testkit::PgScratch::create().await),
            _ => None,
        };
        let options = AppOptions {
            config: Arc::new(config),
            database: match &database {
                Some(database) => Some(database.url().to_owned()),
                None => {
                    on_file.then(|| format!("sqlite://{}", dir.path().join("tocsin.db").display()))
                }
            },
            clock: clock.clone(),
            run_workers: false,
            extra_routes: None,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind app");
        let app = App::start(options, listener).await.expect("start tocsin");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        TestApp {
            app,
            clock,
            http,
            _dir: dir,
            _database: database,
        }
    }

    /// The folder holding this app's configuration and database.
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// What a `tocsin` command working on this app's database must add to its configuration:
    /// the PostgreSQL database's URL when the app runs on one (its configuration names SQLite).
    pub fn database_args(&self) -> Vec<String> {
        match &self._database {
            Some(database) => vec!["--database".to_owned(), database.url().to_owned()],
            None => Vec::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.url())
    }

    pub fn now(&self) -> Timestamp {
        self.app.engine.now()
    }

    /// Runs all due work until none is left, at the current simulated time.
    pub async fn settle(&self) {
        for _ in 0..100 {
            if self.app.engine.run_due().await.expect("run due work") == 0 {
                return;
            }
        }
        panic!("work kept coming due at one instant");
    }

    /// Moves the clock forward in `step`s, settling after each, for `total`.
    pub async fn advance(&self, total: Duration, step: Duration) {
        let mut moved = Duration::ZERO;
        while moved < total {
            let by = step.min(total - moved);
            self.clock.advance(by);
            moved += by;
            self.settle().await;
        }
    }

    /// Steps one second at a time until `until` holds or `limit` passes; returns the simulated time taken.
    pub async fn advance_until<F, Fut>(&self, limit: Duration, mut until: F) -> Option<Duration>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let start = self.now();
        self.settle().await;
        loop {
            if until().await {
                return Some(
                    Duration::try_from(self.now().duration_since(start)).unwrap_or_default(),
                );
            }
            if self.now().duration_since(start)
                >= jiff::SignedDuration::try_from(limit).unwrap_or_default()
            {
                return None;
            }
            self.clock.advance(Duration::from_secs(1));
            self.settle().await;
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn incidents(&self, state: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/api/v1/incidents?state={state}")).await;
        assert_eq!(status, 200, "{body}");
        body["incidents"].as_array().cloned().unwrap_or_default()
    }

    pub async fn timeline_kinds(&self, id: &str) -> Vec<String> {
        let (status, body) = self.get(&format!("/api/v1/incidents/{id}/timeline")).await;
        assert_eq!(status, 200, "{body}");
        body["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or("").to_owned())
            .collect()
    }
}

/// The acknowledge link inside a Slack message.
pub fn ack_link(message: &Value) -> Option<String> {
    fn find(value: &Value) -> Option<String> {
        match value {
            Value::String(text) if text.starts_with("http") && text.contains("/ack/") => {
                Some(text.clone())
            }
            Value::Array(items) => items.iter().find_map(find),
            Value::Object(map) => map.values().find_map(find),
            _ => None,
        }
    }
    find(message)
}
