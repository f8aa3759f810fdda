//! Mitigation actions (`[[action]]`): a person asks, the request is committed with who asked
//! (`action_requested`), then the action runs — an HTTP request or a program started directly
//! from its argv, never through a shell — bounded by its timeout, and its result is committed
//! (`action_succeeded` / `action_failed` with the status and the output, truncated).
//!
//! Templated values come only from known fields (`incident.*`, `change.*`) and are escaped for
//! where they land: JSON-escaped in a JSON body, percent-encoded in a URL, and in an argv each
//! element is rendered on its own and passed as one argument, whatever it contains.

use std::time::Duration;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;
use tocsin_config::{Action, ActionKind};
use tocsin_core::decide::Refusal;
use tocsin_core::inbound::ChangeKind;
use tocsin_core::incident::{EventKind, Incident, TimelineEvent};
use tocsin_store::{ActionRun, RunStatus};

use crate::{Engine, EngineError};

/// Output kept in the timeline and the run record.
const OUTPUT_LIMIT: usize = 4096;

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

/// `change.*`: the last deploy at or before the incident opened.
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
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // An argument or body is passed exactly as written, final newline included.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
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
            .action_client
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

    /// The values templates may use for this incident.
    async fn action_fields(&self, incident: &Incident) -> Result<Value, EngineError> {
        let deploys = self.store.changes(Some(ChangeKind::Deploy), 50).await?;
        let mut before = deploys
            .iter()
            .filter(|record| record.change.occurred_at <= incident.opened_at);
        let change = match before.next() {
            Some(last) => ChangeView {
                id: last.change.external_id.clone(),
                previous_deploy_id: before.next().and_then(|p| p.change.external_id.clone()),
                service: last.change.service.clone(),
                environment: last.change.environment.clone(),
                commit: last.change.commit.clone(),
                branch: last.change.branch.clone(),
                author: last.change.author.clone(),
                status: last.change.status.clone(),
                url: last.change.url.clone(),
                summary: Some(last.change.summary.clone()),
            },
            None => ChangeView::default(),
        };
        Ok(Value::from(minijinja::value::Serde(Fields {
            incident: IncidentView {
                id: incident.id.clone(),
                title: incident.title.clone(),
                severity: incident.severity.clone(),
                category: incident.category.clone(),
                component: incident.component.clone(),
            },
            change,
        })))
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
        let action =
            self.config.action(action_id).cloned().ok_or_else(|| {
                Refusal::Invalid(format!("no action `{action_id}` is configured"))
            })?;
        let incident = self
            .store
            .situation_for_incident(incident_id)
            .await?
            .incident
            .ok_or_else(|| EngineError::NoIncident(incident_id.to_owned()))?;
        if action.confirm && !confirmed {
            return Err(Refusal::Invalid(format!(
                "the action `{}` ({}) needs confirmation: nothing ran; confirm to run it",
                action.id, action.title
            ))
            .into());
        }
        let fields = self.action_fields(&incident).await?;
        let prepared = prepare(&action, &fields).map_err(Refusal::Invalid)?;
        let now = self.now();
        let mut run = ActionRun {
            id: uuid::Uuid::now_v7().to_string(),
            incident_id: incident.id.clone(),
            action_id: action.id.clone(),
            requested_by: actor.to_owned(),
            requested_at: now,
            what: prepared.describe(),
            status: RunStatus::Running,
            exit_status: None,
            output: None,
            finished_at: None,
        };
        let requested = TimelineEvent {
            incident_id: incident.id.clone(),
            at: now,
            kind: EventKind::ActionRequested,
            actor: actor.to_owned(),
            text: format!("Ran the action “{}”", action.title),
            data: serde_json::json!({ "action": action.id, "run": run.id, "what": run.what }),
        };
        self.store.record_action_requested(&run, &requested).await?;
        self.bump_generation();
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
            let at = engine.now();
            run.status = if ended.ok {
                RunStatus::Succeeded
            } else {
                RunStatus::Failed
            };
            run.exit_status = ended.exit_status;
            run.output = Some(ended.output.clone());
            run.finished_at = Some(at);
            let event = TimelineEvent {
                incident_id: run.incident_id.clone(),
                at,
                kind: if ended.ok {
                    EventKind::ActionSucceeded
                } else {
                    EventKind::ActionFailed
                },
                actor: "tocsin".into(),
                text: format!(
                    "The action “{}” {}: {}",
                    action.title,
                    if ended.ok { "succeeded" } else { "failed" },
                    ended.summary
                ),
                data: serde_json::json!({
                    "action": action.id,
                    "run": run.id,
                    "exit_status": ended.exit_status,
                    "output": ended.output,
                }),
            };
            engine.store.record_action_result(&run, &event).await?;
            engine.bump_generation();
            Ok::<_, EngineError>(run)
        });
        task.await.map_err(|error| {
            EngineError::Unavailable(format!("the action's task failed: {error}"))
        })?
    }

    /// The configured actions, for buttons and the API.
    pub fn actions(&self) -> &[Action] {
        &self.config.actions
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
