//! The weekly review digest in SQLite: its schedule row and the digests sent.

use jiff::Timestamp;

use crate::rows::{self, ms};
use crate::{SqliteStore, schedule_row};

/// Digests sent per claim: one a week, so a claim takes every unsent one.
const DIGESTS_PER_CLAIM: u32 = 10;
use tocsin_store::{Result, ReviewDigest};

impl SqliteStore {
    pub(super) async fn sync_review_schedule_sql(
        &self,
        rule: Option<&str>,
        first_due: Timestamp,
    ) -> Result<()> {
        schedule_row::REVIEW
            .sync(&*self.writer.turn().await, rule, first_due)
            .await
    }

    pub(super) async fn review_due_at_sql(&self) -> Result<Option<Timestamp>> {
        schedule_row::REVIEW
            .due_at(&*self.writer.turn().await)
            .await
    }

    pub(super) async fn start_review_digest_sql(
        &self,
        record: &ReviewDigest,
        due: Timestamp,
        next: Timestamp,
    ) -> Result<bool> {
        let turn = self.writer.turn().await;
        let mut tx = turn.begin().await?;
        let moved =
            sqlx::query("UPDATE review_schedule SET due_at = ? WHERE id = 1 AND due_at = ?")
                .bind(ms(next))
                .bind(ms(due))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if moved == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO review_digests (id, due_at, channel, text, created_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (due_at) DO NOTHING",
        )
        .bind(&record.id)
        .bind(ms(record.due_at))
        .bind(&record.channel)
        .bind(&record.text)
        .bind(ms(record.created_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn claim_unsent_review_digests_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<ReviewDigest>> {
        crate::lease::claim(
            self,
            tocsin_store::Queue::ReviewDigests,
            now,
            lease_until,
            DIGESTS_PER_CLAIM,
        )
        .await?
        .iter()
        .map(rows::review_digest)
        .collect()
    }

    pub(super) async fn record_review_digest_sql(
        &self,
        id: &str,
        at: Timestamp,
        result: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE review_digests SET sent_at = ?, result = ?, claimed_until = NULL WHERE id = ?",
        )
        .bind(ms(at))
        .bind(result)
        .bind(id)
        .execute(&*self.writer.turn().await)
        .await?;
        Ok(())
    }

    pub(super) async fn review_digests_sql(&self, limit: u32) -> Result<Vec<ReviewDigest>> {
        sqlx::query("SELECT * FROM review_digests ORDER BY due_at DESC LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(&*self.writer.turn().await)
            .await?
            .iter()
            .map(rows::review_digest)
            .collect()
    }
}
