//! The monthly drill on PostgreSQL: runs and their items, single-use confirm links, and the
//! dates contacts confirmed their numbers.

use std::collections::HashMap;

use jiff::Timestamp;
use sqlx::{PgConnection, PgPool, Row};
use tocsin_store::rows::{self, ms};
use tocsin_store::{
    ContactVerification, DrillItem, DrillItemStatus, DrillRecord, DrillStatus, Result,
};

use super::schedule;

/// Fills in the drills' items, in `seq` order. One query for all of them (SQLite asked once per
/// drill; here each query is a round trip).
pub(crate) async fn with_items(
    pool: &PgPool,
    mut drills: Vec<DrillRecord>,
) -> Result<Vec<DrillRecord>> {
    if drills.is_empty() {
        return Ok(drills);
    }
    let ids: Vec<String> = drills.iter().map(|drill| drill.id.clone()).collect();
    let rows =
        sqlx::query("SELECT * FROM drill_items WHERE drill_id = ANY($1) ORDER BY drill_id, seq")
            .bind(&ids)
            .fetch_all(pool)
            .await?;
    let mut items: HashMap<String, Vec<DrillItem>> = HashMap::new();
    for row in &rows {
        items
            .entry(row.try_get("drill_id")?)
            .or_default()
            .push(rows::drill_item(row)?);
    }
    for drill in &mut drills {
        drill.items = items.remove(&drill.id).unwrap_or_default();
    }
    Ok(drills)
}

/// Inserts a drill and its items; a scheduled run first moves the schedule from its due time,
/// and writes nothing (`false`) when another replica already moved it.
pub(crate) async fn start(
    pool: &PgPool,
    record: &DrillRecord,
    schedule: Option<(Timestamp, Timestamp)>,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
    if let Some((due, next)) = schedule
        && !schedule::DRILL.advance(&mut tx, due, next).await?
    {
        return Ok(false);
    }
    insert(&mut tx, record).await?;
    tx.commit().await?;
    Ok(true)
}

/// Writes a drill's row and its items' rows.
async fn insert(tx: &mut PgConnection, record: &DrillRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO drills (id, trigger, started_at, confirm_by, status, finished_at, incident_id, report_sent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&record.id)
    .bind(&record.trigger)
    .bind(ms(record.started_at))
    .bind(ms(record.confirm_by))
    .bind(record.status.as_str())
    .bind(record.finished_at.map(ms))
    .bind(&record.incident_id)
    .bind(&record.report_sent)
    .execute(&mut *tx)
    .await?;
    for entry in &record.items {
        sqlx::query(
            "INSERT INTO drill_items (drill_id, seq, kind, subject, status, reason, nonce, confirmed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&record.id)
        .bind(entry.seq)
        .bind(&entry.kind)
        .bind(&entry.subject)
        .bind(entry.status.as_str())
        .bind(&entry.reason)
        .bind(&entry.nonce)
        .bind(entry.confirmed_at.map(ms))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

pub(crate) async fn set_item(
    pool: &PgPool,
    drill_id: &str,
    seq: i64,
    status: DrillItemStatus,
    reason: &str,
) -> Result<()> {
    sqlx::query("UPDATE drill_items SET status = $1, reason = $2 WHERE drill_id = $3 AND seq = $4")
        .bind(status.as_str())
        .bind(reason)
        .bind(drill_id)
        .bind(seq)
        .execute(pool)
        .await?;
    Ok(())
}

/// Fails what still waits; an item confirmed meanwhile is no longer `waiting` and keeps its pass.
pub(crate) async fn expire_items(pool: &PgPool, drill_id: &str, reason: &str) -> Result<()> {
    sqlx::query(
        "UPDATE drill_items SET status = 'fail', reason = $1 WHERE drill_id = $2 AND status = 'waiting'",
    )
    .bind(reason)
    .bind(drill_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Writes the drill's outcome and ends any claim on it (it is no longer due for closing).
pub(crate) async fn set_outcome(
    pool: &PgPool,
    drill_id: &str,
    status: DrillStatus,
    finished_at: Option<Timestamp>,
    incident_id: Option<&str>,
    report_sent: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE drills SET status = $1, finished_at = $2, claimed_until = NULL, \
         incident_id = COALESCE($3, incident_id), report_sent = COALESCE($4, report_sent) WHERE id = $5",
    )
    .bind(status.as_str())
    .bind(finished_at.map(ms))
    .bind(incident_id)
    .bind(report_sent)
    .bind(drill_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// The newest drills first (ids compared bytewise, as SQLite does, whatever the database's
/// collation).
pub(crate) async fn newest(pool: &PgPool, limit: u32) -> Result<Vec<DrillRecord>> {
    let drills = sqlx::query(
        "SELECT * FROM drills ORDER BY started_at DESC, id COLLATE \"C\" DESC LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::drill)
    .collect::<Result<Vec<_>>>()?;
    with_items(pool, drills).await
}

pub(crate) async fn one(pool: &PgPool, id: &str) -> Result<Option<DrillRecord>> {
    let found = sqlx::query("SELECT * FROM drills WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(rows::drill)
        .transpose()?;
    Ok(with_items(pool, found.into_iter().collect()).await?.pop())
}

pub(crate) async fn item_by_nonce(
    pool: &PgPool,
    nonce: &str,
) -> Result<Option<(String, DrillItem)>> {
    let row = sqlx::query("SELECT * FROM drill_items WHERE nonce = $1")
        .bind(nonce)
        .fetch_optional(pool)
        .await?;
    row.map(|row| Ok((row.try_get("drill_id")?, rows::drill_item(&row)?)))
        .transpose()
}

/// Uses a link once. The conditional UPDATE is the "once": a second use (another replica, a
/// double click) waits for the first, then finds `confirmed_at` set and changes nothing.
pub(crate) async fn confirm_item(
    pool: &PgPool,
    nonce: &str,
    at: Timestamp,
    reason: &str,
    verified: Option<(&str, jiff::civil::Date)>,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
    // A page passes only while it is still waiting; a contact item keeps its status (the
    // drill found the numbers stale) and records the confirmation.
    let used = sqlx::query(
        "UPDATE drill_items SET confirmed_at = $1, reason = $2, \
         status = CASE WHEN status = 'waiting' THEN 'pass' ELSE status END \
         WHERE nonce = $3 AND confirmed_at IS NULL",
    )
    .bind(ms(at))
    .bind(reason)
    .bind(nonce)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if used == 0 {
        return Ok(false);
    }
    if let Some((contact, date)) = verified {
        sqlx::query(
            "INSERT INTO contact_verifications (contact, verified_on, recorded_at) VALUES ($1, $2, $3) \
             ON CONFLICT (contact) DO UPDATE SET verified_on = EXCLUDED.verified_on, recorded_at = EXCLUDED.recorded_at",
        )
        .bind(contact)
        .bind(date.to_string())
        .bind(ms(at))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Every contact's latest confirmation, by contact (bytewise, as on SQLite).
pub(crate) async fn contact_verifications(pool: &PgPool) -> Result<Vec<ContactVerification>> {
    sqlx::query("SELECT * FROM contact_verifications ORDER BY contact COLLATE \"C\"")
        .fetch_all(pool)
        .await?
        .iter()
        .map(rows::contact_verification)
        .collect()
}
