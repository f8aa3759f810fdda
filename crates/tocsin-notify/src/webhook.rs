//! The generic webhook channel: a JSON body signed per the Standard Webhooks specification.
//!
//! <https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md>

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use tocsin_core::Secret;
use tocsin_core::notice::{Notice, NoticeEvent, NoticeLinks};
use tocsin_core::standard_webhooks::{self, SecretError};

use crate::{Delivery, SendError, one_line};

const WEBHOOK_ID: HeaderName = HeaderName::from_static("webhook-id");
const WEBHOOK_TIMESTAMP: HeaderName = HeaderName::from_static("webhook-timestamp");
const WEBHOOK_SIGNATURE: HeaderName = HeaderName::from_static("webhook-signature");

/// The JSON body: the event type, the incident, who acted, links, the paged person and a one-line
/// text that an SMS relay can forward as is.
pub fn render(delivery: &Delivery<'_>) -> Value {
    let notice = delivery.notice;
    json!({
        "type": format!("incident.{}", notice.event.as_str()),
        // Standard Webhooks' recommended envelope carries the event time too.
        "timestamp": delivery.now,
        "incident": {
            "id": notice.incident_id,
            "title": notice.title,
            "severity": notice.severity,
            "category": notice.category,
            "component": notice.component,
            "summary": notice.summary,
            "opened_at": notice.opened_at,
            "runbook": notice.runbook,
        },
        "actor": notice.actor,
        "links": {
            "incident": delivery.links.incident_url,
            "acknowledge": delivery.links.ack_url,
        },
        "to": delivery.to,
        "text": text(notice, delivery.links),
    })
}

/// One line for people reading on a phone: `sev1 opened: Checkout down. Acknowledge: https://…`.
/// Plain ASCII punctuation, because SMS gateways bill non-GSM characters double.
pub fn text(notice: &Notice, links: &NoticeLinks) -> String {
    text_within(notice, links, usize::MAX)
}

/// [`text`] in at most `limit` characters: the title is cut (ending in `...`), never the link,
/// because the link is what the reader acts on. Only a link longer than the limit by itself makes
/// the line longer than `limit`.
pub fn text_within(notice: &Notice, links: &NoticeLinks, limit: usize) -> String {
    let link = match links.ack_url.as_deref().filter(|url| !url.is_empty()) {
        Some(ack_url) => format!(" Acknowledge: {ack_url}"),
        None if !links.incident_url.is_empty() => format!(" {}", links.incident_url),
        None => String::new(),
    };
    line_within(notice, &link, limit)
}

/// What happened, in a few words: `opened`, `acknowledged by Sami`, `still unacknowledged`, …
fn what_happened(notice: &Notice) -> String {
    match (notice.event, notice.actor.as_deref().map(one_line)) {
        (NoticeEvent::Opened, _) => "opened".to_owned(),
        (NoticeEvent::Acknowledged, Some(actor)) if !actor.is_empty() => {
            format!("acknowledged by {actor}")
        }
        (NoticeEvent::Acknowledged, _) => "acknowledged".to_owned(),
        (NoticeEvent::Resolved, _) => "resolved".to_owned(),
        (NoticeEvent::ResponseOverdue, _) => "still unacknowledged".to_owned(),
        (NoticeEvent::PostmortemReminder, _) => "post-mortem due within 24 hours".to_owned(),
        (NoticeEvent::PostmortemOverdue, _) => "post-mortem overdue".to_owned(),
        (NoticeEvent::PhaseOverdue, _) => "runbook phase overdue".to_owned(),
        (NoticeEvent::UpdateDue, Some(owner)) if !owner.is_empty() => {
            format!("update due from {owner}")
        }
        (NoticeEvent::UpdateDue, _) => "update due".to_owned(),
        (NoticeEvent::ReviewDigest, _) => "weekly review".to_owned(),
        (NoticeEvent::SeverityChanged, _) => "severity changed".to_owned(),
        (NoticeEvent::Timeline, _) => "timeline update".to_owned(),
    }
}

/// What happened, the severity, the title (cut to fit `limit`, ending in `..`) and then `tail`
/// whole: the one line of [`text_within`] with another ending.
pub(crate) fn line_within(notice: &Notice, tail: &str, limit: usize) -> String {
    let link = tail;
    let what = what_happened(notice);
    let head = format!("{} {what}: ", one_line(&notice.severity));
    // The line adds its own full stop.
    let title = one_line(&notice.title);
    let title = title.trim_end_matches('.');
    let fixed = head.chars().count() + ".".len() + link.chars().count();
    let room = limit.saturating_sub(fixed);
    let title = if title.chars().count() <= room {
        title.to_owned()
    } else {
        // Two ASCII dots that the line's full stop makes an ellipsis (`…` is not in the GSM
        // alphabet).
        let kept: String = title.chars().take(room.saturating_sub(2)).collect();
        format!("{}..", kept.trim_end())
    };
    format!("{head}{title}.{link}")
}

/// The Standard Webhooks signature header value, `v1,<base64 HMAC-SHA256>` over
/// `{id}.{timestamp}.{body}`, with the key read the one way the inbound verifier and `tocsin check`
/// read it ([`tocsin_core::standard_webhooks::decode_secret`]).
pub fn sign(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> Result<String, SecretError> {
    standard_webhooks::sign(secret.expose(), id, timestamp, body)
}

/// `webhook-id` and `webhook-timestamp` always (receivers deduplicate on the id even unsigned),
/// `webhook-signature` when there is a secret.
pub(crate) fn headers(
    secret: Option<&Secret>,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<HeaderMap, SendError> {
    let mut headers = HeaderMap::new();
    let id_value = HeaderValue::from_str(id).map_err(|_| {
        SendError::permanent(
            None,
            format!("the delivery id {id:?} cannot be sent as a webhook-id header"),
        )
    })?;
    headers.insert(WEBHOOK_ID, id_value);
    headers.insert(WEBHOOK_TIMESTAMP, HeaderValue::from(timestamp));
    if let Some(secret) = secret {
        // Configuration refuses such a secret; if one slips through, sending unsigned would look
        // like a forgery to the receiver, so the delivery fails and says why instead.
        let signature = sign(secret, id, timestamp, body).map_err(|error| {
            SendError::permanent(None, format!("the channel's signing secret: {error}"))
        })?;
        // The signature is base64 and "v1,": always a valid header value.
        if let Ok(signature) = HeaderValue::from_str(&signature) {
            headers.insert(WEBHOOK_SIGNATURE, signature);
        }
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_matches_the_standard_webhooks_test_vector() {
        // The reference libraries' vector (libraries/go/webhook_test.go, TestWebhookSign); the
        // core module holds the rest of the vectors, this checks the channel uses it.
        assert_eq!(
            sign(
                &Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#,
            ),
            Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned())
        );
    }

    #[test]
    fn a_secret_that_is_not_base64_fails_the_delivery_rather_than_sending_unsigned() {
        let error =
            headers(Some(&Secret::new("plain password")), "msg_1", 1, b"{}").expect_err("refused");
        assert!(error.to_string().contains("not base64"), "{error}");
    }

    #[test]
    fn headers_carry_id_and_timestamp_and_sign_only_with_a_secret() {
        let unsigned = headers(None, "dlv_1", 1614265330, b"{}").expect("headers");
        assert_eq!(unsigned["webhook-id"], "dlv_1");
        assert_eq!(unsigned["webhook-timestamp"], "1614265330");
        assert!(!unsigned.contains_key("webhook-signature"));

        let secret = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let signed = headers(Some(&secret), "dlv_1", 1614265330, b"{}").expect("headers");
        assert_eq!(
            signed["webhook-signature"],
            sign(&secret, "dlv_1", 1614265330, b"{}")
                .expect("the secret is base64")
                .as_str()
        );

        let err = headers(None, "bad\nid", 1, b"{}").expect_err("newline in a header");
        assert!(!err.retryable);
    }

    fn notice() -> Notice {
        Notice {
            event: NoticeEvent::Opened,
            incident_id: "inc_42".into(),
            title: "Checkout API down".into(),
            severity: "sev1".into(),
            category: Some("availability".into()),
            component: None,
            summary: Some("5xx above 50%".into()),
            opened_at: "2026-11-26T21:30:00Z".parse().expect("valid timestamp"),
            runbook: None,
            actor: None,
            source: None,
        }
    }

    #[test]
    fn the_body_has_the_documented_shape() {
        let notice = notice();
        let links = NoticeLinks {
            incident_url: "https://tocsin.example.com/incidents/inc_42".into(),
            ack_url: Some("https://tocsin.example.com/ack/abc".into()),
        };
        let delivery = Delivery {
            id: "dlv_1",
            notice: &notice,
            links: &links,
            now: "2026-11-26T21:31:00Z".parse().expect("valid timestamp"),
            to: Some("+15551234567"),
            reply_code: None,
        };
        assert_eq!(
            render(&delivery),
            json!({
                "type": "incident.opened",
                "timestamp": "2026-11-26T21:31:00Z",
                "incident": {
                    "id": "inc_42",
                    "title": "Checkout API down",
                    "severity": "sev1",
                    "category": "availability",
                    "component": null,
                    "summary": "5xx above 50%",
                    "opened_at": "2026-11-26T21:30:00Z",
                    "runbook": null,
                },
                "actor": null,
                "links": {
                    "incident": "https://tocsin.example.com/incidents/inc_42",
                    "acknowledge": "https://tocsin.example.com/ack/abc",
                },
                "to": "+15551234567",
                "text": "sev1 opened: Checkout API down. Acknowledge: https://tocsin.example.com/ack/abc",
            })
        );
    }

    #[test]
    fn a_bounded_text_cuts_the_title_and_keeps_the_link() {
        let links = NoticeLinks {
            incident_url: "https://t.example/i/1".into(),
            ack_url: Some("https://t.example/a/1".into()),
        };
        let mut notice = notice();
        assert_eq!(
            text_within(&notice, &links, 300),
            text(&notice, &links),
            "short lines are untouched"
        );
        notice.title = "x".repeat(500);
        let line = text_within(&notice, &links, 300);
        assert_eq!(line.chars().count(), 300);
        assert!(line.starts_with("sev1 opened: xxx"));
        assert!(
            line.ends_with("xxx... Acknowledge: https://t.example/a/1"),
            "{line}"
        );

        // Characters, not bytes: an Arabic title is cut at the same count.
        notice.title = "عطل ".repeat(200);
        let line = text_within(&notice, &links, 300);
        assert!(line.chars().count() <= 300);
        assert!(
            line.ends_with("... Acknowledge: https://t.example/a/1"),
            "{line}"
        );

        // A link longer than the limit is still sent whole.
        let long = NoticeLinks {
            ack_url: Some(format!("https://t.example/{}", "a".repeat(400))),
            ..links
        };
        assert!(text_within(&notice, &long, 300).ends_with(&"a".repeat(400)));
    }

    #[test]
    fn the_text_line_names_the_event_and_the_best_link() {
        let links = NoticeLinks {
            incident_url: "https://t.example/i/1".into(),
            ack_url: None,
        };
        let mut notice = notice();
        notice.title = "Checkout\nAPI  down".into();
        notice.event = NoticeEvent::Acknowledged;
        notice.actor = Some("alice".into());
        assert_eq!(
            text(&notice, &links),
            "sev1 acknowledged by alice: Checkout API down. https://t.example/i/1"
        );
        notice.event = NoticeEvent::Resolved;
        assert_eq!(
            text(&notice, &NoticeLinks::default()),
            "sev1 resolved: Checkout API down."
        );
        notice.event = NoticeEvent::ResponseOverdue;
        let links = NoticeLinks {
            ack_url: Some("https://t.example/a/1".into()),
            ..links
        };
        assert_eq!(
            text(&notice, &links),
            "sev1 still unacknowledged: Checkout API down. Acknowledge: https://t.example/a/1"
        );
    }
}
