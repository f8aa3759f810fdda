//! The Slack app (`type = "slack_app"`) against a local server that speaks Slack's Web API and
//! records every call: one page is one `chat.postMessage`; acknowledging, resolving and changing
//! the severity update that same message (`chat.update` of its `ts`); timeline lines are thread
//! replies; signed buttons acknowledge, resolve and run actions (a `confirm = true` action only
//! after its confirmation, once); `/tocsin` declares, acknowledges, resolves and says who is on
//! call; a SEV-1 gets a channel of its own with the on-call invited; forged or stale requests
//! get 401 and change nothing; Slack's 429 is retried after its `Retry-After`.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use tocsin_testkit::{SlackApi, SlackCall};

use crate::support::{Sink, TOKEN, TestApp};

const BOT_TOKEN: &str = "xoxb-test-bot-token-0001";
const SIGNING: &str = "slack-app-signing-secret-0123";
const CHANNEL: &str = "C0DEALIX01";
const SAMI: &str = "U0SAMI0001";

fn config(api: &SlackApi, actions: &Sink) -> String {
    format!(
        r#"
[server]
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "{TOKEN}"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"
locales = ["en"]

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = ["slack-app"]

[[severity]]
id = "SEV-2"
definition = "Partial outage"
respond_within = "1h"
notify = ["slack-app"]

[[contact]]
id = "sami"
name = "Sami"
slack = "{SAMI}"
phone = "+966500000001"
methods = ["pager"]

[[channel]]
id = "pager"
type = "webhook"
url = "{actions}/pager"

[[schedule]]
id = "primary"
timezone = "Asia/Riyadh"
rotation = {{ members = ["sami"], every = "1w", handoff = "sun 09:00" }}

[[channel]]
id = "slack-app"
type = "slack_app"
bot_token = "{BOT_TOKEN}"
signing_secret = "{SIGNING}"
channel = "{CHANNEL}"
api_url = "{api}"
incident_channels = ["SEV-1"]

[[action]]
id = "restart"
title = "Restart checkout"
type = "http"
url = "{actions}/restart"
confirm = true
"#,
        api = api.api_url(),
        actions = actions.url,
    )
}

struct World {
    app: TestApp,
    slack: SlackApi,
    actions: Sink,
}

async fn world() -> World {
    let slack = SlackApi::start(BOT_TOKEN, &[CHANNEL]).await;
    let actions = Sink::start().await;
    let app = TestApp::start(&config(&slack, &actions)).await;
    World {
        app,
        slack,
        actions,
    }
}

impl World {
    async fn declare(&self, severity: &str) -> String {
        let (status, body) = self
            .app
            .post(
                "/api/v1/incidents",
                json!({ "title": "Checkout is down", "severity": severity }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        self.app.settle().await;
        body["id"].as_str().expect("id").to_owned()
    }

    /// The posts that are not thread replies: the incidents' messages.
    fn roots(&self) -> Vec<SlackCall> {
        self.slack
            .calls_to("chat.postMessage")
            .into_iter()
            .filter(|call| call.body["thread_ts"].is_null())
            .collect()
    }

    fn replies(&self, ts: &str) -> Vec<SlackCall> {
        self.slack
            .calls_to("chat.postMessage")
            .into_iter()
            .filter(|call| call.body["thread_ts"] == ts)
            .collect()
    }

    /// The thread replies that are not the declaration's own timeline line ("Nobody is
    /// paged…"): that line waits for the message, so whether it is already posted depends on
    /// which of the two deliveries a round sent first.
    fn replies_after_opening(&self, ts: &str) -> Vec<SlackCall> {
        self.replies(ts)
            .into_iter()
            .filter(|call| !call.text().contains("Nobody is paged"))
            .collect()
    }

    async fn incident(&self, id: &str) -> Value {
        self.app.get(&format!("/api/v1/incidents/{id}")).await.1
    }

    /// Posts a form to a Slack app route, signed `at` (Unix seconds) with `secret`.
    async fn signed(&self, path: &str, body: &str, at: i64, secret: &str) -> (u16, Value) {
        let response = self
            .app
            .http
            .post(self.app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", at.to_string())
            .header("x-slack-signature", signature(secret, at, body))
            .body(body.to_owned())
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A button press by `user`, signed now.
    async fn press(&self, action_id: &str, value: &str, user: &str) -> (u16, Value) {
        let now = self.app.now().as_second();
        self.signed(
            "/hooks/slack/interactive",
            &press_body(action_id, value, user),
            now,
            SIGNING,
        )
        .await
    }

    /// `/tocsin <text>` typed by `user`, signed now.
    async fn command(&self, text: &str, user: &str) -> (u16, Value) {
        let body = form(&[
            ("token", "unused"),
            ("team_id", "T0DEALIX"),
            ("channel_id", CHANNEL),
            ("user_id", user),
            ("user_name", "sami.k"),
            ("command", "/tocsin"),
            ("text", text),
            ("response_url", "https://hooks.slack.com/commands/T0/1/x"),
            ("trigger_id", "1.2.3"),
        ]);
        let now = self.app.now().as_second();
        self.signed("/hooks/slack/commands", &body, now, SIGNING)
            .await
    }
}

fn form(fields: &[(&str, &str)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (key, value) in fields {
        form.append_pair(key, value);
    }
    form.finish()
}

/// A `block_actions` payload as Slack sends it for a button press.
fn press_body(action_id: &str, value: &str, user: &str) -> String {
    let payload = json!({
        "type": "block_actions",
        "user": { "id": user, "username": "sami.k", "name": "sami.k", "team_id": "T0DEALIX" },
        "api_app_id": "A0TOCSIN",
        "container": { "type": "message", "message_ts": "1.1", "channel_id": CHANNEL },
        "channel": { "id": CHANNEL, "name": "incidents" },
        "response_url": "https://hooks.slack.com/actions/T0/1/x",
        "actions": [{ "type": "button", "action_id": action_id, "block_id": "b1", "value": value, "action_ts": "1.2" }],
    });
    form(&[("payload", &payload.to_string())])
}

fn signature(secret: &str, at: i64, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("v0:{at}:{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("v0={hex}")
}

/// The buttons of a message, by `action_id`.
fn button(message: &Value, action_id: &str) -> Option<Value> {
    message["blocks"]
        .as_array()?
        .iter()
        .filter(|block| block["type"] == "actions")
        .flat_map(|block| block["elements"].as_array().cloned().unwrap_or_default())
        .find(|element| element["action_id"] == action_id)
}

#[tokio::test]
async fn one_page_is_one_post_and_acknowledging_updates_that_message_with_who() {
    let w = world().await;
    let id = w.declare("SEV-2").await;
    let roots = w.roots();
    assert_eq!(roots.len(), 1, "one page, one chat.postMessage: {roots:#?}");
    let post = &roots[0];
    assert_eq!(
        post.header("authorization"),
        Some(format!("Bearer {BOT_TOKEN}").as_str())
    );
    assert_eq!(post.body["channel"], CHANNEL);
    assert!(
        button(&post.body, "acknowledge").is_some(),
        "{:#}",
        post.body
    );
    let ts = post.answer["ts"].as_str().expect("ts").to_owned();
    assert!(w.slack.calls_to("chat.update").is_empty());

    // Acknowledged in tocsin's web UI, not in Slack.
    let added = crate::ui::tocsin_user(
        &w.app,
        &["add", "dana@example.com", "--role", "responder"],
        crate::ui::PASSWORD,
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let mut browser = crate::ui::Browser::new(&w.app);
    browser
        .sign_in("dana@example.com", crate::ui::PASSWORD)
        .await;
    let page = browser.get(&format!("/incidents/{id}")).await;
    let token = crate::ui::csrf(&page.body);
    let acked = browser
        .post(
            &format!("/incidents/{id}/acknowledge"),
            &[("csrf", token.as_str())],
        )
        .await;
    assert_eq!(
        acked.status,
        reqwest::StatusCode::SEE_OTHER,
        "{}",
        acked.body
    );
    w.app.settle().await;
    let who = w.incident(&id).await["acknowledged_by"]
        .as_str()
        .expect("acknowledged_by")
        .to_owned();
    let updates = w.slack.calls_to("chat.update");
    assert_eq!(updates.len(), 1, "exactly one chat.update: {updates:#?}");
    assert_eq!(updates[0].body["ts"], ts.as_str());
    assert_eq!(updates[0].body["channel"], CHANNEL);
    assert!(
        updates[0]
            .text()
            .contains(&format!("acknowledged by {who}")),
        "{}",
        updates[0].text()
    );
    assert!(button(&updates[0].body, "acknowledge").is_none());
    assert!(button(&updates[0].body, "resolve").is_some());
    assert_eq!(w.roots().len(), 1, "still one message");
    let replies = w.replies_after_opening(&ts);
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(
        replies[0]
            .text()
            .contains(&format!("Acknowledged by {who}"))
    );
}

#[tokio::test]
async fn notes_are_thread_replies_and_severity_and_resolution_redraw_the_message() {
    let w = world().await;
    let id = w.declare("SEV-2").await;
    let ts = w.roots()[0].answer["ts"].as_str().expect("ts").to_owned();
    let (status, _) = w
        .app
        .post(
            &format!("/api/v1/incidents/{id}/notes"),
            json!({ "text": "Rolled back <v42> & watching" }),
        )
        .await;
    assert_eq!(status, 200);
    w.app.settle().await;
    let replies = w.replies_after_opening(&ts);
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(
        replies[0]
            .text()
            .ends_with("Rolled back &lt;v42&gt; &amp; watching"),
        "{}",
        replies[0].text()
    );

    let (status, body) = w
        .app
        .post(
            &format!("/api/v1/incidents/{id}/severity"),
            json!({ "severity": "SEV-1" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    w.app.settle().await;
    let updates = w.slack.calls_to("chat.update");
    assert_eq!(updates.len(), 1);
    assert!(updates[0].text().contains("SEV-1"), "{}", updates[0].text());

    let (status, _) = w
        .app
        .post(&format!("/api/v1/incidents/{id}/resolve"), json!({}))
        .await;
    assert_eq!(status, 200);
    w.app.settle().await;
    let updates = w.slack.calls_to("chat.update");
    assert_eq!(updates.len(), 2);
    assert!(
        updates
            .iter()
            .all(|update| update.body["ts"] == ts.as_str())
    );
    assert!(
        updates[1].text().contains("resolved"),
        "{}",
        updates[1].text()
    );
    assert!(button(&updates[1].body, "resolve").is_none());
    assert_eq!(w.roots().len(), 1, "every change went to the one message");
}

#[tokio::test]
async fn signed_buttons_acknowledge_and_resolve_as_the_contact_with_that_slack_id() {
    let w = world().await;
    let id = w.declare("SEV-2").await;
    let (status, _) = w.press("acknowledge", &id, SAMI).await;
    assert_eq!(status, 200);
    assert_eq!(w.incident(&id).await["acknowledged_by"], "Sami");

    // Roles from Slack: `me` is whoever typed it (through their contact's `slack` id), a
    // mention or a contact id names someone else; a bad role or an unknown user changes nothing.
    let (_, took) = w.command(&format!("role {id} commander"), SAMI).await;
    assert!(
        took["text"].as_str().unwrap_or("").contains("commander"),
        "{took}"
    );
    assert_eq!(w.incident(&id).await["roles"]["commander"]["id"], "sami");
    let (_, named) = w
        .command(&format!("role {id} communications sami"), SAMI)
        .await;
    assert!(
        named["text"]
            .as_str()
            .unwrap_or("")
            .contains("communications"),
        "{named}"
    );
    assert_eq!(
        w.incident(&id).await["roles"]["communications"]["id"],
        "sami"
    );
    let (_, stranger) = w
        .command(&format!("role {id} scribe <@U0NOBODY1|nobody>"), SAMI)
        .await;
    assert!(
        stranger["text"]
            .as_str()
            .unwrap_or("")
            .contains("not a tocsin contact"),
        "{stranger}"
    );
    let (_, bad_role) = w.command(&format!("role {id} chief"), SAMI).await;
    assert!(
        bad_role["text"]
            .as_str()
            .unwrap_or("")
            .contains("not an incident role"),
        "{bad_role}"
    );
    assert!(w.incident(&id).await["roles"]["scribe"].is_null());
    w.app.settle().await;
    assert!(
        w.slack.calls_to("chat.update")[0]
            .text()
            .contains("acknowledged by Sami")
    );

    let (status, body) = w.press("acknowledge", &id, SAMI).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["response_type"], "ephemeral",
        "told why nothing changed"
    );

    let (status, _) = w.press("resolve", &id, "U0STRANGER").await;
    assert_eq!(status, 200);
    assert_eq!(w.incident(&id).await["state"], "resolved");
    let timeline = w
        .app
        .get(&format!("/api/v1/incidents/{id}/timeline"))
        .await
        .1;
    let resolved = timeline["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|event| event["kind"] == "resolved")
        .expect("resolved")
        .clone();
    assert_eq!(resolved["actor"], "Slack user sami.k (U0STRANGER)");
}

#[tokio::test]
async fn a_confirm_action_runs_only_after_its_confirming_press_and_only_once() {
    let w = world().await;
    let id = w.declare("SEV-2").await;
    let card = &w.roots()[0].body;
    let run = button(card, "run_action:restart").expect("the action's button");
    assert_eq!(
        run["confirm"]["confirm"]["text"], "Run",
        "Slack's own dialog"
    );

    // The first press (after Slack's dialog) runs nothing: tocsin asks again.
    let (status, answer) = w.press("run_action:restart", &id, SAMI).await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        w.actions.received().is_empty(),
        "nothing ran on the first press"
    );
    let confirm = button(&answer, "confirm_action").expect("a confirming button");
    let token = confirm["value"].as_str().expect("token").to_owned();

    // Someone else cannot use Sami's confirmation.
    let (_, other) = w.press("confirm_action", &token, "U0STRANGER").await;
    assert!(
        other["text"]
            .as_str()
            .unwrap_or("")
            .contains("someone else"),
        "{other}"
    );
    assert!(w.actions.received().is_empty());

    let (status, ran) = w.press("confirm_action", &token, SAMI).await;
    assert_eq!(status, 200);
    assert!(
        ran["text"].as_str().unwrap_or("").contains("succeeded"),
        "{ran}"
    );
    assert_eq!(w.actions.received().len(), 1, "it ran");

    let (status, again) = w.press("confirm_action", &token, SAMI).await;
    assert_eq!(status, 200);
    assert!(
        again["text"]
            .as_str()
            .unwrap_or("")
            .contains("already used"),
        "{again}"
    );
    assert_eq!(w.actions.received().len(), 1, "exactly once");
    let kinds = w.app.timeline_kinds(&id).await;
    assert_eq!(
        kinds
            .iter()
            .filter(|kind| *kind == "action_requested")
            .count(),
        1,
        "{kinds:?}"
    );

    // A confirmation is good for five minutes.
    let (_, answer) = w.press("run_action:restart", &id, SAMI).await;
    let token = button(&answer, "confirm_action").expect("confirm")["value"]
        .as_str()
        .expect("token")
        .to_owned();
    w.app.clock.advance(Duration::from_secs(301));
    let (_, late) = w.press("confirm_action", &token, SAMI).await;
    assert!(
        late["text"].as_str().unwrap_or("").contains("expired"),
        "{late}"
    );
    assert_eq!(w.actions.received().len(), 1);
}

#[tokio::test]
async fn a_forged_or_stale_request_gets_401_and_changes_nothing() {
    let w = world().await;
    let id = w.declare("SEV-2").await;
    let body = press_body("acknowledge", &id, SAMI);
    let now = w.app.now().as_second();
    let forged = w
        .signed(
            "/hooks/slack/interactive",
            &body,
            now,
            "not-the-signing-secret-000",
        )
        .await;
    assert_eq!(forged.0, 401, "{}", forged.1);
    let stale = w
        .signed("/hooks/slack/interactive", &body, now - 301, SIGNING)
        .await;
    assert_eq!(stale.0, 401, "{}", stale.1);
    let unsigned = w
        .app
        .http
        .post(w.app.url("/hooks/slack/interactive"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .expect("POST");
    assert_eq!(unsigned.status().as_u16(), 401);
    let command = form(&[
        ("user_id", SAMI),
        ("command", "/tocsin"),
        ("text", &format!("resolve {id}")),
    ]);
    let forged = w
        .signed(
            "/hooks/slack/commands",
            &command,
            now,
            "not-the-signing-secret-000",
        )
        .await;
    assert_eq!(forged.0, 401);
    let stale = w
        .signed("/hooks/slack/commands", &command, now - 600, SIGNING)
        .await;
    assert_eq!(stale.0, 401);
    w.app.settle().await;
    assert_eq!(
        w.incident(&id).await["state"],
        "triggered",
        "nothing changed"
    );
    assert!(w.slack.calls_to("chat.update").is_empty());
}

#[tokio::test]
async fn the_tocsin_command_declares_acknowledges_resolves_and_says_who_is_on_call() {
    let w = world().await;
    let (status, help) = w.command("help", SAMI).await;
    assert_eq!(status, 200);
    let help = help["text"].as_str().expect("text").to_owned();
    for word in ["declare", "ack", "resolve", "role", "oncall"] {
        assert!(help.contains(&format!("/tocsin {word}")), "{help}");
    }
    let (_, unknown) = w.command("page everyone", SAMI).await;
    assert!(
        unknown["text"]
            .as_str()
            .unwrap_or("")
            .contains("unknown command"),
        "{unknown}"
    );

    let (status, declared) = w
        .command("declare Checkout payments failing SEV-2", SAMI)
        .await;
    assert_eq!(status, 200, "{declared}");
    assert_eq!(declared["response_type"], "in_channel");
    let open = w.app.incidents("open").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["title"], "Checkout payments failing");
    assert_eq!(open[0]["severity"], "SEV-2");
    let id = open[0]["id"].as_str().expect("id").to_owned();
    w.app.settle().await;
    assert_eq!(w.roots().len(), 1, "the declared incident is posted");

    let (_, acked) = w
        .command(&format!("ack {}", &id[id.len() - 8..]), SAMI)
        .await;
    assert!(
        acked["text"]
            .as_str()
            .unwrap_or("")
            .starts_with("Acknowledged"),
        "{acked}"
    );
    assert_eq!(w.incident(&id).await["acknowledged_by"], "Sami");

    let (_, on_call) = w.command("oncall", SAMI).await;
    let text = on_call["text"].as_str().unwrap_or("");
    assert!(
        text.contains("primary") && text.contains(&format!("Sami (<@{SAMI}>)")),
        "{text}"
    );

    let (_, resolved) = w.command(&format!("resolve {id}"), SAMI).await;
    assert!(
        resolved["text"]
            .as_str()
            .unwrap_or("")
            .starts_with("Resolved"),
        "{resolved}"
    );
    assert_eq!(w.incident(&id).await["state"], "resolved");
    let (_, gone) = w.command(&format!("resolve {id}"), SAMI).await;
    assert!(
        gone["text"]
            .as_str()
            .unwrap_or("")
            .contains("No open incident"),
        "{gone}"
    );
}

#[tokio::test]
async fn a_sev1_gets_a_channel_of_its_own_with_the_on_call_invited() {
    let w = world().await;
    let id = w.declare("SEV-1").await;
    let created = w.slack.calls_to("conversations.create");
    assert_eq!(created.len(), 1, "{created:#?}");
    let name = created[0].body["name"].as_str().expect("name");
    assert!(name.starts_with("inc-20261126-checkout-is-down"), "{name}");
    let channel = created[0].answer["channel"]["id"].as_str().expect("id");
    let invited = w.slack.calls_to("conversations.invite");
    assert_eq!(invited.len(), 1);
    assert_eq!(invited[0].body["channel"], channel);
    assert_eq!(invited[0].body["users"], SAMI);
    let posted: Vec<_> = w
        .roots()
        .into_iter()
        .map(|call| call.body["channel"].clone())
        .collect();
    assert_eq!(posted, [json!(CHANNEL), json!(channel)]);
    assert!(
        w.roots()[0]
            .body
            .to_string()
            .contains(&format!("<@{SAMI}>")),
        "the on-call is mentioned"
    );
    // Acknowledging does not open a second channel.
    w.press("acknowledge", &id, SAMI).await;
    w.app.settle().await;
    assert_eq!(w.slack.calls_to("conversations.create").len(), 1);
}

#[tokio::test]
async fn slacks_rate_limit_is_waited_out_and_the_page_posted_once() {
    let w = world().await;
    w.slack.rate_limit_next(30);
    let id = w.declare("SEV-2").await;
    assert!(
        w.roots().iter().all(|call| call.status == 429),
        "refused once"
    );
    let deliveries = w
        .app
        .get(&format!("/api/v1/deliveries?incident={id}"))
        .await
        .1;
    assert!(deliveries.to_string().contains("429"), "{deliveries}");
    let waited = w
        .app
        .advance_until(Duration::from_secs(120), || async {
            w.roots().iter().any(|call| call.status == 200)
        })
        .await
        .expect("posted after the wait");
    assert!(waited >= Duration::from_secs(30), "waited {waited:?}");
    let posted: Vec<_> = w
        .roots()
        .into_iter()
        .filter(|call| call.status == 200)
        .collect();
    assert_eq!(posted.len(), 1);
}
