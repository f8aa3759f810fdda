//! tocsin-config: loads the configuration file (and its runbooks folder) into typed, validated
//! structures, reporting every problem with its file:line:column.
//!
//! Three phases: the TOML is parsed keeping spans (`read`), deserialized into raw structs that
//! collect unknown keys (`raw`), then validated into the final types (`validate`).

#![warn(missing_docs)]

mod channels;
mod config;
mod cron;
mod error;
mod expand;
mod extras;
mod field;
mod integration;
pub mod knowledge;
mod label_route;
mod maintenance;
mod monitor;
mod net;
mod ops;
mod people;
mod proxy;
mod raw;
mod read;
#[doc(hidden)]
pub mod reference;
pub mod repository;
mod runbook;
mod schema;
mod secret_values;
mod spans;
mod tickets;
mod types;
mod validate;

use std::path::Path;

pub use channels::{
    Audience, Channel, ChannelKind, HttpChannel, SlackApp, SmsChannel, SmsProvider, Smtp, SmtpTls,
    Template,
};
pub use config::Config;
pub use cron::{Cron, CronError};
pub use error::{ConfigError, ConfigErrors, ConfigWarning};
pub use expand::{Env, ExpandError, expand};
pub use extras::{Action, ActionKind, Component, Drill, Postmortem, Review, StatusPage};
pub use integration::{Integration, IntegrationKind};
pub use label_route::LabelRoute;
pub use maintenance::{Maintenance, MaintenanceWhen, Window};
pub use monitor::{HttpMonitor, Monitor, MonitorKind};
pub use net::IpNet;
pub use ops::{SelfMonitoring, Watchdog};
pub use people::{
    Contact, ContactMethod, Escalation, EscalationStep, Handoff, Layer, Rotation, Route, Schedule,
    Target, WeeklyTime,
};
pub use proxy::OutboundProxy;
pub use runbook::{ChangeKind, Directive, DirectiveKind, Runbook};
pub use tickets::{Tickets, Tracker};
pub use types::{Comms, ComponentImpact, Engine, Org, Server, Severity, Synchronous};

use raw::RawRoot;

/// Loads the configuration file at `path` and the runbooks folder next to it. `env` answers
/// `${NAME}` look-ups (pass `&|name| std::env::var(name).ok()` for the process environment).
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigErrors> {
    match std::fs::read_to_string(path) {
        Ok(text) => load_str(&text, path, env),
        Err(error) => Err(ConfigErrors(vec![ConfigError::whole_file(
            path,
            format!("cannot read the configuration file: {error}"),
        )])),
    }
}

/// Loads a configuration from `text`, as if read from `path`: the runbooks folder is resolved
/// relative to `path`'s parent. A missing folder is an error only when `[runbooks]` is present.
pub fn load_str(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let (mut ctx, raw) = read::read::<RawRoot>(path.to_path_buf(), text, 0, text, env, false);
    let Some(raw) = raw else {
        return Err(finish(ctx.errors, Vec::new()));
    };
    let base = path.parent().unwrap_or_else(|| Path::new(""));
    let mut files = validate::runbooks::load_folder(&mut ctx, &raw.runbooks, base, env);
    let mut config = validate::validate(&mut ctx, &raw, path, &mut files);
    config.outbound_proxy = OutboundProxy::from_env(env);
    for url in [&config.outbound_proxy.http, &config.outbound_proxy.https]
        .into_iter()
        .flatten()
    {
        for secret in tocsin_core::redact::url_secrets(url.expose()) {
            config.redactor.add(&secret);
        }
    }
    let runbook_errors = files.into_iter().map(|file| file.ctx.errors).collect();
    let errors = finish(ctx.errors, runbook_errors);
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

/// [`load`] with the process environment.
pub fn load_from_env(path: &Path) -> Result<Config, ConfigErrors> {
    load(path, &|name| std::env::var(name).ok())
}

/// Orders the problems: the configuration file first, then each runbook, each by position.
fn finish(main: Vec<ConfigError>, runbooks: Vec<Vec<ConfigError>>) -> ConfigErrors {
    let mut all = Vec::new();
    for mut errors in std::iter::once(main).chain(runbooks) {
        errors.sort_by_key(|error| (error.line, error.column));
        all.extend(errors);
    }
    ConfigErrors(all)
}

/// Whether `name` may name a replica (`server.replica`, `--replica`): 1 to 64 letters, digits,
/// `-`, `_`, `.` or `:`, so it reads plainly in leases and logs.
pub fn is_replica_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}
