//! The Slack app channel: the Web API calls it makes with the bot token (`chat.postMessage`,
//! `chat.update`, `conversations.create`, `conversations.invite`), Slack's answers read (an
//! `ok: false` is a failure even under HTTP 200; 429 carries `Retry-After`), and an incident's
//! one message drawn as Block Kit with its buttons.

use jiff::Timestamp;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use serde_json::{Value, json};
use tocsin_core::Secret;
use tocsin_core::notice::{Notice, NoticeEvent, NoticeLinks};

use crate::slack::{SECTION_TEXT_LIMIT, escape, escape_truncated};
use crate::{SendError, body_prefix, classify, error, one_line};

/// The `action_id` of the card's Acknowledge button.
pub const ACKNOWLEDGE: &str = "acknowledge";
/// The `action_id` of the card's Resolve button.
pub const RESOLVE: &str = "resolve";
/// The `action_id` prefix of an action's button: `run_action:<action id>`.
pub const RUN_ACTION: &str = "run_action:";
/// The `action_id` of the button that confirms an action tocsin asked about.
pub const CONFIRM_ACTION: &str = "confirm_action";

/// Slack's errors that say "later", not "never" (rate limits and Slack's own trouble).
const RETRYABLE_ERRORS: [&str; 5] = [
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// Calls to one Slack workspace's Web API with one bot token.
#[derive(Debug, Clone, Copy)]
pub struct SlackApi<'a> {
    client: &'a reqwest::Client,
    api_url: &'a str,
    token: &'a Secret,
}

impl<'a> SlackApi<'a> {
    pub fn new(client: &'a reqwest::Client, api_url: &'a str, token: &'a Secret) -> Self {
        Self {
            client,
            api_url,
            token,
        }
    }

    /// Calls `method` (like `chat.postMessage`) with a JSON body and answers Slack's JSON. A
    /// transport failure, an HTTP error and `ok: false` are each a [`SendError`]: retryable for
    /// timeouts, 5xx, 429 (with its `Retry-After`) and Slack's own transient errors, permanent
    /// otherwise (`channel_not_found`, `invalid_auth`, …), named in the detail.
    pub async fn call(
        &self,
        method: &str,
        body: &Value,
        now: Timestamp,
    ) -> Result<Value, SendError> {
        let url = format!("{}/{method}", self.api_url.trim_end_matches('/'));
        let url = reqwest::Url::parse(&url)
            .map_err(|err| SendError::permanent(None, format!("invalid api_url: {err}")))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {}", self.token.expose().trim()))
            .map_err(|_| {
                SendError::permanent(None, "the bot token is not a valid header value".into())
            })?;
        let payload = serde_json::to_vec(body).map_err(|err| {
            SendError::permanent(None, format!("cannot encode the payload: {err}"))
        })?;
        let response = self
            .client
            .post(url)
            .header(AUTHORIZATION, bearer)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )
            .body(payload)
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
            let body = body_prefix(response, crate::DETAIL_BODY_BYTES).await;
            classify(status, retry_after.as_deref(), &body, now)?;
            return Err(SendError::permanent(Some(status), format!("HTTP {status}")));
        }
        let answer: Value = response.json().await.map_err(|err| {
            SendError::retryable(
                Some(status),
                format!("{method}: Slack's answer is not JSON: {err}"),
            )
        })?;
        if answer["ok"].as_bool() == Some(true) {
            return Ok(answer);
        }
        let code = answer["error"].as_str().unwrap_or("no error given");
        let detail = format!("{method}: Slack answered ok=false: {code}");
        if RETRYABLE_ERRORS.contains(&code) {
            Err(SendError::retryable(Some(status), detail))
        } else {
            Err(SendError::permanent(Some(status), detail))
        }
    }
}

/// Where an incident stands, as its message shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardState<'a> {
    Open,
    Acknowledged { by: &'a str },
    Resolved { by: Option<&'a str> },
}

/// A mitigation action offered as a button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAction {
    pub id: String,
    pub title: String,
    /// Slack asks "are you sure?" before the press is sent (and tocsin asks again).
    pub confirm: bool,
}

/// An incident's one message: what it says now.
#[derive(Debug, Clone)]
pub struct Card<'a> {
    /// The incident as it is now (title, severity, summary…), in a notice's shape.
    pub notice: &'a Notice,
    pub state: CardState<'a>,
    pub links: &'a NoticeLinks,
    /// Buttons for the incident's actions, while it is open.
    pub actions: &'a [CardAction],
    /// Slack user ids to mention (the people on call), shown while it is open.
    pub mention: &'a [String],
}

/// The card as `chat.postMessage` / `chat.update` fields: `text` (notifications and the
/// fallback) and `blocks`.
pub fn card(card: &Card<'_>) -> Value {
    let notice = card.notice;
    let title = one_line(&notice.title);
    let severity = one_line(&notice.severity);
    let (emoji, state_line, state_text) = match card.state {
        CardState::Open => (
            "🚨",
            "*Open*: nobody has acknowledged it yet".to_owned(),
            String::new(),
        ),
        CardState::Acknowledged { by } => (
            "👀",
            format!("*Acknowledged* by {}", escape(&one_line(by))),
            format!(" — acknowledged by {}", escape(&one_line(by))),
        ),
        CardState::Resolved { by: Some(by) } => (
            "✅",
            format!("*Resolved* by {}", escape(&one_line(by))),
            format!(" — resolved by {}", escape(&one_line(by))),
        ),
        CardState::Resolved { by: None } => {
            ("✅", "*Resolved*".to_owned(), " — resolved".to_owned())
        }
    };
    let mut blocks = vec![json!({
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": truncate(&format!("{emoji} {severity}: {title}"), 150),
            "emoji": true,
        },
    })];
    let mut fields = vec![
        field("Severity", &severity),
        field(
            "Since",
            &notice.opened_at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        ),
    ];
    if let Some(runbook) = notice.runbook.as_deref().filter(|r| !r.trim().is_empty()) {
        fields.push(field("Runbook", runbook));
    }
    blocks.push(json!({
        "type": "section",
        "text": { "type": "mrkdwn", "text": state_line },
        "fields": fields,
    }));
    if let Some(summary) = notice.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": escape_truncated(summary.trim(), SECTION_TEXT_LIMIT) },
        }));
    }
    let open = !matches!(card.state, CardState::Resolved { .. });
    if open && !card.mention.is_empty() {
        let people: Vec<String> = card
            .mention
            .iter()
            .map(|user| format!("<@{}>", escape(user)))
            .collect();
        blocks.push(json!({
            "type": "context",
            "elements": [{ "type": "mrkdwn", "text": format!("On call: {}", people.join(" ")) }],
        }));
    }
    let mut buttons = Vec::new();
    if card.state == CardState::Open {
        buttons.push(json!({
            "type": "button",
            "action_id": ACKNOWLEDGE,
            "value": notice.incident_id,
            "style": "primary",
            "text": { "type": "plain_text", "text": "Acknowledge" },
        }));
    }
    if open {
        buttons.push(json!({
            "type": "button",
            "action_id": RESOLVE,
            "value": notice.incident_id,
            "text": { "type": "plain_text", "text": "Resolve" },
            "confirm": confirm_dialog("Resolve this incident?", &format!("{severity}: {title}"), "Resolve"),
        }));
        for action in card.actions {
            let mut button = json!({
                "type": "button",
                "action_id": format!("{RUN_ACTION}{}", action.id),
                "value": notice.incident_id,
                "text": { "type": "plain_text", "text": truncate(&one_line(&action.title), 75) },
            });
            if action.confirm {
                button["confirm"] = confirm_dialog(
                    &format!("Run “{}”?", one_line(&action.title)),
                    &format!("It runs for {severity}: {title}"),
                    "Run",
                );
                button["style"] = json!("danger");
            }
            buttons.push(button);
        }
    }
    if !card.links.incident_url.is_empty() {
        buttons.push(json!({
            "type": "button",
            "action_id": "open_incident",
            "text": { "type": "plain_text", "text": "Open incident" },
            "url": card.links.incident_url,
        }));
    }
    // Slack allows 25 elements in an actions block; the first ones matter most.
    buttons.truncate(25);
    if !buttons.is_empty() {
        blocks.push(json!({ "type": "actions", "elements": buttons }));
    }
    json!({
        "text": format!("{emoji} {}: {}{state_text}", escape(&severity), escape(&title)),
        "blocks": blocks,
    })
}

/// A reply in the incident's thread: a timeline line as `*who*: text`, any other notice (an
/// overdue response, a reminder) drawn as the incoming-webhook message is.
pub fn reply(notice: &Notice, links: &NoticeLinks) -> Value {
    if notice.event != NoticeEvent::Timeline {
        return crate::slack::render(notice, links);
    }
    let line = notice.summary.as_deref().unwrap_or("").trim();
    let text = match notice
        .actor
        .as_deref()
        .map(one_line)
        .filter(|a| !a.is_empty())
    {
        Some(actor) => format!("*{}*: {}", escape(&actor), escape(line)),
        None => escape(line),
    };
    json!({ "text": truncate(&text, SECTION_TEXT_LIMIT) })
}

/// The ephemeral answer to an action's first press: the action does not run until this
/// button (carrying `token`, which names the incident, the action and the person) is pressed.
pub fn confirmation(action_title: &str, incident_title: &str, token: &str) -> Value {
    let question = format!(
        "Run *{}* for _{}_? Nothing has run yet.",
        escape(&one_line(action_title)),
        escape(&one_line(incident_title))
    );
    json!({
        "response_type": "ephemeral",
        "replace_original": false,
        "text": question,
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": question } },
            { "type": "actions", "elements": [{
                "type": "button",
                "action_id": CONFIRM_ACTION,
                "value": token,
                "style": "danger",
                "text": { "type": "plain_text", "text": truncate(&format!("Yes, run {}", one_line(action_title)), 75) },
            }]},
        ],
    })
}

/// An ephemeral answer: only the person who pressed or typed sees it.
pub fn ephemeral(text: &str) -> Value {
    json!({ "response_type": "ephemeral", "replace_original": false, "text": text })
}

/// A name for an incident's own Slack channel: `inc-<yyyymmdd>-<title words>`, lower case,
/// letters, digits and dashes only, within Slack's 80 characters.
pub fn incident_channel_name(notice: &Notice) -> String {
    let mut slug = String::new();
    for c in notice.title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(50).collect();
    let id: String = notice
        .incident_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let date = notice.opened_at.strftime("%Y%m%d");
    let name = format!(
        "inc-{date}-{}-{}",
        slug.trim_end_matches('-'),
        id.to_lowercase()
    );
    name.replace("--", "-").chars().take(80).collect()
}

fn confirm_dialog(title: &str, text: &str, confirm: &str) -> Value {
    json!({
        "title": { "type": "plain_text", "text": truncate(title, 100) },
        "text": { "type": "mrkdwn", "text": escape_truncated(text, 300) },
        "confirm": { "type": "plain_text", "text": truncate(confirm, 30) },
        "deny": { "type": "plain_text", "text": "Cancel" },
    })
}

fn field(label: &str, value: &str) -> Value {
    json!({ "type": "mrkdwn", "text": format!("*{label}*\n{}", escape_truncated(value.trim(), 1900)) })
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(limit.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Notice {
        Notice {
            event: NoticeEvent::Opened,
            incident_id: "0190-abc123".into(),
            title: "Checkout <down> & failing".into(),
            severity: "SEV-1".into(),
            category: None,
            component: None,
            summary: None,
            opened_at: "2026-11-26T21:30:45Z".parse().expect("time"),
            runbook: None,
            actor: None,
            source: None,
        }
    }

    fn buttons(message: &Value) -> Vec<String> {
        message["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .filter(|block| block["type"] == "actions")
            .flat_map(|block| block["elements"].as_array().cloned().unwrap_or_default())
            .map(|button| button["action_id"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    #[test]
    fn an_open_card_offers_acknowledge_resolve_and_actions_with_slacks_confirm_dialog() {
        let notice = notice();
        let actions = [CardAction {
            id: "rollback".into(),
            title: "Roll back".into(),
            confirm: true,
        }];
        let links = NoticeLinks {
            incident_url: "https://tocsin.example/incidents/1".into(),
            ack_url: None,
        };
        let message = card(&Card {
            notice: &notice,
            state: CardState::Open,
            links: &links,
            actions: &actions,
            mention: &["U0SAMI".into()],
        });
        assert_eq!(
            buttons(&message),
            [
                "acknowledge",
                "resolve",
                "run_action:rollback",
                "open_incident"
            ]
        );
        let run = &message["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .find(|block| block["type"] == "actions")
            .expect("actions")["elements"][2];
        assert_eq!(run["confirm"]["confirm"]["text"], "Run");
        assert_eq!(run["value"], "0190-abc123");
        assert_eq!(
            message["text"],
            "🚨 SEV-1: Checkout &lt;down&gt; &amp; failing"
        );
        assert!(message.to_string().contains("<@U0SAMI>"));
    }

    #[test]
    fn an_acknowledged_card_says_who_and_a_resolved_one_has_no_buttons_to_press() {
        let notice = notice();
        let links = NoticeLinks::default();
        let acked = card(&Card {
            notice: &notice,
            state: CardState::Acknowledged { by: "Sami" },
            links: &links,
            actions: &[],
            mention: &[],
        });
        assert_eq!(buttons(&acked), ["resolve"]);
        assert!(
            acked["text"]
                .as_str()
                .expect("text")
                .ends_with("acknowledged by Sami")
        );
        let resolved = card(&Card {
            notice: &notice,
            state: CardState::Resolved { by: Some("Sami") },
            links: &links,
            actions: &[],
            mention: &[],
        });
        assert!(buttons(&resolved).is_empty());
    }

    #[test]
    fn a_timeline_reply_names_who_wrote_it_escaped() {
        let mut line = notice();
        line.event = NoticeEvent::Timeline;
        line.actor = Some("Sami".into());
        line.summary = Some("Rolled back <v42>".into());
        assert_eq!(
            reply(&line, &NoticeLinks::default())["text"],
            "*Sami*: Rolled back &lt;v42&gt;"
        );
    }

    #[test]
    fn incident_channel_names_are_what_slack_accepts() {
        let name = incident_channel_name(&notice());
        assert_eq!(name, "inc-20261126-checkout-down-failing-abc123");
        assert!(name.len() <= 80);
    }
}
