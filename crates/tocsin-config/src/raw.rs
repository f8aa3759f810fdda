//! The document as read, before validation: every key optional, every value in its TOML shape
//! (durations and enums are still strings). Unknown keys are collected by `serde_ignored`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::value::Datetime;

use crate::field::{Expected, Field, OneOrMany, Shape};

type Str = Field<String>;
type Int = Field<i64>;
type Bool = Field<bool>;
type List = Field<Vec<String>>;
type Map = Field<BTreeMap<String, String>>;
type DateTime = Field<Datetime>;

macro_rules! raw_tables {
    ($($name:ident),* $(,)?) => {$(
        impl Expected for $name {
            const SHAPE: Shape = Shape::Table;
        }
        impl Expected for Vec<$name> {
            const SHAPE: Shape = Shape::TableArray;
        }
    )*};
}

raw_tables!(
    RawRoot,
    RawServer,
    RawOrg,
    RawSeverity,
    RawContact,
    RawSchedule,
    RawRotation,
    RawEscalation,
    RawStep,
    RawRoute,
    RawSmtp,
    RawChannel,
    RawTemplate,
    RawMonitor,
    RawExpect,
    RawJsonExpect,
    RawIntegration,
    RawRunbooks,
    RawStatusPage,
    RawComponent,
    RawPostmortem,
    RawReview,
    RawDrill,
    RawAction,
    RawEngine,
    RawFrontMatter,
    RawMaintenance,
    RawWatchdog,
    RawSelfMonitoring,
    RawLayer,
    RawTickets,
);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawRoot {
    pub server: Field<RawServer>,
    pub org: Field<RawOrg>,
    pub severity: Field<Vec<RawSeverity>>,
    pub contact: Field<Vec<RawContact>>,
    pub schedule: Field<Vec<RawSchedule>>,
    pub escalation: Field<Vec<RawEscalation>>,
    pub route: Field<Vec<RawRoute>>,
    pub smtp: Field<RawSmtp>,
    pub channel: Field<Vec<RawChannel>>,
    pub template: Field<Vec<RawTemplate>>,
    pub monitor: Field<Vec<RawMonitor>>,
    pub integration: Field<Vec<RawIntegration>>,
    pub runbooks: Field<RawRunbooks>,
    pub status_page: Field<RawStatusPage>,
    pub postmortem: Field<RawPostmortem>,
    pub drill: Field<RawDrill>,
    pub action: Field<Vec<RawAction>>,
    pub engine: Field<RawEngine>,
    pub maintenance: Field<Vec<RawMaintenance>>,
    pub watchdog: Field<RawWatchdog>,
    pub self_monitoring: Field<RawSelfMonitoring>,
    pub tickets: Field<RawTickets>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawServer {
    pub listen: Str,
    pub public_url: Str,
    pub database: Str,
    pub admin_token: Str,
    pub sqlite_synchronous: Str,
    pub database_pool: Int,
    pub replica: Str,
    pub lease: Str,
    pub trusted_proxies: List,
    pub max_connections: Int,
    pub header_timeout: Str,
    pub request_timeout: Str,
    pub sign_in_checks: Int,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawOrg {
    pub name: Str,
    pub timezone: Str,
    pub locales: List,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawSeverity {
    pub id: Str,
    pub definition: Str,
    pub respond_within: Str,
    pub notify: List,
    pub comms: Str,
    pub status_page: Str,
    pub update_every: Str,
    pub postmortem_within: Str,
    pub runbook: Str,
    pub page: Bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawContact {
    pub id: Str,
    pub name: Str,
    pub title: Str,
    pub email: Str,
    pub phone: Str,
    pub methods: List,
    pub verified_on: Field<Datetime>,
    pub external: Bool,
    pub url: Str,
    pub slack: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawSchedule {
    pub id: Str,
    pub timezone: Str,
    pub rotation: Field<RawRotation>,
    pub layers: Field<Vec<RawLayer>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawRotation {
    pub members: List,
    pub every: Str,
    pub handoff: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawLayer {
    pub members: List,
    pub every: Str,
    pub handoff: Str,
    pub days: List,
    pub until: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawEscalation {
    pub id: Str,
    pub repeat: Int,
    pub steps: Field<Vec<RawStep>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawStep {
    pub targets: List,
    pub after: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawRoute {
    pub category: Str,
    pub title: Str,
    pub escalation: Str,
    pub call: List,
    pub runbook: Str,
    /// A label route's matchers (`validate/label_routes.rs`); such a route has no `category`.
    #[serde(rename = "match")]
    pub matches: Map,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawSmtp {
    pub host: Str,
    pub port: Int,
    pub username: Str,
    pub password: Str,
    pub from: Str,
    pub tls: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawChannel {
    pub id: Str,
    #[serde(rename = "type")]
    pub kind: Str,
    pub webhook_url: Str,
    pub signing_secret: Str,
    pub audience: Str,
    pub template: Str,
    pub url: Str,
    pub secret: Str,
    pub provider: Str,
    pub account: Str,
    pub token: Str,
    pub from: Str,
    pub api_url: Str,
    pub method: Str,
    pub headers: Map,
    pub body: Str,
    pub bot_token: Str,
    pub channel: Str,
    pub incident_channels: List,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawTemplate {
    pub id: Str,
    pub locale: Str,
    pub subject: Str,
    pub body: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawMonitor {
    pub id: Str,
    pub name: Str,
    #[serde(rename = "type")]
    pub kind: Str,
    pub interval: Str,
    pub timeout: Str,
    pub confirm: Int,
    pub retry_interval: Str,
    pub severity: Str,
    pub category: Str,
    pub component: Str,
    pub runbook: Str,
    pub url: Str,
    pub method: Str,
    pub headers: Map,
    pub expect: Field<RawExpect>,
    pub host: Str,
    pub query: Str,
    pub record: Str,
    pub resolver: Str,
    pub expires_within: Str,
    pub dsn: Str,
    pub key: Str,
    pub every: Str,
    pub grace: Str,
    pub max_runtime: Str,
    pub body: Str,
    pub max_latency: Str,
    pub max_redirects: Int,
    pub tls_verify: Bool,
    pub follow_other_hosts: Bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawExpect {
    pub status: Field<OneOrMany>,
    pub body_contains: Str,
    pub values: List,
    pub body_regex: Str,
    pub json: Field<RawJsonExpect>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawJsonExpect {
    pub path: Str,
    pub equals: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawIntegration {
    pub id: Str,
    #[serde(rename = "type")]
    pub kind: Str,
    pub secret: Str,
    pub key: Str,
    pub token: Str,
    pub severity: Str,
    pub category: Str,
    pub component: Str,
    pub runbook: Str,
    pub severity_map: Map,
    pub severity_label: Str,
    pub expect_every: Str,
}

/// `[runbooks]`: the folder of markdown runbooks. Without the section, a `runbooks` folder next
/// to the configuration file is read if it exists.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawRunbooks {
    /// The folder, relative to the configuration file; each `*.md` in it is a runbook, read in
    /// file name order. With `[runbooks]` written, a missing folder is an error. Default
    /// `"runbooks"`.
    pub dir: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawStatusPage {
    pub title: Str,
    pub locale: Str,
    pub components: Field<Vec<RawComponent>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawComponent {
    pub id: Str,
    pub name: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawPostmortem {
    pub required_for: List,
    pub repository: Str,
    pub dir: Str,
    pub file: Str,
    pub sections: List,
    pub review: Field<RawReview>,
    pub git: Bool,
    pub push: Bool,
    pub remote: Str,
    pub branch: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawReview {
    pub every: Str,
    pub at: Str,
    pub channel: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawDrill {
    pub schedule: Str,
    pub report_to: Str,
    pub contacts_verified_within: Str,
    pub confirm_within: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawAction {
    pub id: Str,
    pub title: Str,
    #[serde(rename = "type")]
    pub kind: Str,
    pub method: Str,
    pub url: Str,
    pub headers: Map,
    pub body: Str,
    pub argv: List,
    pub confirm: Bool,
    pub timeout: Str,
    pub service: Str,
    pub environment: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawEngine {
    pub reopen_window: Str,
    pub grouping_window: Str,
    pub integration_rate_limit: Int,
    pub probe_concurrency_per_host: Int,
    pub keep_raw_checks: Str,
}

/// A runbook's front matter (the TOML between its `+++` lines).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawFrontMatter {
    pub id: Str,
    pub title: Str,
    pub likely_cause: Str,
    pub severity: Str,
    #[serde(rename = "match")]
    pub match_rules: List,
}

/// `[[maintenance]]`: a window during which the monitors it covers do not page and the status
/// page shows their components as under maintenance (see docs/maintenance.md). One-off
/// (`from`, `until`) or recurring (`schedule`, `duration`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawMaintenance {
    /// Identifier, like `"db-upgrade"`. Required and unique.
    pub id: Str,
    /// What is being done, shown on the status page. Default: the id.
    pub title: Str,
    /// Monitor ids it covers. At least one of `monitors` and `components` is required.
    pub monitors: List,
    /// Status-page component ids it covers: every monitor of each, and the component itself.
    pub components: List,
    /// One-off: the start, with its offset, like `2026-12-01T02:00:00+03:00`. Required with
    /// `until`.
    pub from: DateTime,
    /// One-off: the end (exclusive), after `from`. Required with `from`.
    pub until: DateTime,
    /// Recurring: when each window starts, as 5-field cron in the organisation's time zone, like
    /// `"0 2 * * 0"` (Sundays 02:00). Required with `duration`.
    pub schedule: Str,
    /// Recurring: how long each window lasts, at most `"7d"`. Required with `schedule`.
    pub duration: Str,
}

// ── watching the watcher ──
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawWatchdog {
    pub url: Str,
    pub every: Str,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawSelfMonitoring {
    pub severity: Str,
    pub outbox_age: Str,
    pub probe_lag: Str,
    pub disk_free_below_mb: Int,
}

/// `[tickets]`: where severities listed in `severities` open a ticket instead of paging, and
/// where a published post-mortem's action items become tickets (docs/integrations/tickets.md).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawTickets {
    /// `"github"` (issues in `repo`) or `"webhook"` (a JSON `POST` to `url`). Required.
    #[serde(rename = "type")]
    pub kind: Str,
    /// GitHub: the repository, `owner/name`. Required.
    pub repo: Str,
    /// GitHub: a token that may write the repository's issues (`Authorization: Bearer`), like
    /// `"${GITHUB_TOKEN}"`. Required; a secret.
    pub token: Str,
    /// GitHub: the REST API's root. Default `"https://api.github.com"`.
    pub api_url: Str,
    /// Webhook: where each ticket is posted. Required.
    pub url: Str,
    /// Webhook: a Standard Webhooks secret (`whsec_…`) the posts are signed with. Optional.
    pub secret: Str,
    /// `[[severity]]` ids whose incidents open a ticket and page nobody, like `["SEV-4"]`.
    /// Default: none.
    pub severities: List,
}
