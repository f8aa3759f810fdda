//! Customer communications through a real SMTP server: a SEV-1 with `comms = "draft"` tells
//! the team at once but customers only after a person approves (and may edit) the text, which
//! goes out in Arabic, right-to-left; `comms = "auto"` mails the customers named on the incident
//! at once, on open and on resolve.

use serde_json::{Value, json};
use tocsin_testkit::{Mail, SmtpSink};

use crate::status::{PUBLIC_URL, link, press, subscribe, to};
use crate::support::{Sink, TestApp};

fn config(smtp: &SmtpSink, sink: &Sink) -> String {
    format!(
        r#"
{mail_header}

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = ["team", "email-affected"]
comms = "draft"

[[severity]]
id = "SEV-3"
definition = "Minor bug, one customer affected"
respond_within = "4h"
notify = ["email-affected"]

[[channel]]
id = "team"
type = "webhook"
url = "{sink}/team"

[[channel]]
id = "email-affected"
type = "email"
audience = "affected"
template = "customer-notice"

[[template]]
id = "customer-notice"
locale = "ar"
subject = "{{{{ org.name }}}}: {{{{ incident.title }}}}"
body = """
نواجه مشكلة فنية مؤقتة في النظام. الفريق يعمل على حلها.

سنحدثكم خلال 30 دقيقة.
"""

[[template]]
id = "customer-notice"
locale = "en"
subject = "{{{{ org.name }}}}: {{{{ incident.title }}}}"
body = "We are facing a temporary technical problem."

[[template]]
id = "customer-notice-resolved"
locale = "ar"
subject = "{{{{ org.name }}}}: تم الحل — {{{{ incident.title }}}}"
body = "تم حل المشكلة."

[[template]]
id = "customer-notice-resolved"
locale = "en"
subject = "{{{{ org.name }}}}: solved — {{{{ incident.title }}}}"
body = "The problem is solved."
"#,
        mail_header = crate::support::mail_header(smtp),
        sink = sink.url,
    )
}

async fn start() -> (TestApp, SmtpSink, Sink) {
    let smtp = SmtpSink::start().await;
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&smtp, &sink)).await;
    (app, smtp, sink)
}

async fn declare(app: &TestApp, title: &str, severity: &str) -> String {
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": title, "severity": severity }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

async fn name_affected(app: &TestApp, id: &str, emails: &[&str]) -> Value {
    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/affected"),
            json!({ "emails": emails }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn comms(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/incidents/{id}/comms")).await;
    assert_eq!(status, 200, "{body}");
    body["comms"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_draft_sev1_reaches_customers_only_after_approval_in_arabic_right_to_left() {
    let (app, smtp, sink) = start().await;
    let id = declare(&app, "الدفع متوقف", "SEV-1").await;
    name_affected(&app, &id, &["customer@example.com"]).await;
    app.settle().await;

    // The team is told at once; customers are not.
    assert_eq!(
        sink.received().iter().filter(|r| r.path == "/team").count(),
        1
    );
    assert!(
        smtp.messages().is_empty(),
        "nothing to customers before approval"
    );
    let drafts = comms(&app, &id).await;
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    let draft = &drafts[0];
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["texts"]["ar"]["subject"], "Dealix: الدفع متوقف");
    assert!(
        app.timeline_kinds(&id)
            .await
            .contains(&"comms_drafted".to_owned())
    );

    // Time passes; still nothing without a person.
    app.advance(
        std::time::Duration::from_secs(3600),
        std::time::Duration::from_secs(60),
    )
    .await;
    assert!(smtp.messages().is_empty());

    let draft_id = draft["id"].as_str().expect("draft id");
    let (status, approved) = app
        .post(
            &format!("/api/v1/incidents/{id}/comms/{draft_id}/approve"),
            json!({ "body": "نواجه مشكلة في الدفع.\n\nسنحدثكم خلال 30 دقيقة." }),
        )
        .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approved_by"], "admin");
    app.settle().await;

    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.to.iter().any(|to| to == "customer@example.com"));
    assert_eq!(mail.subject().as_deref(), Some("Dealix: الدفع متوقف"));
    let html = mail.part("text/html").expect("an HTML part");
    assert!(html.contains(r#"lang="ar" dir="rtl""#), "{html}");
    assert!(
        html.contains("نواجه مشكلة في الدفع."),
        "the edited text: {html}"
    );
    let text = mail.part("text/plain").expect("a text part");
    assert!(text.contains("سنحدثكم خلال 30 دقيقة"), "{text}");
    assert!(
        app.timeline_kinds(&id)
            .await
            .contains(&"comms_approved".to_owned())
    );

    // Approving twice sends nothing more.
    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/comms/{draft_id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    app.settle().await;
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn auto_comms_mail_the_named_customers_on_open_and_on_resolve() {
    let (app, smtp, _sink) = start().await;
    let id = declare(&app, "Invoice export fails", "SEV-3").await;
    app.settle().await;
    assert!(smtp.messages().is_empty(), "nobody is named yet");

    // Named after the opening: they still get the opening notice.
    let named = name_affected(&app, &id, &["Buyer@Example.com", "buyer@example.com"]).await;
    assert_eq!(named["added"], json!(["buyer@example.com"]));
    app.settle().await;
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]
            .part("text/html")
            .expect("html")
            .contains("نواجه مشكلة فنية مؤقتة")
    );

    let (status, body) = app
        .post(&format!("/api/v1/incidents/{id}/resolve"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;
    let mails = smtp.messages();
    assert_eq!(mails.len(), 2);
    assert_eq!(
        mails[1].subject().as_deref(),
        Some("Dealix: تم الحل — Invoice export fails")
    );
}

#[tokio::test]
async fn a_bad_address_or_draft_changes_nothing() {
    let (app, smtp, _sink) = start().await;
    let id = declare(&app, "x", "SEV-1").await;
    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/affected"),
            json!({ "emails": ["ok@example.com", "not an address"] }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not an address")
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/comms/nope/approve"),
            json!({}),
        )
        .await;
    assert_eq!(status, 400);
    app.settle().await;
    assert!(smtp.messages().is_empty());
    assert_eq!(comms(&app, &id).await[0]["status"], "draft");
}

const ROUTING_KEY: &str = "R0UT1NGKEY000000000000000000000";

/// Status-page subscribers and named customers told by one auto SEV-1, through templates that
/// each event has (or lacks) on its own: subscribers have a reopening text, named customers not.
fn notices_config(smtp: &SmtpSink) -> String {
    format!(
        r#"
{mail_header}

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = ["email-customers", "email-affected"]
status_page = "major_outage"

[[channel]]
id = "email-customers"
type = "email"
audience = "subscribers"
template = "status-notice"

[[channel]]
id = "email-affected"
type = "email"
audience = "affected"
template = "account-notice"

[[template]]
id = "status-notice"
locale = "ar"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "OPENING-AR نواجه مشكلة فنية مؤقتة."

[[template]]
id = "status-notice"
locale = "en"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "OPENING-EN We are facing a temporary technical problem."

[[template]]
id = "status-notice-resolved"
locale = "ar"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "RESOLVED-AR تم حل المشكلة."

[[template]]
id = "status-notice-resolved"
locale = "en"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "RESOLVED-EN The problem is solved."

[[template]]
id = "status-notice-reopened"
locale = "ar"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "REOPENED-AR عادت المشكلة."

[[template]]
id = "status-notice-reopened"
locale = "en"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "REOPENED-EN The problem is back; we are on it again."

[[template]]
id = "account-notice"
locale = "ar"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "ACCOUNT-OPENING-AR حسابك متأثر."

[[template]]
id = "account-notice"
locale = "en"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "ACCOUNT-OPENING-EN Your account is affected."

[[template]]
id = "account-notice-resolved"
locale = "ar"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "ACCOUNT-RESOLVED-AR عاد حسابك للعمل."

[[template]]
id = "account-notice-resolved"
locale = "en"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "ACCOUNT-RESOLVED-EN Your account works again."

[[integration]]
id = "events"
type = "pagerduty"
key = "{ROUTING_KEY}"
category = "backend"
component = "checkout"
severity_map = {{ critical = "SEV-1" }}

[status_page]
title = "Dealix status"
locale = "ar"
components = [{{ id = "checkout", name = "Checkout" }}]
"#,
        mail_header = crate::support::mail_header(smtp),
    )
}

/// A PagerDuty Events v2 event for the checkout alert.
async fn pagerduty(app: &TestApp, action: &str) {
    let event = json!({
        "routing_key": ROUTING_KEY,
        "event_action": action,
        "dedup_key": "checkout-500s",
        "payload": { "summary": "checkout 500s on pod checkout-7f9", "source": "k8s", "severity": "critical" },
    });
    let response = app
        .http
        .post(app.url("/v2/enqueue"))
        .json(&event)
        .send()
        .await
        .expect("POST the event");
    assert_eq!(response.status(), 202);
    app.settle().await;
}

async fn confirmed_subscriber(app: &TestApp, smtp: &SmtpSink, email: &str, lang: &str) {
    subscribe(app, email, lang).await;
    app.settle().await;
    let confirmation = to(&smtp.messages(), email)
        .pop()
        .expect("a confirmation mail");
    press(app, &link(app, &confirmation, "confirm")).await;
}

/// How many of `mails` carry `marker` in their text.
fn carrying(mails: &[Mail], marker: &str) -> usize {
    mails
        .iter()
        .filter(|mail| {
            mail.part("text/plain")
                .is_some_and(|text| text.contains(marker))
        })
        .count()
}

#[tokio::test]
async fn resolving_sends_the_resolved_text_once_and_reopening_never_resends_the_opening() {
    let smtp = SmtpSink::start().await;
    let app = TestApp::start(&notices_config(&smtp)).await;
    confirmed_subscriber(&app, &smtp, "reader@example.com", "en").await;
    pagerduty(&app, "trigger").await;
    let id = app.incidents("open").await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/affected"),
            json!({ "emails": ["buyer@example.com"] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;
    let reader = to(&smtp.messages(), "reader@example.com");
    assert_eq!(carrying(&reader, "OPENING-EN"), 1, "the opening notice");
    let buyer = to(&smtp.messages(), "buyer@example.com");
    assert_eq!(carrying(&buyer, "ACCOUNT-OPENING-AR"), 1);

    let (status, body) = app
        .post(&format!("/api/v1/incidents/{id}/resolve"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;
    // Settling again (a later worker round) sends nothing more.
    app.advance(
        std::time::Duration::from_secs(600),
        std::time::Duration::from_secs(60),
    )
    .await;
    let reader = to(&smtp.messages(), "reader@example.com");
    assert_eq!(
        reader.len(),
        3,
        "confirmation, opening notice, resolution — nothing else"
    );
    assert_eq!(
        carrying(&reader, "RESOLVED-EN"),
        1,
        "the resolved text, once"
    );
    assert_eq!(
        carrying(&reader, "OPENING-EN"),
        1,
        "the opening text was not resent"
    );
    let buyer = to(&smtp.messages(), "buyer@example.com");
    assert_eq!(buyer.len(), 2);
    assert_eq!(carrying(&buyer, "ACCOUNT-RESOLVED-AR"), 1);
    assert_eq!(
        carrying(&buyer, "ACCOUNT-OPENING-AR"),
        1,
        "the opening text was not resent"
    );

    // The same alert fires again: the incident reopens. Subscribers get the reopening's own
    // text; the named customer's channel has none, so they get nothing and the timeline says so.
    pagerduty(&app, "trigger").await;
    assert!(
        app.timeline_kinds(&id)
            .await
            .contains(&"reopened".to_owned())
    );
    let reader = to(&smtp.messages(), "reader@example.com");
    assert_eq!(carrying(&reader, "REOPENED-EN"), 1);
    assert_eq!(
        carrying(&reader, "OPENING-EN"),
        1,
        "no opening text on reopening"
    );
    let buyer = to(&smtp.messages(), "buyer@example.com");
    assert_eq!(
        buyer.len(),
        2,
        "nothing for the reopening without its template"
    );
    let (_, timeline) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    let skipped: Vec<&Value> = timeline["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["kind"] == "comms_skipped")
        .collect();
    assert_eq!(skipped.len(), 1, "{timeline:#}");
    assert_eq!(
        skipped[0]["data"],
        json!({ "channel": "email-affected", "event": "reopened", "template": "account-notice-reopened" })
    );
    assert!(
        skipped[0]["text"]
            .as_str()
            .is_some_and(|text| text.contains("customers were not told")),
        "{}",
        skipped[0]
    );
    smtp.assert_clean();
}

#[tokio::test]
async fn a_subscriber_leaves_from_a_customer_notice_and_the_next_one_skips_them() {
    let smtp = SmtpSink::start().await;
    let app = TestApp::start(&notices_config(&smtp)).await;
    confirmed_subscriber(&app, &smtp, "leaver@example.com", "en").await;
    confirmed_subscriber(&app, &smtp, "clicker@example.com", "en").await;
    confirmed_subscriber(&app, &smtp, "stayer@example.com", "ar").await;
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "Checkout unavailable", "severity": "SEV-1", "component": "checkout" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/affected"),
            json!({ "emails": ["buyer@example.com"] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;

    let notice_to = |address: &str, marker: &str| {
        to(&smtp.messages(), address)
            .into_iter()
            .find(|mail| {
                mail.part("text/plain")
                    .is_some_and(|text| text.contains(marker))
            })
            .unwrap_or_else(|| panic!("no {marker} notice to {address}"))
    };
    let leaving = notice_to("leaver@example.com", "OPENING-EN");
    assert!(
        leaving
            .header("list-unsubscribe")
            .is_some_and(|header| header.contains(&format!("<{PUBLIC_URL}/status/unsubscribe/"))),
        "{:?}",
        leaving.header("list-unsubscribe")
    );
    assert_eq!(
        leaving.header("list-unsubscribe-post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let text = leaving.part("text/plain").expect("text");
    assert!(text.contains("Stop these e-mails:"), "{text}");
    let arabic = notice_to("stayer@example.com", "OPENING-AR");
    assert!(
        arabic
            .part("text/plain")
            .is_some_and(|text| text.contains("لإيقاف هذه الرسائل:")),
        "the link's label is in the subscriber's language"
    );
    assert!(
        arabic
            .part("text/html")
            .is_some_and(|html| html.contains("/status/unsubscribe/")),
        "the HTML part links it too"
    );
    // A customer named on the incident subscribed to nothing: no unsubscribe link.
    let account = notice_to("buyer@example.com", "ACCOUNT-OPENING-AR");
    assert_eq!(account.header("list-unsubscribe"), None);
    assert!(!account.text().contains("/status/unsubscribe/"));

    // One follows the link in the body; another uses the mail client's one-click button.
    let bye = press(&app, &link(&app, &leaving, "unsubscribe")).await;
    assert!(bye.contains("You are unsubscribed"), "{bye}");
    let clicking = notice_to("clicker@example.com", "OPENING-EN");
    let one_click = clicking
        .header("list-unsubscribe")
        .and_then(|header| {
            header
                .trim()
                .strip_prefix('<')
                .and_then(|rest| rest.strip_suffix('>'))
                .map(str::to_owned)
        })
        .expect("a List-Unsubscribe URL");
    let response = app
        .http
        .post(app.url(&one_click[PUBLIC_URL.len()..]))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("one-click POST");
    assert_eq!(response.status(), 200);

    let (status, body) = app
        .post(&format!("/api/v1/incidents/{id}/resolve"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;
    let mails = smtp.messages();
    assert_eq!(
        carrying(&to(&mails, "stayer@example.com"), "RESOLVED-AR"),
        1
    );
    assert_eq!(
        carrying(&to(&mails, "leaver@example.com"), "RESOLVED-EN"),
        0,
        "mailed after unsubscribing from a notice's link"
    );
    assert_eq!(
        carrying(&to(&mails, "clicker@example.com"), "RESOLVED-EN"),
        0,
        "mailed after a one-click unsubscribe"
    );
    assert_eq!(
        carrying(&to(&mails, "buyer@example.com"), "ACCOUNT-RESOLVED-AR"),
        1
    );
    smtp.assert_clean();
}
