//! `GET /demo`: the one page a newcomer watches — the sample app with its break and heal buttons,
//! its deploys, the incidents with links to their checklist, the status page and the post-mortem
//! draft, and the inbox. `GET /demo/state` is the same in brief, for scripts.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use minijinja::value::Serde;
use serde_json::{Value, json};
use tocsin_core::inbound::ChangeKind;
use tocsin_engine::Engine;
use tocsin_store::{IncidentFilter, StateFilter};

use super::{DEMO_USER, Demo};

/// `GET /demo`, refreshing itself every 2 seconds; `GET /demo?paused` holds still for reading.
pub async fn page(
    State(demo): State<Demo>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let paused = query.is_some_and(|query| query.split('&').any(|pair| pair == "paused"));
    let Some(engine) = demo.engine.get() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting").into_response();
    };
    let zone = TimeZone::get(&engine.config().org.timezone).unwrap_or(TimeZone::UTC);
    let signed_in = match tocsin_web::session_token(&headers) {
        Some(token) => engine
            .session(&token)
            .await
            .ok()
            .flatten()
            .map(|user| user.email),
        None => None,
    };
    let sign_in = demo
        .sign_in
        .get()
        .filter(|_| demo.loopback)
        .map(|password| json!({ "email": DEMO_USER, "password": password }));
    let mut inbox = demo.inbox.messages();
    inbox.reverse();
    let inbox: Vec<Value> = inbox
        .iter()
        .map(|message| {
            let mut view = json!(message);
            view["when"] = json!(clock(&zone, message.at));
            view
        })
        .collect();
    let monitors = monitors(engine, &zone).await;
    let deploys = deploys(engine, &zone).await;
    let incidents = incidents(engine, &zone).await;
    let rendered = demo.pages.get_template("page.html").and_then(|template| {
        template.render(minijinja::context! {
            paused => paused,
            healthy => demo.healthy.load(Ordering::SeqCst),
            monitors => Serde(monitors),
            deploys => Serde(deploys),
            incidents => Serde(incidents),
            inbox => Serde(inbox),
            sign_in => Serde(sign_in),
            signed_in => signed_in,
            commands => Serde(json!({
                "break": demo.commands.break_app,
                "heal": demo.commands.heal_app,
            })),
            zone => engine.config().org.timezone.clone(),
        })
    });
    match rendered {
        Ok(html) => Html(html).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

async fn monitors(engine: &Engine, zone: &TimeZone) -> Vec<Value> {
    let records = engine.store().monitors().await.unwrap_or_default();
    engine
        .config()
        .monitors
        .iter()
        .map(|monitor| {
            let record = records.iter().find(|record| record.id == monitor.id);
            json!({
                "id": monitor.id,
                "name": monitor.name,
                "status": record.map_or("pending", |r| r.state.status.as_str()),
                "since": record.and_then(|r| r.state.since).map(|at| clock(zone, at)),
                "last_error": record.and_then(|r| r.state.last_error.clone()),
            })
        })
        .collect()
}

/// The sample app's deploys as its host reported them, newest first.
async fn deploys(engine: &Engine, zone: &TimeZone) -> Vec<Value> {
    let since = engine
        .now()
        .saturating_sub(jiff::SignedDuration::from_hours(24))
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let changes = engine
        .changes(None, Some(ChangeKind::Deploy), since, 5)
        .await
        .unwrap_or_default();
    changes
        .iter()
        .map(|record| {
            json!({
                "summary": record.change.summary,
                "id": record.change.external_id,
                "at": clock(zone, record.change.occurred_at),
            })
        })
        .collect()
}

/// The latest incidents, each with its post-mortem once the worker wrote the draft.
async fn incidents(engine: &Engine, zone: &TimeZone) -> Vec<Value> {
    let filter = IncidentFilter {
        limit: 10,
        ..IncidentFilter::default()
    };
    let store = engine.store();
    let mut views = Vec::new();
    for incident in store.incidents(&filter).await.unwrap_or_default() {
        let postmortem = store
            .postmortem(&incident.id)
            .await
            .ok()
            .flatten()
            .filter(|record| record.written_at.is_some())
            .map(|record| {
                json!({
                    "due": record.due_at.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M").to_string(),
                    "path": engine.postmortem_dir().join(&record.file).display().to_string(),
                })
            });
        views.push(json!({
            "id": incident.id,
            "title": incident.title,
            "severity": incident.severity,
            "state": incident.state,
            "acknowledged_by": incident.acknowledged_by,
            "runbook": incident.runbook,
            "opened": clock(zone, incident.opened_at),
            "postmortem": postmortem,
        }));
    }
    views
}

/// The time of day in the organisation's zone: the demo happens within minutes.
fn clock(zone: &TimeZone, at: Timestamp) -> String {
    at.to_zoned(zone.clone()).strftime("%H:%M:%S").to_string()
}

/// `GET /demo/state`: whether the app is healthy and how many incidents are open.
pub async fn state(State(demo): State<Demo>) -> Json<Value> {
    let open = match demo.engine.get() {
        Some(engine) => {
            let filter = IncidentFilter {
                state: Some(StateFilter::Open),
                limit: 100,
                ..IncidentFilter::default()
            };
            engine
                .store()
                .incidents(&filter)
                .await
                .map(|list| list.len())
                .unwrap_or(0)
        }
        None => 0,
    };
    Json(json!({ "healthy": demo.healthy.load(Ordering::SeqCst), "open_incidents": open }))
}
