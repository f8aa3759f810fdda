//! [`SmsProvider`]: a local stand-in for Twilio, Vonage, MessageBird and Unifonic. It serves
//! each one's send endpoint as documented (path, credentials, fields), records every message
//! it accepts and answers as the provider does; a request with the wrong credentials or without
//! a required field is refused the provider's way and recorded as refused.
//!
//! The other direction — a provider posting a person's reply to tocsin — is [`twilio_reply`],
//! [`vonage_reply`], [`messagebird_reply`] and [`unifonic_reply`]: each builds the request body
//! and headers that provider sends, signed its documented way. They are written here from the
//! providers' documentation, apart from tocsin's verifier, so a test does not check tocsin's
//! signing against itself.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// Which provider's endpoint a message came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Twilio,
    Vonage,
    MessageBird,
    Unifonic,
}

/// One send request the provider received.
#[derive(Debug, Clone)]
pub struct SmsMessage {
    pub provider: Provider,
    pub path: String,
    /// The `Authorization` header as sent, if any.
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    /// The recipient, sender and text as the provider read them from its own fields.
    pub to: String,
    pub from: String,
    pub text: String,
    /// Every field of the body: form fields, or the JSON object's top-level members.
    pub fields: Value,
    /// The status the provider answered: 2xx when it took the message.
    pub answered: u16,
}

/// The credentials the provider accepts: `account` and `token` are Twilio's Account SID and
/// auth token, Vonage's API key and secret; `token` alone is MessageBird's access key and
/// Unifonic's AppSid.
#[derive(Debug, Clone)]
pub struct SmsProvider {
    /// `http://127.0.0.1:<port>`, the `api_url` of every preset.
    pub url: String,
    account: String,
    token: String,
    received: Arc<Mutex<Vec<SmsMessage>>>,
    arrived: Arc<Notify>,
}

impl SmsProvider {
    /// Binds 127.0.0.1 on a free port and serves until the runtime shuts down.
    pub async fn start(account: &str, token: &str) -> SmsProvider {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMS provider");
        let provider = SmsProvider {
            url: format!("http://{}", listener.local_addr().expect("its address")),
            account: account.to_owned(),
            token: token.to_owned(),
            received: Arc::default(),
            arrived: Arc::default(),
        };
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(twilio_send),
            )
            .route("/v1/messages", post(vonage_send))
            .route("/messages", post(messagebird_send))
            .route("/rest/SMS/messages", post(unifonic_send))
            .with_state(provider.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        provider
    }

    /// Every send request so far, in arrival order.
    pub fn received(&self) -> Vec<SmsMessage> {
        self.lock().clone()
    }

    /// Waits (on arrivals, not on a timer) until `done` holds; panics after `limit`.
    pub async fn wait_until(&self, limit: Duration, done: impl Fn(&[SmsMessage]) -> bool) {
        let wait = async {
            loop {
                let arrival = self.arrived.notified();
                if done(&self.received()) {
                    return;
                }
                arrival.await;
            }
        };
        if tokio::time::timeout(limit, wait).await.is_err() {
            panic!(
                "the SMS provider did not receive what was expected within {limit:?}: {:#?}",
                self.received()
            );
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<SmsMessage>> {
        self.received
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, message: SmsMessage) {
        self.lock().push(message);
        self.arrived.notify_waiters();
    }

    fn basic_ok(&self, headers: &HeaderMap) -> bool {
        let expected = format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", self.account, self.token))
        );
        header(headers, "authorization").as_deref() == Some(expected.as_str())
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn form_fields(body: &[u8]) -> Value {
    Value::Object(
        form_urlencoded_pairs(body)
            .into_iter()
            .map(|(key, value)| (key, Value::String(value)))
            .collect(),
    )
}

/// `application/x-www-form-urlencoded` pairs, decoded (`+` is a space).
fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    let decode = |part: &str| {
        let bytes = part.replace('+', " ").into_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (b'%', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (byte, _) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn text_of(fields: &Value, name: &str) -> String {
    match &fields[name] {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn json_answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Twilio's Messages resource: Basic auth with the Account SID that is also in the path; `To`,
/// `From` and `Body` required; 201 with the message.
async fn twilio_send(
    State(provider): State<SmsProvider>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let (status, answer) = if !provider.basic_ok(&headers) || account != provider.account {
        (
            StatusCode::UNAUTHORIZED,
            json!({"code": 20003, "message": "Authenticate", "status": 401}),
        )
    } else if ["To", "From", "Body"]
        .iter()
        .any(|name| text_of(&fields, name).is_empty())
    {
        (
            StatusCode::BAD_REQUEST,
            json!({"code": 21604, "message": "A 'To', 'From' and 'Body' are required", "status": 400}),
        )
    } else {
        (
            StatusCode::CREATED,
            json!({"sid": "SM0001", "status": "queued", "to": text_of(&fields, "To")}),
        )
    };
    provider.record(SmsMessage {
        provider: Provider::Twilio,
        path: format!("/2010-04-01/Accounts/{account}/Messages.json"),
        authorization: header(&headers, "authorization"),
        content_type: header(&headers, "content-type"),
        to: text_of(&fields, "To"),
        from: text_of(&fields, "From"),
        text: text_of(&fields, "Body"),
        fields,
        answered: status.as_u16(),
    });
    json_answer(status, answer)
}

/// Vonage's Messages API: Basic auth (API key and secret); an SMS is `message_type` text on
/// `channel` sms with `to`, `from`, `text`; 202 with the message's uuid.
async fn vonage_send(
    State(provider): State<SmsProvider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (status, answer) = if !provider.basic_ok(&headers) {
        (
            StatusCode::UNAUTHORIZED,
            json!({"title": "Unauthorized", "type": "https://developer.vonage.com/api-errors#unauthorized"}),
        )
    } else if fields["message_type"] != "text"
        || fields["channel"] != "sms"
        || ["to", "from", "text"]
            .iter()
            .any(|name| text_of(&fields, name).is_empty())
    {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"title": "Invalid params", "type": "https://developer.vonage.com/api-errors/messages#1150"}),
        )
    } else {
        (
            StatusCode::ACCEPTED,
            json!({"message_uuid": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}),
        )
    };
    provider.record(SmsMessage {
        provider: Provider::Vonage,
        path: "/v1/messages".into(),
        authorization: header(&headers, "authorization"),
        content_type: header(&headers, "content-type"),
        to: text_of(&fields, "to"),
        from: text_of(&fields, "from"),
        text: text_of(&fields, "text"),
        fields,
        answered: status.as_u16(),
    });
    json_answer(status, answer)
}

/// MessageBird's messages: `Authorization: AccessKey <key>`; `originator`, `recipients` and
/// `body` required; 201 with the message.
async fn messagebird_send(
    State(provider): State<SmsProvider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let expected = format!("AccessKey {}", provider.token);
    let recipients: Vec<String> = fields["recipients"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|r| r.as_str().map_or_else(|| r.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let (status, answer) = if header(&headers, "authorization").as_deref() != Some(&expected) {
        (
            StatusCode::UNAUTHORIZED,
            json!({"errors": [{"code": 2, "description": "Request not allowed (incorrect access_key)"}]}),
        )
    } else if recipients.is_empty()
        || text_of(&fields, "originator").is_empty()
        || text_of(&fields, "body").is_empty()
    {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"errors": [{"code": 9, "description": "no (correct) recipients found"}]}),
        )
    } else {
        (
            StatusCode::CREATED,
            json!({"id": "e8077d803532c0b5937c639b60216938", "direction": "mt", "body": fields["body"]}),
        )
    };
    provider.record(SmsMessage {
        provider: Provider::MessageBird,
        path: "/messages".into(),
        authorization: header(&headers, "authorization"),
        content_type: header(&headers, "content-type"),
        to: recipients.join(","),
        from: text_of(&fields, "originator"),
        text: text_of(&fields, "body"),
        fields,
        answered: status.as_u16(),
    });
    json_answer(status, answer)
}

/// Unifonic's SMS messages: the AppSid in the form; `Recipient` (digits, no `+`) and `Body`
/// required; `{"success": true, …}`.
async fn unifonic_send(
    State(provider): State<SmsProvider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body);
    let recipient = text_of(&fields, "Recipient");
    let (status, answer) = if text_of(&fields, "AppSid") != provider.token {
        (
            StatusCode::UNAUTHORIZED,
            json!({"success": false, "message": "Wrong AppSid", "errorCode": "ER-01"}),
        )
    } else if recipient.is_empty()
        || !recipient.chars().all(|c| c.is_ascii_digit())
        || text_of(&fields, "Body").is_empty()
    {
        (
            StatusCode::BAD_REQUEST,
            json!({"success": false, "message": "Invalid recipient or body", "errorCode": "ER-04"}),
        )
    } else {
        (
            StatusCode::OK,
            json!({"success": true, "message": "", "errorCode": "ER-00", "data": {"MessageID": 1, "Status": "Queued"}}),
        )
    };
    provider.record(SmsMessage {
        provider: Provider::Unifonic,
        path: "/rest/SMS/messages".into(),
        authorization: header(&headers, "authorization"),
        content_type: header(&headers, "content-type"),
        to: recipient,
        from: text_of(&fields, "SenderID"),
        text: text_of(&fields, "Body"),
        fields,
        answered: status.as_u16(),
    });
    json_answer(status, answer)
}

/// A reply as a provider posts it: headers and body.
#[derive(Debug, Clone)]
pub struct InboundReply {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

fn form(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Twilio's incoming-message webhook: a form with `From`, `To`, `Body` and the ids, signed with
/// `X-Twilio-Signature` = base64 HMAC-SHA1 (keyed by the auth token) of `url` followed by each
/// parameter's name and value, sorted by name.
pub fn twilio_reply(auth_token: &str, url: &str, from: &str, to: &str, text: &str) -> InboundReply {
    let mut params = vec![
        ("AccountSid", "AC0001"),
        ("Body", text),
        ("From", from),
        ("MessageSid", "SM0002"),
        ("NumMedia", "0"),
        ("To", to),
    ];
    params.sort();
    let mut signed = url.to_owned();
    for (name, value) in &params {
        signed.push_str(name);
        signed.push_str(value);
    }
    let mut mac =
        <Hmac<Sha1> as KeyInit>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(signed.as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    InboundReply {
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("x-twilio-signature".into(), signature),
        ],
        body: form(&params).into_bytes(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn hs256(key: &str, claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{header}.{claims}").as_bytes());
    format!(
        "{header}.{claims}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// Vonage's Messages API inbound SMS: JSON (`channel` sms, `from`, `to`, `text`, …) with
/// `Authorization: Bearer <JWT>`, HS256 with the signature secret, whose `payload_hash` is the
/// body's SHA-256.
pub fn vonage_reply(
    signature_secret: &str,
    from: &str,
    to: &str,
    text: &str,
    now_seconds: i64,
) -> InboundReply {
    let body = json!({
        "channel": "sms",
        "message_uuid": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        "to": to,
        "from": from,
        "timestamp": "2026-12-07T12:00:00Z",
        "text": text,
        "message_type": "text",
    })
    .to_string()
    .into_bytes();
    let token = hs256(
        signature_secret,
        &json!({
            "iat": now_seconds,
            "jti": "c5ba8f24-1a14-4c10-bfdf-3fbe8ce511b5",
            "iss": "Vonage",
            "payload_hash": sha256_hex(&body),
            "api_key": "vonage-key",
            "application_id": "aaaaaaaa-0000-0000-0000-000000000000",
        }),
    );
    InboundReply {
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("authorization".into(), format!("Bearer {token}")),
        ],
        body,
    }
}

/// MessageBird's inbound message: a form (`originator`, `recipient`, `body`, …) with
/// `MessageBird-Signature-JWT`, HS256 with the signing key, issued by MessageBird, valid from
/// `now` for a minute, binding the URL's and the body's SHA-256.
pub fn messagebird_reply(
    signing_key: &str,
    url: &str,
    originator: &str,
    recipient: &str,
    text: &str,
    now_seconds: i64,
) -> InboundReply {
    let body = form(&[
        ("id", "e8077d803532c0b5937c639b60216938"),
        ("recipient", recipient),
        ("originator", originator),
        ("body", text),
        ("createdDatetime", "2026-12-07T12:00:00+00:00"),
    ])
    .into_bytes();
    let token = hs256(
        signing_key,
        &json!({
            "iss": "MessageBird",
            "nbf": now_seconds,
            "exp": now_seconds + 60,
            "jti": "e8077d80-3532-c0b5-937c-639b60216938",
            "url_hash": sha256_hex(url.as_bytes()),
            "payload_hash": sha256_hex(&body),
        }),
    );
    InboundReply {
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("messagebird-signature-jwt".into(), token),
        ],
        body,
    }
}

/// A Unifonic inbound message: a form with `from`, `to` and `body`. Unifonic signs nothing;
/// the URL carries the secret as `?token=`.
pub fn unifonic_reply(from: &str, to: &str, text: &str) -> InboundReply {
    InboundReply {
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: form(&[("from", from), ("to", to), ("body", text)]).into_bytes(),
    }
}
