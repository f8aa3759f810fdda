//! The disk fills: signals tocsin cannot commit are refused (never a 202 that is not on disk),
//! and once there is room again every signal answered 202 is in the file a restart reads.

use std::sync::Arc;

use serde_json::{Value, json};
use sqlx::Connection;
use tocsin_engine::{Engine, ManualClock};
use tocsin_store::prelude::*;
use tocsin_store_sqlite::{SqliteOptions, SqliteStore};
use tokio::net::TcpListener;

use crate::support::{Sink, Target, ack_link, basic_config, epoch};

const ROUTING_KEY: &str = "FULL0DISK0ROUTING0KEY0000000000";

/// tocsin's router on a loopback port, over a store the test keeps a handle on (to fill its
/// disk). Returns the base URL.
async fn serve(engine: Arc<Engine>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let router = tocsin_web::router(engine);
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// A PagerDuty trigger; `details` bytes of custom details make it bigger than a page.
fn trigger(key: &str, details: usize) -> Value {
    json!({
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": key,
        "payload": {
            "summary": format!("{key} is down"),
            "source": "db-1",
            "severity": "critical",
            "component": key,
            "custom_details": { "log": "x".repeat(details) },
        },
    })
}

/// A PagerDuty change event (a deploy); `details` bytes make it bigger than a page.
fn deploy(summary: &str, details: usize) -> Value {
    json!({
        "routing_key": ROUTING_KEY,
        "payload": {
            "summary": summary,
            "source": "ci",
            "custom_details": { "log": "x".repeat(details) },
        },
    })
}

async fn send(http: &reqwest::Client, url: &str, event: &Value) -> (u16, Value) {
    let path = if event["event_action"].is_null() {
        "/v2/change/enqueue"
    } else {
        "/v2/enqueue"
    };
    let response = http
        .post(format!("{url}{path}"))
        .json(event)
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_signal_during_a_full_disk_is_refused_and_later_ones_are_on_disk() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("tocsin.toml");
    let text = basic_config(&target, &sink, "1h", 1)
        + &format!(
            r#"
[[integration]]
id = "events"
type = "pagerduty"
key = "{ROUTING_KEY}"
category = "backend"
severity_map = {{ critical = "SEV-1", error = "SEV-2", warning = "SEV-2", info = "SEV-2" }}
"#
        );
    std::fs::write(&config_path, &text).expect("write config");
    let config = tocsin_config::load_str(&text, &config_path, &|_| None)
        .unwrap_or_else(|errors| panic!("config: {errors}"));
    let db = dir.path().join("tocsin.db");
    let store = Arc::new(
        SqliteStore::open(db.to_str().expect("utf-8"), &SqliteOptions::default())
            .await
            .expect("open the store"),
    );
    let clock = Arc::new(ManualClock::new(epoch()));
    let engine = Arc::new(
        Engine::new(Arc::new(config), store.clone() as Arc<dyn Store>, clock)
            .await
            .expect("engine"),
    );
    let url = serve(engine.clone()).await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");

    let (status, body) = send(&http, &url, &trigger("before", 10)).await;
    assert_eq!(status, 202, "{body}");
    // The page goes out; its acknowledge link is used once.
    while engine.run_due().await.expect("run due work") > 0 {}
    let page = sink.accepted();
    let link = ack_link(&page[0].body)
        .expect("the page carries an acknowledge link")
        .replace("http://tocsin.test", &url);
    let acked = http.post(&link).send().await.expect("POST ack");
    assert_eq!(acked.status().as_u16(), 200);

    // The disk fills: each signal below needs new pages.
    let pages = store.page_count_for_tests().await.expect("page count");
    store
        .limit_pages_for_tests(Some(pages + 2))
        .await
        .expect("fill the disk");
    let while_full = [
        deploy("Deploy v42 while full", 64 * 1024),
        trigger("while-full-1", 64 * 1024),
    ];
    for event in &while_full {
        let key = &event["dedup_key"];
        let (status, body) = send(&http, &url, event).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (503, &json!("unavailable")),
            "{key}: a signal that is not on disk is refused, to be retried: {body}"
        );
        // Meanwhile someone clicks the link again: refused, its transaction abandoned.
        let again = http.post(&link).send().await.expect("POST ack");
        assert_eq!(again.status().as_u16(), 403);
    }
    // The sender retries the same event: a duplicate of one that was never committed must not
    // be taken for a repeat of something on disk.
    store.limit_pages_for_tests(None).await.expect("room again");
    for key in ["while-full-1", "after"] {
        let (status, body) = send(&http, &url, &trigger(key, 64 * 1024)).await;
        assert_eq!(status, 202, "{key}: {body}");
    }

    // What a restarted tocsin finds: a connection of its own on the file.
    let mut fresh = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("open the file afresh");
    let keys: Vec<String> = sqlx::query_scalar("SELECT dedup_key FROM signals ORDER BY seq")
        .fetch_all(&mut fresh)
        .await
        .expect("read the signals");
    assert_eq!(
        keys,
        ["events:before", "events:while-full-1", "events:after"],
        "every signal answered 202 is on disk, and only those"
    );
    fresh.close().await.expect("close");
}
