//! Delivers the outbox: claims due deliveries, sends each through its channel, and records every
//! attempt. Failures retry with backoff and jitter; the delivery id is the idempotency key the
//! receiver sees, so a resend after a crash can be recognised.

use std::time::Duration;

use futures_util::{StreamExt, stream};
use jiff::SignedDuration;
use tocsin_core::notice::{NoticeEvent, NoticeLinks};
use tocsin_core::retry::{MAX_ATTEMPTS, retry_delay};
use tocsin_notify::{Delivery, Target};
use tocsin_store::{Attempt, AttemptOutcome, PendingDelivery};

use crate::{Engine, EngineError};

/// Longer than any send may take (the HTTP client gives up after 15 s).
const LEASE: Duration = Duration::from_secs(60);
const BATCH: u32 = 100;
const CONCURRENCY: usize = 32;

impl Engine {
    /// Where a page to `contact` by `method` goes: e-mail to their address, or a channel (an SMS
    /// relay gets their phone number as `to`).
    fn page_target(&self, contact: &str, method: &str) -> Result<(Target, Option<String>), String> {
        let person = self
            .config
            .contact(contact)
            .ok_or_else(|| format!("contact `{contact}` is not configured"))?;
        if method == "email" {
            let to = person
                .email
                .clone()
                .ok_or_else(|| format!("contact `{contact}` has no e-mail address"))?;
            let locale_rtl = self
                .config
                .org
                .locales
                .first()
                .is_some_and(|locale| locale.starts_with("ar"));
            return Ok((Target::Email { to, locale_rtl }, None));
        }
        let target = self
            .targets
            .get(method)
            .cloned()
            .ok_or_else(|| format!("channel `{method}` is not configured"))?;
        let to = match &target {
            Target::Slack { .. } => None,
            _ => person.phone.clone(),
        };
        Ok((target, to))
    }

    pub(crate) async fn delivery_round(&self) -> Result<usize, EngineError> {
        let claimed = self.claim_due_deliveries().await?;
        let count = claimed.len();
        let mut sends = stream::iter(claimed)
            .map(|delivery| self.deliver(delivery))
            .buffer_unordered(CONCURRENCY);
        while let Some(result) = sends.next().await {
            result?;
        }
        Ok(count)
    }

    pub(crate) async fn claim_due_deliveries(&self) -> Result<Vec<PendingDelivery>, EngineError> {
        let now = self.now();
        let lease_until = now
            .saturating_add(SignedDuration::try_from(LEASE).unwrap_or_default())
            .unwrap_or(now);
        Ok(self
            .store
            .claim_due_deliveries(now, lease_until, BATCH)
            .await?)
    }

    /// Sends one claimed delivery and records the attempt.
    pub(crate) async fn deliver(&self, delivery: PendingDelivery) -> Result<(), EngineError> {
        let now = self.now();
        let notice = &delivery.notice;
        let acknowledgeable = matches!(
            notice.event,
            NoticeEvent::Opened | NoticeEvent::ResponseOverdue
        );
        // A page's link acknowledges as the person paged; a channel's, as the channel.
        let person = delivery.recipient.as_deref().unwrap_or(&delivery.channel);
        let links = NoticeLinks {
            incident_url: self.incident_url(&notice.incident_id),
            ack_url: acknowledgeable
                .then(|| self.ack_url(&notice.incident_id, person, &delivery.id, now)),
        };
        let attempt_number = delivery.attempts.saturating_add(1);
        let resolved = match &delivery.recipient {
            None => self
                .targets
                .get(&delivery.channel)
                .cloned()
                .map(|target| (target, None))
                .ok_or_else(|| format!("channel `{}` is not configured", delivery.channel)),
            Some(contact) => self.page_target(contact, &delivery.channel),
        };
        let (outcome, http_status) = match resolved {
            Err(error) => (AttemptOutcome::Failed { error }, None),
            Ok((target, to)) => {
                let sent = self
                    .sender
                    .send(
                        &target,
                        &Delivery {
                            id: &delivery.id,
                            notice,
                            links: &links,
                            now,
                            to: to.as_deref(),
                        },
                    )
                    .await;
                match sent {
                    Ok(()) => (AttemptOutcome::Sent, None),
                    Err(error) if error.retryable && attempt_number < MAX_ATTEMPTS => {
                        let wait =
                            retry_delay(attempt_number, error.retry_after, rand::random::<f64>());
                        let next_attempt_at = now
                            .saturating_add(SignedDuration::try_from(wait).unwrap_or_default())
                            .unwrap_or(now);
                        (
                            AttemptOutcome::Retry {
                                error: error.detail.clone(),
                                next_attempt_at,
                            },
                            error.status,
                        )
                    }
                    Err(error) => (
                        AttemptOutcome::Failed {
                            error: error.detail.clone(),
                        },
                        error.status,
                    ),
                }
            }
        };
        match &outcome {
            AttemptOutcome::Sent => {
                tracing::info!(delivery = %delivery.id, channel = %delivery.channel, "delivered")
            }
            AttemptOutcome::Retry {
                error,
                next_attempt_at,
            } => {
                tracing::warn!(delivery = %delivery.id, channel = %delivery.channel, %error, %next_attempt_at, "delivery failed, will retry")
            }
            AttemptOutcome::Failed { error } => {
                tracing::error!(delivery = %delivery.id, channel = %delivery.channel, %error, "delivery failed for good")
            }
        }
        self.store
            .record_attempt(Attempt {
                delivery_id: delivery.id.clone(),
                incident_id: notice.incident_id.clone(),
                channel: delivery.channel.clone(),
                at: self.now(),
                http_status,
                outcome,
            })
            .await?;
        Ok(())
    }
}
