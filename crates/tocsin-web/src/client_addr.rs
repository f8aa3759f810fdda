//! Who is asking: the client's IP address for per-address limits. The connection's peer, unless
//! the peer is one of `server.trusted_proxies`: then the rightmost `X-Forwarded-For` address
//! that is not itself a trusted proxy. From any other peer the header is ignored, so a client
//! cannot name itself someone else.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request};
use tocsin_config::IpNet;

/// The client's address for `request`; `None` when the server did not record the peer (a
/// router called without tocsin's own accept loop).
pub(crate) fn of<B>(request: &Request<B>, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    from_peer(peer, request.headers(), trusted)
}

/// The same, for a handler that took the peer (`ConnectInfo`) and the headers apart.
pub(crate) fn from_peer(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    peer.map(|peer| client(peer.ip(), headers, trusted))
}

fn client(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    // Each proxy appends the address it received from; read them nearest first.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // Garbage counts as the proxy that passed it on.
            return nearest;
        };
        if !is_trusted(ip) {
            return ip;
        }
        nearest = ip;
    }
    nearest
}

/// `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443` or `203.0.113.7:51000`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let proxies = [IpNet::parse("10.0.0.0/8").expect("a range")];
        let headers = forwarded(&["198.51.100.9, 203.0.113.7"]);
        // Straight from the internet: the header is the client's own claim, ignored.
        assert_eq!(
            client(ip("203.0.113.50"), &headers, &proxies),
            ip("203.0.113.50")
        );
        // Through the proxy: the rightmost address the proxy saw; the left one is the client's
        // own claim and is not believed.
        assert_eq!(
            client(ip("10.0.0.5"), &headers, &proxies),
            ip("203.0.113.7")
        );
        // No proxies configured: never believed.
        assert_eq!(client(ip("10.0.0.5"), &headers, &[]), ip("10.0.0.5"));
    }

    #[test]
    fn proxies_in_a_chain_are_skipped_and_garbage_stops_the_walk() {
        let proxies = [
            IpNet::parse("10.0.0.0/8").expect("a range"),
            IpNet::parse("192.0.2.1").expect("an address"),
        ];
        let chain = forwarded(&["203.0.113.7", "192.0.2.1:443"]);
        assert_eq!(client(ip("10.0.0.5"), &chain, &proxies), ip("203.0.113.7"));
        let garbage = forwarded(&["203.0.113.7, not-an-address, 192.0.2.1"]);
        assert_eq!(client(ip("10.0.0.5"), &garbage, &proxies), ip("192.0.2.1"));
        assert_eq!(
            client(ip("::ffff:10.0.0.5"), &forwarded(&[]), &proxies),
            ip("10.0.0.5")
        );
    }
}
