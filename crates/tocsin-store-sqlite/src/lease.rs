//! The one leased queue on SQLite: one claim statement shape and one release for every kind of
//! due work, read from a table of where each queue lives (`tocsin_store::Queue` has the rule).

use jiff::Timestamp;
use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, SqlitePool, Transaction};
use tocsin_store::{Queue, Result};

use crate::rows::ms;

/// Where a queue's rows live: the table, its key, the due column and what makes a row pending.
struct QueueTable {
    table: &'static str,
    key: &'static str,
    due: &'static str,
    pending: &'static str,
}

fn table(queue: Queue) -> QueueTable {
    let (table, key, due, pending) = match queue {
        Queue::Monitors => ("monitors", "id", "next_check_at", "active = 1"),
        Queue::Timers => ("timers", "id", "due_at", "1 = 1"),
        Queue::Deliveries => ("deliveries", "id", "next_attempt_at", "status = 'pending'"),
        Queue::SubscriberMail => (
            "subscriber_mail",
            "id",
            "next_attempt_at",
            "status = 'pending'",
        ),
        Queue::CustomerMail => ("comms_mail", "id", "next_attempt_at", "status = 'pending'"),
        Queue::DrillsToClose => ("drills", "id", "confirm_by", "finished_at IS NULL"),
        Queue::Postmortems => (
            "postmortems",
            "incident_id",
            "created_at",
            "written_at IS NULL",
        ),
        Queue::ReviewDigests => ("review_digests", "id", "created_at", "result IS NULL"),
    };
    QueueTable {
        table,
        key,
        due,
        pending,
    }
}

/// Claims up to `limit` pending rows of `queue` due at `now` whose lease is free, earliest
/// first, for `owner` until `lease_until`; returns the claimed rows whole.
pub(crate) async fn claim(
    writer: &SqlitePool,
    queue: Queue,
    owner: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<SqliteRow>> {
    let QueueTable {
        table,
        key,
        due,
        pending,
    } = table(queue);
    // Built from the constant fragments above only; every value is bound.
    let sql = format!(
        "UPDATE {table} SET claimed_until = ?1, claimed_by = ?4 WHERE {key} IN (\
           SELECT {key} FROM {table} WHERE {pending} AND {due} <= ?2 \
           AND (claimed_until IS NULL OR claimed_until <= ?2) ORDER BY {due} LIMIT ?3) \
         RETURNING *"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ms(lease_until))
        .bind(ms(now))
        .bind(i64::from(limit))
        .bind(owner)
        .fetch_all(writer)
        .await?)
}

/// Releases every lease `owner` holds, on every queue (and leases written before leases had
/// owners).
pub(crate) async fn release(tx: &mut Transaction<'_, Sqlite>, owner: &str) -> Result<()> {
    for queue in Queue::ALL {
        let QueueTable { table, .. } = table(queue);
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
