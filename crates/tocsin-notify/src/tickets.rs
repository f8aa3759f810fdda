//! Tickets: opening an issue through GitHub's REST API (`POST /repos/{owner}/{repo}/issues`,
//! `Authorization: Bearer`), or posting the ticket to a generic webhook signed per Standard
//! Webhooks. The answer is classified like every delivery's: 5xx, 429 and timeouts retry, other
//! 4xx fail.

use jiff::Timestamp;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Url};
use serde_json::{Value, json};
use tocsin_core::Secret;

use crate::{DETAIL_BODY_BYTES, SendError, Sender, body_prefix, classify, error, json_headers};

/// GitHub's REST API version the requests are written against.
const GITHUB_API_VERSION: HeaderName = HeaderName::from_static("x-github-api-version");
/// The longest answer read back: an issue's JSON with a long body is still far below this.
const MAX_ANSWER: usize = 1 << 20;

/// Where tickets are opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracker {
    /// GitHub issues in `repo` (`owner/name`) through the REST API at `api_url`.
    Github {
        api_url: String,
        repo: String,
        token: Secret,
    },
    /// A JSON `POST` to `url`, signed when `secret` is set.
    Webhook { url: String, secret: Option<Secret> },
}

impl Tracker {
    fn secrets(&self) -> Vec<&str> {
        match self {
            Tracker::Github { token, .. } => vec![token.expose()],
            Tracker::Webhook { secret, .. } => secret.iter().map(Secret::expose).collect(),
        }
        .into_iter()
        .filter(|value| !value.is_empty())
        .collect()
    }
}

/// One ticket to open.
#[derive(Debug, Clone, Copy)]
pub struct TicketRequest<'a> {
    /// tocsin's id for the ticket: the webhook's `webhook-id`, the same on every retry.
    pub id: &'a str,
    pub title: &'a str,
    /// Markdown; links back to the incident (and the post-mortem for an action item).
    pub body: &'a str,
    pub incident_id: &'a str,
    pub incident_url: &'a str,
    /// The action item's text, for an action item's ticket.
    pub item: Option<&'a str>,
    pub now: Timestamp,
}

/// What the tracker answered: the ticket's number and page, when it said.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Opened {
    pub number: Option<i64>,
    pub url: Option<String>,
}

impl Sender {
    /// Opens the ticket once; the outbox owns retrying.
    pub async fn open_ticket(
        &self,
        tracker: &Tracker,
        ticket: &TicketRequest<'_>,
    ) -> Result<Opened, SendError> {
        let result = match tracker {
            Tracker::Github {
                api_url,
                repo,
                token,
            } => {
                let body = encode(&json!({ "title": ticket.title, "body": ticket.body }))?;
                let answer = self
                    .call(
                        Method::POST,
                        &format!("{api_url}/repos/{repo}/issues"),
                        body,
                        github_headers(token)?,
                        ticket.now,
                    )
                    .await?;
                Ok(Opened {
                    number: answer.get("number").and_then(Value::as_i64),
                    url: answer
                        .get("html_url")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                })
            }
            Tracker::Webhook { url, secret } => {
                let body = json!({
                    "type": "ticket.open",
                    "timestamp": ticket.now,
                    "ticket": {
                        "id": ticket.id,
                        "title": ticket.title,
                        "body": ticket.body,
                        "incident": ticket.incident_id,
                        "incident_url": ticket.incident_url,
                        "action_item": ticket.item,
                    },
                });
                // The bytes signed are the bytes sent.
                let bytes = encode(&body)?;
                let headers = crate::webhook::headers(
                    secret.as_ref(),
                    ticket.id,
                    ticket.now.as_second(),
                    &bytes,
                )?;
                let answer = self
                    .call(Method::POST, url, bytes, headers, ticket.now)
                    .await?;
                // The receiver may name the ticket (`{"number": 12, "url": "…"}`); it need not.
                Ok(Opened {
                    number: answer.get("number").and_then(Value::as_i64),
                    url: answer.get("url").and_then(Value::as_str).map(str::to_owned),
                })
            }
        };
        result.map_err(|err| redacted(err, tracker))
    }

    /// One request; a 2xx answer's JSON (`null` when it has none).
    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Vec<u8>,
        headers: HeaderMap,
        now: Timestamp,
    ) -> Result<Value, SendError> {
        let url = Url::parse(url.trim())
            .map_err(|err| SendError::permanent(None, format!("invalid URL: {err}")))?;
        let response = self
            .client
            .request(method, url)
            .headers(json_headers(headers))
            .body(body)
            .send()
            .await
            .map_err(error::from_transport)?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let body = body_prefix(response, DETAIL_BODY_BYTES).await;
            classify(status, retry_after.as_deref(), &body, now)?;
            return Ok(Value::Null);
        }
        let answer = body_prefix(response, MAX_ANSWER).await;
        Ok(serde_json::from_slice(&answer).unwrap_or(Value::Null))
    }
}

fn encode(body: &Value) -> Result<Vec<u8>, SendError> {
    serde_json::to_vec(body).map_err(|err| SendError::permanent(None, err.to_string()))
}

/// GitHub's headers: the token as a bearer, the JSON media type and the API version.
fn github_headers(token: &Secret) -> Result<HeaderMap, SendError> {
    let mut headers = HeaderMap::new();
    let bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        SendError::permanent(
            None,
            "the tickets token cannot be sent as a header".to_owned(),
        )
    })?;
    headers.insert(AUTHORIZATION, bearer);
    headers.insert(
        ACCEPT,
        HeaderValue::from_static("application/vnd.github+json"),
    );
    headers.insert(GITHUB_API_VERSION, HeaderValue::from_static("2022-11-28"));
    Ok(headers)
}

fn redacted(mut err: SendError, tracker: &Tracker) -> SendError {
    for secret in tracker.secrets() {
        err.detail = err.detail.replace(secret, "[redacted]");
    }
    err
}
