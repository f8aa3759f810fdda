//! `GET /api/v1/openapi.json`: the document a client generator or an API explorer reads. It is
//! served to a token holder, it is valid OpenAPI 3.1 by a real validator (the
//! openapi-spec-validator package, which scripts/test installs), every operation in it is
//! served, and tocsin's real answers match the schemas it declares for them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Sink, TOKEN, Target, TestApp, basic_config};

/// `tests/peers/openapi_check.py`: validates a document, then answers against it.
fn checker() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers/openapi_check.py")
}

/// Runs the checker on `document` (and `answers`, if any): its verdict and what it printed.
async fn check(document: &Value, answers: Option<&Value>) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let document_path = dir.path().join("openapi.json");
    std::fs::write(&document_path, document.to_string()).expect("write the document");
    let mut command = tokio::process::Command::new("python3");
    command.arg(checker()).arg(&document_path);
    if let Some(answers) = answers {
        let answers_path = dir.path().join("answers.json");
        std::fs::write(&answers_path, answers.to_string()).expect("write the answers");
        command.arg(answers_path);
    }
    let output = command
        .output()
        .await
        .expect("run python3 (scripts/test installs openapi-spec-validator)");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

async fn document(app: &TestApp) -> Value {
    let (status, document) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200, "{document}");
    document
}

/// Every `(METHOD, path template)` of the document.
fn operations(document: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                found.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    found
}

/// The template with every `{parameter}` filled in.
fn fill(template: &str, value: &str) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map_or(rest.len(), |at| open + at + 1);
        path.push_str(value);
        rest = &rest[close..];
    }
    path.push_str(rest);
    path
}

/// One request as an API client makes it: the token, and a JSON body for a change.
async fn send(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = app
        .http
        .request(method.clone(), app.url(path))
        .bearer_auth(TOKEN);
    if method != reqwest::Method::GET {
        request = request.json(&body.unwrap_or_else(|| json!({})));
    }
    let response = request.send().await.expect("a request");
    let status = response.status().as_u16();
    let json = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    let text = response.text().await.expect("a body");
    let body = if json {
        serde_json::from_str(&text).expect("a JSON body")
    } else {
        Value::String(text)
    };
    (status, body)
}

async fn app_with_an_open_incident() -> TestApp {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "1s", 1)).await;
    app.advance(Duration::from_secs(2), Duration::from_secs(1))
        .await;
    assert_eq!(app.incidents("open").await.len(), 1);
    app
}

#[tokio::test]
async fn the_openapi_document_is_served_to_a_token_holder_and_is_valid_openapi_3_1() {
    let app = app_with_an_open_incident().await;

    // Like the rest of the API, it needs a token.
    let anonymous = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("GET");
    assert_eq!(anonymous.status().as_u16(), 401);

    let served = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("GET");
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(
        served.headers()["content-type"].to_str().ok(),
        Some("application/json")
    );
    let document: Value = served.json().await.expect("JSON");
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "{}",
        document["openapi"]
    );
    assert!(document["paths"]["/api/v1/incidents"]["post"].is_object());
    assert!(document["components"]["schemas"]["Incident"].is_object());

    let (valid, printed) = check(&document, None).await;
    assert!(valid, "the validator refused tocsin's document: {printed}");

    // The validator really judges: the same document with an operation naming a path
    // parameter its path lacks is refused.
    let mut broken = document.clone();
    broken["paths"]["/api/v1/monitors"]["get"]["parameters"] =
        json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }]);
    let (valid, printed) = check(&broken, None).await;
    assert!(!valid, "a broken document passed: {printed}");
}

#[tokio::test]
async fn every_documented_operation_is_served_and_answers_as_documented() {
    let app = app_with_an_open_incident().await;
    let document = document(&app).await;
    let incident = app.incidents("open").await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // Requests a client could make with an id that names nothing: the router must route
    // each (no bare 404 or 405), and the status must be one the document lists.
    let mut answers = Vec::new();
    let mut problems = Vec::new();
    for (method, template) in operations(&document) {
        let (status, body) = send(&app, &method, &fill(&template, "nope"), None).await;
        if status == 405 || (status == 404 && body == Value::String(String::new())) {
            problems.push(format!("{method} {template}: not routed ({status})"));
        }
        let documented = &document["paths"][&template][method.to_lowercase()]["responses"];
        if documented.get(status.to_string()).is_none() {
            problems.push(format!(
                "{method} {template}: answered {status}, not documented: {body}"
            ));
        }
        if !body.is_string() {
            answers.push(
                json!({ "method": method, "path": template, "status": status, "body": body }),
            );
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    // And real answers with real data: an open incident, its timeline, a declared one, a note.
    let reads = [
        ("/api/v1/incidents", "/api/v1/incidents".to_owned()),
        (
            "/api/v1/incidents/{id}",
            format!("/api/v1/incidents/{incident}"),
        ),
        (
            "/api/v1/incidents/{id}/timeline",
            format!("/api/v1/incidents/{incident}/timeline"),
        ),
        (
            "/api/v1/incidents/{id}/actions",
            format!("/api/v1/incidents/{incident}/actions"),
        ),
        (
            "/api/v1/incidents/{id}/comms",
            format!("/api/v1/incidents/{incident}/comms"),
        ),
        ("/api/v1/monitors", "/api/v1/monitors".to_owned()),
        (
            "/api/v1/monitors/{id}/uptime",
            "/api/v1/monitors/api-health/uptime".to_owned(),
        ),
        ("/api/v1/deliveries", "/api/v1/deliveries".to_owned()),
        ("/api/v1/oncall", "/api/v1/oncall".to_owned()),
        ("/api/v1/review", "/api/v1/review".to_owned()),
        (
            "/api/v1/metrics/response",
            "/api/v1/metrics/response".to_owned(),
        ),
        ("/api/v2/summary.json", "/api/v2/summary.json".to_owned()),
        (
            "/api/v2/incidents.json",
            "/api/v2/incidents.json".to_owned(),
        ),
        ("/healthz", "/healthz".to_owned()),
    ];
    for (template, path) in reads {
        let (status, body) = send(&app, "GET", &path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        answers.push(json!({ "method": "GET", "path": template, "status": status, "body": body }));
    }
    let writes = [
        (
            "/api/v1/incidents",
            "/api/v1/incidents".to_owned(),
            json!({ "title": "Checkout is slow", "severity": "SEV-2" }),
        ),
        (
            "/api/v1/incidents/{id}/notes",
            format!("/api/v1/incidents/{incident}/notes"),
            json!({ "text": "Looking at the database" }),
        ),
        (
            "/api/v1/changes",
            "/api/v1/changes".to_owned(),
            json!({ "kind": "deploy", "service": "api", "title": "v1.2.3" }),
        ),
        (
            "/hooks/{integration}",
            "/hooks/missing".to_owned(),
            json!({}),
        ),
    ];
    for (template, path, body) in writes {
        let (status, answer) = send(&app, "POST", &path, Some(body)).await;
        answers
            .push(json!({ "method": "POST", "path": template, "status": status, "body": answer }));
    }

    let (valid, printed) = check(&document, Some(&Value::Array(answers))).await;
    assert!(valid, "answers that do not match the document: {printed}");
}
