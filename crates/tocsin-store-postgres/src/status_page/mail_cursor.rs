//! The cursor that hands public updates to the subscribers' outbox exactly once, shared by
//! every replica.
//!
//! SQLite could move the cursor to the newest event because its single writer meant no event
//! with a lower `seq` could still be uncommitted. Here replicas write timeline events at once,
//! and a transaction may commit event 10 after another committed event 11: a cursor moved to
//! 11 would skip 10 for good. So before trusting the newest event seen, a round waits out
//! the transactions writing `timeline_events` at that moment (every one that could hold a
//! lower, still invisible `seq`); and the cursor is read and moved under its row lock, so two
//! replicas never hand over the same range twice.

use jiff::Timestamp;
use sqlx::{PgConnection, PgPool};
use tocsin_store::Result;
use tocsin_store::rows::ms;

use super::PUBLIC_UPDATE;

/// How long a round waits for the writers of `timeline_events` in progress. While it waits,
/// new writers queue behind it, so it is kept short; a round that gives up leaves the cursor
/// where it was and the next round tries again.
const SETTLE_TIMEOUT: &str = "1s";

/// PostgreSQL's `lock_not_available`: `lock_timeout` ran out.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// See `StatusPageStore::queue_subscriber_updates`.
pub(super) async fn queue_updates(
    pool: &PgPool,
    severities: &[String],
    now: Timestamp,
) -> Result<u64> {
    // Most rounds end here, with one read and no lock: only update events are ever mailed,
    // so with none past the cursor it need not move (it moves past everything at the next
    // update).
    if !updates_past_cursor(pool).await? {
        return Ok(0);
    }
    // Read before the wait, never after: a seq below it still invisible now belongs to a
    // transaction writing at this moment, which the wait then outlasts.
    let newest: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM timeline_events")
        .fetch_one(pool)
        .await?;
    let Some(upto) = newest else {
        return Ok(0);
    };
    if !writers_settled(pool).await? {
        tracing::debug!("timeline writers busy; subscriber updates wait for the next round");
        return Ok(0);
    }
    // Every event up to `upto` is now committed or never will be: hand them over once.
    let mut tx = pool.begin().await?;
    // The cursor row is the schema's to create; made here if missing so the lock below
    // always has a row to take (a new database has no events before it, so 0 loses none).
    sqlx::query(
        "INSERT INTO status_mail_cursor (id, last_seq) VALUES (1, 0) ON CONFLICT DO NOTHING",
    )
    .execute(&mut *tx)
    .await?;
    // Another replica's round waits here for this one to commit, then reads where it left
    // the cursor (READ COMMITTED re-reads a locked row's newest version).
    let last: i64 =
        sqlx::query_scalar("SELECT last_seq FROM status_mail_cursor WHERE id = 1 FOR UPDATE")
            .fetch_one(&mut *tx)
            .await?;
    if upto <= last {
        return Ok(0);
    }
    let queued = hand_over(&mut tx, last, upto, severities, now).await?;
    sqlx::query("UPDATE status_mail_cursor SET last_seq = $1 WHERE id = 1")
        .bind(upto)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(queued)
}

/// Queues a mail to every confirmed subscriber for each public update with a seq in
/// `(last, upto]` on an incident of one of `severities`; returns how many.
async fn hand_over(
    tx: &mut PgConnection,
    last: i64,
    upto: i64,
    severities: &[String],
    now: Timestamp,
) -> Result<u64> {
    let sql = format!(
        "INSERT INTO subscriber_mail (id, subscriber_id, kind, event_seq, status, next_attempt_at, created_at) \
         SELECT replace(gen_random_uuid()::text, '-', ''), s.id, 'update', e.seq, 'pending', $1, $1 \
         FROM timeline_events e JOIN incidents i ON i.id = e.incident_id \
         JOIN subscribers s ON s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL \
         WHERE e.seq > $2 AND e.seq <= $3 AND {PUBLIC_UPDATE} AND i.severity = ANY($4) \
         ON CONFLICT DO NOTHING"
    );
    // Built from constant fragments only; every value is bound. `subscriber_mail_once`
    // (one mail per subscriber and event) makes a repeat a no-op all the same.
    let queued = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ms(now))
        .bind(last)
        .bind(upto)
        .bind(severities)
        .execute(tx)
        .await?;
    Ok(queued.rows_affected())
}

/// Whether an update event lies past the cursor (a missing cursor row reads as 0).
async fn updates_past_cursor(pool: &PgPool) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT coalesce((SELECT max(seq) FROM timeline_events WHERE kind = 'update') \
           > coalesce((SELECT last_seq FROM status_mail_cursor WHERE id = 1), 0), false)",
    )
    .fetch_one(pool)
    .await?)
}

/// Waits until every transaction that was writing `timeline_events` when this is called has
/// ended; `false` when that took longer than [`SETTLE_TIMEOUT`].
///
/// A transaction holds ROW EXCLUSIVE on the table from before it takes a `seq` until it ends,
/// and SHARE conflicts with it: taking SHARE (and letting go at once) is waiting them out.
async fn writers_settled(pool: &PgPool) -> Result<bool> {
    let mut tx = pool.begin().await?;
    // `SET LOCAL`, with the value bound: it ends with this transaction.
    sqlx::query("SELECT set_config('lock_timeout', $1, true)")
        .bind(SETTLE_TIMEOUT)
        .execute(&mut *tx)
        .await?;
    match sqlx::query("LOCK TABLE timeline_events IN SHARE MODE")
        .execute(&mut *tx)
        .await
    {
        Ok(_) => {
            tx.commit().await?;
            Ok(true)
        }
        Err(sqlx::Error::Database(error))
            if error.code().as_deref() == Some(LOCK_NOT_AVAILABLE) =>
        {
            Ok(false)
        }
        Err(error) => Err(error.into()),
    }
}
