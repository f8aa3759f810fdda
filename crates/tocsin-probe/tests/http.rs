//! The HTTP probe against real servers on 127.0.0.1: every verdict a check can reach.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse as _, Redirect};
use axum::routing::{any, get};
use tocsin_core::check::{HttpCheck, StatusRange};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// The engine's time the checks run at (it only matters for certificates, and these are plain
/// HTTP).
fn now() -> jiff::Timestamp {
    jiff::Timestamp::UNIX_EPOCH
}

fn check(url: String) -> HttpCheck {
    HttpCheck {
        url,
        method: "GET".to_owned(),
        headers: BTreeMap::new(),
        body: None,
        timeout: Duration::from_secs(5),
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

fn health_server() -> Router {
    Router::new()
        .route("/ok", get(|| async { "status: ok" }))
        .route(
            "/down",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "maintenance") }),
        )
        .route("/old", get(|| async { Redirect::temporary("/ok") }))
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route(
            "/big",
            // The word appears only after the first MiB: past what the probe reads.
            get(|| async { format!("{}needle", "x".repeat(tocsin_probe::http::BODY_LIMIT)) }),
        )
}

#[tokio::test]
async fn a_200_is_ok() {
    let addr = serve(health_server()).await;
    let outcome = tocsin_probe::http::check(
        &tocsin_probe::Probers::new(),
        &check(format!("http://{addr}/ok")),
        now(),
    )
    .await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.status, Some(200));
    assert_eq!(outcome.error, None);
}

#[tokio::test]
async fn a_503_fails_and_says_what_was_expected() {
    let addr = serve(health_server()).await;
    let outcome = tocsin_probe::http::check(
        &tocsin_probe::Probers::new(),
        &check(format!("http://{addr}/down")),
        now(),
    )
    .await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, Some(503));
    assert_eq!(
        outcome.error.as_deref(),
        Some("status 503, expected 200-299")
    );
}

#[tokio::test]
async fn an_expected_non_2xx_status_is_ok() {
    let addr = serve(health_server()).await;
    let mut check = check(format!("http://{addr}/down"));
    check.expect_status = vec![
        StatusRange::SUCCESS,
        StatusRange {
            low: 503,
            high: 503,
        },
    ];
    let outcome = tocsin_probe::http::check(&tocsin_probe::Probers::new(), &check, now()).await;
    assert!(outcome.ok, "{outcome:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // Bound but never accepted: the kernel completes the handshake and takes the request, and
    // no answer ever comes.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let mut check = check(format!("http://{addr}/"));
    check.timeout = Duration::from_millis(300);

    let outcome = tocsin_probe::http::check(&tocsin_probe::Probers::new(), &check, now()).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, None);
    assert_eq!(outcome.error.as_deref(), Some("timed out after 300ms"));
    assert!(outcome.latency_ms >= 300, "{outcome:?}");
    assert!(outcome.latency_ms < 5_000, "{outcome:?}");
    drop(listener);
}

#[tokio::test]
async fn body_contains_passes_when_the_text_is_there_and_fails_when_not() {
    let addr = serve(health_server()).await;
    let client = tocsin_probe::Probers::new();

    let mut present = check(format!("http://{addr}/ok"));
    present.body_contains = Some("ok".to_owned());
    let outcome = tocsin_probe::http::check(&client, &present, now()).await;
    assert!(outcome.ok, "{outcome:?}");

    let mut absent = check(format!("http://{addr}/ok"));
    absent.body_contains = Some("healthy".to_owned());
    let outcome = tocsin_probe::http::check(&client, &absent, now()).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, Some(200));
    assert_eq!(
        outcome.error.as_deref(),
        Some("body does not contain \"healthy\"")
    );
}

#[tokio::test]
async fn body_contains_reads_at_most_one_mib() {
    let addr = serve(health_server()).await;
    let mut check = check(format!("http://{addr}/big"));
    check.body_contains = Some("needle".to_owned());
    let outcome = tocsin_probe::http::check(&tocsin_probe::Probers::new(), &check, now()).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some("body does not contain \"needle\" (searched the first 1024 KiB)")
    );
}

#[tokio::test]
async fn a_closed_port_is_connection_refused() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("local addr").port()
    };
    let outcome = tocsin_probe::http::check(
        &tocsin_probe::Probers::new(),
        &check(format!("http://127.0.0.1:{port}/")),
        now(),
    )
    .await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, None);
    assert_eq!(outcome.error.as_deref(), Some("connection refused"));
}

#[tokio::test]
async fn the_method_and_headers_are_sent() {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Method, HeaderMap)>();
    let router = Router::new()
        .route(
            "/hook",
            any(
                |State(tx): State<mpsc::UnboundedSender<(Method, HeaderMap)>>,
                 method: Method,
                 headers: HeaderMap| async move {
                    let _ = tx.send((method, headers));
                    "ok"
                },
            ),
        )
        .with_state(tx);
    let addr = serve(router).await;

    let mut check = check(format!("http://{addr}/hook"));
    check.method = "POST".to_owned();
    check.headers.insert(
        "Authorization".to_owned(),
        tocsin_core::Secret::new("Bearer probe-token"),
    );
    check
        .headers
        .insert("X-Probe".to_owned(), tocsin_core::Secret::new("tocsin"));
    let outcome = tocsin_probe::http::check(&tocsin_probe::Probers::new(), &check, now()).await;
    assert!(outcome.ok, "{outcome:?}");

    let (method, headers) = rx.recv().await.expect("the server saw the request");
    assert_eq!(method, Method::POST);
    assert_eq!(headers["authorization"], "Bearer probe-token");
    assert_eq!(headers["x-probe"], "tocsin");
    assert_eq!(headers["user-agent"], tocsin_probe::USER_AGENT);
    // Every HTTP/1.1 request names its host, with the port when it is not the scheme's own.
    assert_eq!(headers["host"], format!("127.0.0.1:{}", addr.port()));
    // A check never reuses its connection, and says so: the server may hang up once it answered.
    assert_eq!(headers["connection"], "close");
}

#[tokio::test]
async fn a_redirect_to_a_200_is_ok_and_a_loop_is_not() {
    let addr = serve(health_server()).await;
    let client = tocsin_probe::Probers::new();

    let mut redirected = check(format!("http://{addr}/old"));
    redirected.body_contains = Some("ok".to_owned());
    let outcome = tocsin_probe::http::check(&client, &redirected, now()).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.status, Some(200));

    let outcome =
        tocsin_probe::http::check(&client, &check(format!("http://{addr}/loop")), now()).await;
    assert!(!outcome.ok);
    assert_eq!(
        outcome.error.as_deref(),
        Some("too many redirects (more than 5)")
    );
}

#[tokio::test]
async fn a_stalled_body_times_out_but_keeps_the_status() {
    // Headers and part of the body, then silence: the timeout covers the body read.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await;
        let _ = socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nstarting")
            .await;
        // Hold the connection open until the test is done with it.
        let _ = release_rx.await;
    });

    let mut check = check(format!("http://{addr}/"));
    check.timeout = Duration::from_millis(300);
    check.body_contains = Some("ready".to_owned());
    let outcome = tocsin_probe::http::check(&tocsin_probe::Probers::new(), &check, now()).await;
    let _ = release_tx.send(());
    assert!(!outcome.ok);
    assert_eq!(outcome.status, Some(200));
    assert_eq!(outcome.error.as_deref(), Some("timed out after 300ms"));
}

#[tokio::test]
async fn an_invalid_url_fails_without_touching_the_network() {
    let outcome = tocsin_probe::http::check(
        &tocsin_probe::Probers::new(),
        &check("localhost:8080".into()),
        now(),
    )
    .await;
    assert!(!outcome.ok);
    assert!(
        outcome
            .error
            .as_deref()
            .is_some_and(|error| error.starts_with("invalid URL")),
        "{outcome:?}"
    );
}

/// What the recording server keeps: where it reports each request, and where `/away` points.
type Recorder = (mpsc::UnboundedSender<(String, HeaderMap)>, Option<String>);

/// A server that records the headers of each request and redirects `/away` to `to`.
fn recording(to: Option<String>) -> (Router, mpsc::UnboundedReceiver<(String, HeaderMap)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let router = Router::new()
        .route(
            "/{*path}",
            any(
                |State((tx, to)): State<Recorder>,
                 uri: axum::http::Uri,
                 headers: HeaderMap| async move {
                    let path = uri.path().to_owned();
                    let _ = tx.send((path.clone(), headers));
                    match (&to, path.as_str()) {
                        (Some(to), "/away") => Redirect::temporary(to).into_response(),
                        (_, "/here") => Redirect::temporary("/ok").into_response(),
                        _ => "ok".into_response(),
                    }
                },
            ),
        )
        .with_state((tx, to));
    (router, rx)
}

fn with_credentials(url: String) -> HttpCheck {
    let mut check = check(url);
    check.headers.insert(
        "Authorization".to_owned(),
        tocsin_core::Secret::new("Bearer probe-token"),
    );
    check.headers.insert(
        "X-Api-Key".to_owned(),
        tocsin_core::Secret::new("probe-key"),
    );
    check
}

#[tokio::test]
async fn a_redirect_on_the_same_host_keeps_the_check_s_headers() {
    let (router, mut seen) = recording(None);
    let addr = serve(router).await;
    let outcome = tocsin_probe::http::check(
        &tocsin_probe::Probers::new(),
        &with_credentials(format!("http://{addr}/here")),
        now(),
    )
    .await;
    assert!(outcome.ok, "{outcome:?}");
    for expected in ["/here", "/ok"] {
        let (path, headers) = seen.recv().await.expect("a request");
        assert_eq!(path, expected);
        assert_eq!(headers["authorization"], "Bearer probe-token");
        assert_eq!(headers["x-api-key"], "probe-key");
    }
}

#[tokio::test]
async fn a_redirect_to_another_host_fails_unless_allowed_and_never_carries_the_headers() {
    // `localhost` and `127.0.0.1` are one machine but two hosts, as a URL counts them.
    let (elsewhere, mut seen_elsewhere) = recording(None);
    let elsewhere = serve(elsewhere).await;
    let (origin, mut seen_origin) =
        recording(Some(format!("http://localhost:{}/ok", elsewhere.port())));
    let origin = serve(origin).await;

    let mut check = with_credentials(format!("http://{origin}/away"));
    let outcome = tocsin_probe::http::check(&tocsin_probe::Probers::new(), &check, now()).await;
    assert!(!outcome.ok, "{outcome:?}");
    assert_eq!(
        outcome.error.as_deref(),
        Some(
            "redirected to another host (localhost); set `follow_other_hosts = true` on the \
             monitor to follow it"
        )
    );
    assert_eq!(seen_origin.recv().await.expect("a request").0, "/away");
    assert!(seen_elsewhere.try_recv().is_err(), "nothing went there");

    check.follow_other_hosts = true;
    let outcome = tocsin_probe::http::check(&tocsin_probe::Probers::new(), &check, now()).await;
    assert!(outcome.ok, "{outcome:?}");
    let (_, at_origin) = seen_origin.recv().await.expect("a request");
    assert_eq!(at_origin["authorization"], "Bearer probe-token");
    let (path, there) = seen_elsewhere.recv().await.expect("a request");
    assert_eq!(path, "/ok");
    assert!(there.get("authorization").is_none(), "{there:?}");
    assert!(there.get("x-api-key").is_none(), "{there:?}");
    assert_eq!(there["user-agent"], tocsin_probe::USER_AGENT);
}
