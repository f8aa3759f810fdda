//! The watchdog: tocsin pings an outside check (`[watchdog] url`) every `every`, so that when
//! tocsin itself dies someone else notices the silence. A failed ping is logged and counted,
//! never fatal: the outside check is what raises the alarm, not tocsin.

use std::time::Duration;

use crate::Engine;

/// The longest a ping may take: a slow check must not pile pings up behind it.
const MAX_TIMEOUT: Duration = Duration::from_secs(10);

impl Engine {
    /// Pings the watchdog URL once, when one is configured; returns whether it answered 2xx.
    pub async fn watchdog_ping(&self) -> bool {
        let Some(watchdog) = &self.config().watchdog else {
            return false;
        };
        let timeout = watchdog.every.min(MAX_TIMEOUT);
        let answer = self
            .self_monitoring
            .watchdog_client
            .get(watchdog.url.expose())
            .timeout(timeout)
            .send()
            .await;
        let ok = match answer {
            Ok(response) if response.status().is_success() => true,
            // The URL is a secret (whoever has it can ping): log what went wrong, not where.
            Ok(response) => {
                tracing::warn!(
                    status = response.status().as_u16(),
                    "the watchdog check refused the ping"
                );
                false
            }
            Err(error) => {
                tracing::warn!(error = %error.without_url(), "the watchdog ping failed");
                false
            }
        };
        self.counters.watchdog_ping(ok, self.now());
        ok
    }
}
