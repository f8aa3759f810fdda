//! The signed-in web UI over HTTP, as a browser without JavaScript uses it: sign in, read the
//! pages, post the forms with the CSRF token scraped from them. Users are made through the store
//! or through the `tocsin user` command with the password on standard input.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use tocsin_store::Role;

use crate::support::{Sink, Target, TestApp, basic_config};

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A browser without JavaScript: keeps the session cookie, follows no redirect by itself.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    cookie: Option<String>,
}

pub(crate) struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    set_cookie: Option<String>,
    headers: reqwest::header::HeaderMap,
    pub body: String,
}

pub(crate) fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
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

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser {
            app,
            http,
            cookie: None,
        }
    }

    async fn answer(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let request = match &self.cookie {
            Some(cookie) => request.header(COOKIE, format!("tocsin_session={cookie}")),
            None => request,
        };
        let response = request.send().await.expect("request");
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|value: &reqwest::header::HeaderValue| value.to_str().ok())
                .map(str::to_owned)
        };
        let location = header(LOCATION);
        let set_cookie = header(SET_COOKIE);
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body");
        Answer {
            status,
            location,
            set_cookie,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Answer {
        let request = self.http.get(self.app.url(path));
        self.answer(request).await
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let request = self
            .http
            .post(self.app.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form_encode(fields));
        self.answer(request).await
    }

    /// Signs in; on success keeps the session cookie.
    pub(crate) async fn sign_in(&mut self, email: &str, password: &str) -> Answer {
        let answer = self
            .post(
                "/login",
                &[("email", email), ("password", password), ("next", "")],
            )
            .await;
        if let Some(token) = answer
            .set_cookie
            .as_deref()
            .and_then(|cookie| cookie.strip_prefix("tocsin_session="))
            .and_then(|rest| rest.split(';').next())
            .filter(|token| !token.is_empty())
        {
            self.cookie = Some(token.to_owned());
        }
        answer
    }

    pub(crate) async fn signed_in(app: &'a TestApp, email: &str) -> Browser<'a> {
        let mut browser = Browser::new(app);
        let answer = browser.sign_in(email, PASSWORD).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert!(
            browser.cookie.is_some(),
            "signing in sets the session cookie"
        );
        browser
    }
}

/// The CSRF token in a page's forms.
pub(crate) fn csrf(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    let end = html[start..].find('"').expect("the token's end") + start;
    html[start..end].to_owned()
}

pub(crate) async fn add_user(app: &TestApp, email: &str, role: Role) {
    tocsin_engine::users::add_user(
        app.app.engine.store().as_ref(),
        email,
        role,
        PASSWORD,
        app.now(),
    )
    .await
    .expect("add user");
}

/// Runs `tocsin user …` against the test app's configuration, the password on standard input.
pub(crate) fn tocsin_user(app: &TestApp, args: &[&str], password: &str) -> std::process::Output {
    let config = app.app.engine.config().path.clone();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("user")
        .args(args)
        .arg("--config")
        .arg(&config)
        .args(app.database_args())
        .env_remove("TOCSIN_CONFIG")
        .env_remove("TOCSIN_DATABASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tocsin user");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write the password");
    child.wait_with_output().expect("tocsin user finishes")
}

async fn start() -> (TestApp, Target, Sink) {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "30s", 2)).await;
    (app, target, sink)
}

async fn declare(app: &TestApp, title: &str) -> String {
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": title, "severity": "SEV-2", "component": "api" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

async fn incident(app: &TestApp, id: &str) -> Value {
    let (status, body) = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn timeline(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_responder_signs_in_acknowledges_and_posts_an_update_for_the_status_page() {
    let (app, _target, _sink) = start().await;
    let added = tocsin_user(
        &app,
        &["add", "Dana@Example.com", "--role", "responder"],
        PASSWORD,
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(String::from_utf8_lossy(&added.stdout).contains("added dana@example.com as responder"));
    let id = declare(&app, "Checkout answers 502").await;

    let mut browser = Browser::new(&app);
    let signed_in = browser.sign_in("dana@example.com", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.location.as_deref(), Some("/incidents"));
    let cookie = signed_in.set_cookie.expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    let list = browser.get("/incidents").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Checkout answers 502"), "{}", list.body);
    assert!(list.body.contains(r#"id="incident-rows""#));
    let fragment = browser
        .get("/incidents/fragment?state=open&severity=")
        .await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(fragment.body.contains(&format!(r#"data-id="{id}""#)));
    assert!(!fragment.body.contains("<html"), "a fragment, not a page");
    let resolved_only = browser.get("/incidents/fragment?state=resolved").await;
    assert!(!resolved_only.body.contains(&id), "the filter applies");

    let page = browser.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"id="ack-form""#), "{}", page.body);
    assert!(page.body.contains("respond within 1 h"), "{}", page.body);
    let token = csrf(&page.body);
    let acked = browser
        .post(
            &format!("/incidents/{id}/acknowledge"),
            &[("csrf", token.as_str())],
        )
        .await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER, "{}", acked.body);
    assert_eq!(
        acked.location.as_deref(),
        Some(format!("/incidents/{id}?done=acknowledged").as_str())
    );
    let after = incident(&app, &id).await;
    assert_eq!(after["state"], "acknowledged");
    assert_eq!(after["acknowledged_by"], "dana@example.com");

    let update = browser
        .post(
            &format!("/incidents/{id}/updates"),
            &[
                ("csrf", token.as_str()),
                ("text", "Rolled back the deploy; checkout recovers"),
                ("status_page", "on"),
            ],
        )
        .await;
    assert_eq!(update.status, StatusCode::SEE_OTHER, "{}", update.body);
    let events = timeline(&app, &id).await;
    let posted = events
        .iter()
        .find(|event| event["kind"] == "update")
        .expect("an update on the timeline");
    assert_eq!(posted["data"]["public"], true);
    assert_eq!(posted["actor"], "dana@example.com");
    let shown = browser
        .get(&format!("/incidents/{id}?done=update_public"))
        .await;
    assert!(
        shown.body.contains("shown on the status page"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains(r#"data-public="true""#));
    let live = browser.get(&format!("/incidents/{id}/live")).await;
    assert!(live.body.contains("Rolled back the deploy"));

    // A refused action says why, keeps the page, and changes nothing.
    let again = browser
        .post(
            &format!("/incidents/{id}/acknowledge"),
            &[("csrf", token.as_str())],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains(r#"id="problem""#), "{}", again.body);
}

#[tokio::test]
async fn a_viewer_sees_no_actions_and_a_forged_post_changes_nothing() {
    let (app, _target, _sink) = start().await;
    add_user(&app, "viewer@example.com", Role::Viewer).await;
    let id = declare(&app, "Search is slow").await;
    let mut browser = Browser::signed_in(&app, "viewer@example.com").await;

    let page = browser.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Search is slow"));
    for form in [
        "ack-form",
        "resolve-form",
        "severity-form",
        "note-form",
        "update-form",
    ] {
        assert!(!page.body.contains(form), "a viewer sees no {form}");
    }
    assert!(page.body.contains(r#"id="read-only""#));

    // Its own token, the only one it can get: still refused.
    let token = csrf(&page.body);
    let before = timeline(&app, &id).await.len();
    for (action, fields) in [
        ("acknowledge", vec![("csrf", token.as_str())]),
        ("resolve", vec![("csrf", token.as_str())]),
        ("notes", vec![("csrf", token.as_str()), ("text", "hi")]),
        (
            "updates",
            vec![
                ("csrf", token.as_str()),
                ("text", "hi"),
                ("status_page", "on"),
            ],
        ),
        (
            "severity",
            vec![("csrf", token.as_str()), ("severity", "SEV-1")],
        ),
    ] {
        let answer = browser
            .post(&format!("/incidents/{id}/{action}"), &fields)
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{action}");
        assert!(
            answer.body.contains("Viewers cannot change incidents"),
            "{}",
            answer.body
        );
    }
    let after = incident(&app, &id).await;
    assert_eq!(after["state"], "triggered");
    assert_eq!(after["severity"], "SEV-2");
    assert_eq!(
        timeline(&app, &id).await.len(),
        before,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_post_without_the_sessions_csrf_token_is_refused() {
    let (app, _target, _sink) = start().await;
    add_user(&app, "dana@example.com", Role::Responder).await;
    add_user(&app, "sam@example.com", Role::Responder).await;
    let id = declare(&app, "Login fails").await;
    let mut dana = Browser::signed_in(&app, "dana@example.com").await;
    let mut sam = Browser::signed_in(&app, "sam@example.com").await;
    let sams_token = csrf(&sam.get("/incidents").await.body);

    for fields in [
        vec![],
        vec![("csrf", "")],
        vec![("csrf", "0000")],
        // Another session's valid token is not this session's.
        vec![("csrf", sams_token.as_str())],
    ] {
        let answer = dana
            .post(&format!("/incidents/{id}/acknowledge"), &fields)
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{fields:?}");
        assert!(answer.body.contains("This form has expired"));
    }
    let json_post = dana
        .http
        .post(app.url(&format!("/incidents/{id}/acknowledge")))
        .json(&json!({ "csrf": "x" }));
    let not_a_form = dana.answer(json_post).await;
    assert_eq!(not_a_form.status, StatusCode::FORBIDDEN);
    assert_eq!(incident(&app, &id).await["state"], "triggered");
    // Sam's own token works for Sam.
    let acked = sam
        .post(
            &format!("/incidents/{id}/acknowledge"),
            &[("csrf", sams_token.as_str())],
        )
        .await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signed_out_requests_are_sent_to_sign_in_and_come_back() {
    let (app, _target, _sink) = start().await;
    add_user(&app, "dana@example.com", Role::Responder).await;
    let id = declare(&app, "Queue backs up").await;
    let mut browser = Browser::new(&app);

    let root = browser.get("/").await;
    assert!(root.status.is_redirection());
    assert_eq!(root.location.as_deref(), Some("/incidents"));
    for path in [
        "/incidents",
        "/monitors",
        "/oncall",
        "/deliveries",
        "/config",
        "/incidents/fragment",
    ] {
        let answer = browser.get(path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            answer.location.as_deref(),
            Some(format!("/login?next={path}").as_str())
        );
    }
    let page = browser.get(&format!("/incidents/{id}?done=note")).await;
    assert_eq!(
        page.location.as_deref(),
        Some(format!("/login?next=/incidents/{id}%3Fdone%3Dnote").as_str())
    );
    let post = browser
        .post(&format!("/incidents/{id}/acknowledge"), &[("csrf", "x")])
        .await;
    assert_eq!(post.status, StatusCode::SEE_OTHER);
    assert_eq!(incident(&app, &id).await["state"], "triggered");

    let login = browser.get(&format!("/login?next=/incidents/{id}")).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.body.contains(r#"id="login-form""#));
    // minijinja's HTML escaping writes `/` as `&#x2f;`, which the browser reads back as `/`.
    assert!(
        login
            .body
            .contains(&format!(r#"name="next" value="&#x2f;incidents&#x2f;{id}""#)),
        "{}",
        login.body
    );
    let back = browser
        .post(
            "/login",
            &[
                ("email", "dana@example.com"),
                ("password", PASSWORD),
                ("next", &format!("/incidents/{id}")),
            ],
        )
        .await;
    assert_eq!(
        back.location.as_deref(),
        Some(format!("/incidents/{id}").as_str())
    );
    // Never off-site.
    let offsite = browser
        .post(
            "/login",
            &[
                ("email", "dana@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/phish"),
            ],
        )
        .await;
    assert_eq!(offsite.location.as_deref(), Some("/incidents"));
}

#[tokio::test]
async fn sign_in_failures_say_the_same_thing_and_are_rate_limited_per_email() {
    let (app, _target, _sink) = start().await;
    add_user(&app, "dana@example.com", Role::Responder).await;
    let mut browser = Browser::new(&app);
    let wrong = browser
        .sign_in("dana@example.com", "not the password")
        .await;
    let unknown = browser.sign_in("nobody@example.com", PASSWORD).await;
    for answer in [&wrong, &unknown] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert!(
            answer
                .body
                .contains("The e-mail or the password is not right.")
        );
        assert!(answer.set_cookie.is_none());
    }
    // Five wrong passwords for one e-mail from one address, whatever its case (one was used
    // above): then that address waits (429), even with the right password.
    for _ in 0..4 {
        let answer = browser.sign_in("dana@example.com", "still wrong!!").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let limited = browser.sign_in("DANA@example.com", PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.body.contains("Too many sign-in attempts"));
    assert!(browser.cookie.is_none());
    // Others are not locked out by it.
    add_user(&app, "sam@example.com", Role::Viewer).await;
    Browser::signed_in(&app, "sam@example.com").await;
}

#[tokio::test]
async fn signing_out_ends_the_session_for_good() {
    let (app, _target, _sink) = start().await;
    add_user(&app, "dana@example.com", Role::Viewer).await;
    let mut browser = Browser::signed_in(&app, "dana@example.com").await;
    let page = browser.get("/incidents").await;
    assert!(page.body.contains(r#"id="logout-form""#));
    let token = csrf(&page.body);
    let out = browser.post("/logout", &[("csrf", token.as_str())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert!(
        out.set_cookie
            .as_deref()
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    // The browser would drop the cookie; an attacker who copied it keeps it. It opens nothing.
    let after = browser.get("/incidents").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location.as_deref(), Some("/login?next=/incidents"));
}

#[tokio::test]
async fn changing_a_password_ends_every_session_of_that_person() {
    let (app, _target, _sink) = start().await;
    add_user(&app, "dana@example.com", Role::Responder).await;
    add_user(&app, "sam@example.com", Role::Responder).await;
    let mut laptop = Browser::signed_in(&app, "dana@example.com").await;
    let mut phone = Browser::signed_in(&app, "dana@example.com").await;
    let mut sam = Browser::signed_in(&app, "sam@example.com").await;

    let short = tocsin_user(&app, &["passwd", "dana@example.com"], "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    assert_eq!(laptop.get("/incidents").await.status, StatusCode::OK);

    let changed = tocsin_user(
        &app,
        &["passwd", "dana@example.com"],
        "a brand new passphrase",
    );
    assert!(
        changed.status.success(),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    for browser in [&mut laptop, &mut phone] {
        let answer = browser.get("/incidents").await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "the old session ended"
        );
    }
    assert_eq!(
        sam.get("/incidents").await.status,
        StatusCode::OK,
        "others stay"
    );
    let mut again = Browser::new(&app);
    assert_eq!(
        again.sign_in("dana@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        again
            .sign_in("dana@example.com", "a brand new passphrase")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sessions_end_after_twelve_idle_hours_or_seven_days() {
    let (app, _target, _sink) = start().await;
    add_user(&app, "dana@example.com", Role::Viewer).await;
    let mut idle = Browser::signed_in(&app, "dana@example.com").await;
    let mut busy = Browser::signed_in(&app, "dana@example.com").await;
    // Busy is used every 11 hours; idle is left alone.
    app.clock.advance(Duration::from_secs(11 * 3600));
    assert_eq!(busy.get("/incidents").await.status, StatusCode::OK);
    app.clock.advance(Duration::from_secs(3600 + 1));
    assert_eq!(idle.get("/incidents").await.status, StatusCode::SEE_OTHER);
    assert_eq!(busy.get("/incidents").await.status, StatusCode::OK);
    // Seven days after sign-in it ends however busy it was.
    let mut elapsed = 12 * 3600 + 1;
    while elapsed + 11 * 3600 < 7 * 24 * 3600 {
        app.clock.advance(Duration::from_secs(11 * 3600));
        elapsed += 11 * 3600;
        assert_eq!(busy.get("/incidents").await.status, StatusCode::OK);
    }
    app.clock
        .advance(Duration::from_secs(7 * 24 * 3600 - elapsed));
    assert_eq!(busy.get("/incidents").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_other_pages_show_monitors_on_call_deliveries_and_a_config_without_secrets() {
    let (app, target, sink) = start().await;
    add_user(&app, "viewer@example.com", Role::Viewer).await;
    add_user(&app, "responder@example.com", Role::Responder).await;
    add_user(&app, "admin@example.com", Role::Admin).await;
    // A minute of checks, one failing run, and one incident with its Slack delivery.
    app.advance(Duration::from_secs(60), Duration::from_secs(10))
        .await;
    target.answer(503);
    app.advance(Duration::from_secs(90), Duration::from_secs(10))
        .await;
    target.answer(200);
    app.advance(Duration::from_secs(60), Duration::from_secs(10))
        .await;
    assert!(!sink.accepted().is_empty(), "the incident reached Slack");
    let mut browser = Browser::signed_in(&app, "viewer@example.com").await;

    let monitors = browser.get("/monitors").await;
    assert_eq!(monitors.status, StatusCode::OK);
    assert!(
        monitors.body.contains(r#"data-id="api-health""#),
        "{}",
        monitors.body
    );
    assert!(
        monitors.body.contains("<svg class=\"latency\""),
        "{}",
        monitors.body
    );
    assert!(monitors.body.contains("<polyline"));
    assert!(
        monitors.body.contains(r#"class="failure""#),
        "failed checks are marked"
    );
    assert!(monitors.body.contains('%'), "uptime is shown");
    assert!(
        !monitors
            .body
            .contains(r#"data-window="24 h" title="0 checks""#)
    );

    let deliveries = browser.get("/deliveries").await;
    assert_eq!(deliveries.status, StatusCode::OK);
    assert!(
        deliveries.body.contains("slack-alerts"),
        "{}",
        deliveries.body
    );
    assert!(deliveries.body.contains("status-sent"));

    let oncall = browser.get("/oncall").await;
    assert_eq!(oncall.status, StatusCode::OK);
    assert!(oncall.body.contains("Overrides"));

    // The configuration maps every door: admins only, and only they see its link.
    let refused = browser.get("/config").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.body.contains("api-health"));
    assert!(!oncall.body.contains(r#"id="nav-config""#));
    let mut responder = Browser::signed_in(&app, "responder@example.com").await;
    assert_eq!(responder.get("/config").await.status, StatusCode::FORBIDDEN);
    let mut admin = Browser::signed_in(&app, "admin@example.com").await;
    let config = admin.get("/config").await;
    assert_eq!(config.status, StatusCode::OK);
    assert!(config.body.contains(r#"id="nav-config""#));
    assert!(config.body.contains("api-health"));
    assert!(config.body.contains("config-channels"));
    for secret in [crate::support::TOKEN, sink.url.as_str()] {
        assert!(
            !config.body.contains(secret),
            "the config page shows {secret}"
        );
    }

    // Every page forbids framing and inline scripts; assets are cached for long.
    assert!(
        config.headers["content-security-policy"]
            .to_str()
            .unwrap_or_default()
            .contains("frame-ancestors 'none'")
    );
    let script = browser.get("/assets/ui.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        script.headers["cache-control"]
            .to_str()
            .unwrap_or_default()
            .contains("immutable")
    );
    assert!(
        browser
            .get("/assets/ui.css")
            .await
            .body
            .contains("prefers-color-scheme")
    );
}

#[tokio::test]
async fn an_admin_runs_the_drill_from_the_ui_and_a_viewer_cannot() {
    let world = crate::drill::world().await;
    let app = &world.app;
    add_user(app, "root@example.com", Role::Admin).await;
    add_user(app, "vera@example.com", Role::Viewer).await;

    let mut viewer = Browser::signed_in(app, "vera@example.com").await;
    let page = viewer.get("/drills").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"id="no-drills""#), "{}", page.body);
    assert!(
        !page.body.contains(r#"id="run-drill""#),
        "viewers get no run button"
    );
    let token = csrf(&page.body);
    let refused = viewer
        .post("/drills/run", &[("csrf", token.as_str())])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        app.app.engine.drills(10).await.unwrap().is_empty(),
        "nothing ran"
    );

    let mut admin = Browser::signed_in(app, "root@example.com").await;
    let page = admin.get("/drills").await;
    assert!(page.body.contains(r#"id="run-drill""#), "{}", page.body);
    let token = csrf(&page.body);
    let ran = admin.post("/drills/run", &[("csrf", token.as_str())]).await;
    assert_eq!(ran.status, StatusCode::SEE_OTHER, "{}", ran.body);
    let location = ran.location.expect("to the report");
    assert!(location.starts_with("/drills/"), "{location}");
    let report = admin.get(&location).await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.body.contains("ops-hook"), "{}", report.body);
    assert!(
        report.body.contains("waiting for confirmation"),
        "{}",
        report.body
    );
    assert!(report.body.contains("failed"), "{}", report.body);
    // The configuration's date beside the store's (none confirmed yet).
    assert!(report.body.contains("2026-09-27"), "{}", report.body);
    let history = admin.get("/drills").await;
    assert!(
        history.body.contains(r#"class="drill""#),
        "{}",
        history.body
    );
}
