//! Reads of an incident's follow-up records: post-mortems, action runs, customer notices and
//! the customers named on it.

use sqlx::PgPool;
use tocsin_store::rows::{self};
use tocsin_store::{ActionRun, CommsRecord, PostmortemRecord, Result};

// Text keys sort with COLLATE "C": bytewise, as SQLite's BINARY, whatever the database's locale.

/// Every post-mortem, latest deadline first.
pub(crate) async fn postmortems(pool: &PgPool) -> Result<Vec<PostmortemRecord>> {
    sqlx::query("SELECT * FROM postmortems ORDER BY due_at DESC, incident_id COLLATE \"C\" DESC")
        .fetch_all(pool)
        .await?
        .iter()
        .map(rows::postmortem)
        .collect()
}

pub(crate) async fn postmortem_of(
    pool: &PgPool,
    incident_id: &str,
) -> Result<Option<PostmortemRecord>> {
    sqlx::query("SELECT * FROM postmortems WHERE incident_id = $1")
        .bind(incident_id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(rows::postmortem)
        .transpose()
}

/// An incident's action runs, oldest first. SQLite broke ties by `rowid` (insertion order);
/// the table has no such column here, so runs requested in the same millisecond go by id.
pub(crate) async fn action_runs(pool: &PgPool, incident_id: &str) -> Result<Vec<ActionRun>> {
    sqlx::query(
        "SELECT * FROM action_runs WHERE incident_id = $1 ORDER BY requested_at, id COLLATE \"C\"",
    )
    .bind(incident_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::action_run)
    .collect()
}

/// An incident's notices, oldest first; notices of one decision share `created_at` and their
/// ids are `<decision's id>-<n>`, so the id orders them as SQLite's `rowid` did (up to nine).
pub(crate) async fn comms_of(pool: &PgPool, incident_id: &str) -> Result<Vec<CommsRecord>> {
    sqlx::query("SELECT * FROM comms WHERE incident_id = $1 ORDER BY created_at, id COLLATE \"C\"")
        .bind(incident_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(rows::comms)
        .collect()
}

/// The customers named on an incident, in the order they were added.
pub(crate) async fn affected(pool: &PgPool, incident_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT email FROM incident_affected WHERE incident_id = $1 ORDER BY added_at, email COLLATE \"C\"",
    )
    .bind(incident_id)
    .fetch_all(pool)
    .await?)
}

/// An incident's tickets, oldest first (ties by id, as SQLite's `rowid` would order them).
pub(crate) async fn tickets(
    pool: &PgPool,
    incident_id: &str,
) -> Result<Vec<tocsin_core::ticket_record::Ticket>> {
    sqlx::query(
        "SELECT * FROM tickets WHERE incident_id = $1 ORDER BY created_at, id COLLATE \"C\"",
    )
    .bind(incident_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::ticket)
    .collect()
}

/// One ticket by tocsin's id.
pub(crate) async fn ticket(
    pool: &PgPool,
    id: &str,
) -> Result<Option<tocsin_core::ticket_record::Ticket>> {
    sqlx::query("SELECT * FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(rows::ticket)
        .transpose()
}

/// The newest ticket the tracker numbered `number`.
pub(crate) async fn ticket_by_number(
    pool: &PgPool,
    number: i64,
) -> Result<Option<tocsin_core::ticket_record::Ticket>> {
    sqlx::query("SELECT * FROM tickets WHERE number = $1 ORDER BY created_at DESC LIMIT 1")
        .bind(number)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(rows::ticket)
        .transpose()
}
