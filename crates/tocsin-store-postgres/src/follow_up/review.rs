//! The weekly review digest on PostgreSQL: starting a period's digest once, and the digests
//! written.

use jiff::Timestamp;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use tocsin_store::rows::{ms, ts, ts_opt};
use tocsin_store::{Result, ReviewDigest};

use super::schedule;

/// A `review_digests` row.
pub(crate) fn digest(row: &PgRow) -> Result<ReviewDigest> {
    Ok(ReviewDigest {
        id: row.try_get("id")?,
        due_at: ts(row.try_get("due_at")?)?,
        channel: row.try_get("channel")?,
        text: row.try_get("text")?,
        created_at: ts(row.try_get("created_at")?)?,
        sent_at: ts_opt(row.try_get("sent_at")?)?,
        result: row.try_get("result")?,
    })
}

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
        .map(digest)
        .collect()
}
