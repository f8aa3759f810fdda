//! The public status page: its incidents and updates, subscribers and their mail.

use async_trait::async_trait;
use jiff::Timestamp;

use tocsin_core::incident::Incident;

use crate::*;

/// The public status page: its incidents and updates, subscribers and their mail.
#[async_trait]
pub trait StatusPageStore: Send + Sync {
    /// Incidents still open, or opened or resolved at or after `since`, newest first.
    async fn status_incidents(&self, since: Timestamp) -> Result<Vec<Incident>>;

    /// The public updates (timeline `update` events with `data.public = true`) of these
    /// incidents, newest first.
    async fn public_updates(&self, incident_ids: &[String]) -> Result<Vec<PublicUpdate>>;

    /// Adds a subscription awaiting confirmation (or starts over an unsubscribed or
    /// unconfirmed one) and queues its confirmation mail, in one transaction. No new mail when
    /// one was asked for after `ask_again_after`, or when the address is already confirmed.
    async fn add_subscriber(
        &self,
        email: &str,
        locale: &str,
        now: Timestamp,
        ask_again_after: Timestamp,
    ) -> Result<Subscribed>;

    /// Keeps a link's stored half.
    async fn add_subscriber_token(&self, token: &SubscriberToken) -> Result<()>;

    /// The link with this selector and its subscriber.
    async fn subscriber_token(
        &self,
        selector: &str,
    ) -> Result<Option<(SubscriberToken, SubscriberRecord)>>;

    /// Confirms a subscription; `false` when there is nothing left to confirm (unsubscribed).
    async fn confirm_subscriber(&self, subscriber_id: i64, at: Timestamp) -> Result<bool>;

    /// Ends a subscription and withdraws its unsent mail; `false` when it had already ended.
    async fn unsubscribe(&self, subscriber_id: i64, at: Timestamp) -> Result<bool>;

    /// Forgets sign-ups never confirmed whose last confirmation was asked for before
    /// `asked_before`: the row, its links and its mail (a customer notice sent to it keeps its
    /// record, without the link to the row). Confirmed subscriptions, ended or not, are kept.
    /// Returns how many sign-ups were forgotten.
    async fn purge_unconfirmed_subscribers(&self, asked_before: Timestamp) -> Result<u64>;

    /// Queues one mail per confirmed subscriber for every public update posted since the last
    /// call on an incident of one of `severities`, and moves the cursor past them, in one
    /// transaction. Returns how many mails were queued.
    async fn queue_subscriber_updates(&self, severities: &[String], now: Timestamp) -> Result<u64>;
}
