//! Translates the validated configuration into what the pure engine and the senders need.

use std::collections::HashMap;
use std::time::Duration;

use tocsin_config::{Audience, ChannelKind, Comms, Config};
use tocsin_core::decide::{Policy, SeverityRule};
use tocsin_core::escalation::{ContactRule, EscalationRule, PageTarget, RouteRule, StepRule};
use tocsin_core::policy::{CustomerChannel, CustomerCommsRule, SeverityComms};
use tocsin_notify::Target;

/// The channels this build can deliver to, by id. E-mail channels (customer communications) are
/// not delivered yet; a severity naming one still notifies its other channels.
pub fn targets(config: &Config) -> HashMap<String, Target> {
    config
        .channels
        .iter()
        .filter_map(|channel| {
            let target = match &channel.kind {
                ChannelKind::Slack { webhook_url, .. } => Target::Slack {
                    webhook_url: webhook_url.clone(),
                },
                ChannelKind::Webhook { url, secret } => Target::Webhook {
                    url: url.clone(),
                    secret: secret.clone(),
                },
                ChannelKind::SlackApp(app) => Target::SlackApp {
                    bot_token: app.bot_token.clone(),
                    channel: app.channel.clone(),
                    api_url: app.api_url.clone(),
                },
                ChannelKind::Email { .. } => return None,
                ChannelKind::Sms(sms) => Target::Sms(tocsin_notify::sms::SmsTarget {
                    provider: sms.provider,
                    account: sms.account.clone(),
                    token: sms.token.clone(),
                    from: sms.from.clone(),
                    api_url: sms.api_url.clone(),
                }),
                ChannelKind::Http(http) => Target::HttpTemplate {
                    method: http.method.clone(),
                    url: http.url.clone(),
                    headers: http
                        .headers
                        .iter()
                        .map(|(name, value)| (name.clone(), value.clone()))
                        .collect(),
                    body: http.body.clone(),
                    secret: http.secret.clone(),
                },
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
                pages: severity.pages(),
                update_every: severity.update_every,
            })
            .collect(),
        reopen_window: config.engine.reopen_window,
        postmortem: crate::postmortem::rule(config),
        runbooks: crate::runbooks::policy(config),
        routes: config
            .routes
            .iter()
            .map(|route| RouteRule {
                category: route.category.clone(),
                escalation: route.escalation.clone(),
            })
            .collect(),
        label_routes: config
            .label_routes
            .iter()
            .map(|route| tocsin_core::policy::LabelRouteRule {
                matchers: route.matchers.clone(),
                title: route.title.clone(),
                escalation: route.escalation.clone(),
                runbook: route.runbook.clone(),
            })
            .collect(),
        escalations: config.escalations.iter().map(escalation).collect(),
        customer_comms: customer_comms(config),
        tickets: config
            .tickets
            .as_ref()
            .map(|tickets| tocsin_core::policy::TicketRule {
                severities: tickets.severities.clone(),
            }),
        live_channels: config
            .channels
            .iter()
            .filter(|channel| matches!(channel.kind, ChannelKind::SlackApp(_)))
            .map(|channel| channel.id.clone())
            .collect(),
        contacts: config
            .contacts
            .iter()
            .filter(|contact| !contact.external)
            .map(|contact| ContactRule {
                id: contact.id.clone(),
                name: contact.name.clone(),
                methods: contact
                    .methods
                    .iter()
                    .map(|method| match method {
                        tocsin_config::ContactMethod::Email => "email".to_owned(),
                        tocsin_config::ContactMethod::Channel(id) => id.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Each severity's customer-facing channels (e-mail channels with an `audience` and a
/// template, in `notify` order), whether its notices are drafts, and which templates exist: what
/// the core needs to decide who is told what.
fn customer_comms(config: &Config) -> CustomerCommsRule {
    let by_severity = config
        .severities
        .iter()
        .map(|severity| {
            let channels = severity
                .notify
                .iter()
                .filter_map(|id| config.channel(id))
                .filter_map(|channel| match &channel.kind {
                    ChannelKind::Email {
                        audience: Some(audience),
                        template: Some(template),
                    } => Some(CustomerChannel {
                        id: channel.id.clone(),
                        audience: match audience {
                            Audience::Subscribers => "subscribers".into(),
                            Audience::Affected => "affected".into(),
                        },
                        template: template.clone(),
                    }),
                    _ => None,
                })
                .collect();
            let comms = SeverityComms {
                draft: severity.comms == Comms::Draft,
                channels,
            };
            (severity.id.clone(), comms)
        })
        .collect();
    CustomerCommsRule {
        by_severity,
        templates: config.templates.iter().map(|t| t.id.clone()).collect(),
        default_locale: config.org.default_locale().to_owned(),
    }
}

fn escalation(escalation: &tocsin_config::Escalation) -> EscalationRule {
    EscalationRule {
        id: escalation.id.clone(),
        repeat: escalation.repeat,
        steps: escalation
            .steps
            .iter()
            .map(|step| StepRule {
                targets: step
                    .targets
                    .iter()
                    .map(|target| match target {
                        tocsin_config::Target::Schedule(id) => PageTarget::Schedule(id.clone()),
                        tocsin_config::Target::Contact(id) => PageTarget::Contact(id.clone()),
                    })
                    .collect(),
                after: step.after,
            })
            .collect(),
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

    #[test]
    fn jitter_spreads_many_monitors_across_the_interval() {
        let interval = Duration::from_secs(30);
        // 1,000 monitors in ten 3-second slices: each slice gets about a hundred.
        let mut slices = [0u32; 10];
        for n in 0..1000 {
            let offset = jitter(&format!("monitor-{n}"), interval);
            assert!(offset < interval);
            let slice = usize::try_from(offset.as_secs() / 3).expect("small");
            slices[slice] += 1;
        }
        assert!(
            slices.iter().all(|count| (60..=140).contains(count)),
            "{slices:?}"
        );
    }
}
