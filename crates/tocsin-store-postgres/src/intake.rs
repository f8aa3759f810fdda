//! IncidentStore on PostgreSQL.

use async_trait::async_trait;
use jiff::Timestamp;
use tocsin_core::decide::Situation;
use tocsin_core::incident::{Incident, TimelineEvent};
use tocsin_store::*;

use crate::PgStore;

#[async_trait]
impl IncidentStore for PgStore {
    async fn ping(&self) -> Result<()> {
        todo!("ping on PostgreSQL")
    }

    async fn situation_for_incident(&self, incident_id: &str) -> Result<Situation> {
        todo!("situation_for_incident on PostgreSQL")
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        todo!("commit on PostgreSQL")
    }

    async fn transact(
        &self,
        items: Vec<Item>,
        hand_over_until: Option<Timestamp>,
        decider: &mut Decider<'_>,
    ) -> Result<Transacted> {
        todo!("transact on PostgreSQL")
    }

    async fn changes(
        &self,
        kind: Option<tocsin_core::inbound::ChangeKind>,
        limit: u32,
    ) -> Result<Vec<ChangeRecord>> {
        todo!("changes on PostgreSQL")
    }

    async fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        todo!("incidents on PostgreSQL")
    }

    async fn timeline(&self, incident_id: &str) -> Result<Vec<TimelineEvent>> {
        todo!("timeline on PostgreSQL")
    }

    async fn deliveries(
        &self,
        incident_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>> {
        todo!("deliveries on PostgreSQL")
    }

    async fn token_used(&self, nonce: &str) -> Result<bool> {
        todo!("token_used on PostgreSQL")
    }

    async fn last_signal_at(&self, source: &str) -> Result<Option<Timestamp>> {
        todo!("last_signal_at on PostgreSQL")
    }

    async fn incidents_opened(&self, from: Timestamp, until: Timestamp) -> Result<Vec<Incident>> {
        todo!("incidents_opened on PostgreSQL")
    }

    async fn changes_in(&self, query: &ChangeQuery) -> Result<Vec<ChangeRecord>> {
        todo!("changes_in on PostgreSQL")
    }
}
