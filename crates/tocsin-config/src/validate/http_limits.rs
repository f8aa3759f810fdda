//! `[server]`'s limits on what the outside can make tocsin hold: trusted proxies, connections,
//! header and request timeouts, sign-in password checks at once.

use std::time::Duration;

use super::ctx::Ctx;
use crate::net::IpNet;
use crate::raw::RawServer;
use crate::spans::join_index;

/// The parsed limits, in the order `Server` lists them.
pub(super) struct HttpLimits {
    pub trusted_proxies: Vec<IpNet>,
    pub max_connections: u32,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub sign_in_checks: Option<u32>,
}

const DEFAULT_MAX_CONNECTIONS: u32 = 1024;
const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub(super) fn http_limits(ctx: &mut Ctx, raw: &RawServer) -> HttpLimits {
    let trusted_proxies = ctx
        .get(&raw.trusted_proxies, "server.trusted_proxies")
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(at, text)| {
            let net = IpNet::parse(text);
            if net.is_none() {
                ctx.error(
                    &join_index("server.trusted_proxies", at),
                    format!("`{text}` is not an IP address or a range"),
                    Some(
                        "write an address like \"10.0.0.5\" or a range like \"10.1.0.0/16\""
                            .to_owned(),
                    ),
                );
            }
            net
        })
        .collect();
    let max_connections = int_within(
        ctx,
        &raw.max_connections,
        "server.max_connections",
        16..=65_536,
        "how many connections tocsin serves at once, like `max_connections = 1024`",
    )
    .unwrap_or(DEFAULT_MAX_CONNECTIONS);
    let header_timeout = duration_within(
        ctx,
        &raw.header_timeout,
        "server.header_timeout",
        (Duration::from_secs(1), Duration::from_secs(300)),
        "header_timeout = \"10s\"",
    )
    .unwrap_or(DEFAULT_HEADER_TIMEOUT);
    let request_timeout = duration_within(
        ctx,
        &raw.request_timeout,
        "server.request_timeout",
        (Duration::from_secs(1), Duration::from_secs(600)),
        "request_timeout = \"60s\"",
    )
    .unwrap_or(DEFAULT_REQUEST_TIMEOUT);
    let sign_in_checks = int_within(
        ctx,
        &raw.sign_in_checks,
        "server.sign_in_checks",
        1..=64,
        "how many sign-in password checks run at once, like `sign_in_checks = 4`",
    );
    HttpLimits {
        trusted_proxies,
        max_connections,
        header_timeout,
        request_timeout,
        sign_in_checks,
    }
}

/// An integer key within `range`; out of it is an error and the default is used.
fn int_within(
    ctx: &mut Ctx,
    field: &crate::field::Field<i64>,
    path: &str,
    range: std::ops::RangeInclusive<i64>,
    help: &str,
) -> Option<u32> {
    let value = ctx.get(field, path)?;
    if range.contains(&value) {
        return u32::try_from(value).ok();
    }
    let key = crate::validate::ctx::key_name(path).to_owned();
    ctx.error(
        path,
        format!(
            "`{key}` is {value}; it must be from {} to {}",
            range.start(),
            range.end()
        ),
        Some(format!("write {help}")),
    );
    None
}

/// A duration key within `(min, max)`; out of it is an error and the default is used.
fn duration_within(
    ctx: &mut Ctx,
    field: &crate::field::Field<String>,
    path: &str,
    (min, max): (Duration, Duration),
    example: &str,
) -> Option<Duration> {
    let value = ctx.duration(field, path, true)?;
    if (min..=max).contains(&value) {
        return Some(value);
    }
    let key = crate::validate::ctx::key_name(path).to_owned();
    let format = tocsin_core::duration::format_duration;
    ctx.error(
        path,
        format!(
            "`{key}` is {}; it must be from {} to {}",
            format(value),
            format(min),
            format(max)
        ),
        Some(format!("write it like `{example}`")),
    );
    None
}
