//! E-mail end to end: lettre talks SMTP to testkit's real server on 127.0.0.1, and the tests read
//! what arrived (decoded parts, headers, envelope) and how each refusal was classified.

use std::time::Duration;

use tocsin_core::Secret;
use tocsin_core::notice::{Notice, NoticeEvent, NoticeLinks};
use tocsin_notify::{Delivery, Mailer, SendError, Sender, SmtpSettings, Target, Tls, http_client};
use tocsin_testkit::{SmtpSink, Stage};

const LIMIT: Duration = Duration::from_secs(10);
const ACK: &str = "https://tocsin.example.com/ack/tok_abc?sig=1&n=2";
const INCIDENT: &str = "https://tocsin.example.com/incidents/inc_42";

fn notice() -> Notice {
    Notice {
        event: NoticeEvent::Opened,
        incident_id: "inc_42".into(),
        title: "Checkout API down".into(),
        severity: "SEV-1".into(),
        category: Some("availability".into()),
        component: Some("checkout-api".into()),
        summary: Some("5xx rate above 50% for 5m".into()),
        opened_at: "2026-11-26T21:30:00Z".parse().expect("valid timestamp"),
        runbook: Some("checkout-outage".into()),
        actor: None,
        source: None,
    }
}

fn links() -> NoticeLinks {
    NoticeLinks {
        incident_url: INCIDENT.into(),
        ack_url: Some(ACK.into()),
    }
}

fn settings(sink: &SmtpSink) -> SmtpSettings {
    SmtpSettings {
        host: sink.host(),
        port: sink.port(),
        username: None,
        password: None,
        from: "Tocsin <alerts@tocsin.example.com>".into(),
        tls: Tls::None,
    }
}

fn sender(settings: &SmtpSettings) -> Sender {
    Sender::new(http_client()).with_mailer(Mailer::new(settings).expect("mailer"))
}

fn email(to: &str, locale_rtl: bool) -> Target {
    Target::Email {
        to: to.into(),
        locale_rtl,
    }
}

async fn send_notice(
    sender: &Sender,
    target: &Target,
    notice: &Notice,
    to: Option<&str>,
) -> Result<(), SendError> {
    let links = links();
    sender
        .send(
            target,
            &Delivery {
                id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
                notice,
                links: &links,
                now: "2026-11-26T21:31:00Z".parse().expect("valid timestamp"),
                to,
                reply_code: None,
            },
        )
        .await
}

#[tokio::test]
async fn a_notice_arrives_with_text_and_html_parts_and_the_ack_link_in_both() {
    let sink = SmtpSink::start().await;
    let sender = sender(&settings(&sink));
    send_notice(
        &sender,
        &email("oncall@example.com", false),
        &notice(),
        None,
    )
    .await
    .expect("sent");

    let mail = sink.wait_for(1, LIMIT).await.remove(0);
    assert_eq!(mail.from, "alerts@tocsin.example.com");
    assert_eq!(mail.to, ["oncall@example.com"]);
    assert_eq!(mail.subject().as_deref(), Some("[SEV-1] Checkout API down"));
    assert_eq!(
        mail.header("message-id").as_deref(),
        Some("<0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b@tocsin.example.com>")
    );
    assert_eq!(
        mail.header("x-tocsin-delivery").as_deref(),
        Some("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
    );
    assert_eq!(
        mail.header("auto-submitted").as_deref(),
        Some("auto-generated")
    );
    assert_eq!(
        mail.header("date").as_deref(),
        Some("Thu, 26 Nov 2026 21:31:00 +0000"),
        "dated by the attempt's `now`, not the clock"
    );
    assert!(
        mail.header("content-type")
            .expect("content type")
            .starts_with("multipart/alternative")
    );

    let text = mail.part("text/plain").expect("a text/plain part");
    assert!(
        text.starts_with("Incident opened: Checkout API down\n"),
        "{text}"
    );
    assert!(text.contains("Severity: SEV-1\n"));
    assert!(text.contains("Since: 2026-11-26 21:30 UTC\n"));
    assert!(text.contains("5xx rate above 50% for 5m"));
    assert!(text.contains(&format!("Acknowledge: {ACK}\n")));
    assert!(text.contains(&format!("Incident: {INCIDENT}\n")));

    let html = mail.part("text/html").expect("a text/html part");
    assert!(html.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(html.contains(&format!("<a href=\"{}\"", ACK.replace('&', "&amp;"))));
    assert!(html.contains(&format!("<a href=\"{INCIDENT}\"")));
    assert!(html.contains(">checkout-outage</td>"));
    sink.assert_clean();
}

#[tokio::test]
async fn an_arabic_notice_is_laid_out_right_to_left() {
    let sink = SmtpSink::start().await;
    let sender = sender(&settings(&sink));
    let mut arabic = notice();
    arabic.title = "تعطل واجهة الدفع".into();
    arabic.summary = Some("نسبة أخطاء 5xx فوق 50% منذ 5 دقائق".into());
    send_notice(&sender, &email("oncall@example.com", true), &arabic, None)
        .await
        .expect("sent");

    let mail = sink.wait_for(1, LIMIT).await.remove(0);
    assert_eq!(mail.subject().as_deref(), Some("[SEV-1] تعطل واجهة الدفع"));
    let html = mail.part("text/html").expect("html");
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(html.contains("<body dir=\"rtl\""));
    assert!(html.contains("<div dir=\"rtl\""));
    assert!(html.contains(">تعطل واجهة الدفع</h1>"));
    assert!(html.contains(&format!("<a href=\"{}\"", ACK.replace('&', "&amp;"))));
    // Logical order, as written: the client does the layout.
    let text = mail.part("text/plain").expect("text");
    assert!(
        text.starts_with("Incident opened: تعطل واجهة الدفع\n"),
        "{text}"
    );
    assert!(text.contains("\nنسبة أخطاء 5xx فوق 50% منذ 5 دقائق\n"));
    assert!(text.contains(&format!("Acknowledge: {ACK}\n")));
}

#[tokio::test]
async fn a_4xx_is_retryable_and_the_retry_carries_the_same_message_id() {
    let sink = SmtpSink::start().await;
    let sender = sender(&settings(&sink));
    let target = email("oncall@example.com", false);
    sink.fail_next(1, Stage::Data, 451);

    let err = send_notice(&sender, &target, &notice(), None)
        .await
        .expect_err("451 at the end of DATA");
    assert!(err.retryable, "{err:?}");
    assert_eq!(err.status, None, "SMTP codes are not HTTP statuses");
    assert!(err.detail.starts_with("SMTP 451: "), "{}", err.detail);
    assert!(err.detail.contains("injected failure"), "{}", err.detail);

    send_notice(&sender, &target, &notice(), None)
        .await
        .expect("the retry goes through");
    let mails = sink.wait_for(1, LIMIT).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].header("x-tocsin-delivery").as_deref(),
        Some("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
    );
    assert_eq!(sink.refused(), [(Stage::Data, 451)]);
}

#[tokio::test]
async fn a_4xx_at_rcpt_is_retryable_too() {
    let sink = SmtpSink::start().await;
    let sender = sender(&settings(&sink));
    sink.fail_next(1, Stage::Rcpt, 452);
    let err = send_notice(
        &sender,
        &email("oncall@example.com", false),
        &notice(),
        None,
    )
    .await
    .expect_err("452 at RCPT");
    assert!(err.retryable, "{err:?}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_5xx_is_permanent_with_the_servers_text() {
    let sink = SmtpSink::start().await;
    let sender = sender(&settings(&sink));
    let target = email("oncall@example.com", false);

    sink.fail_next(1, Stage::Rcpt, 550);
    let err = send_notice(&sender, &target, &notice(), None)
        .await
        .expect_err("550 at RCPT");
    assert!(!err.retryable, "{err:?}");
    assert_eq!(
        err.detail,
        "SMTP 550: 5.0.0 refused by the test (injected failure)"
    );

    sink.fail_next(1, Stage::Data, 554);
    let err = send_notice(&sender, &target, &notice(), None)
        .await
        .expect_err("554 at DATA");
    assert!(!err.retryable, "{err:?}");
    assert!(err.detail.starts_with("SMTP 554: "), "{}", err.detail);
    assert!(sink.messages().is_empty());
    sink.assert_clean();
}

#[tokio::test]
async fn credentials_authenticate_and_a_wrong_password_is_permanent_and_never_shown() {
    let sink = SmtpSink::start_with_auth("mailer", "correct-horse").await;
    let good = SmtpSettings {
        username: Some("mailer".into()),
        password: Some(Secret::new("correct-horse")),
        ..settings(&sink)
    };
    send_notice(
        &sender(&good),
        &email("oncall@example.com", false),
        &notice(),
        None,
    )
    .await
    .expect("sent");
    let mail = sink.wait_for(1, LIMIT).await.remove(0);
    assert_eq!(mail.user.as_deref(), Some("mailer"));

    let bad = SmtpSettings {
        password: Some(Secret::new("wrong-battery")),
        ..good
    };
    let err = send_notice(
        &sender(&bad),
        &email("oncall@example.com", false),
        &notice(),
        None,
    )
    .await
    .expect_err("535");
    assert!(!err.retryable, "{err:?}");
    assert!(err.detail.starts_with("SMTP 535"), "{}", err.detail);
    assert!(!err.detail.contains("wrong-battery"));
    assert!(!format!("{err:?}").contains("wrong-battery"));
    sink.assert_clean();
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    // A port that was free a moment ago and has no listener now.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let settings = SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        username: None,
        password: None,
        from: "alerts@tocsin.example.com".into(),
        tls: Tls::None,
    };
    let err = send_notice(
        &sender(&settings),
        &email("oncall@example.com", false),
        &notice(),
        None,
    )
    .await
    .expect_err("nothing listens");
    assert!(err.retryable, "{err:?}");
    assert!(
        err.detail.starts_with("SMTP connection failed"),
        "{}",
        err.detail
    );
}

#[tokio::test]
async fn a_paged_person_gets_the_mail_instead_of_the_channel_address() {
    let sink = SmtpSink::start().await;
    let sender = sender(&settings(&sink));
    send_notice(
        &sender,
        &email("team@example.com", false),
        &notice(),
        Some("alice@example.com"),
    )
    .await
    .expect("sent");
    assert_eq!(sink.wait_for(1, LIMIT).await[0].to, ["alice@example.com"]);
}

#[tokio::test]
async fn bad_addresses_and_a_missing_mailer_are_permanent() {
    let sink = SmtpSink::start().await;
    let err = send_notice(
        &sender(&settings(&sink)),
        &email("not an address", false),
        &notice(),
        None,
    )
    .await
    .expect_err("bad address");
    assert!(!err.retryable);
    assert!(
        err.detail.starts_with("invalid recipient address"),
        "{}",
        err.detail
    );

    let err = send_notice(
        &Sender::new(http_client()),
        &email("oncall@example.com", false),
        &notice(),
        None,
    )
    .await
    .expect_err("no mailer");
    assert!(!err.retryable);
    assert!(err.detail.contains("[smtp]"), "{}", err.detail);
    assert!(sink.messages().is_empty());
}
