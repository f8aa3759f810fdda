//! SMS through a provider's own API, one preset per provider: the request each documents for
//! sending one message, with the page's text (and its reply code) as the message.
//!
//! | provider | request |
//! |---|---|
//! | Twilio | `POST {api_url}/2010-04-01/Accounts/{account}/Messages.json`, HTTP Basic `account:token`, form `To`, `From`, `Body` |
//! | Vonage (Messages API) | `POST {api_url}/v1/messages`, HTTP Basic `account:token`, JSON `message_type: "text"`, `channel: "sms"`, `to`, `from`, `text` |
//! | MessageBird | `POST {api_url}/messages`, `Authorization: AccessKey {token}`, JSON `originator`, `recipients`, `body` |
//! | Unifonic | `POST {api_url}/rest/SMS/messages`, form `AppSid` (the token), `SenderID`, `Recipient`, `Body`, `responseType=JSON` |
//!
//! Vonage, MessageBird and Unifonic take numbers as digits without `+`; Twilio takes E.164.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::json;
use tocsin_core::Secret;
use tocsin_core::inbound::sms::Provider;
use tocsin_core::reply_code::number_digits;

use crate::{Delivery, SendError, http_template};

/// One provider account to send SMS through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsTarget {
    pub provider: Provider,
    /// Twilio's Account SID, Vonage's API key.
    pub account: Option<String>,
    /// Twilio's auth token, Vonage's API secret, MessageBird's access key, Unifonic's AppSid.
    pub token: Secret,
    /// The sender: a number or an alphanumeric sender id.
    pub from: String,
    /// The API root, without a trailing `/`.
    pub api_url: String,
}

/// A request ready to send: method, URL, headers, body.
pub(crate) type Request = (Method, String, HeaderMap, Vec<u8>);

/// The provider's request for one delivery. A delivery that pages no one (no phone number) is
/// a permanent error: an SMS channel only pages people.
pub(crate) fn request(target: &SmsTarget, delivery: &Delivery<'_>) -> Result<Request, SendError> {
    let to = delivery
        .to
        .map(str::trim)
        .filter(|to| !to.is_empty())
        .ok_or_else(|| {
            SendError::permanent(
                None,
                "an SMS channel pages people: name it in a contact's `methods` and give the \
                 contact a `phone`"
                    .to_owned(),
            )
        })?;
    let text = http_template::text_with_code(delivery.notice, delivery.links, delivery.reply_code);
    let api = target.api_url.trim_end_matches('/');
    let account = target.account.as_deref().unwrap_or_default();
    let mut headers = HeaderMap::new();
    let (url, body) = match target.provider {
        Provider::Twilio => {
            headers.insert(AUTHORIZATION, basic(account, &target.token)?);
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(FORM));
            let url = format!(
                "{api}/2010-04-01/Accounts/{}/Messages.json",
                segment(account)
            );
            (
                url,
                form(&[("To", to), ("From", &target.from), ("Body", &text)]),
            )
        }
        Provider::Vonage => {
            headers.insert(AUTHORIZATION, basic(account, &target.token)?);
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
            let body = json!({
                "message_type": "text",
                "channel": "sms",
                "to": number_digits(to),
                "from": sender(&target.from),
                "text": text,
            });
            (format!("{api}/v1/messages"), body.to_string().into_bytes())
        }
        Provider::MessageBird => {
            let mut value = secret_header(&format!("AccessKey {}", target.token.expose()))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
            let body = json!({
                "originator": sender(&target.from),
                "recipients": [number_digits(to)],
                "body": text,
            });
            (format!("{api}/messages"), body.to_string().into_bytes())
        }
        Provider::Unifonic => {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(FORM));
            let recipient = number_digits(to);
            let body = form(&[
                ("AppSid", target.token.expose()),
                ("SenderID", &sender(&target.from)),
                ("Recipient", &recipient),
                ("Body", &text),
                ("responseType", "JSON"),
            ]);
            (format!("{api}/rest/SMS/messages"), body)
        }
    };
    Ok((Method::POST, url, headers, body))
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// `Basic base64(user:password)`, marked sensitive.
fn basic(user: &str, password: &Secret) -> Result<HeaderValue, SendError> {
    let encoded = STANDARD.encode(format!("{user}:{}", password.expose()));
    let mut value = secret_header(&format!("Basic {encoded}"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// A header value holding a credential; the error never echoes it.
fn secret_header(value: &str) -> Result<HeaderValue, SendError> {
    HeaderValue::from_str(value).map_err(|_| {
        SendError::permanent(
            None,
            "the channel's credentials cannot be sent in a header".to_owned(),
        )
    })
}

/// A number sender as digits (without `+`), an alphanumeric sender id as written.
fn sender(from: &str) -> String {
    if from.chars().any(|c| c.is_ascii_alphabetic()) {
        from.to_owned()
    } else {
        number_digits(from)
    }
}

/// A path segment, percent-encoded.
fn segment(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes()
}
