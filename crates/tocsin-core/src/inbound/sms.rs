//! SMS replies posted by a provider: each provider's proof that it sent the request, checked its
//! own way, then who sent the message and what it says.
//!
//! | provider | proof | message |
//! |---|---|---|
//! | Twilio | `X-Twilio-Signature`: base64 HMAC-SHA1, keyed by the auth token, of the public URL followed by every form parameter's name and value, sorted by name | form: `From`, `Body` |
//! | Vonage (Messages API) | `Authorization: Bearer <JWT>`: HS256 with the account's signature secret; its `payload_hash` claim is the body's SHA-256 | JSON: `from`, `text` |
//! | MessageBird | `MessageBird-Signature-JWT`: HS256 with the signing key, `iss` MessageBird, within `nbf`/`exp`; `url_hash` is the URL's SHA-256, `payload_hash` the body's | form or JSON: `originator`, `body` |
//! | Unifonic | none documented: the URL carries a secret, `?token=` | form or JSON: `from` (or `sender`, `originator`, `msisdn`), `body` (or `text`, `message`) |
//!
//! Every comparison of a signature or token is constant-time.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The SMS providers tocsin has presets for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Twilio,
    Vonage,
    MessageBird,
    Unifonic,
}

impl Provider {
    /// Every provider with its name in the configuration, in order.
    pub const ALL: [(&'static str, Provider); 4] = [
        ("twilio", Provider::Twilio),
        ("vonage", Provider::Vonage),
        ("messagebird", Provider::MessageBird),
        ("unifonic", Provider::Unifonic),
    ];

    /// The name as written in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Twilio => "twilio",
            Provider::Vonage => "vonage",
            Provider::MessageBird => "messagebird",
            Provider::Unifonic => "unifonic",
        }
    }
}

/// How far a MessageBird token's `nbf`/`exp` may be off this server's clock.
pub const CLOCK_LEEWAY_SECONDS: i64 = 60;

/// Why a reply was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// The provider's proof is missing or wrong: answered 403, nothing changes.
    #[error("{0}")]
    Signature(String),
    /// Signed, but not a message tocsin can read: answered 400.
    #[error("{0}")]
    Malformed(String),
}

/// Who sent a reply and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub from: String,
    pub text: String,
}

/// What a request brings, as the web layer read it.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The URL the provider called, as it knows it: `server.public_url`, the path and the query.
    pub url: &'a str,
    /// A header's value by its (lower-case) name.
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// The `token` query parameter, if any.
    pub token: Option<&'a str>,
    pub body: &'a [u8],
    pub now: Timestamp,
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("url", &self.url)
            .field("body_bytes", &self.body.len())
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// The secret a provider's replies are checked with: Twilio's auth token, Vonage's signature
/// secret, MessageBird's signing key, or the token Unifonic's URL carries.
pub fn verify(provider: Provider, secret: &str, request: &Request<'_>) -> Result<Reply, SmsError> {
    match provider {
        Provider::Twilio => twilio(secret, request),
        Provider::Vonage => vonage(secret, request),
        Provider::MessageBird => messagebird(secret, request),
        Provider::Unifonic => unifonic(secret, request),
    }
}

fn twilio(auth_token: &str, request: &Request<'_>) -> Result<Reply, SmsError> {
    let signature = (request.header)("x-twilio-signature")
        .ok_or_else(|| SmsError::Signature("the X-Twilio-Signature header is missing".into()))?;
    let params: Vec<(String, String)> = form_urlencoded::parse(request.body).into_owned().collect();
    let expected = STANDARD
        .decode(signature.trim())
        .map_err(|_| SmsError::Signature("the X-Twilio-Signature header is not base64".into()))?;
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(auth_token.as_bytes())
        .map_err(|_| SmsError::Signature("the auth token cannot key an HMAC".into()))?;
    mac.update(twilio_signed_text(request.url, &params).as_bytes());
    mac.verify_slice(&expected).map_err(|_| {
        SmsError::Signature(
            "the X-Twilio-Signature does not match this URL, the form and the auth token".into(),
        )
    })?;
    let field = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    Ok(Reply {
        from: field("From").ok_or_else(|| SmsError::Malformed("the form has no `From`".into()))?,
        text: field("Body").unwrap_or_default(),
    })
}

/// What Twilio signs: the URL, then each parameter's name and value, sorted by name (then value,
/// for a repeated name), with nothing between them.
fn twilio_signed_text(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut text = url.to_owned();
    for (name, value) in sorted {
        text.push_str(name);
        text.push_str(value);
    }
    text
}

/// `X-Twilio-Signature` for a form posted to `url`: what Twilio sends, for tests and tools.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(auth_token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(twilio_signed_text(url, params).as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn vonage(signature_secret: &str, request: &Request<'_>) -> Result<Reply, SmsError> {
    let authorization = (request.header)("authorization").ok_or_else(|| {
        SmsError::Signature("the Authorization header with Vonage's signed JWT is missing".into())
    })?;
    let token = authorization
        .trim()
        .strip_prefix("Bearer ")
        .ok_or_else(|| {
            SmsError::Signature("the Authorization header is not `Bearer <JWT>`".into())
        })?;
    let claims = verify_hs256(token.trim(), signature_secret.as_bytes())?;
    // Vonage puts the body's hash in every signed webhook; a token lifted onto another body fails.
    if let Some(hash) = claims.get("payload_hash").and_then(Value::as_str)
        && !same_text(&hash.to_ascii_lowercase(), &sha256_hex(request.body))
    {
        return Err(SmsError::Signature(
            "the JWT's payload_hash is not this body's SHA-256".into(),
        ));
    }
    let json: Value = serde_json::from_slice(request.body)
        .map_err(|err| SmsError::Malformed(format!("the body is not JSON: {err}")))?;
    Ok(Reply {
        from: string_field(&json, &["from"])
            .ok_or_else(|| SmsError::Malformed("the message has no `from`".into()))?,
        text: string_field(&json, &["text"]).unwrap_or_default(),
    })
}

fn messagebird(signing_key: &str, request: &Request<'_>) -> Result<Reply, SmsError> {
    let token = (request.header)("messagebird-signature-jwt").ok_or_else(|| {
        SmsError::Signature("the MessageBird-Signature-JWT header is missing".into())
    })?;
    let claims = verify_hs256(token.trim(), signing_key.as_bytes())?;
    if claims.get("iss").and_then(Value::as_str) != Some("MessageBird") {
        return Err(SmsError::Signature(
            "the JWT was not issued by MessageBird".into(),
        ));
    }
    let now = request.now.as_second();
    let at = |name: &str| claims.get(name).and_then(Value::as_i64);
    if at("nbf").is_some_and(|nbf| now.saturating_add(CLOCK_LEEWAY_SECONDS) < nbf)
        || at("exp").is_none_or(|exp| now.saturating_sub(CLOCK_LEEWAY_SECONDS) >= exp)
    {
        return Err(SmsError::Signature(
            "the JWT is expired or not valid yet".into(),
        ));
    }
    let url_hash = claims.get("url_hash").and_then(Value::as_str).unwrap_or("");
    if !same_text(
        &url_hash.to_ascii_lowercase(),
        &sha256_hex(request.url.as_bytes()),
    ) {
        return Err(SmsError::Signature(
            "the JWT's url_hash is not this URL's SHA-256 (is server.public_url the URL MessageBird calls?)"
                .into(),
        ));
    }
    let payload_hash = claims.get("payload_hash").and_then(Value::as_str);
    match payload_hash {
        Some(hash) if same_text(&hash.to_ascii_lowercase(), &sha256_hex(request.body)) => {}
        None if request.body.is_empty() => {}
        _ => {
            return Err(SmsError::Signature(
                "the JWT's payload_hash is not this body's SHA-256".into(),
            ));
        }
    }
    let fields = fields(request.body)?;
    Ok(Reply {
        from: string_field(&fields, &["originator"])
            .ok_or_else(|| SmsError::Malformed("the message has no `originator`".into()))?,
        text: string_field(&fields, &["body", "payload"]).unwrap_or_default(),
    })
}

fn unifonic(expected_token: &str, request: &Request<'_>) -> Result<Reply, SmsError> {
    let given = request.token.unwrap_or("");
    if given.is_empty() || !same_text(given, expected_token) {
        return Err(SmsError::Signature(
            "Unifonic signs nothing, so this URL must carry the channel's `signing_secret` as `?token=`"
                .into(),
        ));
    }
    let fields = fields(request.body)?;
    Ok(Reply {
        from: string_field(&fields, &["from", "sender", "originator", "msisdn"])
            .ok_or_else(|| SmsError::Malformed("the message has no `from`".into()))?,
        text: string_field(&fields, &["body", "text", "message"]).unwrap_or_default(),
    })
}

/// The claims of an HS256 JWT signed with `key`. Only HS256: a token naming another algorithm
/// (`none` above all) is refused, whatever it carries.
fn verify_hs256(token: &str, key: &[u8]) -> Result<Value, SmsError> {
    let bad = |why: &str| SmsError::Signature(format!("the JWT {why}"));
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("is not three dot-separated parts"));
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part.trim_end_matches('='));
    let header_json: Value = decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| bad("header is not base64url JSON"))?;
    if header_json.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(bad("is not signed with HS256"));
    }
    let signature = decode(signature).map_err(|_| bad("signature is not base64url"))?;
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| bad("key is unusable"))?;
    mac.update(header.as_bytes());
    mac.update(b".");
    mac.update(claims.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| bad("signature does not match the configured secret"))?;
    decode(claims)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .filter(Value::is_object)
        .ok_or_else(|| bad("claims are not base64url JSON"))
}

/// An HS256 JWT with these claims: what Vonage and MessageBird send, for tests and tools.
pub fn sign_hs256(key: &[u8], claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("{header}.{claims}").as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{header}.{claims}.{signature}")
}

/// Lower-case hex SHA-256, as Vonage's and MessageBird's hash claims carry it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A body's fields: JSON when it starts with `{`, else a form.
fn fields(body: &[u8]) -> Result<Value, SmsError> {
    if body.trim_ascii_start().starts_with(b"{") {
        return serde_json::from_slice(body)
            .map_err(|err| SmsError::Malformed(format!("the body is not JSON: {err}")));
    }
    Ok(Value::Object(
        form_urlencoded::parse(body)
            .into_owned()
            .map(|(key, value)| (key, Value::String(value)))
            .collect(),
    ))
}

/// The first of `names` present (any case) as a string or a number.
fn string_field(fields: &Value, names: &[&str]) -> Option<String> {
    let object = fields.as_object()?;
    names.iter().find_map(|name| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| match value {
                Value::String(text) => Some(text.clone()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            })
    })
}

/// Constant-time equality of two texts.
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(
        url: &'a str,
        header: &'a dyn Fn(&str) -> Option<String>,
        token: Option<&'a str>,
        body: &'a [u8],
    ) -> Request<'a> {
        Request {
            url,
            header,
            token,
            body,
            now: "2026-12-07T12:00:00Z".parse().expect("a time"),
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Twilio's documented example (docs/usage/security): this URL, these parameters and the
    /// auth token `12345` sign to `0/KCTR6DLpKmkAf8muzZqo1nDgQ=`.
    #[test]
    fn twilio_signatures_match_twilios_documented_example() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            twilio_signature("12345", url, &params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        let good = |name: &str| {
            (name == "x-twilio-signature").then(|| "0/KCTR6DLpKmkAf8muzZqo1nDgQ=".to_owned())
        };
        let reply = verify(
            Provider::Twilio,
            "12345",
            &request(url, &good, None, body.as_bytes()),
        )
        .expect("verified");
        assert_eq!(reply.from, "+12349013030");
        let other_url = "https://mycompany.com/myapp.php?foo=1&bar=3";
        let err = verify(
            Provider::Twilio,
            "12345",
            &request(other_url, &good, None, body.as_bytes()),
        )
        .expect_err("another URL");
        assert!(matches!(err, SmsError::Signature(_)));
    }

    #[test]
    fn jwts_are_checked_for_algorithm_key_and_hashes() {
        let body = br#"{"channel":"sms","from":"966500000001","text":"ack 123456"}"#;
        let claims = serde_json::json!({"iss": "Vonage", "payload_hash": sha256_hex(body)});
        let token = sign_hs256(b"signature-secret-0123", &claims);
        let header = |name: &str| (name == "authorization").then(|| format!("Bearer {token}"));
        let reply = verify(
            Provider::Vonage,
            "signature-secret-0123",
            &request("u", &header, None, body),
        )
        .expect("verified");
        assert_eq!(reply.text, "ack 123456");
        assert!(
            verify(
                Provider::Vonage,
                "another-secret-000000",
                &request("u", &header, None, body)
            )
            .is_err()
        );
        assert!(
            verify(
                Provider::Vonage,
                "signature-secret-0123",
                &request("u", &header, None, b"{}")
            )
            .is_err()
        );

        // `alg: none` with no signature is never accepted.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let header = |name: &str| (name == "authorization").then(|| format!("Bearer {none}"));
        assert!(
            verify(
                Provider::Vonage,
                "signature-secret-0123",
                &request("u", &header, None, body)
            )
            .is_err()
        );
    }

    #[test]
    fn messagebird_tokens_bind_the_url_and_the_time() {
        let body = b"originator=31612345678&body=123456";
        let url = "https://tocsin.example/hooks/sms/mb";
        let now = 1_796_644_800; // 2026-12-07T12:00:00Z
        let claims = |nbf: i64, url: &str| {
            serde_json::json!({
                "iss": "MessageBird", "nbf": nbf, "exp": nbf + 60,
                "url_hash": sha256_hex(url.as_bytes()), "payload_hash": sha256_hex(body),
            })
        };
        let check = |claims: Value| {
            let token = sign_hs256(b"signing-key-0123456", &claims);
            let header =
                move |name: &str| (name == "messagebird-signature-jwt").then(|| token.clone());
            verify(
                Provider::MessageBird,
                "signing-key-0123456",
                &request(url, &header, None, body),
            )
        };
        let reply = check(claims(now - 5, url)).expect("verified");
        assert_eq!(
            (reply.from.as_str(), reply.text.as_str()),
            ("31612345678", "123456")
        );
        assert!(check(claims(now - 600, url)).is_err(), "expired");
        assert!(
            check(claims(now - 5, "https://elsewhere.example/")).is_err(),
            "another URL"
        );
    }

    #[test]
    fn unifonic_needs_the_token_in_the_url() {
        let none = |_: &str| None;
        let body = b"from=966500000001&body=123456";
        let reply = verify(
            Provider::Unifonic,
            "url-token-0123456789",
            &request("u", &none, Some("url-token-0123456789"), body),
        )
        .expect("verified");
        assert_eq!(reply.from, "966500000001");
        for token in [None, Some(""), Some("wrong")] {
            assert!(matches!(
                verify(
                    Provider::Unifonic,
                    "url-token-0123456789",
                    &request("u", &none, token, body)
                ),
                Err(SmsError::Signature(_))
            ));
        }
    }
}
