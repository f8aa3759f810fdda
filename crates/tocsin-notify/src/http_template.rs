//! SMS and voice through any provider's HTTP API: the operator writes the request body as a
//! minijinja template, tocsin fills it in per delivery and classifies the answer like a webhook.
//!
//! The template sees these values:
//!
//! | name | value |
//! |---|---|
//! | `to` | the paged person's number or address (only when the delivery pages a person) |
//! | `text` | one line for a phone, at most [`SMS_TEXT_LIMIT`] characters: severity, event, title, link (and the reply code, when the page has one) |
//! | `code` | the page's reply code (six digits) when it has one, else empty |
//! | `incident` | the incident id |
//! | `link` | the acknowledge link, or the incident link when there is nothing to acknowledge |
//! | `title`, `severity`, `event`, `delivery_id` | as named |
//!
//! Every value is escaped for the body's content type, so an incident titled `"}<x>&a=b` cannot
//! break out of its place in the body. The content type is the `Content-Type` header when the
//! operator sets one, else `application/json` for a body starting with `{` or `[`, else
//! `application/x-www-form-urlencoded`:
//!
//! | content type | `{{ value }}` writes |
//! |---|---|
//! | JSON (`application/json`, `…+json`) | the value as JSON string content, without quotes: `{"body": "{{ text }}"}` |
//! | form (`application/x-www-form-urlencoded`) | the value form-encoded (space as `+`): `To={{ to }}&Body={{ text }}` |
//! | XML (`…/xml`, `…+xml`) | the value with `& < > " '` as entities |
//! | anything else (`text/plain`, …) | the value as is |
//!
//! Two filters say the encoding outright, and their output is never escaped again:
//!
//! - `{{ text|json }}` writes a JSON string **with** its quotes: `{"body": {{ text|json }}}`.
//! - `{{ text|urlencode }}` form-encodes: `To={{ to|urlencode }}&Body={{ text|urlencode }}`.
//! - `{{ text|xml }}` escapes for XML (`& < > " '`), e.g. TwiML inside a form field:
//!   `Twiml={{ text|xml|urlencode }}`.
//!
//! And `{{ to|msisdn }}` keeps only the number's digits (`+966 50 000 0001` → `966500000001`), for
//! providers that want the number without `+`; its output is escaped as usual.
//!
//! Header values are secrets (they usually hold API keys) and are never logged. With a `secret`,
//! the request is also signed per Standard Webhooks, as the webhook channel does; `webhook-id`
//! (the delivery id) is always sent, so receivers can drop duplicates.

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
pub use tocsin_core::request_template::VARIABLES;

/// The one-line text for SMS and voice: [`webhook::text`] cut to [`SMS_TEXT_LIMIT`] characters by
/// shortening the title, never the link.
pub fn text(notice: &Notice, links: &NoticeLinks) -> String {
    webhook::text_within(notice, links, SMS_TEXT_LIMIT)
}

/// [`text`] for a page with a reply code: `SEV-1 opened: Checkout down. Reply 042137 to
/// acknowledge, or open https://…/ack/…`. Without a code (or with nothing left to acknowledge)
/// it is [`text`].
pub fn text_with_code(notice: &Notice, links: &NoticeLinks, code: Option<&str>) -> String {
    let ack_url = links.ack_url.as_deref().filter(|url| !url.is_empty());
    match (code.filter(|code| !code.is_empty()), ack_url) {
        (Some(code), Some(ack_url)) => webhook::line_within(
            notice,
            &format!(" Reply {code} to acknowledge, or open {ack_url}"),
            SMS_TEXT_LIMIT,
        ),
        _ => text(notice, links),
    }
}

/// Checks a body template for configuration: it compiles and uses only [`VARIABLES`].
pub fn validate_template(template: &str) -> Result<(), String> {
    tocsin_core::request_template::check(template)
}

/// What a body is, for escaping the values put into it (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Form,
    Xml,
    /// Any other content type: values are written as they are.
    Text,
}

impl BodyKind {
    /// From the `Content-Type` the operator set, else from the template's first character.
    pub fn of(content_type: Option<&str>, template: &str) -> BodyKind {
        match content_type {
            Some(content_type) => BodyKind::of_content_type(content_type),
            None if starts_like_json(template.as_bytes()) => BodyKind::Json,
            None => BodyKind::Form,
        }
    }

    fn of_content_type(content_type: &str) -> BodyKind {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence == "application/json" || essence.ends_with("+json") {
            BodyKind::Json
        } else if essence == "application/x-www-form-urlencoded" {
            BodyKind::Form
        } else if essence.ends_with("/xml") || essence.ends_with("+xml") {
            BodyKind::Xml
        } else {
            BodyKind::Text
        }
    }

    /// The value as it must appear in a body of this kind.
    fn escape(self, text: &str) -> String {
        match self {
            BodyKind::Json => {
                let quoted = serde_json::to_string(text).unwrap_or_default();
                quoted
                    .strip_prefix('"')
                    .and_then(|inner| inner.strip_suffix('"'))
                    .unwrap_or_default()
                    .to_owned()
            }
            BodyKind::Form => form_urlencoded::byte_serialize(text.as_bytes()).collect(),
            BodyKind::Xml => tocsin_core::escape::html(text),
            BodyKind::Text => text.to_owned(),
        }
    }
}

/// A template whose text starts with `{` or `[` (not a tag: `{{`, `{%`, `{#`).
fn starts_like_json(template: &[u8]) -> bool {
    let start = template
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(template.len());
    match template.get(start..) {
        Some([b'[', ..]) => true,
        Some([b'{', b'{' | b'%' | b'#', ..]) => false,
        Some([b'{', ..]) => true,
        _ => false,
    }
}

/// Fills in the body template for one delivery, each value escaped for `kind`.
pub fn render_body(
    template: &str,
    kind: BodyKind,
    delivery: &Delivery<'_>,
) -> Result<String, SendError> {
    let env = environment(kind);
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
        text => text_with_code(delivery.notice, links, delivery.reply_code),
        code => delivery.reply_code.unwrap_or_default(),
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

/// Values escaped for `kind` (the filters' output, marked safe, as it is), undefined names are
/// errors (a typo must not send an empty phone number), and the two filters the module docs
/// describe. The values are data: only the operator's template is ever compiled.
fn environment(kind: BodyKind) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_formatter(move |out, _state, value| {
        let written = if value.is_safe() {
            value.to_string()
        } else if value.is_none() || value.is_undefined() {
            String::new()
        } else {
            kind.escape(&value.to_string())
        };
        out.write_str(&written).map_err(Error::from)
    });
    env.add_filter("json", json);
    env.add_filter("urlencode", urlencode);
    env.add_filter("xml", xml);
    env.add_filter("msisdn", msisdn);
    env
}

/// XML text, marked safe so a body's own escaping does not run twice.
fn xml(value: &Value) -> Value {
    Value::from_safe_string(tocsin_core::escape::html(&plain(value)))
}

/// Only the digits of a phone number; escaped for the body like any value.
fn msisdn(value: &Value) -> Value {
    Value::from(tocsin_core::reply_code::number_digits(&plain(value)))
}

/// A value as text; none is the empty string.
fn plain(value: &Value) -> String {
    match value.as_str() {
        Some(text) => text.to_owned(),
        None if value.is_none() || value.is_undefined() => String::new(),
        None => value.to_string(),
    }
}

/// A JSON value, strings with their quotes. Non-ASCII stays as is (JSON is UTF-8), so an Arabic
/// text is not six times longer on the wire.
fn json(value: &Value) -> Result<Value, Error> {
    serde_json::to_string(value)
        .map(Value::from_safe_string)
        .map_err(|err| {
            Error::new(
                ErrorKind::InvalidOperation,
                "cannot write the value as JSON",
            )
            .with_source(err)
        })
}

/// `application/x-www-form-urlencoded` (space as `+`); none is the empty string.
fn urlencode(value: &Value) -> Value {
    let text = plain(value);
    Value::from_safe_string(form_urlencoded::byte_serialize(text.as_bytes()).collect())
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
    let declared = map
        .get(CONTENT_TYPE)
        .map(|value| value.to_str().unwrap_or_default().to_owned());
    let kind = BodyKind::of(declared.as_deref(), body_template);
    let body = render_body(body_template, kind, delivery)?.into_bytes();
    if declared.is_none() {
        map.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(if kind == BodyKind::Json {
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
            reply_code: None,
        }
    }

    #[test]
    fn json_bodies_get_escaped_strings() {
        let (notice, links) = (notice(), links());
        let body = render_body(
            r#"{"to": {{ to|json }}, "body": {{ text|json }}, "ref": {{ incident|json }}}"#,
            BodyKind::Json,
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
            BodyKind::Form,
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
        let body = render_body(
            "{{ link }}|{{ text }}",
            BodyKind::Text,
            &delivery(&notice, &links, None),
        )
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
        let err =
            render_body("{{ phone }}", BodyKind::Text, &delivery).expect_err("unknown variable");
        assert!(!err.retryable);
        let err =
            render_body("{{ to|json }}", BodyKind::Json, &delivery).expect_err("no recipient");
        assert!(err.detail.contains("pages no one"), "{}", err.detail);
        let err = render_body("{% if %}", BodyKind::Text, &delivery).expect_err("syntax");
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

    /// The acceptance title: markup, a template tag and the characters each format reserves.
    const HOSTILE: &str = "{{ 7*7 }} <script>alert(1)</script> \"q\" & a=b";

    fn hostile() -> Notice {
        Notice {
            title: HOSTILE.into(),
            ..notice()
        }
    }

    #[test]
    fn bare_values_are_escaped_for_the_bodys_content_type_and_never_evaluated() {
        let (notice, links) = (hostile(), links());
        let delivery = delivery(&notice, &links, Some("+966 50&x=1"));

        let body = render_body(
            r#"{"to": "{{ to }}", "title": "{{ title }}", "quoted": {{ title|json }}}"#,
            BodyKind::Json,
            &delivery,
        )
        .expect("renders");
        let parsed: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
        assert_eq!(parsed["to"], "+966 50&x=1");
        assert_eq!(parsed["title"], HOSTILE);
        assert_eq!(parsed["quoted"], HOSTILE);

        let body = render_body("To={{ to }}&Body={{ title }}", BodyKind::Form, &delivery)
            .expect("renders");
        let fields: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            fields,
            [
                ("To".to_owned(), "+966 50&x=1".to_owned()),
                ("Body".to_owned(), HOSTILE.to_owned()),
            ]
        );

        let body =
            render_body("<Say>{{ title }}</Say>", BodyKind::Xml, &delivery).expect("renders");
        assert_eq!(
            body,
            "<Say>{{ 7*7 }} &lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &amp; a=b</Say>"
        );
        assert!(!body.contains("49"), "{body}");
    }

    #[test]
    fn the_content_type_comes_from_the_header_else_from_the_template() {
        assert_eq!(BodyKind::of(None, " {\"a\": 1}"), BodyKind::Json);
        assert_eq!(BodyKind::of(None, "[{{ text|json }}]"), BodyKind::Json);
        assert_eq!(BodyKind::of(None, "{{ text }}"), BodyKind::Form);
        assert_eq!(
            BodyKind::of(None, "{% if to %}x{% endif %}"),
            BodyKind::Form
        );
        assert_eq!(BodyKind::of(None, "To={{ to }}"), BodyKind::Form);
        for (content_type, kind) in [
            ("application/json; charset=utf-8", BodyKind::Json),
            ("application/vnd.api+json", BodyKind::Json),
            ("Application/X-WWW-Form-Urlencoded", BodyKind::Form),
            ("text/xml", BodyKind::Xml),
            ("application/soap+xml", BodyKind::Xml),
            ("text/plain", BodyKind::Text),
        ] {
            assert_eq!(
                BodyKind::of(Some(content_type), "{}"),
                kind,
                "{content_type}"
            );
        }

        let (notice, links) = (hostile(), links());
        let delivery = delivery(&notice, &links, Some("+1"));
        let xml = [("Content-Type".to_owned(), Secret::new("text/xml"))];
        let (_, _, body) =
            request("POST", &xml, "<m>{{ title }}</m>", None, &delivery).expect("request");
        assert!(
            String::from_utf8_lossy(&body).contains("&lt;script&gt;"),
            "{}",
            String::from_utf8_lossy(&body)
        );
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
