//! The core sections: `[server]`, `[org]`, `[[severity]]` and `[engine]`.

use std::time::Duration;

use tocsin_core::Secret;

use crate::net::IpNet;

/// `[server]`: where tocsin listens and keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Address and port to listen on, like `"0.0.0.0:8080"`. `--listen` overrides it. Default
    /// `"127.0.0.1:8080"`.
    pub listen: String,
    /// Base of every link in a notification, like `"https://status.example.com"`; a trailing
    /// slash is removed. Default: `http://` followed by `listen`.
    pub public_url: String,
    /// Where incidents are stored: a `sqlite:` URL, like `"sqlite://data/tocsin.db"` (a relative
    /// path is resolved next to the configuration file), or a PostgreSQL URL, like
    /// `"postgres://tocsin@db.internal/tocsin?sslmode=verify-full"`, for several replicas on one
    /// database. `--database` (or `TOCSIN_DATABASE`) overrides it. Default
    /// `"sqlite://data/tocsin.db"`.
    pub database: String,
    /// Bootstrap API token (see spec/API.md); usually `"${TOCSIN_ADMIN_TOKEN}"`. An empty value
    /// means none.
    pub admin_token: Option<Secret>,
    /// SQLite durability: `"full"` (every committed change survives a power cut) or `"normal"`
    /// (faster; the last changes may be lost on a power cut, never corrupted). Default `"full"`.
    pub sqlite_synchronous: Synchronous,
    /// PostgreSQL only: connections this replica keeps open at most, from 2 to 100. Default `8`.
    pub database_pool: u32,
    /// PostgreSQL only: this replica's name, unique among the replicas of one database; the work
    /// it claims is leased in this name, and at start-up it takes back only what this name still
    /// holds. `--replica` (or `TOCSIN_REPLICA`) overrides it. Default: the machine's host name.
    pub replica: Option<String>,
    /// PostgreSQL only: how long claimed work (a due timer, a page to send, a replica's
    /// monitors) stays with the replica that claimed it without that replica renewing or
    /// finishing it, like `"15s"`, from 1 s to 5 min: how long work waits when a replica dies. A
    /// page being sent is held for the longest a send may take beyond it. A single node holds
    /// its claims longer, since nobody else would take them and a restart releases them at
    /// once. Default `"15s"`.
    pub lease: std::time::Duration,
    /// The reverse proxies in front of tocsin, each an address or a range, like `["10.0.0.5",
    /// "10.1.0.0/16"]`. A request from one of them counts as coming from the address its
    /// `X-Forwarded-For` header names (the rightmost one that is not itself a trusted proxy);
    /// from any other peer the header is ignored, so it cannot be forged to dodge the sign-in
    /// limits. Default: none (the connection's own address counts).
    pub trusted_proxies: Vec<IpNet>,
    /// Connections served at once, from 16 to 65536; past it, new connections wait in the
    /// kernel's queue until one closes. Lowered at start-up to leave 128 of the process's
    /// open-files limit (`ulimit -n`) for the database and outbound requests. Default `1024`.
    pub max_connections: u32,
    /// How long a client has to send a request's headers, like `"10s"`, from 1 s to 5 min; a
    /// connection that sends none in time, or stays idle that long between requests, is closed.
    /// Default `"10s"`.
    pub header_timeout: std::time::Duration,
    /// How long one request may take from its headers to tocsin's answer, reading its body
    /// included, like `"60s"`, from 1 s to 10 min; past it tocsin answers 408 and closes the
    /// connection. Running an `[[action]]` answers when it ends, so that request may take its
    /// action's `timeout` and 5 s more whatever this says. Default `"60s"`.
    pub request_timeout: std::time::Duration,
    /// Sign-in password checks run at once, from 1 to 64: each holds about 19 MiB for a
    /// fraction of a second. As many again wait their turn (a few seconds at most); past that,
    /// a sign-in is answered 429 with `Retry-After`. Default: twice the CPU cores, at most 16.
    pub sign_in_checks: Option<u32>,
}

/// SQLite's `synchronous` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// `"full"`: fsync on every commit.
    #[default]
    Full,
    /// `"normal"`: fsync at checkpoints only.
    Normal,
}

/// `[org]`: who runs this instance; the one section every configuration must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// The organisation's name, shown in notifications and on the status page. Required.
    pub name: String,
    /// IANA time zone for schedules, drills and times shown to people, like `"Asia/Riyadh"`.
    /// Default `"UTC"`.
    pub timezone: String,
    /// Languages of customer-facing text, like `["ar", "en"]`; the first is the default.
    /// Default `["en"]`.
    pub locales: Vec<String>,
}

impl Org {
    /// The default locale for customer-facing text (the first of `locales`).
    pub fn default_locale(&self) -> &str {
        self.locales.first().map(String::as_str).unwrap_or("en")
    }

    /// The organisation's time zone (validated when the configuration was loaded).
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// `[[severity]]`: one level of the severity table, most severe first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Severity {
    /// Identifier, like `"SEV-1"`. Required and unique.
    pub id: String,
    /// What this level means, in one line (shown when choosing a severity).
    pub definition: String,
    /// Acknowledgement target, like `"15m"`; a breach is a timeline event and escalates.
    /// Required.
    pub respond_within: Duration,
    /// Channels told when an incident of this level opens (and when it resolves). Team channels
    /// are told at once; customer-facing channels (those with an `audience`) follow `comms`.
    pub notify: Vec<String>,
    /// How customer-facing channels are told: `"auto"` sends at once, `"draft"` waits for a
    /// person to approve the text. Default `"auto"`.
    pub comms: Comms,
    /// What the affected status-page components show while an incident is open (`"none"` leaves
    /// them alone). Default `"none"`.
    pub status_page: ComponentImpact,
    /// Cadence of the "post an update" reminder to the incident's owner while it is open.
    pub update_every: Option<Duration>,
    /// When set, a post-mortem is required, due this long after resolution.
    pub postmortem_within: Option<Duration>,
    /// The runbook of incidents of this level whose monitor, integration and route name none
    /// (a runbook id).
    pub runbook: Option<String>,
    /// Whether incidents of this level page people through the escalation policy (`true`) or
    /// only tell their `notify` channels (`false`). Default: pages when `respond_within` is one
    /// hour or less.
    pub page: Option<bool>,
}

/// Without `page`, levels that must be answered within this long page people; slower ones only
/// tell channels (the runbook's SEV-3 "individual customer comms" and SEV-4 "ticket only").
pub const PAGING_TARGET: Duration = Duration::from_secs(3600);

impl Severity {
    /// True when incidents of this level page the on-call person: as `page` says, else when
    /// its `respond_within` is at most [`PAGING_TARGET`]. Levels that do not page tell their
    /// channels only, and never wake anyone. (Whether a level opens a ticket instead is
    /// `[tickets]`'s own check, not this one.)
    pub fn pages(&self) -> bool {
        self.page.unwrap_or(self.respond_within <= PAGING_TARGET)
    }

    /// What an open incident of this level shows for its status-page component (`"none"`:
    /// operational).
    pub fn component_status(&self) -> tocsin_core::status::ComponentStatus {
        tocsin_core::status::ComponentStatus::from_config(self.status_page.as_str())
            .unwrap_or(tocsin_core::status::ComponentStatus::Operational)
    }
}

/// How customer-facing channels are told about an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Comms {
    /// `"auto"`: sent at once.
    #[default]
    Auto,
    /// `"draft"`: waits for a person to approve the text.
    Draft,
}

/// A status-page component's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComponentImpact {
    /// `"none"`: operational / left alone.
    #[default]
    None,
    /// `"degraded_performance"`.
    DegradedPerformance,
    /// `"partial_outage"`.
    PartialOutage,
    /// `"major_outage"`.
    MajorOutage,
    /// `"under_maintenance"`.
    UnderMaintenance,
}

impl ComponentImpact {
    /// The value as written in the configuration and the status page API.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentImpact::None => "none",
            ComponentImpact::DegradedPerformance => "degraded_performance",
            ComponentImpact::PartialOutage => "partial_outage",
            ComponentImpact::MajorOutage => "major_outage",
            ComponentImpact::UnderMaintenance => "under_maintenance",
        }
    }
}

/// `[engine]`: incident grouping. The whole section is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engine {
    /// An alert (from a monitor or an integration) that fires again within this long after its
    /// incident resolved reopens that incident instead of opening a new one. Default `"1h"`.
    pub reopen_window: Duration,
    /// A new alert joins an open incident of the same integration, category and component that
    /// received an alert within this long, instead of opening another (one flood, one page).
    /// Alerts with the same key always join their open incident. Default `"5m"`.
    pub grouping_window: Duration,
    /// Requests per second each integration may send (a burst of twice as many is allowed);
    /// past it the sender is answered 429 with `Retry-After`. From 1 to 1000000. Default `2000`.
    pub integration_rate_limit: u32,
    /// Checks run at once against one host (the host of an HTTP monitor's `url`, of a TCP
    /// monitor's `host`), so a hundred monitors of one site never hit it all at the same
    /// instant. From 1 to 1000. Default `8`.
    pub probe_concurrency_per_host: u32,
    /// How long each check's raw result is kept, like `"1d"` (from `"1h"` to `"400d"`). Older
    /// results live on as five-minute (7 days), hourly (90 days) and daily (400 days)
    /// aggregates, and uptime comes from outage intervals (kept 400 days), so the database stays
    /// bounded: about 200 KB per 30-second monitor after 90 days. Until issue 14 the default was
    /// `"7d"`; setting it again keeps a week of raw results, about 430 KB more per such monitor.
    /// Default `"1d"`.
    pub keep_raw_checks: Duration,
}

impl Default for Engine {
    fn default() -> Self {
        Self {
            reopen_window: Duration::from_secs(3600),
            grouping_window: Duration::from_secs(300),
            integration_rate_limit: 2000,
            probe_concurrency_per_host: 8,
            keep_raw_checks: Duration::from_secs(24 * 3600),
        }
    }
}
