//! Delivery retry policy: exponential backoff with jitter, honouring a receiver's Retry-After.

use std::time::Duration;

/// Attempts after which a delivery is given up and marked failed.
pub const MAX_ATTEMPTS: u32 = 12;
const BASE: Duration = Duration::from_secs(2);
const CAP: Duration = Duration::from_secs(600);

/// How long to wait before the next attempt, after `attempts` failed ones (1 for the first).
/// `jitter` in [0, 1) spreads retries between half and the whole of the backoff, so that many
/// deliveries failing together do not retry together. A `retry_after` from the receiver wins
/// when it is longer, capped at an hour so a hostile answer cannot park a page for a day.
pub fn retry_delay(attempts: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
    let exponent = attempts.saturating_sub(1).min(16);
    let backoff = BASE.saturating_mul(1u32 << exponent).min(CAP);
    let jitter = jitter.clamp(0.0, 1.0);
    let spread = backoff.mul_f64(0.5 + jitter / 2.0);
    match retry_after {
        Some(wait) => spread.max(wait.min(Duration::from_secs(3600))),
        None => spread,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_exponentially_within_the_cap() {
        assert_eq!(retry_delay(1, None, 1.0), Duration::from_secs(2));
        assert_eq!(retry_delay(2, None, 1.0), Duration::from_secs(4));
        assert_eq!(retry_delay(3, None, 0.0), Duration::from_secs(4));
        assert_eq!(retry_delay(30, None, 1.0), CAP);
    }

    #[test]
    fn honours_retry_after_but_caps_it() {
        assert_eq!(
            retry_delay(1, Some(Duration::from_secs(7)), 0.0),
            Duration::from_secs(7)
        );
        assert_eq!(
            retry_delay(1, Some(Duration::from_secs(86_400)), 0.0),
            Duration::from_secs(3600)
        );
    }
}
