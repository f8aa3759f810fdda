//! `tocsin token create --role …`: a token printed alone on the last line, usable at once,
//! allowed what its role allows.

use serde_json::json;

use crate::support::{Sink, Target, TestApp, basic_config};

/// Runs `tocsin token create --role ROLE` against the test app's database; the token.
pub(crate) fn create(app: &TestApp, role: &str) -> String {
    let config = app.app.engine.config().path.clone();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["token", "create", "--role", role, "--config"])
        .arg(&config)
        .args(app.database_args())
        .env_remove("TOCSIN_CONFIG")
        .env_remove("TOCSIN_DATABASE")
        .output()
        .expect("run tocsin token create");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let token = stdout.lines().last().unwrap().to_owned();
    assert!(
        token.starts_with("tcn_") && !token.contains(' '),
        "{stdout}"
    );
    token
}

async fn call(app: &TestApp, method: &str, path: &str, token: &str) -> u16 {
    let request = match method {
        "GET" => app.http.get(app.url(path)),
        _ => app.http.post(app.url(path)).json(&json!({})),
    };
    request
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_created_token_works_at_once_and_a_viewer_token_only_reads() {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    // On a database file whatever the suite's backend: the end reads the file's bytes.
    let app = TestApp::start_on_file(&basic_config(&target, &sink, "30s", 1)).await;
    let (status, incident) = app
        .post(
            "/api/v1/incidents",
            json!({"title": "Checkout slow", "severity": "SEV-2"}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let id = incident["id"].as_str().unwrap().to_owned();

    let viewer = create(&app, "viewer");
    assert_eq!(call(&app, "GET", "/api/v1/incidents", &viewer).await, 200);
    assert_eq!(
        call(
            &app,
            "POST",
            &format!("/api/v1/incidents/{id}/acknowledge"),
            &viewer
        )
        .await,
        403,
        "a viewer changes nothing"
    );
    assert_eq!(app.incidents("open").await[0]["state"], "triggered");

    let responder = create(&app, "responder");
    assert_eq!(
        call(
            &app,
            "POST",
            &format!("/api/v1/incidents/{id}/acknowledge"),
            &responder
        )
        .await,
        200
    );
    assert_eq!(app.incidents("open").await[0]["state"], "acknowledged");

    assert_eq!(
        call(&app, "GET", "/api/v1/incidents", "tcn_not-a-real-token").await,
        401
    );
    // Only the hash is kept: the token itself is nowhere in the database file.
    let db = std::fs::read(app.dir().join("tocsin.db")).unwrap_or_default();
    let wal = std::fs::read(app.dir().join("tocsin.db-wal")).unwrap_or_default();
    assert!(!db.is_empty(), "the test reads the app's database");
    for bytes in [db, wal] {
        assert!(
            !bytes
                .windows(responder.len())
                .any(|w| w == responder.as_bytes()),
            "the token is stored in clear"
        );
    }
}
