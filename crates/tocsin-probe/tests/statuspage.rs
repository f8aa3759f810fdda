//! The Statuspage probe against a status.json served locally, one per indicator.

mod support;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use tocsin_core::check::{Check, StatuspageCheck};
use tocsin_probe::Probers;

fn status_json(indicator: &'static str, description: &'static str) -> String {
    serde_json::json!({
        "page": {"id": "kctbh9vrtdwd", "name": "Moyasar", "url": "https://status.moyasar.com",
                 "time_zone": "Asia/Riyadh", "updated_at": "2026-11-26T10:00:00.000Z"},
        "status": {"indicator": indicator, "description": description}
    })
    .to_string()
}

async fn vendor() -> std::net::SocketAddr {
    let route = |indicator: &'static str, description: &'static str| {
        get(move || async move { status_json(indicator, description) })
    };
    support::serve(
        Router::new()
            .route(
                "/none/api/v2/status.json",
                route("none", "All Systems Operational"),
            )
            .route(
                "/minor/api/v2/status.json",
                route("minor", "Minor Service Outage"),
            )
            .route(
                "/major/api/v2/status.json",
                route("major", "Partial System Outage"),
            )
            .route(
                "/critical/api/v2/status.json",
                route("critical", "Major Service Outage"),
            )
            .route(
                "/html/api/v2/status.json",
                get(|| async { "<html>maintenance</html>" }),
            )
            .route(
                "/broken/api/v2/status.json",
                get(|| async { (StatusCode::BAD_GATEWAY, "bad gateway") }),
            ),
    )
    .await
}

async fn check(addr: std::net::SocketAddr, page: &str) -> tocsin_core::check::CheckOutcome {
    let check = Check::Statuspage(StatuspageCheck {
        url: format!("http://{addr}/{page}/api/v2/status.json"),
        timeout: support::TIMEOUT,
    });
    tocsin_probe::run(&Probers::new(), &check, support::now()).await
}

#[tokio::test]
async fn none_is_up() {
    let addr = vendor().await;
    let outcome = check(addr, "none").await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!((outcome.error, outcome.degraded), (None, None));
}

#[tokio::test]
async fn minor_is_degraded_with_the_vendors_words() {
    let addr = vendor().await;
    let outcome = check(addr, "minor").await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(
        outcome.degraded.as_deref(),
        Some("the vendor reports Minor Service Outage (minor)")
    );
}

#[tokio::test]
async fn major_and_critical_are_down_with_the_vendors_words() {
    let addr = vendor().await;
    let outcome = check(addr, "major").await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some("the vendor reports Partial System Outage (major)")
    );
    let outcome = check(addr, "critical").await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some("the vendor reports Major Service Outage (critical)")
    );
}

#[tokio::test]
async fn a_page_that_is_not_status_json_or_not_ok_is_down_and_says_so() {
    let addr = vendor().await;
    let outcome = check(addr, "html").await;
    assert!(!outcome.ok);
    assert!(
        outcome
            .error
            .as_deref()
            .is_some_and(|error| error.starts_with("the status page did not answer JSON")),
        "{outcome:?}"
    );
    let outcome = check(addr, "broken").await;
    assert_eq!(outcome.status, Some(502));
    assert_eq!(
        outcome.error.as_deref(),
        Some("the status page answered 502, expected 200-299")
    );
}
