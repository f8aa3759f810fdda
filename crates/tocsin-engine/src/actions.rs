//! Mitigation actions (`[[action]]`): a person asks, the request is decided and committed with
//! who asked (`Input::RequestAction` → `action_requested` and the run's row, in
//! `tocsin-core/src/mitigation.rs`), then the action runs — an HTTP request or a program started
//! directly from its argv, never through a shell — bounded by its timeout, and its result is
//! decided and committed the same way (`Input::ActionFinished` → `action_succeeded` /
//! `action_failed` with the status and the output, truncated).
//!
//! What is kept of a run — what ran (`what`), its summary, its output, a refusal's reason — goes
//! through the configuration's redactor first (`Config::redactor`): a URL's credentials and
//! secret-named query values, and every configured secret's value, become `[redacted]`. Viewers
//! read run records and the timeline; headers, which carry tokens, are never shown at all.
//!
//! Templated values come only from known fields (`incident.*`, `change.*`) and are escaped for
//! where they land: JSON-escaped in a JSON body, percent-encoded in a URL, and in an argv each
//! element is rendered on its own and passed as one argument, whatever it contains.
//!
//! `change.*` is the deploy of the action's service that was live when the incident opened, and
//! `change.previous_deploy_id` the successful deploy before it (`tocsin_core::deploys`). An
//! action whose templates use a deploy tocsin does not know is refused before anything is sent,
//! and the refusal is recorded with its reason: a rollback must never be sent an empty or wrong id.

use std::time::Duration;

use jiff::Timestamp;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;
use tocsin_config::{Action, ActionKind};
use tocsin_core::decide::{ActionRequest, ActionResult, Input, Refusal};
use tocsin_core::deploys::{self, Scope};
use tocsin_core::inbound::{Change, ChangeKind};
use tocsin_core::incident::Incident;
use tocsin_store::{ActionRun, ChangeQuery};

use crate::{Engine, EngineError};

/// Output kept in the timeline and the run record.
const OUTPUT_LIMIT: usize = 4096;

/// How many of a service's deploy states (each deployment reports several) are read back from
/// the incident's start to find the live deploy and the one before it.
const DEPLOY_HISTORY: u32 = 1000;

/// Where a rendered value lands, which decides how it is escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// One argv element: passed as it is (it is one argument whatever it holds).
    Argument,
    /// A URL: each value percent-encoded.
    Url,
    /// A JSON body: each value JSON-escaped (the template supplies the quotes).
    Json,
    /// Any other body: as it is.
    Text,
}

/// `change.*`: the deploy of the action's service that was live when the incident opened (the
/// record of the state in which it went live), and the successful deploy before it.
#[derive(Debug, Default, Serialize)]
struct ChangeView {
    id: Option<String>,
    previous_deploy_id: Option<String>,
    service: Option<String>,
    environment: Option<String>,
    commit: Option<String>,
    branch: Option<String>,
    author: Option<String>,
    status: Option<String>,
    url: Option<String>,
    summary: Option<String>,
}

/// The only values a template may use.
#[derive(Debug, Serialize)]
struct Fields {
    incident: IncidentView,
    change: ChangeView,
}

#[derive(Debug, Serialize)]
struct IncidentView {
    id: String,
    title: String,
    severity: String,
    category: Option<String>,
    component: Option<String>,
}

impl ChangeView {
    fn of(live: &Change, previous: Option<&Change>) -> Self {
        ChangeView {
            id: live.external_id.clone(),
            previous_deploy_id: previous.and_then(|p| p.external_id.clone()),
            service: live.service.clone(),
            environment: live.environment.clone(),
            commit: live.commit.clone(),
            branch: live.branch.clone(),
            author: live.author.clone(),
            status: live.status.clone(),
            url: live.url.clone(),
            summary: Some(live.summary.clone()),
        }
    }
}

/// `change.*` for one action on one incident, with why a part of it is unknown.
#[derive(Debug, Default)]
struct ChangeFields {
    view: ChangeView,
    /// Why there is no live deploy (every `change.*` is then unknown).
    no_live: Option<String>,
    /// Why there is no deploy to roll back to.
    no_previous: Option<String>,
}

/// Which `change.*` fields an action's templates use.
#[derive(Debug, Default, PartialEq, Eq)]
struct ChangeUse {
    any: bool,
    previous_deploy_id: bool,
}

/// The environment every template is read and rendered with.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // An argument or body is passed exactly as written, final newline included.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env
}

/// The templates of an action: its URL and body, or each argument.
fn templates(action: &Action) -> Vec<&str> {
    match &action.kind {
        ActionKind::Http { url, body, .. } => std::iter::once(url.as_str())
            .chain(body.as_deref())
            .collect(),
        ActionKind::Command { argv } => argv.iter().map(String::as_str).collect(),
    }
}

/// Which `change.*` fields the action's templates read. A template that does not parse uses
/// nothing here; rendering it reports the error.
fn change_use(action: &Action) -> ChangeUse {
    let env = environment();
    let mut used = ChangeUse::default();
    for source in templates(action) {
        let Ok(template) = env.template_from_str(source) else {
            continue;
        };
        for name in template.undeclared_variables(true) {
            if name == "change" || name.starts_with("change.") {
                used.any = true;
            }
            // `change` read whole (`{{ change }}`, `change[key]`) may read the id too.
            if name == "change" || name == "change.previous_deploy_id" {
                used.previous_deploy_id = true;
            }
        }
    }
    used
}

/// "`api`", or "`api` in `production`".
fn describe_scope(scope: Scope<'_>) -> String {
    match scope.environment {
        Some(environment) => format!("`{}` in `{environment}`", scope.service),
        None => format!("`{}`", scope.service),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    use std::fmt::Write as _;
    text.bytes().fold(String::new(), |mut out, byte| {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
        out
    })
}

/// Renders one template in its context. Unknown fields are an error, not an empty string: a
/// typo must not send `{"deployment": ""}` to a rollback endpoint.
fn render(template: &str, context: Context, fields: &Value) -> Result<String, String> {
    let mut env = environment();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_formatter(move |out, _state, value| {
        // `none` (a field with no value) renders as nothing.
        let text = if value.is_none() || value.is_undefined() {
            String::new()
        } else {
            value.to_string()
        };
        let escaped = match context {
            Context::Argument | Context::Text => text,
            Context::Url => percent_encode(&text),
            Context::Json => {
                let quoted = serde_json::to_string(&text).unwrap_or_default();
                quoted[1..quoted.len().saturating_sub(1).max(1)].to_owned()
            }
        };
        out.write_str(&escaped).map_err(minijinja::Error::from)
    });
    env.render_str(template, fields)
        .map_err(|error| format!("the template `{template}` cannot be rendered: {error}"))
}

fn truncate(mut text: String) -> String {
    if text.len() > OUTPUT_LIMIT {
        let mut cut = OUTPUT_LIMIT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n… (truncated)");
    }
    text
}

/// What an action will do, rendered.
#[derive(Debug)]
enum Prepared {
    Http {
        method: reqwest::Method,
        url: String,
        body: Option<String>,
    },
    Command {
        argv: Vec<String>,
    },
}

impl Prepared {
    /// How the run record shows what ran (headers are left out: they carry secrets).
    fn describe(&self) -> String {
        match self {
            Prepared::Http { method, url, .. } => format!("{method} {url}"),
            Prepared::Command { argv } => serde_json::to_string(argv).unwrap_or_default(),
        }
    }
}

/// What an action would run, its templates not filled in.
fn describe_unrendered(action: &Action) -> String {
    match &action.kind {
        ActionKind::Http { method, url, .. } => format!("{method} {url}"),
        ActionKind::Command { argv } => serde_json::to_string(argv).unwrap_or_default(),
    }
}

/// How a run ended.
#[derive(Debug)]
struct Ended {
    ok: bool,
    exit_status: Option<i64>,
    output: String,
    summary: String,
}

fn prepare(action: &Action, fields: &Value) -> Result<Prepared, String> {
    match &action.kind {
        ActionKind::Http {
            method, url, body, ..
        } => {
            let body = body
                .as_ref()
                .map(|body| {
                    // A body that is a JSON document gets JSON-escaped values.
                    let json = body.trim_start().starts_with(['{', '[']);
                    render(
                        body,
                        if json { Context::Json } else { Context::Text },
                        fields,
                    )
                })
                .transpose()?;
            Ok(Prepared::Http {
                method: reqwest::Method::from_bytes(method.as_bytes())
                    .map_err(|_| format!("`{method}` is not an HTTP method"))?,
                url: render(url, Context::Url, fields)?,
                body,
            })
        }
        ActionKind::Command { argv } => Ok(Prepared::Command {
            argv: argv
                .iter()
                .map(|argument| render(argument, Context::Argument, fields))
                .collect::<Result<_, _>>()?,
        }),
    }
}

async fn run_command(argv: &[String], timeout: Duration) -> Ended {
    let Some((program, arguments)) = argv.split_first() else {
        return Ended {
            ok: false,
            exit_status: None,
            output: String::new(),
            summary: "the action has no program".into(),
        };
    };
    let mut command = tokio::process::Command::new(program);
    command
        .args(arguments)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        // A timed-out run's process is killed when its future is dropped.
        .kill_on_drop(true);
    let child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            return Ended {
                ok: false,
                exit_status: None,
                output: String::new(),
                summary: format!("`{program}` could not be started: {error}"),
            };
        }
    };
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => Ended {
            ok: false,
            exit_status: None,
            output: String::new(),
            summary: format!("timed out after {}", humantime(timeout)),
        },
        Ok(Err(error)) => Ended {
            ok: false,
            exit_status: None,
            output: String::new(),
            summary: format!("waiting for `{program}` failed: {error}"),
        },
        Ok(Ok(output)) => {
            let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&output.stderr));
            let code = output.status.code();
            Ended {
                ok: output.status.success(),
                exit_status: code.map(i64::from),
                output: truncate(text),
                summary: match code {
                    Some(code) => format!("exit status {code}"),
                    None => "killed by a signal".into(),
                },
            }
        }
    }
}

fn humantime(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 60 && seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else if seconds > 0 {
        format!("{seconds}s")
    } else {
        format!("{}ms", duration.as_millis())
    }
}

impl Engine {
    async fn run_http(
        &self,
        action: &Action,
        method: reqwest::Method,
        url: &str,
        body: Option<String>,
    ) -> Ended {
        let ActionKind::Http { headers, .. } = &action.kind else {
            unreachable!("only http actions are prepared as requests")
        };
        let mut request = self
            .actions
            .client
            .request(method, url)
            .timeout(action.timeout);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.expose());
        }
        if let Some(body) = body {
            let json = serde_json::from_str::<serde_json::Value>(&body).is_ok();
            if json {
                request = request.header("content-type", "application/json");
            }
            request = request.body(body);
        }
        match request.send().await {
            Err(error) if error.is_timeout() => Ended {
                ok: false,
                exit_status: None,
                output: String::new(),
                summary: format!("timed out after {}", humantime(action.timeout)),
            },
            Err(error) => Ended {
                ok: false,
                exit_status: None,
                output: String::new(),
                summary: format!("the request failed: {error}"),
            },
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                Ended {
                    ok: status.is_success(),
                    exit_status: Some(i64::from(status.as_u16())),
                    output: truncate(text),
                    summary: format!("HTTP {}", status.as_u16()),
                }
            }
        }
    }

    /// `change.*` for `action` on `incident`: the deploy of the action's `service` (else the
    /// incident's component) live when the incident opened, and the one before it.
    async fn change_fields(
        &self,
        incident: &Incident,
        action: &Action,
    ) -> Result<ChangeFields, EngineError> {
        let Some(service) = action.service.as_deref().or(incident.component.as_deref()) else {
            let why = format!(
                "tocsin cannot tell whose deploys to use: the incident names no component and \
                 the action `{}` sets no `service`",
                action.id
            );
            return Ok(ChangeFields {
                view: ChangeView::default(),
                no_live: Some(why.clone()),
                no_previous: Some(why),
            });
        };
        let scope = Scope {
            service,
            environment: action.environment.as_deref(),
        };
        let mut records = self
            .store
            .changes_in(&ChangeQuery {
                service: Some(service.to_owned()),
                kind: Some(ChangeKind::Deploy),
                since: Timestamp::UNIX_EPOCH,
                until: incident.opened_at,
                limit: DEPLOY_HISTORY,
            })
            .await?;
        // The store answers newest first; the selection reads ties oldest first.
        records.reverse();
        let changes: Vec<Change> = records.into_iter().map(|record| record.change).collect();
        let opened = incident.opened_at;
        let Some(found) = deploys::live_at(&changes, scope, opened) else {
            let why = format!(
                "no successful deploy of {} is recorded before the incident opened ({opened}){}",
                describe_scope(scope),
                self.other_services(service).await?
            );
            return Ok(ChangeFields {
                view: ChangeView::default(),
                no_live: Some(why.clone()),
                no_previous: Some(why),
            });
        };
        let no_previous = found.previous.is_none().then(|| {
            format!(
                "`{}` is the only successful deploy of {} recorded before the incident opened \
                 ({opened}): there is no earlier one to roll back to",
                found.live.external_id.as_deref().unwrap_or_default(),
                describe_scope(scope),
            )
        });
        Ok(ChangeFields {
            view: ChangeView::of(found.live, found.previous),
            no_live: None,
            no_previous,
        })
    }

    /// "; deploys are recorded for `checkout`, `worker`" when other services have deploys: the
    /// hint that the host names the service differently from the incident's component.
    async fn other_services(&self, service: &str) -> Result<String, EngineError> {
        let recent = self.store.changes(Some(ChangeKind::Deploy), 200).await?;
        let mut names: Vec<&str> = recent
            .iter()
            .filter_map(|record| record.change.service.as_deref())
            .filter(|name| *name != service)
            .collect();
        names.sort_unstable();
        names.dedup();
        Ok(if names.is_empty() {
            String::new()
        } else {
            format!(
                "; deploys are recorded for {} (set the action's `service` to the name the host \
                 reports)",
                names
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }

    /// The values templates may use for this incident.
    fn action_fields(incident: &Incident, change: ChangeView) -> Value {
        Value::from(minijinja::value::Serde(Fields {
            incident: IncidentView {
                id: incident.id.clone(),
                title: incident.title.clone(),
                severity: incident.severity.clone(),
                category: incident.category.clone(),
                component: incident.component.clone(),
            },
            change,
        }))
    }

    /// Records that an action was asked for and refused before anything ran, with the reason:
    /// a decision (`Input::RequestAction` with `refused`) committed in one transaction; the
    /// finished (failed) run is the answer.
    async fn refuse_run(
        &self,
        incident: &Incident,
        action: &Action,
        actor: &str,
        reason: String,
    ) -> Result<ActionRun, EngineError> {
        let request = ActionRequest {
            actor: actor.to_owned(),
            run_id: uuid::Uuid::now_v7().to_string(),
            action_id: action.id.clone(),
            title: action.title.clone(),
            // Nothing was rendered: the templates as configured.
            what: self.redacted(&describe_unrendered(action)),
            refused: Some(self.redacted(&reason)),
        };
        let run_id = request.run_id.clone();
        self.act(&incident.id, Input::RequestAction(request))
            .await?;
        self.action_run(&incident.id, &run_id).await
    }

    /// A run as committed.
    async fn action_run(&self, incident_id: &str, run_id: &str) -> Result<ActionRun, EngineError> {
        self.store
            .action_runs(incident_id)
            .await?
            .into_iter()
            .find(|run| run.id == run_id)
            .ok_or_else(|| EngineError::Unavailable(format!("the action run `{run_id}` vanished")))
    }

    /// Runs an action for an incident on behalf of `actor` (a responder or an admin; the caller
    /// checks the role). An action with `confirm = true` is refused unless `confirmed`.
    /// Returns the finished run.
    pub async fn run_action(
        self: &std::sync::Arc<Self>,
        incident_id: &str,
        action_id: &str,
        actor: &str,
        confirmed: bool,
    ) -> Result<ActionRun, EngineError> {
        self.run_action_once(incident_id, action_id, actor, confirmed, None)
            .await
    }

    /// [`Engine::run_action`], where the confirmation was a single-use token: its `nonce` is
    /// used up in the transaction that requests the run, so a second press of the same
    /// confirmation runs nothing (`TokenError::Used`).
    pub(crate) async fn run_action_once(
        self: &std::sync::Arc<Self>,
        incident_id: &str,
        action_id: &str,
        actor: &str,
        confirmed: bool,
        nonce: Option<String>,
    ) -> Result<ActionRun, EngineError> {
        let action =
            self.config().action(action_id).cloned().ok_or_else(|| {
                Refusal::Invalid(format!("no action `{action_id}` is configured"))
            })?;
        let incident = self
            .store
            .incident(incident_id)
            .await?
            .ok_or_else(|| EngineError::NoIncident(incident_id.to_owned()))?;
        if action.confirm && !confirmed {
            return Err(Refusal::Invalid(format!(
                "the action `{}` ({}) needs confirmation: nothing ran; confirm to run it",
                action.id, action.title
            ))
            .into());
        }
        let used = change_use(&action);
        let mut change = if used.any {
            self.change_fields(&incident, &action).await?
        } else {
            ChangeFields::default()
        };
        // Every `change.*` needs the live deploy; only `previous_deploy_id` needs the one before.
        let unknown = change.no_live.take().or_else(|| {
            change
                .no_previous
                .take()
                .filter(|_| used.previous_deploy_id)
        });
        if let Some(reason) = unknown {
            return self.refuse_run(&incident, &action, actor, reason).await;
        }
        let fields = Self::action_fields(&incident, change.view);
        let prepared =
            prepare(&action, &fields).map_err(|error| Refusal::Invalid(self.redacted(&error)))?;
        // The request is a decision: the run and its `action_requested` line commit together.
        let request = ActionRequest {
            actor: actor.to_owned(),
            run_id: uuid::Uuid::now_v7().to_string(),
            action_id: action.id.clone(),
            title: action.title.clone(),
            what: self.redacted(&prepared.describe()),
            refused: None,
        };
        let run_id = request.run_id.clone();
        self.act_with(&incident.id, Input::RequestAction(request), nonce)
            .await?;
        let run = self.action_run(&incident.id, &run_id).await?;
        // The run goes on in its own task: a caller that hangs up does not kill it half-way,
        // and its result is still recorded.
        let engine = std::sync::Arc::clone(self);
        let task = tokio::spawn(async move {
            let ended = match prepared {
                Prepared::Command { argv } => run_command(&argv, action.timeout).await,
                Prepared::Http { method, url, body } => {
                    engine.run_http(&action, method, &url, body).await
                }
            };
            // The result is a decision too: the run's ending and its timeline line together.
            let incident_id = run.incident_id.clone();
            let result = ActionResult {
                run,
                title: action.title.clone(),
                ok: ended.ok,
                exit_status: ended.exit_status,
                output: engine.redacted(&ended.output),
                summary: engine.redacted(&ended.summary),
            };
            engine
                .act(&incident_id, Input::ActionFinished(Box::new(result)))
                .await?;
            engine.action_run(&incident_id, &run_id).await
        });
        task.await.map_err(|error| {
            EngineError::Unavailable(format!("the action's task failed: {error}"))
        })?
    }

    /// `text` as a run record or the timeline may keep it: see the module's comment.
    fn redacted(&self, text: &str) -> String {
        self.config().redactor.scrub(text)
    }

    /// The configured actions, for buttons and the API.
    pub fn actions(&self) -> Vec<Action> {
        self.config().actions.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(title: &str) -> Value {
        Value::from(minijinja::value::Serde(Fields {
            incident: IncidentView {
                id: "inc-1".into(),
                title: title.into(),
                severity: "SEV-1".into(),
                category: None,
                component: None,
            },
            change: ChangeView {
                previous_deploy_id: Some("dep \"41\"".into()),
                ..ChangeView::default()
            },
        }))
    }

    #[test]
    fn values_are_escaped_for_where_they_land() {
        let fields = fields("a/b & c; rm -rf /");
        assert_eq!(
            render(
                r#"{"deployment": "{{ change.previous_deploy_id }}"}"#,
                Context::Json,
                &fields
            )
            .expect("renders"),
            r#"{"deployment": "dep \"41\""}"#
        );
        assert_eq!(
            render(
                "http://h/x?title={{ incident.title }}",
                Context::Url,
                &fields
            )
            .expect("renders"),
            "http://h/x?title=a%2Fb%20%26%20c%3B%20rm%20-rf%20%2F"
        );
        assert_eq!(
            render("{{ incident.title }}", Context::Argument, &fields).expect("renders"),
            "a/b & c; rm -rf /"
        );
    }

    fn command(argv: &[&str]) -> Action {
        Action {
            id: "a".into(),
            title: "A".into(),
            kind: ActionKind::Command {
                argv: argv.iter().map(|a| (*a).to_owned()).collect(),
            },
            confirm: true,
            timeout: Duration::from_secs(30),
            service: None,
            environment: None,
        }
    }

    #[test]
    fn only_templates_that_read_a_deploy_need_one() {
        let used = |argv: &[&str]| change_use(&command(argv));
        assert_eq!(
            used(&["/bin/restart", "{{ incident.id }}"]),
            ChangeUse::default(),
            "a restart runs whatever was deployed"
        );
        assert_eq!(
            used(&["/bin/deploy-info", "{{ change.commit }}"]),
            ChangeUse {
                any: true,
                previous_deploy_id: false
            }
        );
        for argv in [
            &["/bin/rollback", "{{ change.previous_deploy_id }}"][..],
            &[
                "/bin/rollback",
                "{% if change.previous_deploy_id %}x{% endif %}",
            ],
            &["/bin/dump", "{{ change }}"],
        ] {
            assert_eq!(
                used(argv),
                ChangeUse {
                    any: true,
                    previous_deploy_id: true
                },
                "{argv:?}"
            );
        }
    }

    #[test]
    fn an_unknown_field_is_an_error_not_an_empty_string() {
        let error =
            render("{{ incident.owner }}", Context::Text, &fields("x")).expect_err("unknown field");
        assert!(error.contains("incident.owner"), "{error}");
        assert_eq!(
            render("{{ change.id }}", Context::Text, &fields("x")).expect("renders"),
            ""
        );
    }
}
