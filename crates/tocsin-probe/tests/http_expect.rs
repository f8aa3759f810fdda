//! The HTTP probe's finer expectations against real local servers: body regex, JSON path,
//! `max_latency` (degraded), the redirect limit, a request body, and `tls_verify`.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};
use tocsin_core::check::{Check, CheckOutcome, HttpCheck, JsonExpect, StatusRange};
use tocsin_probe::Probers;

fn check(url: String) -> HttpCheck {
    HttpCheck {
        url,
        method: "GET".to_owned(),
        headers: BTreeMap::new(),
        body: None,
        timeout: support::TIMEOUT,
        expect_status: vec![StatusRange::SUCCESS],
        body_contains: None,
        body_regex: None,
        json: None,
        max_latency: None,
        max_redirects: tocsin_probe::MAX_REDIRECTS,
        tls_verify: true,
        follow_other_hosts: false,
    }
}

async fn run(check: HttpCheck) -> CheckOutcome {
    tocsin_probe::run(&Probers::new(), &Check::Http(check), support::now()).await
}

async fn app() -> std::net::SocketAddr {
    support::serve(
        Router::new()
            .route("/version", get(|| async { "build 4.12.7 (ok)" }))
            .route(
                "/health.json",
                get(|| async {
                    axum::Json(serde_json::json!({
                        "status": "ok",
                        "data": {"items": [{"state": "up"}, {"state": "draining"}]},
                        "replicas": 3
                    }))
                }),
            )
            .route(
                "/slow",
                // The service being slow, not test synchronisation.
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    "ok"
                }),
            )
            .route("/r/3", get(|| async { Redirect::temporary("/r/2") }))
            .route("/r/2", get(|| async { Redirect::temporary("/r/1") }))
            .route("/r/1", get(|| async { Redirect::temporary("/version") }))
            .route("/echo", post(|body: String| async move { body })),
    )
    .await
}

#[tokio::test]
async fn body_regex_passes_on_a_match_and_fails_naming_the_pattern() {
    let addr = app().await;
    let mut matching = check(format!("http://{addr}/version"));
    matching.body_regex = Some(r"build \d+\.\d+\.\d+".to_owned());
    assert!(run(matching).await.ok);

    let mut missing = check(format!("http://{addr}/version"));
    missing.body_regex = Some(r"build 5\.".to_owned());
    let outcome = run(missing).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some(r#"body does not match "build 5\\.""#)
    );
}

#[tokio::test]
async fn json_path_equals_checks_the_value_there() {
    let addr = app().await;
    let expect = |path: &str, equals: &str| {
        let mut check = check(format!("http://{addr}/health.json"));
        check.json = Some(JsonExpect {
            path: path.to_owned(),
            equals: equals.to_owned(),
        });
        check
    };
    assert!(run(expect("$.status", "ok")).await.ok);
    assert!(run(expect("data.items.0.state", "up")).await.ok);
    assert!(run(expect("$.replicas", "3")).await.ok);

    let outcome = run(expect("data.items.1.state", "up")).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some(r#"JSON data.items.1.state is "draining", expected "up""#)
    );
    let outcome = run(expect("$.version", "1")).await;
    assert_eq!(
        outcome.error.as_deref(),
        Some("JSON has nothing at $.version")
    );

    let mut not_json = check(format!("http://{addr}/version"));
    not_json.json = Some(JsonExpect {
        path: "$.status".into(),
        equals: "ok".into(),
    });
    let outcome = run(not_json).await;
    assert!(
        outcome
            .error
            .as_deref()
            .is_some_and(|error| error.starts_with("body is not JSON")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn an_answer_slower_than_max_latency_is_degraded_not_down() {
    let addr = app().await;
    let mut slow = check(format!("http://{addr}/slow"));
    slow.max_latency = Some(Duration::from_millis(50));
    let outcome = run(slow).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.error, None);
    let degraded = outcome.degraded.unwrap_or_default();
    assert!(
        degraded.starts_with("answered in ")
            && degraded.ends_with(", slower than max_latency 50ms"),
        "{degraded}"
    );

    let mut fast_enough = check(format!("http://{addr}/slow"));
    fast_enough.max_latency = Some(Duration::from_secs(4));
    let outcome = run(fast_enough).await;
    assert!(outcome.ok);
    assert_eq!(outcome.degraded, None);
}

#[tokio::test]
async fn max_redirects_bounds_the_chain_and_zero_judges_the_redirect_itself() {
    let addr = app().await;
    let with_limit = |limit: usize| {
        let mut check = check(format!("http://{addr}/r/3"));
        check.max_redirects = limit;
        check
    };
    let outcome = run(with_limit(3)).await;
    assert!(outcome.ok, "{outcome:?}");

    let outcome = run(with_limit(2)).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some("too many redirects (more than 2)")
    );

    let outcome = run(with_limit(0)).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, Some(307));
    assert_eq!(
        outcome.error.as_deref(),
        Some("status 307, expected 200-299")
    );
}

#[tokio::test]
async fn the_request_body_is_sent() {
    let addr = app().await;
    let mut echo = check(format!("http://{addr}/echo"));
    echo.method = "POST".into();
    echo.body = Some(r#"{"ping": "tocsin"}"#.into());
    echo.body_contains = Some(r#""ping": "tocsin""#.into());
    let outcome = run(echo).await;
    assert!(outcome.ok, "{outcome:?}");
}

#[tokio::test]
async fn tls_verify_off_accepts_a_certificate_nobody_trusts() {
    let pki = support::Pki::new();
    let addr = pki.serve().await;
    let url = format!("https://localhost:{}/", addr.port());

    let outcome = run(check(url.clone())).await;
    assert!(
        !outcome.ok,
        "an untrusted certificate must fail: {outcome:?}"
    );

    let mut unverified = check(url);
    unverified.tls_verify = false;
    let outcome = run(unverified).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.status, Some(200));
}

#[tokio::test]
async fn https_trusts_the_probers_authorities_and_says_why_another_certificate_fails() {
    let pki = support::Pki::new();
    let addr = pki.serve().await;
    let url = format!("https://localhost:{}/", addr.port());

    let trusting = Probers::with_roots(pki.roots());
    let outcome =
        tocsin_probe::run(&trusting, &Check::Http(check(url.clone())), support::now()).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.status, Some(200));

    // Signed by an authority these probers do not trust: the error names the verdict.
    let stranger = Probers::with_roots(support::Pki::another_authority().roots());
    let outcome = tocsin_probe::run(&stranger, &Check::Http(check(url)), support::now()).await;
    assert!(!outcome.ok, "{outcome:?}");
    assert_eq!(outcome.status, None);
    let error = outcome.error.unwrap_or_default();
    assert!(
        error.starts_with("connection failed: invalid peer certificate"),
        "{error}"
    );
}
