//! SilenceStore on PostgreSQL: silences are rows every replica reads before its batches.

use async_trait::async_trait;
use jiff::Timestamp;
use tocsin_store::rows::{self, ms};
use tocsin_store::*;

use crate::PgStore;

fn matchers_json(silence: &SilenceRecord) -> Result<String> {
    serde_json::to_string(&silence.matchers)
        .map_err(|error| StoreError::Corrupt(format!("silence matchers: {error}")))
}

#[async_trait]
impl SilenceStore for PgStore {
    async fn add_silence(&self, silence: &SilenceRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO silences (id, matchers, starts_at, ends_at, comment, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&silence.id)
        .bind(matchers_json(silence)?)
        .bind(ms(silence.starts_at))
        .bind(ms(silence.ends_at))
        .bind(&silence.comment)
        .bind(&silence.created_by)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn silences(&self, limit: u32) -> Result<Vec<SilenceRecord>> {
        // Ids compare byte by byte, as on SQLite, whatever the database's locale.
        sqlx::query(
            "SELECT * FROM silences ORDER BY starts_at DESC, id COLLATE \"C\" DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(rows::silence)
        .collect()
    }

    async fn active_silences(&self, now: Timestamp) -> Result<Vec<SilenceRecord>> {
        sqlx::query(
            "SELECT * FROM silences WHERE ends_at > $1 AND starts_at <= $1 \
             ORDER BY starts_at, id COLLATE \"C\"",
        )
        .bind(ms(now))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(rows::silence)
        .collect()
    }

    async fn inhibiting(
        &self,
        severity: &str,
        limit: u32,
    ) -> Result<Vec<tocsin_core::noise::Holding>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, component FROM incidents WHERE state <> 'resolved' AND severity = $1 \
             AND held_by IS NULL AND component IS NOT NULL ORDER BY id COLLATE \"C\" DESC LIMIT $2",
        )
        .bind(severity)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn expire_silence(&self, id: &str, now: Timestamp) -> Result<Option<SilenceRecord>> {
        // One statement: ended now if still in force, read back either way.
        sqlx::query(
            "WITH ended AS (UPDATE silences SET ends_at = $2 WHERE id = $1 AND ends_at > $2 RETURNING *) \
             SELECT * FROM ended UNION ALL SELECT * FROM silences WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM ended)",
        )
        .bind(id)
        .bind(ms(now))
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(rows::silence)
        .transpose()
    }
}
