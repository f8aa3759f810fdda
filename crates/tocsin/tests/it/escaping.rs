//! A string from outside leaves tocsin as text wherever it goes: an incident title that is
//! markup and a template tag, sent by an integration, reaches the UI, Slack, e-mail, the SMS
//! relay, an HTTP-template provider and the post-mortem draft literally, and a change event's
//! `javascript:` link is never made a link.

use std::time::Duration;

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use tocsin_store::Role;
use tocsin_testkit::SmtpSink;

use crate::support::{Sink, TestApp};
use crate::ui::{Browser, add_user};

/// The acceptance title: markup that would run, and a template tag that would become 49.
const HOSTILE: &str = "{{ 7*7 }} <script>alert(1)</script>";
/// The same, as HTML shows it after escaping (minijinja also writes `/` as `&#x2f;`).
const ESCAPED_HEAD: &str = "{{ 7*7 }} &lt;script&gt;alert(1)&lt;";
const ROUTING_KEY: &str = "R0UT1NGKEY000000000000000000000";
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const LIMIT: Duration = Duration::from_secs(10);

fn config(sink: &Sink, smtp: &SmtpSink) -> String {
    format!(
        r#"
[server]
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "{token}"

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

[[channel]]
id = "slack-alerts"
type = "slack"
webhook_url = "{sink}/slack"

[[channel]]
id = "sms"
type = "webhook"
url = "{sink}/sms"

[[contact]]
id = "ann"
name = "Ann"
email = "ann@dealix.example"
phone = "+966500000001"
methods = ["sms", "email"]

[[escalation]]
id = "backend"
steps = [{{ targets = ["contact:ann"], after = "10m" }}]

[[route]]
category = "backend"
escalation = "backend"

[smtp]
host = "{smtp_host}"
port = {smtp_port}
from = "Dealix <status@dealix.example>"
tls = "none"

[[integration]]
id = "events"
type = "pagerduty"
key = "{ROUTING_KEY}"
category = "backend"
severity_map = {{ critical = "SEV-1", error = "SEV-1", warning = "SEV-1", info = "SEV-1" }}

[[integration]]
id = "ci"
type = "generic"
secret = "{WHSEC}"
severity = "SEV-1"

[postmortem]
required_for = ["SEV-1"]
dir = "postmortems"
file = "{{id}}.md"
sections = ["Timeline", "Root cause"]
"#,
        token = crate::support::TOKEN,
        sink = sink.url,
        smtp_host = smtp.host(),
        smtp_port = smtp.port(),
    )
}

/// Sends `body` to the generic integration, signed as Standard Webhooks says.
async fn generic(app: &TestApp, id: &str, body: &Value) {
    let body = body.to_string();
    let now = app.now().as_second().to_string();
    let key = base64::engine::general_purpose::STANDARD
        .decode(WHSEC.trim_start_matches("whsec_"))
        .expect("key");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("mac");
    mac.update(format!("{id}.{now}.{body}").as_bytes());
    let signature = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    let response = app
        .http
        .post(app.url("/hooks/ci"))
        .header("webhook-id", id)
        .header("webhook-timestamp", now)
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .expect("POST the generic hook");
    assert_eq!(response.status(), 202);
}

/// Opens the hostile incident through PagerDuty Events v2; returns its id.
async fn trigger(app: &TestApp) -> String {
    let event = json!({
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "hostile",
        "payload": { "summary": HOSTILE, "source": "db-1", "severity": "critical" },
    });
    let response = app
        .http
        .post(app.url("/v2/enqueue"))
        .body(event.to_string())
        .send()
        .await
        .expect("POST /v2/enqueue");
    assert_eq!(response.status(), 202);
    let open = app.incidents("open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["title"], HOSTILE, "the title is stored as sent");
    open[0]["id"].as_str().expect("id").to_owned()
}

/// Every mrkdwn text of a Slack message (where `<`, `>` and `&` are control characters).
fn mrkdwn_texts(message: &Value) -> Vec<String> {
    let mut texts = vec![message["text"].as_str().unwrap_or_default().to_owned()];
    fn walk(value: &Value, texts: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("mrkdwn") {
                    texts.push(map["text"].as_str().unwrap_or_default().to_owned());
                }
                map.values().for_each(|v| walk(v, texts));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, texts)),
            _ => {}
        }
    }
    walk(&message["blocks"], &mut texts);
    texts
}

#[tokio::test]
async fn a_hostile_title_from_an_integration_is_shown_literally_everywhere() {
    let sink = Sink::start().await;
    let smtp = SmtpSink::start().await;
    let app = TestApp::start(&config(&sink, &smtp)).await;
    let id = trigger(&app).await;
    app.settle().await;
    sink.wait_until(LIMIT, |got| got.len() >= 2).await;

    // Slack: mrkdwn escapes `&`, `<`, `>`; the header is plain_text, shown as written.
    let slack = sink
        .received()
        .into_iter()
        .find(|r| r.path == "/slack")
        .expect("the Slack message");
    let message = slack.body;
    let fallback = message["text"].as_str().expect("text");
    assert!(
        fallback.contains("{{ 7*7 }} &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{fallback}"
    );
    for text in mrkdwn_texts(&message) {
        assert!(!text.contains("<script"), "{text}");
    }
    assert_eq!(
        message["blocks"][0]["text"]["type"], "plain_text",
        "the header is plain text"
    );
    assert!(
        message["blocks"][0]["text"]["text"]
            .as_str()
            .is_some_and(|header| header.ends_with(HOSTILE)),
        "{message}"
    );

    // The SMS relay (a webhook channel): JSON, so the title arrives exactly as sent.
    let sms = sink
        .received()
        .into_iter()
        .find(|r| r.path == "/sms")
        .expect("the SMS page");
    let sms = sms.body;
    assert_eq!(sms["incident"]["title"], HOSTILE, "{sms}");
    assert!(
        sms["text"].as_str().is_some_and(|t| t.contains(HOSTILE)),
        "{sms}"
    );

    // E-mail: the HTML part escaped, the plain part and the subject literal.
    let mail = smtp.wait_for(1, LIMIT).await.remove(0);
    let html = mail.part("text/html").expect("an HTML part");
    assert!(
        html.contains("{{ 7*7 }} &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    let text = mail.part("text/plain").expect("a plain part");
    assert!(text.contains(HOSTILE), "{text}");
    assert!(
        mail.subject().is_some_and(|s| s.contains(HOSTILE)),
        "{:?}",
        mail.subject()
    );

    // A provider's HTTP template (SMS or voice): every value escaped for the body's type.
    let notice = tocsin_core::notice::Notice {
        event: tocsin_core::notice::NoticeEvent::Opened,
        incident_id: id.clone(),
        title: app.incidents("open").await[0]["title"]
            .as_str()
            .expect("title")
            .to_owned(),
        severity: "SEV-1".into(),
        category: None,
        component: None,
        summary: None,
        opened_at: app.now(),
        runbook: None,
        actor: None,
        source: None,
    };
    let links = tocsin_core::notice::NoticeLinks {
        incident_url: format!("http://tocsin.test/incidents/{id}"),
        ack_url: None,
    };
    for (path, body, content_type) in [
        (
            "/provider/json",
            r#"{"to": "{{ to }}", "message": "{{ title }}"}"#,
            None,
        ),
        ("/provider/form", "To={{ to }}&Body={{ title }}", None),
        (
            "/provider/xml",
            "<Response><Say>{{ title }}</Say></Response>",
            Some("text/xml"),
        ),
    ] {
        let target = tocsin_notify::Target::HttpTemplate {
            method: "POST".into(),
            url: format!("{}{path}", sink.url),
            headers: content_type
                .map(|ct: &str| vec![("Content-Type".to_owned(), tocsin_core::Secret::new(ct))])
                .unwrap_or_default(),
            body: body.into(),
            secret: None,
        };
        tocsin_notify::Sender::new(tocsin_notify::http_client())
            .send(
                &target,
                &tocsin_notify::Delivery {
                    id: "dlv_hostile",
                    notice: &notice,
                    links: &links,
                    now: app.now(),
                    to: Some("+966500000001"),
                    reply_code: None,
                },
            )
            .await
            .expect("sent");
    }
    let sent = |path: &str| {
        sink.received()
            .into_iter()
            .find(|r| r.path == path)
            .unwrap_or_else(|| panic!("nothing at {path}"))
            .text()
    };
    let json_body: Value = serde_json::from_str(&sent("/provider/json")).expect("valid JSON");
    assert_eq!(json_body["message"], HOSTILE);
    let form: Vec<(String, String)> = form_urlencoded::parse(sent("/provider/form").as_bytes())
        .into_owned()
        .collect();
    assert_eq!(form[1], ("Body".to_owned(), HOSTILE.to_owned()));
    assert_eq!(
        sent("/provider/xml"),
        "<Response><Say>{{ 7*7 }} &lt;script&gt;alert(1)&lt;/script&gt;</Say></Response>"
    );

    // The UI: the incident page and the list show the title as text.
    add_user(&app, "viewer@dealix.example", Role::Viewer).await;
    let mut browser = Browser::signed_in(&app, "viewer@dealix.example").await;
    for path in [format!("/incidents/{id}"), "/incidents".to_owned()] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.contains(ESCAPED_HEAD), "{path}: {}", page.body);
        assert!(!page.body.contains("<script>alert"), "{path}");
    }
    // The acknowledge page the SMS links to.
    let ack = sms["links"]["acknowledge"].as_str().expect("ack link");
    let ack_page = app
        .http
        .get(app.url(&ack["http://tocsin.test".len()..]))
        .send()
        .await
        .expect("GET the ack page")
        .text()
        .await
        .expect("page");
    assert!(ack_page.contains(ESCAPED_HEAD), "{ack_page}");
    assert!(!ack_page.contains("<script>alert"), "{ack_page}");

    // The post-mortem draft: Markdown with no raw HTML from the title.
    for action in ["acknowledge", "resolve"] {
        let (status, body) = app
            .post(&format!("/api/v1/incidents/{id}/{action}"), json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    app.settle().await;
    let dir = app
        .app
        .engine
        .config()
        .postmortem
        .as_ref()
        .expect("[postmortem]")
        .dir
        .clone();
    let draft = std::fs::read_to_string(dir.join(format!("{id}.md"))).expect("the draft");
    assert!(
        draft.starts_with("# Post-mortem: {{ 7*7 }} &lt;script&gt;alert(1)&lt;/script&gt;\n"),
        "{draft}"
    );
    assert!(!draft.contains("<script"), "{draft}");
    smtp.assert_clean();
}

#[tokio::test]
async fn only_http_and_https_change_links_become_links() {
    let sink = Sink::start().await;
    let smtp = SmtpSink::start().await;
    let app = TestApp::start(&config(&sink, &smtp)).await;
    generic(
        &app,
        "msg_safe",
        &json!({ "type": "change", "kind": "deploy", "summary": "Deploy api v42",
                 "id": "run-42", "url": "https://ci.example.com/runs/42" }),
    )
    .await;
    generic(
        &app,
        "msg_evil",
        &json!({ "type": "change", "kind": "deploy", "summary": "Deploy api v43",
                 "id": "run-43", "url": "javascript:alert(document.cookie)" }),
    )
    .await;
    app.clock.advance(Duration::from_secs(60));
    let id = trigger(&app).await;
    app.settle().await;

    add_user(&app, "viewer@dealix.example", Role::Viewer).await;
    let mut browser = Browser::signed_in(&app, "viewer@dealix.example").await;
    let page = browser.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(r#"<a href="https:&#x2f;&#x2f;ci.example.com&#x2f;runs&#x2f;42""#),
        "the https deploy is a link: {}",
        page.body
    );
    assert!(page.body.contains("Deploy api v43"), "{}", page.body);
    assert!(
        !page.body.contains(r#"href="javascript"#),
        "a javascript: URL became a link: {}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<code class="url" dir="ltr">javascript:alert(document.cookie)</code>"#),
        "the javascript: URL is shown as text: {}",
        page.body
    );
}
