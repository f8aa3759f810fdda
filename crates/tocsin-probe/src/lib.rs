//! tocsin-probe: runs checks against the services tocsin watches and reports what it found.
//!
//! One module per check kind. Each takes its check as data and returns a
//! [`tocsin_core::check::CheckOutcome`]; none reads the clock except to measure latency, and none
//! panics on what the network sends. [`run`] dispatches any [`Check`].

pub mod dns;
pub mod http;
pub mod postgres;
pub mod statuspage;
pub mod tcp;
pub mod tls;
mod wire;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jiff::Timestamp;
use tocsin_core::check::{Check, CheckOutcome};

/// The user agent every probe sends, so a service's logs say who is knocking.
pub const USER_AGENT: &str = concat!("tocsin/", env!("CARGO_PKG_VERSION"));

/// How many redirects a probe follows by default (see [`tocsin_core::check::DEFAULT_MAX_REDIRECTS`]).
/// A probe checks the final answer.
pub const MAX_REDIRECTS: usize = tocsin_core::check::DEFAULT_MAX_REDIRECTS;

/// Runs one check of any kind. Never fails: every problem becomes a failed [`CheckOutcome`]
/// whose `error` says, in one line, what an on-call engineer would look at first.
///
/// `now` is the engine's time, which TLS and HTTPS checks judge certificates at (time is an input: the
/// probe never reads the wall clock, so simulated time in tests reaches certificates too).
pub async fn run(probers: &Probers, check: &Check, now: Timestamp) -> CheckOutcome {
    match check {
        Check::Http(check) => http::check(probers, check, now).await,
        Check::Tcp(check) => tcp::check(check).await,
        Check::Dns(check) => dns::check(check).await,
        Check::Tls(check) => tls::check(&probers.tls_roots, check, now).await,
        Check::Postgres(check) => postgres::check(check).await,
        Check::Statuspage(check) => match probers.statuspage_client() {
            Ok(client) => statuspage::check(client, check).await,
            Err(error) => CheckOutcome::down(None, 0, error.clone()),
        },
    }
}

/// What the probes share: the certificate authorities TLS and HTTPS checks trust, the HTTP
/// check's TLS settings, and the Statuspage check's HTTP client (built at its first check).
#[derive(Clone)]
pub struct Probers {
    statuspage: Arc<OnceLock<Result<reqwest::Client, String>>>,
    tls_roots: Arc<rustls::RootCertStore>,
    connector: wire::Connector,
}

impl std::fmt::Debug for Probers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probers")
            .field("tls_roots", &self.tls_roots.len())
            .finish_non_exhaustive()
    }
}

impl Probers {
    /// Probers trusting this machine's certificate authorities (the system store). A store that
    /// cannot be read leaves TLS checks failing with "certificate not trusted", which says where
    /// to look; it never stops tocsin from starting.
    pub fn new() -> Self {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::warn!(%error, "reading the system's certificate authorities");
        }
        let (added, ignored) = roots.add_parsable_certificates(found.certs);
        if ignored > 0 {
            tracing::debug!(
                added,
                ignored,
                "some system certificate authorities were unusable"
            );
        }
        Self::with_roots(roots)
    }

    /// Probers whose TLS and HTTPS checks trust exactly these authorities (tests use a local one).
    pub fn with_roots(roots: rustls::RootCertStore) -> Self {
        let tls_roots = Arc::new(roots);
        Probers {
            statuspage: Arc::default(),
            connector: wire::Connector::new(tls_roots.clone()),
            tls_roots,
        }
    }

    /// The Statuspage check's client, built once: it follows up to [`MAX_REDIRECTS`] redirects
    /// and verifies certificates.
    fn statuspage_client(&self) -> Result<&reqwest::Client, &String> {
        self.statuspage
            .get_or_init(|| {
                statuspage_http_client()
                    .map_err(|err| format!("cannot build the HTTP client: {err}"))
            })
            .as_ref()
    }
}

impl Default for Probers {
    fn default() -> Self {
        Self::new()
    }
}

/// The Statuspage check's HTTP client.
///
/// Proxies from `HTTP_PROXY`/`HTTPS_PROXY` are ignored: a probe must test the path to the service
/// itself, not whichever proxy happens to be in the environment. No idle connections are kept, so
/// every check connects (DNS, TCP, TLS) as a new visitor would. No cookie store either (the
/// `cookies` feature is off), so one check can never influence the next. No client-wide timeout:
/// each check brings its own.
fn statuspage_http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .tls_backend_rustls()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .build()
}

/// Milliseconds since `started`, saturating.
pub(crate) fn elapsed_ms(started: tokio::time::Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Runs `work` within `timeout`; on expiry the check fails with "timed out after …".
pub(crate) async fn within<T>(
    timeout: Duration,
    work: impl Future<Output = Result<T, String>>,
) -> Result<T, String> {
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_elapsed) => Err(format!(
            "timed out after {}",
            tocsin_core::format_duration(timeout)
        )),
    }
}

/// Error texts go into one-line fields and logs.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The innermost error's message: outer layers often only say "error sending request".
pub(crate) fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = err;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    one_line(&deepest.to_string())
}

/// What the operating system said about a failed connect, in the words an engineer expects.
pub(crate) fn describe_io(err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        ErrorKind::ConnectionReset => "connection reset by the server".to_owned(),
        ErrorKind::TimedOut => "connect timed out".to_owned(),
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
            format!("host unreachable: {}", one_line(&err.to_string()))
        }
        _ => one_line(&err.to_string()),
    }
}

/// The operating system's verdict on a failed exchange — refused, reset, timed out, unreachable —
/// in an engineer's words, when the first I/O error in `err`'s chain (itself included) gives
/// one; `None` leaves the wording to the caller's stage ("connection failed: …").
pub(crate) fn os_verdict(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    use std::io::ErrorKind;
    let mut current = Some(err);
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            let plain = matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::TimedOut
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
            );
            return plain.then(|| describe_io(io));
        }
        current = error.source();
    }
    None
}

/// Splits `host:port`, `[v6]:port` or a bare `host` (then `default_port`).
pub(crate) fn split_host_port(
    text: &str,
    default_port: Option<u16>,
) -> Result<(String, u16), String> {
    let text = text.trim();
    let bad = || format!("invalid host {text:?}: write it as host:port");
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(port) => port.parse().map_err(|_| bad())?,
            None if after.is_empty() => default_port.ok_or_else(bad)?,
            None => return Err(bad()),
        };
        return Ok((host.to_owned(), port));
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && !host.is_empty() => {
            Ok((host.to_owned(), port.parse().map_err(|_| bad())?))
        }
        _ if !text.is_empty() && !text.contains(':') => {
            Ok((text.to_owned(), default_port.ok_or_else(bad)?))
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports_split_like_the_configuration_writes_them() {
        assert_eq!(split_host_port("db:5432", None), Ok(("db".into(), 5432)));
        assert_eq!(
            split_host_port("example.com", Some(443)),
            Ok(("example.com".into(), 443))
        );
        assert_eq!(
            split_host_port("[::1]:8443", None),
            Ok(("::1".into(), 8443))
        );
        assert_eq!(split_host_port("[::1]", Some(443)), Ok(("::1".into(), 443)));
        assert!(split_host_port("db", None).is_err());
        assert!(split_host_port("db:http", None).is_err());
        assert!(split_host_port("", Some(1)).is_err());
    }
}
