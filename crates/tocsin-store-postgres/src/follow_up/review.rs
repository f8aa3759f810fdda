//! The weekly review digest on PostgreSQL: starting a period's digest once, and the digests
//! written.

use jiff::Timestamp;
use sqlx::PgPool;
use tocsin_store::rows::{self, ms};
use tocsin_store::{Result, ReviewDigest};

use super::schedule;

/// Moves the schedule from `due` to `next` and inserts the period's digest; `false` (nothing
/// written) when another replica moved the schedule first. The digest's unique `due_at` keeps
/// a period to one digest even if the schedule was reset to an instant already done.
pub(crate) async fn start(
    pool: &PgPool,
    record: &ReviewDigest,
    due: Timestamp,
    next: Timestamp,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
    if !schedule::REVIEW.advance(&mut tx, due, next).await? {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO review_digests (id, due_at, channel, text, created_at) VALUES ($1, $2, $3, $4, $5) \
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

/// The newest digests first.
pub(crate) async fn newest(pool: &PgPool, limit: u32) -> Result<Vec<ReviewDigest>> {
    sqlx::query("SELECT * FROM review_digests ORDER BY due_at DESC LIMIT $1")
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?
        .iter()
        .map(rows::review_digest)
        .collect()
}
