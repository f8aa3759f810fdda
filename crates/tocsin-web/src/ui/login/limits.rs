//! Sign-in limits that slow guessing without handing anyone a lock on someone else's account.
//!
//! - **Per address**: [`PER_ADDRESS_BURST`] attempts, then one more every
//!   [`PER_ADDRESS_EVERY`] (GCRA), whatever the e-mail, so one address cannot try many accounts.
//! - **Per account and address**: after [`FREE_FAILURES`] wrong passwords for one e-mail from
//!   one address, that pair waits [`FIRST_WAIT`], doubling with each further failure up to
//!   [`LONGEST_WAIT`]; a success clears it, and it is forgotten [`FORGET_AFTER`] after its last
//!   failure. The account's owner signing in from anywhere else is never held up.
//!
//! There is deliberately no lock on an account as a whole: it would let anyone keep its owner
//! out, while guessing from many addresses is already hopeless against Argon2 and 12-character
//! passwords, each address being held to its own rate.
//!
//! Time is an input (`now`, the engine's clock), so the rules are tested without waiting.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

pub(crate) const PER_ADDRESS_BURST: u32 = 20;
pub(crate) const PER_ADDRESS_EVERY: Duration = Duration::from_secs(3);
pub(crate) const FREE_FAILURES: u32 = 5;
pub(crate) const FIRST_WAIT: Duration = Duration::from_secs(30);
pub(crate) const LONGEST_WAIT: Duration = Duration::from_secs(5 * 60);
pub(crate) const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// Past this many remembered addresses (or pairs), the forgettable ones are dropped, then the
/// stalest, so made-up addresses and e-mails cannot grow the tables without end.
const REMEMBERED: usize = 100_000;

/// Why an attempt is not checked now, and when to come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Too many attempts from this address, whatever the e-mail.
    Address { retry_after: Duration },
    /// Too many wrong passwords for this e-mail from this address.
    Account { retry_after: Duration },
}

impl Refused {
    pub(crate) fn retry_after(self) -> Duration {
        match self {
            Refused::Address { retry_after } | Refused::Account { retry_after } => retry_after,
        }
    }
}

#[derive(Debug)]
struct Failures {
    count: u32,
    last: Timestamp,
    blocked_until: Timestamp,
}

#[derive(Debug, Default)]
struct Tables {
    /// Per address: the GCRA's theoretical arrival time.
    addresses: HashMap<IpAddr, Timestamp>,
    /// Per (address, e-mail): the wrong passwords.
    failures: HashMap<(IpAddr, String), Failures>,
}

#[derive(Debug, Default)]
pub(crate) struct SignInLimits {
    tables: Mutex<Tables>,
}

/// A request whose peer is unknown shares one budget.
fn key(address: Option<IpAddr>) -> IpAddr {
    address.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED))
}

fn account(email: &str) -> String {
    email.trim().to_lowercase().chars().take(254).collect()
}

fn signed(duration: Duration) -> SignedDuration {
    SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX)
}

/// Whole seconds until `at`, at least one.
fn until(now: Timestamp, at: Timestamp) -> Duration {
    let wait = at.duration_since(now);
    let seconds = wait
        .as_secs()
        .saturating_add(i64::from(wait.subsec_nanos() > 0));
    Duration::from_secs(u64::try_from(seconds.max(1)).unwrap_or(1))
}

impl SignInLimits {
    pub(crate) fn new() -> Self {
        SignInLimits::default()
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether an attempt for `email` from `address` may be checked now; an admitted attempt
    /// uses one of the address's budget.
    pub(crate) fn admit(
        &self,
        address: Option<IpAddr>,
        email: &str,
        now: Timestamp,
    ) -> Result<(), Refused> {
        let address = key(address);
        let mut tables = self.tables();
        if let Some(failures) = tables.failures.get(&(address, account(email)))
            && now < failures.blocked_until
        {
            return Err(Refused::Account {
                retry_after: until(now, failures.blocked_until),
            });
        }
        let every = signed(PER_ADDRESS_EVERY);
        let tolerance = every * i32::try_from(PER_ADDRESS_BURST - 1).unwrap_or(i32::MAX);
        let arrival = tables
            .addresses
            .get(&address)
            .copied()
            .unwrap_or(now)
            .max(now);
        let earliest = arrival - tolerance;
        if now < earliest {
            return Err(Refused::Address {
                retry_after: until(now, earliest),
            });
        }
        if !tables.addresses.contains_key(&address) {
            trim(
                &mut tables.addresses,
                |arrival| *arrival <= now,
                |arrival| *arrival,
            );
        }
        tables.addresses.insert(address, arrival + every);
        Ok(())
    }

    /// A wrong password (or an unknown e-mail) for `email` from `address`.
    pub(crate) fn failed(&self, address: Option<IpAddr>, email: &str, now: Timestamp) {
        let pair = (key(address), account(email));
        let mut tables = self.tables();
        let forget = signed(FORGET_AFTER);
        if !tables.failures.contains_key(&pair) {
            trim(
                &mut tables.failures,
                |failures| failures.last + forget <= now,
                |failures| failures.last,
            );
        }
        let failures = tables.failures.entry(pair).or_insert(Failures {
            count: 0,
            last: now,
            blocked_until: now,
        });
        if failures.last + forget <= now {
            failures.count = 0;
        }
        failures.count = failures.count.saturating_add(1);
        failures.last = now;
        if failures.count >= FREE_FAILURES {
            let doublings = (failures.count - FREE_FAILURES).min(16);
            let wait = FIRST_WAIT.saturating_mul(1 << doublings).min(LONGEST_WAIT);
            failures.blocked_until = now + signed(wait);
        }
    }

    /// A successful sign-in clears the pair's failures.
    pub(crate) fn succeeded(&self, address: Option<IpAddr>, email: &str) {
        self.tables()
            .failures
            .remove(&(key(address), account(email)));
    }
}

/// Makes room for one more entry: past [`REMEMBERED`], drops what `forgettable` says may go,
/// then, if still full, the stalest tenth by `age`.
fn trim<K: Eq + Hash + Clone, V>(
    map: &mut HashMap<K, V>,
    forgettable: impl Fn(&V) -> bool,
    age: impl Fn(&V) -> Timestamp,
) {
    if map.len() < REMEMBERED {
        return;
    }
    map.retain(|_, value| !forgettable(value));
    if map.len() < REMEMBERED {
        return;
    }
    let mut ages: Vec<(Timestamp, K)> = map
        .iter()
        .map(|(key, value)| (age(value), key.clone()))
        .collect();
    ages.sort_unstable_by_key(|(age, _)| *age);
    for (_, key) in ages.into_iter().take(REMEMBERED / 10) {
        map.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).expect("a time")
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("an address"))
    }

    #[test]
    fn wrong_passwords_from_one_address_hold_up_only_that_address() {
        let limits = SignInLimits::new();
        let attacker = ip("203.0.113.7");
        for _ in 0..FREE_FAILURES {
            assert_eq!(limits.admit(attacker, "Dana@example.com", at(0)), Ok(()));
            limits.failed(attacker, "dana@example.com", at(0));
        }
        assert_eq!(
            limits.admit(attacker, "dana@example.com ", at(1)),
            Err(Refused::Account {
                retry_after: Duration::from_secs(29)
            })
        );
        // The owner, elsewhere, is not held up; the attacker may still try other e-mails.
        assert_eq!(
            limits.admit(ip("198.51.100.2"), "dana@example.com", at(1)),
            Ok(())
        );
        assert_eq!(limits.admit(attacker, "sam@example.com", at(1)), Ok(()));
    }

    #[test]
    fn the_wait_grows_but_never_past_the_longest_and_a_success_clears_it() {
        let limits = SignInLimits::new();
        let from = ip("203.0.113.7");
        let mut now = at(0);
        let mut waits = Vec::new();
        for _ in 0..FREE_FAILURES + 5 {
            // Each attempt comes as soon as it is allowed (and well within the address's rate).
            while let Err(refused) = limits.admit(from, "dana@example.com", now) {
                now += signed(refused.retry_after());
            }
            limits.failed(from, "dana@example.com", now);
            if let Err(refused) = limits.admit(from, "dana@example.com", now) {
                waits.push(refused.retry_after().as_secs());
            }
        }
        assert_eq!(waits, [30, 60, 120, 240, 300, 300]);
        // Never locked for good: once the wait is over, the right password gets in and clears it.
        now += signed(LONGEST_WAIT);
        assert_eq!(limits.admit(from, "dana@example.com", now), Ok(()));
        limits.succeeded(from, "dana@example.com");
        limits.failed(from, "dana@example.com", now);
        assert_eq!(limits.admit(from, "dana@example.com", now), Ok(()));
    }

    #[test]
    fn one_address_gets_a_burst_then_one_attempt_every_few_seconds() {
        let limits = SignInLimits::new();
        let from = ip("203.0.113.7");
        for n in 0..PER_ADDRESS_BURST {
            let email = format!("user{n}@example.com");
            assert_eq!(limits.admit(from, &email, at(0)), Ok(()), "attempt {n}");
        }
        assert_eq!(
            limits.admit(from, "another@example.com", at(0)),
            Err(Refused::Address {
                retry_after: Duration::from_secs(3)
            })
        );
        assert_eq!(
            limits.admit(ip("198.51.100.2"), "another@example.com", at(0)),
            Ok(())
        );
        assert_eq!(limits.admit(from, "another@example.com", at(3)), Ok(()));
        assert!(limits.admit(from, "another@example.com", at(3)).is_err());
    }

    #[test]
    fn failures_are_forgotten_an_hour_after_the_last() {
        let limits = SignInLimits::new();
        let from = ip("203.0.113.7");
        for _ in 0..FREE_FAILURES - 1 {
            limits.failed(from, "dana@example.com", at(0));
        }
        let later = at(0) + signed(FORGET_AFTER);
        limits.failed(from, "dana@example.com", later);
        assert_eq!(limits.admit(from, "dana@example.com", later), Ok(()));
    }
}
