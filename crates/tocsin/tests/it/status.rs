//! The public status page as its readers meet it: the HTML page in Arabic and English, the
//! Statuspage-compatible JSON, the Atom feed read by a real XML parser, and e-mail subscriptions
//! through a real SMTP server.

use std::io::Read as _;
use std::time::Duration;

use serde_json::{Value, json};
use tocsin_testkit::{Mail, SmtpSink};

use crate::support::{Target, TestApp};

pub(crate) const PUBLIC_URL: &str = "http://tocsin.test";

pub(crate) fn config(target: &Target, smtp: &SmtpSink) -> String {
    format!(
        r#"
{mail_header}

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = ["email-customers"]
status_page = "major_outage"

[[severity]]
id = "SEV-2"
definition = "Major feature broken"
respond_within = "1h"
notify = ["email-customers"]
status_page = "partial_outage"

[[severity]]
id = "SEV-3"
definition = "Minor bug"
respond_within = "4h"
notify = []
status_page = "none"

[[channel]]
id = "email-customers"
type = "email"
audience = "subscribers"
template = "customer-notice"

[[template]]
id = "customer-notice"
locale = "ar"
subject = "{{{{ org.name }}}}: {{{{ incident.title }}}}"
body = "نواجه مشكلة فنية مؤقتة."

[[template]]
id = "customer-notice"
locale = "en"
subject = "{{{{ org.name }}}}: {{{{ incident.title }}}}"
body = "We are facing a temporary technical problem."

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

[[monitor]]
id = "api-health"
name = "API /healthz"
type = "http"
url = "{target}/healthz"
interval = "30s"
timeout = "1s"
confirm = 2
severity = "SEV-1"
category = "backend"
component = "api"

[status_page]
title = "Dealix status"
locale = "ar"
components = [{{ id = "api", name = "API" }}, {{ id = "payments", name = "Payments" }}]
"#,
        mail_header = crate::support::mail_header(smtp),
        target = target.url,
    )
}

pub(crate) async fn start() -> (TestApp, SmtpSink, Target) {
    let smtp = SmtpSink::start().await;
    let target = Target::start(200).await;
    let app = TestApp::start(&config(&target, &smtp)).await;
    (app, smtp, target)
}

async fn declare(app: &TestApp, title: &str, severity: &str, component: &str) -> String {
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": title, "severity": severity, "component": component }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("incident id").to_owned()
}

async fn update(app: &TestApp, id: &str, text: &str, public: bool) {
    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            json!({ "text": text, "status_page": public }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn act(app: &TestApp, id: &str, action: &str) {
    let (status, body) = app
        .post(&format!("/api/v1/incidents/{id}/{action}"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
}

/// A public GET: no token, as a reader's browser or an aggregator sends it.
pub(crate) async fn public_get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .send()
        .await
        .expect("GET a public page")
}

/// Follows a link from a subscriber's mail as a reader does: the page shows one button
/// (nothing changes yet), and pressing it posts to the same address. Returns the answer's page.
pub(crate) async fn press(app: &TestApp, url: &str) -> String {
    let shown = html(app, &url[app.url("").len()..]).await;
    assert!(shown.contains(r#"<form method="post">"#), "{shown}");
    let response = app.http.post(url).send().await.expect("press the button");
    assert_eq!(response.status(), 200, "{url}");
    response.text().await.expect("page text")
}

pub(crate) async fn html(app: &TestApp, path: &str) -> String {
    let response = public_get(app, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.expect("page text")
}

async fn json_of(app: &TestApp, path: &str) -> Value {
    let response = public_get(app, path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*"),
        "{path} must be readable from any origin"
    );
    assert!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("max-age=")),
        "{path} must say how long to cache"
    );
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn the_page_speaks_arabic_right_to_left_and_shows_only_public_words() {
    let (app, _smtp, _target) = start().await;
    // A minute of healthy checks gives the API's bar a day with data.
    app.advance(Duration::from_secs(60), Duration::from_secs(10))
        .await;
    let id = declare(
        &app,
        "Payments failing <script>alert(1)</script>",
        "SEV-2",
        "payments",
    )
    .await;
    update(&app, &id, "We found the fault & are rolling back.", true).await;
    update(&app, &id, "Sami thinks the 14:00 deploy did it", false).await;
    app.clock.advance(Duration::from_secs(60));
    update(&app, &id, "Payments are recovering.", true).await;

    let page = html(&app, "/status").await;
    assert!(page.contains(r#"<html lang="ar" dir="rtl">"#), "{page}");
    for label in [
        "انقطاع جزئي في النظام",
        "انقطاع جزئي",
        "يعمل",
        "الحوادث الجارية",
        "الحوادث السابقة",
        "اشترك في التحديثات",
        "نوفمبر 2026",
        "قيد التحقيق",
    ] {
        assert!(page.contains(label), "the Arabic page lacks {label:?}");
    }
    assert!(page.contains("We found the fault &amp; are rolling back."));
    assert!(
        !page.contains("Sami thinks"),
        "a team-only update reached the public page"
    );
    assert!(
        !page.contains("<script>alert(1)"),
        "a title was not escaped"
    );
    let newer = page.find("Payments are recovering.").expect("newer update");
    let older = page.find("We found the fault").expect("older update");
    assert!(newer < older, "updates are shown newest first");
    assert!(
        page.contains("100.00%"),
        "the API's checks all passed today"
    );
    // The API's bar: 89 days without data told once, then today, fully up, with its date.
    let api = &page[page.find(r#"id="component-api""#).expect("the API's row")..];
    let api = &api[..api.find("</li>").expect("the end of the API's row")];
    assert!(
        api.contains(r#"<span class="nd" style="flex:89" title="من "#),
        "{api}"
    );
    assert!(
        api.contains(r#"<span class="ok" style="flex:1" title=""#),
        "{api}"
    );
    assert!(api.contains(r#"2026: 100.00%"></span></div>"#), "{api}");
    assert!(
        api.contains(r#"role="img" aria-label="نسبة التوفر خلال آخر 90 يومًا: 100.00%""#),
        "screen readers hear the 90 days in one sentence: {api}"
    );
    assert!(page.len() < 100 * 1024, "{} bytes", page.len());
    assert!(!page.contains("<script"), "the page needs no JavaScript");

    let english = html(&app, "/status?lang=en").await;
    assert!(english.contains(r#"<html lang="en" dir="ltr">"#));
    for label in [
        "Partial System Outage",
        "Partial Outage",
        "Operational",
        "Past incidents",
        "November 2026",
    ] {
        assert!(english.contains(label), "the English page lacks {label:?}");
    }
    assert!(!english.contains("انقطاع جزئي"));

    // A language the organisation does not offer falls back to the configured one.
    let fallback = html(&app, "/status?lang=fr").await;
    assert!(fallback.contains(r#"<html lang="ar" dir="rtl">"#));

    let zipped = app
        .http
        .get(app.url("/status"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("GET gzipped");
    assert_eq!(
        zipped
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    let compressed = zipped.bytes().await.expect("body").len();
    // Less than half: the page no longer repeats 90 cells per component, so it compresses less
    // than it did (a third), being far smaller to begin with.
    assert!(
        compressed * 2 < page.len(),
        "{compressed} bytes gzipped of {}",
        page.len()
    );
}

/// `path` asked for with `Accept-Encoding: accept`: the answer's `Content-Encoding`, its size on
/// the wire, and its body decoded as that header says (brotli and gzip by their own crates).
async fn decoded(app: &TestApp, path: &str, accept: &str) -> (Option<String>, usize, String) {
    let response = app
        .http
        .get(app.url(path))
        .header("accept-encoding", accept)
        .send()
        .await
        .expect("GET with an Accept-Encoding");
    assert_eq!(response.status(), 200, "{path}");
    let vary = response
        .headers()
        .get("vary")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        vary.contains("accept-encoding"),
        "{path} must say it varies by Accept-Encoding"
    );
    let encoding = response
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let wire = response.bytes().await.expect("body");
    let mut text = String::new();
    match encoding.as_deref() {
        Some("br") => brotli::Decompressor::new(&wire[..], 4096)
            .read_to_string(&mut text)
            .map(|_| ()),
        Some("gzip") => flate2::read::GzDecoder::new(&wire[..])
            .read_to_string(&mut text)
            .map(|_| ()),
        None => {
            text = String::from_utf8(wire.to_vec()).expect("UTF-8");
            Ok(())
        }
        Some(other) => panic!("{path} came in an encoding nobody asked for: {other}"),
    }
    .unwrap_or_else(|error| panic!("{path} in {encoding:?} does not decode: {error}"));
    (encoding, wire.len(), text)
}

#[tokio::test]
async fn brotli_gzip_and_plain_answers_carry_the_same_page_and_summary() {
    let (app, _smtp, _target) = start().await;
    app.advance(Duration::from_secs(60), Duration::from_secs(10))
        .await;
    let id = declare(&app, "Payments failing", "SEV-2", "payments").await;
    update(&app, &id, "We are rolling back.", true).await;

    for path in ["/status", "/status?lang=en", "/api/v2/summary.json"] {
        let (none, _, plain) = decoded(&app, path, "identity").await;
        assert_eq!(none, None, "{path} asked for as is");
        let (gzip, gzip_size, from_gzip) = decoded(&app, path, "gzip").await;
        assert_eq!(gzip.as_deref(), Some("gzip"), "{path} asked for gzip");
        // What browsers send: brotli is preferred when accepted.
        let (br, br_size, from_brotli) = decoded(&app, path, "gzip, deflate, br, zstd").await;
        assert_eq!(
            br.as_deref(),
            Some("br"),
            "{path} asked for br among others"
        );
        assert_eq!(from_gzip, plain, "{path}: gzip decodes to the plain answer");
        assert_eq!(
            from_brotli, plain,
            "{path}: brotli decodes to the plain answer"
        );
        assert!(
            br_size < gzip_size,
            "{path}: brotli ({br_size} B) is smaller than gzip ({gzip_size} B)"
        );
        // A client refusing brotli gets gzip; one refusing both gets the page as is.
        let (refused, _, _) = decoded(&app, path, "br;q=0, gzip").await;
        assert_eq!(refused.as_deref(), Some("gzip"), "{path}");
        let (neither, _, _) = decoded(&app, path, "br;q=0, gzip;q=0").await;
        assert_eq!(neither, None, "{path}");
    }
    // The uncached JSON answers negotiate the same way.
    let (br, _, components) = decoded(&app, "/api/v2/components.json", "br").await;
    assert_eq!(br.as_deref(), Some("br"));
    let components: Value = serde_json::from_str(&components).expect("JSON");
    assert_eq!(components["components"][1]["status"], "partial_outage");
}

#[tokio::test]
async fn summary_json_reads_like_statuspage_through_an_incident() {
    let (app, _smtp, _target) = start().await;
    let quiet = json_of(&app, "/api/v2/summary.json").await;
    assert_eq!(quiet["status"]["indicator"], "none");
    assert_eq!(quiet["status"]["description"], "All Systems Operational");

    let id = declare(&app, "Checkout errors", "SEV-2", "api").await;
    // A SEV-3 without a public word stays internal: it moves nothing on the page.
    declare(&app, "Typo on the invoice", "SEV-3", "payments").await;
    let summary = json_of(&app, "/api/v2/summary.json").await;
    let page = &summary["page"];
    for field in ["id", "name", "url", "time_zone", "updated_at"] {
        assert!(!page[field].is_null(), "page.{field} missing: {page}");
    }
    assert_eq!(page["name"], "Dealix status");
    assert_eq!(page["url"], format!("{PUBLIC_URL}/status"));
    assert_eq!(page["time_zone"], "Asia/Riyadh");
    assert_eq!(summary["status"]["indicator"], "major");
    assert_eq!(summary["status"]["description"], "Partial System Outage");
    let components = summary["components"].as_array().expect("components");
    assert_eq!(components.len(), 2);
    let api = &components[0];
    for field in [
        "id",
        "name",
        "status",
        "position",
        "description",
        "group_id",
        "group",
        "only_show_if_degraded",
        "page_id",
        "created_at",
        "updated_at",
    ] {
        assert!(
            api.as_object().is_some_and(|o| o.contains_key(field)),
            "component.{field} missing: {api}"
        );
    }
    assert_eq!(api["name"], "API");
    assert_eq!(api["status"], "partial_outage");
    assert_eq!(api["position"], 1);
    assert_eq!(api["page_id"], page["id"]);
    assert_eq!(components[1]["status"], "operational");
    let incidents = summary["incidents"].as_array().expect("incidents");
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let incident = &incidents[0];
    for field in [
        "id",
        "name",
        "status",
        "impact",
        "shortlink",
        "started_at",
        "created_at",
        "updated_at",
        "monitoring_at",
        "resolved_at",
        "components",
        "incident_updates",
    ] {
        assert!(
            incident.as_object().is_some_and(|o| o.contains_key(field)),
            "incident.{field} missing: {incident}"
        );
    }
    assert_eq!(incident["name"], "Checkout errors");
    assert_eq!(incident["status"], "investigating");
    assert_eq!(incident["impact"], "major");
    assert_eq!(incident["components"][0]["name"], "API");

    update(&app, &id, "Rolling back the release.", true).await;
    act(&app, &id, "acknowledge").await;
    let unresolved = json_of(&app, "/api/v2/incidents/unresolved.json").await;
    let open = &unresolved["incidents"][0];
    assert_eq!(open["status"], "identified");
    let posted = &open["incident_updates"][0];
    for field in [
        "id",
        "status",
        "body",
        "display_at",
        "created_at",
        "affected_components",
    ] {
        assert!(
            posted.as_object().is_some_and(|o| o.contains_key(field)),
            "incident_update.{field} missing: {posted}"
        );
    }
    assert_eq!(posted["body"], "Rolling back the release.");
    assert_eq!(posted["status"], "investigating");

    act(&app, &id, "resolve").await;
    let after = json_of(&app, "/api/v2/summary.json").await;
    assert_eq!(after["status"]["indicator"], "none");
    assert_eq!(after["components"][0]["status"], "operational");
    assert_eq!(after["incidents"], json!([]));
    let status = json_of(&app, "/api/v2/status.json").await;
    assert_eq!(status["status"]["description"], "All Systems Operational");
    let components = json_of(&app, "/api/v2/components.json").await;
    assert_eq!(components["components"][0]["status"], "operational");
    let history = json_of(&app, "/api/v2/incidents.json").await;
    let resolved = &history["incidents"][0];
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["resolved_at"].is_string());
    assert_eq!(resolved["incident_updates"][0]["status"], "resolved");
    assert_eq!(history["incidents"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_atom_feed_parses_and_carries_each_public_update() {
    let (app, _smtp, _target) = start().await;
    let id = declare(&app, "Login <slow> & flaky", "SEV-1", "api").await;
    update(&app, &id, "Logins are slow; we are adding capacity.", true).await;
    update(&app, &id, "internal: db pool at 100%", false).await;
    app.clock.advance(Duration::from_secs(120));
    act(&app, &id, "resolve").await;

    let response = public_get(&app, "/status/feed.atom?lang=en").await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/atom+xml"))
    );
    let xml = response.text().await.expect("feed");
    let parsed = parse_atom(&xml).await;
    assert_eq!(parsed["id"], format!("{PUBLIC_URL}/status"));
    assert_eq!(parsed["title"], "Dealix status");
    assert!(parsed["updated"].as_str().is_some_and(|u| u.ends_with('Z')));
    assert_eq!(
        parsed["self"],
        format!("{PUBLIC_URL}/status/feed.atom?lang=en")
    );
    let entries = parsed["entries"].as_array().expect("entries");
    let titles: Vec<&str> = entries.iter().filter_map(|e| e["title"].as_str()).collect();
    assert_eq!(
        titles,
        vec![
            "Incident resolved: Login <slow> & flaky",
            "Update: Login <slow> & flaky (Investigating)",
            "Incident opened: Login <slow> & flaky",
        ],
        "newest first, one entry per public event"
    );
    assert_eq!(
        entries[1]["content"],
        "Logins are slow; we are adding capacity."
    );
    assert!(
        !xml.contains("db pool"),
        "a team-only update is in the feed"
    );
    let ids: std::collections::HashSet<&str> =
        entries.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len(), 3, "entry ids are unique");
}

/// Reads an Atom document with Python's XML parser (a real, independent one): a malformed feed
/// fails here.
async fn parse_atom(xml: &str) -> Value {
    use tokio::io::AsyncWriteExt;
    let script = r#"
import json, sys, xml.etree.ElementTree as ET
A = "{http://www.w3.org/2005/Atom}"
root = ET.fromstring(sys.stdin.buffer.read())
assert root.tag == A + "feed", root.tag
def text(e, name):
    found = e.find(A + name)
    return None if found is None else found.text
self_link = [l.get("href") for l in root.findall(A + "link") if l.get("rel") == "self"]
entries = [{"id": text(e, "id"), "title": text(e, "title"), "updated": text(e, "updated"),
            "content": text(e, "content")} for e in root.findall(A + "entry")]
for e in entries:
    assert e["id"] and e["title"] and e["updated"], e
print(json.dumps({"id": text(root, "id"), "title": text(root, "title"),
                  "updated": text(root, "updated"), "self": self_link[0], "entries": entries}))
"#;
    let mut child = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(xml.as_bytes())
        .await
        .expect("feed to python");
    drop(stdin);
    let output = child.wait_with_output().await.expect("python finishes");
    assert!(
        output.status.success(),
        "the feed is not valid Atom: {}\n{xml}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("parser output")
}

pub(crate) async fn subscribe(app: &TestApp, email: &str, lang: &str) -> String {
    let response = app
        .http
        .post(app.url("/status/subscribe"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={}&lang={lang}", email.replace('@', "%40")))
        .send()
        .await
        .expect("POST subscribe");
    assert_eq!(response.status(), 200);
    response.text().await.expect("page")
}

/// The link to `/status/<kind>/…` in a message's text, as a URL on the test server.
pub(crate) fn link(app: &TestApp, mail: &Mail, kind: &str) -> String {
    let text = mail.part("text/plain").expect("a text part");
    let prefix = format!("{PUBLIC_URL}/status/{kind}/");
    let start = text
        .find(&prefix)
        .unwrap_or_else(|| panic!("no {kind} link in {text}"));
    let url: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    app.url(&url[PUBLIC_URL.len()..])
}

pub(crate) fn to(mails: &[Mail], address: &str) -> Vec<Mail> {
    mails
        .iter()
        .filter(|mail| mail.to.iter().any(|to| to == address))
        .cloned()
        .collect()
}

#[tokio::test]
async fn only_confirmed_subscribers_get_public_updates_until_they_unsubscribe() {
    let (app, smtp, _target) = start().await;
    let page = html(&app, "/status").await;
    assert!(page.contains(r#"action="/status/subscribe""#));

    let answer = subscribe(&app, "early@example.com", "en").await;
    assert!(answer.contains("Check your inbox"), "{answer}");
    let answer = subscribe(&app, "reader@example.com", "ar").await;
    assert!(answer.contains("تحقّق من بريدك"), "{answer}");
    app.settle().await;
    let mails = smtp.messages();
    assert_eq!(mails.len(), 2, "one confirmation each");
    let confirmation = to(&mails, "reader@example.com")
        .pop()
        .expect("reader's confirmation");
    assert!(
        confirmation
            .subject()
            .is_some_and(|s| s.contains("أكّد اشتراكك")),
        "{:?}",
        confirmation.subject()
    );
    // Asking again at once sends nothing more: the form cannot flood an inbox.
    subscribe(&app, "early@example.com", "en").await;
    app.settle().await;
    assert_eq!(smtp.messages().len(), 2);

    let confirmed = press(&app, &link(&app, &confirmation, "confirm")).await;
    assert!(confirmed.contains("تم تأكيد الاشتراك"), "{confirmed}");

    let id = declare(&app, "Payments failing", "SEV-2", "payments").await;
    update(&app, &id, "Card payments are failing; we are on it.", true).await;
    update(&app, &id, "internal: the acquirer is down", false).await;
    app.settle().await;
    let mails = smtp.messages();
    assert!(
        to(&mails, "early@example.com").len() == 1,
        "an unconfirmed address got more than its confirmation"
    );
    let news = to(&mails, "reader@example.com");
    // The confirmation, the severity's customer notice (the template, on opening) and the one
    // public update.
    assert_eq!(
        news.len(),
        3,
        "confirmation, opening notice and the one public update"
    );
    assert!(
        news.iter().any(|mail| mail
            .part("text/plain")
            .is_some_and(|text| text.contains("نواجه مشكلة فنية مؤقتة."))),
        "the opening notice from the template"
    );
    let update_mail = news
        .iter()
        .find(|mail| {
            mail.part("text/plain")
                .is_some_and(|text| text.contains("Card payments are failing"))
        })
        .expect("the update");
    assert!(
        update_mail
            .subject()
            .is_some_and(|s| s.contains("Payments failing")),
        "{:?}",
        update_mail.subject()
    );
    let text = update_mail.part("text/plain").expect("text");
    assert!(text.contains("Card payments are failing; we are on it."));
    assert!(!text.contains("acquirer"), "a team-only update was mailed");
    assert!(text.contains("قيد التحقيق"), "{text}");
    assert!(
        update_mail
            .header("list-unsubscribe")
            .is_some_and(|h| h.contains("/status/unsubscribe/"))
    );
    let html_part = update_mail.part("text/html").expect("html");
    assert!(html_part.contains(r#"dir="rtl""#));

    let bye = press(&app, &link(&app, update_mail, "unsubscribe")).await;
    assert!(bye.contains("تم إلغاء اشتراكك"), "{bye}");
    update(&app, &id, "Payments are back.", true).await;
    app.settle().await;
    assert_eq!(
        to(&smtp.messages(), "reader@example.com").len(),
        3,
        "mail kept coming after unsubscribing"
    );

    // A made-up link changes nothing and says so.
    let forged = public_get(
        &app,
        "/status/unsubscribe/0123456789abcdef01234567.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .await;
    assert_eq!(forged.status(), 404);
    smtp.assert_clean();
}
