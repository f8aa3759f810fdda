//! The public subscribe form under abuse: links in the mail act only when their button is
//! pressed, sign-ups are limited per client address (429 with `Retry-After`), sign-ups never
//! confirmed are forgotten, and status-page mail waits while a page is being sent.

use std::time::Duration;

use serde_json::json;
use tocsin_engine::Round;
use tocsin_testkit::SmtpSink;

use crate::status::{link, public_get, subscribe, to};
use crate::support::{Sink, Target, TestApp};

const LIMIT: Duration = Duration::from_secs(10);

/// A POST from a browser (or a mail client's one-click unsubscribe) to a link's address.
async fn press(app: &TestApp, url: &str, body: &str) -> (u16, String) {
    let response = app
        .http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("POST the link");
    let status = response.status().as_u16();
    (status, response.text().await.expect("page"))
}

/// Posts a public update saying `text` on a new incident; whether `address` was mailed it.
async fn public_update_reaches(app: &TestApp, smtp: &SmtpSink, address: &str, text: &str) -> bool {
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "Payments failing", "severity": "SEV-2", "component": "payments" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            json!({ "text": text, "status_page": true }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.settle().await;
    to(&smtp.messages(), address).iter().any(|mail| {
        mail.part("text/plain")
            .is_some_and(|plain| plain.contains(text))
    })
}

#[tokio::test]
async fn a_link_in_the_mail_only_shows_a_button_and_the_button_acts() {
    let (app, smtp, _target) = crate::status::start().await;
    subscribe(&app, "reader@example.com", "en").await;
    app.settle().await;
    let confirmation = smtp.wait_for(1, LIMIT).await.remove(0);
    let confirm = link(&app, &confirmation, "confirm");

    // A mail scanner following the link confirms nothing.
    for _ in 0..2 {
        let page = public_get(&app, &confirm[app.url("").len()..]).await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.expect("page");
        assert!(page.contains(r#"<form method="post">"#), "{page}");
        assert!(page.contains("Confirm subscription"), "{page}");
    }
    assert!(
        !public_update_reaches(&app, &smtp, "reader@example.com", "First update.").await,
        "following the link alone confirmed the subscription"
    );

    let (status, page) = press(&app, &confirm, "").await;
    assert_eq!(status, 200);
    assert!(page.contains("Subscription confirmed"), "{page}");
    assert!(public_update_reaches(&app, &smtp, "reader@example.com", "Second update.").await);

    let news = to(&smtp.messages(), "reader@example.com");
    let unsubscribe = link(&app, news.last().expect("an update"), "unsubscribe");
    let page = public_get(&app, &unsubscribe[app.url("").len()..])
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains(r#"<form method="post">"#), "{page}");
    assert!(
        public_update_reaches(&app, &smtp, "reader@example.com", "Third update.").await,
        "following the unsubscribe link alone ended the subscription"
    );
    // The mail client's one-click unsubscribe (RFC 8058) is a POST to the same address.
    let (status, page) = press(&app, &unsubscribe, "List-Unsubscribe=One-Click").await;
    assert_eq!(status, 200);
    assert!(page.contains("You are unsubscribed"), "{page}");
    assert!(!public_update_reaches(&app, &smtp, "reader@example.com", "Fourth update.").await);

    // A made-up link, pressed, changes nothing and says so.
    let (status, _) = press(
        &app,
        &app.url(
            "/status/confirm/0123456789abcdef01234567.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
        "",
    )
    .await;
    assert_eq!(status, 404);
    smtp.assert_clean();
}

/// Signs up from the loopback address `client` (127.0.0.0/8 is all this host's), so each client
/// is its own socket peer, as tocsin sees readers without a proxy.
async fn sign_up(app: &TestApp, email: &str, client: &str) -> (u16, Option<String>) {
    let http = reqwest::Client::builder()
        .no_proxy()
        .local_address(client.parse::<std::net::IpAddr>().expect("an address"))
        .build()
        .expect("client");
    let response = http
        .post(app.url("/status/subscribe"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={}&lang=en", email.replace('@', "%40")))
        .send()
        .await
        .expect("POST subscribe");
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), retry_after)
}

#[tokio::test]
async fn one_address_gets_a_few_sign_ups_then_is_told_when_to_come_back() {
    let (app, smtp, _target) = crate::status::start().await;
    for n in 0..5 {
        let email = format!("reader{n}@example.com");
        assert_eq!(sign_up(&app, &email, "127.0.0.7").await, (200, None));
    }
    let (status, retry_after) = sign_up(&app, "sixth@example.com", "127.0.0.7").await;
    assert_eq!(status, 429);
    assert_eq!(retry_after.as_deref(), Some("600"));
    // Someone else is not held back.
    assert_eq!(
        sign_up(&app, "other@example.com", "127.0.0.8").await,
        (200, None)
    );
    app.settle().await;
    let mails = smtp.wait_for(6, LIMIT).await;
    assert!(
        to(&mails, "sixth@example.com").is_empty(),
        "a refused sign-up was mailed"
    );
    // Ten minutes later the address may sign up once more.
    app.clock.advance(Duration::from_secs(600));
    assert_eq!(
        sign_up(&app, "sixth@example.com", "127.0.0.7").await,
        (200, None)
    );
}

#[tokio::test]
async fn a_sign_up_never_confirmed_is_forgotten_after_two_days() {
    let (app, smtp, _target) = crate::status::start().await;
    subscribe(&app, "stranger@example.com", "en").await;
    app.settle().await;
    let confirmation = smtp.wait_for(1, LIMIT).await.remove(0);
    let confirm = link(&app, &confirmation, "confirm");

    app.clock.advance(Duration::from_secs(49 * 3600));
    app.settle().await;
    let page = public_get(&app, &confirm[app.url("").len()..]).await;
    assert_eq!(
        page.status(),
        404,
        "the forgotten sign-up's link still works"
    );
    let (status, _) = press(&app, &confirm, "").await;
    assert_eq!(status, 404);

    // The address is a stranger again: a new sign-up gets a new confirmation at once.
    subscribe(&app, "stranger@example.com", "en").await;
    app.settle().await;
    assert_eq!(
        to(&smtp.wait_for(2, LIMIT).await, "stranger@example.com").len(),
        2
    );
}

#[tokio::test]
async fn status_page_mail_waits_while_a_page_is_being_sent() {
    let smtp = SmtpSink::start().await;
    let target = Target::start(200).await;
    let sms = Sink::start().await;
    let config = crate::status::config(&target, &smtp)
        + &format!(
            r#"
[[channel]]
id = "sms"
type = "webhook"
url = "{sms}/sms"

[[contact]]
id = "ann"
name = "Ann"
phone = "+966500000001"
methods = ["sms"]

[[escalation]]
id = "backend"
steps = [{{ targets = ["contact:ann"], after = "10m" }}]

[[route]]
category = "backend"
escalation = "backend"
"#,
            sms = sms.url
        );
    let app = TestApp::start(&config).await;
    subscribe(&app, "reader@example.com", "en").await;

    // Ann's page hangs at the SMS provider.
    sms.hold(true);
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "API down", "severity": "SEV-1", "category": "backend" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let engine = app.app.engine.clone();
    let paging = tokio::spawn(async move { engine.run_round(Round::Deliveries).await });
    sms.wait_until(LIMIT, |got| got.len() == 1).await;

    let engine = &app.app.engine;
    assert_eq!(
        engine
            .run_round(Round::SubscriberMail)
            .await
            .expect("mail round"),
        0,
        "status-page mail went out beside a page in flight"
    );
    assert!(smtp.messages().is_empty());

    sms.hold(false);
    paging.await.expect("task").expect("the page round");
    assert_eq!(
        engine
            .run_round(Round::SubscriberMail)
            .await
            .expect("mail round"),
        1
    );
    assert_eq!(
        to(&smtp.wait_for(1, LIMIT).await, "reader@example.com").len(),
        1
    );
}
