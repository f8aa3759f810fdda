//! Mitigation actions as people run them: through the API with a confirmation, through the UI's
//! confirmation step, refused to viewers; a hostile incident title reaches a real program as one
//! literal argument; an HTTP action's JSON body stays valid JSON; a hung command is killed; a
//! rollback goes to the deploy before the live one, as Railway's hooks reported them, and is
//! refused (recorded, nothing sent) when there is none.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use tocsin_store::Role;

use crate::support::{Sink, TOKEN, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const HOSTILE: &str = "Checkout down; rm -rf / && echo \"pwned\" $(id)";

fn config(sink: &Sink) -> String {
    format!(
        r#"
[server]
public_url = "http://tocsin.test"
database = "sqlite://tocsin.db"
admin_token = "{TOKEN}"

[org]
name = "Dealix"
timezone = "Asia/Riyadh"
locales = ["ar", "en"]

[[severity]]
id = "SEV-1"
definition = "Full outage"
respond_within = "15m"
notify = []

[[action]]
id = "echo-title"
title = "Echo the title"
type = "command"
argv = ["/usr/bin/printf", "[%s]\n", "{{{{ incident.title }}}}", "{{{{ incident.severity }}}}"]
confirm = true

[[integration]]
id = "railway"
type = "railway"
token = "rw-token-0123456789abcdef"

[[action]]
id = "rollback"
title = "Roll back"
type = "http"
url = "{sink}/rollback?incident={{{{ incident.id }}}}&title={{{{ incident.title }}}}"
headers = {{ Authorization = "Bearer rollback-token" }}
body = '{{"reason": "{{{{ incident.title }}}}", "deployment": "{{{{ change.previous_deploy_id }}}}", "live": "{{{{ change.id }}}}"}}'
confirm = false

[[action]]
id = "rollback-checkout"
title = "Roll back checkout in production"
type = "http"
url = "{sink}/rollback-checkout"
body = '{{"deployment": "{{{{ change.previous_deploy_id }}}}"}}'
confirm = false
service = "checkout"
environment = "production"

[[action]]
id = "hang"
title = "Hang"
type = "command"
argv = ["/bin/sleep", "30"]
confirm = false
timeout = "1s"
"#,
        sink = sink.url
    )
}

async fn declare(app: &TestApp, title: &str) -> String {
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": title, "severity": "SEV-1", "component": "api" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

/// Posts one state of a Railway deployment through the Railway hook, in Railway's current
/// payload shape (`type: "Deployment.<state>"`, names under `resource`), `minutes` before the
/// tests' epoch (when the incidents here open).
async fn railway(
    app: &TestApp,
    service: &str,
    environment: &str,
    id: &str,
    state: &str,
    minutes: i64,
) {
    let at = crate::support::epoch() - jiff::SignedDuration::from_mins(minutes);
    let hook = json!({
        "type": format!("Deployment.{state}"),
        "details": {
            "id": id,
            "source": "GitHub",
            "status": state.to_uppercase(),
            "branch": "main",
            "commitHash": format!("{id}-sha"),
            "commitAuthor": "sami",
            "commitMessage": format!("Release {id}")
        },
        "resource": {
            "workspace": { "id": "0d8e4a61-7c2b-4f39-9e15-a3b6c8d0f274", "name": "Acme" },
            "project": { "id": "5f2a9c1e-8b3d-4e7f-a6c0-1d9e2b4f7a83", "name": "dealix" },
            "environment": { "id": format!("env-{environment}"), "name": environment, "isEphemeral": false },
            "service": { "id": format!("svc-{service}"), "name": service },
            "deployment": { "id": id }
        },
        "severity": "INFO",
        "timestamp": at.to_string(),
    });
    let response = app
        .http
        .post(app.url("/hooks/railway?token=rw-token-0123456789abcdef"))
        .body(hook.to_string())
        .send()
        .await
        .expect("POST the Railway hook");
    assert_eq!(response.status().as_u16(), 202, "{state} of {id}");
}

/// One whole Railway deployment that went live: building, deploying, success, a minute apart,
/// the last `minutes` before the epoch.
async fn deployed(app: &TestApp, service: &str, environment: &str, id: &str, minutes: i64) {
    for (state, before) in [("building", 2), ("deploying", 1), ("success", 0)] {
        railway(app, service, environment, id, state, minutes + before).await;
    }
}

/// Runs an action through the API without a confirmation: its status and answer.
async fn run_action(app: &TestApp, id: &str, action: &str) -> (u16, Value) {
    app.post(
        &format!("/api/v1/incidents/{id}/actions/{action}"),
        json!({}),
    )
    .await
}

/// The one request the action sent to `path` at the recorder.
fn request_to(sink: &Sink, path: &str) -> tocsin_testkit::Received {
    sink.received()
        .into_iter()
        .find(|request| request.path == path)
        .unwrap_or_else(|| panic!("no request to {path}"))
}

async fn runs(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/incidents/{id}/actions")).await;
    assert_eq!(status, 200, "{body}");
    body["runs"].as_array().cloned().unwrap_or_default()
}

async fn timeline(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_confirm_action_waits_for_confirmation_and_gets_a_hostile_title_as_one_argument() {
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&sink)).await;
    let id = declare(&app, HOSTILE).await;

    // Not confirmed: refused, and nothing ran or was recorded as run.
    let (status, body) = run_action(&app, &id, "echo-title").await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("needs confirmation"), "{message}");
    assert!(runs(&app, &id).await.is_empty());
    assert!(
        !app.timeline_kinds(&id)
            .await
            .contains(&"action_requested".to_owned())
    );

    let (status, run) = app
        .post(
            &format!("/api/v1/incidents/{id}/actions/echo-title"),
            json!({ "confirm": true }),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["exit_status"], 0);
    // printf saw exactly two arguments after its format: the whole title, then the severity.
    assert_eq!(run["output"], format!("[{HOSTILE}]\n[SEV-1]\n"));
    assert_eq!(run["requested_by"], "admin");

    let events = timeline(&app, &id).await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(
        kinds.ends_with(&["action_requested", "action_succeeded"]),
        "{kinds:?}"
    );
    let succeeded = events.last().expect("event");
    assert_eq!(
        succeeded["data"]["output"],
        format!("[{HOSTILE}]\n[SEV-1]\n")
    );
    assert_eq!(runs(&app, &id).await.len(), 1, "one audited run");
}

#[tokio::test]
async fn an_http_action_sends_json_escaped_values_and_a_url_encoded_query() {
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&sink)).await;
    deployed(&app, "api", "production", "dep-A", 60).await;
    deployed(&app, "api", "production", "dep-B", 30).await;
    let title = "Payments \"stuck\" \\ retry & 50% off";
    let id = declare(&app, title).await;

    // `confirm = false`: runs without a confirmation.
    let (status, run) = run_action(&app, &id, "rollback").await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["exit_status"], 200);

    let request = request_to(&sink, "/rollback");
    assert_eq!(
        request.header("authorization"),
        Some("Bearer rollback-token")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_str(&request.text()).expect("the body is valid JSON");
    assert_eq!(body["reason"], title);
    assert_eq!(body["deployment"], "dep-A");
    let query = request.query.clone().expect("a query");
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (decode(name), decode(value)))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("incident".to_owned(), id.clone()),
            ("title".to_owned(), title.to_owned())
        ]
    );
    // The token is not in the audit record.
    assert!(!run.to_string().contains("rollback-token"));
}

#[tokio::test]
async fn a_rollback_goes_to_the_deploy_before_the_live_one_not_to_an_earlier_state_of_it() {
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&sink)).await;
    // Railway reports every state of a deployment under its one id: A then B went live.
    deployed(&app, "api", "production", "dep-A", 90).await;
    deployed(&app, "api", "production", "dep-B", 20).await;
    let id = declare(&app, "API down after the release").await;

    let (status, run) = run_action(&app, &id, "rollback").await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded", "{run}");
    let request = request_to(&sink, "/rollback");
    let body: Value = serde_json::from_str(&request.text()).expect("JSON");
    assert_eq!(
        body["live"], "dep-B",
        "the deploy live when the incident began"
    );
    assert_eq!(
        body["deployment"], "dep-A",
        "the successful deploy before it"
    );
}

#[tokio::test]
async fn with_one_deploy_ever_the_rollback_is_refused_with_the_reason_and_nothing_is_sent() {
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&sink)).await;
    deployed(&app, "api", "production", "dep-A", 30).await;
    // A later deploy that failed never went live: nothing to roll back to either.
    railway(&app, "api", "production", "dep-F", "building", 12).await;
    railway(&app, "api", "production", "dep-F", "failed", 10).await;
    let id = declare(&app, "API down").await;

    let (status, run) = run_action(&app, &id, "rollback").await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "failed", "{run}");
    let reason = run["output"].as_str().unwrap_or_default().to_owned();
    assert!(
        reason.contains("`dep-A` is the only successful deploy of `api`")
            && reason.contains("no earlier one to roll back to"),
        "{reason}"
    );
    assert!(sink.received().is_empty(), "nothing was sent");

    // The timeline says who asked and why it did not run; the run is on the audit trail.
    let events = timeline(&app, &id).await;
    let last = events.last().expect("an event");
    assert_eq!(last["kind"], "action_failed");
    assert_eq!(last["actor"], "admin");
    let text = last["text"].as_str().unwrap_or_default();
    assert!(
        text.starts_with("The action “Roll back” was not run: "),
        "{text}"
    );
    assert!(
        text.contains(&reason) && text.ends_with("Nothing was sent."),
        "{text}"
    );
    let runs = runs(&app, &id).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["output"], reason.as_str());
}

#[tokio::test]
async fn deploys_count_for_the_action_s_service_and_environment_or_the_incident_s_component() {
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&sink)).await;
    deployed(&app, "checkout", "production", "co-1", 90).await;
    deployed(&app, "checkout", "production", "co-2", 60).await;
    // Staging deploys of the same service, after production's, are not production's.
    deployed(&app, "checkout", "staging", "co-stg", 10).await;
    let id = declare(&app, "API down").await;

    // `rollback` follows the incident's component, `api`: Railway reported none of its deploys.
    let (status, run) = run_action(&app, &id, "rollback").await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "failed", "{run}");
    let reason = run["output"].as_str().unwrap_or_default();
    assert!(
        reason.contains("no successful deploy of `api` is recorded before the incident opened")
            && reason.contains("deploys are recorded for `checkout`"),
        "{reason}"
    );
    assert!(sink.received().is_empty(), "nothing was sent");

    // `rollback-checkout` names its service and environment.
    let (status, run) = run_action(&app, &id, "rollback-checkout").await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded", "{run}");
    let request = request_to(&sink, "/rollback-checkout");
    let body: Value = serde_json::from_str(&request.text()).expect("JSON");
    assert_eq!(body["deployment"], "co-1");
}

#[tokio::test]
async fn a_command_that_outlives_its_timeout_is_killed_and_the_failure_recorded() {
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&sink)).await;
    let id = declare(&app, "Stuck").await;
    let (status, run) = run_action(&app, &id, "hang").await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "failed");
    let events = timeline(&app, &id).await;
    let last = events.last().expect("event");
    assert_eq!(last["kind"], "action_failed");
    assert!(
        last["text"]
            .as_str()
            .unwrap_or_default()
            .contains("timed out after 1s"),
        "{last}"
    );
}

#[tokio::test]
async fn an_unknown_action_or_incident_changes_nothing() {
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&sink)).await;
    let id = declare(&app, "x").await;
    let (status, body) = run_action(&app, &id, "nope").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("nope")
    );
    let (status, _) = app
        .post("/api/v1/incidents/missing/actions/rollback", json!({}))
        .await;
    assert_eq!(status, 404);
    assert!(sink.received().is_empty());
}

// ── The UI ────────────────────────────────────────────────────────────────────────────────────

/// A browser without JavaScript, signed in: keeps its cookie, follows no redirect.
struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    cookie: String,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// Percent-decodes a query value (no `+` for space: tocsin encodes spaces as `%20`).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("a %XX escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

impl<'a> Browser<'a> {
    async fn sign_in(app: &'a TestApp, email: &str, role: Role) -> Browser<'a> {
        tocsin_engine::users::add_user(
            app.app.engine.store().as_ref(),
            email,
            role,
            PASSWORD,
            app.now(),
        )
        .await
        .expect("add user");
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let response = http
            .post(app.url("/login"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!(
                "email={}&password={}&next=",
                encode(email),
                encode(PASSWORD)
            ))
            .send()
            .await
            .expect("sign in");
        let cookie = response
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("tocsin_session="))
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_owned();
        Browser { app, http, cookie }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let response = request
            .header(COOKIE, format!("tocsin_session={}", self.cookie))
            .send()
            .await
            .expect("request");
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Page {
            status,
            location,
            body: response.text().await.expect("body"),
        }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(self.app.url(path))).await
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = fields
            .iter()
            .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            self.http
                .post(self.app.url(path))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body),
        )
        .await
    }
}

fn csrf(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    let end = html[start..].find('"').expect("end") + start;
    html[start..end].to_owned()
}

#[tokio::test]
async fn in_the_ui_a_confirm_action_asks_first_and_a_viewer_is_refused() {
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&sink)).await;
    let id = declare(&app, HOSTILE).await;

    let viewer = Browser::sign_in(&app, "viewer@example.com", Role::Viewer).await;
    let page = viewer.get(&format!("/incidents/{id}")).await;
    assert!(
        !page.body.contains("action-echo-title"),
        "a viewer sees no action buttons"
    );
    let token = csrf(&page.body);
    let refused = viewer
        .post(
            &format!("/incidents/{id}/actions/echo-title"),
            &[("csrf", &token), ("confirm", "yes")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(runs(&app, &id).await.is_empty(), "a viewer ran nothing");

    let responder = Browser::sign_in(&app, "dana@example.com", Role::Responder).await;
    let page = responder.get(&format!("/incidents/{id}")).await;
    assert!(
        page.body.contains(r#"id="action-echo-title""#),
        "{}",
        page.body
    );
    let token = csrf(&page.body);

    // The button (as a runbook's `{{ action "echo-title" }}` posts it): a confirmation step.
    let ask = responder
        .post(
            &format!("/incidents/{id}/actions/echo-title"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(
        ask.body.contains(r#"id="action-confirm-form""#),
        "{}",
        ask.body
    );
    assert!(runs(&app, &id).await.is_empty(), "asking ran nothing");

    let ran = responder
        .post(
            &format!("/incidents/{id}/actions/echo-title"),
            &[("csrf", &token), ("confirm", "yes")],
        )
        .await;
    assert_eq!(ran.status, StatusCode::SEE_OTHER);
    assert_eq!(
        ran.location.as_deref(),
        Some(format!("/incidents/{id}?done=action_succeeded").as_str())
    );
    let runs = runs(&app, &id).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["requested_by"], "dana@example.com");
    assert_eq!(runs[0]["output"], format!("[{HOSTILE}]\n[SEV-1]\n"));
}

// ── The command line ─────────────────────────────────────────────────────────────────────────

fn cli(url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["action", "--url", url, "--token", TOKEN, "run"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run tocsin")
}

#[tokio::test]
async fn the_cli_asks_before_a_confirm_action_unless_told_yes() {
    let sink = Sink::start().await;
    let app = TestApp::start(&config(&sink)).await;
    let id = declare(&app, HOSTILE).await;
    let url = app.app.url();

    // No answer on standard input: not run.
    let (url_a, id_a) = (url.clone(), id.clone());
    let refused = tokio::task::spawn_blocking(move || cli(&url_a, &[&id_a, "echo-title"]))
        .await
        .expect("join");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("Not run."));
    assert!(runs(&app, &id).await.is_empty());

    let (url_b, id_b) = (url.clone(), id.clone());
    let ran = tokio::task::spawn_blocking(move || cli(&url_b, &[&id_b, "echo-title", "--yes"]))
        .await
        .expect("join");
    let stdout = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(stdout.contains("echo-title succeeded"), "{stdout}");
    assert!(
        stdout.contains(&format!("[{HOSTILE}]\n[SEV-1]\n")),
        "{stdout}"
    );
    assert_eq!(runs(&app, &id).await.len(), 1);
}

/// What a run record and the timeline keep of actions whose URL, query and argv carry secrets:
/// `[redacted]` in their place, in the run, its summary and output, and every timeline line.
#[tokio::test]
async fn secrets_in_an_action_s_url_and_argv_are_redacted_in_its_record_and_timeline() {
    let sink = Sink::start().await;
    let secrets = tempfile::tempdir().expect("tempdir");
    let token_file = secrets.path().join("cli-token");
    std::fs::write(&token_file, "cli-file-token-5e6f7a8b\n").expect("write the secret file");
    let with_credentials = sink
        .url
        .replace("http://", "http://deployer:deploy-pass-0a9f@");
    let text = format!(
        r#"{base}
[[action]]
id = "notify-deploy"
type = "http"
url = "{with_credentials}/deploy?api_key=deploy-query-key-12ab&incident={{{{ incident.id }}}}"
confirm = false

[[action]]
id = "unreachable"
type = "http"
url = "http://deployer:deploy-pass-0a9f@127.0.0.1:9/deploy?token=deploy-query-key-12ab"
confirm = false

[[action]]
id = "cli-with-token"
type = "command"
argv = ["/usr/bin/printf", "%s %s\n", "--token=${{file:{token_file}}}", "{{{{ incident.id }}}}"]
confirm = false
"#,
        base = config(&sink),
        token_file = token_file.display(),
    );
    let app = TestApp::start(&text).await;
    let id = declare(&app, "Deploys stuck").await;
    const SECRETS: [&str; 3] = [
        "deploy-pass-0a9f",
        "deploy-query-key-12ab",
        "cli-file-token-5e6f7a8b",
    ];

    let (status, run) = run_action(&app, &id, "notify-deploy").await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded", "{run}");
    // The request itself carried the credentials: only what is kept is redacted.
    let request = request_to(&sink, "/deploy");
    assert!(
        request
            .query
            .as_deref()
            .unwrap_or_default()
            .contains("api_key=deploy-query-key-12ab")
    );
    assert!(request.header("authorization").is_some(), "basic auth sent");
    let what = run["what"].as_str().unwrap_or_default();
    assert!(what.contains("[redacted]@127.0.0.1"), "{what}");
    assert!(what.contains("api_key=[redacted]"), "{what}");

    let (status, run) = run_action(&app, &id, "unreachable").await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "failed", "{run}");

    let (status, run) = run_action(&app, &id, "cli-with-token").await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["output"], format!("--token=[redacted] {id}\n"), "{run}");

    let kept = format!(
        "{}\n{}",
        Value::from(runs(&app, &id).await),
        Value::from(timeline(&app, &id).await)
    );
    assert!(kept.contains("[redacted]"), "{kept}");
    for secret in SECRETS {
        assert!(!kept.contains(secret), "{secret} is kept: {kept}");
    }
    // The UI's incident page shows the same records.
    let browser = Browser::sign_in(&app, "viewer@example.com", Role::Viewer).await;
    let page = browser.get(&format!("/incidents/{id}")).await;
    for secret in SECRETS {
        assert!(!page.body.contains(secret), "{secret} on the incident page");
    }
}
