//! Reads of an incident's follow-up records: post-mortems, action runs, customer notices and
//! the customers named on it.

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use tocsin_store::rows::{corrupt, ts, ts_opt};
use tocsin_store::{ActionRun, CommsRecord, PostmortemRecord, Result, RunStatus};

/// A `postmortems` row.
pub(crate) fn postmortem(row: &PgRow) -> Result<PostmortemRecord> {
    Ok(PostmortemRecord {
        incident_id: row.try_get("incident_id")?,
        file: row.try_get("file")?,
        due_at: ts(row.try_get("due_at")?)?,
        status: row.try_get("status")?,
        created_at: ts(row.try_get("created_at")?)?,
        written_at: ts_opt(row.try_get("written_at")?)?,
    })
}

/// An `action_runs` row.
pub(crate) fn action_run(row: &PgRow) -> Result<ActionRun> {
    let status: String = row.try_get("status")?;
    Ok(ActionRun {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        action_id: row.try_get("action_id")?,
        requested_by: row.try_get("requested_by")?,
        requested_at: ts(row.try_get("requested_at")?)?,
        what: row.try_get("what")?,
        status: RunStatus::parse(&status).ok_or_else(|| corrupt("action run status", &status))?,
        exit_status: row.try_get("exit_status")?,
        output: row.try_get("output")?,
        finished_at: ts_opt(row.try_get("finished_at")?)?,
    })
}

/// A `comms` row; its texts are JSON (one `CustomerText` per locale).
pub(crate) fn comms(row: &PgRow) -> Result<CommsRecord> {
    let texts: String = row.try_get("texts")?;
    Ok(CommsRecord {
        id: row.try_get("id")?,
        incident_id: row.try_get("incident_id")?,
        channel: row.try_get("channel")?,
        event: row.try_get("event")?,
        audience: row.try_get("audience")?,
        default_locale: row.try_get("default_locale")?,
        texts: serde_json::from_str(&texts).map_err(crate::corrupt)?,
        status: row.try_get("status")?,
        created_at: ts(row.try_get("created_at")?)?,
        approved_by: row.try_get("approved_by")?,
        approved_at: ts_opt(row.try_get("approved_at")?)?,
    })
}

// Text keys sort with COLLATE "C": bytewise, as SQLite's BINARY, whatever the database's locale.

/// Every post-mortem, latest deadline first.
pub(crate) async fn postmortems(pool: &PgPool) -> Result<Vec<PostmortemRecord>> {
    sqlx::query("SELECT * FROM postmortems ORDER BY due_at DESC, incident_id COLLATE \"C\" DESC")
        .fetch_all(pool)
        .await?
        .iter()
        .map(postmortem)
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
        .map(postmortem)
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
    .map(action_run)
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
        .map(comms)
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
