//! The pager stays up under abuse: sign-in limits that lock nobody out, the cap on password
//! checks, connections that never send their headers, and junk to a hook that cannot use a real
//! sender's rate-limit budget.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER, SET_COOKIE};
use tocsin_store::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Sink, Target, TestApp, basic_config};
use crate::ui::{PASSWORD, add_user, form_encode};

async fn start_with(server_keys: &str) -> TestApp {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let config = basic_config(&target, &sink, "1h", 1)
        .replace("[server]\n", &format!("[server]\n{server_keys}\n"));
    TestApp::start(&config).await
}

struct Attempt {
    status: StatusCode,
    retry_after: Option<u64>,
    signed_in: bool,
    body: String,
}

/// One sign-in from the local address `from` (any of 127.0.0.0/8 reaches the server), with an
/// optional `X-Forwarded-For`.
async fn sign_in(
    app: &TestApp,
    from: &str,
    forwarded_for: Option<&str>,
    email: &str,
    password: &str,
) -> Attempt {
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(from.parse::<IpAddr>().expect("an address"))
        .build()
        .expect("client");
    let mut request = http
        .post(app.url("/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_encode(&[
            ("email", email),
            ("password", password),
            ("next", ""),
        ]));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    let response = request.send().await.expect("sign-in request");
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value: &reqwest::header::HeaderValue| value.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header(RETRY_AFTER).and_then(|value| value.parse().ok());
    let signed_in = header(SET_COOKIE).is_some_and(|cookie| {
        cookie.starts_with("tocsin_session=") && !cookie.starts_with("tocsin_session=;")
    });
    Attempt {
        status: response.status(),
        retry_after,
        signed_in,
        body: response.text().await.expect("body"),
    }
}

#[tokio::test]
async fn five_wrong_passwords_from_one_address_do_not_stop_the_owner_signing_in_from_another() {
    let app = start_with("").await;
    add_user(&app, "dana@example.com", Role::Responder).await;
    for _ in 0..5 {
        let wrong = sign_in(&app, "127.0.0.2", None, "dana@example.com", "a guess at it").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    // That address now waits, even with the right password, and is told how long.
    let held = sign_in(&app, "127.0.0.2", None, "dana@example.com", PASSWORD).await;
    assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!held.signed_in);
    let wait = held.retry_after.expect("Retry-After on a 429");
    assert!(
        held.body.contains("Too many sign-in attempts"),
        "{}",
        held.body
    );
    // The owner, from another address, signs in at once.
    let owner = sign_in(&app, "127.0.0.1", None, "dana@example.com", PASSWORD).await;
    assert_eq!(owner.status, StatusCode::SEE_OTHER);
    assert!(owner.signed_in);
    // And the held-up address is not locked for good: once the wait is over it gets in.
    app.clock.advance(Duration::from_secs(wait));
    let later = sign_in(&app, "127.0.0.2", None, "dana@example.com", PASSWORD).await;
    assert!(later.signed_in, "{}", later.status);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_one_limited() {
    let app = start_with("trusted_proxies = [\"127.0.0.1\"]").await;
    add_user(&app, "dana@example.com", Role::Responder).await;
    for _ in 0..5 {
        let wrong = sign_in(
            &app,
            "127.0.0.1",
            Some("203.0.113.7"),
            "dana@example.com",
            "a guess at it",
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let attacker = sign_in(
        &app,
        "127.0.0.1",
        Some("203.0.113.7"),
        "dana@example.com",
        PASSWORD,
    )
    .await;
    assert_eq!(attacker.status, StatusCode::TOO_MANY_REQUESTS);
    // The owner comes through the same proxy from elsewhere.
    let owner = sign_in(
        &app,
        "127.0.0.1",
        Some("198.51.100.2"),
        "dana@example.com",
        PASSWORD,
    )
    .await;
    assert!(owner.signed_in, "{}", owner.status);
    // A client that is not the proxy cannot pick its address with the header: its own counts.
    for _ in 0..5 {
        sign_in(
            &app,
            "127.0.0.3",
            Some("198.51.100.9"),
            "dana@example.com",
            "a guess at it",
        )
        .await;
    }
    let forger = sign_in(
        &app,
        "127.0.0.3",
        Some("198.51.100.10"),
        "dana@example.com",
        PASSWORD,
    )
    .await;
    assert_eq!(forger.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn when_every_password_check_and_place_in_line_is_taken_sign_in_is_told_to_come_back() {
    let app = start_with("sign_in_checks = 1").await;
    add_user(&app, "dana@example.com", Role::Responder).await;
    let gate = app.app.engine.sign_in_gate();
    let mut held = Vec::new();
    while let Ok(place) = gate.join() {
        held.push(place);
    }
    assert_eq!(held.len(), 2, "one check running and one waiting");
    let busy = sign_in(&app, "127.0.0.1", None, "dana@example.com", PASSWORD).await;
    assert_eq!(busy.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(busy.retry_after.is_some_and(|seconds| seconds >= 1));
    assert!(!busy.signed_in);
    drop(held);
    let after = sign_in(&app, "127.0.0.1", None, "dana@example.com", PASSWORD).await;
    assert!(after.signed_in, "{}", after.status);
}

/// Reads until the server closes the connection; what it sent before, if anything.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 1024];
    // A guard against hanging the suite, not a measurement: the header timeout is 1 s.
    let closed = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server never closed the connection");
    received
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed_and_others_are_served() {
    let app = start_with("header_timeout = \"1s\"").await;
    let mut silent = tokio::net::TcpStream::connect(app.app.addr)
        .await
        .expect("connect");
    let mut slow = tokio::net::TcpStream::connect(app.app.addr)
        .await
        .expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: tocsin.test\r\nX-Slow: ")
        .await
        .expect("write part of the headers");
    // Meanwhile a real request is answered. Each on its own connection: the server also closes
    // a kept-alive connection idle for the header timeout, and a pooled one reused just then
    // would fail for that reason, not this test's.
    let fresh = || async {
        reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .build()
            .expect("client")
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("GET /healthz")
            .status()
    };
    assert_eq!(fresh().await, StatusCode::OK);
    for stream in [&mut silent, &mut slow] {
        let answered = read_until_closed(stream).await;
        assert!(
            !String::from_utf8_lossy(&answered).contains("200 OK"),
            "an unfinished request was answered"
        );
    }
    // After them, too.
    assert_eq!(fresh().await, StatusCode::OK);
}

const SENTRY_SECRET: &str = "sentry-secret-0123456789";

#[tokio::test]
async fn junk_to_a_hook_is_401_and_uses_none_of_the_integrations_rate_limit() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let config = basic_config(&target, &sink, "1h", 1)
        + &format!(
            r#"
[[integration]]
id = "sentry"
type = "sentry"
secret = "{SENTRY_SECRET}"
severity = "SEV-2"
category = "backend"

[engine]
integration_rate_limit = 1
"#
        );
    let app = TestApp::start(&config).await;
    let alert = |n: u32| {
        serde_json::json!({
            "action": "triggered",
            "installation": { "uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9" },
            "data": { "event": { "issue_id": format!("11175401{n}"), "event_id": format!("e4874d664c3540c1a32eab185f12c5a{n}"), "title": "ZeroDivisionError", "level": "error", "web_url": "https://sentry.io/x/1/" }, "triggered_rule": "Send to tocsin" },
            "actor": { "type": "application", "id": "sentry", "name": "Sentry" },
        })
        .to_string()
    };
    let post = |body: String, signature: String| {
        app.http
            .post(app.url("/hooks/sentry"))
            .header("sentry-hook-resource", "event_alert")
            .header("sentry-hook-signature", signature)
            .header("sentry-hook-timestamp", app.now().as_second().to_string())
            .body(body)
            .send()
    };
    // The limit is one a second with bursts of two; ten forged requests come first.
    for n in 0..10 {
        let junk = post(
            alert(n),
            crate::inbound::hex_hmac(b"not the secret", alert(n).as_bytes()),
        )
        .await
        .expect("junk");
        assert_eq!(junk.status(), StatusCode::UNAUTHORIZED);
    }
    for n in 0..2 {
        let real = post(
            alert(n),
            crate::inbound::hex_hmac(SENTRY_SECRET.as_bytes(), alert(n).as_bytes()),
        )
        .await
        .expect("signal");
        assert_eq!(
            real.status(),
            StatusCode::ACCEPTED,
            "a real alert after the junk is accepted"
        );
    }
    assert!(
        !app.incidents("open").await.is_empty(),
        "the real alerts are in"
    );
}
