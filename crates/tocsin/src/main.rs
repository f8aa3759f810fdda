//! `tocsin`: the command line. Exit status 0 on success, 1 on a failed check or refused action,
//! 2 on bad usage; errors go to standard error in one sentence that says what to do.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use tocsin::app::{App, AppOptions};
use tocsin::client::{self, Client};
use tocsin_engine::SystemClock;

#[derive(Debug, Parser)]
#[command(
    name = "tocsin",
    version,
    about = "Turns an incident runbook into running software."
)]
struct Cli {
    /// Log format on standard error.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = LogFormat::Pretty,
        env = "TOCSIN_LOG_FORMAT"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: probes, paging, the API.
    Serve {
        #[arg(long, env = "TOCSIN_CONFIG")]
        config: PathBuf,
        /// Address to listen on (overrides server.listen).
        #[arg(long, env = "TOCSIN_LISTEN")]
        listen: Option<String>,
        /// Database URL (overrides server.database).
        #[arg(long, env = "TOCSIN_DATABASE")]
        database: Option<String>,
        /// This replica's name among several on one PostgreSQL database (overrides
        /// server.replica).
        #[arg(long, env = "TOCSIN_REPLICA")]
        replica: Option<String>,
    },
    /// Validate a configuration and its runbooks; lists every error with file:line:column.
    Check {
        #[arg(long, env = "TOCSIN_CONFIG")]
        config: PathBuf,
    },
    /// Run tocsin with a sample app to watch and an inbox of everything it sends.
    Demo {
        #[command(subcommand)]
        action: Option<DemoAction>,
        /// Address for the demo to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "TOCSIN_LISTEN")]
        listen: String,
    },
    /// Who is on call, and overrides, on a running server.
    Oncall {
        #[command(flatten)]
        server: ServerArgs,
        #[command(subcommand)]
        action: Option<OncallAction>,
    },
    /// Incidents on a running server.
    Incident {
        #[command(flatten)]
        server: ServerArgs,
        #[command(subcommand)]
        action: IncidentAction,
    },
    /// Mitigation actions (`[[action]]`) on a running server.
    Action {
        #[command(flatten)]
        server: ServerArgs,
        #[command(subcommand)]
        action: ActionCommand,
    },
    /// API tokens. Works on the database directly: no server needed.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// People who sign in to the web UI. Works on the database directly: no server needed.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Write a break-glass copy: the status page, runbooks, contacts and routes as plain HTML
    /// files that open without a server. It contains phone numbers and e-mail addresses.
    Export {
        /// The folder to write into (created if missing).
        #[arg(long = "static", value_name = "DIR", env = "TOCSIN_STATIC")]
        dir: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Silences on a running server: matching signals are recorded and page nobody until the
    /// silence ends.
    Silence {
        #[command(flatten)]
        server: ServerArgs,
        #[command(subcommand)]
        action: tocsin::silence_cli::SilenceAction,
    },
    /// The monthly drill on a running server: run it now, or list past reports.
    Drill {
        #[command(flatten)]
        server: ServerArgs,
        #[command(subcommand)]
        action: DrillAction,
    },
    /// Runbooks: search the knowledge base of common issues. Reads the configuration folder: no
    /// server needed.
    Runbook {
        #[command(subcommand)]
        action: RunbookAction,
    },
    /// The database itself: move an installation from SQLite to PostgreSQL.
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Changes (deploys, merges) on a running server.
    Change {
        #[command(flatten)]
        server: ServerArgs,
        #[command(subcommand)]
        action: ChangeAction,
    },
    /// Print a shell completion script for tocsin on standard output, e.g.
    /// `tocsin completions bash > /etc/bash_completion.d/tocsin`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print tocsin's manual page (roff) on standard output, e.g.
    /// `tocsin man > /usr/local/share/man/man1/tocsin.1`.
    Man,
}

#[derive(Debug, Subcommand)]
enum StoreAction {
    /// Copy a whole SQLite installation (incidents, timelines, checks, users, tokens,
    /// post-mortems) into an empty PostgreSQL database. Stop the server first.
    Copy {
        /// The SQLite database to move, like sqlite://data/tocsin.db.
        #[arg(long)]
        from: String,
        /// The empty PostgreSQL database to move it to, like postgres://tocsin@db/tocsin.
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
enum DrillAction {
    /// Run the drill now and print its report; exit status 1 when it failed.
    Run,
    /// Past drills, newest first.
    List,
}

#[derive(Debug, Subcommand)]
enum RunbookAction {
    /// Rank the runbooks against TEXT (an error message, a symptom), best first.
    Search {
        /// The words to look for.
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
        #[arg(long, env = "TOCSIN_CONFIG")]
        config: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ChangeKindArg {
    Deploy,
    Merge,
}

#[derive(Debug, Subcommand)]
enum ChangeAction {
    /// Record a deploy or a merge (shown on incidents that begin within two hours after it).
    Record {
        #[arg(long, value_enum)]
        kind: ChangeKindArg,
        #[arg(long)]
        service: String,
        #[arg(long)]
        title: String,
        /// A link to the deploy or pull request (`--url` is the server's).
        #[arg(long)]
        link: Option<String>,
        #[arg(long)]
        author: Option<String>,
    },
    /// List recent changes, newest first.
    List {
        #[arg(long)]
        service: Option<String>,
        /// RFC 3339; default: 24 hours ago.
        #[arg(long)]
        since: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum UserAction {
    /// Add a person. The password is read from standard input (one line, at least 12 characters).
    Add {
        /// Their e-mail, which they sign in with.
        email: String,
        /// viewer: sees everything, changes nothing; responder: also acts on incidents; admin.
        #[arg(long, value_enum)]
        role: RoleArg,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set a person's password (read from standard input) and sign them out everywhere.
    Passwd {
        email: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Stop a person signing in and end their sessions; they stay on timelines. Refused for the
    /// last enabled admin unless `server.admin_token` is set.
    Disable {
        email: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Let a disabled person sign in again (with their old password).
    Enable {
        email: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Give a person another role and end their sessions. Refused for the last enabled admin
    /// unless `server.admin_token` is set.
    Role {
        email: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete a person and their sessions (the timeline keeps their name). Refused for the last
    /// enabled admin unless `server.admin_token` is set.
    Remove {
        email: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Everyone who can sign in, or was disabled: e-mail, role, status.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, clap::Args)]
struct StoreArgs {
    #[arg(long, env = "TOCSIN_CONFIG")]
    config: PathBuf,
    /// Database URL (overrides server.database).
    #[arg(long, env = "TOCSIN_DATABASE")]
    database: Option<String>,
}

#[derive(Debug, Subcommand)]
enum TokenAction {
    /// Make an API token with a name and a role and print it (alone on the last line). Only its
    /// hash is stored: it cannot be shown again.
    Create {
        /// Who or what will use it, as the timeline names it (like `ci-deploy`); default: the
        /// role.
        #[arg(long)]
        name: Option<String>,
        /// viewer: reads only; responder: also acts on incidents; admin: everything.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// When it stops working: a duration from now (`30d`), a date (`2027-01-01`, its start
        /// in UTC) or a time (`2027-01-01T09:00:00Z`); default: never.
        #[arg(long)]
        expires: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Every token: id, name, role, created, expires, last used, revoked. Never a secret.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token by its id (`tok_…`, from `token list`): refused from the next request on.
    Revoke {
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Viewer,
    Responder,
    Admin,
}

impl From<RoleArg> for tocsin_store::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Viewer => tocsin_store::Role::Viewer,
            RoleArg::Responder => tocsin_store::Role::Responder,
            RoleArg::Admin => tocsin_store::Role::Admin,
        }
    }
}

#[derive(Debug, Subcommand)]
enum DemoAction {
    /// Make the running demo's sample app answer 503.
    Break {
        #[arg(long, default_value = "http://127.0.0.1:8080", env = "TOCSIN_URL")]
        url: String,
    },
    /// Make the running demo's sample app healthy again.
    Heal {
        #[arg(long, default_value = "http://127.0.0.1:8080", env = "TOCSIN_URL")]
        url: String,
    },
}

#[derive(Debug, clap::Args)]
struct ServerArgs {
    /// The server's base URL.
    #[arg(long, env = "TOCSIN_URL", global = true)]
    url: Option<String>,
    /// An API token.
    #[arg(long, env = "TOCSIN_TOKEN", global = true, hide_env_values = true)]
    token: Option<String>,
}

#[derive(Debug, Subcommand)]
enum OncallAction {
    /// Put someone on call in a schedule for a while (times in RFC 3339, e.g. 2026-11-29T09:00:00Z).
    Override {
        #[arg(long)]
        schedule: String,
        #[arg(long)]
        contact: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        until: String,
    },
    /// List current and future overrides.
    Overrides,
}

#[derive(Debug, Subcommand)]
enum IncidentAction {
    /// List incidents, newest first.
    List {
        /// open, resolved or all.
        #[arg(long, default_value = "open")]
        state: String,
    },
    /// Show one incident with its timeline.
    Show { id: String },
    /// Declare an incident by hand.
    Declare {
        #[arg(long)]
        title: String,
        #[arg(long)]
        severity: String,
        #[arg(long)]
        summary: Option<String>,
    },
    /// Acknowledge an incident.
    Ack { id: String },
    /// Resolve an incident.
    Resolve { id: String },
    /// Add a note to an incident's timeline.
    Note { id: String, text: String },
    /// Give an incident role (commander, communications or scribe) to a person: a tocsin
    /// user's e-mail or a contact's id.
    Role {
        id: String,
        role: String,
        user: String,
    },
    /// Merge an incident into another: it ends, its alerts lead to the other, both timelines
    /// are kept.
    Merge {
        id: String,
        /// The incident to merge into.
        #[arg(long)]
        into: String,
    },
    /// Snooze an acknowledged incident: reminders are held; if it is still open then, it is
    /// paged again from the first step.
    #[command(group(clap::ArgGroup::new("when").required(true).args(["until", "for_"])))]
    Snooze {
        id: String,
        /// When the snooze ends (RFC 3339, like 2026-12-01T18:00:00Z).
        #[arg(long)]
        until: Option<String>,
        /// How long from now, like 30m or 2h (at most 7 days).
        #[arg(long = "for", value_name = "SPAN")]
        for_: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ActionCommand {
    /// Run an action for an incident; its output and result go to the incident's timeline.
    Run {
        incident: String,
        /// The action's id.
        action: String,
        /// Confirm without asking (for an action with `confirm = true`).
        #[arg(long)]
        yes: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Generated from the definition above; no runtime, no logs.
    match cli.command {
        Command::Completions { shell } => return completions(shell),
        Command::Man => return man_page(),
        _ => {}
    }
    init_logs(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&anyhow::anyhow!("cannot start the runtime: {error}")),
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(error) => fail(&error),
    }
}

#[allow(
    clippy::print_stderr,
    reason = "the CLI reports its one-sentence error on standard error"
)]
fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("error: {error:#}");
    ExitCode::from(1)
}

#[allow(clippy::print_stdout, reason = "the CLI's output")]
fn out(text: &str) {
    print!("{text}");
}

/// `tocsin completions SHELL`: the script clap_complete writes from the command definition.
fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "tocsin", &mut script);
    write_out(&script)
}

/// `tocsin man`: the manual page clap_mangen writes from the command definition, with a section
/// per subcommand so each one's flags (and their environment variables) are in the one page.
fn man_page() -> ExitCode {
    let command = <Cli as clap::CommandFactory>::command();
    match tocsin::man::render(command) {
        Ok(page) => write_out(&page),
        Err(error) => fail(&anyhow::anyhow!("cannot write the manual page: {error}")),
    }
}

/// Writes bytes to standard output; a closed pipe (`| head`) is not an error worth a message.
fn write_out(bytes: &[u8]) -> ExitCode {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => fail(&anyhow::anyhow!("cannot write to standard output: {error}")),
    }
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,hyper=warn"));
    let ansi = tocsin::log_colour::wanted(
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check { config } => check(&config),
        Command::Serve {
            config,
            listen,
            database,
            replica,
        } => serve(&config, listen, database, replica).await,
        Command::Demo {
            action: None,
            listen,
        } => {
            tocsin::demo::run(&listen, shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            action: Some(action),
            ..
        } => demo_action(action).await,
        Command::Incident { server, action } => incident(server, action).await,
        Command::Oncall { server, action } => oncall(server, action).await,
        Command::User { action } => user(action).await,
        Command::Token { action } => token(action).await,
        Command::Export { dir, store } => export(&dir, store).await,
        Command::Drill { server, action } => drill(server, action).await,
        Command::Silence { server, action } => silence(server, action).await,
        Command::Runbook { action } => runbook(action),
        Command::Change { server, action } => change(server, action).await,
        Command::Store {
            action: StoreAction::Copy { from, to },
        } => store_copy(&from, &to).await,
        Command::Action { server, action } => run_action(server, action).await,
        // Answered in `main` before the runtime starts.
        Command::Completions { .. } | Command::Man => Ok(ExitCode::SUCCESS),
    }
}

fn load(path: &std::path::Path) -> Result<tocsin_config::Config, tocsin_config::ConfigErrors> {
    tocsin_config::load(path, &|name| std::env::var(name).ok())
}

/// Where post-mortems will be written, and what git does with them, for `tocsin check`: the
/// resolved folder, since a relative `dir` is relative to the repository, not to the file.
fn postmortem_summary(config: &tocsin_config::Config) -> Option<String> {
    if !config.requires_postmortems() {
        return None;
    }
    let mut line = format!("post-mortems: {}", config.postmortem_dir().display());
    if let Some(postmortem) = config.postmortem.as_ref().filter(|p| p.git) {
        line.push_str(", committed with git");
        if postmortem.push {
            line.push_str(&format!(
                ", pushed to {} ({})",
                postmortem.remote,
                postmortem.branch.as_deref().map_or_else(
                    || "the checked-out branch".to_owned(),
                    |b| format!("branch {b}")
                )
            ));
        }
    }
    Some(line)
}

#[allow(
    clippy::print_stderr,
    reason = "configuration errors are the command's report"
)]
fn check(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    match load(path) {
        Ok(config) => {
            for warning in &config.warnings {
                eprintln!("{warning}");
            }
            out(&format!("{}\n", config.summary()));
            if let Some(line) = postmortem_summary(&config) {
                out(&format!("{line}\n"));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            eprint!("{errors}");
            Ok(ExitCode::from(1))
        }
    }
}

#[allow(
    clippy::print_stderr,
    reason = "configuration errors are the command's report"
)]
async fn serve(
    path: &std::path::Path,
    listen: Option<String>,
    database: Option<String>,
    replica: Option<String>,
) -> anyhow::Result<ExitCode> {
    let mut config = match load(path) {
        Ok(config) => config,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::from(1));
        }
    };
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    if let Some(replica) = &replica {
        if !tocsin_config::is_replica_name(replica) {
            eprintln!(
                "error: --replica `{replica}` is not a replica name: use 1 to 64 letters, digits, `-`, `_`, `.` or `:`"
            );
            return Ok(ExitCode::from(2));
        }
        config.server.replica = Some(replica.clone());
    }
    let listen = listen.unwrap_or_else(|| config.server.listen.clone());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {listen}; is the port in use? Pass --listen to choose another"
            )
        })?;
    let options = AppOptions {
        config: Arc::new(config),
        database,
        clock: Arc::new(SystemClock),
        run_workers: true,
        extra_routes: None,
    };
    let app = App::start(options, listener).await?;
    // A reload reads the same file with the same `--replica` (`--listen` and `--database` are
    // not part of the file's settings, and a reload never changes them).
    let reload_path = path.to_owned();
    app.engine.set_loader(Arc::new(move || {
        let mut config = load(&reload_path)?;
        if let Some(replica) = &replica {
            config.server.replica = Some(replica.clone());
        }
        Ok(config)
    }));
    let hangups = tocsin::hangup::reload_on_hangup(app.engine.clone())
        .context("cannot listen for SIGHUP (which reloads the configuration)")?;
    tracing::info!(url = %app.url(), "tocsin is serving");
    let released = tocsin::memory::release_freed();
    tracing::debug!(
        released,
        "start-up's freed memory handed back to the system"
    );
    let mapped = tocsin::memory::map_large_allocations();
    tracing::debug!(
        mapped,
        "large allocations get their own mapping, returned when freed"
    );
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight work; queued work stays queued");
    hangups.abort();
    app.stop().await?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

async fn demo_action(action: DemoAction) -> anyhow::Result<ExitCode> {
    let (url, path) = match &action {
        DemoAction::Break { url } => (url, "/demo/break"),
        DemoAction::Heal { url } => (url, "/demo/heal"),
    };
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = http
        .post(format!("{}{path}", url.trim_end_matches('/')))
        .send()
        .await
        .with_context(|| format!("cannot reach the demo at {url}; is `tocsin demo` running?"))?;
    if response.status().is_success() || response.status().is_redirection() {
        out(match action {
            DemoAction::Break { .. } => "the sample app now answers 503\n",
            DemoAction::Heal { .. } => "the sample app now answers 200\n",
        });
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!(
            "the demo answered {}; is {url} a running `tocsin demo`?",
            response.status()
        )
    }
}

async fn incident(server: ServerArgs, action: IncidentAction) -> anyhow::Result<ExitCode> {
    let url = client::require(server.url, "url")?;
    let token = client::require(server.token, "token")?;
    let client = Client::new(&url, &token)?;
    let result = match action {
        IncidentAction::List { state } => client
            .list(&state)
            .await
            .map(|list| client::format_list(&list)),
        IncidentAction::Show { id } => client
            .show(&id)
            .await
            .map(|(incident, timeline)| client::format_incident(&incident, Some(&timeline))),
        IncidentAction::Declare {
            title,
            severity,
            summary,
        } => client
            .declare(&title, &severity, summary.as_deref())
            .await
            .map(|incident| client::format_incident(&incident, None)),
        IncidentAction::Ack { id } => client
            .action(&id, "acknowledge", None)
            .await
            .map(|i| client::format_incident(&i, None)),
        IncidentAction::Resolve { id } => client
            .action(&id, "resolve", None)
            .await
            .map(|i| client::format_incident(&i, None)),
        IncidentAction::Note { id, text } => client
            .action(&id, "notes", Some(serde_json::json!({ "text": text })))
            .await
            .map(|i| client::format_incident(&i, None)),
        IncidentAction::Role { id, role, user } => client
            .action(
                &id,
                "roles",
                Some(serde_json::json!({ "role": role, "user": user })),
            )
            .await
            .map(|i| client::format_incident(&i, None)),
        IncidentAction::Merge { id, into } => client
            .action(&id, "merge", Some(serde_json::json!({ "into": into })))
            .await
            .map(|i| client::format_incident(&i, None)),
        IncidentAction::Snooze { id, until, for_ } => {
            let body = match (until, for_) {
                (Some(until), _) => serde_json::json!({ "until": until }),
                (None, span) => serde_json::json!({ "for": span }),
            };
            client
                .action(&id, "snooze", Some(body))
                .await
                .map(|i| client::format_incident(&i, None))
        }
    };
    let text = result?;
    out(&text);
    Ok(ExitCode::SUCCESS)
}

async fn oncall(server: ServerArgs, action: Option<OncallAction>) -> anyhow::Result<ExitCode> {
    let url = client::require(server.url, "url")?;
    let token = client::require(server.token, "token")?;
    let client = Client::new(&url, &token)?;
    let text = match action {
        None => client::format_oncall(&client.get("/api/v1/oncall").await?),
        Some(OncallAction::Overrides) => {
            client::format_overrides(&client.get("/api/v1/oncall/overrides").await?)
        }
        Some(OncallAction::Override {
            schedule,
            contact,
            from,
            until,
        }) => {
            let body = serde_json::json!({ "schedule": schedule, "contact": contact, "from": from, "until": until });
            let created = client.post("/api/v1/oncall/overrides", body).await?;
            client::format_overrides(&serde_json::json!({ "overrides": [created] }))
        }
    };
    out(&text);
    Ok(ExitCode::SUCCESS)
}

async fn silence(
    server: ServerArgs,
    action: tocsin::silence_cli::SilenceAction,
) -> anyhow::Result<ExitCode> {
    let url = client::require(server.url, "url")?;
    let token = client::require(server.token, "token")?;
    let client = Client::new(&url, &token)?;
    out(&tocsin::silence_cli::run(&client, action).await?);
    Ok(ExitCode::SUCCESS)
}

async fn drill(server: ServerArgs, action: DrillAction) -> anyhow::Result<ExitCode> {
    let url = client::require(server.url, "url")?;
    let token = client::require(server.token, "token")?;
    let client = Client::new(&url, &token)?;
    match action {
        DrillAction::Run => {
            let report = client.post("/api/v1/drills", serde_json::json!({})).await?;
            out(&client::format_drill(&report));
            Ok(if report["status"] == "failed" {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        DrillAction::List => {
            let list = client.get("/api/v1/drills").await?;
            out(&client::format_drills(&list));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reads one line of standard input as a password (without its line ending). At a terminal it
/// asks first; the typed password is visible, so piping it in is the better habit.
#[allow(clippy::print_stderr, reason = "the prompt goes to standard error")]
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password (at least 12 characters; it shows as you type): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    Ok(password.strip_suffix('\r').unwrap_or(password).to_owned())
}

/// The configuration a command that works on the database names, or the exit status after its
/// errors were printed.
#[allow(
    clippy::print_stderr,
    reason = "configuration errors are the command's report"
)]
fn load_for_store(store: &StoreArgs) -> Result<tocsin_config::Config, ExitCode> {
    load(&store.config).map_err(|errors| {
        eprint!("{errors}");
        ExitCode::from(1)
    })
}

/// Bad input to a command (exit status 2), in one sentence that says what to write instead.
#[allow(
    clippy::print_stderr,
    reason = "the CLI reports its one-sentence error"
)]
fn usage(message: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

async fn user(action: UserAction) -> anyhow::Result<ExitCode> {
    use tocsin_engine::Clock as _;
    use tocsin_engine::accounts::{self, AccountError};
    use tocsin_engine::users::{self, UserError};
    use tocsin_store::UserChange;
    let store_args = match &action {
        UserAction::Add { store, .. }
        | UserAction::Passwd { store, .. }
        | UserAction::Disable { store, .. }
        | UserAction::Enable { store, .. }
        | UserAction::Role { store, .. }
        | UserAction::Remove { store, .. }
        | UserAction::List { store } => store,
    };
    let config = match load_for_store(store_args) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    let password = match &action {
        UserAction::Add { .. } | UserAction::Passwd { .. } => read_password()?,
        _ => String::new(),
    };
    let store =
        tocsin::app::open_store_beside_server(&config, store_args.database.as_deref()).await?;
    let now = SystemClock.now();
    let explain = |error: UserError| match error {
        UserError::EmailTaken(email) => anyhow::anyhow!(
            "a user with the e-mail `{email}` already exists; set a new password with `tocsin user passwd {email}`"
        ),
        UserError::NoSuchUser(email) => anyhow::anyhow!(
            "there is no user with the e-mail `{email}`; add one with `tocsin user add {email} --role responder`"
        ),
        other => anyhow::anyhow!("{other}"),
    };
    let (email, change) = match action {
        UserAction::Add { email, role, .. } => {
            let user = users::add_user(store.as_ref(), &email, role.into(), &password, now)
                .await
                .map_err(explain)?;
            out(&format!(
                "added {} as {}; they can sign in at {}/login\n",
                user.email,
                user.role.as_str(),
                config.server.public_url
            ));
            return Ok(ExitCode::SUCCESS);
        }
        UserAction::Passwd { email, .. } => {
            users::change_password(store.as_ref(), &email, &password, now)
                .await
                .map_err(explain)?;
            out(&format!(
                "changed the password of {}; their sessions have ended\n",
                email.trim().to_lowercase()
            ));
            return Ok(ExitCode::SUCCESS);
        }
        UserAction::List { .. } => {
            out(&tocsin::people_cli::format_users(
                &accounts::users(store.as_ref()).await?,
            ));
            return Ok(ExitCode::SUCCESS);
        }
        UserAction::Disable { email, .. } => (email, UserChange::Disable { at: now }),
        UserAction::Enable { email, .. } => (email, UserChange::Enable),
        UserAction::Role { email, role, .. } => (email, UserChange::SetRole(role.into())),
        UserAction::Remove { email, .. } => (email, UserChange::Remove),
    };
    let user = match accounts::change_user(store.as_ref(), &config, &email, change).await {
        Ok(user) => user,
        Err(AccountError::InvalidEmail(_)) => {
            return Ok(usage(&format_args!(
                "`{email}` is not an e-mail address; give the one the person signs in with"
            )));
        }
        Err(error) => return Err(error.into()),
    };
    out(&match change {
        UserChange::Disable { .. } => format!(
            "disabled {}; they cannot sign in and their sessions have ended\n",
            user.email
        ),
        UserChange::Enable => format!("enabled {}; they can sign in again\n", user.email),
        UserChange::SetRole(role) => format!(
            "{} is now {}; their sessions have ended\n",
            user.email,
            role.as_str()
        ),
        UserChange::Remove => format!(
            "removed {}; their sessions have ended (timelines keep their name)\n",
            user.email
        ),
    });
    Ok(ExitCode::SUCCESS)
}

async fn token(action: TokenAction) -> anyhow::Result<ExitCode> {
    use tocsin_engine::Clock as _;
    use tocsin_engine::api_tokens::{self, Revoked};
    let store_args = match &action {
        TokenAction::Create { store, .. }
        | TokenAction::List { store }
        | TokenAction::Revoke { store, .. } => store,
    };
    let config = match load_for_store(store_args) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    let now = SystemClock.now();
    // Bad input is refused before the database is opened.
    let create = match &action {
        TokenAction::Create {
            name,
            role,
            expires,
            ..
        } => {
            let role = tocsin_store::Role::from(*role);
            let name = match api_tokens::check_name(name.as_deref().unwrap_or(role.as_str())) {
                Ok(name) => name,
                Err(error) => return Ok(usage(&error)),
            };
            let expires = match expires
                .as_deref()
                .map(|text| api_tokens::parse_expiry(text, now))
            {
                None => None,
                Some(Ok(at)) => Some(at),
                Some(Err(error)) => return Ok(usage(&error)),
            };
            Some((name, role, expires))
        }
        _ => None,
    };
    let db = tocsin::app::open_store_beside_server(&config, store_args.database.as_deref()).await?;
    match action {
        TokenAction::Create { .. } => {
            let Some((name, role, expires)) = create else {
                return Ok(ExitCode::from(2));
            };
            let created =
                api_tokens::create_api_token(db.as_ref(), &name, role, expires, now).await?;
            let expiry = created.expires_at.map_or_else(
                || "never expires".to_owned(),
                |at| format!("expires {}", at.strftime("%Y-%m-%d %H:%MZ")),
            );
            out(&format!(
                "created {} \"{}\" with role {}; it {expiry}. It is shown only now:\n{}\n",
                created.id,
                created.name,
                created.role.as_str(),
                created.token
            ));
        }
        TokenAction::List { .. } => {
            out(&tocsin::people_cli::format_tokens(
                &api_tokens::list(db.as_ref()).await?,
                now,
            ));
        }
        TokenAction::Revoke { id, .. } => match api_tokens::revoke(db.as_ref(), &id, now).await {
            Ok(Revoked::Now(_)) => out(&format!(
                "revoked {}; requests with it are refused from now on\n",
                id.trim()
            )),
            Ok(Revoked::Already(at)) => out(&format!(
                "{} was already revoked at {}; nothing changed\n",
                id.trim(),
                at.strftime("%Y-%m-%d %H:%MZ")
            )),
            Err(error) => return Err(error.into()),
        },
    }
    Ok(ExitCode::SUCCESS)
}

#[allow(
    clippy::print_stderr,
    reason = "configuration errors and a skipped status page are the command's report"
)]
async fn export(dir: &std::path::Path, store: StoreArgs) -> anyhow::Result<ExitCode> {
    let config = match load(&store.config) {
        Ok(config) => config,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::from(1));
        }
    };
    let exported =
        tocsin::export::export_static(Arc::new(config), store.database.as_deref(), dir).await?;
    if let Some(reason) = &exported.status_skipped {
        eprintln!("warning: the status page was not exported: {reason}");
    }
    out(&format!(
        "wrote {} files to {}; open {} in a browser\n",
        exported.files.len(),
        dir.display(),
        dir.join("index.html").display()
    ));
    Ok(ExitCode::SUCCESS)
}

async fn store_copy(from: &str, to: &str) -> anyhow::Result<ExitCode> {
    let copied = tocsin::store_copy::copy(from, to).await?;
    let mut report = String::new();
    for (table, rows) in &copied {
        report.push_str(&format!("{table}: {rows} rows\n"));
    }
    let total: u64 = copied.iter().map(|(_, rows)| rows).sum();
    report.push_str(&format!(
        "copied {total} rows into {}; point server.database (or --database) at it\n",
        tocsin::app::redacted(to)
    ));
    out(&report);
    Ok(ExitCode::SUCCESS)
}

#[allow(
    clippy::print_stderr,
    reason = "configuration errors are the command's report"
)]
fn runbook(action: RunbookAction) -> anyhow::Result<ExitCode> {
    let RunbookAction::Search { text, config } = action;
    let config = match load(&config) {
        Ok(config) => config,
        Err(errors) => {
            eprint!("{errors}");
            return Ok(ExitCode::from(1));
        }
    };
    out(&tocsin::runbook_cli::format_search(
        &config.runbooks,
        &text.join(" "),
    ));
    Ok(ExitCode::SUCCESS)
}

async fn change(server: ServerArgs, action: ChangeAction) -> anyhow::Result<ExitCode> {
    let url = client::require(server.url, "url")?;
    let token = client::require(server.token, "token")?;
    let client = Client::new(&url, &token)?;
    let text = match action {
        ChangeAction::Record {
            kind,
            service,
            title,
            link,
            author,
        } => {
            let kind = match kind {
                ChangeKindArg::Deploy => "deploy",
                ChangeKindArg::Merge => "merge",
            };
            let body = tocsin::runbook_cli::change_body(
                kind,
                &service,
                &title,
                link.as_deref(),
                author.as_deref(),
            );
            let created = client.post("/api/v1/changes", body).await?;
            tocsin::runbook_cli::format_changes(&[created])
        }
        ChangeAction::List { service, since } => {
            let mut query = Vec::new();
            if let Some(service) = service {
                query.push(format!("service={}", tocsin::runbook_cli::encode(&service)));
            }
            if let Some(since) = since {
                query.push(format!("since={}", tocsin::runbook_cli::encode(&since)));
            }
            let listed = client
                .get(&format!("/api/v1/changes?{}", query.join("&")))
                .await?;
            let changes = listed["changes"].as_array().cloned().unwrap_or_default();
            tocsin::runbook_cli::format_changes(&changes)
        }
    };
    out(&text);
    Ok(ExitCode::SUCCESS)
}

/// `tocsin action run INCIDENT ACTION [--yes]`: an action with `confirm = true` asks on the
/// terminal first unless `--yes`; the exit status says whether the action succeeded.
async fn run_action(server: ServerArgs, command: ActionCommand) -> anyhow::Result<ExitCode> {
    let url = client::require(server.url, "url")?;
    let token = client::require(server.token, "token")?;
    let client = Client::new(&url, &token)?;
    let ActionCommand::Run {
        incident,
        action,
        yes,
    } = command;
    let listed = client
        .get(&format!(
            "/api/v1/incidents/{}/actions",
            client::segment(&incident)
        ))
        .await?;
    let Some(found) = listed["actions"]
        .as_array()
        .and_then(|actions| actions.iter().find(|a| a["id"] == action.as_str()))
    else {
        anyhow::bail!("no action `{action}` is configured on that server");
    };
    if found["confirm"].as_bool().unwrap_or(true) && !yes {
        out(&format!(
            "Run “{}” for incident {incident}? [y/N] ",
            found["title"].as_str().unwrap_or(&action)
        ));
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            out("Not run.\n");
            return Ok(ExitCode::from(1));
        }
    }
    let run = client
        .post(
            &format!(
                "/api/v1/incidents/{}/actions/{}",
                client::segment(&incident),
                client::segment(&action)
            ),
            serde_json::json!({ "confirm": true }),
        )
        .await?;
    out(&client::format_run(&run));
    Ok(if run["status"] == "succeeded" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
