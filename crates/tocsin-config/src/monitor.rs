//! What is watched: `[[monitor]]`.

use std::collections::BTreeMap;
use std::time::Duration;

use tocsin_core::Secret;
use tocsin_core::check::{
    Check, DnsCheck, HttpCheck, JsonExpect, PostgresCheck, StatusRange, StatuspageCheck, TcpCheck,
    TlsCheck,
};

/// `[[monitor]]`: something checked on a schedule (or, for a heartbeat, expected to ping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitor {
    /// Identifier, like `"api-health"`. Required and unique.
    pub id: String,
    /// Display name, like `"API /healthz"`. Default: the id.
    pub name: String,
    /// What is checked (`type = "http" | "tcp" | "dns" | "tls" | "postgres" | "statuspage" |
    /// "heartbeat"`) and its settings. Required.
    pub kind: MonitorKind,
    /// Time between checks, like `"30s"` (at least 1s). Required; a heartbeat takes `every`
    /// instead, which becomes its interval.
    pub interval: Duration,
    /// How long one check may take before it counts as failed; at most `interval`. Default
    /// `"10s"`, or the `interval` when that is shorter.
    pub timeout: Duration,
    /// Consecutive failed checks (1 to 1000) before the monitor counts as down and its incident
    /// opens. Default 1.
    pub confirm: u32,
    /// After a failed check, while the failure is not yet confirmed (`confirm` > 1), the next
    /// check comes this soon instead of a whole `interval` later, like `"10s"`; at most
    /// `interval`. Default: the `interval`. Not for heartbeats.
    pub retry_interval: Duration,
    /// The `[[severity]]` id of the incident it opens. Required.
    pub severity: String,
    /// The category of the incident it opens (a `[[route]]` category: who is paged).
    pub category: Option<String>,
    /// The `[status_page]` component it affects.
    pub component: Option<String>,
    /// The runbook shown on its incidents (a runbook id).
    pub runbook: Option<String>,
}

/// A monitor's type and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorKind {
    /// `type = "http"`: a request whose answer must match `expect`.
    Http(HttpMonitor),
    /// `type = "tcp"`: a connection to `host` (connect only).
    Tcp {
        /// `"host:port"` to connect to. Required.
        host: String,
    },
    /// `type = "dns"`: a name that must resolve.
    Dns {
        /// The name to look up, like `"api.example.com"`. Required.
        query: String,
        /// Record type: `"A"`, `"AAAA"`, `"CNAME"`, `"MX"`, `"TXT"`, `"NS"`, `"SRV"`, `"CAA"`,
        /// `"PTR"` or `"SOA"`. Default `"A"`.
        record: String,
        /// `expect = { values = [...] }`: the answer must contain each of these; empty means any
        /// answer will do.
        expect_values: Vec<String>,
        /// The resolver to ask, `"ip"` or `"ip:port"` (port 53 when left out). Default: the
        /// system's.
        resolver: Option<String>,
    },
    /// `type = "tls"`: a TLS certificate that must not expire soon.
    Tls {
        /// `"host:port"` to connect to (port 443 when left out). Required.
        host: String,
        /// The check fails when the certificate expires within this long. Default `"14d"`.
        expires_within: Duration,
    },
    /// `type = "postgres"`: a database that must accept a connection and `SELECT 1`.
    Postgres {
        /// Connection string, `"postgres://..."` (a secret). Required.
        dsn: Secret,
    },
    /// `type = "statuspage"`: a vendor's Statuspage `/api/v2/status.json` indicator.
    Statuspage {
        /// The status.json URL. Required.
        url: String,
    },
    /// `type = "heartbeat"`: a job that must ping `/ping/<key>`; silent past `every` + `grace`
    /// means down.
    Heartbeat {
        /// The secret part of the ping URL (letters, digits, `-`, `_`, `.`, `~`). Required and
        /// unique.
        key: Secret,
        /// How often the job runs, like `"1d"`. Required.
        every: Duration,
        /// Extra time allowed after `every` before the monitor is down. Default `"0s"`.
        grace: Duration,
        /// With start/finish pings: a run taking longer than this counts as failed.
        max_runtime: Option<Duration>,
    },
}

impl MonitorKind {
    /// The `type` as written in the configuration.
    pub fn type_name(&self) -> &'static str {
        match self {
            MonitorKind::Http(_) => "http",
            MonitorKind::Tcp { .. } => "tcp",
            MonitorKind::Dns { .. } => "dns",
            MonitorKind::Tls { .. } => "tls",
            MonitorKind::Postgres { .. } => "postgres",
            MonitorKind::Statuspage { .. } => "statuspage",
            MonitorKind::Heartbeat { .. } => "heartbeat",
        }
    }
}

/// An HTTP monitor's request and what its answer must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMonitor {
    /// The URL to request (`http://` or `https://`). Required.
    pub url: String,
    /// HTTP method. Default `"GET"`.
    pub method: String,
    /// Extra request headers, like `{ Authorization = "Bearer ${TOKEN}" }`; their values are
    /// secrets, never shown. They are not sent on a redirect to another host.
    pub headers: BTreeMap<String, Secret>,
    /// `expect = { status = "200-299" }`: allowed status codes, a range `"200-299"`, a code
    /// `"204"`, several joined by commas, or an array of them. Default `"200-299"`.
    pub expect_status: Vec<StatusRange>,
    /// `expect = { body_contains = "ok" }`: the answer's body must contain this text.
    pub body_contains: Option<String>,
    /// The request body, sent as written (with `method = "POST"`, say).
    pub body: Option<String>,
    /// `expect = { body_regex = "build \\d+" }`: the answer's body (its first MiB) must match
    /// this regular expression (Rust `regex` syntax).
    pub body_regex: Option<String>,
    /// `expect = { json = { path = "$.status", equals = "ok" } }`: the answer must be JSON with
    /// this value at this dotted path (`$.status`, `data.items.0.state`; a number indexes an
    /// array). `equals` is compared with a string's text, or a number's, boolean's or null's
    /// JSON text (`"3"`, `"true"`).
    pub json: Option<JsonExpect>,
    /// A passing answer slower than this makes the monitor *degraded* (shown, never paged).
    /// Shorter than `timeout`.
    pub max_latency: Option<Duration>,
    /// Redirects followed (0 to 20); more fail the check. With 0 the redirect itself is the
    /// answer judged against `expect`. Default 5.
    pub max_redirects: usize,
    /// Whether the certificate of an `https://` URL must be valid (chain and hostname). Turn off
    /// only for a service with a self-signed certificate; a `tls` monitor can still watch its
    /// expiry. Default true.
    pub tls_verify: bool,
    /// Follow a redirect to another host than the `url`'s (`http://` to `https://` on the same
    /// host is always followed). The request sent there carries none of `headers`, which are
    /// for the monitored host only; without it such a redirect fails the check, saying where
    /// it pointed. Default false.
    pub follow_other_hosts: bool,
}

impl HttpMonitor {
    /// The check the prober runs.
    pub fn to_check(&self, timeout: Duration) -> HttpCheck {
        HttpCheck {
            url: self.url.clone(),
            method: self.method.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
            timeout,
            expect_status: self.expect_status.clone(),
            body_contains: self.body_contains.clone(),
            body_regex: self.body_regex.clone(),
            json: self.json.clone(),
            max_latency: self.max_latency,
            max_redirects: self.max_redirects,
            tls_verify: self.tls_verify,
            follow_other_hosts: self.follow_other_hosts,
        }
    }
}

impl Monitor {
    /// The check the prober runs for this monitor; `None` for a heartbeat, which is not probed
    /// but pinged.
    pub fn to_check(&self) -> Option<Check> {
        let timeout = self.timeout;
        Some(match &self.kind {
            MonitorKind::Http(http) => Check::Http(http.to_check(timeout)),
            MonitorKind::Tcp { host } => Check::Tcp(TcpCheck {
                host: host.clone(),
                timeout,
            }),
            MonitorKind::Dns {
                query,
                record,
                expect_values,
                resolver,
            } => Check::Dns(DnsCheck {
                query: query.clone(),
                record: record.clone(),
                expect_values: expect_values.clone(),
                resolver: resolver.clone(),
                timeout,
            }),
            MonitorKind::Tls {
                host,
                expires_within,
            } => Check::Tls(TlsCheck {
                host: host.clone(),
                expires_within: *expires_within,
                timeout,
            }),
            MonitorKind::Postgres { dsn } => Check::Postgres(PostgresCheck {
                dsn: dsn.clone(),
                timeout,
            }),
            MonitorKind::Statuspage { url } => Check::Statuspage(StatuspageCheck {
                url: url.clone(),
                timeout,
            }),
            MonitorKind::Heartbeat { .. } => return None,
        })
    }
}
