//! Deliveries against real servers on 127.0.0.1: what arrives, and how each answer is classified.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;
use tocsin_core::Secret;
use tocsin_core::notice::{Notice, NoticeEvent, NoticeLinks};
use tocsin_notify::{Delivery, Sender, Target};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// What the test server saw.
#[derive(Debug)]
struct Recorded {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

type Requests = mpsc::UnboundedReceiver<Recorded>;

/// A server that records every request and answers according to the path.
async fn serve() -> (SocketAddr, Requests) {
    let (tx, rx) = mpsc::unbounded_channel();
    let router = Router::new().fallback(answer).with_state(tx);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (addr, rx)
}

async fn answer(
    State(tx): State<mpsc::UnboundedSender<Recorded>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let _ = tx.send(Recorded {
        path: path.clone(),
        headers,
        body,
    });
    match path.as_str() {
        "/unavailable" => (StatusCode::SERVICE_UNAVAILABLE, "upstream down").into_response(),
        "/slow-down" => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "7")],
            "rate_limited",
        )
            .into_response(),
        "/bad" => (StatusCode::BAD_REQUEST, "invalid_payload").into_response(),
        "/moved" => (StatusCode::FOUND, [(header::LOCATION, "/ok")], "").into_response(),
        _ => "ok".into_response(),
    }
}

fn notice() -> Notice {
    Notice {
        event: NoticeEvent::Opened,
        incident_id: "inc_42".into(),
        title: "Checkout API down".into(),
        severity: "sev1".into(),
        category: Some("availability".into()),
        component: Some("checkout-api".into()),
        summary: Some("5xx rate above 50% for 5m".into()),
        opened_at: "2026-11-26T21:30:00Z".parse().expect("valid timestamp"),
        runbook: Some("checkout-outage".into()),
        actor: None,
        source: None,
    }
}

fn links() -> NoticeLinks {
    NoticeLinks {
        incident_url: "https://tocsin.example.com/incidents/inc_42".into(),
        ack_url: Some("https://tocsin.example.com/ack/inc_42?t=abc".into()),
    }
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn webhook(addr: SocketAddr, path: &str) -> Target {
    Target::Webhook {
        url: format!("http://{addr}{path}"),
        secret: Some(Secret::new(SECRET)),
    }
}

async fn send(target: &Target, to: Option<&str>) -> Result<(), tocsin_notify::SendError> {
    let notice = notice();
    let links = links();
    let delivery = Delivery {
        id: "dlv_01",
        notice: &notice,
        links: &links,
        now: "2026-11-26T21:31:00Z".parse().expect("valid timestamp"),
        to,
        reply_code: None,
    };
    Sender::new(tocsin_notify::http_client())
        .send(target, &delivery)
        .await
}

#[tokio::test]
async fn slack_receives_the_title_and_the_ack_link() {
    let (addr, mut requests) = serve().await;
    let target = Target::Slack {
        webhook_url: Secret::new(format!("http://{addr}/services/T0/B0/x")),
    };
    assert_eq!(send(&target, None).await, Ok(()));

    let request = requests.recv().await.expect("a request");
    assert_eq!(request.path, "/services/T0/B0/x");
    assert_eq!(request.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(
        request.headers[header::USER_AGENT],
        tocsin_notify::USER_AGENT
    );
    let payload: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON");
    let text = payload["text"].as_str().expect("text");
    assert!(text.contains("Checkout API down"), "{text}");
    assert!(text.contains("sev1"), "{text}");
    assert!(
        text.contains("https://tocsin.example.com/ack/inc_42?t=abc"),
        "{text}"
    );
    let raw = String::from_utf8_lossy(&request.body);
    assert!(raw.contains(r#""url":"https://tocsin.example.com/ack/inc_42?t=abc""#));
}

#[tokio::test]
async fn a_webhook_arrives_signed_per_standard_webhooks() {
    let (addr, mut requests) = serve().await;
    assert_eq!(
        send(&webhook(addr, "/hook"), Some("+15551234567")).await,
        Ok(())
    );

    let request = requests.recv().await.expect("a request");
    let id = request.headers["webhook-id"].to_str().expect("ascii");
    let timestamp = request.headers["webhook-timestamp"]
        .to_str()
        .expect("ascii");
    assert_eq!(id, "dlv_01");
    let now: jiff::Timestamp = "2026-11-26T21:31:00Z".parse().expect("valid timestamp");
    assert_eq!(timestamp, now.as_second().to_string());

    // Verify the way a receiver would, independently of the crate's `sign`.
    let key = STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(request.headers["webhook-signature"], expected.as_str());

    let payload: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON");
    assert_eq!(payload["type"], "incident.opened");
    assert_eq!(payload["incident"]["id"], "inc_42");
    assert_eq!(payload["incident"]["title"], "Checkout API down");
    assert_eq!(
        payload["links"]["acknowledge"],
        "https://tocsin.example.com/ack/inc_42?t=abc"
    );
    assert_eq!(payload["to"], "+15551234567");
    assert!(
        payload["text"]
            .as_str()
            .expect("text")
            .contains("Checkout API down")
    );
}

#[tokio::test]
async fn an_unsigned_webhook_still_carries_id_and_timestamp() {
    let (addr, mut requests) = serve().await;
    let target = Target::Webhook {
        url: format!("http://{addr}/hook"),
        secret: None,
    };
    assert_eq!(send(&target, None).await, Ok(()));
    let request = requests.recv().await.expect("a request");
    assert_eq!(request.headers["webhook-id"], "dlv_01");
    assert!(request.headers.contains_key("webhook-timestamp"));
    assert!(!request.headers.contains_key("webhook-signature"));
}

#[tokio::test]
async fn a_503_is_retryable() {
    let (addr, _requests) = serve().await;
    let err = send(&webhook(addr, "/unavailable"), None)
        .await
        .expect_err("a failure");
    assert!(err.retryable);
    assert_eq!(err.status, Some(503));
    assert_eq!(err.retry_after, None);
    assert_eq!(err.detail, "HTTP 503 Service Unavailable: upstream down");
}

#[tokio::test]
async fn a_429_says_when_to_retry() {
    let (addr, _requests) = serve().await;
    let err = send(&webhook(addr, "/slow-down"), None)
        .await
        .expect_err("a failure");
    assert!(err.retryable);
    assert_eq!(err.status, Some(429));
    assert_eq!(err.retry_after, Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn a_400_is_permanent_and_quotes_the_answer() {
    let (addr, _requests) = serve().await;
    let target = Target::Slack {
        webhook_url: Secret::new(format!("http://{addr}/bad")),
    };
    let err = send(&target, None).await.expect_err("a failure");
    assert!(!err.retryable);
    assert_eq!(err.status, Some(400));
    assert!(err.detail.contains("invalid_payload"), "{}", err.detail);
    assert_eq!(err.to_string(), err.detail);
}

#[tokio::test]
async fn a_302_is_permanent_and_not_followed() {
    let (addr, mut requests) = serve().await;
    let err = send(&webhook(addr, "/moved"), None)
        .await
        .expect_err("a failure");
    assert!(!err.retryable);
    assert_eq!(err.status, Some(302));
    assert_eq!(requests.recv().await.expect("a request").path, "/moved");
    // Had the redirect been followed, `/ok` would have been recorded before the answer came back.
    assert!(requests.try_recv().is_err());
}

#[tokio::test]
async fn a_refused_connection_is_retryable_and_never_shows_the_slack_url() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("local addr").port()
    };
    let target = Target::Slack {
        webhook_url: Secret::new(format!("http://127.0.0.1:{port}/services/T0/B0/sekrit")),
    };
    let err = send(&target, None).await.expect_err("a failure");
    assert!(err.retryable);
    assert_eq!(err.status, None);
    assert_eq!(err.detail, "connection refused");
    assert!(!format!("{err:?}").contains("sekrit"));
}

#[tokio::test]
async fn an_invalid_url_is_permanent_and_not_echoed() {
    let target = Target::Slack {
        webhook_url: Secret::new("hooks.slack.com/services/sekrit"),
    };
    let err = send(&target, None).await.expect_err("a failure");
    assert!(!err.retryable);
    assert!(err.detail.starts_with("invalid URL"), "{}", err.detail);
    assert!(!err.detail.contains("sekrit"));
}
