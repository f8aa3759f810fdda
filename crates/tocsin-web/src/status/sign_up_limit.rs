//! How many status-page sign-ups are taken: a few per client address, and a ceiling for
//! everyone together, so the public form can neither flood one inbox nor fill the mail lane and
//! the database. Each limit is a GCRA bucket (a burst, then one more per interval) on tocsin's
//! one clock, so a test moves time instead of waiting.
//!
//! The client address is `crate::client_addr`'s: the socket peer, or what one of
//! `server.trusted_proxies` says it saw. An IPv6 client counts per /64, the block one
//! subscriber line usually holds.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// One address: five sign-ups at once, then one every ten minutes.
const PER_ADDRESS: Bucket = Bucket {
    burst: 5,
    every: Duration::from_secs(600),
};
/// Everyone together: a hundred at once (an outage brings readers), then one every six seconds
/// (600 an hour).
const OVERALL: Bucket = Bucket {
    burst: 100,
    every: Duration::from_secs(6),
};
/// Past this many remembered addresses, the ones whose bucket is full again are forgotten.
const FORGET_ABOVE: usize = 1024;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    burst: u32,
    every: Duration,
}

impl Bucket {
    fn every(self) -> SignedDuration {
        SignedDuration::try_from(self.every).unwrap_or(SignedDuration::MAX)
    }

    /// How far ahead of now the theoretical arrival time may run.
    fn tolerance(self) -> SignedDuration {
        self.every()
            .checked_mul(i32::try_from(self.burst.saturating_sub(1)).unwrap_or(i32::MAX))
            .unwrap_or(SignedDuration::MAX)
    }

    /// The next theoretical arrival time after admitting one at `now`, or how long to wait.
    fn admit(self, tat: Option<Timestamp>, now: Timestamp) -> Result<Timestamp, Duration> {
        let tat = tat.filter(|tat| *tat > now).unwrap_or(now);
        let allowed_at = tat.saturating_sub(self.tolerance()).unwrap_or(tat);
        if allowed_at > now {
            let wait = allowed_at.duration_since(now);
            return Err(Duration::try_from(wait).unwrap_or(self.every));
        }
        Ok(tat.saturating_add(self.every()).unwrap_or(tat))
    }
}

/// The buckets: one per client address, one for all.
#[derive(Debug, Default)]
pub(super) struct SignUpLimits {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    overall: Option<Timestamp>,
    by_address: HashMap<IpAddr, Timestamp>,
}

impl SignUpLimits {
    /// Takes one sign-up from `client` (none: the address is unknown, only the overall limit
    /// applies), or says in whole seconds when to try again. A refused sign-up costs nothing.
    pub(super) fn admit(&self, client: Option<IpAddr>, now: Timestamp) -> Result<(), u32> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let overall = OVERALL.admit(state.overall, now).map_err(seconds)?;
        let client = client.map(per_block);
        let by_address = match client {
            Some(address) => Some(
                PER_ADDRESS
                    .admit(state.by_address.get(&address).copied(), now)
                    .map_err(seconds)?,
            ),
            None => None,
        };
        state.overall = Some(overall);
        if let (Some(address), Some(tat)) = (client, by_address) {
            if state.by_address.len() >= FORGET_ABOVE {
                state.by_address.retain(|_, tat| *tat > now);
            }
            state.by_address.insert(address, tat);
        }
        Ok(())
    }
}

/// Whole seconds, rounded up, at least one: what `Retry-After` says.
fn seconds(wait: Duration) -> u32 {
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    u32::try_from(whole.max(1)).unwrap_or(u32::MAX)
}

/// An IPv4 address as is (also when written as IPv6); IPv6 cut to its /64.
fn per_block(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(Ipv6Addr::from(segments))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + seconds).expect("instant")
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("address"))
    }

    #[test]
    fn one_address_gets_a_burst_then_one_per_interval() {
        let limits = SignUpLimits::default();
        for _ in 0..5 {
            assert_eq!(limits.admit(ip("203.0.113.7"), t(0)), Ok(()));
        }
        assert_eq!(limits.admit(ip("203.0.113.7"), t(0)), Err(600));
        assert_eq!(limits.admit(ip("203.0.113.7"), t(599)), Err(1));
        // Another address is not held back by the first.
        assert_eq!(limits.admit(ip("198.51.100.1"), t(0)), Ok(()));
        assert_eq!(limits.admit(ip("203.0.113.7"), t(600)), Ok(()));
        assert_eq!(limits.admit(ip("203.0.113.7"), t(600)), Err(600));
    }

    #[test]
    fn everyone_together_meets_the_overall_ceiling() {
        let limits = SignUpLimits::default();
        for n in 0..100u32 {
            let address = IpAddr::from([10, 0, (n / 256) as u8, (n % 256) as u8]);
            assert_eq!(limits.admit(Some(address), t(0)), Ok(()), "{n}");
        }
        assert_eq!(limits.admit(ip("10.9.9.9"), t(0)), Err(6));
        assert_eq!(limits.admit(None, t(0)), Err(6));
        assert_eq!(limits.admit(None, t(6)), Ok(()));
    }

    #[test]
    fn a_refused_sign_up_costs_nothing() {
        let limits = SignUpLimits::default();
        for _ in 0..5 {
            limits.admit(ip("203.0.113.7"), t(0)).expect("admitted");
        }
        for _ in 0..1000 {
            assert!(limits.admit(ip("203.0.113.7"), t(0)).is_err());
        }
        // The refusals took nothing from the overall ceiling.
        for n in 0..95u32 {
            let address = IpAddr::from([10, 1, 0, n as u8]);
            assert_eq!(limits.admit(Some(address), t(0)), Ok(()), "{n}");
        }
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let limits = SignUpLimits::default();
        for last in 1..=5 {
            let address = format!("2001:db8:1:2::{last}");
            assert_eq!(limits.admit(ip(&address), t(0)), Ok(()));
        }
        assert!(limits.admit(ip("2001:db8:1:2:ffff::1"), t(0)).is_err());
        assert!(limits.admit(ip("2001:db8:1:3::1"), t(0)).is_ok());
        assert_eq!(
            per_block("::ffff:203.0.113.7".parse().expect("address")),
            IpAddr::from([203, 0, 113, 7])
        );
    }
}
