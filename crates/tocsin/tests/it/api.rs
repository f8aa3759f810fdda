//! The HTTP API's contract (spec/API.md): auth, the one error shape, state conflicts.

use serde_json::{Value, json};

use crate::support::{Sink, Target, TestApp, basic_config};

async fn app() -> TestApp {
    let target = Target::start(200).await;
    let sink = Sink::start().await;
    TestApp::start(&basic_config(&target, &sink, "1m", 1)).await
}

fn assert_error_shape(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn health_and_readiness_answer_without_a_token() {
    let app = app().await;
    let health: Value = app
        .http
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({ "status": "ok" }));
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
}

#[tokio::test]
async fn the_api_needs_the_bearer_token() {
    let app = app().await;
    let missing = app
        .http
        .get(app.url("/api/v1/incidents"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 401);
    assert_error_shape(&missing.json().await.unwrap(), "unauthorized");
    let wrong = app
        .http
        .get(app.url("/api/v1/incidents"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
}

#[tokio::test]
async fn declare_acknowledge_note_change_severity_and_resolve_by_hand() {
    let app = app().await;
    let (status, incident) = app
        .post("/api/v1/incidents", json!({ "title": "Checkout broken", "severity": "SEV-2", "summary": "card payments fail" }))
        .await;
    assert_eq!(status, 201, "{incident}");
    let id = incident["id"].as_str().unwrap().to_owned();
    for field in [
        "id",
        "title",
        "severity",
        "state",
        "category",
        "component",
        "opened_at",
        "acknowledged_at",
        "resolved_at",
        "respond_by",
        "runbook",
        "alert_count",
    ] {
        assert!(
            incident.get(field).is_some(),
            "Incident has `{field}`: {incident}"
        );
    }
    assert_eq!(incident["state"], "triggered");

    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/severity"),
            json!({ "severity": "SEV-1" }),
        )
        .await;
    assert_eq!((status, body["severity"].as_str()), (200, Some("SEV-1")));
    let (status, _) = app
        .post(&format!("/api/v1/incidents/{id}/acknowledge"), json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .post(&format!("/api/v1/incidents/{id}/acknowledge"), json!({}))
        .await;
    assert_eq!(status, 409, "acknowledging twice is a conflict");
    assert_error_shape(&body, "conflict");
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/notes"),
            json!({ "text": "rolled back" }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, incident) = app.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(
        incident["paging"], false,
        "no route covers it: nobody is paged"
    );
    let (status, body) = app
        .post(&format!("/api/v1/incidents/{id}/resolve"), json!({}))
        .await;
    assert_eq!((status, body["state"].as_str()), (200, Some("resolved")));
    let (status, _) = app
        .post(&format!("/api/v1/incidents/{id}/resolve"), json!({}))
        .await;
    assert_eq!(status, 409);

    assert_eq!(
        app.timeline_kinds(&id).await,
        [
            "opened",
            "note",
            "severity_changed",
            "acknowledged",
            "note",
            "resolved"
        ],
    );
    let (_, timeline) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    for event in timeline["events"].as_array().unwrap() {
        for field in ["at", "kind", "actor", "text", "data"] {
            assert!(event.get(field).is_some(), "timeline event has `{field}`");
        }
    }
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let app = app().await;
    let (status, body) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "x", "severity": "SEV-9" }),
        )
        .await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "invalid_request");
    assert!(body["error"]["message"].as_str().unwrap().contains("SEV-9"));

    let (status, body) = app
        .post("/api/v1/incidents", json!({ "severity": "SEV-1" }))
        .await;
    assert_eq!(status, 400, "missing title");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("title"),
        "{body}"
    );

    let raw = app
        .http
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(crate::support::TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    assert_error_shape(&raw.json().await.unwrap(), "invalid_request");

    let (status, body) = app.get("/api/v1/incidents/nope").await;
    assert_eq!(status, 404);
    assert_error_shape(&body, "not_found");
    let (status, _) = app
        .post("/api/v1/incidents/nope/acknowledge", json!({}))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.get("/api/v1/incidents?state=sideways").await;
    assert_eq!(status, 400);
    let (status, _) = app.get("/api/v1/incidents?limit=5000").await;
    assert_eq!(status, 400);
    assert!(app.incidents("all").await.is_empty(), "nothing was created");
}

#[tokio::test]
async fn lists_filter_page_and_come_newest_first() {
    let app = app().await;
    for n in 0..5 {
        let severity = if n % 2 == 0 { "SEV-1" } else { "SEV-2" };
        app.post(
            "/api/v1/incidents",
            json!({ "title": format!("incident {n}"), "severity": severity }),
        )
        .await;
    }
    let (_, page) = app.get("/api/v1/incidents?limit=2").await;
    let titles: Vec<_> = page["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["incident 4", "incident 3"]);
    let cursor = page["next"].as_str().unwrap().to_owned();
    let (_, rest) = app
        .get(&format!("/api/v1/incidents?limit=10&cursor={cursor}"))
        .await;
    assert_eq!(rest["incidents"].as_array().unwrap().len(), 3);
    assert!(rest["next"].is_null());
    let (_, sev1) = app.get("/api/v1/incidents?severity=SEV-1").await;
    assert_eq!(sev1["incidents"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn monitors_report_their_status() {
    let target = Target::start(503).await;
    let sink = Sink::start().await;
    let app = TestApp::start(&basic_config(&target, &sink, "1s", 1)).await;
    let (_, before) = app.get("/api/v1/monitors").await;
    assert_eq!(before["monitors"][0]["status"], "pending");
    app.advance(
        std::time::Duration::from_secs(2),
        std::time::Duration::from_secs(1),
    )
    .await;
    let (_, after) = app.get("/api/v1/monitors").await;
    let monitor = &after["monitors"][0];
    assert_eq!(monitor["id"], "api-health");
    assert_eq!(monitor["status"], "down");
    for field in ["name", "since", "last_check_at", "last_latency_ms"] {
        assert!(monitor.get(field).is_some(), "monitor has `{field}`");
    }
}

#[tokio::test]
async fn updates_go_on_the_timeline_marked_public_or_not() {
    let app = app().await;
    let (_, incident) = app
        .post(
            "/api/v1/incidents",
            json!({ "title": "Checkout broken", "severity": "SEV-2" }),
        )
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            json!({ "text": "Rolling back", "status_page": true }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            json!({ "text": "team only" }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .post(
            &format!("/api/v1/incidents/{id}/updates"),
            json!({ "text": "  " }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (_, timeline) = app.get(&format!("/api/v1/incidents/{id}/timeline")).await;
    let updates: Vec<(String, bool)> = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "update")
        .map(|e| {
            (
                e["text"].as_str().unwrap().to_owned(),
                e["data"]["public"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        updates,
        [
            ("Rolling back".to_owned(), true),
            ("team only".to_owned(), false)
        ]
    );
}
