//! SMS and voice through any provider's HTTP API: the operator writes the request body as a
//! minijinja template, tocsin fills it in per delivery and classifies the answer like a webhook.
//!
//! The template sees these values:
//!
//! | name | value |
//! |---|---|
//! | `to` | the paged person's number or address (only when the delivery pages a person) |
//! | `text` | one line for a phone, at most [`SMS_TEXT_LIMIT`] characters: severity, event, title, link |
//! | `incident` | the incident id |
//! | `link` | the acknowledge link, or the incident link when there is nothing to acknowledge |
//! | `title`, `severity`, `event`, `delivery_id` | as named |
//!
//! Nothing is escaped automatically, because the body may be JSON, a form or XML. Use a filter:
//!
//! - `{{ text|json }}` writes a JSON string **with** its quotes: `{"body": {{ text|json }}}`.
//! - `{{ text|urlencode }}` form-encodes (`application/x-www-form-urlencoded`, space as `+`):
//!   `To={{ to|urlencode }}&Body={{ text|urlencode }}`.
//!
//! A body starting with `{` or `[` is sent as `application/json`, anything else as a form, unless
//! the headers set `Content-Type`. Header values are secrets (they usually hold API keys) and are
//! never logged. With a `secret`, the request is also signed per Standard Webhooks, as the webhook
//! channel does; `webhook-id` (the delivery id) is always sent, so receivers can drop duplicates.

use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value, context};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use tocsin_core::Secret;
use tocsin_core::notice::{Notice, NoticeLinks};

use crate::{Delivery, SendError, webhook};

/// The longest `text`, in characters: two SMS segments of Unicode text leave room for the link
/// even when the title is Arabic, and providers bill by segment.
pub const SMS_TEXT_LIMIT: usize = 300;

/// The names a body template may use.
pub const VARIABLES: [&str; 8] = [
    "to",
    "text",
    "incident",
    "link",
    "title",
    "severity",
    "event",
    "delivery_id",
];

/// The one-line text for SMS and voice: [`webhook::text`] cut to [`SMS_TEXT_LIMIT`] characters by
/// shortening the title, never the link.
pub fn text(notice: &Notice, links: &NoticeLinks) -> String {
    webhook::text_within(notice, links, SMS_TEXT_LIMIT)
}

/// Checks a body template for configuration: it compiles and uses only [`VARIABLES`].
pub fn validate_template(template: &str) -> Result<(), String> {
    let env = environment();
    let compiled = env
        .template_from_str(template)
        .map_err(|err| format!("the body template does not compile: {err}"))?;
    let mut unknown: Vec<String> = compiled
        .undeclared_variables(false)
        .into_iter()
        .filter(|name| !VARIABLES.contains(&name.as_str()))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort();
    Err(format!(
        "the body template uses unknown variables: {} (known: {})",
        unknown.join(", "),
        VARIABLES.join(", ")
    ))
}

/// Fills in the body template for one delivery.
pub fn render_body(template: &str, delivery: &Delivery<'_>) -> Result<String, SendError> {
    let env = environment();
    let compiled = env.template_from_str(template).map_err(|err| {
        SendError::permanent(None, format!("the body template does not compile: {err}"))
    })?;
    let links = delivery.links;
    let to = delivery.to.filter(|to| !to.trim().is_empty());
    if to.is_none() && compiled.undeclared_variables(false).contains("to") {
        return Err(SendError::permanent(
            None,
            "the body template uses `to`, but this delivery pages no one (no phone number or \
             address)"
                .to_owned(),
        ));
    }
    let link = links
        .ack_url
        .as_deref()
        .filter(|url| !url.is_empty())
        .unwrap_or(&links.incident_url);
    let ctx = context! {
        to => to,
        text => text(delivery.notice, links),
        incident => &delivery.notice.incident_id,
        link => link,
        title => &delivery.notice.title,
        severity => &delivery.notice.severity,
        event => delivery.notice.event.as_str(),
        delivery_id => delivery.id,
    };
    compiled.render(ctx).map_err(|err| {
        SendError::permanent(None, format!("the body template cannot be rendered: {err}"))
    })
}

/// No auto-escaping (the body is not HTML), undefined names are errors (a typo must not send an
/// empty phone number), and the two filters the module docs describe.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("json", json);
    env.add_filter("urlencode", urlencode);
    env
}

/// A JSON value, strings with their quotes. Non-ASCII stays as is (JSON is UTF-8), so an Arabic
/// text is not six times longer on the wire.
fn json(value: &Value) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|err| {
        Error::new(
            ErrorKind::InvalidOperation,
            "cannot write the value as JSON",
        )
        .with_source(err)
    })
}

/// `application/x-www-form-urlencoded` (space as `+`); none is the empty string.
fn urlencode(value: &Value) -> String {
    let text = match value.as_str() {
        Some(text) => text.to_owned(),
        None if value.is_none() || value.is_undefined() => String::new(),
        None => value.to_string(),
    };
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The request for one delivery: method, headers (the operator's, then the content type if they
/// set none, then Standard Webhooks') and body.
pub(crate) fn request(
    method: &str,
    headers: &[(String, Secret)],
    body_template: &str,
    secret: Option<&Secret>,
    delivery: &Delivery<'_>,
) -> Result<(Method, HeaderMap, Vec<u8>), SendError> {
    let method = Method::from_bytes(method.trim().to_ascii_uppercase().as_bytes())
        .map_err(|_| SendError::permanent(None, format!("invalid HTTP method {method:?}")))?;
    let body = render_body(body_template, delivery)?.into_bytes();

    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let header = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| SendError::permanent(None, format!("invalid header name {name:?}")))?;
        // The value is never echoed: it is usually the API key.
        let mut value = HeaderValue::from_str(value.expose().trim()).map_err(|_| {
            SendError::permanent(
                None,
                format!("the value of header {name:?} is not a valid header value"),
            )
        })?;
        value.set_sensitive(true);
        map.append(header, value);
    }
    if !map.contains_key(CONTENT_TYPE) {
        let looks_like_json = body
            .iter()
            .find(|byte| !byte.is_ascii_whitespace())
            .is_some_and(|first| matches!(first, b'{' | b'['));
        map.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(if looks_like_json {
                "application/json"
            } else {
                "application/x-www-form-urlencoded"
            }),
        );
    }
    // Last, so an operator's header of the same name cannot break the signature.
    for (name, value) in &webhook::headers(secret, delivery.id, delivery.now.as_second(), &body)? {
        map.insert(name, value.clone());
    }
    Ok((method, map, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tocsin_core::notice::NoticeEvent;

    fn notice() -> Notice {
        Notice {
            event: NoticeEvent::Opened,
            incident_id: "inc_42".into(),
            title: "Checkout \"API\" down".into(),
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

    fn links() -> NoticeLinks {
        NoticeLinks {
            incident_url: "https://t.example/i/inc_42".into(),
            ack_url: Some("https://t.example/ack/abc".into()),
        }
    }

    fn delivery<'a>(
        notice: &'a Notice,
        links: &'a NoticeLinks,
        to: Option<&'a str>,
    ) -> Delivery<'a> {
        Delivery {
            id: "dlv_1",
            notice,
            links,
            now: "2026-11-26T21:31:00Z".parse().expect("valid timestamp"),
            to,
        }
    }

    #[test]
    fn json_bodies_get_escaped_strings() {
        let (notice, links) = (notice(), links());
        let body = render_body(
            r#"{"to": {{ to|json }}, "body": {{ text|json }}, "ref": {{ incident|json }}}"#,
            &delivery(&notice, &links, Some("+966500000000")),
        )
        .expect("renders");
        let parsed: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
        assert_eq!(parsed["to"], "+966500000000");
        assert_eq!(
            parsed["body"],
            "SEV-1 opened: Checkout \"API\" down. Acknowledge: https://t.example/ack/abc"
        );
        assert_eq!(parsed["ref"], "inc_42");
    }

    #[test]
    fn form_bodies_get_form_encoding() {
        let (notice, links) = (notice(), links());
        let body = render_body(
            "To={{ to|urlencode }}&Body={{ text|urlencode }}&Link={{ link|urlencode }}",
            &delivery(&notice, &links, Some("+966 50")),
        )
        .expect("renders");
        assert!(body.starts_with("To=%2B966+50&Body=SEV-1+opened%3A+Checkout+%22API%22+down."));
        assert!(body.ends_with("&Link=https%3A%2F%2Ft.example%2Fack%2Fabc"));
    }

    #[test]
    fn link_falls_back_to_the_incident_and_text_is_bounded() {
        let mut notice = notice();
        notice.title = "x".repeat(1000);
        let links = NoticeLinks {
            ack_url: None,
            ..links()
        };
        let body = render_body("{{ link }}|{{ text }}", &delivery(&notice, &links, None))
            .expect("renders");
        let (link, text) = body.split_once('|').expect("two parts");
        assert_eq!(link, "https://t.example/i/inc_42");
        assert_eq!(text.chars().count(), SMS_TEXT_LIMIT);
        assert!(text.ends_with("... https://t.example/i/inc_42"));
    }

    #[test]
    fn mistakes_are_permanent_errors() {
        let (notice, links) = (notice(), links());
        let delivery = delivery(&notice, &links, None);
        let err = render_body("{{ phone }}", &delivery).expect_err("unknown variable");
        assert!(!err.retryable);
        let err = render_body("{{ to|json }}", &delivery).expect_err("no recipient");
        assert!(err.detail.contains("pages no one"), "{}", err.detail);
        let err = render_body("{% if %}", &delivery).expect_err("syntax");
        assert!(err.detail.contains("does not compile"), "{}", err.detail);

        assert_eq!(
            validate_template("{{ text|json }} {{ to }} {{ link }}"),
            Ok(())
        );
        let err = validate_template("{{ phone }} {{ txt }}").expect_err("unknown names");
        assert!(
            err.starts_with("the body template uses unknown variables: phone, txt"),
            "{err}"
        );
        assert!(validate_template("{{").is_err());
    }

    #[test]
    fn headers_are_sensitive_and_content_type_follows_the_body() {
        let (notice, links) = (notice(), links());
        let delivery = delivery(&notice, &links, Some("+1"));
        let headers = [("Authorization".to_owned(), Secret::new("Bearer sk_live_1"))];
        let (method, map, _) = request("post", &headers, "{}", None, &delivery).expect("request");
        assert_eq!(method, Method::POST);
        assert!(map["authorization"].is_sensitive());
        assert_eq!(map[CONTENT_TYPE], "application/json");
        assert_eq!(map["webhook-id"], "dlv_1");
        assert!(!map.contains_key("webhook-signature"));

        let (_, map, _) = request("PUT", &[], "a={{ to }}", None, &delivery).expect("request");
        assert_eq!(map[CONTENT_TYPE], "application/x-www-form-urlencoded");

        let custom = [("content-type".to_owned(), Secret::new("text/xml"))];
        let (_, map, _) = request("POST", &custom, "{}", None, &delivery).expect("request");
        assert_eq!(map[CONTENT_TYPE], "text/xml");

        let err = request("NOT A METHOD", &[], "{}", None, &delivery).expect_err("method");
        assert!(!err.retryable);
        let bad = [("X-Key".to_owned(), Secret::new("line\nbreak-sekrit"))];
        let err = request("POST", &bad, "{}", None, &delivery).expect_err("header value");
        assert!(!err.detail.contains("sekrit"), "{}", err.detail);
    }
}
