//! `tocsin demo`: tocsin with a bundled configuration, a sample app on loopback to watch (with a
//! way to break and heal it), and an inbox page showing every message that would have gone out.
//! Runs on a fresh machine with no network.

mod sample_app;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Context;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use minijinja::value::Serde;
use serde::Serialize;
use serde_json::Value;
use tocsin_core::decide::Input;
use tocsin_engine::{Engine, SystemClock};
use tocsin_store::{IncidentFilter, StateFilter};
use tokio::net::TcpListener;

use crate::app::{App, AppOptions};

const DEMO_CONFIG: &str = include_str!("demo.toml");
const DEMO_PAGE: &str = include_str!("page.html");

/// One message that reached the demo inbox.
#[derive(Debug, Clone, Serialize)]
struct InboxMessage {
    at: Timestamp,
    channel: &'static str,
    text: String,
    ack_url: Option<String>,
}

/// The demo's own state, shared by its pages (never global).
#[derive(Debug, Clone)]
struct Demo {
    healthy: Arc<AtomicBool>,
    inbox: Arc<Mutex<Vec<InboxMessage>>>,
    /// Set once the engine is up; the demo routes are built before it.
    engine: Arc<OnceLock<Arc<Engine>>>,
    pages: Arc<minijinja::Environment<'static>>,
}

/// Starts the demo and runs until `shutdown` completes. Prints where to look.
pub async fn run(
    listen: &str,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let healthy = Arc::new(AtomicBool::new(true));
    let app_url = sample_app::start(healthy.clone()).await?;
    let listener = TcpListener::bind(listen).await.with_context(|| {
        format!("cannot listen on {listen}; is another tocsin running? Pass --listen 127.0.0.1:0 for any free port")
    })?;
    let public_url = format!("http://{}", listener.local_addr()?);
    let dir = std::env::temp_dir().join(format!("tocsin-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let token = format!("demo-{:016x}", rand::random::<u64>());
    let config = demo_config(&dir, &public_url, &app_url, &token)?;

    let mut pages = minijinja::Environment::new();
    pages
        .add_template("page.html", DEMO_PAGE)
        .context("the demo page template does not compile")?;
    let demo = Demo {
        healthy,
        inbox: Arc::new(Mutex::new(Vec::new())),
        engine: Arc::new(OnceLock::new()),
        pages: Arc::new(pages),
    };
    let options = AppOptions {
        config: Arc::new(config),
        database: None,
        clock: Arc::new(SystemClock),
        run_workers: true,
        extra_routes: Some(routes(demo.clone())),
    };
    let app = App::start(options, listener).await?;
    let _ = demo.engine.set(app.engine.clone());
    let password = demo_user(&app.engine).await?;
    // The first line is read by tests and scripts: keep it first and keep its shape.
    say(&format!(
        "tocsin demo is running: open {public_url}/demo\n\
         Break the sample app there (or run `tocsin demo break --url {public_url}`); a SEV-1 opens within seconds.\n\
         Sign in as {DEMO_USER} with password {password} at {public_url}/login to act on incidents.\n\
         API token for this run: {token}\n\
         Press Ctrl-C to stop."
    ));
    shutdown.await;
    app.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The demo's admin, who signs in to the incident pages.
const DEMO_USER: &str = "demo@tocsin.local";

/// Makes the demo admin with a fresh random password (this run's database is new, but a reused
/// folder keeps its user: then only the password is replaced).
async fn demo_user(engine: &Engine) -> anyhow::Result<String> {
    use rand::distr::{Alphanumeric, SampleString};
    use tocsin_engine::users::{self, UserError};
    let password = Alphanumeric.sample_string(&mut rand::rng(), 20);
    let store = engine.store().as_ref();
    match users::add_user(
        store,
        DEMO_USER,
        tocsin_store::Role::Admin,
        &password,
        engine.now(),
    )
    .await
    {
        Ok(_) => {}
        Err(UserError::EmailTaken(_)) => {
            users::change_password(store, DEMO_USER, &password, engine.now())
                .await
                .context("cannot set the demo user's password")?;
        }
        Err(error) => return Err(anyhow::anyhow!("cannot create the demo user: {error}")),
    }
    Ok(password)
}

#[allow(
    clippy::print_stdout,
    reason = "the demo tells the person where to look"
)]
fn say(text: &str) {
    println!("{text}");
}

fn demo_config(
    dir: &Path,
    public_url: &str,
    app_url: &str,
    token: &str,
) -> anyhow::Result<tocsin_config::Config> {
    let path: PathBuf = dir.join("tocsin.toml");
    std::fs::write(&path, DEMO_CONFIG)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let database = format!("sqlite://{}", dir.join("tocsin.db").display());
    let env = |name: &str| match name {
        "DEMO_PUBLIC_URL" => Some(public_url.to_owned()),
        "DEMO_DATABASE" => Some(database.clone()),
        "DEMO_TOKEN" => Some(token.to_owned()),
        "APP_URL" => Some(app_url.to_owned()),
        _ => None,
    };
    tocsin_config::load_str(DEMO_CONFIG, &path, &env)
        .map_err(|errors| anyhow::anyhow!("the demo configuration is invalid:\n{errors}"))
}

fn routes(demo: Demo) -> Router {
    Router::new()
        .route("/demo", get(page))
        .route("/demo/break", post(break_app))
        .route("/demo/heal", post(heal_app))
        .route("/demo/state", get(app_state))
        .route("/demo/incidents/{id}/{action}", post(act))
        .route("/demo/inbox", get(inbox_json))
        .route("/demo/inbox/slack", post(receive_slack))
        .route("/demo/inbox/sms", post(receive_sms))
        .with_state(demo)
}

async fn page(State(demo): State<Demo>) -> Response {
    let Some(engine) = demo.engine.get() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting").into_response();
    };
    let store = engine.store();
    let monitors = store.monitors().await.unwrap_or_default();
    let monitors: Vec<Value> = engine
        .config()
        .monitors
        .iter()
        .map(|monitor| {
            let record = monitors.iter().find(|record| record.id == monitor.id);
            serde_json::json!({
                "name": monitor.name,
                "status": record.map(|r| r.state.status.as_str()).unwrap_or("pending"),
                "since": record.and_then(|r| r.state.since),
                "last_error": record.and_then(|r| r.state.last_error.clone()),
            })
        })
        .collect();
    let filter = IncidentFilter {
        limit: 20,
        ..IncidentFilter::default()
    };
    let incidents = store.incidents(&filter).await.unwrap_or_default();
    let inbox: Vec<InboxMessage> = demo
        .inbox
        .lock()
        .map(|inbox| inbox.iter().rev().cloned().collect())
        .unwrap_or_default();
    let rendered = demo.pages.get_template("page.html").and_then(|template| {
        template.render(minijinja::context! {
            healthy => demo.healthy.load(Ordering::SeqCst),
            monitors => Serde(monitors),
            incidents => Serde(incidents),
            inbox => Serde(inbox),
        })
    });
    match rendered {
        Ok(html) => Html(html).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

async fn break_app(State(demo): State<Demo>) -> Redirect {
    demo.healthy.store(false, Ordering::SeqCst);
    Redirect::to("/demo")
}

async fn heal_app(State(demo): State<Demo>) -> Redirect {
    demo.healthy.store(true, Ordering::SeqCst);
    Redirect::to("/demo")
}

async fn app_state(State(demo): State<Demo>) -> Json<Value> {
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
    Json(
        serde_json::json!({ "healthy": demo.healthy.load(Ordering::SeqCst), "open_incidents": open }),
    )
}

async fn act(
    State(demo): State<Demo>,
    UrlPath((id, action)): UrlPath<(String, String)>,
) -> Response {
    let Some(engine) = demo.engine.get() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting").into_response();
    };
    let actor = "demo user".to_owned();
    let input = match action.as_str() {
        "acknowledge" => Input::Acknowledge { actor },
        "resolve" => Input::Resolve { actor },
        _ => return (StatusCode::NOT_FOUND, "unknown action").into_response(),
    };
    match engine.act(&id, input).await {
        Ok(_) => Redirect::to("/demo").into_response(),
        Err(error) => (StatusCode::CONFLICT, error.to_string()).into_response(),
    }
}

async fn inbox_json(State(demo): State<Demo>) -> Json<Value> {
    let inbox = demo
        .inbox
        .lock()
        .map(|inbox| inbox.clone())
        .unwrap_or_default();
    Json(serde_json::json!({ "messages": inbox }))
}

/// The first string anywhere in the payload that is an acknowledge link.
fn find_ack_url(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if text.contains("/ack/") && text.starts_with("http") => {
            Some(text.clone())
        }
        Value::Array(items) => items.iter().find_map(find_ack_url),
        Value::Object(map) => map.values().find_map(find_ack_url),
        _ => None,
    }
}

/// Slack's `<url|label>` links, shown as their label (the link itself is the button beside).
fn readable(slack_text: &str) -> String {
    let mut out = String::new();
    let mut rest = slack_text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('>') {
            Some(close) => {
                let link = &after[..close];
                out.push_str(link.split_once('|').map_or(link, |(_, label)| label));
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn record(demo: &Demo, channel: &'static str, payload: &Value) {
    let text = readable(payload["text"].as_str().unwrap_or_default());
    let at = demo_now(demo);
    let at = at.round(jiff::Unit::Second).unwrap_or(at);
    let message = InboxMessage {
        at,
        channel,
        text,
        ack_url: find_ack_url(payload),
    };
    if let Ok(mut inbox) = demo.inbox.lock() {
        inbox.push(message);
    }
}

fn demo_now(demo: &Demo) -> Timestamp {
    demo.engine
        .get()
        .map(|engine| engine.now())
        .unwrap_or_default()
}

async fn receive_slack(State(demo): State<Demo>, Json(payload): Json<Value>) -> &'static str {
    record(&demo, "slack #dealix-alerts", &payload);
    "ok"
}

async fn receive_sms(State(demo): State<Demo>, Json(payload): Json<Value>) -> StatusCode {
    record(&demo, "sms", &payload);
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_demo_configuration_is_valid() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = super::demo_config(
            dir.path(),
            "http://127.0.0.1:8080",
            "http://127.0.0.1:3000",
            "t",
        )
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            config.monitors.len(),
            1,
            "one monitor: one outage, one page"
        );
    }

    #[test]
    fn slack_links_read_as_their_labels() {
        assert_eq!(
            super::readable("SEV-1: down · <http://x/ack/t|Acknowledge> <b"),
            "SEV-1: down · Acknowledge <b"
        );
    }
}
