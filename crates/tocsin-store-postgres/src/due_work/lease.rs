//! The one leased queue on PostgreSQL: one claim statement, one release and one record of a
//! send attempt for every kind of due work, read from where each queue lives
//! (`tocsin_store::Queue` has the rule and the tables).

use jiff::Timestamp;
use sqlx::postgres::PgRow;
use tocsin_store::rows::{AttemptColumns, ms};
use tocsin_store::{Queue, QueueTable, Result};

use crate::PgStore;

/// Claims up to `limit` pending rows of `queue` due at `now` whose lease is free, earliest
/// first, for the store's owner until `lease_until`; returns the claimed rows whole, earliest
/// first.
pub(super) async fn claim(
    store: &PgStore,
    queue: Queue,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<PgRow>> {
    let QueueTable { key, due, .. } = queue.table();
    let read = format!("SELECT * FROM claimed ORDER BY {due}, {key}");
    claim_then(store, queue, now, lease_until, limit, &read).await
}

/// The claim of [`claim`], answering what `read` selects from the claimed rows: `read` is a
/// `SELECT` over `claimed` (the claimed rows whole, as the claim returns them) that says its own
/// order, built from constant fragments only — e.g. to join what a mail needs besides its row.
///
/// One statement claims: the inner `SELECT … FOR UPDATE SKIP LOCKED` locks the due rows it
/// picks and passes over rows another replica's claim is locking right now, so two replicas
/// claiming at once never get the same row and neither waits for the other. A row another
/// claim has just committed is re-checked on its new version (READ COMMITTED) and then no
/// longer free. RETURNING hands the rows back at once, with no second read.
pub(super) async fn claim_then(
    store: &PgStore,
    queue: Queue,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
    read: &str,
) -> Result<Vec<PgRow>> {
    let QueueTable {
        table,
        key,
        due,
        pending,
    } = queue.table();
    // Built from the constant fragments above and the caller's constant `read` only; every
    // value is bound.
    let sql = format!(
        "WITH claimed AS (\
           UPDATE {table} SET claimed_until = $1, claimed_by = $4 WHERE {key} IN (\
             SELECT {key} FROM {table} WHERE {pending} AND {due} <= $2 \
             AND (claimed_until IS NULL OR claimed_until <= $2) \
             ORDER BY {due}, {key} LIMIT $3 FOR UPDATE SKIP LOCKED) \
           RETURNING *) \
         {read}"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ms(lease_until))
        .bind(ms(now))
        .bind(i64::from(limit))
        .bind(store.lease_owner.as_str())
        .fetch_all(store.pool())
        .await?)
}

/// Releases every lease `owner` holds, on every queue (and leases written before leases had
/// owners), in one transaction: at start-up, all of a killed run's work is due again at once.
pub(super) async fn release(store: &PgStore) -> Result<()> {
    let mut tx = store.pool().begin().await?;
    for queue in Queue::ALL {
        let QueueTable { table, .. } = queue.table();
        let sql = format!(
            "UPDATE {table} SET claimed_until = NULL, claimed_by = NULL \
             WHERE claimed_until IS NOT NULL AND (claimed_by = $1 OR claimed_by IS NULL)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(store.lease_owner.as_str())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records one send attempt's outcome on a pending row of an outbox `queue` (deliveries, the
/// mail outboxes): sent, retried later, or failed for good; the lease ends. Only a pending row
/// changes, so a second report of an outcome (from this or another replica, which waits for
/// the row's lock) finds it finished and changes nothing. A failure reported by `owner` after
/// another replica claimed the row (a replica that stalled past its lease, then timed out)
/// leaves the row to its holder: it would otherwise end that replica's lease mid-send and make
/// the row due for a third. A send is recorded whoever reports it: it happened, and marking
/// the row sent spares the receiver a resend. Answers whether the row changed.
pub(super) async fn record_outcome<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    queue: Queue,
    key: &str,
    owner: &str,
    columns: &AttemptColumns<'_>,
) -> Result<bool> {
    let QueueTable {
        table,
        key: key_column,
        ..
    } = queue.table();
    // Built from the queue's constant fragments only; every value is bound.
    let sql = format!(
        "UPDATE {table} SET status = $1, attempts = attempts + 1, claimed_until = NULL, \
           last_error = $2, next_attempt_at = COALESCE($3, next_attempt_at), \
           sent_at = COALESCE($4, sent_at) \
         WHERE {key_column} = $5 AND status = 'pending' \
           AND ($1 = 'sent' OR claimed_by IS NULL OR claimed_by = $6)"
    );
    let updated = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(columns.status)
        .bind(columns.error)
        .bind(columns.next_attempt_at)
        .bind(columns.sent_at)
        .bind(key)
        .bind(owner)
        .execute(executor)
        .await?
        .rows_affected();
    Ok(updated > 0)
}
