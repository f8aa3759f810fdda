//! Delivers the outbox: claims due deliveries, sends each through its channel, and records every
//! attempt. Failures retry with backoff and jitter; the delivery id is the idempotency key the
//! receiver sees, so a resend after a crash can be recognised.

use std::time::Duration;

use futures_util::{StreamExt, stream};
use jiff::SignedDuration;
use tocsin_core::notice::{NoticeEvent, NoticeLinks};
use tocsin_core::retry::{MAX_ATTEMPTS, retry_delay};
use tocsin_notify::Delivery;
use tocsin_store::{Attempt, AttemptOutcome, PendingDelivery};

use crate::{Engine, EngineError};

/// Longer than any send may take (the HTTP client gives up after 15 s).
const LEASE: Duration = Duration::from_secs(60);
const BATCH: u32 = 100;
const CONCURRENCY: usize = 32;

impl Engine {
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
        let links = NoticeLinks {
            incident_url: self.incident_url(&notice.incident_id),
            ack_url: acknowledgeable
                .then(|| self.ack_url(&notice.incident_id, &delivery.channel, &delivery.id, now)),
        };
        let attempt_number = delivery.attempts.saturating_add(1);
        let (outcome, http_status) = match self.targets.get(&delivery.channel) {
            None => (
                AttemptOutcome::Failed {
                    error: format!("channel `{}` is not configured", delivery.channel),
                },
                None,
            ),
            Some(target) => {
                let sent = self
                    .sender
                    .send(
                        target,
                        &Delivery {
                            id: &delivery.id,
                            notice,
                            links: &links,
                            now,
                            to: delivery.recipient.as_deref(),
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
