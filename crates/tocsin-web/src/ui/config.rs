//! `/config`: the loaded configuration, read-only, as tables a person can scan; admins only (it
//! maps every door and credential's place). Built field by field from what is safe to show:
//! secrets (tokens, webhook URLs, DSNs, passwords, signing keys) appear only as "set" or
//! "hidden", URLs lose their credentials and query strings, and every cell then goes through
//! the configuration's redactor, so a secret written where no one expected one (a `${file:…}`
//! in a monitor's path) is still `[redacted]`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;
use tocsin_config::{ChannelKind, Config, Target};
use tocsin_core::access::Role;
use tocsin_core::duration::format_duration;

use super::view::value;
use super::{SignedInUser, Ui};
use crate::AppState;

/// One table of the page.
#[derive(Debug, Serialize)]
struct Section {
    id: &'static str,
    title: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

fn section(
    id: &'static str,
    title: &'static str,
    columns: &[&'static str],
    rows: Vec<Vec<String>>,
) -> Section {
    Section {
        id,
        title,
        columns: columns.to_vec(),
        rows,
    }
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("—").to_owned()
}

fn set(present: bool) -> String {
    if present { "set (hidden)" } else { "not set" }.to_owned()
}

/// A URL's scheme, host and path, without credentials or query.
fn bare_url(url: &str) -> String {
    super::monitors::target(&tocsin_config::MonitorKind::Statuspage {
        url: url.to_owned(),
    })
}

/// A database URL without a password (a PostgreSQL URL may carry one).
fn database(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://…@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

fn sections(config: &Config) -> Vec<Section> {
    let server = &config.server;
    let mut all = vec![
        section(
            "config-server",
            "Server",
            &["setting", "value"],
            vec![
                vec!["listen".into(), server.listen.clone()],
                vec!["public URL".into(), server.public_url.clone()],
                vec!["database".into(), database(&server.database)],
                vec![
                    "admin token".into(),
                    set(server.admin_token.as_ref().is_some_and(|t| !t.is_empty())),
                ],
                vec![
                    "SQLite synchronous".into(),
                    format!("{:?}", server.sqlite_synchronous).to_lowercase(),
                ],
                vec!["organisation".into(), config.org.name.clone()],
                vec!["time zone".into(), config.org.timezone.clone()],
                vec!["locales".into(), config.org.locales.join(", ")],
                vec![
                    "grouping window".into(),
                    format_duration(config.engine.grouping_window),
                ],
                vec![
                    "reopen window".into(),
                    format_duration(config.engine.reopen_window),
                ],
                vec![
                    "integration rate limit".into(),
                    format!("{} / s", config.engine.integration_rate_limit),
                ],
            ],
        ),
        section(
            "config-severities",
            "Severities",
            &[
                "id",
                "definition",
                "respond within",
                "notify",
                "status page",
            ],
            config
                .severities
                .iter()
                .map(|s| {
                    vec![
                        s.id.clone(),
                        s.definition.clone(),
                        format_duration(s.respond_within),
                        s.notify.join(", "),
                        s.status_page.as_str().to_owned(),
                    ]
                })
                .collect(),
        ),
        section(
            "config-monitors",
            "Monitors",
            &[
                "id",
                "name",
                "type",
                "watches",
                "every",
                "timeout",
                "confirm",
                "severity",
                "component",
            ],
            config
                .monitors
                .iter()
                .map(|m| {
                    vec![
                        m.id.clone(),
                        m.name.clone(),
                        m.kind.type_name().to_owned(),
                        super::monitors::target(&m.kind),
                        format_duration(m.interval),
                        format_duration(m.timeout),
                        m.confirm.to_string(),
                        m.severity.clone(),
                        or_dash(m.component.as_deref()),
                    ]
                })
                .collect(),
        ),
        section(
            "config-channels",
            "Channels",
            &["id", "type", "sends to"],
            config
                .channels
                .iter()
                .map(|c| {
                    let to = match &c.kind {
                        ChannelKind::Slack { .. } => "a Slack incoming webhook (URL hidden)".into(),
                        ChannelKind::SlackApp(app) => format!(
                            "Slack channel {} through the app at {} (token hidden)",
                            app.channel,
                            bare_url(&app.api_url)
                        ),
                        ChannelKind::Email { audience, template } => format!(
                            "e-mail to {}{}",
                            audience.map_or("the people paged", |a| match a {
                                tocsin_config::Audience::Subscribers => "subscribers",
                                tocsin_config::Audience::Affected => "affected customers",
                            }),
                            template
                                .as_ref()
                                .map(|t| format!(", template {t}"))
                                .unwrap_or_default()
                        ),
                        ChannelKind::Webhook { url, secret } => format!(
                            "{} ({})",
                            bare_url(url),
                            if secret.is_some() {
                                "signed"
                            } else {
                                "unsigned"
                            }
                        ),
                        ChannelKind::Sms(sms) => format!(
                            "SMS through {} from {} (credentials hidden)",
                            sms.provider.as_str(),
                            sms.from
                        ),
                        ChannelKind::Http(http) => {
                            format!("{} {} (headers hidden)", http.method, bare_url(&http.url))
                        }
                    };
                    vec![c.id.clone(), c.kind.type_name().to_owned(), to]
                })
                .collect(),
        ),
        section(
            "config-contacts",
            "Contacts",
            &["id", "name", "title", "kind"],
            config
                .contacts
                .iter()
                .map(|c| {
                    vec![
                        c.id.clone(),
                        c.name.clone(),
                        or_dash(c.title.as_deref()),
                        if c.external { "outside party" } else { "team" }.to_owned(),
                    ]
                })
                .collect(),
        ),
        section(
            "config-schedules",
            "Schedules",
            &["id", "time zone", "turns", "hand-off", "on call", "members"],
            config
                .schedules
                .iter()
                .flat_map(|s| {
                    // One row per layer; a later layer wins in its hours.
                    s.layers.iter().enumerate().map(move |(at, layer)| {
                        let id = if s.layers.len() > 1 {
                            format!("{} (layer {})", s.id, at + 1)
                        } else {
                            s.id.clone()
                        };
                        vec![
                            id,
                            s.timezone.clone(),
                            format_duration(layer.every),
                            layer.handoff.to_string(),
                            layer.hours(),
                            layer.members.join(", "),
                        ]
                    })
                })
                .collect(),
        ),
        section(
            "config-escalations",
            "Escalation policies",
            &["id", "steps", "repeat"],
            config
                .escalations
                .iter()
                .map(|e| {
                    let steps = e
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(index, step)| {
                            let targets: Vec<String> = step
                                .targets
                                .iter()
                                .map(|target| match target {
                                    Target::Schedule(id) => format!("on call in {id}"),
                                    Target::Contact(id) => id.clone(),
                                })
                                .collect();
                            format!(
                                "{}. {} (next after {})",
                                index + 1,
                                targets.join(" + "),
                                format_duration(step.after)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    vec![e.id.clone(), steps, e.repeat.to_string()]
                })
                .collect(),
        ),
        section(
            "config-routes",
            "Routes",
            &["category", "title", "escalation", "call"],
            config
                .routes
                .iter()
                .map(|r| {
                    vec![
                        r.category.clone(),
                        r.title.clone(),
                        or_dash(r.escalation.as_deref()),
                        r.call.join(", "),
                    ]
                })
                .collect(),
        ),
        // Label routes: tried in file order before the category routes above.
        section(
            "config-label-routes",
            "Label routes",
            &["match", "title", "escalation", "call"],
            config
                .label_routes
                .iter()
                .map(|r| {
                    vec![
                        r.matchers
                            .text()
                            .iter()
                            .map(|(label, value)| format!("{label}={value}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        r.title.clone(),
                        or_dash(r.escalation.as_deref()),
                        r.call.join(", "),
                    ]
                })
                .collect(),
        ),
        section(
            "config-integrations",
            "Integrations",
            &[
                "id",
                "type",
                "credential",
                "severity",
                "category",
                "component",
            ],
            config
                .integrations
                .iter()
                .map(|i| {
                    vec![
                        i.id.clone(),
                        i.kind.type_name().to_owned(),
                        "set (hidden)".to_owned(),
                        or_dash(i.severity.as_deref()),
                        or_dash(i.category.as_deref()),
                        or_dash(i.component.as_deref()),
                    ]
                })
                .collect(),
        ),
        section(
            "config-runbooks",
            "Runbooks",
            &["id", "title", "severity"],
            config
                .runbooks
                .iter()
                .map(|r| {
                    vec![
                        r.id.clone(),
                        r.title.clone(),
                        or_dash(r.severity.as_deref()),
                    ]
                })
                .collect(),
        ),
    ];
    if let Some(smtp) = &config.smtp {
        all.push(section(
            "config-smtp",
            "E-mail (SMTP)",
            &["setting", "value"],
            vec![
                vec!["server".into(), format!("{}:{}", smtp.host, smtp.port)],
                vec!["from".into(), smtp.from.clone()],
                vec!["user".into(), or_dash(smtp.username.as_deref())],
                vec!["password".into(), set(smtp.password.is_some())],
                vec!["TLS".into(), format!("{:?}", smtp.tls).to_lowercase()],
            ],
        ));
    }
    if let Some(page) = &config.status_page {
        all.push(section(
            "config-status-page",
            "Status page",
            &["title", "locale", "components"],
            vec![vec![
                page.title.clone(),
                page.locale.clone(),
                page.components
                    .iter()
                    .map(|c| format!("{} ({})", c.name, c.id))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]],
        ));
    }
    all
}

pub async fn page(
    State(state): State<AppState>,
    Extension(ui): Extension<Arc<Ui>>,
    user: SignedInUser,
) -> Response {
    if user.role != Role::Admin {
        return ui.message(
            StatusCode::FORBIDDEN,
            Some(&user),
            "Only admins can read the configuration",
            "The configuration page shows every integration, channel and credential's place. Ask an admin.",
        );
    }
    let config = state.engine.config();
    let mut sections = sections(&config);
    for cell in sections
        .iter_mut()
        .flat_map(|section| section.rows.iter_mut().flatten())
    {
        *cell = config.redactor.scrub(cell);
    }
    ui.page(
        StatusCode::OK,
        &user,
        "config",
        "ui/config.html",
        context! {
            path => config.path.display().to_string(),
            summary => config.summary(),
            sections => value(sections),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_not_shown() {
        assert_eq!(
            database("postgres://tocsin:hunter2@db.internal/tocsin"),
            "postgres://…@db.internal/tocsin"
        );
        assert_eq!(
            database("sqlite://data/tocsin.db"),
            "sqlite://data/tocsin.db"
        );
    }
}
