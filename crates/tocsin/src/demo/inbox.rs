//! The demo's inbox: every message tocsin sent — to Slack, to the SMS relay, by e-mail — kept in
//! memory in the order it arrived, with the acknowledge link it carried.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::Demo;

/// How a message reached the inbox; the page groups and labels by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Medium {
    Slack,
    Sms,
    Email,
}

/// One message that reached the demo inbox.
#[derive(Debug, Clone, Serialize)]
pub struct InboxMessage {
    pub at: Timestamp,
    pub medium: Medium,
    /// Who it was for: the Slack channel, the phone number, the e-mail address.
    pub to: String,
    pub subject: Option<String>,
    pub text: String,
    pub ack_url: Option<String>,
    /// The message's own language and direction (an Arabic e-mail says `dir="rtl"`).
    pub lang: Option<String>,
    pub rtl: bool,
    /// What the demo did with it on the reader's behalf, if anything.
    pub note: Option<String>,
}

/// The messages, oldest first. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct Inbox(Arc<Mutex<Vec<InboxMessage>>>);

impl Inbox {
    pub fn push(&self, message: InboxMessage) {
        // A panic elsewhere while holding the lock leaves a list that is still worth showing.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(message);
    }

    /// Every message, oldest first.
    pub fn messages(&self) -> Vec<InboxMessage> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// `GET /demo/inbox`: the messages as JSON, oldest first.
pub async fn list(State(demo): State<Demo>) -> Json<Value> {
    Json(serde_json::json!({ "messages": demo.inbox.messages() }))
}

/// The first `http(s)://…` link in `text` whose path contains `marker` (`/ack/`).
pub fn link_in(text: &str, marker: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '|' || c == '"')
        .find(|word| {
            (word.starts_with("http://") || word.starts_with("https://")) && word.contains(marker)
        })
        .map(str::to_owned)
}

/// The first string anywhere in the payload that is an acknowledge link.
fn find_ack_url(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => link_in(text, "/ack/"),
        Value::Array(items) => items.iter().find_map(find_ack_url),
        Value::Object(map) => map.values().find_map(find_ack_url),
        _ => None,
    }
}

/// Slack's `<url|label>` links, shown as their label (the link itself is the button beside).
fn readable(slack_text: &str) -> String {
    let mut out = String::new();
    let mut rest = slack_text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('>') {
            Some(close) => {
                let link = &after[..close];
                out.push_str(link.split_once('|').map_or(link, |(_, label)| label));
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The time shown beside a message: the engine's clock, to the second.
pub fn arrived(demo: &Demo) -> Timestamp {
    let at = demo
        .engine
        .get()
        .map(|engine| engine.now())
        .unwrap_or_default();
    at.round(jiff::Unit::Second).unwrap_or(at)
}

fn record(demo: &Demo, medium: Medium, to: String, payload: &Value) {
    demo.inbox.push(InboxMessage {
        at: arrived(demo),
        medium,
        to,
        subject: None,
        text: readable(payload["text"].as_str().unwrap_or_default()),
        ack_url: find_ack_url(payload),
        lang: None,
        rtl: false,
        note: None,
    });
}

/// `POST /demo/inbox/slack`: what would have gone to #dealix-alerts.
pub async fn receive_slack(State(demo): State<Demo>, Json(payload): Json<Value>) -> &'static str {
    record(&demo, Medium::Slack, "#dealix-alerts".to_owned(), &payload);
    "ok"
}

/// `POST /demo/inbox/sms`: the SMS relay's webhook; `to` is the paged person's phone.
pub async fn receive_sms(State(demo): State<Demo>, Json(payload): Json<Value>) -> StatusCode {
    let to = payload["to"].as_str().unwrap_or("the SMS relay").to_owned();
    record(&demo, Medium::Sms, to, &payload);
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_links_read_as_their_labels() {
        assert_eq!(
            readable("SEV-1: down · <http://x/ack/t|Acknowledge> <b"),
            "SEV-1: down · Acknowledge <b"
        );
    }

    #[test]
    fn links_are_found_in_text_and_in_slack_markup() {
        assert_eq!(
            link_in(
                "Acknowledge: http://h/ack/abc\nIncident: http://h/incidents/1",
                "/ack/"
            )
            .as_deref(),
            Some("http://h/ack/abc")
        );
        assert_eq!(
            find_ack_url(
                &serde_json::json!({"blocks": [{"text": "<http://h/ack/x|Acknowledge>"}]})
            )
            .as_deref(),
            Some("http://h/ack/x")
        );
        assert_eq!(link_in("no link /ack/ here", "/ack/"), None);
    }
}
