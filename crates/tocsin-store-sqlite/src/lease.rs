//! The one leased queue on SQLite: one claim statement shape and one release for every kind of
//! due work, read from where each queue lives (`tocsin_store::Queue` has the rule and the tables).

use jiff::Timestamp;
use rusqlite::params;
use rusqlite::types::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, Transaction};
use tocsin_store::{Queue, QueueTable, Result, StoreError};

use crate::SqliteStore;
use crate::rows::ms;
use crate::write::failure;

/// Claims up to `limit` pending rows of `queue` due at `now` whose lease is free, earliest
/// first, for the store's owner until `lease_until`; returns the claimed rows whole.
///
/// The claim is a write on the writing connection (`write/`), answering only the keys; the
/// rows are then read on a reader (which sees the commit), still pending. An empty claim — the
/// usual answer of a worker's poll — writes no page, so it costs no fsync and leaves every
/// connection's page cache as it was.
pub(crate) async fn claim(
    store: &SqliteStore,
    queue: Queue,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<SqliteRow>> {
    let keys = claim_keys(store, queue, now, lease_until, limit).await?;
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let QueueTable {
        table,
        key,
        due,
        pending,
    } = queue.table();
    let read = format!(
        "SELECT * FROM {table} WHERE {key} IN (SELECT value FROM json_each(?1)) AND {pending} \
         ORDER BY {due}"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(read))
        .bind(serde_json::Value::Array(keys).to_string())
        .fetch_all(&store.reader)
        .await?)
}

/// The claim of [`claim`] alone: the claimed rows' keys, for a caller that reads the rows its
/// own way.
pub(crate) async fn claim_keys(
    store: &SqliteStore,
    queue: Queue,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<serde_json::Value>> {
    let QueueTable {
        table,
        key,
        due,
        pending,
    } = queue.table();
    // Built from the constant fragments above only; every value is bound.
    let claim = format!(
        "UPDATE {table} SET claimed_until = ?1, claimed_by = ?4 WHERE {key} IN (\
           SELECT {key} FROM {table} WHERE {pending} AND {due} <= ?2 \
           AND (claimed_until IS NULL OR claimed_until <= ?2) ORDER BY {due} LIMIT ?3) \
         RETURNING {key}"
    );
    let owner = store.lease_owner.as_str();
    store
        .write
        .write(|tx| {
            let mut statement = tx.prepare_cached(&claim).map_err(failure)?;
            let keys = statement
                .query_map(
                    params![ms(lease_until), ms(now), i64::from(limit), owner],
                    |row| row.get::<_, Value>(0),
                )
                .map_err(failure)?;
            keys.map(|key| match key.map_err(failure)? {
                Value::Integer(number) => Ok(serde_json::Value::from(number)),
                Value::Text(text) => Ok(serde_json::Value::from(text)),
                other => Err(StoreError::Corrupt(format!(
                    "a {table} key that is neither a number nor text: {other:?}"
                ))),
            })
            .collect()
        })
        .await
}

/// Releases every lease `owner` holds, on every queue (and leases written before leases had
/// owners).
pub(crate) async fn release(tx: &mut Transaction<'_, Sqlite>, owner: &str) -> Result<()> {
    for queue in Queue::ALL {
        let QueueTable { table, .. } = queue.table();
        let sql = format!(
            "UPDATE {table} SET claimed_until = NULL, claimed_by = NULL \
             WHERE claimed_until IS NOT NULL AND (claimed_by = ?1 OR claimed_by IS NULL)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
