//! `tocsin demo`: tocsin with a bundled configuration and the seed's runbooks, a sample app on
//! loopback to watch (with a way to break and heal it), and an inbox page showing every message
//! that would have gone out — Slack, SMS, and e-mail through a real SMTP server on loopback.
//! Runs on a fresh machine with no network.
//!
//! The story it tells: a deploy breaks the app; a SEV-1 opens with the SEV-1 runbook's checklist
//! and its live facts (the monitor down since when, the deploy minutes before); the on-call
//! person is paged by SMS and e-mail; the subscribed customer gets the Arabic notice; `/status`
//! shows the outage; healing (or the checklist's rollback button) resolves it and writes the
//! post-mortem draft, due in 48 hours.

mod deploys;
mod inbox;
mod mailbox;
mod page;
mod sample_app;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tocsin_core::decide::Input;
use tocsin_engine::{Engine, SystemClock};
use tocsin_testkit::SmtpSink;
use tokio::net::TcpListener;

use crate::app::{App, AppOptions};
use deploys::Deployer;
use inbox::Inbox;

const DEMO_CONFIG: &str = include_str!("demo.toml");
const DEMO_PAGE: &str = include_str!("page.html");

/// The project's runbooks (spec/runbooks/), written beside the demo's configuration so its
/// incidents carry the same checklists a real configuration would.
const RUNBOOKS: [(&str, &str); 7] = [
    (
        "sev1-full-outage.md",
        include_str!("../../../../spec/runbooks/sev1-full-outage.md"),
    ),
    (
        "api-v1-404.md",
        include_str!("../../../../spec/runbooks/api-v1-404.md"),
    ),
    (
        "database-connection-refused.md",
        include_str!("../../../../spec/runbooks/database-connection-refused.md"),
    ),
    (
        "moyasar-webhook-401.md",
        include_str!("../../../../spec/runbooks/moyasar-webhook-401.md"),
    ),
    (
        "sentry-error-rate.md",
        include_str!("../../../../spec/runbooks/sentry-error-rate.md"),
    ),
    (
        "rollback-on-host.md",
        include_str!("../../../../spec/runbooks/rollback-on-host.md"),
    ),
    (
        "revert-bad-merge.md",
        include_str!("../../../../spec/runbooks/revert-bad-merge.md"),
    ),
];

/// The demo's admin, who signs in to the incident pages.
const DEMO_USER: &str = "demo@tocsin.local";

/// How long start-up waits for the demo customer's subscription to be confirmed (its mail goes
/// out within a second; this only bounds a broken mail path).
const SUBSCRIPTION_WAIT: Duration = Duration::from_secs(20);

/// The demo's own state, shared by its pages (never global).
#[derive(Debug, Clone)]
struct Demo {
    healthy: Arc<AtomicBool>,
    inbox: Inbox,
    /// Set once the engine is up; the demo routes are built before it.
    engine: Arc<OnceLock<Arc<Engine>>>,
    pages: Arc<minijinja::Environment<'static>>,
    deployer: Arc<Deployer>,
    /// The demo admin's password, offered on the page for one-click sign-in — only while the
    /// demo listens on loopback, where the page is this machine's alone.
    sign_in: Arc<OnceLock<String>>,
    loopback: bool,
    /// The commands that break and heal the app from another terminal, exactly as they work.
    commands: Arc<Commands>,
}

#[derive(Debug)]
struct Commands {
    break_app: String,
    heal_app: String,
}

/// Starts the demo and runs until `shutdown` completes. Prints where to look.
pub async fn run(
    listen: &str,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let healthy = Arc::new(AtomicBool::new(true));
    let app_url = sample_app::start(healthy.clone()).await?;
    let smtp = SmtpSink::start().await;
    let listener = TcpListener::bind(listen).await.with_context(|| {
        format!("cannot listen on {listen}; is another tocsin running? Pass --listen 127.0.0.1:0 for any free port")
    })?;
    let addr = listener.local_addr()?;
    let public_url = format!("http://{addr}");
    let dir = std::env::temp_dir().join(format!("tocsin-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let token = format!("demo-{:016x}", rand::random::<u64>());
    let hook_token = format!("{:032x}", rand::random::<u128>());
    let config = demo_config(
        &dir,
        &DemoEnv {
            public_url: &public_url,
            app_url: &app_url,
            token: &token,
            hook_token: &hook_token,
            smtp_port: smtp.port(),
        },
    )?;

    let mut pages = minijinja::Environment::new();
    pages
        .add_template("page.html", DEMO_PAGE)
        .context("the demo page template does not compile")?;
    let commands = commands(&public_url);
    let demo = Demo {
        healthy,
        inbox: Inbox::default(),
        engine: Arc::new(OnceLock::new()),
        pages: Arc::new(pages),
        deployer: Arc::new(Deployer::new(&public_url, &hook_token)?),
        sign_in: Arc::new(OnceLock::new()),
        loopback: addr.ip().is_loopback(),
        commands: Arc::new(commands),
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
    let _ = demo.sign_in.set(password.clone());

    let subscribed = mailbox::start(smtp, demo.clone())?;
    // The app's current version went out with the demo: the host reports it like any deploy.
    demo.deployer
        .deploy(app.engine.now(), deploys::GOOD)
        .await
        .context("cannot record the sample app's first deploy")?;
    app.engine
        .subscribe(mailbox::CUSTOMER, "ar")
        .await
        .context("cannot subscribe the demo customer to the status page")?;
    if tokio::time::timeout(SUBSCRIPTION_WAIT, subscribed)
        .await
        .is_err()
    {
        tracing::warn!(
            "the demo customer's subscription is not confirmed yet: the Arabic notice may not reach the inbox"
        );
    }

    // The first line is read by tests and scripts: keep it first and keep its shape.
    say(&format!(
        "tocsin demo is running: open {public_url}/demo\n\
         Break the sample app there, or from another terminal:\n    {}\n\
         and heal it:\n    {}\n\
         Sign in as {DEMO_USER} with password {password} at {public_url}/login to act on incidents.\n\
         API token for this run: {token}\n\
         Press Ctrl-C to stop.",
        demo.commands.break_app, demo.commands.heal_app,
    ));
    shutdown.await;
    app.stop().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The commands to break and heal the app, with the path of this very executable: `tocsin` may
/// not be on the PATH (after `cargo run`, it is not), and the path always works.
fn commands(public_url: &str) -> Commands {
    let exe = std::env::current_exe()
        .map(|path| shell_quote(&path.to_string_lossy()))
        .unwrap_or_else(|_| "tocsin".to_owned());
    Commands {
        break_app: format!("{exe} demo break --url {public_url}"),
        heal_app: format!("{exe} demo heal --url {public_url}"),
    }
}

/// Quotes a word for a POSIX shell when it needs it (spaces, quotes, `$`…).
fn shell_quote(word: &str) -> String {
    let plain = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@,=".contains(c));
    if plain && !word.is_empty() {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

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

/// What the demo's configuration reads from its "environment": this run's addresses and secrets.
struct DemoEnv<'a> {
    public_url: &'a str,
    app_url: &'a str,
    token: &'a str,
    hook_token: &'a str,
    smtp_port: u16,
}

/// Writes the configuration and the runbooks into `dir` and loads them.
fn demo_config(dir: &Path, env: &DemoEnv<'_>) -> anyhow::Result<tocsin_config::Config> {
    let path: PathBuf = dir.join("tocsin.toml");
    std::fs::write(&path, DEMO_CONFIG)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let runbooks = dir.join("runbooks");
    std::fs::create_dir_all(&runbooks)
        .with_context(|| format!("cannot create {}", runbooks.display()))?;
    for (name, text) in RUNBOOKS {
        let file = runbooks.join(name);
        std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
    }
    let database = format!("sqlite://{}", dir.join("tocsin.db").display());
    let lookup = |name: &str| match name {
        "DEMO_PUBLIC_URL" => Some(env.public_url.to_owned()),
        "DEMO_DATABASE" => Some(database.clone()),
        "DEMO_TOKEN" => Some(env.token.to_owned()),
        "DEMO_HOOK_TOKEN" => Some(env.hook_token.to_owned()),
        "APP_URL" => Some(env.app_url.to_owned()),
        _ => None,
    };
    let mut config = tocsin_config::load_str(DEMO_CONFIG, &path, &lookup)
        .map_err(|errors| anyhow::anyhow!("the demo configuration is invalid:\n{errors}"))?;
    // A port is a number in TOML, out of `${…}`'s reach: set the demo's SMTP server's here.
    let smtp = config
        .smtp
        .as_mut()
        .context("the demo configuration has no [smtp]")?;
    smtp.port = env.smtp_port;
    Ok(config)
}

fn routes(demo: Demo) -> Router {
    Router::new()
        .route("/demo", get(page::page))
        .route("/demo/break", post(break_app))
        .route("/demo/heal", post(heal_app))
        .route("/demo/state", get(page::state))
        .route("/demo/incidents/{id}/{action}", post(act))
        .route("/demo/inbox", get(inbox::list))
        .route("/demo/inbox/slack", post(inbox::receive_slack))
        .route("/demo/inbox/sms", post(inbox::receive_sms))
        .with_state(demo)
}

/// A bad deploy: the host reports it, then the app starts failing its health check.
async fn break_app(State(demo): State<Demo>) -> Response {
    if demo.healthy.load(Ordering::SeqCst) {
        if let Some(engine) = demo.engine.get()
            && let Err(error) = demo.deployer.deploy(engine.now(), deploys::BAD).await
        {
            // The outage still happens; only the checklist's "last deploy" fact misses it.
            tracing::warn!(%error, "the demo could not record the bad deploy");
        }
        demo.healthy.store(false, Ordering::SeqCst);
    }
    Redirect::to("/demo").into_response()
}

async fn heal_app(State(demo): State<Demo>) -> Redirect {
    demo.healthy.store(true, Ordering::SeqCst);
    Redirect::to("/demo")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_demo_configuration_is_valid_with_the_seed_runbooks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = DemoEnv {
            public_url: "http://127.0.0.1:8080",
            app_url: "http://127.0.0.1:3000",
            token: "demo-0123456789abcdef",
            hook_token: "0123456789abcdef0123456789abcdef",
            smtp_port: 2525,
        };
        let config = demo_config(dir.path(), &env).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(config.smtp.as_ref().map(|smtp| smtp.port), Some(2525));
        let health = config
            .monitors
            .iter()
            .find(|monitor| monitor.id == "api-health")
            .expect("the monitor the demo breaks");
        assert_eq!(health.runbook.as_deref(), Some("sev1-full-outage"));
        assert_eq!(config.runbooks.len(), RUNBOOKS.len());
        assert_eq!(
            config.routes.len(),
            1,
            "the outage's category pages someone"
        );
    }

    #[test]
    fn commands_quote_paths_only_when_a_shell_needs_it() {
        assert_eq!(shell_quote("/usr/bin/tocsin"), "/usr/bin/tocsin");
        assert_eq!(
            shell_quote("/home/a b/it's/tocsin"),
            r"'/home/a b/it'\''s/tocsin'"
        );
    }
}
