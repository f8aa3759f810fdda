//! StatusPageStore on PostgreSQL.

use async_trait::async_trait;
use jiff::Timestamp;
use tocsin_core::incident::Incident;
use tocsin_store::*;

use crate::PgStore;

#[async_trait]
impl StatusPageStore for PgStore {
    async fn status_incidents(&self, since: Timestamp) -> Result<Vec<Incident>> {
        todo!("status_incidents on PostgreSQL")
    }

    async fn public_updates(&self, incident_ids: &[String]) -> Result<Vec<PublicUpdate>> {
        todo!("public_updates on PostgreSQL")
    }

    async fn add_subscriber(
        &self,
        email: &str,
        locale: &str,
        now: Timestamp,
        ask_again_after: Timestamp,
    ) -> Result<Subscribed> {
        todo!("add_subscriber on PostgreSQL")
    }

    async fn add_subscriber_token(&self, token: &SubscriberToken) -> Result<()> {
        todo!("add_subscriber_token on PostgreSQL")
    }

    async fn subscriber_token(
        &self,
        selector: &str,
    ) -> Result<Option<(SubscriberToken, SubscriberRecord)>> {
        todo!("subscriber_token on PostgreSQL")
    }

    async fn confirm_subscriber(&self, subscriber_id: i64, at: Timestamp) -> Result<bool> {
        todo!("confirm_subscriber on PostgreSQL")
    }

    async fn unsubscribe(&self, subscriber_id: i64, at: Timestamp) -> Result<bool> {
        todo!("unsubscribe on PostgreSQL")
    }

    async fn queue_subscriber_updates(&self, severities: &[String], now: Timestamp) -> Result<u64> {
        todo!("queue_subscriber_updates on PostgreSQL")
    }
}
