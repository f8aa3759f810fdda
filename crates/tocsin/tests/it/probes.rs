//! Probe kinds beyond HTTP, end to end: a `tcp` monitor whose port closes opens an incident, and
//! a vendor's Statuspage reporting a minor outage shows the monitor as degraded without paging.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::support::{Sink, Target, TestApp, basic_config};

const SECOND: Duration = Duration::from_secs(1);

async fn monitor(app: &TestApp, id: &str) -> serde_json::Value {
    let (status, body) = app.get("/api/v1/monitors").await;
    assert_eq!(status, 200, "{body}");
    body["monitors"]
        .as_array()
        .and_then(|monitors| monitors.iter().find(|m| m["id"] == id).cloned())
        .unwrap_or_else(|| panic!("no monitor {id} in {body}"))
}

#[tokio::test]
async fn a_tcp_monitor_whose_port_closes_opens_an_incident() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let port = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = port.local_addr().expect("addr");
    let config = format!(
        r#"{}
[[monitor]]
id = "api-port"
name = "API port"
type = "tcp"
host = "{addr}"
interval = "1s"
timeout = "1s"
severity = "SEV-1"
category = "hosting"
component = "api"
"#,
        basic_config(&target, &sink, "1m", 1)
    );
    let app = TestApp::start(&config).await;
    app.advance(Duration::from_secs(3), SECOND).await;
    assert_eq!(monitor(&app, "api-port").await["status"], "up");
    assert!(
        app.incidents("all").await.is_empty(),
        "an open port opens nothing"
    );

    drop(port);
    let opened = app
        .advance_until(Duration::from_secs(5), || async {
            !app.incidents("open").await.is_empty()
        })
        .await;
    assert!(opened.is_some(), "the closed port opens an incident");
    let incident = app.incidents("open").await.remove(0);
    assert_eq!(incident["title"], "API port is down");
    assert_eq!(incident["severity"], "SEV-1");
    let state = monitor(&app, "api-port").await;
    assert_eq!(state["status"], "down");
    assert_eq!(state["last_error"], "connection refused");
    assert_eq!(sink.accepted().len(), 1, "one page for the outage");
}

#[tokio::test]
async fn a_vendor_reporting_a_minor_outage_is_degraded_and_pages_nobody() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let vendor = listener.local_addr().expect("addr");
    let status_json = Router::new().route(
        "/api/v2/status.json",
        get(|| async {
            axum::Json(serde_json::json!({
                "page": {"id": "moyasar", "name": "Moyasar"},
                "status": {"indicator": "minor", "description": "Minor Service Outage"}
            }))
        }),
    );
    tokio::spawn(async move { axum::serve(listener, status_json).await });
    let config = format!(
        r#"{}
[[monitor]]
id = "moyasar-status"
name = "Moyasar status page"
type = "statuspage"
url = "http://{vendor}/api/v2/status.json"
interval = "1s"
timeout = "1s"
severity = "SEV-2"
category = "payments"
"#,
        basic_config(&target, &sink, "1m", 1)
    );
    let app = TestApp::start(&config).await;
    app.advance(Duration::from_secs(3), SECOND).await;

    let state = monitor(&app, "moyasar-status").await;
    assert_eq!(state["status"], "degraded", "{state}");
    assert_eq!(
        state["last_error"],
        "the vendor reports Minor Service Outage (minor)"
    );
    assert!(
        app.incidents("all").await.is_empty(),
        "degraded opens nothing"
    );
    assert!(sink.accepted().is_empty(), "and pages nobody");
}
