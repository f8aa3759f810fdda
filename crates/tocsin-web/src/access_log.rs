//! The access log: one line per request at info on the target `tocsin::access` — method, path,
//! status, duration, client address and response bytes. The query string is never written (it
//! can carry tokens), nor a path segment that is itself a credential (`/ack/{token}`,
//! `/ping/{key}`, …): those are written as their route's placeholder. Quiet it with
//! `RUST_LOG=info,tocsin::access=warn`.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::HttpBody as _;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tocsin_config::IpNet;

/// The tracing target every access line is written on.
pub const TARGET: &str = "tocsin::access";

/// Path parameters that authenticate the request by themselves: never logged.
const SECRET_PARAMS: [&str; 3] = ["{token}", "{key}", "{file}"];

/// The proxies whose `X-Forwarded-For` is believed, as `client_addr` decides.
#[derive(Debug, Clone)]
pub(crate) struct Trusted(pub(crate) Arc<[IpNet]>);

/// The middleware: runs the request, then writes its line.
pub(crate) async fn log(State(trusted): State<Trusted>, request: Request, next: Next) -> Response {
    let started = tokio::time::Instant::now();
    let method = request.method().clone();
    let path = loggable_path(
        request.uri().path(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let client = crate::client_addr::of(&request, &trusted.0);
    let response = next.run(request).await;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let bytes = response.body().size_hint().exact();
    tracing::info!(
        target: TARGET,
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        duration_ms = format_args!("{duration_ms:.1}"),
        client = %client.map_or_else(|| "-".to_owned(), |ip: IpAddr| ip.to_string()),
        bytes = %bytes.map_or_else(|| "-".to_owned(), |bytes| bytes.to_string()),
        "request"
    );
    response
}

/// The path as written, except that a segment the route names as a credential is replaced by
/// the route's placeholder. When the route is a wildcard whose segments do not line up, the
/// route itself is written.
fn loggable_path(path: &str, route: Option<&str>) -> String {
    let Some(route) = route else {
        return path.to_owned();
    };
    if !SECRET_PARAMS.iter().any(|param| route.contains(param)) {
        return path.to_owned();
    }
    let segments: Vec<&str> = path.split('/').collect();
    let pattern: Vec<&str> = route.split('/').collect();
    if segments.len() != pattern.len() {
        return route.to_owned();
    }
    segments
        .iter()
        .zip(&pattern)
        .map(|(segment, pattern)| {
            if SECRET_PARAMS.contains(pattern) {
                *pattern
            } else {
                *segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_path_are_written_as_their_placeholder() {
        assert_eq!(
            loggable_path("/ack/v1.abc.sig", Some("/ack/{token}")),
            "/ack/{token}"
        );
        assert_eq!(
            loggable_path("/ping/s3cret/fail", Some("/ping/{key}/{suffix}")),
            "/ping/{key}/fail"
        );
        assert_eq!(
            loggable_path("/api/v1/incidents/inc-1", Some("/api/v1/incidents/{id}")),
            "/api/v1/incidents/inc-1"
        );
        assert_eq!(loggable_path("/nowhere", None), "/nowhere");
    }

    #[test]
    fn every_route_that_is_its_own_credential_is_covered() {
        for rule in crate::access::TABLE {
            if rule.who == crate::access::Who::Link {
                assert!(
                    SECRET_PARAMS.iter().any(|param| rule.path.contains(param))
                        || !rule.path.contains('{'),
                    "{} {} is authenticated by its path: name its parameter in SECRET_PARAMS",
                    rule.method,
                    rule.path
                );
            }
        }
    }
}
