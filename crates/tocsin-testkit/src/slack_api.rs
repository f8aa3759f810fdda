//! [`SlackApi`]: a local stand-in for Slack's Web API that speaks the methods tocsin's Slack app
//! calls and records every call (method, headers, body), for tests of the `slack_app` channel.
//!
//! It answers as Slack does: `POST /api/<method>` with a JSON or form body; `Authorization:
//! Bearer <token>` checked (`not_authed` without one, `invalid_auth` for another);
//! `chat.postMessage` gives `{"ok": true, "channel", "ts", "message"}` with a fresh `ts`;
//! `chat.update` answers the `channel` and `ts` it was given, `channel_not_found` or
//! `message_not_found` for ones it never posted; `conversations.create` makes `{"channel":
//! {"id", "name"}}` (`name_taken` for a name used before); `conversations.invite` checks the
//! channel exists. A test can make the next calls fail: Slack's `ok: false` with an error, or
//! HTTP 429 with `Retry-After`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

/// One Web API call the server received.
#[derive(Debug, Clone)]
pub struct SlackCall {
    /// The method, like `chat.postMessage`.
    pub method: String,
    pub headers: HeaderMap,
    /// The arguments: the JSON body, or a form body's fields as a JSON object of strings.
    pub body: Value,
    /// What it answered: the HTTP status and Slack's JSON.
    pub status: u16,
    pub answer: Value,
}

impl SlackCall {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The call's text argument (`text`), or "".
    pub fn text(&self) -> &str {
        self.body["text"].as_str().unwrap_or("")
    }
}

/// A failure the next call (of any method) gets instead of its answer.
#[derive(Debug, Clone)]
enum Failure {
    /// `{"ok": false, "error": <error>}` under HTTP 200, as Slack answers.
    Error(String),
    /// HTTP 429 with `Retry-After: <seconds>` and `{"ok": false, "error": "ratelimited"}`.
    RateLimited(u64),
}

#[derive(Debug, Default)]
struct World {
    calls: Vec<SlackCall>,
    /// Posted messages: (channel, ts).
    messages: Vec<(String, String)>,
    /// Channels: the configured ones and those created, (id, name).
    channels: Vec<(String, String)>,
    failures: VecDeque<Failure>,
    next: u64,
}

/// The local Slack Web API. Its base URL (`api_url` in a `slack_app` channel) is [`SlackApi::api_url`].
#[derive(Debug, Clone)]
pub struct SlackApi {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    token: String,
    world: Arc<Mutex<World>>,
}

impl SlackApi {
    /// Serves on a free loopback port; calls must carry `token` as their bearer token, and may
    /// post to any of `channels` (channel ids).
    pub async fn start(token: &str, channels: &[&str]) -> SlackApi {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the Slack API stand-in");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let world = World {
            channels: channels
                .iter()
                .map(|id| ((*id).to_owned(), (*id).to_lowercase()))
                .collect(),
            ..World::default()
        };
        let api = SlackApi {
            url,
            token: token.to_owned(),
            world: Arc::new(Mutex::new(world)),
        };
        let app = Router::new()
            .route("/api/{method}", post(call))
            .with_state(api.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        api
    }

    /// What a `slack_app` channel's `api_url` should be.
    pub fn api_url(&self) -> String {
        format!("{}/api", self.url)
    }

    /// Every call so far, in arrival order.
    pub fn calls(&self) -> Vec<SlackCall> {
        self.lock().calls.clone()
    }

    /// The calls of one method (`chat.update`…), in arrival order.
    pub fn calls_to(&self, method: &str) -> Vec<SlackCall> {
        self.calls()
            .into_iter()
            .filter(|call| call.method == method)
            .collect()
    }

    /// The next call answers `ok: false` with `error` (like `"channel_not_found"`).
    pub fn fail_next(&self, error: &str) {
        self.lock()
            .failures
            .push_back(Failure::Error(error.to_owned()));
    }

    /// The next call answers HTTP 429 with `Retry-After: <seconds>`.
    pub fn rate_limit_next(&self, seconds: u64) {
        self.lock()
            .failures
            .push_back(Failure::RateLimited(seconds));
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The arguments of a call: JSON, else form fields.
fn arguments(headers: &HeaderMap, body: &[u8]) -> Value {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if json {
        return serde_json::from_slice(body).unwrap_or(Value::Null);
    }
    let mut fields = Map::new();
    for pair in String::from_utf8_lossy(body).split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !key.is_empty() {
            fields.insert(decode(key), Value::String(decode(value)));
        }
    }
    Value::Object(fields)
}

/// Percent-decoding of a form field (`+` is a space).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&text[i + 1..i + 3], 16) {
                Ok(byte) => {
                    out.push(byte);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn call(
    State(api): State<SlackApi>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let arguments = arguments(&headers, &body);
    let mut world = api.lock();
    let (status, answer, retry_after) = answer(&api, &mut world, &method, &headers, &arguments);
    world.calls.push(SlackCall {
        method,
        headers,
        body: arguments,
        status: status.as_u16(),
        answer: answer.clone(),
    });
    drop(world);
    let mut response = (status, axum::Json(answer)).into_response();
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&seconds.to_string()).expect("digits"),
        );
    }
    response
}

fn ok(fields: Value) -> Value {
    let mut answer = json!({ "ok": true });
    if let (Some(answer), Value::Object(fields)) = (answer.as_object_mut(), fields) {
        answer.extend(fields);
    }
    answer
}

fn error(code: &str) -> Value {
    json!({ "ok": false, "error": code })
}

fn answer(
    api: &SlackApi,
    world: &mut World,
    method: &str,
    headers: &HeaderMap,
    arguments: &Value,
) -> (StatusCode, Value, Option<u64>) {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match bearer {
        None => return (StatusCode::OK, error("not_authed"), None),
        Some(token) if token != api.token => return (StatusCode::OK, error("invalid_auth"), None),
        Some(_) => {}
    }
    match world.failures.pop_front() {
        Some(Failure::Error(code)) => return (StatusCode::OK, error(&code), None),
        Some(Failure::RateLimited(seconds)) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                error("ratelimited"),
                Some(seconds),
            );
        }
        None => {}
    }
    let argument = |name: &str| arguments[name].as_str().unwrap_or("").to_owned();
    let known = |world: &World, channel: &str| world.channels.iter().any(|(id, _)| id == channel);
    let answer = match method {
        "chat.postMessage" => {
            let channel = argument("channel");
            if !known(world, &channel) {
                error("channel_not_found")
            } else if argument("text").is_empty() && arguments["blocks"].is_null() {
                error("no_text")
            } else {
                world.next += 1;
                let ts = format!("{}.{:06}", 1_764_115_200 + world.next, world.next);
                world.messages.push((channel.clone(), ts.clone()));
                let mut message = json!({ "type": "message", "text": argument("text"), "ts": ts });
                if let Some(thread) = arguments["thread_ts"].as_str() {
                    message["thread_ts"] = thread.into();
                }
                ok(json!({ "channel": channel, "ts": ts, "message": message }))
            }
        }
        "chat.update" => {
            let (channel, ts) = (argument("channel"), argument("ts"));
            if !known(world, &channel) {
                error("channel_not_found")
            } else if !world.messages.contains(&(channel.clone(), ts.clone())) {
                error("message_not_found")
            } else {
                ok(json!({ "channel": channel, "ts": ts, "text": argument("text") }))
            }
        }
        "conversations.create" => {
            let name = argument("name");
            if name.is_empty() {
                error("invalid_name_required")
            } else if world.channels.iter().any(|(_, taken)| *taken == name) {
                error("name_taken")
            } else {
                world.next += 1;
                let id = format!("C0NEW{:05}", world.next);
                world.channels.push((id.clone(), name.clone()));
                ok(json!({ "channel": { "id": id, "name": name, "is_channel": true } }))
            }
        }
        "conversations.invite" => {
            let channel = argument("channel");
            if !known(world, &channel) {
                error("channel_not_found")
            } else if argument("users").is_empty() {
                error("no_user")
            } else {
                ok(json!({ "channel": { "id": channel } }))
            }
        }
        _ => error("unknown_method"),
    };
    (StatusCode::OK, answer, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn posts_updates_and_checks_the_token_as_slack_does() {
        let api = SlackApi::start("xoxb-test", &["C0ALERTS"]).await;
        let client = reqwest::Client::new();
        let post = |method: &str, token: &str, body: Value| {
            client
                .post(format!("{}/{method}", api.api_url()))
                .bearer_auth(token)
                .json(&body)
                .send()
        };
        let posted: Value = post(
            "chat.postMessage",
            "xoxb-test",
            json!({ "channel": "C0ALERTS", "text": "hi" }),
        )
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
        assert_eq!(posted["ok"], true);
        let ts = posted["ts"].as_str().expect("ts").to_owned();
        let updated: Value = post(
            "chat.update",
            "xoxb-test",
            json!({ "channel": "C0ALERTS", "ts": ts, "text": "edited" }),
        )
        .await
        .expect("update")
        .json()
        .await
        .expect("json");
        assert_eq!(updated["ts"], ts.as_str());
        let forged: Value = post(
            "chat.postMessage",
            "xoxb-other",
            json!({ "channel": "C0ALERTS", "text": "x" }),
        )
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
        assert_eq!(forged["error"], "invalid_auth");
        api.rate_limit_next(7);
        let limited = post(
            "chat.postMessage",
            "xoxb-test",
            json!({ "channel": "C0ALERTS", "text": "x" }),
        )
        .await
        .expect("post");
        assert_eq!(limited.status(), 429);
        assert_eq!(limited.headers()["retry-after"], "7");
        let calls = api.calls();
        assert_eq!(calls.len(), 4);
        assert_eq!(calls[1].method, "chat.update");
        assert_eq!(calls[1].header("authorization"), Some("Bearer xoxb-test"));
        assert_eq!(calls[1].text(), "edited");
    }

    #[test]
    fn form_bodies_are_read_as_fields() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert_eq!(
            arguments(&headers, b"channel=C1&text=a+b%21"),
            json!({ "channel": "C1", "text": "a b!" })
        );
    }
}
