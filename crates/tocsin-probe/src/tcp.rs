//! The TCP probe: a connection to `host:port` within the timeout, then closed. Nothing is sent.

use tocsin_core::check::{CheckOutcome, TcpCheck};

use crate::{describe_io, elapsed_ms, one_line, split_host_port, within};

/// Connects to `check.host`; the check passes once the connection is established. Name lookup
/// and connect together are bounded by the timeout.
pub async fn check(check: &TcpCheck) -> CheckOutcome {
    let started = tokio::time::Instant::now();
    let verdict = match split_host_port(&check.host, None) {
        Err(error) => Err(error),
        Ok((host, port)) => within(check.timeout, connect(&host, port)).await,
    };
    let latency_ms = elapsed_ms(started);
    match verdict {
        Ok(()) => CheckOutcome::up(None, latency_ms),
        Err(error) => CheckOutcome::down(None, latency_ms, error),
    }
}

async fn connect(host: &str, port: u16) -> Result<(), String> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|err| {
            format!(
                "DNS lookup of {host} failed: {}",
                one_line(&err.to_string())
            )
        })?
        .collect();
    let mut last = None;
    // Every address the name has, in order, as a client would; the first that answers wins.
    for addr in addrs {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(_stream) => return Ok(()),
            Err(err) => last = Some(describe_io(&err)),
        }
    }
    Err(last.unwrap_or_else(|| format!("{host} has no addresses")))
}
