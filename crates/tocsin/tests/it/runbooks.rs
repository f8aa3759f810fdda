//! Runbooks on incidents: the SEV-1 checklist with its phases and live facts (API and UI), the
//! first-five-minutes card, ticks on the timeline, `phase_overdue`, changes and the knowledge
//! base (API and CLI).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{Value, json};
use tocsin_store::Role;

use crate::support::{Sink, TOKEN, Target, TestApp, basic_config};

const PASSWORD: &str = "correct horse battery staple";

const SEV1: &str = r#"+++
id = "sev1-full-outage"
title = "SEV-1 response (full outage)"
severity = "SEV-1"
+++

## Within 5 minutes

- [ ] Confirm: open `/healthz`. 5xx or timeout means SEV-1. {{ monitor "api-health" }}
- [ ] Check the hosting dashboard: service status.
- [ ] Check when the outage started. {{ since "api-health" }}

## Within 15 minutes

- [ ] Diagnose: last deploy? {{ last_change "deploy" }}
- [ ] Diagnose: database connection? {{ monitor "database" }}
- [ ] Mitigate: restart the service. {{ action "restart" }}

## Communicate

- [ ] Post to customers (if any active). {{ template "customer-notice" }}
"#;

const API_404: &str = r#"+++
id = "api-v1-404"
title = "/api/v1/* returns 404"
likely_cause = "Deploy failed or wrong start command."
match = ["404", "/api/v1"]
+++

## Fix

- [ ] Check the latest deploy's status. {{ last_change "deploy" }}
"#;

const DATABASE: &str = r#"+++
id = "database-connection-refused"
title = "Database connection refused"
likely_cause = "DATABASE_URL wrong or the Postgres add-on is down."
+++

## Fix

- [ ] Check the PostgreSQL service. {{ monitor "database" }}
"#;

/// The test configuration plus a runbooks folder: returns the app, its runbook folder (kept
/// alive), the target and the Slack sink.
async fn start() -> (TestApp, tempfile::TempDir, Target, Sink) {
    start_with(false).await
}

/// `start`, with the database in a file of the app's folder when `on_file`.
async fn start_with(on_file: bool) -> (TestApp, tempfile::TempDir, Target, Sink) {
    let folder = tempfile::tempdir().expect("runbooks folder");
    for (name, text) in [
        ("sev1-full-outage.md", SEV1),
        ("api-v1-404.md", API_404),
        ("database-connection-refused.md", DATABASE),
    ] {
        std::fs::write(folder.path().join(name), text).expect("write runbook");
    }
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let config = basic_config(&target, &sink, "1m", 1).replace(
        "component = \"api\"\n",
        "component = \"api\"\nrunbook = \"sev1-full-outage\"\n",
    ) + &format!(
        r#"
[[monitor]]
id = "database"
name = "PostgreSQL"
type = "postgres"
dsn = "postgres://127.0.0.1:5432/postgres"
interval = "1h"
severity = "SEV-1"

[[integration]]
id = "railway"
type = "railway"
token = "rw-token-0123456789abcdef"

[[template]]
id = "customer-notice"
locale = "en"
subject = "{{{{ org.name }}}}: {{{{ incident.title }}}}"
body = "We are facing a temporary technical problem. — The {{{{ org.name }}}} team"

[[action]]
id = "restart"
title = "Restart the service"
type = "command"
argv = ["/bin/echo", "restart"]

[runbooks]
dir = "{}"
"#,
        folder.path().display()
    );
    assert!(config.contains("runbook = \"sev1-full-outage\""));
    let app = if on_file {
        TestApp::start_on_file(&config).await
    } else {
        TestApp::start(&config).await
    };
    (app, folder, target, sink)
}

/// A Railway "deployed" hook for a deploy at `at`.
async fn railway_deploy(app: &TestApp, at: jiff::Timestamp) {
    let deploy = json!({
        "type": "Deployment.deployed",
        "timestamp": at.to_string(),
        "details": { "id": "dep-7", "status": "SUCCESS", "branch": "main", "commitHash": "abc123", "commitMessage": "Switch the checkout to the new pricing", "commitAuthor": "sami" },
        "resource": { "project": { "id": "p", "name": "dealix" }, "environment": { "id": "e", "name": "production" }, "service": { "id": "s", "name": "api" }, "deployment": { "id": "dep-7" } },
        "severity": "INFO",
    });
    let response = app
        .http
        .post(app.url("/hooks/railway?token=rw-token-0123456789abcdef"))
        .body(deploy.to_string())
        .send()
        .await
        .expect("POST the deploy hook");
    assert_eq!(response.status().as_u16(), 202);
}

/// Runs the app until the monitor's first check, records a deploy at that instant, keeps the
/// target healthy for three more checks and breaks it before the fourth: the SEV-1 opens exactly
/// four minutes after the deploy. Returns (deploy time, incident id).
async fn outage_four_minutes_after_a_deploy(
    app: &TestApp,
    target: &Target,
) -> (jiff::Timestamp, String) {
    let engine = &app.app.engine;
    app.advance_until(Duration::from_secs(120), || async {
        engine
            .store()
            .monitor("api-health")
            .await
            .expect("monitor")
            .is_some_and(|record| record.state.last_check_at.is_some())
    })
    .await
    .expect("the monitor's first check");
    let deployed_at = app.now();
    railway_deploy(app, deployed_at).await;
    app.advance(Duration::from_secs(180), Duration::from_secs(1))
        .await;
    assert!(app.incidents("open").await.is_empty());
    target.answer(503);
    app.advance(Duration::from_secs(60), Duration::from_secs(1))
        .await;
    let open = app.incidents("open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    let id = open[0]["id"].as_str().expect("id").to_owned();
    (deployed_at, id)
}

async fn incident(app: &TestApp, id: &str) -> Value {
    let (status, body) = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn events(app: &TestApp, id: &str, kind: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    assert_eq!(status, 200, "{body}");
    body["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["kind"] == kind)
        .cloned()
        .collect()
}

fn ts(value: &Value) -> jiff::Timestamp {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a time, not {value}"))
        .parse()
        .expect("RFC 3339")
}

/// Slack accepted exactly one "Incident opened" message, and it says each of `expected`.
fn assert_one_opening_message_with(sink: &Sink, expected: &[&str]) {
    let opening: Vec<String> = sink
        .accepted()
        .iter()
        .map(|request| request.text())
        .filter(|text| text.contains("Incident opened"))
        .collect();
    assert_eq!(opening.len(), 1, "{opening:?}");
    for expected in expected {
        assert!(
            opening[0].contains(expected),
            "missing {expected:?} in {}",
            opening[0]
        );
    }
}

/// The facts of the item whose id starts with `prefix`.
fn item<'a>(checklist: &'a Value, prefix: &str) -> &'a Value {
    checklist["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .flat_map(|phase| phase["items"].as_array().expect("items"))
        .find(|item| item["id"].as_str().is_some_and(|id| id.starts_with(prefix)))
        .unwrap_or_else(|| panic!("no item {prefix} in {checklist}"))
}

/// Signs a person in through the login form; returns the session cookie.
async fn sign_in(app: &TestApp, email: &str) -> String {
    tocsin_engine::users::add_user(
        app.app.engine.store().as_ref(),
        email,
        Role::Responder,
        PASSWORD,
        app.now(),
    )
    .await
    .expect("add user");
    let response = browser()
        .post(app.url("/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password={}&next=",
            email.replace('@', "%40"),
            PASSWORD.replace(' ', "+")
        ))
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|cookie| cookie.strip_prefix("tocsin_session="))
        .and_then(|rest| rest.split(';').next())
        .expect("session cookie")
        .to_owned();
    format!("tocsin_session={cookie}")
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_sev1_carries_its_runbook_with_phases_deadlines_and_live_facts() {
    let (app, _folder, target, sink) = start().await;
    let (deployed_at, id) = outage_four_minutes_after_a_deploy(&app, &target).await;
    let body = incident(&app, &id).await;
    let opened_at = ts(&body["opened_at"]);
    assert_eq!(opened_at.duration_since(deployed_at).as_secs(), 240);
    // The incident's `runbook` stays the id (spec/API.md); the checklist is beside it.
    assert_eq!(body["runbook"], "sev1-full-outage");
    let checklist = &body["checklist"];
    assert_eq!(checklist["id"], "sev1-full-outage");
    let phases = checklist["phases"].as_array().expect("phases");
    let titled: Vec<(&str, Option<i64>)> = phases
        .iter()
        .map(|phase| {
            (
                phase["title"].as_str().unwrap_or(""),
                phase["deadline"]
                    .as_str()
                    .map(|_| ts(&phase["deadline"]).duration_since(opened_at).as_secs()),
            )
        })
        .collect();
    assert_eq!(
        titled,
        [
            ("Within 5 minutes", Some(300)),
            ("Within 15 minutes", Some(900)),
            ("Communicate", None),
        ]
    );
    assert_eq!(phases[0]["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(phases[0]["overdue"], false);

    // Live facts: the monitor is down since the failing check; the last deploy came through the
    // Railway hook four minutes earlier.
    let confirm = item(checklist, "confirm-open-healthz");
    assert_eq!(confirm["done"], false);
    let monitor = &confirm["facts"][0];
    assert_eq!(monitor["kind"], "monitor");
    assert_eq!(monitor["status"], "down");
    assert_eq!(ts(&monitor["since"]), opened_at);
    let deploy = &item(checklist, "diagnose-last-deploy")["facts"][0];
    assert_eq!(deploy["kind"], "last_change");
    assert!(
        deploy["change"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("Switch the checkout to the new pricing")),
        "{deploy}"
    );
    assert_eq!(deploy["change"]["author"], "sami");
    assert_eq!(deploy["change"]["minutes_before"], 4);
    assert_eq!(ts(&deploy["change"]["occurred_at"]), deployed_at);
    let database = &item(checklist, "diagnose-database-connection")["facts"][0];
    assert_eq!(database["status"], "pending");
    let restart = &item(checklist, "mitigate-restart")["facts"][0];
    assert_eq!(restart["kind"], "action");
    assert_eq!(restart["url"], format!("/incidents/{id}/actions/restart"));
    let notice = &item(checklist, "post-to-customers")["facts"][0];
    assert_eq!(notice["kind"], "template");
    // The organisation's default locale is Arabic; the only template is English, so it is used.
    assert_eq!(notice["locale"], "en");
    assert!(
        notice["body"]
            .as_str()
            .is_some_and(|b| b.contains("The Dealix team")),
        "{notice}"
    );

    // The first five minutes, answered: last success, first failure, the deploy flagged.
    let card = &body["first_five_minutes"];
    assert_eq!(card["monitor"]["id"], "api-health");
    assert_eq!(
        opened_at
            .duration_since(ts(&card["monitor"]["last_success"]))
            .as_secs(),
        60
    );
    assert_eq!(ts(&card["monitor"]["first_failure"]), opened_at);
    assert_eq!(card["changes"][0]["minutes_before"], 4);
    assert_eq!(card["flags"][0], "deployed 4 minutes before");
    assert_eq!(card["dependencies"][0]["id"], "database");
    // The opening Slack message carries the same answers.
    assert_one_opening_message_with(
        &sink,
        &[
            "First five minutes",
            "deployed 4 minutes before: api to production: deployed (Switch the checkout to the new pricing) by sami",
            "API /healthz is down",
            "Other monitors: PostgreSQL pending",
        ],
    );

    // The incident page shows the same, with tick boxes for a responder.
    let cookie = sign_in(&app, "ops@dealix.test").await;
    let page = browser()
        .get(app.url(&format!("/incidents/{id}")))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("incident page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    for expected in [
        "Runbook: <span dir=\"auto\">SEV-1 response (full outage)</span>",
        "Within 5 minutes",
        "Within 15 minutes",
        "deployed 4 minutes before",
        "Switch the checkout to the new pricing",
        "<strong>down</strong>",
        &format!(
            "action=\"/incidents/{id}/checklist/confirm-open-healthz-5xx-or-timeout-means-sev"
        ),
        &format!("action=\"/incidents/{id}/actions/restart\""),
    ] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
}

#[tokio::test]
async fn an_opening_message_queued_before_notices_named_their_source_still_carries_the_card() {
    let (app, _folder, target, sink) = start_with(true).await;
    // Slack is down when the incident opens: its opening message waits in the outbox.
    sink.answer(500);
    let (_deployed_at, id) = outage_four_minutes_after_a_deploy(&app, &target).await;
    assert!(
        sink.accepted().is_empty(),
        "nothing went through while Slack failed"
    );
    // As a delivery written by a tocsin from before notices carried their incident's source.
    let url = format!("sqlite://{}", app.dir().join("tocsin.db").display());
    let mut database = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("open the database");
    let rewritten = sqlx::query(
        "UPDATE deliveries SET notice = json_remove(notice, '$.source') \
         WHERE incident_id = ? AND json_extract(notice, '$.source') IS NOT NULL",
    )
    .bind(&id)
    .execute(&mut database)
    .await
    .expect("rewrite the queued delivery");
    assert!(rewritten.rows_affected() >= 1, "a delivery was queued");
    // Slack is back: the retry reads the incident back and sends the same card.
    sink.answer(200);
    app.advance(Duration::from_secs(600), Duration::from_secs(5))
        .await;
    assert_one_opening_message_with(
        &sink,
        &[
            "First five minutes",
            "API /healthz is down",
            "Other monitors: PostgreSQL pending",
        ],
    );
}

#[tokio::test]
async fn ticks_are_on_the_timeline_and_a_missed_phase_writes_phase_overdue() {
    let (app, _folder, target, sink) = start().await;
    let (_, id) = outage_four_minutes_after_a_deploy(&app, &target).await;
    let confirm = "confirm-open-healthz-5xx-or-timeout-means-sev";

    // Through the API, as the admin token.
    let path = format!("/api/v1/incidents/{id}/checklist/{confirm}");
    let (status, body) = app.post(&path, json!({ "done": true })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(item(&body["checklist"], confirm)["done"], true);
    // Ticking a ticked item again changes nothing.
    let (status, _) = app.post(&path, json!({ "done": true })).await;
    assert_eq!(status, 200);
    let ticks = events(&app, &id, "checklist_ticked").await;
    assert_eq!(ticks.len(), 1, "{ticks:?}");
    assert_eq!(ticks[0]["data"]["item"], confirm);
    assert_eq!(ticks[0]["data"]["done"], true);
    assert_eq!(ticks[0]["actor"], "admin");
    assert_eq!(ts(&ticks[0]["at"]), app.now());
    // An unknown item is refused and records nothing.
    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/checklist/no-such-item"),
            json!({ "done": true }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no checklist item `no-such-item`")),
        "{body}"
    );
    assert_eq!(events(&app, &id, "checklist_ticked").await.len(), 1);

    // Through the UI form, as a signed-in responder: who and when are recorded.
    let cookie = sign_in(&app, "ops@dealix.test").await;
    let html = browser()
        .get(app.url(&format!("/incidents/{id}")))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let marker = r#"name="csrf" value=""#;
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("csrf in {html}"))
        + marker.len();
    let csrf = &html[start..start + html[start..].find('"').expect("end")];
    let response = browser()
        .post(app.url(&format!(
            "/incidents/{id}/checklist/check-the-hosting-dashboard-service-status"
        )))
        .header(COOKIE, &cookie)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&done=true"))
        .send()
        .await
        .expect("tick");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let ticks = events(&app, &id, "checklist_ticked").await;
    assert_eq!(ticks.len(), 2);
    assert_eq!(ticks[1]["actor"], "ops@dealix.test");

    // Every item of the 15-minute phase is ticked in time: that phase is not overdue later.
    for fifteen in [
        "diagnose-last-deploy",
        "diagnose-database-connection",
        "mitigate-restart-the-service",
    ] {
        let (status, body) = app
            .post(
                &format!("/api/v1/incidents/{id}/checklist/{fifteen}"),
                json!({ "done": true }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    // Five minutes pass with one item of the first phase open.
    assert!(events(&app, &id, "phase_overdue").await.is_empty());
    app.advance(Duration::from_secs(299), Duration::from_secs(1))
        .await;
    assert!(events(&app, &id, "phase_overdue").await.is_empty());
    app.advance(Duration::from_secs(1), Duration::from_secs(1))
        .await;
    let overdue = events(&app, &id, "phase_overdue").await;
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0]["data"]["phase"], "Within 5 minutes");
    assert_eq!(
        overdue[0]["data"]["open_items"],
        json!(["check-when-the-outage-started"])
    );
    let body = incident(&app, &id).await;
    assert_eq!(body["checklist"]["phases"][0]["overdue"], true);
    assert_eq!(body["checklist"]["phases"][1]["overdue"], false);
    // The reminder reaches the severity's channel (nobody acknowledged and nobody is paged in
    // this configuration, so it is addressed to the channel).
    assert!(
        sink.received()
            .iter()
            .any(|request| request.text().contains("Runbook phase overdue")),
        "no reminder in {:?}",
        sink.received().iter().map(|r| r.text()).collect::<Vec<_>>()
    );

    // The 15-minute phase passes with everything ticked: no second `phase_overdue`.
    app.advance(Duration::from_secs(660), Duration::from_secs(10))
        .await;
    assert_eq!(events(&app, &id, "phase_overdue").await.len(), 1);
}

#[tokio::test]
async fn changes_are_recorded_listed_per_service_and_alert_text_suggests_common_issues() {
    let (app, folder, _target, _sink) = start().await;
    let (status, body) = app
        .post(
            "/api/v1/changes",
            json!({ "kind": "merge", "service": "api", "title": "Merge #42: new routes", "url": "https://github.com/dealix/api/pull/42", "author": "noura" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/changes",
            json!({ "kind": "rollout", "service": "api", "title": "x" }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.get("/api/v1/changes?service=api").await;
    assert_eq!(status, 200, "{body}");
    let changes = body["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "the refused change was not recorded");
    assert_eq!(changes[0]["author"], "noura");
    let (_, body) = app.get("/api/v1/changes?service=web").await;
    assert_eq!(body["changes"], json!([]));

    // A 404 alert opens an incident; the knowledge base suggests the 404 runbook.
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "GET /api/v1/deals returns 404", "severity": "SEV-2" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let body = incident(&app, body["id"].as_str().expect("id")).await;
    assert_eq!(body["suggestions"][0]["id"], "api-v1-404", "{body}");
    assert_eq!(
        body["first_five_minutes"]["flags"][0],
        "merged less than a minute before"
    );

    // The CLI searches the folder offline, and records changes on the server.
    let config = app.app.engine.config().path.clone();
    let url = app.url("");
    let (search, record) = tokio::task::spawn_blocking(move || {
        let tocsin = || std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"));
        let search = tocsin()
            .args(["runbook", "search", "database", "refused", "--config"])
            .arg(&config)
            .env_remove("TOCSIN_CONFIG")
            .output()
            .expect("tocsin runbook search");
        let record = tocsin()
            .args([
                "change",
                "record",
                "--kind",
                "deploy",
                "--service",
                "api",
                "--title",
                "Deploy v43",
                "--author",
                "sami",
                "--url",
                &url,
                "--token",
                TOKEN,
            ])
            .env_remove("TOCSIN_URL")
            .env_remove("TOCSIN_TOKEN")
            .output()
            .expect("tocsin change record");
        (search, record)
    })
    .await
    .expect("the commands ran");
    let out = String::from_utf8_lossy(&search.stdout);
    assert!(search.status.success(), "{out}");
    assert!(
        out.starts_with("database-connection-refused  Database connection refused"),
        "{out}"
    );
    let recorded = String::from_utf8_lossy(&record.stdout);
    assert!(
        record.status.success(),
        "{recorded}{}",
        String::from_utf8_lossy(&record.stderr)
    );
    assert!(
        recorded.contains("deploy  api  Deploy v43  by sami"),
        "{recorded}"
    );
    let (_, body) = app.get("/api/v1/changes?service=api").await;
    assert_eq!(body["changes"][0]["title"], "Deploy v43");
    drop(folder);
}

/// The project's own runbooks (`spec/runbooks/`) served by the knowledge base: the seed's two
/// rollback procedures come first for the words a responder types, with what matched.
#[tokio::test]
async fn the_knowledge_base_finds_the_rollback_and_revert_runbooks() {
    let runbooks = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/runbooks");
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    // What the runbooks' directives name, so the folder loads as it does with the example.
    let config = basic_config(&target, &sink, "1h", 1)
        + &format!(
            r#"
[[monitor]]
id = "database"
name = "PostgreSQL"
type = "postgres"
dsn = "postgres://127.0.0.1:5432/postgres"
interval = "1h"
severity = "SEV-1"

[[monitor]]
id = "moyasar-api"
name = "Moyasar API"
type = "http"
url = "{target}/moyasar"
interval = "1h"
severity = "SEV-2"

[[template]]
id = "customer-notice"
locale = "en"
subject = "{{{{ org.name }}}}: a technical problem"
body = "We are facing a temporary technical problem. — The {{{{ org.name }}}} team"

[[action]]
id = "rollback"
title = "Roll back the last deploy"
type = "http"
url = "http://127.0.0.1:9/rollback"

[[action]]
id = "restart"
title = "Restart the service"
type = "command"
argv = ["/bin/echo", "restart"]

[runbooks]
dir = "{runbooks}"
"#,
            target = target.url,
        );
    let app = TestApp::start(&config).await;
    for (query, expected) in [
        ("rollback", "rollback-on-host"),
        ("roll back deploy", "rollback-on-host"),
        ("revert merge", "revert-bad-merge"),
        ("bad commit", "revert-bad-merge"),
    ] {
        let (status, body) = app
            .get(&format!("/api/v1/runbooks?q={}", query.replace(' ', "+")))
            .await;
        assert_eq!(status, 200, "{body}");
        let first = &body["runbooks"][0];
        assert_eq!(first["id"], expected, "{query}: {body}");
        assert!(
            first["reasons"].as_array().is_some_and(|reasons| reasons
                .iter()
                .any(|r| r.as_str().is_some_and(|r| r.starts_with("match \"")))),
            "{query}: one of its match words hit: {body}"
        );
        assert!(
            body["runbooks"][1]["score"].as_u64() < first["score"].as_u64(),
            "{query}: ranked clearly first: {body}"
        );
    }
}
