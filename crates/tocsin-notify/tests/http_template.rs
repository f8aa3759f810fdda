//! SMS/voice through a provider's HTTP API, end to end against testkit's recording HTTP server:
//! the rendered body, the headers, the signature, and how answers are classified.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;
use tocsin_core::Secret;
use tocsin_core::notice::{Notice, NoticeEvent, NoticeLinks};
use tocsin_notify::{Delivery, SendError, Sender, Target, http_client};
use tocsin_testkit::HttpSink;

const LIMIT: Duration = Duration::from_secs(10);
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ACK: &str = "https://tocsin.example.com/ack/tok_abc";

fn notice() -> Notice {
    Notice {
        event: NoticeEvent::Opened,
        incident_id: "inc_42".into(),
        // Quotes and a backslash that a naive template would turn into broken JSON.
        title: "الدفع \"checkout\" متوقف \\ 503".into(),
        severity: "SEV-1".into(),
        category: None,
        component: None,
        summary: None,
        opened_at: "2026-11-26T21:30:00Z".parse().expect("valid timestamp"),
        runbook: None,
        actor: None,
        source: None,
    }
}

fn template(url: String, body: &str, secret: Option<&str>) -> Target {
    Target::HttpTemplate {
        method: "POST".into(),
        url,
        headers: vec![
            ("Authorization".into(), Secret::new("Bearer sk_live_sekrit")),
            ("X-Account".into(), Secret::new("acct_7")),
        ],
        body: body.into(),
        secret: secret.map(Secret::new),
    }
}

async fn send(target: &Target) -> Result<(), SendError> {
    let notice = notice();
    let links = NoticeLinks {
        incident_url: "https://tocsin.example.com/incidents/inc_42".into(),
        ack_url: Some(ACK.into()),
    };
    Sender::new(http_client())
        .send(
            target,
            &Delivery {
                id: "dlv_01",
                notice: &notice,
                links: &links,
                now: "2026-11-26T21:31:00Z".parse().expect("valid timestamp"),
                to: Some("+966500000001"),
                reply_code: None,
            },
        )
        .await
}

#[tokio::test]
async fn a_json_body_arrives_escaped_with_headers_and_a_signature() {
    let sink = HttpSink::start().await;
    let target = template(
        format!("{}/v1/sms", sink.url),
        r#"{"to": {{ to|json }}, "message": {{ text|json }}, "reference": {{ incident|json }}}"#,
        Some(SECRET),
    );
    send(&target).await.expect("sent");
    sink.wait_until(LIMIT, |received| received.len() == 1).await;
    let request = sink.received().remove(0);

    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/sms");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("authorization"),
        Some("Bearer sk_live_sekrit")
    );
    assert_eq!(request.header("x-account"), Some("acct_7"));
    assert_eq!(request.body["to"], "+966500000001");
    assert_eq!(
        request.body["message"],
        format!("SEV-1 opened: الدفع \"checkout\" متوقف \\ 503. Acknowledge: {ACK}")
    );
    assert_eq!(request.body["reference"], "inc_42");
    // Arabic travels as UTF-8, not as \u escapes.
    assert!(request.text().contains("الدفع"));

    // Verify as a receiver would, independently of the crate's `sign`.
    let id = request.header("webhook-id").expect("webhook-id");
    let timestamp = request.header("webhook-timestamp").expect("timestamp");
    assert_eq!(id, "dlv_01");
    let key = STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&request.raw);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(request.header("webhook-signature"), Some(expected.as_str()));
}

#[tokio::test]
async fn a_form_body_is_form_encoded_and_unsigned_without_a_secret() {
    let sink = HttpSink::start().await;
    let target = template(
        format!("{}/2010-04-01/Accounts/acct_7/Messages.json", sink.url),
        "To={{ to|urlencode }}&Body={{ text|urlencode }}",
        None,
    );
    send(&target).await.expect("sent");
    sink.wait_until(LIMIT, |received| received.len() == 1).await;
    let request = sink.received().remove(0);
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let fields: Vec<(String, String)> = form_urlencoded::parse(&request.raw)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    assert_eq!(fields[0], ("To".into(), "+966500000001".into()));
    assert_eq!(fields[1].0, "Body");
    assert!(fields[1].1.starts_with("SEV-1 opened: الدفع \"checkout\""));
    assert!(fields[1].1.ends_with(ACK));
    assert_eq!(request.header("webhook-id"), Some("dlv_01"));
    assert_eq!(request.header("webhook-signature"), None);
}

#[tokio::test]
async fn answers_are_classified_like_webhooks() {
    let sink = HttpSink::start().await;
    let target = template(format!("{}/sms", sink.url), "{}", None);

    sink.answer(503);
    let err = send(&target).await.expect_err("503");
    assert!(err.retryable);
    assert_eq!(err.status, Some(503));

    sink.answer(401);
    let err = send(&target).await.expect_err("401");
    assert!(!err.retryable);
    assert_eq!(err.status, Some(401));

    sink.answer(201);
    send(&target).await.expect("2xx is delivered");
    sink.wait_until(LIMIT, |received| received.len() == 3).await;
    assert_eq!(sink.accepted().len(), 1);
}

#[tokio::test]
async fn a_template_mistake_is_permanent_and_sends_nothing() {
    let sink = HttpSink::start().await;
    let target = template(format!("{}/sms", sink.url), "{{ phone }}", None);
    let err = send(&target).await.expect_err("unknown variable");
    assert!(!err.retryable);
    assert!(err.detail.contains("cannot be rendered"), "{}", err.detail);
    assert!(!err.detail.contains("sekrit"));
    assert!(sink.received().is_empty());
}
