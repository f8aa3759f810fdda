//! The follow-up queues: drills whose confirm window ended, post-mortem files to write, review
//! digests to send — their claims, their rows, and marking them done.

use std::collections::HashMap;

use jiff::Timestamp;
use sqlx::Row;
use sqlx::postgres::PgRow;
use tocsin_store::rows::{ms, ts, ts_opt};
use tocsin_store::*;

use super::lease;
use crate::{PgStore, corrupt};

/// Drills closed per claim: a drill runs monthly, so one claim always takes them all.
const DRILLS_PER_CLAIM: u32 = 100;

/// Digests sent per claim: one is started per review period.
const DIGESTS_PER_CLAIM: u32 = 10;

impl PgStore {
    /// Claims the drills to close, each with its items in report order.
    pub(super) async fn claim_drills_to_close_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<DrillRecord>> {
        let mut drills = lease::claim(
            self,
            Queue::DrillsToClose,
            now,
            lease_until,
            DRILLS_PER_CLAIM,
        )
        .await?
        .iter()
        .map(drill)
        .collect::<Result<Vec<_>>>()?;
        if drills.is_empty() {
            return Ok(drills);
        }
        let ids: Vec<String> = drills.iter().map(|drill| drill.id.clone()).collect();
        let mut items: HashMap<String, Vec<DrillItem>> = HashMap::new();
        for row in sqlx::query("SELECT * FROM drill_items WHERE drill_id = ANY($1) ORDER BY seq")
            .bind(&ids)
            .fetch_all(self.pool())
            .await?
        {
            let drill_id: String = row.try_get("drill_id")?;
            items.entry(drill_id).or_default().push(item(&row)?);
        }
        for drill in &mut drills {
            drill.items = items.remove(&drill.id).unwrap_or_default();
        }
        Ok(drills)
    }

    pub(super) async fn claim_unwritten_postmortems_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<PostmortemRecord>> {
        lease::claim(self, Queue::Postmortems, now, lease_until, limit)
            .await?
            .iter()
            .map(postmortem)
            .collect()
    }

    pub(super) async fn mark_postmortem_written_sql(
        &self,
        incident_id: &str,
        at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE postmortems SET written_at = $1, claimed_until = NULL WHERE incident_id = $2",
        )
        .bind(ms(at))
        .bind(incident_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub(super) async fn claim_unsent_review_digests_sql(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<ReviewDigest>> {
        lease::claim(
            self,
            Queue::ReviewDigests,
            now,
            lease_until,
            DIGESTS_PER_CLAIM,
        )
        .await?
        .iter()
        .map(digest)
        .collect()
    }

    pub(super) async fn record_review_digest_sql(
        &self,
        id: &str,
        at: Timestamp,
        result: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE review_digests SET sent_at = $1, result = $2, claimed_until = NULL WHERE id = $3",
        )
        .bind(ms(at))
        .bind(result)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// A drill's row, without its items.
fn drill(row: &PgRow) -> Result<DrillRecord> {
    let status: String = row.try_get("status")?;
    Ok(DrillRecord {
        id: row.try_get("id")?,
        trigger: row.try_get("trigger")?,
        started_at: ts(row.try_get("started_at")?)?,
        confirm_by: ts(row.try_get("confirm_by")?)?,
        status: DrillStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("unknown drill status `{status}`")))?,
        finished_at: ts_opt(row.try_get("finished_at")?)?,
        incident_id: row.try_get("incident_id")?,
        report_sent: row.try_get("report_sent")?,
        items: Vec::new(),
    })
}

fn item(row: &PgRow) -> Result<DrillItem> {
    let status: String = row.try_get("status")?;
    Ok(DrillItem {
        seq: row.try_get("seq")?,
        kind: row.try_get("kind")?,
        subject: row.try_get("subject")?,
        status: DrillItemStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("unknown drill item status `{status}`")))?,
        reason: row.try_get("reason")?,
        nonce: row.try_get("nonce")?,
        confirmed_at: ts_opt(row.try_get("confirmed_at")?)?,
    })
}

fn postmortem(row: &PgRow) -> Result<PostmortemRecord> {
    Ok(PostmortemRecord {
        incident_id: row.try_get("incident_id")?,
        file: row.try_get("file")?,
        due_at: ts(row.try_get("due_at")?)?,
        status: row.try_get("status")?,
        created_at: ts(row.try_get("created_at")?)?,
        written_at: ts_opt(row.try_get("written_at")?)?,
    })
}

fn digest(row: &PgRow) -> Result<ReviewDigest> {
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
