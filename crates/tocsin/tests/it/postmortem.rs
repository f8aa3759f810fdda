//! Post-mortems, the weekly review and response metrics, end to end: a resolved SEV-1 writes its
//! draft file, the file on disk is the text, reminders come at 24 h before and at the deadline,
//! `git = true` commits it, `push = true` pushes it to a real (local, bare) remote — a failed
//! push shown and retried by the next write — and the metrics add up on a known set of incidents.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Sink, TestApp, epoch};

const HOUR: Duration = Duration::from_secs(3600);
const MINUTE: Duration = Duration::from_secs(60);

fn config(sink: &Sink, git: bool) -> String {
    config_with(sink, &format!("git = {git}"))
}

/// The configuration with `extra` lines at the end of `[postmortem]`.
fn config_with(sink: &Sink, extra: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "{token}"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"
locales = ["ar", "en"]

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = ["slack-alerts"]
status_page = "major_outage"
postmortem_within = "48h"

[[severity]]
id = "SEV-3"
definition = "Minor bug"
respond_within = "4h"
notify = []
status_page = "none"

[[channel]]
id = "slack-alerts"
type = "slack"
webhook_url = "{sink}/slack"

[postmortem]
required_for = ["SEV-1"]
dir = "docs/ops/postmortems"
file = "{{date}}-{{slug}}.md"
sections = ["Timeline", "Root cause", "What worked", "What didn't", "Action items to prevent recurrence"]
review = {{ every = "1w", at = "sun 10:00", channel = "slack-alerts" }}
{extra}
"#,
        token = crate::support::TOKEN,
        sink = sink.url,
    )
}

async fn app(git: bool) -> (TestApp, Sink) {
    let sink = Sink::start().await;
    (TestApp::start(&config(&sink, git)).await, sink)
}

fn dir(app: &TestApp) -> PathBuf {
    app.app
        .engine
        .config()
        .postmortem
        .as_ref()
        .expect("[postmortem]")
        .dir
        .clone()
}

async fn declare(app: &TestApp, title: &str, severity: &str) -> String {
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": title, "severity": severity, "component": "api" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

async fn act(app: &TestApp, id: &str, action: &str) {
    let (status, body) = app
        .post(&format!("/api/v1/incidents/{id}/{action}"), json!({}))
        .await;
    assert_eq!(status, 200, "{action}: {body}");
}

async fn postmortems(app: &TestApp) -> Vec<Value> {
    let (status, body) = app.get("/api/v1/postmortems").await;
    assert_eq!(status, 200, "{body}");
    body["postmortems"].as_array().cloned().unwrap_or_default()
}

/// Declares a SEV-1, acknowledges it after 5 minutes and resolves it an hour after it opened.
async fn resolved_sev1(app: &TestApp, title: &str) -> String {
    let id = declare(app, title, "SEV-1").await;
    app.clock.advance(5 * MINUTE);
    act(app, &id, "acknowledge").await;
    app.clock.advance(55 * MINUTE);
    act(app, &id, "resolve").await;
    app.settle().await;
    id
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn resolving_a_sev1_writes_the_draft_due_48_hours_later() {
    let (app, _sink) = app(false).await;
    let id = resolved_sev1(&app, "Checkout API down").await;
    let resolved_at = epoch()
        .checked_add(jiff::SignedDuration::from_hours(1))
        .expect("time");

    let dir = dir(&app);
    assert!(dir.ends_with("docs/ops/postmortems"), "{}", dir.display());
    assert_eq!(files_in(&dir), vec!["2026-11-26-checkout-api-down.md"]);
    let text = std::fs::read_to_string(dir.join("2026-11-26-checkout-api-down.md")).expect("file");
    // The header.
    for fact in [
        "| Severity | SEV-1 |",
        "| Start | 2026-11-26 03:00 (Asia/Riyadh) |",
        "| Duration | 1h |",
        "| Time to acknowledge | 5m |",
        "| Time to resolve | 1h |",
        "| Impact | component api |",
    ] {
        assert!(text.contains(fact), "{fact} missing from:\n{text}");
    }
    // The five configured sections, once each.
    for section in [
        "Timeline",
        "Root cause",
        "What worked",
        "What didn't",
        "Action items to prevent recurrence",
    ] {
        assert_eq!(
            text.matches(&format!("\n## {section}\n")).count(),
            1,
            "{section} in:\n{text}"
        );
    }
    // The timeline, in Riyadh time, from the incident's events.
    for row in [
        "| 2026-11-26 03:00 | opened |",
        "| 2026-11-26 03:05 | acknowledged |",
        "| 2026-11-26 04:00 | resolved |",
    ] {
        assert!(text.contains(row), "{row} missing from:\n{text}");
    }

    let listed = postmortems(&app).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["incident"], id);
    assert_eq!(listed[0]["status"], "draft");
    let due = resolved_at
        .checked_add(jiff::SignedDuration::from_hours(48))
        .expect("time");
    assert_eq!(listed[0]["due_at"], json!(due), "{:?}", listed[0]);
    assert_eq!(
        listed[0]["path"],
        dir.join("2026-11-26-checkout-api-down.md")
            .display()
            .to_string()
    );
    assert!(
        app.timeline_kinds(&id)
            .await
            .contains(&"postmortem_required".to_owned())
    );

    // A SEV-3 needs none.
    let minor = declare(&app, "Typo on the invoice", "SEV-3").await;
    act(&app, &minor, "resolve").await;
    app.settle().await;
    assert_eq!(postmortems(&app).await.len(), 1);
}

#[tokio::test]
async fn a_title_that_climbs_stays_inside_the_folder() {
    let (app, _sink) = app(false).await;
    resolved_sev1(&app, "../../x").await;
    resolved_sev1(&app, "انقطاع الدفع").await;
    let dir = dir(&app);
    let names = files_in(&dir);
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"2026-11-26-x.md".to_owned()), "{names:?}");
    // An Arabic title falls back to the incident id.
    assert!(
        names
            .iter()
            .all(|name| !name.contains('/') && !name.contains("..")),
        "{names:?}"
    );
    // Nothing escaped: the folders above hold no `x.md`.
    let docs = dir.parent().and_then(Path::parent).expect("docs");
    assert!(!docs.join("x.md").exists());
    assert!(!docs.parent().expect("root").join("x.md").exists());
}

#[tokio::test]
async fn the_file_is_the_text_edits_on_disk_are_read_back_and_never_overwritten() {
    let (app, _sink) = app(false).await;
    // A file a person already started under the same name is kept as it is.
    let dir = dir(&app);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("2026-11-26-payments-failing.md");
    std::fs::write(&path, "# Written by hand\n").expect("write");
    let id = resolved_sev1(&app, "Payments failing").await;
    assert_eq!(
        std::fs::read_to_string(&path).expect("file"),
        "# Written by hand\n"
    );

    // Edited in the repository: the API shows the file as it is now, with its action items.
    std::fs::write(
        &path,
        "# Payments\n\n## Action items to prevent recurrence\n\n\
         - [ ] Add a retry to the payment client — owner: Sara, due: 2026-12-10\n\
         - [x] Alert on the 5xx ratio — owner: Omar\n",
    )
    .expect("edit");
    let (status, body) = app.get(&format!("/api/v1/postmortems/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["text"]
            .as_str()
            .expect("text")
            .starts_with("# Payments")
    );
    assert_eq!(
        body["action_items"],
        json!([
            { "text": "Add a retry to the payment client", "owner": "Sara", "due": "2026-12-10", "done": false },
            { "text": "Alert on the 5xx ratio", "owner": "Omar", "due": null, "done": true },
        ])
    );

    // Saved through the API: written back to the same file.
    let response = app
        .http
        .put(app.url(&format!("/api/v1/postmortems/{id}")))
        .bearer_auth(crate::support::TOKEN)
        .json(&json!({ "text": "# Payments\r\n\r\nRoot cause: an expired key.\r\n" }))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        std::fs::read_to_string(&path).expect("file"),
        "# Payments\n\nRoot cause: an expired key.\n"
    );
    // An empty text is refused and changes nothing.
    let response = app
        .http
        .put(app.url(&format!("/api/v1/postmortems/{id}")))
        .bearer_auth(crate::support::TOKEN)
        .json(&json!({ "text": "  " }))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status().as_u16(), 400);
    assert!(
        std::fs::read_to_string(&path)
            .expect("file")
            .contains("expired key")
    );
}

#[tokio::test]
async fn reminders_come_a_day_before_and_at_the_deadline_then_it_is_overdue() {
    let (app, sink) = app(false).await;
    let id = resolved_sev1(&app, "Checkout API down").await;
    let slack_texts = || {
        sink.received()
            .iter()
            .map(|r| r.text())
            .filter(|text| text.contains("Post-mortem"))
            .collect::<Vec<_>>()
    };
    // 23 hours after resolution: nothing yet.
    app.clock.advance(23 * HOUR);
    app.settle().await;
    assert!(
        !app.timeline_kinds(&id)
            .await
            .contains(&"postmortem_reminder".to_owned())
    );
    // 24 hours after: the reminder, in the timeline and in Slack.
    app.clock.advance(HOUR);
    app.settle().await;
    assert!(
        app.timeline_kinds(&id)
            .await
            .contains(&"postmortem_reminder".to_owned())
    );
    assert_eq!(slack_texts().len(), 1, "{:?}", slack_texts());
    assert_eq!(postmortems(&app).await[0]["status"], "draft");
    // 48 hours after: overdue.
    app.clock.advance(24 * HOUR);
    app.settle().await;
    let kinds = app.timeline_kinds(&id).await;
    assert!(
        kinds.contains(&"postmortem_overdue".to_owned()),
        "{kinds:?}"
    );
    assert_eq!(slack_texts().len(), 2, "{:?}", slack_texts());
    assert!(slack_texts()[1].contains("overdue"), "{:?}", slack_texts());
    assert_eq!(postmortems(&app).await[0]["status"], "overdue");
    // Published: done.
    let (status, body) = app
        .post(&format!("/api/v1/postmortems/{id}/publish"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(postmortems(&app).await[0]["status"], "published");
    assert!(
        app.timeline_kinds(&id)
            .await
            .contains(&"postmortem_published".to_owned())
    );
}

#[tokio::test]
async fn a_post_mortem_published_early_gets_no_reminders() {
    let (app, sink) = app(false).await;
    let id = resolved_sev1(&app, "Checkout API down").await;
    let (status, body) = app
        .post(&format!("/api/v1/postmortems/{id}/publish"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    app.clock.advance(72 * HOUR);
    app.settle().await;
    let kinds = app.timeline_kinds(&id).await;
    assert!(
        !kinds.contains(&"postmortem_reminder".to_owned()),
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&"postmortem_overdue".to_owned()),
        "{kinds:?}"
    );
    assert!(
        sink.received()
            .iter()
            .all(|r| !r.text().contains("Post-mortem"))
    );
    assert_eq!(postmortems(&app).await[0]["status"], "published");
    // Publishing what does not exist is a 404 that changes nothing.
    let (status, body) = app
        .post("/api/v1/postmortems/no-such-incident/publish", json!({}))
        .await;
    assert_eq!(status, 404, "{body}");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("run git");
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn with_git_the_draft_is_committed_in_the_repository_holding_the_folder() {
    let (app, _sink) = app(true).await;
    let root = app
        .app
        .engine
        .config()
        .path
        .parent()
        .expect("root")
        .to_path_buf();
    git(&root, &["init", "--quiet"]);
    resolved_sev1(&app, "Checkout API down").await;
    let log = git(&root, &["log", "--format=%an|%s", "--name-only"]);
    assert!(
        log.contains("tocsin|Post-mortem draft: Checkout API down"),
        "{log}"
    );
    assert!(
        log.contains("docs/ops/postmortems/2026-11-26-checkout-api-down.md"),
        "{log}"
    );
    // Nothing else was committed (the config and database are not the post-mortem's business).
    assert!(!log.contains("tocsin.toml"), "{log}");
}

/// A working repository at `<app>/repo` whose `origin` (or `remote`) is a fresh bare repository,
/// for `[postmortem] repository = "repo"`. Returns (working tree, bare repository).
fn repositories(app: &TestApp, remote: Option<&str>) -> (PathBuf, tempfile::TempDir) {
    let work = app.dir().join("repo");
    std::fs::create_dir_all(&work).expect("the working tree");
    git(&work, &["init", "--quiet", "--initial-branch=main"]);
    let bare = tempfile::tempdir().expect("a folder for the remote");
    git(bare.path(), &["init", "--quiet", "--bare"]);
    if let Some(remote) = remote {
        git(
            &work,
            &[
                "remote",
                "add",
                remote,
                bare.path().to_str().expect("UTF-8"),
            ],
        );
    }
    (work, bare)
}

async fn push_failure(app: &TestApp) -> Value {
    let (status, body) = app.get("/api/v1/postmortems").await;
    assert_eq!(status, 200, "{body}");
    body["push_failure"].clone()
}

#[tokio::test]
async fn with_push_the_draft_reaches_the_remote_of_the_repository_it_belongs_to() {
    let sink = Sink::start().await;
    let app = TestApp::start(&config_with(
        &sink,
        "repository = \"repo\"\ngit = true\npush = true",
    ))
    .await;
    let (work, bare) = repositories(&app, Some("origin"));
    // `dir` is relative to the repository, not to the configuration file beside it.
    assert_eq!(dir(&app), work.join("docs/ops/postmortems"));

    resolved_sev1(&app, "Checkout API down").await;
    let file = "docs/ops/postmortems/2026-11-26-checkout-api-down.md";
    let log = git(
        bare.path(),
        &["log", "main", "--format=%an|%s", "--name-only"],
    );
    assert!(
        log.contains("tocsin|Post-mortem draft: Checkout API down") && log.contains(file),
        "the remote's main branch has the draft's commit: {log}"
    );
    assert_eq!(
        git(bare.path(), &["show", &format!("main:{file}")]),
        std::fs::read_to_string(work.join(file)).expect("the file"),
        "the pushed file is the file on disk"
    );
    assert_eq!(push_failure(&app).await, Value::Null);
}

#[tokio::test]
async fn a_failed_push_keeps_the_file_is_shown_and_the_next_write_pushes_again() {
    let sink = Sink::start().await;
    let app = TestApp::start(&config_with(
        &sink,
        "repository = \"repo\"\ngit = true\npush = true\nremote = \"backup\"\nbranch = \"postmortems\"",
    ))
    .await;
    // The remote `backup` does not exist yet: the push fails.
    let (work, bare) = repositories(&app, None);
    let id = resolved_sev1(&app, "Checkout API down").await;
    let path = dir(&app).join("2026-11-26-checkout-api-down.md");
    assert!(path.exists(), "the file is written whatever the push does");
    assert!(
        git(&work, &["log", "--format=%s"]).contains("Post-mortem draft: Checkout API down"),
        "and committed"
    );

    let failure = push_failure(&app).await;
    assert_eq!(failure["remote"], "backup", "{failure}");
    assert_eq!(failure["branch"], "postmortems", "{failure}");
    assert!(
        failure["error"]
            .as_str()
            .unwrap_or_default()
            .contains("backup"),
        "git's reason: {failure}"
    );
    let (http, cookie) = signed_in(&app).await;
    let (status, list) = page(&http, &cookie, app.url("/postmortems")).await;
    assert_eq!(status, 200);
    assert!(
        list.contains(r#"id="push-failure""#) && list.contains("<code>backup</code>"),
        "{list}"
    );

    // The remote is added; the next write (an edit) pushes both commits.
    git(
        &work,
        &[
            "remote",
            "add",
            "backup",
            bare.path().to_str().expect("UTF-8"),
        ],
    );
    let response = app
        .http
        .put(app.url(&format!("/api/v1/postmortems/{id}")))
        .bearer_auth(crate::support::TOKEN)
        .json(&json!({ "text": "# Checkout API down\n\nRoot cause: an expired key.\n" }))
        .send()
        .await
        .expect("PUT");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["push_failure"], Value::Null, "{body}");
    let log = git(bare.path(), &["log", "postmortems", "--format=%s"]);
    assert_eq!(
        log,
        format!("Post-mortem edited: {id}\nPost-mortem draft: Checkout API down\n")
    );
    let (_, list) = page(&http, &cookie, app.url("/postmortems")).await;
    assert!(!list.contains(r#"id="push-failure""#), "{list}");
}

#[tokio::test]
async fn response_metrics_add_up_per_month_and_severity() {
    let (app, _sink) = app(false).await;
    // Three SEV-1s in November (Riyadh time): acknowledged after 5 and 25 minutes and never;
    // resolved after 60, 120 and 30 minutes.
    for (ack, resolve) in [(Some(5), 60), (Some(25), 120), (None, 30)] {
        let id = declare(&app, "Outage", "SEV-1").await;
        if let Some(ack) = ack {
            app.clock.advance(ack * MINUTE);
            act(&app, &id, "acknowledge").await;
            app.clock.advance((resolve - ack) * MINUTE);
        } else {
            app.clock.advance(resolve * MINUTE);
        }
        act(&app, &id, "resolve").await;
        app.clock.advance(HOUR);
    }
    // One SEV-3 in December: acknowledged after 3 hours, within its 4 h target.
    app.clock.set("2026-12-05T09:00:00Z".parse().expect("time"));
    let id = declare(&app, "Typo", "SEV-3").await;
    app.clock.advance(3 * HOUR);
    act(&app, &id, "acknowledge").await;
    act(&app, &id, "resolve").await;
    app.settle().await;

    let (status, body) = app.get("/api/v1/metrics/response?months=6").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["months"],
        json!([
            { "month": "2026-11", "severity": "SEV-1", "incidents": 3,
              "mtta_seconds": 15 * 60, "mttr_seconds": 70 * 60,
              "acknowledged_within_target": 1.0 / 3.0 },
            { "month": "2026-12", "severity": "SEV-3", "incidents": 1,
              "mtta_seconds": 3 * 3600, "mttr_seconds": 3 * 3600,
              "acknowledged_within_target": 1.0 },
        ])
    );
    // Only this month.
    let (status, body) = app.get("/api/v1/metrics/response?months=1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["months"].as_array().map(Vec::len), Some(1), "{body}");
    // A bad range says so.
    let (status, body) = app.get("/api/v1/metrics/response?months=0").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("months")
    );
}

#[tokio::test]
async fn the_weekly_review_lists_the_week_and_what_is_still_open() {
    let (app, _sink) = app(false).await;
    let id = resolved_sev1(&app, "Checkout API down").await;
    let path = dir(&app).join("2026-11-26-checkout-api-down.md");
    let mut text = std::fs::read_to_string(&path).expect("file");
    text.push_str("- [ ] Add a canary — owner: Sara, due: 2026-12-01\n- [x] Done already\n");
    std::fs::write(&path, text).expect("edit");

    let (status, body) = app.get("/api/v1/review").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["incidents"][0]["id"], id, "{body}");
    assert_eq!(body["response"][0]["severity"], "SEV-1");
    assert_eq!(body["response"][0]["mtta_seconds"], 300);
    assert_eq!(body["response"][0]["respond_within_seconds"], 900);
    assert_eq!(body["postmortems"][0]["incident"], id);
    assert_eq!(
        body["action_items"],
        json!([{ "incident": id, "text": "Add a canary", "owner": "Sara", "due": "2026-12-01", "done": false }])
    );
    // A declared incident matched no runbook.
    assert_eq!(body["without_runbook"][0]["id"], id);
}

/// Signs a responder in; the session cookie's value.
async fn signed_in(app: &TestApp) -> (reqwest::Client, String) {
    tocsin_engine::users::add_user(
        app.app.engine.store().as_ref(),
        "dana@example.com",
        tocsin_store::Role::Responder,
        "correct horse battery staple",
        app.now(),
    )
    .await
    .expect("add user");
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let answer = http
        .post(app.url("/login"))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form(&[
            ("email", "dana@example.com"),
            ("password", "correct horse battery staple"),
            ("next", ""),
        ]))
        .send()
        .await
        .expect("sign in");
    let cookie = answer
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|cookie| cookie.strip_prefix("tocsin_session="))
        .and_then(|rest| rest.split(';').next())
        .expect("session cookie")
        .to_owned();
    (http, format!("tocsin_session={cookie}"))
}

async fn page(http: &reqwest::Client, cookie: &str, url: String) -> (u16, String) {
    let answer = http
        .get(url)
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .expect("GET");
    (answer.status().as_u16(), answer.text().await.expect("body"))
}

fn csrf(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    let end = html[start..].find('"').expect("the token's end") + start;
    html[start..end].to_owned()
}

#[tokio::test]
async fn the_ui_lists_edits_into_the_file_publishes_and_charts_the_review() {
    let (app, _sink) = app(false).await;
    let id = resolved_sev1(&app, "Checkout API down").await;
    let path = dir(&app).join("2026-11-26-checkout-api-down.md");
    let (http, cookie) = signed_in(&app).await;

    let (status, list) = page(&http, &cookie, app.url("/postmortems")).await;
    assert_eq!(status, 200);
    assert!(
        list.contains(&format!(r#"href="/postmortems/{id}""#)),
        "{list}"
    );
    assert!(list.contains("status-draft"), "{list}");

    // The editor shows the file as it is on disk, including an edit made there.
    std::fs::write(
        &path,
        "# Edited in the repo\n\n- [ ] Add a canary — owner: Sara\n",
    )
    .expect("edit");
    let (status, editor) = page(&http, &cookie, app.url(&format!("/postmortems/{id}"))).await;
    assert_eq!(status, 200);
    assert!(editor.contains("# Edited in the repo"), "{editor}");
    assert!(editor.contains("Add a canary — Sara"), "{editor}");

    // Saving writes the file back; a post without the CSRF token changes nothing.
    let forged = http
        .post(app.url(&format!("/postmortems/{id}")))
        .header(reqwest::header::COOKIE, &cookie)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form(&[("csrf", "wrong"), ("text", "# Forged")]))
        .send()
        .await
        .expect("POST");
    assert_eq!(forged.status().as_u16(), 403);
    assert!(
        std::fs::read_to_string(&path)
            .expect("file")
            .starts_with("# Edited")
    );
    let saved = http
        .post(app.url(&format!("/postmortems/{id}")))
        .header(reqwest::header::COOKIE, &cookie)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form(&[
            ("csrf", csrf(&editor).as_str()),
            ("text", "# Saved from the UI\n"),
        ]))
        .send()
        .await
        .expect("POST");
    assert_eq!(saved.status().as_u16(), 200);
    assert_eq!(
        std::fs::read_to_string(&path).expect("file"),
        "# Saved from the UI\n"
    );

    let published = http
        .post(app.url(&format!("/postmortems/{id}/publish")))
        .header(reqwest::header::COOKIE, &cookie)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form(&[("csrf", csrf(&editor).as_str())]))
        .send()
        .await
        .expect("POST");
    assert_eq!(published.status().as_u16(), 303);
    assert_eq!(postmortems(&app).await[0]["status"], "published");

    let (status, review) = page(&http, &cookie, app.url("/review")).await;
    assert_eq!(status, 200);
    assert!(review.contains("Checkout API down"), "{review}");
    assert!(
        review.contains("Update a runbook if this is a new pattern"),
        "{review}"
    );
    assert_eq!(review.matches("<svg").count(), 3, "{review}");
    assert!(
        review.contains("<title>Mean time to acknowledge</title>"),
        "{review}"
    );
}

fn form(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    char::from(byte).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}
