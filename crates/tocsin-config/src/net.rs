//! `IpNet`: an address or an address range (`10.0.0.5`, `10.1.0.0/16`, `fd00::/8`), for
//! `server.trusted_proxies`.

use std::fmt;
use std::net::IpAddr;

/// One address, or a range of them in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    /// The range's first address (host bits cleared).
    pub addr: IpAddr,
    /// How many leading bits name the range: 32 (or 128) for one address.
    pub prefix: u8,
}

impl IpNet {
    /// Reads `10.0.0.5` or `10.1.0.0/16`; `None` when it is neither.
    pub fn parse(text: &str) -> Option<IpNet> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr.parse::<IpAddr>().ok()?, Some(prefix.parse().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let width = width(addr);
        let prefix = prefix.unwrap_or(width);
        (prefix <= width).then(|| IpNet {
            addr: masked(addr, prefix),
            prefix,
        })
    }

    /// Whether `ip` is in this range. An IPv4 address seen as IPv6 (`::ffff:10.0.0.5`, as a
    /// dual-stack socket reports it) counts as the IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        width(ip) == width(self.addr) && masked(ip, self.prefix) == self.addr
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn width(addr: IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

/// `addr` with every bit past `prefix` cleared.
fn masked(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn an_address_or_a_range_is_read_and_matched() {
        let one = IpNet::parse("10.0.0.5").expect("one address");
        assert!(one.contains(ip("10.0.0.5")));
        assert!(one.contains(ip("::ffff:10.0.0.5")));
        assert!(!one.contains(ip("10.0.0.6")));
        let range = IpNet::parse("10.1.0.0/16").expect("a range");
        assert!(range.contains(ip("10.1.200.3")));
        assert!(!range.contains(ip("10.2.0.1")));
        let v6 = IpNet::parse("fd00::/8").expect("an IPv6 range");
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("10.1.0.1")));
        assert!(IpNet::parse("0.0.0.0/0").is_some_and(|all| all.contains(ip("8.8.8.8"))));
        for bad in ["10.0.0.0/33", "proxy.internal", "10.0.0/8", "::/129", ""] {
            assert_eq!(IpNet::parse(bad), None, "{bad}");
        }
    }
}
