//! Post-mortem rows: kept with the resolution that required them, claimed by the worker that
//! writes their file, published by a person; and the incidents the response metrics read.

use jiff::Timestamp;
use tocsin_core::incident::Incident;

use crate::SqliteStore;
use crate::rows::{self, ms};
use tocsin_store::PostmortemRecord;
use tocsin_store::Result;

impl SqliteStore {
    pub(super) async fn postmortems_sql(&self) -> Result<Vec<PostmortemRecord>> {
        sqlx::query("SELECT * FROM postmortems ORDER BY due_at DESC, incident_id DESC")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(rows::postmortem)
            .collect()
    }

    pub(super) async fn postmortem_sql(
        &self,
        incident_id: &str,
    ) -> Result<Option<PostmortemRecord>> {
        sqlx::query("SELECT * FROM postmortems WHERE incident_id = ?")
            .bind(incident_id)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(rows::postmortem)
            .transpose()
    }

    pub(super) async fn claim_unwritten_postmortems_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PostmortemRecord>> {
        crate::lease::claim(
            self,
            tocsin_store::Queue::Postmortems,
            now,
            lease_until,
            limit,
        )
        .await?
        .iter()
        .map(rows::postmortem)
        .collect()
    }

    pub(super) async fn mark_postmortem_written_sql(
        &self,
        incident_id: &str,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE postmortems SET written_at = ?, claimed_until = NULL WHERE incident_id = ?",
        )
        .bind(ms(at))
        .bind(incident_id)
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }

    pub(super) async fn incidents_opened_sql(
        &self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Incident>> {
        sqlx::query(
            "SELECT * FROM incidents WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at",
        )
        .bind(ms(from))
        .bind(ms(until))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(rows::incident)
        .collect()
    }
}
