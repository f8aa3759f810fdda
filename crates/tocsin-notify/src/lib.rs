//! tocsin-notify: delivers a notice to one channel and says whether a failed delivery is worth
//! retrying.
//!
//! One module per channel kind renders the notice in that channel's format; [`Sender`] sends it and
//! [`classify`] (or, for e-mail, the SMTP reply) turns the answer into `Ok` or a [`SendError`].
//! Nothing here reads the clock: the delivery carries `now`. [`throttle`] is the pure per-contact
//! rate limit the engine applies before a send.

pub mod email;
mod error;
pub mod http_template;
pub mod slack;
pub mod slack_app;
pub mod sms;
pub mod throttle;
pub mod tickets;
pub mod webhook;

use std::time::Duration;

use jiff::Timestamp;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Response, Url};
use tocsin_core::Secret;
use tocsin_core::notice::{Notice, NoticeLinks};

pub use email::{Mailer, SmtpSettings, Tls};
pub use error::{DETAIL_BODY_BYTES, MAX_RETRY_AFTER, SendError, classify};
pub use throttle::Throttle;

/// The user agent every delivery sends, so a receiver's logs say who is calling.
pub const USER_AGENT: &str = concat!("tocsin/", env!("CARGO_PKG_VERSION"));

/// How long one delivery may take, connect to last byte. Long enough for a slow receiver, short
/// enough that one dead endpoint does not hold up the outbox.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Where a notice goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Slack incoming webhook. The whole URL is the credential, so it is a [`Secret`].
    Slack { webhook_url: Secret },
    /// A Slack app's channel, through the Web API with a bot token. Incident notices are sent by
    /// the engine as one message per incident ([`slack_app`]); [`Sender::send`] posts any other
    /// notice (a drill's report, the weekly digest) as a message of its own.
    SlackApp {
        bot_token: Secret,
        /// The Slack channel's id.
        channel: String,
        api_url: String,
    },
    /// A generic HTTPS endpoint, sent Standard Webhooks headers and signed when `secret` is set.
    Webhook { url: String, secret: Option<Secret> },
    /// E-mail through the [`Sender`]'s [`Mailer`]. `to` is the channel's address; a delivery that
    /// pages a person ([`Delivery::to`]) goes to that person instead. `locale_rtl` lays the HTML
    /// part out right-to-left (Arabic).
    Email { to: String, locale_rtl: bool },
    /// Any provider's HTTP API (SMS, voice, chat): the body is a template filled in per delivery;
    /// see [`http_template`] for the values and filters. Header values are secrets (API keys);
    /// with `secret` the request is also signed per Standard Webhooks.
    HttpTemplate {
        method: String,
        url: String,
        headers: Vec<(String, Secret)>,
        body: String,
        secret: Option<Secret>,
    },
    /// SMS through a provider's own API (see [`sms`]); pages people only.
    Sms(sms::SmsTarget),
}

impl Target {
    /// The values that must never show up in an error's detail.
    fn secrets(&self) -> Vec<&str> {
        let secrets: Vec<&Secret> = match self {
            Target::Slack { webhook_url } => vec![webhook_url],
            Target::SlackApp { bot_token, .. } => vec![bot_token],
            Target::Webhook { secret, .. } => secret.iter().collect(),
            Target::Email { .. } => Vec::new(),
            Target::HttpTemplate {
                headers, secret, ..
            } => headers
                .iter()
                .map(|(_, value)| value)
                .chain(secret.as_ref())
                .collect(),
            Target::Sms(sms) => vec![&sms.token],
        };
        secrets
            .into_iter()
            .map(Secret::expose)
            .filter(|value| !value.is_empty())
            .collect()
    }
}

/// One attempt to deliver one notice.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The idempotency key, sent as Standard Webhooks' `webhook-id`: the same for every retry of
    /// this delivery, so a receiver can drop duplicates.
    pub id: &'a str,
    pub notice: &'a Notice,
    pub links: &'a NoticeLinks,
    /// The time of this attempt: signs `webhook-timestamp` and dates an HTTP-date `Retry-After`.
    pub now: Timestamp,
    /// The paged person's phone number or address, when this delivery pages a person.
    pub to: Option<&'a str>,
    /// The code a reply may carry to acknowledge (an SMS page's), written into the text.
    pub reply_code: Option<&'a str>,
}

/// Sends notices to their targets over one shared HTTP client and, when e-mail is configured,
/// one [`Mailer`].
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    mailer: Option<Mailer>,
    /// A second mailer with its own connections, for mail that waits behind pages.
    bulk_mailer: Option<Mailer>,
}

impl Sender {
    /// Wraps a client; use [`http_client`] unless a test needs something else. Without
    /// [`Sender::with_mailer`], e-mail targets fail permanently.
    pub fn new(client: reqwest::Client) -> Self {
        Self {
            client,
            mailer: None,
            bulk_mailer: None,
        }
    }

    /// Adds the mailer that [`Target::Email`] deliveries go through.
    pub fn with_mailer(mut self, mailer: Mailer) -> Self {
        self.mailer = Some(mailer);
        self
    }

    /// Adds the mailer for mail that must not take the pages' SMTP connections (status-page
    /// subscribers'); see [`Sender::bulk_mailer`].
    pub fn with_bulk_mailer(mut self, mailer: Mailer) -> Self {
        self.bulk_mailer = Some(mailer);
        self
    }

    /// The bulk mailer, else the one mailer when no second was added.
    pub fn bulk_mailer(&self) -> Option<&Mailer> {
        self.bulk_mailer.as_ref().or(self.mailer.as_ref())
    }

    /// Slack's Web API at `api_url` with `token`, over this sender's client.
    pub fn slack_api<'a>(&'a self, api_url: &'a str, token: &'a Secret) -> slack_app::SlackApi<'a> {
        slack_app::SlackApi::new(&self.client, api_url, token)
    }

    /// The mailer, when `[smtp]` is configured (for mail that is not a notice).
    pub fn mailer(&self) -> Option<&Mailer> {
        self.mailer.as_ref()
    }

    /// Delivers once. No retries here: the outbox owns retrying, guided by the error's
    /// `retryable` and `retry_after`.
    pub async fn send(&self, target: &Target, delivery: &Delivery<'_>) -> Result<(), SendError> {
        let result = match target {
            Target::Slack { webhook_url } => {
                let body = encode(&slack::render(delivery.notice, delivery.links))?;
                self.request(
                    Method::POST,
                    webhook_url.expose(),
                    body,
                    json_headers(HeaderMap::new()),
                    delivery.now,
                )
                .await
            }
            Target::SlackApp {
                bot_token,
                channel,
                api_url,
            } => {
                let mut message = slack::render(delivery.notice, delivery.links);
                message["channel"] = serde_json::Value::String(channel.clone());
                self.slack_api(api_url, bot_token)
                    .call("chat.postMessage", &message, delivery.now)
                    .await
                    .map(|_| ())
            }
            Target::Webhook { url, secret } => {
                let body = encode(&webhook::render(delivery))?;
                let headers = webhook::headers(
                    secret.as_ref(),
                    delivery.id,
                    delivery.now.as_second(),
                    &body,
                )?;
                self.request(Method::POST, url, body, json_headers(headers), delivery.now)
                    .await
            }
            Target::Email { to, locale_rtl } => {
                // The mailer scrubs its own password from details.
                let Some(mailer) = &self.mailer else {
                    return Err(SendError::permanent(
                        None,
                        "e-mail is not configured: add an [smtp] section".to_owned(),
                    ));
                };
                let recipient = delivery.to.filter(|to| !to.trim().is_empty()).unwrap_or(to);
                mailer.send(recipient, delivery, *locale_rtl).await
            }
            Target::HttpTemplate {
                method,
                url,
                headers,
                body,
                secret,
            } => {
                let (method, headers, body) =
                    http_template::request(method, headers, body, secret.as_ref(), delivery)?;
                self.request(method, url, body, headers, delivery.now).await
            }
            Target::Sms(sms) => {
                let (method, url, headers, body) = sms::request(sms, delivery)?;
                self.request(method, &url, body, headers, delivery.now)
                    .await
            }
        };
        // Belt and braces: no path above should echo a secret, but a receiver might echo the
        // request back in its error body, and details end up in logs and the UI.
        result.map_err(|mut err| {
            for secret in target.secrets() {
                err.detail = err.detail.replace(secret, "[redacted]");
            }
            err
        })
    }

    async fn request(
        &self,
        method: Method,
        url: &str,
        body: Vec<u8>,
        headers: HeaderMap,
        now: Timestamp,
    ) -> Result<(), SendError> {
        // Parsed here so a bad URL is a permanent error that does not echo the URL (for Slack the
        // URL is the secret).
        let url = Url::parse(url.trim())
            .map_err(|err| SendError::permanent(None, format!("invalid URL: {err}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SendError::permanent(
                None,
                format!(
                    "invalid URL: scheme \"{}\" is not http or https",
                    url.scheme()
                ),
            ));
        }
        let response = self
            .client
            .request(method, url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(error::from_transport)?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(());
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = body_prefix(response, DETAIL_BODY_BYTES).await;
        classify(status, retry_after.as_deref(), &body, now)
    }
}

/// The first `limit` bytes of the answer, for the error detail. A body that fails to arrive only
/// costs the detail its excerpt: the status already decides the outcome.
pub(crate) async fn body_prefix(mut response: Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let take = chunk.len().min(limit - body.len());
                body.extend_from_slice(&chunk[..take]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    body
}

/// `headers` with `Content-Type: application/json`.
pub(crate) fn json_headers(mut headers: HeaderMap) -> HeaderMap {
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers
}

fn encode(payload: &serde_json::Value) -> Result<Vec<u8>, SendError> {
    serde_json::to_vec(payload)
        .map_err(|err| SendError::permanent(None, format!("cannot encode the payload: {err}")))
}

/// The HTTP client deliveries share.
///
/// No proxy (see [`try_http_client_via`] for the operator's), a [`TIMEOUT`] per
/// delivery, and no redirects: Standard Webhooks treats a 3xx as a failure, and following one
/// would re-send a signed payload (or a Slack payload) to wherever the receiver points.
///
/// # Panics
///
/// Only if the TLS backend cannot be initialised, which happens at start-up and never depends on
/// network input; use [`try_http_client`] to handle that case yourself.
pub fn http_client() -> reqwest::Client {
    try_http_client().unwrap_or_else(|err| panic!("cannot build the notify HTTP client: {err}"))
}

/// [`http_client`], returning the error instead of panicking when the TLS backend is unusable.
pub fn try_http_client() -> Result<reqwest::Client, reqwest::Error> {
    builder().build()
}

/// [`try_http_client`] through the operator's proxy: `http` for `http://` URLs, `https` for
/// `https://` ones, each skipped for the hosts `no_proxy` names (`NO_PROXY`'s syntax). Only the
/// proxies passed here are used, never the process environment's behind the caller's back.
pub fn try_http_client_via(
    http: Option<&str>,
    https: Option<&str>,
    no_proxy: Option<&str>,
) -> Result<reqwest::Client, reqwest::Error> {
    let bypass = || no_proxy.and_then(reqwest::NoProxy::from_string);
    let mut builder = builder();
    if let Some(url) = http {
        builder = builder.proxy(reqwest::Proxy::http(url)?.no_proxy(bypass()));
    }
    if let Some(url) = https {
        builder = builder.proxy(reqwest::Proxy::https(url)?.no_proxy(bypass()));
    }
    builder.build()
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_backend_rustls()
        .no_proxy()
        .user_agent(USER_AGENT)
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
}

/// Collapses whitespace (including newlines) so user-written text fits one-line fields.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_never_show_their_secrets_in_debug() {
        let slack = Target::Slack {
            webhook_url: Secret::new("https://hooks.slack.com/services/T0/B0/sekrit"),
        };
        let webhook = Target::Webhook {
            url: "https://example.com/hook".into(),
            secret: Some(Secret::new("whsec_sekrit")),
        };
        let template = Target::HttpTemplate {
            method: "POST".into(),
            url: "https://api.example.com/sms".into(),
            headers: vec![("Authorization".into(), Secret::new("Bearer sekrit"))],
            body: "{}".into(),
            secret: Some(Secret::new("whsec_sekrit")),
        };
        assert!(!format!("{slack:?}").contains("sekrit"));
        assert!(!format!("{webhook:?}").contains("sekrit"));
        assert!(!format!("{template:?}").contains("sekrit"));
        assert_eq!(template.secrets(), ["Bearer sekrit", "whsec_sekrit"]);
        assert!(format!("{webhook:?}").contains("https://example.com/hook"));
    }
}
