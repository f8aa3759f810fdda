//! Translates the validated configuration into what the pure engine and the senders need.

use std::collections::HashMap;
use std::time::Duration;

use tocsin_config::{ChannelKind, Config};
use tocsin_core::decide::{Policy, SeverityRule};
use tocsin_notify::Target;

/// The channels this build can deliver to, by id. E-mail channels (customer communications) are
/// not delivered yet; a severity naming one still notifies its other channels.
pub fn targets(config: &Config) -> HashMap<String, Target> {
    config
        .channels
        .iter()
        .filter_map(|channel| {
            let target = match &channel.kind {
                ChannelKind::Slack { webhook_url } => Target::Slack {
                    webhook_url: webhook_url.clone(),
                },
                ChannelKind::Webhook { url, secret } => Target::Webhook {
                    url: url.clone(),
                    secret: secret.clone(),
                },
                ChannelKind::Email { .. } => return None,
            };
            Some((channel.id.clone(), target))
        })
        .collect()
}

pub fn policy(config: &Config, deliverable: &HashMap<String, Target>) -> Policy {
    Policy {
        severities: config
            .severities
            .iter()
            .map(|severity| SeverityRule {
                id: severity.id.clone(),
                respond_within: severity.respond_within,
                notify: severity
                    .notify
                    .iter()
                    .filter(|id| deliverable.contains_key(*id))
                    .cloned()
                    .collect(),
            })
            .collect(),
        reopen_window: config.engine.reopen_window,
    }
}

/// A monitor's fixed offset inside its interval, from its id: monitors with the same interval
/// spread out instead of firing together, and a restart keeps each one's rhythm.
pub fn jitter(monitor_id: &str, interval: Duration) -> Duration {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = monitor_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    let millis = u64::try_from(interval.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    Duration::from_millis(hash % millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_stable_and_inside_the_interval() {
        let interval = Duration::from_secs(30);
        assert_eq!(
            jitter("api-health", interval),
            jitter("api-health", interval)
        );
        assert!(jitter("api-health", interval) < interval);
        assert_ne!(jitter("api-health", interval), jitter("api-v1", interval));
    }
}
