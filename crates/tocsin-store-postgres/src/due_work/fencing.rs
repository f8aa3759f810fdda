//! Fencing: before a replica acts on claimed work (sends a page), it checks that it still
//! holds it, renewing the lease in the same statement. A replica that stalled past its lease
//! (a long pause, SIGSTOP) finds the work gone to another and leaves it.

use jiff::Timestamp;
use tocsin_store::rows::ms;
use tocsin_store::{Queue, Result};

use crate::PgStore;

pub(super) async fn still_holds(
    store: &PgStore,
    queue: Queue,
    key: &str,
    now: Timestamp,
    until: Timestamp,
) -> Result<bool> {
    let table = queue.table();
    // Built from the queue's constant fragments only; every value is bound. Keys are text or
    // numbers: compared as text.
    let sql = format!(
        "UPDATE {table} SET claimed_until = $1 \
         WHERE {key}::text = $2 AND claimed_by = $3 AND claimed_until > $4 AND {pending}",
        table = table.table,
        key = table.key,
        pending = table.pending,
    );
    let renewed = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ms(until))
        .bind(key)
        .bind(&store.lease_owner)
        .bind(ms(now))
        .execute(store.pool())
        .await?
        .rows_affected();
    Ok(renewed == 1)
}
