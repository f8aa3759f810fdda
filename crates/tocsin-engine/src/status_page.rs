//! What the public status page reads: its stable identity (for its feeds), the incidents it
//! shows and their public updates. Nothing internal (titles, notes) is read here.

use jiff::Timestamp;
use tocsin_core::incident::Incident;
use tocsin_core::public_update::PublicUpdate;

use crate::{Engine, EngineError};

impl Engine {
    /// The status page's id and when it was first shown, made once and kept, so its feeds keep
    /// one identity across restarts.
    pub async fn status_page_identity(
        &self,
        now: Timestamp,
    ) -> Result<(String, Timestamp), EngineError> {
        let id = self
            .store
            .setting_or_insert("status_page_id", uuid::Uuid::now_v7().simple().to_string())
            .await?;
        let born = self
            .store
            .setting_or_insert("status_page_created_at", now.to_string())
            .await?;
        Ok((id, born.parse().unwrap_or(now)))
    }

    /// The incidents the status page shows: still open, or opened or resolved at or after
    /// `since`; newest first.
    pub async fn status_incidents(&self, since: Timestamp) -> Result<Vec<Incident>, EngineError> {
        Ok(self.store.status_incidents(since).await?)
    }

    /// The public updates of these incidents, newest first.
    pub async fn public_updates(
        &self,
        incident_ids: &[String],
    ) -> Result<Vec<PublicUpdate>, EngineError> {
        Ok(self.store.public_updates(incident_ids).await?)
    }
}
