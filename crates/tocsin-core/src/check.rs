//! What a probe is asked to check and what it found: plain data shared by the prober and the engine.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// An inclusive range of HTTP status codes, as written `"200-299"` or `"204"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRange {
    pub low: u16,
    pub high: u16,
}

impl StatusRange {
    pub const SUCCESS: StatusRange = StatusRange {
        low: 200,
        high: 299,
    };

    pub fn contains(&self, status: u16) -> bool {
        (self.low..=self.high).contains(&status)
    }

    /// Parses `"200-299"`, `"200"`, or several joined by commas is the caller's job.
    pub fn parse(text: &str) -> Option<StatusRange> {
        let text = text.trim();
        let (low, high) = match text.split_once('-') {
            Some((low, high)) => (low.trim().parse().ok()?, high.trim().parse().ok()?),
            None => {
                let code = text.parse().ok()?;
                (code, code)
            }
        };
        ((100..=599).contains(&low) && (100..=599).contains(&high) && low <= high)
            .then_some(StatusRange { low, high })
    }
}

/// Any check a probe can run, as data: what to ask and what counts as healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Http(HttpCheck),
    Tcp(TcpCheck),
    Dns(DnsCheck),
    Tls(TlsCheck),
    Postgres(PostgresCheck),
    Statuspage(StatuspageCheck),
}

impl Check {
    /// How long the whole check may take before it counts as failed.
    pub fn timeout(&self) -> Duration {
        match self {
            Check::Http(check) => check.timeout,
            Check::Tcp(check) => check.timeout,
            Check::Dns(check) => check.timeout,
            Check::Tls(check) => check.timeout,
            Check::Postgres(check) => check.timeout,
            Check::Statuspage(check) => check.timeout,
        }
    }
}

/// Redirects an HTTP check follows unless told otherwise: enough for `http→https` plus a login
/// or trailing-slash hop, few enough that a redirect loop fails fast.
pub const DEFAULT_MAX_REDIRECTS: usize = 5;

/// One HTTP check: a request and what its answer must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCheck {
    pub url: String,
    pub method: String,
    /// Request headers; their values are secrets (they usually carry tokens).
    pub headers: BTreeMap<String, crate::Secret>,
    /// The request body, sent as written.
    pub body: Option<String>,
    pub timeout: Duration,
    /// The answer's status must fall in one of these ranges.
    pub expect_status: Vec<StatusRange>,
    /// When set, the answer's body must contain this text.
    pub body_contains: Option<String>,
    /// When set, the answer's body must match this regular expression (already validated).
    pub body_regex: Option<String>,
    /// When set, the answer's body must be JSON with this value at this path.
    pub json: Option<JsonExpect>,
    /// A healthy answer slower than this counts as degraded, not down.
    pub max_latency: Option<Duration>,
    /// Redirects followed before the check fails; 0 means a redirect is the answer judged.
    pub max_redirects: usize,
    /// Whether the server's certificate must be valid (chain and hostname).
    pub tls_verify: bool,
    /// Whether a redirect may lead to another host; without it such a redirect fails the
    /// check. Either way, `headers` are never sent to another host.
    pub follow_other_hosts: bool,
}

/// `expect.json`: a value that must be found at a path in a JSON answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonExpect {
    /// A dotted path like `$.status` or `data.items.0.state` (array indexes are numbers).
    pub path: String,
    /// The value there, compared with a JSON string's text, or with the JSON text of a number,
    /// boolean or null (`"200"`, `"true"`).
    pub equals: String,
}

/// A TCP connect to `host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpCheck {
    pub host: String,
    pub timeout: Duration,
}

/// A DNS lookup whose answer must contain some values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsCheck {
    pub query: String,
    /// `A`, `AAAA`, `CNAME`, `MX`, `TXT`, `NS`, `SRV`, `CAA`, `PTR` or `SOA`.
    pub record: String,
    /// Each must appear in the answer; empty means any non-empty answer passes.
    pub expect_values: Vec<String>,
    /// `ip` or `ip:port`; `None` asks the system's resolvers.
    pub resolver: Option<String>,
    pub timeout: Duration,
}

/// A TLS handshake whose certificate must be valid and not expire soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsCheck {
    /// `host` or `host:port` (443 by default).
    pub host: String,
    /// Fail when the leaf certificate expires within this long.
    pub expires_within: Duration,
    pub timeout: Duration,
}

/// A PostgreSQL connection and `SELECT 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresCheck {
    pub dsn: Secret,
    pub timeout: Duration,
}

/// A vendor's Statuspage `/api/v2/status.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatuspageCheck {
    pub url: String,
    pub timeout: Duration,
}

/// The result of one check, as stored and as fed to the monitor logic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub ok: bool,
    /// The HTTP status, when an answer came back.
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// Why the check failed, in one line an on-call engineer can act on (`timed out after 10s`,
    /// `status 503, expected 200-299`, `connection refused`).
    pub error: Option<String>,
    /// Set on a passing check that is not fully healthy (slower than `max_latency`, a vendor
    /// reporting a minor outage): why, in one line. The monitor shows *degraded*; nobody is paged.
    #[serde(default)]
    pub degraded: Option<String>,
}

impl CheckOutcome {
    /// A passing check.
    pub fn up(status: Option<u16>, latency_ms: u64) -> Self {
        CheckOutcome {
            ok: true,
            status,
            latency_ms,
            error: None,
            degraded: None,
        }
    }

    /// A failing check, with what an on-call engineer looks at first.
    pub fn down(status: Option<u16>, latency_ms: u64, error: impl Into<String>) -> Self {
        CheckOutcome {
            ok: false,
            status,
            latency_ms,
            error: Some(error.into()),
            degraded: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StatusRange;

    #[test]
    fn parses_ranges_and_single_codes() {
        assert_eq!(StatusRange::parse("200-299"), Some(StatusRange::SUCCESS));
        assert_eq!(
            StatusRange::parse("204"),
            Some(StatusRange {
                low: 204,
                high: 204
            })
        );
        assert_eq!(StatusRange::parse("299-200"), None);
        assert_eq!(StatusRange::parse("abc"), None);
        assert_eq!(StatusRange::parse("1000"), None);
    }
}
