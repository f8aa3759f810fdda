//! People and API tokens managed by an admin: `tocsin user disable|enable|role|remove`, `tocsin
//! token create --name … --expires …`, `token list`, `token revoke`, and the same on
//! `/admin/people`. Each change to a person ends their sessions at once; a revoked or expired
//! token is refused at once; the timeline names the token that acted.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tocsin_store::Role;

use crate::support::{Sink, TOKEN, Target, TestApp, basic_config};
use crate::ui::{Browser, PASSWORD, add_user, csrf, tocsin_user};

/// Runs `tocsin ARGS… --config …` against the test app's database, nothing on standard input.
fn tocsin(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .arg("--config")
        .arg(&app.app.engine.config().path)
        .args(app.database_args())
        .env_remove("TOCSIN_CONFIG")
        .env_remove("TOCSIN_DATABASE")
        .stdin(Stdio::null())
        .output()
        .expect("run tocsin")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
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
            json!({ "title": title, "severity": "SEV-2" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

/// The status of `GET /api/v1/incidents` with this token.
async fn read_with(app: &TestApp, token: &str) -> u16 {
    app.http
        .get(app.url("/api/v1/incidents"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_session_ends_when_its_person_is_disabled_given_another_role_or_a_new_password() {
    let (app, _target, _sink) = start().await;
    add_user(&app, "ana@example.com", Role::Admin).await;
    add_user(&app, "dana@example.com", Role::Responder).await;
    let mut ana = Browser::signed_in(&app, "ana@example.com").await;

    // Disabled: the open session stops working, and signing in gets a wrong password's answer.
    let mut dana = Browser::signed_in(&app, "dana@example.com").await;
    let disabled = tocsin(&app, &["user", "disable", "Dana@Example.com"]);
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    assert!(stdout(&disabled).contains("their sessions have ended"));
    assert_eq!(dana.get("/incidents").await.status, StatusCode::SEE_OTHER);
    let refused = Browser::new(&app)
        .sign_in("dana@example.com", PASSWORD)
        .await;
    let unknown = Browser::new(&app)
        .sign_in("nobody@example.com", PASSWORD)
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused
            .body
            .contains("The e-mail or the password is not right.")
    );
    assert_eq!(
        refused.body.replace("dana@example.com", "EMAIL"),
        unknown.body.replace("nobody@example.com", "EMAIL"),
        "a disabled account is not told apart from an unknown one"
    );
    assert_eq!(
        ana.get("/incidents").await.status,
        StatusCode::OK,
        "others stay signed in"
    );

    // Enabled again: the old password works.
    let enabled = tocsin(&app, &["user", "enable", "dana@example.com"]);
    assert!(enabled.status.success(), "{}", stderr(&enabled));
    let mut dana = Browser::signed_in(&app, "dana@example.com").await;

    // Another role: the session that had the old one ends; a new one has the new role.
    let demoted = tocsin(
        &app,
        &["user", "role", "dana@example.com", "--role", "viewer"],
    );
    assert!(demoted.status.success(), "{}", stderr(&demoted));
    assert_eq!(dana.get("/incidents").await.status, StatusCode::SEE_OTHER);
    let mut dana = Browser::signed_in(&app, "dana@example.com").await;
    let page = dana.get("/incidents").await;
    assert!(page.body.contains(r#"<span id="role">viewer</span>"#));

    // A new password: the session ends too.
    let changed = tocsin_user(
        &app,
        &["passwd", "dana@example.com"],
        "a brand new passphrase",
    );
    assert!(changed.status.success(), "{}", stderr(&changed));
    assert_eq!(dana.get("/incidents").await.status, StatusCode::SEE_OTHER);

    // Removed: gone from the list, and cannot sign in.
    let removed = tocsin(&app, &["user", "remove", "dana@example.com"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    let listed = tocsin(&app, &["user", "list"]);
    assert!(stdout(&listed).contains("ana@example.com"));
    assert!(!stdout(&listed).contains("dana@example.com"));
    assert_eq!(ana.get("/incidents").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_last_admin_stays_unless_an_admin_token_is_configured() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let without_token =
        basic_config(&target, &sink, "30s", 2).replace(&format!("admin_token = \"{TOKEN}\"\n"), "");
    let app = TestApp::start(&without_token).await;
    add_user(&app, "ana@example.com", Role::Admin).await;
    let mut ana = Browser::signed_in(&app, "ana@example.com").await;

    for args in [
        &["user", "disable", "ana@example.com"][..],
        &["user", "role", "ana@example.com", "--role", "responder"],
        &["user", "remove", "ana@example.com"],
    ] {
        let refused = tocsin(&app, args);
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&refused).contains("last enabled admin")
                && stderr(&refused).contains("server.admin_token"),
            "{}",
            stderr(&refused)
        );
        assert_eq!(
            ana.get("/incidents").await.status,
            StatusCode::OK,
            "a refused change ends nothing"
        );
    }
    // The same on the admin page.
    let page = ana.get("/admin/people").await;
    let token = csrf(&page.body);
    let refused = ana
        .post(
            "/admin/people/users/disable",
            &[("csrf", &token), ("email", "ana@example.com")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("last enabled admin"));

    // With a second admin, the first may step down.
    add_user(&app, "bo@example.com", Role::Admin).await;
    let stepped_down = tocsin(
        &app,
        &["user", "role", "ana@example.com", "--role", "responder"],
    );
    assert!(stepped_down.status.success(), "{}", stderr(&stepped_down));
}

#[tokio::test]
async fn a_named_token_is_listed_without_its_secret_named_on_the_timeline_and_refused_once_revoked()
{
    let (app, _target, _sink) = start().await;
    let created = tocsin(
        &app,
        &[
            "token",
            "create",
            "--name",
            "ci-deploy",
            "--role",
            "responder",
            "--expires",
            "2099-01-01",
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let text = stdout(&created);
    let secret = text.lines().last().expect("the token").to_owned();
    assert!(secret.starts_with("tcn_"), "{text}");
    let id = format!("tok_{}", &secret[4..12]);

    // The old form still works, named after its role.
    let plain = crate::tokens::create(&app, "viewer");

    let incident = declare(&app, "Checkout slow").await;
    let acked = app
        .http
        .post(app.url(&format!("/api/v1/incidents/{incident}/acknowledge")))
        .bearer_auth(&secret)
        .json(&json!({}))
        .send()
        .await
        .expect("acknowledge");
    assert_eq!(acked.status(), 200);
    let (_, timeline) = app
        .get(&format!("/api/v1/incidents/{incident}/timeline"))
        .await;
    let actors: Vec<&str> = timeline["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event["actor"].as_str())
        .collect();
    let named = format!("token \"ci-deploy\" ({id})");
    assert!(actors.contains(&named.as_str()), "{actors:?}");
    assert_eq!(read_with(&app, &plain).await, 200);

    let listed = tocsin(&app, &["token", "list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let list = stdout(&listed);
    for secret in [&secret, &plain] {
        assert!(!list.contains(&secret[4..]), "a secret is listed: {list}");
    }
    let row = list
        .lines()
        .find(|line| line.starts_with(&id))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        row.contains("ci-deploy") && row.contains("responder") && row.contains("2099-01-01"),
        "{row}"
    );
    assert!(
        row.contains(&app.now().strftime("%Y-%m-%d").to_string()),
        "the last use is shown: {row}"
    );
    assert!(list.lines().any(|line| line.contains("viewer")), "{list}");

    let revoked = tocsin(&app, &["token", "revoke", &id]);
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    assert_eq!(read_with(&app, &secret).await, 401, "refused at once");
    assert_eq!(read_with(&app, &plain).await, 200, "only that one");
    let again = tocsin(&app, &["token", "revoke", &id]);
    assert!(again.status.success());
    assert!(stdout(&again).contains("already revoked"));
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let (app, _target, _sink) = start().await;
    let store = app.app.engine.store();
    let expires = app.now() + jiff::SignedDuration::from_hours(1);
    let token = tocsin_engine::api_tokens::create_api_token(
        store.as_ref(),
        "nightly-report",
        Role::Viewer,
        Some(expires),
        app.now(),
    )
    .await
    .expect("create");
    assert_eq!(read_with(&app, &token.token).await, 200);
    app.clock.advance(Duration::from_secs(3600));
    assert_eq!(read_with(&app, &token.token).await, 401);
    let list = stdout(&tocsin(&app, &["token", "list"]));
    assert!(list.contains("(expired)"), "{list}");
}

#[tokio::test]
async fn commands_say_what_to_do_about_an_unknown_person_or_token_or_a_bad_expiry() {
    let (app, _target, _sink) = start().await;
    let unknown = tocsin(&app, &["user", "disable", "nobody@example.com"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("no user with the e-mail `nobody@example.com`")
            && stderr(&unknown).contains("tocsin user list"),
        "{}",
        stderr(&unknown)
    );
    let no_token = tocsin(&app, &["token", "revoke", "tok_00000000"]);
    assert_eq!(no_token.status.code(), Some(1));
    assert!(
        stderr(&no_token).contains("no API token with the id `tok_00000000`")
            && stderr(&no_token).contains("tocsin token list"),
        "{}",
        stderr(&no_token)
    );
    for (args, says) in [
        (
            &["token", "create", "--role", "viewer", "--expires", "soon"][..],
            "is not an expiry",
        ),
        (
            &[
                "token",
                "create",
                "--role",
                "viewer",
                "--expires",
                "2001-01-01",
            ],
            "has already passed",
        ),
        (
            &["token", "create", "--role", "viewer", "--name", "a\"b"],
            "is not a token name",
        ),
        (&["user", "role", "ana@example.com"], "--role"),
        (
            &["user", "disable", "not-an-email"],
            "is not an e-mail address",
        ),
    ] {
        let refused = tocsin(&app, args);
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&refused)
        );
        assert!(stderr(&refused).contains(says), "{}", stderr(&refused));
    }
    let list = stdout(&tocsin(&app, &["token", "list"]));
    assert!(list.contains("no API tokens"), "nothing was made: {list}");
}

#[tokio::test]
async fn an_admin_manages_people_sessions_and_tokens_on_the_admin_page_and_others_get_403() {
    let (app, _target, _sink) = start().await;
    add_user(&app, "ana@example.com", Role::Admin).await;
    add_user(&app, "dana@example.com", Role::Responder).await;
    add_user(&app, "vic@example.com", Role::Viewer).await;
    let mut ana = Browser::signed_in(&app, "ana@example.com").await;
    let mut dana = Browser::signed_in(&app, "dana@example.com").await;
    let mut vic = Browser::signed_in(&app, "vic@example.com").await;

    // Not an admin: no link, a 403 page, and a forged post changes nothing.
    for browser in [&mut dana, &mut vic] {
        let incidents = browser.get("/incidents").await;
        assert!(!incidents.body.contains(r#"id="nav-people""#));
        assert_eq!(
            browser.get("/admin/people").await.status,
            StatusCode::FORBIDDEN
        );
        let token = csrf(&incidents.body);
        let forged = browser
            .post(
                "/admin/people/tokens",
                &[("csrf", &token), ("name", "mine"), ("role", "admin")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
    }
    assert!(
        app.app
            .engine
            .store()
            .api_tokens()
            .await
            .unwrap()
            .is_empty()
    );

    let page = ana.get("/admin/people").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"id="nav-people""#));
    for email in ["ana@example.com", "dana@example.com", "vic@example.com"] {
        assert!(page.body.contains(email), "{email} is listed");
    }
    let token = csrf(&page.body);

    // A token made on the page: its secret shown on that answer only, and it works.
    let made = ana
        .post(
            "/admin/people/tokens",
            &[
                ("csrf", &token),
                ("name", "grafana"),
                ("role", "viewer"),
                ("expires", "30d"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let marker = r#"<code id="new-token-secret">"#;
    let start = made.body.find(marker).expect("the secret is shown") + marker.len();
    let secret = made.body[start..start + 68].to_owned();
    assert!(secret.starts_with("tcn_"), "{secret}");
    assert_eq!(read_with(&app, &secret).await, 200);
    let page = ana.get("/admin/people").await;
    assert!(page.body.contains("grafana"));
    assert!(!page.body.contains(&secret), "shown once only");

    // Revoked on the page: refused at once.
    let id = format!("tok_{}", &secret[4..12]);
    let revoked = ana
        .post(
            "/admin/people/tokens/revoke",
            &[("csrf", &token), ("id", &id)],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(read_with(&app, &secret).await, 401);

    // Ending one of dana's sessions from the page signs that browser out.
    let page = ana.get("/admin/people").await;
    assert!(
        page.body
            .contains(r#"class="session" data-email="dana@example.com""#)
    );
    let sessions =
        tocsin_engine::accounts::live_sessions(app.app.engine.store().as_ref(), app.now())
            .await
            .unwrap();
    let danas = sessions
        .iter()
        .find(|s| s.email == "dana@example.com")
        .expect("dana's session");
    let ended = ana
        .post(
            "/admin/people/sessions/end",
            &[("csrf", &token), ("session", &danas.id)],
        )
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    assert_eq!(dana.get("/incidents").await.status, StatusCode::SEE_OTHER);

    // A new role from the page ends vic's session; disabling ends dana's new one.
    let re_roled = ana
        .post(
            "/admin/people/users/role",
            &[
                ("csrf", &token),
                ("email", "vic@example.com"),
                ("role", "responder"),
            ],
        )
        .await;
    assert_eq!(re_roled.status, StatusCode::SEE_OTHER);
    assert_eq!(vic.get("/incidents").await.status, StatusCode::SEE_OTHER);
    let mut dana = Browser::signed_in(&app, "dana@example.com").await;
    let disabled = ana
        .post(
            "/admin/people/users/disable",
            &[("csrf", &token), ("email", "dana@example.com")],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    assert_eq!(dana.get("/incidents").await.status, StatusCode::SEE_OTHER);
    let page = ana.get("/admin/people?done=disabled").await;
    assert!(page.body.contains("Disabled. They cannot sign in"));
    let unknown = ana
        .post(
            "/admin/people/users/remove",
            &[("csrf", &token), ("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(ana.get("/admin/people").await.status, StatusCode::OK);
}
