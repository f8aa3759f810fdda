//! Public text is public on purpose: an incident opened by an integration keeps the alert's words
//! inside the team (the signed-in incident page, team channels), while the status page, its
//! Statuspage JSON, its Atom feed and every customer mail call it by its public title — the
//! component's public name and the severity's wording — until a person writes another.

use serde_json::{Value, json};
use tocsin_store::Role;
use tocsin_testkit::{Mail, SmtpSink};

use crate::status::{link, press, public_get, subscribe, to};
use crate::support::{Sink, TOKEN, TestApp};
use crate::ui::{Browser, add_user, csrf};

/// What Sentry sends as an issue's title: an exception message with a secret in it, and markup.
const LEAK: &str = "<b>DB password leaked in stack trace</b>";
/// A piece of it that no public text may carry, escaped or not.
const LEAKED_WORDS: &str = "password leaked";

fn config(smtp: &SmtpSink, sink: &Sink) -> String {
    format!(
        r#"
{mail_header}

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = ["team", "email-customers", "email-affected"]
status_page = "major_outage"

[[channel]]
id = "team"
type = "webhook"
url = "{sink}/team"

[[channel]]
id = "email-customers"
type = "email"
audience = "subscribers"
template = "customer-notice"

[[channel]]
id = "email-affected"
type = "email"
audience = "affected"
template = "customer-notice"

[[template]]
id = "customer-notice"
locale = "ar"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "نواجه مشكلة فنية مؤقتة."

[[template]]
id = "customer-notice"
locale = "en"
# Written before `public_title` existed: `incident.title` is the public title here too.
subject = "{{{{ org.name }}}}: {{{{ incident.title }}}}"
body = "We are facing a temporary technical problem with {{{{ incident.component }}}}."

[[template]]
id = "customer-notice-resolved"
locale = "ar"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "تم حل المشكلة."

[[template]]
id = "customer-notice-resolved"
locale = "en"
subject = "{{{{ org.name }}}}: {{{{ incident.public_title }}}}"
body = "The problem is solved."

[[integration]]
id = "sentry"
type = "sentry"
secret = "sentry-secret-0123456789"
severity = "SEV-1"
category = "backend"
component = "checkout"

[status_page]
title = "Dealix status"
locale = "ar"
components = [{{ id = "checkout", name = "Checkout" }}]
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

/// Sentry's issue alert for an exception titled [`LEAK`], signed as Sentry signs it; returns
/// the incident it opened.
async fn sentry_alert(app: &TestApp) -> String {
    let body = json!({
        "action": "triggered",
        "installation": { "uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9" },
        "data": {
            "event": {
                "issue_id": "1117540176",
                "event_id": "e4874d664c3540c1a32eab185f12c5ab",
                "title": LEAK,
                "culprit": "app/db/pool.py in connect",
                "level": "error",
                "web_url": "https://sentry.io/x/1117540176/",
            },
            "triggered_rule": "Send to tocsin",
        },
        "actor": { "type": "application", "id": "sentry", "name": "Sentry" },
    })
    .to_string();
    let response = app
        .http
        .post(app.url("/hooks/sentry"))
        .header("sentry-hook-resource", "event_alert")
        .header(
            "sentry-hook-signature",
            crate::inbound::hex_hmac(b"sentry-secret-0123456789", body.as_bytes()),
        )
        .header("sentry-hook-timestamp", app.now().as_second().to_string())
        .body(body)
        .send()
        .await
        .expect("POST the Sentry alert");
    assert_eq!(response.status(), 202);
    app.settle().await;
    let open = app.incidents("open").await;
    assert_eq!(open.len(), 1, "{open:#?}");
    open[0]["id"].as_str().expect("id").to_owned()
}

/// Subscribes `email` and follows the confirmation link mailed to it.
async fn confirmed_subscriber(app: &TestApp, smtp: &SmtpSink, email: &str, lang: &str) {
    subscribe(app, email, lang).await;
    app.settle().await;
    let confirmation = to(&smtp.messages(), email)
        .pop()
        .expect("a confirmation mail");
    press(app, &link(app, &confirmation, "confirm")).await;
}

async fn public_text(app: &TestApp, path: &str) -> String {
    let response = public_get(app, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.expect("body")
}

/// Every public surface: the page in both languages, the feed in both, the Statuspage JSON.
const PUBLIC_PATHS: [&str; 9] = [
    "/status",
    "/status?lang=en",
    "/status/feed.atom",
    "/status/feed.atom?lang=en",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
];

async fn assert_public_surfaces_keep_it_inside(app: &TestApp) {
    for path in PUBLIC_PATHS {
        let text = public_text(app, path).await;
        assert!(
            !text.contains(LEAKED_WORDS),
            "the alert's title reached {path}: {text}"
        );
    }
}

/// Everything a mail carries that a reader could see: headers, subject, every decoded part.
fn readable(mail: &Mail) -> String {
    let mut all = mail.text();
    all.push_str(&mail.subject().unwrap_or_default());
    for part in mail.parts() {
        all.push_str(&part.text);
    }
    all
}

#[tokio::test]
async fn an_alert_title_stays_inside_while_the_public_reads_the_component_and_severity() {
    let (app, smtp, sink) = start().await;
    confirmed_subscriber(&app, &smtp, "reader@example.com", "en").await;
    confirmed_subscriber(&app, &smtp, "qari@example.com", "ar").await;

    let id = sentry_alert(&app).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/affected"),
            json!({ "emails": ["buyer@example.com"] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            json!({ "text": "Some payments fail at checkout; we are on it.", "status_page": true }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;

    // The API (signed in) has both: the alert's words and what the public sees.
    let (_, incident) = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["title"], LEAK);
    assert_eq!(incident["public_title"], "Checkout: انقطاع كامل");
    assert_eq!(incident["public_title_written"], false);

    // The public reads the component's public name and the severity's wording, per language.
    let arabic = public_text(&app, "/status").await;
    assert!(arabic.contains("Checkout: انقطاع كامل"), "{arabic}");
    let english = public_text(&app, "/status?lang=en").await;
    assert!(english.contains("Checkout: major outage"), "{english}");
    let feed = public_text(&app, "/status/feed.atom?lang=en").await;
    assert!(feed.contains("Checkout: major outage"), "{feed}");
    let summary: Value =
        serde_json::from_str(&public_text(&app, "/api/v2/summary.json").await).expect("JSON");
    assert_eq!(summary["incidents"][0]["name"], "Checkout: انقطاع كامل");
    assert_public_surfaces_keep_it_inside(&app).await;

    let (status, body) = app
        .post(&format!("/api/v1/incidents/{id}/resolve"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;
    assert_public_surfaces_keep_it_inside(&app).await;
    let history: Value =
        serde_json::from_str(&public_text(&app, "/api/v2/incidents.json").await).expect("JSON");
    assert_eq!(history["incidents"][0]["name"], "Checkout: انقطاع كامل");

    // Every mail: the subscribers' confirmations, opening notices, the public update and the
    // resolution; the named customer's opening and resolution.
    let mails = smtp.messages();
    for mail in &mails {
        assert!(
            !readable(mail).contains(LEAKED_WORDS),
            "the alert's title was mailed to {:?}: {}",
            mail.to,
            readable(mail)
        );
    }
    let reader = to(&mails, "reader@example.com");
    assert_eq!(
        reader.len(),
        4,
        "confirmation, opening notice, update, resolution"
    );
    assert!(
        reader
            .iter()
            .any(|mail| mail.subject().as_deref() == Some("Dealix: Checkout: major outage")),
        "{:?}",
        reader.iter().map(Mail::subject).collect::<Vec<_>>()
    );
    assert!(
        reader.iter().any(|mail| mail
            .part("text/plain")
            .is_some_and(|text| text.contains("temporary technical problem with Checkout."))),
        "`incident.component` is the component's public name"
    );
    let update = reader
        .iter()
        .find(|mail| {
            mail.part("text/plain")
                .is_some_and(|text| text.contains("Some payments fail at checkout"))
        })
        .expect("the public update");
    assert_eq!(
        update.subject().as_deref(),
        Some("Dealix status: Checkout: major outage")
    );
    let qari = to(&mails, "qari@example.com");
    assert!(
        qari.iter()
            .any(|mail| mail.subject().as_deref() == Some("Dealix: Checkout: انقطاع كامل")),
        "{:?}",
        qari.iter().map(Mail::subject).collect::<Vec<_>>()
    );
    assert_eq!(
        to(&mails, "buyer@example.com").len(),
        2,
        "opening and resolution"
    );

    // Inside, the words stay available: the team's channel and the signed-in incident page.
    assert!(
        sink.received()
            .iter()
            .filter(|request| request.path == "/team")
            .any(|request| String::from_utf8_lossy(&request.raw).contains(LEAKED_WORDS)),
        "team channels are told the alert's own title"
    );
    add_user(&app, "dana@example.com", Role::Responder).await;
    let mut browser = Browser::signed_in(&app, "dana@example.com").await;
    let page = browser.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("&lt;b&gt;DB password leaked in stack trace&lt;&#x2f;b&gt;")
            || page
                .body
                .contains("&lt;b&gt;DB password leaked in stack trace&lt;/b&gt;"),
        "the incident page shows the alert's title, escaped: {}",
        page.body
    );
    assert!(page.body.contains("Checkout: انقطاع كامل"));
    smtp.assert_clean();
}

#[tokio::test]
async fn a_person_sets_the_public_title_through_the_api_or_the_incident_page() {
    let (app, _smtp, _sink) = start().await;
    let id = sentry_alert(&app).await;
    let put = |title: Value| {
        app.http
            .put(app.url(&format!("/api/v1/incidents/{id}/public_title")))
            .bearer_auth(TOKEN)
            .json(&title)
            .send()
    };

    // A bad title is refused, saying why, and changes nothing.
    let before = app.timeline_kinds(&id).await;
    for (body, why) in [
        (json!({ "title": "  " }), "cannot be empty"),
        (json!({ "title": "x".repeat(201) }), "at most 200"),
        (json!({ "name": "Checkout" }), "title"),
    ] {
        let response = put(body.clone()).await.expect("PUT");
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.expect("error JSON");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|message| message.contains(why)),
            "{answer}"
        );
    }
    assert_eq!(app.timeline_kinds(&id).await, before);
    assert!(
        public_text(&app, "/status?lang=en")
            .await
            .contains("Checkout: major outage")
    );

    let response = put(json!({ "title": "Card payments are failing" }))
        .await
        .expect("PUT");
    assert_eq!(response.status(), 200);
    let incident: Value = response.json().await.expect("incident JSON");
    assert_eq!(incident["public_title"], "Card payments are failing");
    assert_eq!(incident["public_title_written"], true);
    assert_eq!(incident["title"], LEAK, "the internal title is kept");
    let (_, timeline) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    let set = timeline["events"]
        .as_array()
        .and_then(|events| events.iter().find(|e| e["kind"] == "public_title_set"))
        .expect("public_title_set on the timeline")
        .clone();
    assert_eq!(set["actor"], "admin");
    assert_eq!(
        set["data"],
        json!({ "from": null, "to": "Card payments are failing" })
    );
    // A person's title is shown as written, in every language.
    for path in ["/status", "/status?lang=en", "/status/feed.atom"] {
        assert!(
            public_text(&app, path)
                .await
                .contains("Card payments are failing"),
            "{path}"
        );
    }

    // The incident page's form does the same for a signed-in responder.
    add_user(&app, "dana@example.com", Role::Responder).await;
    let mut browser = Browser::signed_in(&app, "dana@example.com").await;
    let page = browser.get(&format!("/incidents/{id}")).await;
    assert!(page.body.contains(r#"id="public-title-form""#));
    let token = csrf(&page.body);
    let posted = browser
        .post(
            &format!("/incidents/{id}/public_title"),
            &[("csrf", &token), ("title", "Checkout is slow to pay")],
        )
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    assert_eq!(
        posted.location.as_deref(),
        Some(format!("/incidents/{id}?done=public_title").as_str())
    );
    let summary: Value =
        serde_json::from_str(&public_text(&app, "/api/v2/summary.json").await).expect("JSON");
    assert_eq!(summary["incidents"][0]["name"], "Checkout is slow to pay");
    let (_, timeline) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    assert!(
        timeline["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "public_title_set" && e["actor"] == "dana@example.com")
    );
}
