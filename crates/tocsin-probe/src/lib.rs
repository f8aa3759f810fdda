//! tocsin-probe: runs checks against the services tocsin watches and reports what it found.
//!
//! One module per check kind. Each takes its check as data and returns a
//! [`tocsin_core::check::CheckOutcome`]; none reads the clock except to measure latency.

pub mod http;

/// The user agent every probe sends, so a service's logs say who is knocking.
pub const USER_AGENT: &str = concat!("tocsin/", env!("CARGO_PKG_VERSION"));

/// How many redirects a probe follows: enough for `http→https` plus a login or trailing-slash
/// hop, few enough that a redirect loop fails fast. A probe checks the final answer.
pub const MAX_REDIRECTS: usize = 5;

/// The HTTP client probes share (one connection pool for every check).
///
/// Proxies from `HTTP_PROXY`/`HTTPS_PROXY` are ignored: a probe must test the path to the service
/// itself, not whichever proxy happens to be in the environment. No cookie store either (the
/// `cookies` feature is off), so one check can never influence the next. No client-wide timeout:
/// each check brings its own.
///
/// # Panics
///
/// Only if the TLS backend cannot be initialised, which happens at start-up and never depends on
/// network input; use [`try_http_client`] to handle that case yourself.
pub fn http_client() -> reqwest::Client {
    try_http_client().unwrap_or_else(|err| panic!("cannot build the probe HTTP client: {err}"))
}

/// [`http_client`], returning the error instead of panicking when the TLS backend is unusable.
pub fn try_http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .tls_backend_rustls()
        .no_proxy()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .build()
}
