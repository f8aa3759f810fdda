//! SilenceStore on SQLite: silences written with the write turn, read on the readers (the
//! silences in force are read before every batch of signals, which must not wait for a write).

use async_trait::async_trait;
use jiff::Timestamp;
use tocsin_store::*;

use crate::SqliteStore;
use crate::rows::{self, ms};

fn matchers_json(silence: &SilenceRecord) -> Result<String> {
    serde_json::to_string(&silence.matchers)
        .map_err(|error| StoreError::Corrupt(format!("silence matchers: {error}")))
}

#[async_trait]
impl SilenceStore for SqliteStore {
    async fn add_silence(&self, silence: &SilenceRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO silences (id, matchers, starts_at, ends_at, comment, created_by) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&silence.id)
        .bind(matchers_json(silence)?)
        .bind(ms(silence.starts_at))
        .bind(ms(silence.ends_at))
        .bind(&silence.comment)
        .bind(&silence.created_by)
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }

    async fn silences(&self, limit: u32) -> Result<Vec<SilenceRecord>> {
        sqlx::query("SELECT * FROM silences ORDER BY starts_at DESC, id DESC LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(rows::silence)
            .collect()
    }

    async fn active_silences(&self, now: Timestamp) -> Result<Vec<SilenceRecord>> {
        sqlx::query(
            "SELECT * FROM silences WHERE ends_at > ? AND starts_at <= ? ORDER BY starts_at, id",
        )
        .bind(ms(now))
        .bind(ms(now))
        .fetch_all(&self.reader)
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
        // On a reader, like the silences in force: the committer's thread, which needs this
        // when its kept copy is stale, is the one thread an alert storm waits on, so the read's
        // work is done beside it rather than on it (measured: on that thread it cost more
        // throughput than the hand-off).
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, component FROM incidents WHERE state != 'resolved' AND severity = ? \
             AND held_by IS NULL AND component IS NOT NULL ORDER BY id DESC LIMIT ?",
        )
        .bind(severity)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn expire_silence(&self, id: &str, now: Timestamp) -> Result<Option<SilenceRecord>> {
        let writer = self.writer.turn().await;
        sqlx::query("UPDATE silences SET ends_at = ? WHERE id = ? AND ends_at > ?")
            .bind(ms(now))
            .bind(id)
            .bind(ms(now))
            .execute(&*writer)
            .await?;
        sqlx::query("SELECT * FROM silences WHERE id = ?")
            .bind(id)
            .fetch_optional(&*writer)
            .await?
            .as_ref()
            .map(rows::silence)
            .transpose()
    }
}
