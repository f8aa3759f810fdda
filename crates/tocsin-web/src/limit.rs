//! Per-integration rate limiting (GCRA): one noisy sender cannot crowd out the others, and is
//! told when to come back (429 with `Retry-After`) rather than having signals dropped.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::ApiError;

pub struct IntegrationLimits {
    limiter: RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>,
    clock: DefaultClock,
}

impl std::fmt::Debug for IntegrationLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IntegrationLimits")
    }
}

impl IntegrationLimits {
    /// `per_second` requests per integration, with bursts of twice that.
    pub fn new(per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(per_second.max(1).saturating_mul(2)).unwrap_or(rate);
        IntegrationLimits {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// Admits one request of `integration`, or answers 429 saying when to retry.
    pub fn admit(&self, integration: &str) -> Result<(), ApiError> {
        self.limiter.check_key(&integration.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            let seconds = u32::try_from(wait.as_secs().saturating_add(1)).unwrap_or(u32::MAX);
            ApiError {
                retry_after: Some(seconds),
                ..ApiError::new(
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("integration `{integration}` is over its rate limit; retry in {seconds} s"),
                )
            }
        })
    }
}
