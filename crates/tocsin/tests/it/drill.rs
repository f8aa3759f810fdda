//! The monthly drill end to end: real Slack and webhook stand-ins (one answering 500), a real
//! SMTP server, a monitor whose checks stopped, a contact verified 60 days ago.

use std::time::Duration;

use serde_json::{Value, json};
use tocsin_testkit::SmtpSink;

use crate::support::{Sink, TOKEN, Target, TestApp};

pub(crate) struct World {
    pub(crate) app: TestApp,
    slack: Sink,
    broken: Sink,
    smtp: SmtpSink,
}

fn config(target: &Target, slack: &Sink, broken: &Sink, smtp: &SmtpSink) -> String {
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

[[severity]]
id = "SEV-3"
definition = "Minor"
respond_within = "1d"
notify = ["slack-alerts"]
status_page = "none"

[[contact]]
id = "ann"
name = "Ann"
email = "ann@dealix.example"
methods = ["email"]
verified_on = 2026-11-20

[[contact]]
id = "bo"
name = "Bo"
email = "bo@dealix.example"
phone = "+966500000002"
methods = ["email"]
verified_on = 2026-09-27

[[escalation]]
id = "admins"
steps = [{{ targets = ["contact:ann"], after = "1h" }}]

[[route]]
category = "drill"
escalation = "admins"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
from = "Dealix <alerts@dealix.example>"
tls = "none"

[[channel]]
id = "slack-alerts"
type = "slack"
webhook_url = "{slack}/slack"

[[channel]]
id = "ops-hook"
type = "webhook"
url = "{broken}/hook"

[[channel]]
id = "customers"
type = "email"
audience = "subscribers"

[[monitor]]
id = "api-health"
name = "API /healthz"
type = "http"
url = "{target}/healthz"
interval = "1h"
timeout = "1s"
severity = "SEV-1"

[[monitor]]
id = "worker-health"
name = "Worker /healthz"
type = "http"
url = "{target}/healthz"
interval = "1m"
timeout = "1s"
severity = "SEV-1"

[status_page]
title = "Dealix status"
components = [{{ id = "api", name = "API" }}]

[drill]
schedule = "0 9 1 * *"
report_to = "slack-alerts"
contacts_verified_within = "30d"
"#,
        smtp_port = smtp.port(),
        slack = slack.url,
        broken = broken.url,
        target = target.url,
    )
}

/// Both monitors checked, then five minutes in which nothing ran: the 1-minute monitor's
/// checks have stopped (no result within 2 × 1m); the hourly one is fine.
pub(crate) async fn world() -> World {
    let target = Target::start(200).await;
    let slack = Sink::start().await;
    let broken = Sink::start().await;
    broken.answer(500);
    let smtp = SmtpSink::start().await;
    let app = TestApp::start(&config(&target, &slack, &broken, &smtp)).await;
    app.advance(Duration::from_secs(3600), Duration::from_secs(60))
        .await;
    app.clock.advance(Duration::from_secs(300));
    World {
        app,
        slack,
        broken,
        smtp,
    }
}

fn failed(report: &Value) -> Vec<(String, String, String)> {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["status"] == "fail")
        .map(|item| {
            (
                item["kind"].as_str().unwrap().to_owned(),
                item["subject"].as_str().unwrap().to_owned(),
                item["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn item<'a>(report: &'a Value, kind: &str, subject: &str) -> &'a Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["kind"] == kind && item["subject"] == subject)
        .unwrap_or_else(|| panic!("no {kind} {subject} in {report}"))
}

/// The distinct drill links in a mail's text part, in order (the public URL swapped for the
/// test server's). The confirm link shows twice: in the text and as the mail's button.
fn links(app: &TestApp, mail: &tocsin_testkit::Mail) -> Vec<String> {
    let text = mail.part("text/plain").unwrap_or_else(|| mail.text());
    let mut found: Vec<String> = Vec::new();
    for url in text
        .split_whitespace()
        .filter_map(|word| {
            word.find("http://tocsin.test/drill/confirm/")
                .map(|at| &word[at..])
        })
        .map(|url| {
            let url =
                url.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-');
            url.replace("http://tocsin.test", &app.app.url())
        })
    {
        if !found.contains(&url) {
            found.push(url);
        }
    }
    found
}

#[tokio::test]
async fn a_drill_fails_exactly_the_500_channel_the_stale_monitor_and_the_stale_contact() {
    let world = world().await;
    let app = &world.app;
    let (status, report) = app.post("/api/v1/drills", json!({})).await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["status"], "failed", "{report}");

    let mut failures = failed(&report);
    failures.sort();
    let subjects: Vec<(&str, &str)> = failures
        .iter()
        .map(|(kind, subject, _)| (kind.as_str(), subject.as_str()))
        .collect();
    assert_eq!(
        subjects,
        [
            ("channel", "ops-hook"),
            ("contact", "bo"),
            ("monitor", "worker-health")
        ],
        "{report}"
    );
    let reason = |subject: &str| &failures.iter().find(|f| f.1 == subject).unwrap().2;
    assert!(reason("ops-hook").contains("500"), "{}", reason("ops-hook"));
    assert!(
        reason("worker-health").contains("expected within 2m"),
        "{}",
        reason("worker-health")
    );
    assert!(reason("bo").contains("60 days ago"), "{}", reason("bo"));

    // The other channels answered; pages await their confirm links.
    assert_eq!(item(&report, "channel", "slack-alerts")["status"], "pass");
    assert_eq!(item(&report, "channel", "customers")["status"], "pass");
    assert_eq!(item(&report, "monitor", "api-health")["status"], "pass");
    assert_eq!(item(&report, "page", "ann via email")["status"], "waiting");
    assert_eq!(item(&report, "page", "bo via email")["status"], "waiting");

    // Every channel got a marked test message; the 500-answering one was really asked.
    assert!(
        !world.broken.received().is_empty(),
        "the webhook was sent the test"
    );
    let slack_texts: Vec<String> = world.slack.received().iter().map(|r| r.text()).collect();
    assert!(
        slack_texts
            .iter()
            .any(|t| t.contains("[drill] Test message")),
        "{slack_texts:?}"
    );
    // The report reached report_to, naming the failures.
    assert!(
        slack_texts
            .iter()
            .any(|t| t.contains("Drill failed") && t.contains("ops-hook")),
        "{slack_texts:?}"
    );
    assert_eq!(report["report_sent"], "sent");
    // The SMTP server took the e-mail channel's test and the two test pages.
    let mails = world.smtp.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 3, "channel test + two pages");

    // A SEV-3 routed by category `drill`, its title naming what failed.
    let open = app.incidents("open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["severity"], "SEV-3");
    assert_eq!(open[0]["category"], "drill");
    let title = open[0]["title"].as_str().unwrap();
    for name in ["ops-hook", "worker-health", "bo"] {
        assert!(title.contains(name), "{title}");
    }
    assert_eq!(report["incident"], open[0]["id"]);

    // The history lists it.
    let (status, history) = app.get("/api/v1/drills").await;
    assert_eq!(status, 200);
    assert_eq!(history["drills"][0]["id"], report["id"]);
}

#[tokio::test]
async fn clicking_a_contacts_reverify_link_updates_their_verified_date() {
    let world = world().await;
    let app = &world.app;
    let (status, report) = app.post("/api/v1/drills", json!({})).await;
    assert_eq!(status, 201, "{report}");
    let mails = world.smtp.wait_for(3, Duration::from_secs(10)).await;
    let to_bo = mails
        .iter()
        .find(|mail| {
            mail.text().contains("bo@dealix.example")
                && mail.subject().is_some_and(|s| s.contains("Bo"))
        })
        .expect("Bo's test page");
    let bo_links = links(app, to_bo);
    assert_eq!(
        bo_links.len(),
        2,
        "confirm and re-verify links: {bo_links:?}"
    );
    let (confirm, verify) = (&bo_links[0], &bo_links[1]);

    // GET shows the numbers and the configuration's date, and changes nothing.
    let page = app.http.get(verify).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("+966500000002") && html.contains("2026-09-27"),
        "{html}"
    );
    let (_, unchanged) = app
        .get(&format!(
            "/api/v1/drills/{}",
            report["id"].as_str().unwrap()
        ))
        .await;
    assert!(item(&unchanged, "contact", "bo")["confirmed_at"].is_null());

    // POST records today's date (Riyadh) in the store.
    let posted = app.http.post(verify).send().await.unwrap();
    assert_eq!(posted.status(), 200);
    let html = posted.text().await.unwrap();
    assert!(html.contains("numbers confirmed on 2026-11-26"), "{html}");
    let again = app.http.post(verify).send().await.unwrap();
    assert_eq!(again.status(), 403, "the link works once");
    let forged = app.http.post(format!("{verify}x")).send().await.unwrap();
    assert_eq!(forged.status(), 403);

    // The test page's own confirm link passes Bo's page.
    assert_eq!(app.http.post(confirm).send().await.unwrap().status(), 200);
    let (_, updated) = app
        .get(&format!(
            "/api/v1/drills/{}",
            report["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(item(&updated, "page", "bo via email")["status"], "pass");

    // The next drill sees the new date: Bo passes.
    let (_, next) = app.post("/api/v1/drills", json!({})).await;
    let bo = item(&next, "contact", "bo");
    assert_eq!(bo["status"], "pass", "{next}");
    assert!(
        bo["reason"].as_str().unwrap().contains("2026-11-26"),
        "{bo}"
    );

    // When the confirm window ends, Ann's unconfirmed page fails, naming the method.
    app.advance(Duration::from_secs(25 * 3600), Duration::from_secs(3600))
        .await;
    let (_, closed) = app
        .get(&format!(
            "/api/v1/drills/{}",
            report["id"].as_str().unwrap()
        ))
        .await;
    let ann = item(&closed, "page", "ann via email");
    assert_eq!(ann["status"], "fail", "{closed}");
    assert!(
        ann["reason"]
            .as_str()
            .unwrap()
            .contains("not confirmed within 1d"),
        "{ann}"
    );
    assert!(!closed["finished_at"].is_null());

    // /metrics says the latest finished drill failed, and when it finished.
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.lines().any(|line| line == "tocsin_drill_passed 0"),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("tocsin_drill_last_finished_timestamp_seconds ")),
        "{metrics}"
    );
}

#[tokio::test]
async fn drill_run_on_the_command_line_prints_the_report_and_exits_1_when_it_failed() {
    let world = world().await;
    let url = world.app.app.url();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .args(["drill", "run", "--url", &url, "--token", TOKEN])
            .env_remove("TOCSIN_URL")
            .env_remove("TOCSIN_TOKEN")
            .output()
            .expect("run tocsin")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(": failed"), "{stdout}");
    let fail_lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("FAIL"))
        .collect();
    assert_eq!(fail_lines.len(), 3, "{stdout}");
    assert!(
        stdout.contains("ops-hook") && stdout.contains("HTTP 500") || stdout.contains("500"),
        "{stdout}"
    );

    let list = {
        let url = world.app.app.url();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
                .args(["drill", "list", "--url", &url, "--token", TOKEN])
                .output()
                .expect("run tocsin")
        })
        .await
        .unwrap()
    };
    assert!(list.status.success());
    assert!(String::from_utf8_lossy(&list.stdout).contains("failed"));
}

/// Starts tocsin on `database` with its clock at `at`, settles due work, and returns how many
/// drills the schedule has started so far.
async fn scheduled_drills_after_restart(config_text: &str, database: &str, at: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    let config = tocsin_config::load_str(config_text, &path, &|_| None).unwrap();
    let clock = std::sync::Arc::new(tocsin_engine::ManualClock::new(at.parse().unwrap()));
    let options = tocsin::app::AppOptions {
        config: std::sync::Arc::new(config),
        database: Some(database.to_owned()),
        clock,
        run_workers: false,
        extra_routes: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = tocsin::app::App::start(options, listener).await.unwrap();
    for _ in 0..10 {
        if app.engine.run_due().await.unwrap() == 0 {
            break;
        }
    }
    let drills = app.engine.drills(100).await.unwrap();
    app.stop().await.unwrap();
    drills.iter().filter(|d| d.trigger == "schedule").count()
}

#[tokio::test]
async fn the_monthly_drill_runs_once_on_schedule_even_across_restarts() {
    let target = Target::start(200).await;
    let (slack, broken, smtp) = (
        Sink::start().await,
        Sink::start().await,
        SmtpSink::start().await,
    );
    let text = config(&target, &slack, &broken, &smtp);
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    // "0 9 1 * *" in Riyadh is 06:00 UTC on the 1st.
    assert_eq!(
        scheduled_drills_after_restart(&text, &database, "2026-11-30T00:00:00Z").await,
        0
    );
    // Down over the due time: the run is not skipped when tocsin comes back…
    assert_eq!(
        scheduled_drills_after_restart(&text, &database, "2026-12-01T07:00:00Z").await,
        1
    );
    // …nor doubled by another restart the same day.
    assert_eq!(
        scheduled_drills_after_restart(&text, &database, "2026-12-01T08:00:00Z").await,
        1
    );
    // The next month's runs.
    assert_eq!(
        scheduled_drills_after_restart(&text, &database, "2027-01-01T06:00:00Z").await,
        2
    );
}
