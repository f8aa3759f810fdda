//! `tocsin store copy`: a SQLite installation moved into PostgreSQL is served from there with
//! its incidents, timelines, people and tokens; a second copy into the filled database is refused.

use std::process::{Command, Output};

use serde_json::json;

use crate::crash::{serve, stop_with_sigterm};
use crate::support::{Sink, Target, TestApp, basic_config};

const PASSWORD: &str = "correct horse battery staple";

/// Runs `tocsin ARGS` with nothing of the test's environment that would choose its database.
fn tocsin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .env_remove("TOCSIN_CONFIG")
        .env_remove("TOCSIN_DATABASE")
        .output()
        .expect("run tocsin")
}

#[tokio::test]
async fn a_sqlite_installation_copied_to_postgres_is_served_with_its_history_people_and_tokens() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    let app = TestApp::start_on_file(&basic_config(&target, &sink, "30s", 1)).await;
    let config = app.app.engine.config().path.clone();
    let sqlite = format!("sqlite://{}", app.dir().join("tocsin.db").display());

    let mut ids = Vec::new();
    for title in ["Checkout slow", "Search down"] {
        let (status, incident) = app
            .post(
                "/api/v1/incidents",
                json!({"title": title, "severity": "SEV-2"}),
            )
            .await;
        assert_eq!(status, 201, "{incident}");
        ids.push(incident["id"].as_str().expect("id").to_owned());
    }
    let (status, resolved) = app
        .post(&format!("/api/v1/incidents/{}/resolve", ids[1]), json!({}))
        .await;
    assert_eq!(status, 200, "{resolved}");
    let token = crate::tokens::create(&app, "viewer");
    let added = crate::ui::tocsin_user(
        &app,
        &["add", "lena@example.com", "--role", "responder"],
        PASSWORD,
    );
    assert!(added.status.success(), "{added:?}");
    app.app.stop().await.expect("stop the SQLite server");

    let postgres = tocsin_testkit::PgScratch::create().await;
    let copied = tocsin(&["store", "copy", "--from", &sqlite, "--to", postgres.url()]);
    assert!(copied.status.success(), "{copied:?}");
    let report = String::from_utf8(copied.stdout).expect("utf-8");
    assert!(report.contains("incidents: 2 rows"), "{report}");
    assert!(report.contains("users: 1 rows"), "{report}");
    assert!(report.contains("api_tokens: 1 rows"), "{report}");

    let (server, url) = serve(
        &config,
        &["--database", postgres.url(), "--replica", "copy-test"],
    )
    .await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // The token made before the copy works against PostgreSQL.
    let listed: serde_json::Value = http
        .get(format!("{url}/api/v1/incidents?state=all"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list incidents")
        .json()
        .await
        .expect("json");
    let listed = listed["incidents"].as_array().expect("incidents").clone();
    let state = |id: &str| {
        listed
            .iter()
            .find(|incident| incident["id"] == id)
            .map(|incident| incident["state"].clone())
    };
    assert_eq!(state(&ids[0]), Some(json!("triggered")), "{listed:#?}");
    assert_eq!(state(&ids[1]), Some(json!("resolved")), "{listed:#?}");
    let timeline: serde_json::Value = http
        .get(format!("{url}/api/v1/incidents/{}/timeline", ids[1]))
        .bearer_auth(&token)
        .send()
        .await
        .expect("timeline")
        .json()
        .await
        .expect("json");
    let kinds: Vec<_> = timeline["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| event["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(kinds.contains(&"resolved".to_owned()), "{timeline:#}");
    // The person added before the copy signs in.
    let signed_in = http
        .post(format!("{url}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::ui::form_encode(&[
            ("email", "lena@example.com"),
            ("password", PASSWORD),
            ("next", ""),
        ]))
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status().as_u16(), 303);
    // Writing goes on where the copy left off: a new incident's timeline events take sequence
    // numbers past the copied ones instead of colliding with them.
    let created = http
        .post(format!("{url}/api/v1/incidents"))
        .bearer_auth(crate::support::TOKEN)
        .json(&json!({"title": "After the move", "severity": "SEV-2"}))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status().as_u16(), 201);
    stop_with_sigterm(server).await;

    // Copying again into the database that now holds the installation changes nothing.
    let again = tocsin(&["store", "copy", "--from", &sqlite, "--to", postgres.url()]);
    assert!(!again.status.success());
    let error = String::from_utf8(again.stderr).expect("utf-8");
    assert!(error.contains("not empty"), "{error}");
}
