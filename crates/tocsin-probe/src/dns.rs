//! The DNS probe: look a name up (a record type, at a chosen resolver or the system's) and check
//! that the answer contains the expected values.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RecordType;
use hickory_resolver::{Resolver, TokioResolver};
use tocsin_core::check::{CheckOutcome, DnsCheck};

use crate::{elapsed_ms, one_line, within};

/// Asks for `check.record` of `check.query`; passes when every expected value is in the answer
/// (or, with none expected, when there is an answer at all). No cache: each check asks afresh.
pub async fn check(check: &DnsCheck) -> CheckOutcome {
    let started = tokio::time::Instant::now();
    let verdict = within(check.timeout, lookup(check)).await;
    let latency_ms = elapsed_ms(started);
    match verdict {
        Ok(()) => CheckOutcome::up(None, latency_ms),
        Err(error) => CheckOutcome::down(None, latency_ms, error),
    }
}

async fn lookup(check: &DnsCheck) -> Result<(), String> {
    let record = RecordType::from_str(&check.record.to_ascii_uppercase())
        .map_err(|_| format!("{:?} is not a DNS record type", check.record))?;
    let resolver = resolver(check)?;
    let query = check.query.trim();
    let at = check
        .resolver
        .as_deref()
        .map_or_else(|| "the system's resolver".to_owned(), str::to_owned);
    let lookup = resolver
        .lookup(query, record)
        .await
        .map_err(|err| describe(&err, query, record, &at))?;
    // A lookup may carry the CNAME chain that led to the answer; only the type asked for counts.
    let answers: Vec<String> = lookup
        .answers()
        .iter()
        .filter(|answer| answer.record_type() == record)
        .map(|answer| answer.data.to_string())
        .collect();
    if answers.is_empty() {
        return Err(format!("no {record} records for {query} at {at}"));
    }
    let missing: Vec<&str> = check
        .expect_values
        .iter()
        .map(String::as_str)
        .filter(|expected| !answers.iter().any(|answer| matches(answer, expected)))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{record} {query} is {}, expected {}",
        shorten(&answers.join(", ")),
        missing.join(", ")
    ))
}

/// Whether an answer (as the resolver prints it: `203.0.113.10`, `10 mail.example.com.`,
/// `target.example.com.`) is the value written in the configuration. Names compare without
/// case or their final dot; a value may also name just the last field (the host of an MX).
fn matches(answer: &str, expected: &str) -> bool {
    let norm = |text: &str| {
        text.trim()
            .trim_matches('"')
            .trim_end_matches('.')
            .to_ascii_lowercase()
    };
    let expected = norm(expected);
    norm(answer) == expected
        || answer
            .split_whitespace()
            .last()
            .is_some_and(|last| norm(last) == expected)
}

/// A resolver for this check: the one named (`ip` or `ip:port`), or the system's.
fn resolver(check: &DnsCheck) -> Result<TokioResolver, String> {
    let mut options = ResolverOpts::default();
    options.timeout = check.timeout;
    options.attempts = 1;
    options.cache_size = 0;
    let builder = match check.resolver.as_deref().map(str::trim) {
        Some(written) => {
            let addr = written
                .parse::<SocketAddr>()
                .or_else(|_| written.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                .map_err(|_| format!("resolver {written:?} is not an IP address"))?;
            // Only the resolver named: no hosts file, which would answer for it.
            options.use_hosts_file = ResolveHosts::Never;
            let mut udp = ConnectionConfig::udp();
            udp.port = addr.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = addr.port();
            let server = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
            Resolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![server]),
                TokioRuntimeProvider::default(),
            )
        }
        None => TokioResolver::builder_tokio().map_err(|err| {
            format!(
                "cannot read the system's resolver configuration: {}",
                one_line(&err.to_string())
            )
        })?,
    };
    builder
        .with_options(options)
        .build()
        .map_err(|err| format!("cannot build the resolver: {}", one_line(&err.to_string())))
}

fn describe(err: &NetError, query: &str, record: RecordType, at: &str) -> String {
    if err.is_nx_domain() {
        return format!("{query} does not exist (NXDOMAIN) at {at}");
    }
    if err.is_no_records_found() {
        return format!("no {record} records for {query} at {at}");
    }
    if let NetError::Timeout = err {
        return format!("{at} did not answer");
    }
    format!(
        "DNS lookup of {query} at {at} failed: {}",
        one_line(&err.to_string())
    )
}

/// At most 200 characters of an answer list, so a huge TXT set does not flood the error line.
fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let head: String = text.chars().take(MAX).collect();
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn answers_match_values_written_without_dots_or_case() {
        assert!(matches("203.0.113.10", "203.0.113.10"));
        assert!(!matches("203.0.113.10", "203.0.113.1"));
        assert!(matches("Target.Example.com.", "target.example.com"));
        assert!(matches("10 mail.example.com.", "mail.example.com"));
        assert!(matches("10 mail.example.com.", "10 mail.example.com"));
        assert!(matches("\"v=spf1 -all\"", "v=spf1 -all"));
    }
}
