//! Tickets (`[tickets]`), end to end against a local server speaking GitHub's REST API: a SEV-4
//! opens exactly one issue (bearer token, a body linking to the incident) and pages nobody;
//! GitHub's signed `issues` hook closing it shows on the incident (API, timeline, page); a
//! published post-mortem's action items become issues linking back, and a closed one is done in
//! the post-mortem. The generic webhook tracker reports closing through the API.

use std::time::Duration;

use serde_json::{Value, json};
use tocsin_testkit::GithubApi;

use crate::inbound::hex_hmac;
use crate::support::{Sink, TOKEN, TestApp};
use crate::ui::{Browser, add_user};
use tocsin_store::Role;

const GITHUB_TOKEN: &str = "ghp_test0123456789abcdefghijklmnopqrstuv";
const HOOK_SECRET: &str = "github-secret-0123456789";
const REPO: &str = "dealix/ops";

fn config(sink: &Sink, tickets: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
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
notify = ["slack-alerts"]
status_page = "major_outage"
postmortem_within = "48h"

[[severity]]
id = "SEV-4"
definition = "Cosmetic; ticket only"
respond_within = "15m"
notify = []

[[contact]]
id = "sami"
name = "Sami"
email = "sami@dealix.example"
methods = ["slack-alerts"]

[[escalation]]
id = "backend"
steps = [{{ targets = ["contact:sami"], after = "5m" }}]

[[route]]
category = "*"
escalation = "backend"

[[channel]]
id = "slack-alerts"
type = "slack"
webhook_url = "{sink}/slack"

[[integration]]
id = "github"
type = "github"
secret = "{HOOK_SECRET}"

[postmortem]
required_for = ["SEV-1"]
dir = "postmortems"

{tickets}
"#,
        sink = sink.url,
    )
}

fn github_tickets(api: &GithubApi) -> String {
    format!(
        r#"[tickets]
type = "github"
repo = "{REPO}"
token = "{GITHUB_TOKEN}"
api_url = "{api}"
severities = ["SEV-4"]
"#,
        api = api.url,
    )
}

async fn declare(app: &TestApp, title: &str, severity: &str) -> String {
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": title, "severity": severity, "category": "backend" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

/// Posts GitHub's `issues` hook, signed with the integration's secret.
async fn issues_hook(app: &TestApp, delivery: &str, body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let response = app
        .http
        .post(app.url("/hooks/github"))
        .header("x-github-event", "issues")
        .header("x-github-delivery", delivery)
        .header(
            "x-hub-signature-256",
            format!(
                "sha256={}",
                hex_hmac(HOOK_SECRET.as_bytes(), body.as_bytes())
            ),
        )
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("POST the hook");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn timeline(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_sev4_opens_exactly_one_github_issue_linking_the_incident_and_pages_nobody() {
    let sink = Sink::start().await;
    let api = GithubApi::start(GITHUB_TOKEN).await;
    let app = TestApp::start(&config(&sink, &github_tickets(&api))).await;

    let id = declare(&app, "Typo on the pricing page", "SEV-4").await;
    app.settle().await;
    // Time passes well past the response target and any escalation step: still nobody paged.
    app.advance(Duration::from_secs(3600), Duration::from_secs(60))
        .await;

    let created: Vec<_> = api
        .calls()
        .into_iter()
        .filter(|call| call.method == "POST")
        .collect();
    assert_eq!(created.len(), 1, "exactly one issue: {created:#?}");
    let call = &created[0];
    assert_eq!(call.path, format!("/repos/{REPO}/issues"));
    assert_eq!(
        call.header("authorization"),
        Some(format!("Bearer {GITHUB_TOKEN}").as_str())
    );
    assert_eq!(call.answered, 201);
    assert_eq!(call.body["title"], "[SEV-4] Typo on the pricing page");
    let body = call.body["body"].as_str().expect("a body");
    assert!(
        body.contains(&format!("http://tocsin.test/incidents/{id}")),
        "the issue links to the incident: {body}"
    );

    // Nobody paged: no delivery to a person, nothing to the team's Slack, no ladder.
    let (status, deliveries) = app.get(&format!("/api/v1/deliveries?incident={id}")).await;
    assert_eq!(status, 200, "{deliveries}");
    let deliveries = deliveries["deliveries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        deliveries
            .iter()
            .all(|d| d["channel"] == "tickets" && d["recipient"].is_null()),
        "only the ticket's delivery: {deliveries:#?}"
    );
    assert!(sink.received().is_empty(), "nobody was told or paged");
    let kinds = app.timeline_kinds(&id).await;
    assert!(!kinds.contains(&"escalated".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"ticket_opened".to_owned()), "{kinds:?}");

    // The incident shows the issue's number and page.
    let (status, incident) = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, 200, "{incident}");
    assert_eq!(incident["ticket"]["number"], 1);
    assert_eq!(incident["ticket"]["url"], api.html_url(REPO, 1));
    assert_eq!(incident["ticket"]["state"], "open");
    assert_eq!(incident["paging"], false);

    // A SEV-1 on the same route still pages, and opens no issue.
    let sev1 = declare(&app, "Checkout down", "SEV-1").await;
    app.settle().await;
    assert_eq!(api.issues().len(), 1);
    assert!(
        app.timeline_kinds(&sev1)
            .await
            .contains(&"escalated".to_owned())
    );
}

#[tokio::test]
async fn closing_the_issue_on_github_shows_on_the_incident() {
    let sink = Sink::start().await;
    let api = GithubApi::start(GITHUB_TOKEN).await;
    let app = TestApp::start(&config(&sink, &github_tickets(&api))).await;
    let id = declare(&app, "Typo on the pricing page", "SEV-4").await;
    app.settle().await;
    assert_eq!(api.issues().len(), 1);

    let closed = api.close(1, "octocat");
    let (status, answer) = issues_hook(&app, "delivery-1", &closed).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["applied"], 1, "{answer}");

    let (_, incident) = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["ticket"]["state"], "closed", "{incident}");
    assert!(incident["ticket"]["closed_at"].is_string());
    let events = timeline(&app, &id).await;
    let event = events
        .iter()
        .find(|e| e["kind"] == "ticket_closed")
        .expect("a ticket_closed event");
    assert_eq!(event["actor"], "octocat");
    assert!(
        event["text"].as_str().unwrap_or("").contains("#1"),
        "{event}"
    );

    // The same hook again changes nothing.
    let (status, answer) = issues_hook(&app, "delivery-2", &closed).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["applied"], 0, "{answer}");
    let closings = timeline(&app, &id)
        .await
        .iter()
        .filter(|e| e["kind"] == "ticket_closed")
        .count();
    assert_eq!(closings, 1);

    // The incident page shows it.
    add_user(&app, "viewer@example.com", Role::Viewer).await;
    let mut browser = Browser::signed_in(&app, "viewer@example.com").await;
    let page = browser.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    assert!(
        page.body.contains("id=\"incident-ticket\""),
        "{}",
        page.body
    );
    // The number links to the issue (the address is HTML-escaped in the page).
    assert!(page.body.contains(">#1</a>"), "{}", page.body);
    assert!(page.body.contains("closed (done)"));

    // A reopened issue is open again.
    let reopened = api.reopen(1, "octocat");
    let (status, _) = issues_hook(&app, "delivery-3", &reopened).await;
    assert_eq!(status, 202);
    let (_, incident) = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["ticket"]["state"], "open");
    assert!(
        app.timeline_kinds(&id)
            .await
            .contains(&"ticket_reopened".to_owned())
    );
}

#[tokio::test]
async fn a_forged_issues_hook_closes_nothing() {
    let sink = Sink::start().await;
    let api = GithubApi::start(GITHUB_TOKEN).await;
    let app = TestApp::start(&config(&sink, &github_tickets(&api))).await;
    let id = declare(&app, "Typo", "SEV-4").await;
    app.settle().await;
    let closed = api.close(1, "mallory").to_string();
    let response = app
        .http
        .post(app.url("/hooks/github"))
        .header("x-github-event", "issues")
        .header(
            "x-hub-signature-256",
            format!("sha256={}", hex_hmac(b"wrong", closed.as_bytes())),
        )
        .body(closed)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 401);
    let (_, incident) = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["ticket"]["state"], "open");
}

#[tokio::test]
async fn action_items_become_issues_linking_back_and_a_closed_one_is_done() {
    let sink = Sink::start().await;
    let api = GithubApi::start(GITHUB_TOKEN).await;
    let app = TestApp::start(&config(&sink, &github_tickets(&api))).await;
    let id = declare(&app, "Checkout down", "SEV-1").await;
    let (status, body) = app
        .post(&format!("/api/v1/incidents/{id}/resolve"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;

    let text = "# Checkout down\n\n## Action items\n\n\
                - [ ] Add an index on orders.created_at — owner: Sami, due: 2026-12-10\n\
                - [ ] Alert on checkout latency\n\
                - [x] Roll back the bad deploy\n";
    let response = app
        .http
        .put(app.url(&format!("/api/v1/postmortems/{id}")))
        .bearer_auth(TOKEN)
        .json(&json!({ "text": text }))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status().as_u16(), 200);
    let (status, body) = app
        .post(&format!("/api/v1/postmortems/{id}/publish"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;

    // One issue per open item (the ticked one is already done), each linking back.
    let issues = api.issues();
    assert_eq!(issues.len(), 2, "{issues:#?}");
    let titles: Vec<&str> = issues.iter().map(|i| i.title.as_str()).collect();
    assert!(
        titles.contains(&"Add an index on orders.created_at"),
        "{titles:?}"
    );
    assert!(titles.contains(&"Alert on checkout latency"), "{titles:?}");
    for issue in &issues {
        assert!(
            issue
                .body
                .contains(&format!("http://tocsin.test/postmortems/{id}")),
            "links to the post-mortem: {}",
            issue.body
        );
        assert!(
            issue
                .body
                .contains(&format!("http://tocsin.test/incidents/{id}"))
        );
    }

    // The links are written next to the items in the file.
    let (_, postmortem) = app.get(&format!("/api/v1/postmortems/{id}")).await;
    let file = postmortem["text"].as_str().expect("text");
    let index = issues
        .iter()
        .find(|i| i.title.starts_with("Add an index"))
        .expect("the index issue");
    let link = format!("[#{}]({})", index.number, api.html_url(REPO, index.number));
    assert!(file.contains(&link), "{file}");
    let items = postmortem["action_items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    let item = |text: &str| {
        items
            .iter()
            .find(|i| i["text"] == text)
            .unwrap_or_else(|| panic!("no item {text}: {items:#?}"))
            .clone()
    };
    let add_index = item("Add an index on orders.created_at");
    assert_eq!(add_index["done"], false);
    assert_eq!(add_index["owner"], "Sami");
    assert_eq!(add_index["ticket"]["number"], index.number);

    // Closing its issue makes the item done; the other stays open.
    let closed = api.close(index.number, "sami");
    let (status, _) = issues_hook(&app, "delivery-pm", &closed).await;
    assert_eq!(status, 202);
    let (_, postmortem) = app.get(&format!("/api/v1/postmortems/{id}")).await;
    let items = postmortem["action_items"].as_array().expect("items");
    let done: Vec<(&str, bool)> = items
        .iter()
        .map(|i| (i["text"].as_str().unwrap_or(""), i["done"] == true))
        .collect();
    assert_eq!(
        done,
        vec![
            ("Add an index on orders.created_at", true),
            ("Alert on checkout latency", false),
            ("Roll back the bad deploy", true),
        ]
    );

    // Publishing again opens nothing new: every item has its ticket.
    let (status, _) = app
        .post(&format!("/api/v1/postmortems/{id}/publish"), json!({}))
        .await;
    assert_eq!(status, 200);
    app.settle().await;
    assert_eq!(api.issues().len(), 2);
}

#[tokio::test]
async fn a_github_outage_is_retried_and_opens_one_issue() {
    let sink = Sink::start().await;
    let api = GithubApi::start(GITHUB_TOKEN).await;
    let app = TestApp::start(&config(&sink, &github_tickets(&api))).await;
    api.fail_next(2, 502);
    let id = declare(&app, "Typo", "SEV-4").await;
    app.settle().await;
    assert!(api.issues().is_empty());
    app.advance_until(Duration::from_secs(600), || async {
        !api.issues().is_empty()
    })
    .await
    .expect("opened after the outage");
    app.advance(Duration::from_secs(600), Duration::from_secs(30))
        .await;
    assert_eq!(api.issues().len(), 1);
    let (_, incident) = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["ticket"]["number"], 1);
}

#[tokio::test]
async fn a_webhook_tracker_gets_the_ticket_signed_and_reports_closing_through_the_api() {
    let sink = Sink::start().await;
    let tracker = Sink::start().await;
    let tickets = format!(
        r#"[tickets]
type = "webhook"
url = "{}/tickets"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
severities = ["SEV-4"]
"#,
        tracker.url
    );
    let app = TestApp::start(&config(&sink, &tickets)).await;
    let id = declare(&app, "Typo", "SEV-4").await;
    app.settle().await;

    let posts = tracker.received();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    let post = &posts[0];
    assert_eq!(post.body["type"], "ticket.open");
    assert_eq!(post.body["ticket"]["incident"], id.as_str());
    assert_eq!(
        post.body["ticket"]["incident_url"],
        format!("http://tocsin.test/incidents/{id}")
    );
    assert!(
        post.header("webhook-signature")
            .is_some_and(|s| s.starts_with("v1,"))
    );
    let ticket_id = post.body["ticket"]["id"].as_str().expect("id").to_owned();
    assert_eq!(post.header("webhook-id"), Some(ticket_id.as_str()));

    let (status, body) = app
        .post(&format!("/api/v1/tickets/{ticket_id}/close"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "closed");
    let (_, incident) = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["ticket"]["state"], "closed");
    assert!(
        app.timeline_kinds(&id)
            .await
            .contains(&"ticket_closed".to_owned())
    );

    let (status, body) = app.post("/api/v1/tickets/nope/close", json!({})).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn the_tickets_token_is_refused_by_name_and_redacted() {
    let sink = Sink::start().await;
    let api = GithubApi::start(GITHUB_TOKEN).await;
    let text = config(&sink, &github_tickets(&api));
    let app = TestApp::start(&text).await;
    let config = app.app.engine.config();
    assert!(
        !config.redactor.scrub(GITHUB_TOKEN).contains(GITHUB_TOKEN),
        "the token is a secret"
    );
    assert!(!format!("{config:?}").contains(GITHUB_TOKEN));

    let bad = config_text_with(
        &sink,
        "[tickets]\ntype = \"jira\"\nseverities = [\"SEV-9\"]\n",
    );
    let path = std::env::temp_dir().join("tocsin-tickets-bad.toml");
    let errors = tocsin_config::load_str(&bad, &path, &|_| None).expect_err("refused");
    let shown = errors.to_string();
    assert!(
        shown.contains("tickets.type") || shown.contains("`type`"),
        "{shown}"
    );
    assert!(shown.contains("SEV-9"), "{shown}");
}

fn config_text_with(sink: &Sink, tickets: &str) -> String {
    config(sink, tickets)
}
