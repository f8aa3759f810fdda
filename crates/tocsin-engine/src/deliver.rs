//! Delivers the outbox: takes the deliveries a commit handed over and claims the other due ones,
//! sends each through its channel, and records every attempt. Failures retry with backoff and jitter; the delivery id is the idempotency key the
//! receiver sees, so a resend after a crash can be recognised.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures_util::{StreamExt, stream};
use jiff::SignedDuration;
use tocsin_core::delivery::DeliveryRecord;
use tocsin_core::notice::{NoticeEvent, NoticeLinks};
use tocsin_core::retry::{MAX_ATTEMPTS, retry_delay};
use tocsin_notify::{Delivery, Target, Throttle};
use tocsin_store::{Attempt, AttemptOutcome, PendingDelivery};

use crate::{Engine, EngineError};

/// On a single node, how long claimed deliveries stay claimed: longer than a whole round of
/// sends may take (the HTTP client gives up after 15 s), since nobody else would take them.
/// Among replicas the lease is `server.lease`, and each send renews it first (`deliver`).
const ONE_NODE_LEASE: Duration = Duration::from_secs(60);
const BATCH: u32 = 100;
const CONCURRENCY: usize = 32;

/// The delivery worker's part: the per-contact throttle's turn and the pages in flight, and the
/// wake a commit that queued deliveries rings.
#[derive(Debug, Default)]
pub(crate) struct Deliveries {
    /// The per-contact throttle's check-and-reserve, one at a time.
    throttle_turn: tokio::sync::Mutex<()>,
    /// Pages the throttle let through that are still in flight, per (contact, method).
    in_flight_pages: std::sync::Mutex<HashMap<(String, String), usize>>,
    /// Wakes the delivery worker when a commit created deliveries. `notify_one` keeps a permit,
    /// so a commit landing mid-round is not missed until the next poll.
    pub(crate) wake: tokio::sync::Notify,
    /// Deliveries a commit handed over (already leased to this process), for the next round.
    handed: std::sync::Mutex<Vec<PendingDelivery>>,
    /// The ids of the deliveries this process is working on right now. A handed-over delivery
    /// whose first lease ran out before its task renewed it (a busy database) is due again and
    /// this process's own claim can take it a second time: the second task finds it here and
    /// leaves it. Status-page mail waits while any is being sent (`subscribers.rs`).
    sending: std::sync::Mutex<HashSet<String>>,
}

/// One delivery this process is working on, in [`Deliveries::sending`] until dropped (on every
/// path out of the send, an error or a panic included).
pub(crate) struct Sending<'a> {
    deliveries: &'a Deliveries,
    id: String,
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        self.deliveries.sending_ids().remove(&self.id);
    }
}

impl Deliveries {
    /// Queues deliveries a commit handed over and wakes the worker.
    pub(crate) fn hand(&self, deliveries: Vec<PendingDelivery>) {
        if deliveries.is_empty() {
            return;
        }
        self.handed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(deliveries);
        self.wake.notify_one();
    }

    /// The deliveries commits handed over since the last call, already leased to this process.
    pub(crate) fn take_handed(&self) -> Vec<PendingDelivery> {
        std::mem::take(
            &mut *self
                .handed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Marks the delivery `id` as being worked on until the guard is dropped; `None` when this
    /// process is already working on it.
    pub(crate) fn start(&self, id: &str) -> Option<Sending<'_>> {
        self.sending_ids().insert(id.to_owned()).then(|| Sending {
            deliveries: self,
            id: id.to_owned(),
        })
    }

    /// Whether a page or channel message is being sent at this moment.
    pub(crate) fn busy(&self) -> bool {
        !self.sending_ids().is_empty()
    }

    fn sending_ids(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.sending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Pages in flight per (contact, method), changed by `delta`; returns the count before.
    fn pages_in_flight(&self, key: &(String, String), delta: isize) -> usize {
        let mut counts = self
            .in_flight_pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(key.clone()).or_insert(0);
        let before = *count;
        *count = count.saturating_add_signed(delta);
        if *count == 0 {
            counts.remove(key);
        }
        before
    }
}

impl Engine {
    /// The newest deliveries first, of one incident or of all, for the API and the deliveries
    /// page.
    pub async fn recent_deliveries(
        &self,
        incident_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, EngineError> {
        Ok(self.store.deliveries(incident_id, limit).await?)
    }

    /// Where a page to `contact` by `method` goes: e-mail to their address, or a channel (an SMS
    /// relay gets their phone number as `to`).
    pub(crate) fn page_target(
        live: &crate::live::Live,
        contact: &str,
        method: &str,
    ) -> Result<(Target, Option<String>), String> {
        let person = live
            .config
            .contact(contact)
            .ok_or_else(|| format!("contact `{contact}` is not configured"))?;
        if method == "email" {
            let to = person
                .email
                .clone()
                .ok_or_else(|| format!("contact `{contact}` has no e-mail address"))?;
            let locale_rtl = live
                .config
                .org
                .locales
                .first()
                .is_some_and(|locale| locale.starts_with("ar"));
            return Ok((Target::Email { to, locale_rtl }, None));
        }
        let target = live
            .targets
            .get(method)
            .cloned()
            .ok_or_else(|| format!("channel `{method}` is not configured"))?;
        let to = match &target {
            Target::Slack { .. } | Target::SlackApp { .. } => None,
            _ => person.phone.clone(),
        };
        Ok((target, to))
    }

    pub(crate) async fn delivery_round(&self) -> Result<usize, EngineError> {
        let due = self.due_deliveries().await?;
        let count = due.len();
        let mut sends = stream::iter(due)
            .map(|delivery| self.deliver(delivery))
            .buffer_unordered(CONCURRENCY);
        while let Some(result) = sends.next().await {
            result?;
        }
        Ok(count)
    }

    /// The deliveries to send now: those commits handed over (already leased to this process),
    /// then the due ones claimed from the store. Handed-over ones are returned even when the
    /// claim fails.
    pub(crate) async fn due_deliveries(&self) -> Result<Vec<PendingDelivery>, EngineError> {
        let mut due = self.deliveries.take_handed();
        match self.claimed_deliveries().await {
            Ok(claimed) => {
                due.extend(claimed);
                Ok(due)
            }
            Err(error) if !due.is_empty() => {
                tracing::error!(%error, "claiming due deliveries failed; sending the ones handed over");
                Ok(due)
            }
            Err(error) => Err(error),
        }
    }

    /// The due deliveries claimed from the store (retries, other processes' expired leases).
    pub(crate) async fn claimed_deliveries(&self) -> Result<Vec<PendingDelivery>, EngineError> {
        let now = self.now();
        Ok(self
            .store
            .claim_due_deliveries(now, self.delivery_lease_until(now), BATCH)
            .await?)
    }

    /// When a claim of deliveries taken now ends.
    pub(crate) fn delivery_lease_until(&self, now: jiff::Timestamp) -> jiff::Timestamp {
        self.claim_until(now, ONE_NODE_LEASE)
    }

    /// The throttle for pages by `method`: GoAlert's limits per contact (SMS 5, e-mail 10 per 15
    /// minutes); Slack posts are not throttled per person.
    fn throttle(&self, method: &str, target: &Target) -> Option<Throttle> {
        match (method, target) {
            ("email", _) => Some(Throttle::EMAIL),
            (_, Target::Slack { .. } | Target::SlackApp { .. }) => None,
            _ => Some(Throttle::SMS),
        }
    }

    /// Sends one claimed delivery and records the attempt.
    pub(crate) async fn deliver(&self, delivery: PendingDelivery) -> Result<(), EngineError> {
        let Some(_sending) = self.deliveries.start(&delivery.id) else {
            tracing::info!(delivery = %delivery.id, "already being sent by this process; claimed again, left to the first send");
            return Ok(());
        };
        let now = self.now();
        // Before any work for it: a replica that lost the page does nothing more with it.
        if !self
            .still_holds(tocsin_store::Queue::Deliveries, &delivery.id, now)
            .await
        {
            tracing::info!(delivery = %delivery.id, "no longer held by this replica; another sends it");
            return Ok(());
        }
        if delivery.channel == tocsin_core::tickets::CHANNEL {
            return self.deliver_ticket(&delivery).await;
        }
        // The channel is looked up now, in the configuration in force: a page queued before a
        // reload goes where its channel points after it.
        let live = self.live();
        // A channel's opening message answers the first five minutes' questions (runbooks.rs);
        // a page to a person stays short.
        let with_card = match delivery.recipient {
            None => self.with_first_five_minutes(&delivery.notice).await,
            Some(_) => None,
        };
        let notice = with_card.as_ref().unwrap_or(&delivery.notice);
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
            None => live
                .targets
                .get(&delivery.channel)
                .cloned()
                .map(|target| (target, None))
                .ok_or_else(|| format!("channel `{}` is not configured", delivery.channel)),
            Some(contact) => Self::page_target(&live, contact, &delivery.channel),
        };
        // The throttle's hold on this contact and method while the page is in flight.
        let mut reservation: Option<(String, String)> = None;
        let (outcome, http_status) = match resolved {
            Err(error) => (AttemptOutcome::Failed { error }, None),
            Ok((target, to)) => {
                // A flood must not become 500 SMS: over the contact's limit, the page waits
                // (queued, not dropped) until the throttle lets it through.
                if let (Some(contact), Some(throttle)) = (
                    &delivery.recipient,
                    self.throttle(&delivery.channel, &target),
                ) {
                    let key = (contact.clone(), delivery.channel.clone());
                    // Pages of one round are sent concurrently: count the ones in flight too,
                    // under one lock, so six pages at once cannot all see "none sent yet".
                    let _turn = self.deliveries.throttle_turn.lock().await;
                    let window =
                        jiff::SignedDuration::try_from(throttle.window).unwrap_or_default();
                    let since = now.checked_sub(window).unwrap_or(now);
                    let mut history = self
                        .store
                        .page_sends(contact, &delivery.channel, since)
                        .await?;
                    let in_flight = self.deliveries.pages_in_flight(&key, 0);
                    // Other replicas' pages to this contact ahead of this one count as sent.
                    let elsewhere = self
                        .store
                        .pages_ahead_elsewhere(&delivery.id, contact, &delivery.channel, now)
                        .await?;
                    let elsewhere = usize::try_from(elsewhere).unwrap_or(usize::MAX);
                    history.extend(std::iter::repeat_n(
                        now,
                        in_flight.saturating_add(elsewhere),
                    ));
                    if let Err(allowed_at) = throttle.admit(&history, now) {
                        tracing::warn!(delivery = %delivery.id, %contact, %allowed_at, "page held back by the per-contact throttle");
                        self.store
                            .postpone_delivery(&delivery.id, allowed_at)
                            .await?;
                        return Ok(());
                    }
                    self.deliveries.pages_in_flight(&key, 1);
                    reservation = Some(key);
                }
                // An SMS page that can still be acknowledged carries a reply code, kept before
                // the send so that the reply finds it (the same code on every resend). A page
                // matters more than its code: one that cannot be kept is left out of the text.
                let reply_code = match (&delivery.recipient, &target) {
                    (Some(contact), Target::Sms(_)) if links.ack_url.is_some() => {
                        let code = tocsin_core::reply_code::for_delivery(&delivery.id);
                        let kept = self
                            .store
                            .record_reply_code(&tocsin_core::reply_code::ReplyCode {
                                delivery_id: delivery.id.clone(),
                                channel: delivery.channel.clone(),
                                code: code.clone(),
                                incident_id: notice.incident_id.clone(),
                                contact: contact.clone(),
                                created_at: now,
                            })
                            .await;
                        match kept {
                            Ok(()) => Some(code),
                            Err(error) => {
                                tracing::error!(delivery = %delivery.id, %error, "the page's reply code could not be kept; sending it without one");
                                None
                            }
                        }
                    }
                    _ => None,
                };
                // The lease was renewed at `now` for the lease and the longest send; a process
                // stalled since (a long pause, SIGSTOP) past the lease could not finish the send
                // inside it, and another replica may already be sending: it leaves the page.
                if !self.lease_covers_a_send(now) {
                    tracing::warn!(delivery = %delivery.id, "stalled past its lease before sending; left to whoever holds it next");
                    if let Some(key) = reservation {
                        self.deliveries.pages_in_flight(&key, -1);
                    }
                    return Ok(());
                }
                // A Slack app's channel keeps one message per incident (slack_app.rs).
                let app = match (&target, &delivery.recipient) {
                    (Target::SlackApp { .. }, None) => self.slack_app(&delivery.channel),
                    _ => None,
                };
                let sent = match app {
                    Some(app) => {
                        self.send_to_slack_app(&delivery.channel, &app, notice, &links)
                            .await
                    }
                    None => {
                        live.sender
                            .send(
                                &target,
                                &Delivery {
                                    id: &delivery.id,
                                    notice,
                                    links: &links,
                                    now,
                                    to: to.as_deref(),
                                    reply_code: reply_code.as_deref(),
                                },
                            )
                            .await
                    }
                };
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
        self.counters.delivery(&delivery.channel, (&outcome).into());
        // A page to a person given up on may leave nobody at its step reachable.
        let page_gave_up =
            delivery.recipient.is_some() && matches!(outcome, AttemptOutcome::Failed { .. });
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
        // Released after the record, so the next check counts this page among the sent.
        if let Some(key) = reservation {
            self.deliveries.pages_in_flight(&key, -1);
        }
        if page_gave_up {
            self.page_gave_up(&notice.incident_id).await;
        }
        Ok(())
    }
}
